// Fuzzing the file source with random mount trees: escapes, loops, fifos, directories, huge and empty files,
// dangling links. Invariants: no crash, only typed errors, never a byte from outside the mount, every
// unsafe entry reported by name.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { isSecretsError } from '../../src/errors/SecretsError';
import { SecureArena } from '../../src/memory/SecureArena';
import { readMount } from '../../src/sources/file/readMount';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { tmpdir } from '../helpers/tmp';

type Entry =
  | { kind: 'file'; size: number }
  | { kind: 'empty' }
  | { kind: 'huge' }
  | { kind: 'escape' }
  | { kind: 'inside-link'; to: number }
  | { kind: 'loop' }
  | { kind: 'dangling' }
  | { kind: 'dir' }
  | { kind: 'fifo' };

const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ kind: fc.constant('file' as const), size: fc.integer({ min: 1, max: 300 }) }),
  fc.constant({ kind: 'empty' as const }),
  fc.constant({ kind: 'huge' as const }),
  fc.constant({ kind: 'escape' as const }),
  fc.record({ kind: fc.constant('inside-link' as const), to: fc.nat(7) }),
  fc.constant({ kind: 'loop' as const }),
  fc.constant({ kind: 'dangling' as const }),
  fc.constant({ kind: 'dir' as const }),
  fc.constant({ kind: 'fifo' as const }),
);

t.test('readMount on random trees keeps its invariants', async (t) => {
  const arena = new SecureArena();
  const root = tmpdir(t, 'fuzz');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  const OUTSIDE = 'OUTSIDE-' + 'x'.repeat(40);
  fs.writeFileSync(path.join(outside, 'target'), OUTSIDE);
  let run = 0;
  let cases = 0;
  await fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.boolean(), (entries, atomic) => {
      cases++;
      const dir = path.join(root, `m${run++}`);
      const names = entries.map((_, i) => `S${i}`);
      const build = (base: string) => {
        entries.forEach((e, i) => {
          const p = path.join(base, names[i]!);
          switch (e.kind) {
            case 'file': fs.writeFileSync(p, Buffer.alloc(e.size, 65 + (i % 26))); break;
            case 'empty': fs.writeFileSync(p, ''); break;
            case 'huge': fs.writeFileSync(p, Buffer.alloc(2048, 66)); break;
            case 'escape': fs.symlinkSync(path.join(outside, 'target'), p); break;
            case 'inside-link': fs.symlinkSync(names[e.to % names.length]!, p); break;
            case 'loop': fs.symlinkSync(names[i]!, p); break;
            case 'dangling': fs.symlinkSync('nowhere', p); break;
            case 'dir': fs.mkdirSync(p); break;
            case 'fifo': execFileSync('mkfifo', [p]); break;
          }
        });
      };
      if (atomic) {
        new AtomicWriter(dir).write({});
        build(fs.realpathSync(path.join(dir, '..data')));
      } else {
        fs.mkdirSync(dir);
        build(dir);
      }
      let read;
      try {
        read = readMount(dir, names, arena, { maxFileBytes: 1024 });
      } catch (error) {
        if (!isSecretsError(error)) throw error;
        return;
      }
      try {
        const problems = new Map(read.problems.map((p) => [p.name, p.reason]));
        for (const [name, v] of read.values) {
          if (v.slice.view.toString('latin1').includes('OUTSIDE')) throw new Error(`${name}: a byte from outside the mount was read`);
        }
        entries.forEach((e, i) => {
          const name = names[i]!;
          if (['escape', 'huge', 'dir', 'fifo', 'loop'].includes(e.kind) && !problems.has(name)) throw new Error(`${name} (${e.kind}) was not reported`);
          if (e.kind === 'file' && !read.values.has(name)) throw new Error(`${name}: a regular file was not read`);
          if (e.kind === 'dangling' && (read.values.has(name) || problems.has(name))) throw new Error(`${name}: a dangling link must read as missing`);
        });
        for (const reason of problems.values()) if (reason.includes('OUTSIDE')) throw new Error('a value in a reason');
      } finally {
        for (const v of read.values.values()) v.slice.free();
      }
    }),
    { numRuns: 1500 },
  );
  t.equal(cases >= 1500, true, `${cases} random mount trees`);
  t.equal(arena.stats().liveSlices, 0, 'every slice released');
});
