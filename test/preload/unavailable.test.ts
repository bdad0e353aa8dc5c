// Unavailable is never reported as invalid (DESIGN invariant 8), on the real peers: a backend that answers a
// per-secret read with throttling, 503, a sealed OpenBao or an OpenBao rate-limit quota makes the start exit 69
// (not 78) and uses a configured failover; during polling it is `degraded` (a warning), then `recovered`, never
// `rejected`; `rejected` stays for data that fails validation, and a good snapshot after it is `recovered`.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { displayUri } from '../../src/sources/SourceSpec';
import { QuotaProxy } from '../../src/testing/QuotaProxy';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { REQUIRED, runOnce, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';
import { startPrivateBao, vaultOk } from '../providers/vault/vaultTestClient';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type State = Record<string, { version: string; sha256: string }>;
const AWS_ENV = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' };
const awsUri = (endpoint: string, prefix: string, query = 'timeoutMs=3000&retries=1&backoffMs=10&maxBackoffMs=50') =>
  `aws://${PEERS.aws.region}/${prefix}/?endpoint=${encodeURIComponent(endpoint)}&${query}`;
const vaultUri = (address: string, prefix: string) => `vault://${address.replace(/^https?:\/\//, '')}/secret/${prefix}?tls=0&retries=1&timeoutMs=3000`;

/** Values planted under a fresh prefix of a provider; returns the prefix. */
async function plant(uri: (prefix: string) => string, label: string, values: Record<string, string>, env: NodeJS.ProcessEnv): Promise<string> {
  const prefix = uniquePrefix(label).replace('/', '-');
  const client = await ProviderRegistry.withBuiltins().create(new URL(uri(prefix)), { env });
  try {
    for (const [k, v] of Object.entries(values)) await client.put(k, Buffer.from(v));
  } finally {
    await client.close();
  }
  return prefix;
}

function noValueIn(t: Test, text: string, values: Record<string, string>): void {
  for (const v of Object.values(values)) t.notOk(text.includes(v), 'no value printed');
}

t.test('Start on AWS (moto behind the quota proxy)', async (t) => {
  ensurePeer('aws');
  Object.assign(process.env, AWS_ENV);
  const proxy = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: {} });
  const endpoint = await proxy.start();
  t.teardown(() => proxy.close());
  const values = { DB_PASSWORD: plantValue(), API_KEY: plantValue() };
  const prefix = await plant((p) => awsUri(PEERS.aws.endpoint, p), 'unavail-aws', values, process.env);
  const schema = writeSchema(tmpdir(t), { DB_PASSWORD: REQUIRED, API_KEY: REQUIRED });
  const base = { ...AWS_ENV, SECRETS_SCHEMA: schema, NODE_ENV: 'production', SECRETS_START_TIMEOUT_MS: '5000' };

  await t.test('a per-secret read answered 503 is exit 69 naming each secret, not 78', async (t) => {
    proxy.setFault('GetSecretValue', 503);
    t.teardown(() => proxy.setFault('GetSecretValue', undefined));
    const r = await runOnce(t, { ...base, SECRETS_SOURCE: awsUri(endpoint, prefix, 'timeoutMs=3000&retries=1&backoffMs=10&maxBackoffMs=50&read=single') });
    t.equal(r.code, 69, r.stderr);
    t.match(r.stderr, /DB_PASSWORD: .*ServiceUnavailableException/);
    t.match(r.stderr, /API_KEY: .*ServiceUnavailableException/);
    t.notOk(r.events.some((e) => e.event === 'app-first-line'));
    noValueIn(t, r.stderr + r.stdout, values);
  });

  await t.test('the same with a failover: the failover serves, and is actually asked', async (t) => {
    proxy.setFault('GetSecretValue', 503);
    t.teardown(() => proxy.setFault('GetSecretValue', undefined));
    const failover = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: {} });
    const failoverEndpoint = await failover.start();
    t.teardown(() => failover.close());
    const r = await runOnce(t, { ...base, SECRETS_SOURCE: `${awsUri(endpoint, prefix, 'retries=1&backoffMs=10&read=single')}|${awsUri(failoverEndpoint, prefix)}` });
    t.equal(r.code, 0, r.stderr);
    const state = r.events.find((e) => e.event === 'started')?.state as State;
    t.equal(state.DB_PASSWORD?.sha256, sha(values.DB_PASSWORD));
    t.equal(state.API_KEY?.sha256, sha(values.API_KEY));
    t.match(r.stderr, /primary source unavailable at start; loaded from its failover/);
    const served = Object.values(failover.counts()).reduce((n, c) => n + c.allowed, 0);
    t.ok(served > 0, `the failover got ${served} requests`);
    noValueIn(t, r.stderr + r.stdout, values);
  });

  await t.test('throttled past the start budget is exit 69, saying throttling', async (t) => {
    // One GetSecretValue per ~1000 s: the first read passes, the second cannot within the budget.
    const tight = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: { GetSecretValue: 0.001 } });
    const tightEndpoint = await tight.start();
    t.teardown(() => tight.close());
    // A budget the worker surely reaches under load: the quota, not the clock, is what cannot be met.
    const r = await runOnce(t, { ...base, SECRETS_START_TIMEOUT_MS: '8000', SECRETS_SOURCE: awsUri(tightEndpoint, prefix, 'retries=1&backoffMs=10&read=single') });
    t.equal(r.code, 69, r.stderr);
    t.match(r.stderr, /(DB_PASSWORD|API_KEY): .*(ThrottlingException|throttling)/);
    t.ok((tight.counts().GetSecretValue?.throttled ?? 0) > 0);
  });

  await t.test('throttled within the start budget: waits its turn and starts', async (t) => {
    // Six secrets at 2 reads/s (burst 2) need about 2 s: far more than the client's own retries (1) allow.
    const more: Record<string, string> = {};
    for (let i = 0; i < 6; i++) more[`S${i}`] = plantValue();
    const p = await plant((x) => awsUri(PEERS.aws.endpoint, x), 'throttle-ok', more, process.env);
    const slow = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: { GetSecretValue: 2, BatchGetSecretValue: 0 } });
    const slowEndpoint = await slow.start();
    t.teardown(() => slow.close());
    const s6 = writeSchema(tmpdir(t), Object.fromEntries(Object.keys(more).map((k) => [k, REQUIRED])));
    const r = await runOnce(t, { ...base, SECRETS_SCHEMA: s6, SECRETS_START_TIMEOUT_MS: '30000', SECRETS_SOURCE: awsUri(slowEndpoint, p, 'retries=1&backoffMs=10') });
    t.equal(r.code, 0, r.stderr);
    const state = r.events.find((e) => e.event === 'started')?.state as State;
    for (const [k, v] of Object.entries(more)) t.equal(state[k]?.sha256, sha(v), k);
    t.ok((slow.counts().GetSecretValue?.throttled ?? 0) > 0, 'it was throttled');
    t.equal(slow.counts().BatchGetSecretValue?.throttled, 1, 'read=auto: one throttled batch call, then single reads');
    noValueIn(t, r.stderr + r.stdout, more);
  });
});

