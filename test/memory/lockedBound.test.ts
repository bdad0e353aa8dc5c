// Locked memory stays bounded when lent views are kept across frequent rotations: blocks wait (zeroed) while
// views lent for them are reachable, and once they are dropped and collected, emptied regions are given back.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';

t.test('1,000 rotations with views kept, then dropped: after GC and the next rotation, locked bytes are within 10% of the start', async (t) => {
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', join(__dirname, 'fixtures', 'lockedBound.ts')], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, r.stderr.slice(-2000));
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { start: number; peak: number; peakQuarantined: number; end: number; quarantined: number; live: number; isNeverOther: boolean };
  t.ok(out.peakQuarantined >= 1_000, `views kept: ${out.peakQuarantined} freed blocks held back at the peak`);
  t.ok(out.peak > out.start, `locked memory grew while views were kept (${out.start} -> ${out.peak} bytes)`);
  t.equal(out.quarantined, 0, 'every held-back block was released once its views were collected');
  t.equal(out.live, 10, 'ten current values');
  t.ok(out.end <= out.start * 1.1, `locked bytes after GC: ${out.end} (start ${out.start})`);
  t.ok(out.isNeverOther, 'no kept view ever showed another value');
});
