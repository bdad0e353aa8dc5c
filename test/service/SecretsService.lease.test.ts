// Lent views under the service: an async callback holds a lease on its value, and a view kept after its lease
// reads its own value or zeros, never another tenant's value (a freed block is not handed to a new value while a
// view lent for it can still be reached).
import t from 'tap';
import { Policy } from '../../src/access';
import { ctxOf, harness, plant, POLICY_DOC } from './fixtures/serviceKit';

const alice = ctxOf('alice', ['reader']);
const aliceWriter = ctxOf('alice', ['writer']);
const bob = ctxOf('bob', ['reader']);
const path = (tenant: string, name: string) => `vc/test/tenants/${tenant}/${name}`;
const isZero = (b: Buffer) => b.every((x) => x === 0);

/** A promise and its resolver: the callback waits on it, the test decides when it goes on. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

t.test('Class: SecretsService > Method: use (lent views)', async (t) => {
  t.test("an async callback keeps its tenant's value while the key is set and another tenant's key is cached", async (t) => {
    const h = harness({ policy: new Policy(POLICY_DOC) });
    const acmeKey = plant(24);
    await h.provider.put(path('acme', 'KEY'), Buffer.from(acmeKey));
    const globexKeys = Array.from({ length: 64 }, () => plant(24));
    globexKeys.forEach((v, i) => void h.provider.put(path('globex', `KEY_${i}`), Buffer.from(v)));
    const entered = gate();
    const goOn = gate();
    let kept: Buffer | undefined;
    const during = h.service.use(alice, 'acme', 'KEY', async (key) => {
      kept = key;
      entered.open();
      await goOn.wait;
      return Buffer.from(key).toString();
    });
    await entered.wait;
    // Meanwhile: acme's key is set (its cache entry dropped) and globex's keys are read into the cache, each the
    // same size, so a freed block would be the first one handed out.
    await h.service.set(aliceWriter, 'acme', 'KEY', Buffer.from(plant(24)));
    for (let i = 0; i < globexKeys.length; i++) await h.service.use(bob, 'globex', `KEY_${i}`, () => undefined);
    goOn.open();
    t.equal(await during, acmeKey, 'the callback read its own value after the await');
    // The lease is over: acme's old block is zeroed; it must not take globex's values while `kept` is reachable.
    for (let i = 0; i < globexKeys.length; i++) await h.service.use(bob, 'globex', `KEY_${i}`, () => undefined);
    h.service.close();
    t.ok(kept && isZero(kept), 'the kept view reads zeros, not another value');
    t.notOk(kept && globexKeys.includes(kept.toString()), "never globex's value");
  });

  t.test('a view kept after a sync callback reads its value, then zeros; never another value', async (t) => {
    const h = harness({ cache: { maxEntries: 4 } });
    const acmeKey = plant(24);
    await h.provider.put(path('acme', 'KEY'), Buffer.from(acmeKey));
    const globexKeys = Array.from({ length: 32 }, () => plant(24));
    for (let i = 0; i < globexKeys.length; i++) await h.provider.put(path('globex', `KEY_${i}`), Buffer.from(globexKeys[i]!));
    let kept: Buffer | undefined;
    let part: Buffer | undefined;
    await h.service.use(alice, 'acme', 'KEY', (key) => {
      kept = key;
      part = key.subarray(5, 21);
    });
    t.equal(kept?.toString(), acmeKey, 'still cached: the kept view reads its own value');
    // Eviction under maxEntries 4: acme's entry goes, and 32 values of the same size come and go.
    for (let round = 0; round < 3; round++) for (let i = 0; i < globexKeys.length; i++) await h.service.use(bob, 'globex', `KEY_${i}`, () => undefined);
    t.ok(kept && isZero(kept), 'evicted: zeros');
    t.ok(part && isZero(part), 'a subarray taken from it too');
    h.service.close();
  });

  t.test('a rejected async callback ends its lease: the value is zeroed once the entry is dropped', async (t) => {
    const h = harness();
    await h.provider.put(path('acme', 'KEY'), Buffer.from(plant(8)));
    let kept: Buffer | undefined;
    await t.rejects(
      h.service.use(alice, 'acme', 'KEY', async (key) => {
        kept = key;
        await Promise.resolve();
        throw new Error('fn failed');
      }),
      { message: 'fn failed' },
    );
    await h.service.set(aliceWriter, 'acme', 'KEY', Buffer.from(plant(8)));
    t.ok(kept && isZero(kept));
    h.service.close();
  });
});