t.test('Start on OpenBao: sealed and rate-limited (private servers)', async (t) => {
  ensurePeer('vault');
  const bao = await startPrivateBao();
  t.teardown(() => bao.stop());
  // The same token id on both servers, so one VAULT_TOKEN serves the primary and the failover.
  await vaultOk('POST', '/auth/token/create', { id: PEERS.vault.token, policies: ['root'], no_parent: true }, { address: bao.address, token: bao.token });
  const env = { VAULT_TOKEN: PEERS.vault.token };
  const values = { DB_PASSWORD: plantValue(), API_KEY: plantValue(), OTHER: plantValue(), MORE: plantValue() };
  const prefix = uniquePrefix('unavail-bao').replace('/', '-');
  for (const address of [bao.address, PEERS.vault.address]) {
    const c = await ProviderRegistry.withBuiltins().create(new URL(vaultUri(address, prefix)), { env });
    for (const [k, v] of Object.entries(values)) await c.put(k, Buffer.from(v));
    await c.close();
  }
  const schema = writeSchema(tmpdir(t), Object.fromEntries(Object.keys(values).map((k) => [k, REQUIRED])));
  const base = { ...env, SECRETS_SCHEMA: schema, NODE_ENV: 'production' };

  await t.test('a rate-limit quota within the start budget: waits its turn and starts', async (t) => {
    await vaultOk('POST', '/sys/quotas/rate-limit/vc-test2', { path: 'secret/', rate: 2, interval: '1s' }, { address: bao.address, token: bao.token });
    t.teardown(() => vaultOk('DELETE', '/sys/quotas/rate-limit/vc-test2', undefined, { address: bao.address, token: bao.token }));
    const r = await runOnce(t, { ...base, SECRETS_START_TIMEOUT_MS: '30000', SECRETS_SOURCE: vaultUri(bao.address, prefix) });
    t.equal(r.code, 0, r.stderr);
    const state = r.events.find((e) => e.event === 'started')?.state as State;
    for (const [k, v] of Object.entries(values)) t.equal(state[k]?.sha256, sha(v), k);
  });

  await t.test('an OpenBao rate-limit quota past the start budget is exit 69, not 78', async (t) => {
    // Over 1 request/s, the client is blocked for 10 minutes: the start cannot finish within any budget.
    await vaultOk('POST', '/sys/quotas/rate-limit/vc-test', { path: 'secret/', rate: 1, interval: '1s', block_interval: '600s' }, { address: bao.address, token: bao.token });
    t.teardown(() => vaultOk('DELETE', '/sys/quotas/rate-limit/vc-test', undefined, { address: bao.address, token: bao.token }));
    const r = await runOnce(t, { ...base, SECRETS_START_TIMEOUT_MS: '8000', SECRETS_SOURCE: vaultUri(bao.address, prefix) });
    t.equal(r.code, 69, r.stderr);
    t.match(r.stderr, /(DB_PASSWORD|API_KEY|OTHER|MORE): .*(HTTP 429|throttling)/);
    t.notMatch(r.stderr, /exit 78/);
    noValueIn(t, r.stderr + r.stdout, values);
  });

  await t.test('sealed: exit 69 alone; with a failover, the failover serves', async (t) => {
    await vaultOk('PUT', '/sys/seal', undefined, { address: bao.address, token: bao.token });
    const alone = await runOnce(t, { ...base, SECRETS_START_TIMEOUT_MS: '10000', SECRETS_SOURCE: vaultUri(bao.address, prefix) });
    t.equal(alone.code, 69, alone.stderr);
    t.match(alone.stderr, /DB_PASSWORD: .*(sealed|HTTP 503)/);
    const r = await runOnce(t, { ...base, SECRETS_START_TIMEOUT_MS: '10000', SECRETS_SOURCE: `${vaultUri(bao.address, prefix)}|${vaultUri(PEERS.vault.address, prefix)}` });
    t.equal(r.code, 0, r.stderr);
    const state = r.events.find((e) => e.event === 'started')?.state as State;
    for (const [k, v] of Object.entries(values)) t.equal(state[k]?.sha256, sha(v), k);
    t.match(r.stderr, /loaded from its failover/);
    noValueIn(t, alone.stderr + r.stderr + r.stdout, values);
  });
});

