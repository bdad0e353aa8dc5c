import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { SecureArena } from '../../src/memory/SecureArena';
import { detectLayout, readMount } from '../../src/sources/file/readMount';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { PerFileWriter } from '../../src/testing/PerFileWriter';
import { tmpdir } from '../helpers/tmp';

const arena = new SecureArena();
const text = (m: ReturnType<typeof readMount>, name: string) => m.values.get(name)?.slice.view.toString('utf8');

t.test('Function: readMount', async (t) => {
  t.test('atomic-writer layout: reads the ..data dir as one snapshot', async (t) => {
    const dir = tmpdir(t);
    const w = new AtomicWriter(dir);
    w.write({ A: 'one\n', B: 'two' });
    const m = readMount(dir, ['A', 'B', 'C'], arena);
    t.equal(m.layout, 'atomic-writer');
    t.equal(text(m, 'A'), 'one', 'one trailing newline dropped');
    t.equal(text(m, 'B'), 'two');
    t.notOk(m.values.has('C'), 'missing file is absent, not an error');
    t.same(m.problems, []);
    t.equal(path.dirname(m.dataDir), fs.realpathSync(dir));
    t.match(path.basename(m.dataDir), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
  });

  t.test('legacy CSI order (new names linked before the swap) reads consistently', async (t) => {
    const dir = tmpdir(t);
    const w = new AtomicWriter(dir, { isLegacyCsi: true });
    w.write({ A: '1' });
    w.write({ A: '2', B: '3' });
    const m = readMount(dir, ['A', 'B'], arena);
    t.equal(text(m, 'A'), '2');
    t.equal(text(m, 'B'), '3');
  });

  t.test('per-file and plain layouts', async (t) => {
    const dir = tmpdir(t);
    new PerFileWriter(dir).write({ A: 'x\r\n', B: 'y\n\n' });
    const m = readMount(dir, ['A', 'B'], arena);
    t.equal(detectLayout(fs.realpathSync(dir)), m.layout);
    t.ok(m.layout === 'plain' || m.layout === 'per-file');
    t.equal(text(m, 'A'), 'x', 'CRLF dropped');
    t.equal(text(m, 'B'), 'y\n', 'only one newline dropped');
    const kept = readMount(dir, ['B'], arena, { shouldStripTrailingNewline: false });
    t.equal(text(kept, 'B'), 'y\n\n');
  });

  t.test('a mount point on another device is the per-file layout', async (t) => {
    t.equal(detectLayout('/proc'), 'per-file');
    t.equal(detectLayout(tmpdir(t)), 'plain');
  });

  t.test('non-UTF-8 bytes and empty files are kept byte for byte', async (t) => {
    const dir = tmpdir(t);
    fs.writeFileSync(path.join(dir, 'BIN'), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a, 0x0a]));
    fs.writeFileSync(path.join(dir, 'EMPTY'), '');
    const m = readMount(dir, ['BIN', 'EMPTY'], arena);
    t.same([...m.values.get('BIN')!.slice.view], [0xff, 0xfe, 0x00, 0x80, 0x0a]);
    t.equal(m.values.get('EMPTY')!.slice.view.length, 0);
  });

  t.test('hostile inputs are refused with a problem naming the file', async (t) => {
    const dir = tmpdir(t);
    const outside = tmpdir(t, 'outside');
    fs.writeFileSync(path.join(outside, 'stolen'), 'NOT-FOR-YOU');
    fs.symlinkSync(path.join(outside, 'stolen'), path.join(dir, 'ESCAPE'));
    fs.symlinkSync('../' + path.basename(outside) + '/stolen', path.join(dir, 'ESCAPE_REL'));
    fs.writeFileSync(path.join(dir, 'HUGE'), Buffer.alloc(70_000, 1));
    execFileSync('mkfifo', [path.join(dir, 'FIFO')]);
    fs.mkdirSync(path.join(dir, 'ADIR'));
    fs.symlinkSync('LOOP2', path.join(dir, 'LOOP1'));
    fs.symlinkSync('LOOP1', path.join(dir, 'LOOP2'));
    fs.writeFileSync(path.join(dir, 'OK'), 'fine');
    const m = readMount(dir, ['ESCAPE', 'ESCAPE_REL', 'HUGE', 'FIFO', 'ADIR', 'LOOP1', 'OK'], arena);
    const reasons = Object.fromEntries(m.problems.map((p) => [p.name, p.reason]));
    t.match(reasons.ESCAPE, /outside the mount/);
    t.match(reasons.ESCAPE_REL, /outside the mount/);
    t.match(reasons.HUGE, /70000 bytes, over the 65536-byte limit/);
    t.match(reasons.FIFO, /not a regular file \(fifo\)/);
    t.match(reasons.ADIR, /not a regular file \(directory\)/);
    t.match(reasons.LOOP1, /symlink loop/);
    t.equal(text(m, 'OK'), 'fine');
    t.notOk(JSON.stringify(m.problems).includes('NOT-FOR-YOU'));
    const small = readMount(dir, ['OK'], arena, { maxFileBytes: 2 });
    t.match(small.problems[0]?.reason, /over the 2-byte limit/);
  });

  t.test('..data pointing outside the mount is refused', async (t) => {
    const dir = tmpdir(t);
    const outside = tmpdir(t, 'outside');
    fs.symlinkSync(outside, path.join(dir, '..data'));
    t.throws(() => readMount(dir, ['A'], arena), { code: 'E_UNSAFE_FILE' });
  });

  t.test('a missing mount is a MountReadError', async (t) => {
    t.throws(() => readMount('/nonexistent/mount', ['A'], arena), { code: 'E_MOUNT_READ', message: /cannot be read \(ENOENT\)/ });
    const file = path.join(tmpdir(t), 'f');
    fs.writeFileSync(file, 'x');
    t.throws(() => readMount(file, ['A'], arena), { code: 'E_MOUNT_READ' });
  });

  t.test('a dangling ..data is retried, then fails clearly', async (t) => {
    const dir = tmpdir(t);
    fs.symlinkSync('..gone', path.join(dir, '..data'));
    t.throws(() => readMount(dir, ['A'], arena, { attempts: 2 }), { code: 'E_MOUNT_READ', message: /points nowhere/ });
  });

  t.test('reads stay consistent while a writer keeps swapping', async (t) => {
    const dir = tmpdir(t);
    const w = new AtomicWriter(dir);
    const names = Array.from({ length: 20 }, (_, i) => `S${i}`);
    const gen = (g: number) => Object.fromEntries(names.map((n) => [n, `gen-${g}`]));
    w.write(gen(0));
    // A writer in another process swaps generations as fast as it can.
    const script = `const {AtomicWriter}=require(${JSON.stringify(path.join(__dirname, '../../dist/testing/AtomicWriter.js'))});const w=new AtomicWriter(${JSON.stringify(dir)});const names=${JSON.stringify(names)};for(let g=1;g<400;g++)w.write(Object.fromEntries(names.map(n=>[n,'gen-'+g])));`;
    const child = require('node:child_process').spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const done = new Promise((r) => child.on('exit', r));
    let reads = 0;
    let mixed = 0;
    let failed = 0;
    const until = Date.now() + 3000;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished && Date.now() < until) {
      try {
        const m = readMount(dir, names, arena);
        const gens = new Set([...m.values.values()].map((v) => v.slice.view.toString()));
        if (gens.size !== 1 || m.values.size !== names.length) mixed++;
        for (const v of m.values.values()) v.slice.free();
        reads++;
      } catch {
        failed++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await done;
    t.ok(reads > 10, `${reads} reads during the writes (${failed} gave up after retries)`);
    t.equal(mixed, 0, 'no read mixed two generations');
  });
});

