// Built-in generators write straight into locked memory; encodings match Node's, passwords follow their policy.
import fc from 'fast-check';
import t from 'tap';
import { SecureArena } from '../../src/memory/SecureArena';
import { passwordGenerator, randomBytesGenerator } from '../../src/rotation';
import { encodedLength, encodeInto } from '../../src/rotation/encodeInto';
import { sameBytes } from '../../src/rotation/sameBytes';

const arena = new SecureArena();
const alloc = (n: number) => arena.alloc(n);

t.test('Function: encodeInto', async (t) => {
  t.test('property: the same text as Buffer.toString for every input', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.constantFrom('base64' as const, 'base64url' as const, 'hex' as const), (bytes, encoding) => {
        const out = Buffer.alloc(encodedLength(bytes.length, encoding));
        encodeInto(bytes, out, encoding);
        return out.toString('latin1') === Buffer.from(bytes).toString(encoding);
      }),
    );
  });
  t.throws(() => encodeInto(Buffer.alloc(3), Buffer.alloc(3), 'hex'), RangeError);
});

t.test('Function: randomBytesGenerator', async (t) => {
  t.test('returns one locked slice of the encoded length, the raw bytes freed', async (t) => {
    for (const [encoding, length] of [['base64', 44], ['base64url', 43], ['hex', 64], ['raw', 32]] as const) {
      const live = arena.stats().liveSlices;
      const slice = await randomBytesGenerator({ bytes: 32, encoding })(alloc);
      t.ok(!(slice instanceof Uint8Array), `${encoding}: a locked slice`);
      if (slice instanceof Uint8Array) continue;
      t.equal(slice.length, length, `${encoding}: ${length} bytes`);
      t.equal(arena.stats().liveSlices, live + 1, `${encoding}: no other slice left allocated`);
      if (encoding !== 'raw') t.match(slice.view.toString('latin1'), encoding === 'hex' ? /^[0-9a-f]{64}$/ : encoding === 'base64' ? /^[A-Za-z0-9+/]{43}=$/ : /^[A-Za-z0-9_-]{43}$/);
      slice.free();
    }
  });
  t.test('two values differ', async (t) => {
    const a = (await randomBytesGenerator()(alloc)) as ReturnType<typeof alloc>;
    const b = (await randomBytesGenerator()(alloc)) as ReturnType<typeof alloc>;
    t.notOk(sameBytes(a.view, b.view));
    t.ok(sameBytes(a.view, Buffer.from(a.view)));
    a.free();
    b.free();
  });
  t.test('refuses bad options', async (t) => {
    t.throws(() => randomBytesGenerator({ bytes: 0 }), RangeError);
    t.throws(() => randomBytesGenerator({ bytes: 5000 }), RangeError);
    t.throws(() => randomBytesGenerator({ encoding: 'utf8' as 'hex' }), RangeError);
  });
});

t.test('Function: passwordGenerator', async (t) => {
  const make = async (policy: Parameters<typeof passwordGenerator>[0]) => {
    const slice = (await passwordGenerator(policy)(alloc)) as ReturnType<typeof alloc>;
    const text = slice.view.toString('latin1');
    slice.free();
    return text;
  };
  t.test('every included class at least minEach times, nothing else', async (t) => {
    for (let i = 0; i < 50; i++) {
      const p = await make({ length: 12, minEach: 2 });
      t.equal(p.length, 12);
      t.ok(/[a-z].*[a-z]/.test(p) && /[A-Z].*[A-Z]/.test(p) && /\d.*\d/.test(p) && /[!#%+\-.:=@^_~].*[!#%+\-.:=@^_~]/.test(p), 'two of each class');
      t.ok(/^[A-Za-z0-9!#%+\-.:=@^_~]+$/.test(p), 'only allowed characters');
    }
  });
  t.test('custom symbols, no symbols, no look-alikes', async (t) => {
    t.match(await make({ length: 30, symbols: '-_' }), /^[A-Za-z0-9_-]{30}$/);
    t.match(await make({ length: 30, symbols: false, upper: false }), /^[a-z0-9]{30}$/);
    for (let i = 0; i < 20; i++) t.notMatch(await make({ length: 64, excludeAmbiguous: true }), /[0Oo1lI]/);
  });
  t.test('roughly uniform over the characters', async (t) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) for (const c of await make({ length: 64, symbols: false, minEach: 0 })) counts.set(c, (counts.get(c) ?? 0) + 1);
    t.equal(counts.size, 62);
    const values = [...counts.values()];
    const mean = (200 * 64) / 62;
    t.ok(values.every((v) => v > mean * 0.6 && v < mean * 1.4), 'no character far from the mean');
  });
  t.test('refuses impossible policies', async (t) => {
    t.throws(() => passwordGenerator({ length: 4 }), RangeError);
    t.throws(() => passwordGenerator({ lower: false, upper: false, digits: false, symbols: false }), RangeError);
    t.throws(() => passwordGenerator({ length: 8, minEach: 3 }), RangeError);
    t.throws(() => passwordGenerator({ symbols: 'a b' }), RangeError);
  });
});
