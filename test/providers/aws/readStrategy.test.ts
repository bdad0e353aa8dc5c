// Read strategies against moto behind the quota proxy: `read=auto|batch|single`, and the start's backoff on
// throttling (fetchAll) that waits for a share of the quota instead of failing.
import t, { type Test } from 'tap';
import { fetchAll } from '../../../src/preload/providerWorker';
import { parseAwsUri } from '../../../src/providers/aws/parseAwsUri';
import { ProviderRegistry } from '../../../src/providers/ProviderRegistry';
import { QuotaProxy } from '../../../src/testing/QuotaProxy';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../../helpers/peers';
import { makeAwsClient } from './awsTestClient';

const NAMES = ['A', 'B', 'C', 'D', 'E', 'F'];

t.test('AWS read strategies behind the quota proxy', async (t) => {
  ensurePeer('aws');
  const prefix = uniquePrefix('read') + '/';
  const direct = await makeAwsClient(prefix);
  t.teardown(() => direct.close());
  const values: Record<string, string> = {};
  for (const n of NAMES) {
    values[n] = plantValue();
    await direct.put(n, Buffer.from(values[n]));
  }
  const proxyOf = async (t: Test, quotas: Record<string, number>) => {
    const proxy = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas });
    const endpoint = await proxy.start();
    t.teardown(() => proxy.close());
    return { proxy, endpoint };
  };

  t.test('read=single: one GetSecretValue per secret, no batch call', async (t) => {
    const { proxy, endpoint } = await proxyOf(t, {});
    const client = await makeAwsClient(prefix, { endpoint, query: 'read=single&retries=1' });
    t.teardown(() => client.close());
    const got = await client.getMany(NAMES);
    t.equal(got.found.size, NAMES.length);
    for (const n of NAMES) t.equal(got.found.get(n)?.value.toString(), values[n]);
    t.same(Object.keys(proxy.counts()), ['GetSecretValue']);
    t.equal(proxy.counts().GetSecretValue?.allowed, NAMES.length);
  });

  t.test('read=auto: batches; one secret is one GetSecretValue', async (t) => {
    const { proxy, endpoint } = await proxyOf(t, {});
    const client = await makeAwsClient(prefix, { endpoint, query: 'retries=1' });
    t.teardown(() => client.close());
    t.equal((await client.getMany(NAMES)).found.size, NAMES.length);
    t.same(proxy.counts(), { BatchGetSecretValue: { allowed: 1, throttled: 0, faulted: 0 } });
    proxy.resetCounts();
    t.equal((await client.getMany(['A'])).found.get('A')?.value.toString(), values.A);
    t.same(Object.keys(proxy.counts()), ['GetSecretValue']);
  });

  t.test('read=auto: a throttled batch is not retried; single reads take over, and stay for a while', async (t) => {
    const { proxy, endpoint } = await proxyOf(t, { BatchGetSecretValue: 0 });
    const client = await makeAwsClient(prefix, { endpoint, query: 'retries=3&backoffMs=10' });
    t.teardown(() => client.close());
    const got = await client.getMany(NAMES);
    t.equal(got.found.size, NAMES.length);
    t.equal(proxy.counts().BatchGetSecretValue?.throttled, 1, 'one throttled batch call, no retry of it');
    t.equal(proxy.counts().GetSecretValue?.allowed, NAMES.length);
    proxy.resetCounts();
    await client.getMany(NAMES);
    t.same(Object.keys(proxy.counts()), ['GetSecretValue'], 'no batch call while the pause lasts');
  });

  t.test('read=batch: a throttled batch is retried and then reported as throttling (unavailable)', async (t) => {
    const { proxy, endpoint } = await proxyOf(t, { BatchGetSecretValue: 0 });
    const client = await makeAwsClient(prefix, { endpoint, query: 'read=batch&retries=2&backoffMs=1&maxBackoffMs=5' });
    t.teardown(() => client.close());
    await t.rejects(client.getMany(NAMES), { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: true, message: /ThrottlingException/ });
    t.equal(proxy.counts().BatchGetSecretValue?.throttled, 3);
    t.notOk(proxy.counts().GetSecretValue);
  });

  t.test('start (fetchAll): throttled reads are waited out within the budget, then every value arrives', async (t) => {
    // Two reads a second, one in the bucket: six secrets need several throttled rounds.
    const { proxy, endpoint } = await proxyOf(t, { GetSecretValue: 2, BatchGetSecretValue: 0 });
    const uri = `aws://${PEERS.aws.region}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&retries=0`;
    const opened: { close(): Promise<void> }[] = [];
    const res = await fetchAll({ sources: [{ uri }], names: NAMES }, ProviderRegistry.withBuiltins(), opened as never, { deadline: Date.now() + 60_000, backoffMs: 50, maxBackoffMs: 500 });
    t.teardown(() => Promise.all(opened.map((c) => c.close())));
    t.equal(res.values.length, NAMES.length);
    for (const v of res.values) t.equal(Buffer.from(v.bytes).toString(), values[v.name]);
    t.ok((res.throttledRounds ?? 0) > 0, 'it backed off at least once');
    t.ok((proxy.counts().GetSecretValue?.throttled ?? 0) > 0);
  });

  t.test('start (fetchAll): past the budget, throttling is unavailable with one problem per secret', async (t) => {
    const { endpoint } = await proxyOf(t, { GetSecretValue: 0, BatchGetSecretValue: 0 });
    const uri = `aws://${PEERS.aws.region}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&retries=0`;
    const opened: { close(): Promise<void> }[] = [];
    t.teardown(() => Promise.all(opened.map((c) => c.close())));
    const error = await fetchAll({ sources: [{ uri }], names: NAMES }, ProviderRegistry.withBuiltins(), opened as never, { deadline: Date.now() + 300, backoffMs: 20 }).catch((e: unknown) => e);
    t.match(error, { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: true });
    t.same(((error as { problems: { name: string }[] }).problems ?? []).map((p) => p.name).sort(), NAMES);
  });

  t.test('the read parameter is checked', async (t) => {
    t.equal(parseAwsUri(new URL('aws://us-east-1/app/?read=single'), {}).readMode, 'single');
    t.equal(parseAwsUri(new URL('aws://us-east-1/app/'), {}).readMode, undefined, 'auto by default');
    t.throws(() => parseAwsUri(new URL('aws://us-east-1/app/?read=fast'), {}), { code: 'E_CONFIG', message: /auto, batch, single/ });
  });
});