t.test('objectVersionHistory: <name>/0 is current, <name>/1 previous', async (t) => {
  const dir = tmpdir(t);
  new AtomicWriter(dir).write({ 'JWT_KEY/0': 'new-key\n', 'JWT_KEY/1': 'old-key\n', 'ONLY_ONE/0': 'single', PLAIN: 'p' });
  fs.mkdirSync(path.join(fs.realpathSync(path.join(dir, '..data')), 'EMPTY_DIR'));
  const m = readMount(dir, ['JWT_KEY', 'ONLY_ONE', 'PLAIN', 'EMPTY_DIR'], arena);
  t.equal(text(m, 'JWT_KEY'), 'new-key');
  t.equal(m.values.get('JWT_KEY')?.previous?.view.toString(), 'old-key');
  t.equal(text(m, 'ONLY_ONE'), 'single');
  t.equal(m.values.get('ONLY_ONE')?.previous, undefined);
  t.equal(text(m, 'PLAIN'), 'p');
  t.match(m.problems, [{ name: 'EMPTY_DIR', reason: /not a regular file \(directory\)/ }]);
});

t.test('odd names in the mount (spaces, newlines, unicode, leading dashes) neither break nor leak into a read', async (t) => {
  const dir = tmpdir(t);
  const odd = ['with space', 'new\nline', 'ünïcødé', '-dash', '.hidden', 'tab\there', '..reserved', 'x'.repeat(200)];
  new AtomicWriter(dir).write({ ...Object.fromEntries(odd.map((n) => [n, 'ODD-CONTENT'])), GOOD: 'ok' });
  const m = readMount(dir, ['GOOD', '..reserved'], arena);
  t.same([...m.values.keys()], ['GOOD'], 'only schema names are read; `..` names never');
  t.same(m.problems, []);
  t.equal(text(m, 'GOOD'), 'ok');
});
