import t from 'tap';
import { SecretsMetrics } from '../src/metrics/SecretsMetrics';
import { instrumentProvider } from '../src/metrics/instrumentProvider';
import { SecretNotFoundError } from '../src/errors/SecretNotFoundError';
import type { ProviderClient } from '../src/providers/Provider';
import { plantValue } from './helpers/peers';
import { observeSecrets } from '../src/metrics/observeSecrets';
import { setRuntime } from '../src/runtime/runtimeSlot';
import { SecretsRuntime } from '../src/runtime/SecretsRuntime';
import { SchemaValidator } from '../src/schema/SchemaValidator';

t.test('Class: SecretsMetrics / Function: instrumentProvider', async (t) => {
  const metrics = new SecretsMetrics();
  const value = plantValue();
  const fake = {
    scheme: 'mem',
    capabilities: { batch: false, write: true, delete: true, versions: true, list: true },
    get: async (name: string) => {
      if (name === 'MISSING') throw new SecretNotFoundError('no such secret');
      return { value: Buffer.from(value), version: '1', stages: [] };
    },
    notAnOperation: () => 'kept',
  } as unknown as ProviderClient & { notAnOperation(): string };
  const client = instrumentProvider(fake, metrics);
  const got = await client.get('A');
  t.equal(got.value.toString(), value);
  await t.rejects(client.get('MISSING'), { code: 'E_NOT_FOUND' });
  t.equal(client.scheme, 'mem', 'properties pass through');
  t.equal(client.notAnOperation(), 'kept', 'other methods pass through');
  metrics.denials.inc({ permission: 'secrets:read' });
  metrics.cacheRequests.inc({ result: 'hit' });
  const text = await metrics.registry.metrics();
  t.match(text, /vc_secrets_backend_calls_total\{provider="mem",operation="get",outcome="ok"\} 1/);
  t.match(text, /vc_secrets_backend_calls_total\{provider="mem",operation="get",outcome="E_NOT_FOUND"\} 1/);
  t.match(text, /vc_secrets_backend_call_seconds_count\{provider="mem",operation="get"\} 2/);
  t.match(text, /vc_secrets_rbac_denials_total\{permission="secrets:read"\} 1/);
  t.notOk(text.includes(value), 'no value in metrics');
  t.notOk(/name=|tenant=/.test(text), 'no name or tenant labels');
});

t.test('Function: observeSecrets', async (t) => {
  const metrics = new SecretsMetrics();
  t.equal(typeof observeSecrets(metrics), 'function', 'no runtime: a no-op');
  const rt = new SecretsRuntime(new SchemaValidator({ A: { format: 'secret', default: null } }));
  const put = (v: string) => new Map([['A', { slice: rt.arena.copyIn(Buffer.from(v)), source: 't' }]]);
  rt.apply(put('one'));
  setRuntime(rt);
  t.teardown(() => setRuntime(undefined));
  const stop = observeSecrets(metrics);
  rt.apply(put('two'));
  rt.apply(put(''));
  stop();
  rt.apply(put('three'));
  const text = await metrics.registry.metrics();
  t.match(text, /vc_secrets_rotations_total\{outcome="ok"\} 1/);
  t.match(text, /vc_secrets_rotations_total\{outcome="rejected"\} 1/);
});
