// A small fleet in CI: 50 replicas start at once against moto and OpenBao behind the quota proxy (quotas scaled
// to 1%), with the library's real start and poll code (scripts/fleet/fleet.js, what `npm run fleet` runs). The
// quotas bind (calls are throttled), yet every replica starts with every value, a rotation is seen at the next
// poll, and polling stays within a quarter of every read quota at 10,000 replicas every 5 minutes.
// Times are reported by `npm run fleet` (docs/benchmarks.md), not asserted here.
import t from 'tap';
import { ensurePeer } from '../helpers/peers';

interface FleetReport {
  replicas: number;
  ready: number;
  complete: number;
  failed: number;
  failures: string[];
  throttled: number;
  rotationSeen: string;
  steadyShare: Record<string, number>;
  callsPerPoll: Record<string, number>;
}
const { runFleet } = require('../../scripts/fleet/fleet.js') as { runFleet: (options: Record<string, unknown>) => Promise<FleetReport> };

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.VAULT_TOKEN = 'vc-dev-root-token';

// 50 replicas share this process's event loop: on a loaded machine a call can wait in it for seconds, which a
// real replica (its own process) would not. Generous per-attempt timeouts keep that artifact from counting as a
// backend timeout; the quota proxy's throttling is what the test is about.
const SMALL = { replicas: 5_000, scale: 0.01, secrets: 10, budgetMs: 120_000, pollReplicas: 2, polls: 12, steadyReplicas: 10_000, pollMs: 300_000 };
const PATIENT = { aws: 'timeoutMs=60000&deadlineMs=120000', vault: 'timeoutMs=60000' };
t.setTimeout(600_000);

t.test('Fleet: 50 replicas on AWS (moto behind the quota proxy), read=auto', async (t) => {
  ensurePeer('aws');
  const r = await runFleet({ ...SMALL, provider: 'aws', strategy: 'auto', query: PATIENT.aws });
  t.equal(r.replicas, 50);
  t.equal(r.failed, 0, `no failed start (${r.failures.join('; ')})`);
  t.equal(r.ready, 50);
  t.equal(r.complete, 50, 'every replica has every value');
  t.ok(r.throttled > 0, `the quotas bound: ${r.throttled} throttled calls`);
  t.equal(r.rotationSeen, '2/2', 'a rotation is seen at the next poll');
  t.ok(r.callsPerPoll.DescribeSecret! > 0, 'polls ask metadata first');
  for (const [api, share] of Object.entries(r.steadyShare)) t.ok(share <= 0.25, `${api}: ${(share * 100).toFixed(1)}% of its quota in steady state`);
});

t.test('Fleet: 50 replicas on OpenBao behind a rate-limit quota', async (t) => {
  ensurePeer('vault');
  const r = await runFleet({ ...SMALL, provider: 'vault', vaultQuota: 10_000, query: PATIENT.vault });
  t.equal(r.failed, 0, `no failed start (${r.failures.join('; ')})`);
  t.equal(r.complete, 50, 'every replica has every value');
  t.ok(r.throttled > 0, `the quota bound: ${r.throttled} throttled calls`);
  t.equal(r.rotationSeen, '2/2');
});
