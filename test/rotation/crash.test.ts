// Crash in the middle, with real processes on each real peer: a child rotating a secret kills itself (SIGKILL)
// right after a step. The next rotation never leaves it half done: a fresh pending version is a rotation in
// progress (conflict), a stale one is rolled back (default) or resumed (verified and promoted).
import t from 'tap';
import { SecretRotator } from '../../src/rotation';
import { plantValue, uniquePrefix } from '../helpers/peers';
import { makePeerClient, PEER_NAMES } from './fixtures/peerClients';
import { spawnRotateChild } from './fixtures/spawnRotateChild';

async function crashAfter(peer: string, prefix: string, path: string, step: string): Promise<{ version?: string; signal: NodeJS.Signals | null; steps: string[] }> {
  const c = spawnRotateChild({ ROT_PEER: peer, ROT_PREFIX: prefix, ROT_PATH: path, ROT_CRASH_AFTER: step });
  const exit = await c.exited;
  const staged = c.lines.find((l) => l.step === 'stage');
  return { ...(typeof staged?.version === 'string' ? { version: staged.version } : {}), signal: exit.signal, steps: c.lines.filter((l) => l.step).map((l) => `${l.step}:${l.outcome}`) };
}

// Three real child processes per peer, each starting node with the TypeScript loader: on a loaded machine that
// alone can take most of the default per-file budget.
t.setTimeout(300_000);

for (const peer of PEER_NAMES) {
  t.test(`crash in the middle on ${peer}`, async (t) => {
    const prefix = uniquePrefix(`crash-${peer}`);
    const client = await makePeerClient(peer, prefix);
    t.teardown(() => client.close());
    const rotator = new SecretRotator({ client });

    t.test('killed after staging: the next attempt sees a rotation in progress, then rolls the stale one back', async (t) => {
      const path = 'tenants/c1/API_KEY';
      const { version: seed } = await client.put(path, Buffer.from(plantValue()));
      const crash = await crashAfter(peer, prefix, path, 'stage');
      t.equal(crash.signal, 'SIGKILL');
      t.same(crash.steps, ['generate:ok', 'stage:ok']);
      const left = await rotator.inspect(path);
      t.same(left.pending.map((p) => p.version), [crash.version], 'the crash left its pending version');
      t.equal(left.current?.version, seed, 'readers still get the old version');
      t.match(await rotator.rotate(path).catch((e: unknown) => e), { code: 'E_ROTATION', step: 'stage', cause: { code: 'E_CONFLICT' } }, 'too fresh: a rotation in progress');
      const steps: string[] = [];
      const result = await rotator.rotate(path, { staleAfterMs: 0 }, { onStep: (e) => void steps.push(`${e.step}:${e.outcome}`) });
      t.same(steps[0], 'rollback:ok', 'the stale pending version is rolled back first');
      const after = await rotator.inspect(path);
      t.equal(after.current?.version, result.version);
      t.not(result.version, crash.version);
      t.equal(after.previous?.version, seed);
      t.same(after.pending, [], 'nothing pending');
      t.equal((await rotator.listVersions(path)).find((v) => v.version === crash.version)?.state, 'retired', "the crashed rotation's version is retired");
    });

    t.test('killed after verifying: the next attempt resumes it (onStale "resume") and promotes the crashed version', async (t) => {
      const path = 'tenants/c2/API_KEY';
      const { version: seed } = await client.put(path, Buffer.from(plantValue()));
      const crash = await crashAfter(peer, prefix, path, 'verify');
      t.equal(crash.signal, 'SIGKILL');
      t.same(crash.steps, ['generate:ok', 'stage:ok', 'verify:ok']);
      const result = await rotator.rotate(path, { staleAfterMs: 0, onStale: 'resume' });
      t.equal(result.isResumed, true);
      t.equal(result.version, crash.version, "the crashed rotation's version is current now");
      const after = await rotator.inspect(path);
      t.equal(after.current?.version, crash.version);
      t.equal(after.previous?.version, seed);
      t.same(after.pending, []);
    });

    t.test('killed after promoting: the rotation took effect, nothing is pending, the next rotation runs normally', async (t) => {
      const path = 'tenants/c3/API_KEY';
      const { version: seed } = await client.put(path, Buffer.from(plantValue()));
      const crash = await crashAfter(peer, prefix, path, 'promote');
      t.equal(crash.signal, 'SIGKILL');
      const after = await rotator.inspect(path);
      t.equal(after.current?.version, crash.version);
      t.equal(after.previous?.version, seed);
      t.same(after.pending, []);
      const next = await rotator.rotate(path);
      t.equal(next.previousVersion, crash.version);
    });
  });
}
