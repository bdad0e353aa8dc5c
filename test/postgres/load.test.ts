// A short run of `npm run load:postgres` (scripts/load/postgres.js): an HTTP service under the preload keeps
// answering queries through a RotatingPool while its PostgreSQL credential rotates, on moto and OpenBao, with
// both strategies, and with dynamic credentials from OpenBao's database engine. The full 60 s run is CI's
// `npm run load:postgres`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ensurePeer } from '../helpers/peers';

const ROOT = join(__dirname, '..', '..');

t.test('a pooled app under the preload keeps serving while its database credential rotates', async (t) => {
  ensurePeer('postgres');
  ensurePeer('aws');
  ensurePeer('vault');
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'load', 'postgres.js')], {
    cwd: ROOT,
    env: { ...process.env, PGLOAD_DURATION_S: '10', PGLOAD_ROTATE_MS: '1500', PGLOAD_RATE: '200', PGLOAD_TTL_S: '2', PGLOAD_MAX_TTL_S: '3', NODE_NO_WARNINGS: '1' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  const runs = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { problems: string[] });
  t.equal(runs.length, 5, 'dynamic credentials, then aws and vault with both strategies');
  for (const r of runs) {
    t.same(r.problems, [], `${String(r.store)} ${String(r.strategy)}: every check passed`);
    if (r.strategy === 'dynamic') {
      t.ok((r.switches as number) >= 1, `dynamic: the pool switched to a new credential ${String(r.switches)} times`);
      t.equal(r.expiredConnects, 0, 'dynamic: no login with an expired credential');
    } else t.ok((r.rotations as number) >= 2, `${String(r.store)} ${String(r.strategy)}: rotated ${String(r.rotations)} times`);
    t.ok((r.ok as number) > 500, `${String(r.store)} ${String(r.strategy)}: served ${String(r.ok)} queries`);
    if (r.strategy !== 'single-user') t.equal(r.failed, 0, `${String(r.strategy)}: no failed query`);
    t.equal(r.leaked, 0, 'no password in the app output or log');
  }
});
