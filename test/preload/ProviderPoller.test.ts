// The provider poller in process, against moto behind the quota proxy: a backend that cannot answer a changed
// secret's read is `degraded` (never `rejected`), `recovered` when it answers again; a failover keeps values fresh
// while the primary is degraded; only data that fails validation is `rejected`.
import t, { type Test } from 'tap';
import { ProviderPoller } from '../../src/preload/ProviderPoller';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import type { DegradedEvent, RecoveredEvent } from '../../src/runtime/SecretsRuntime';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { parseSources } from '../../src/sources/parseSources';
import { QuotaProxy } from '../../src/testing/QuotaProxy';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { makeAwsClient } from '../providers/aws/awsTestClient';

t.test('Class: ProviderPoller', async (t) => {
  ensurePeer('aws');
  const prefix = uniquePrefix('poller') + '/';
  const writer = await makeAwsClient(prefix);
  t.teardown(() => writer.close());
  await writer.put('A', Buffer.from(plantValue()));
  await writer.put('B', Buffer.from(plantValue()));
  const primary = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: {} });
  const failover = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: {} });
  const uriOf = (endpoint: string) => `aws://${PEERS.aws.region}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&retries=0&read=single`;
  const [p1, p2] = [await primary.start(), await failover.start()];
  t.teardown(() => Promise.all([primary.close(), failover.close()]));

  const setup = async (t: Test, source: string) => {
    const specs = parseSources(source);
    const runtime = new SecretsRuntime(new SchemaValidator({ A: { format: String, default: null, sensitive: true }, B: { format: 'port', default: null } } as never), { onLockFailure: () => undefined });
    const { found } = await writer.getMany(['A', 'B']);
    runtime.apply(new Map([...found].map(([n, s]) => [n, { slice: runtime.arena.copyIn(s.value), version: s.version, source: specs[0]!.uri }])));
    const events: { name: string; event: unknown }[] = [];
    for (const name of ['degraded', 'recovered', 'rejected', 'rotated']) runtime.on(name, (event: unknown) => events.push({ name, event }));
    const poller = new ProviderPoller(runtime, specs, { intervalMs: 3_600_000, registry: ProviderRegistry.withBuiltins() });
    t.teardown(async () => {
      await poller.close();
      runtime.zeroAll();
    });
    return { runtime, poller, events, label: specs[0]!.uri };
  };

  t.test('a changed secret whose read answers 503: degraded with the secrets, then recovered and rotated', async (t) => {
    await writer.put('B', Buffer.from('8080'));
    const { poller, events, label, runtime } = await setup(t, uriOf(p1));
    await writer.put('A', Buffer.from(plantValue()));
    primary.setFault('GetSecretValue', 503);
    t.equal(await poller.pollOnce(), 'failed');
    t.same(events.map((e) => e.name), ['degraded']);
    t.match(events[0]?.event as DegradedEvent, { sources: [label], names: ['A', 'B'], reason: /ServiceUnavailableException/ });
    t.same(poller.degradedSources, [label]);
    t.equal(await poller.pollOnce(), 'failed');
    t.equal(events.length, 1, 'one degraded event while it lasts');
    primary.setFault('GetSecretValue', undefined);
    t.equal(await poller.pollOnce(), 'rotated');
    t.same(events.map((e) => e.name), ['degraded', 'recovered', 'rotated']);
    t.same(events[1]?.event as RecoveredEvent, { from: 'unavailable', sources: [label], names: [] });
    t.same(poller.degradedSources, []);

    await writer.put('B', Buffer.from('not-a-port'));
    t.equal(await poller.pollOnce(), 'rejected');
    await writer.put('B', Buffer.from('8081'));
    t.equal(await poller.pollOnce(), 'rotated');
    t.same(events.slice(3).map((e) => e.name), ['rejected', 'rotated', 'recovered']);
    t.same(events[5]?.event as RecoveredEvent, { from: 'rejected', sources: [], names: ['B'] });
    t.equal(runtime.snapshot?.values.get('B')?.slice.view.toString(), '8081');
  });

  t.test('with a failover: the failover serves fresh values while the primary is degraded', async (t) => {
    const { poller, events, label, runtime } = await setup(t, `${uriOf(p1)}|${uriOf(p2)}`);
    const next = plantValue();
    await writer.put('A', Buffer.from(next));
    primary.setFault('DescribeSecret', 503);
    t.teardown(() => primary.setFault('DescribeSecret', undefined));
    t.equal(await poller.pollOnce(), 'rotated');
    t.same(events.map((e) => e.name), ['degraded', 'rotated']);
    t.same((events[0]?.event as DegradedEvent).sources, [label]);
    t.same((events[0]?.event as DegradedEvent).names, [], 'nothing is stale: the failover answered');
    t.equal(runtime.snapshot?.values.get('A')?.slice.view.toString(), next);
    t.ok((failover.counts().GetSecretValue?.allowed ?? 0) > 0);
  });

  t.test('start() schedules and close() stops', async (t) => {
    const { poller } = await setup(t, uriOf(p1));
    t.ok(poller.hasSources);
    poller.start();
    poller.start();
    await poller.close();
    t.equal(await poller.pollOnce(), 'unchanged', 'a closed poller does nothing');
  });
});
