import t from 'tap';
import { Policy } from '../../src/access';
import { SecretsMetrics } from '../../src/metrics';
import { createSecretsService, InMemoryProvider } from '../../src/service';
import { brokenTrail, ctxOf, memoryTrail, plant, POLICY_DOC } from './fixtures/serviceKit';

t.test('SecretsService with metrics', async (t) => {
  const metrics = new SecretsMetrics();
  const { trail } = memoryTrail();
  const provider = new InMemoryProvider();
  const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: trail, environment: 'test', metrics });
  t.teardown(() => service.close());
  const value = plant();
  const writer = ctxOf('alice', ['writer']);
  await service.set(writer, 'acme', 'API_KEY', Buffer.from(value));
  await service.use(writer, 'acme', 'API_KEY', () => undefined); // miss
  await service.use(writer, 'acme', 'API_KEY', () => undefined); // hit
  await t.rejects(service.use(ctxOf('bob', ['writer']), 'acme', 'API_KEY', () => undefined), { code: 'E_FORBIDDEN' });
  await t.rejects(service.set(ctxOf('alice', ['reader']), 'acme', 'API_KEY', Buffer.from('x')), { code: 'E_FORBIDDEN' });
  const text = await metrics.registry.metrics();
  t.match(text, /vc_secrets_cache_requests_total\{result="miss"\} 1/);
  t.match(text, /vc_secrets_cache_requests_total\{result="hit"\} 1/);
  t.match(text, /vc_secrets_rbac_denials_total\{permission="secrets:read"\} 1/);
  t.match(text, /vc_secrets_rbac_denials_total\{permission="secrets:write"\} 1/);
  t.match(text, /vc_secrets_backend_calls_total\{provider="memory",operation="put",outcome="ok"\} 1/);
  t.match(text, /vc_secrets_backend_calls_total\{provider="memory",operation="get",outcome="ok"\} 1/);
  t.notOk(text.includes(value) || /acme|API_KEY|alice/.test(text), 'no value, tenant, name or actor in metrics');

  const failing = createSecretsService({ providers: new InMemoryProvider(), policy: new Policy(POLICY_DOC), audit: brokenTrail(true), environment: 'test', metrics });
  t.teardown(() => failing.close());
  await t.rejects(failing.use(writer, 'acme', 'API_KEY', () => undefined), { code: 'E_AUDIT_WRITE' });
  t.match(await metrics.registry.metrics(), /vc_secrets_audit_failures_total [1-9]/);
});