for (const peer of ['aws', 'vault'] as const) {
  t.test(`Polling on ${peer}: degraded and recovered, never rejected for an unavailable backend`, async (t) => {
    ensurePeer(peer);
    Object.assign(process.env, AWS_ENV);
    const direct = peer === 'aws' ? PEERS.aws.endpoint : PEERS.vault.address;
    const proxy = new QuotaProxy({ target: direct, profile: peer, quotas: {} });
    const endpoint = await proxy.start();
    t.teardown(() => proxy.close());
    const env = peer === 'aws' ? AWS_ENV : { VAULT_TOKEN: PEERS.vault.token };
    const uri = (address: string, p: string) => (peer === 'aws' ? awsUri(address, p, 'timeoutMs=3000&retries=1&backoffMs=10&maxBackoffMs=50&read=single') : vaultUri(address, p));
    const values = { DB_PASSWORD: plantValue(), PORT: '8080' };
    const prefix = await plant((p) => uri(direct, p), `poll-${peer}`, values, env);
    const writer = await ProviderRegistry.withBuiltins().create(new URL(uri(direct, prefix)), { env });
    t.teardown(() => writer.close());
    const schema = writeSchema(tmpdir(t), { DB_PASSWORD: REQUIRED, PORT: "{ format: 'port', default: null }" });
    const s = startService(t, { ...env, SECRETS_SOURCE: uri(endpoint, prefix), SECRETS_SCHEMA: schema, SECRETS_POLL_MS: '1000', NODE_ENV: 'production' });
    await s.waitFor((e) => e.event === 'started', 30_000);

    // A rotation whose value read answers 503: the version check (metadata) passes, the read does not.
    const next = plantValue();
    proxy.setFault(peer === 'aws' ? 'GetSecretValue' : 'read', 503);
    await writer.put('DB_PASSWORD', Buffer.from(next));
    const degraded = await s.waitFor((e) => e.event === 'degraded', 20_000);
    t.same(degraded.sources, [displayUri(new URL(uri(endpoint, prefix)))]);
    t.same(degraded.names, ['DB_PASSWORD', 'PORT'], 'the secrets that can no longer be refreshed');
    t.equal((degraded.state as State).DB_PASSWORD?.sha256, sha(values.DB_PASSWORD), 'the last good value stays');
    t.notOk(s.events.some((e) => e.event === 'rejected'), 'no rejected event for an unavailable backend');
    t.match(s.stderr(), /"level":40.*provider refresh failed; the last good secrets stay in force/);
    t.notMatch(s.stderr(), /rotation rejected/);

    proxy.setFault(peer === 'aws' ? 'GetSecretValue' : 'read', undefined);
    const recovered = await s.waitFor((e) => e.event === 'recovered' && e.from === 'unavailable', 20_000);
    t.same(recovered.sources, degraded.sources);
    const rotated = await s.waitFor((e) => e.event === 'rotated', 20_000);
    t.equal((rotated.state as State).DB_PASSWORD?.sha256, sha(next));

    // Data that fails validation is `rejected`; a good snapshot after it is `recovered` (an alert can clear).
    await writer.put('PORT', Buffer.from('not-a-port'));
    const rejected = await s.waitFor((e) => e.event === 'rejected', 20_000);
    t.same(rejected.names, ['PORT']);
    await writer.put('PORT', Buffer.from('8081'));
    const cleared = await s.waitFor((e) => e.event === 'recovered' && e.from === 'rejected', 20_000);
    t.same(cleared.names, ['PORT']);
    t.equal((cleared.state as State).PORT?.sha256, sha('8081'));
    s.send({ op: 'exit' });
    await s.exited;
    noValueIn(t, s.stderr() + s.stdout(), { ...values, next });
  });
}
