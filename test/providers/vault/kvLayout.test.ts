// The KV v2 value layout and the version-state mapping: pure functions, property-tested where it pays.
import fc from 'fast-check';
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { decodeKvValue } from '../../../src/providers/vault/decodeKvValue';
import { describeVersions } from '../../../src/providers/vault/describeVersions';
import { encodeKvValue } from '../../../src/providers/vault/encodeKvValue';
import { mapWithConcurrency } from '../../../src/providers/vault/mapWithConcurrency';
import { parseKvMetadata } from '../../../src/providers/vault/parseKvMetadata';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`;
  }
};

t.test('Functions: encodeKvValue / decodeKvValue', async (t) => {
  t.test('any bytes round-trip exactly, through JSON as Vault stores them', async (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('value', 'password'), (bytes, key) => {
        const stored = JSON.parse(JSON.stringify(encodeKvValue(bytes, key))) as unknown;
        return Buffer.compare(decodeKvValue(stored, key, 'X'), Buffer.from(bytes)) === 0;
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const bytes = Buffer.from(s, 'utf8');
        const stored = encodeKvValue(bytes, 'value');
        return stored.value === s && decodeKvValue(stored, 'value', 'X').equals(bytes);
      }),
    );
    t.pass('random byte strings and text round-trip');
  });

  t.test('text is stored readable, binary as base64', async (t) => {
    t.same(encodeKvValue(Buffer.from('héllo'), 'value'), { value: 'héllo' });
    t.same(encodeKvValue(new Uint8Array([0xc3]), 'value'), { value_b64: 'ww==' });
    t.same(encodeKvValue(Buffer.from([1, 2, 3, 0xff]).subarray(1, 3), 'k'), { k: '\u0002\u0003' }, 'a view is encoded, not its whole buffer');
  });

  t.test('anything else is a ProviderResponseError naming keys only', async (t) => {
    for (const data of [null, 'str', [], { other: 'SECRETVALUE' }, { value: 42 }, { value_b64: 'not base64!' }]) {
      t.equal(codeOf(() => decodeKvValue(data, 'value', 'X')), 'E_PROVIDER_RESPONSE', JSON.stringify(data));
    }
    try {
      decodeKvValue({ other: 'SECRETVALUE' }, 'value', 'X');
    } catch (e) {
      t.match((e as Error).message, /"other"/);
      t.notOk((e as Error).message.includes('SECRETVALUE'));
    }
  });
});

t.test('Functions: parseKvMetadata / describeVersions', async (t) => {
  const meta = (current: number, versions: Record<string, { deletion_time?: string; destroyed?: boolean }>, custom?: Record<string, string>) => ({
    data: {
      current_version: current,
      custom_metadata: custom ?? null,
      versions: Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, { created_time: '2026-01-01T00:00:00Z', deletion_time: v.deletion_time ?? '', destroyed: v.destroyed ?? false }])),
    },
  });
  const states = (body: unknown) => describeVersions(parseKvMetadata(body, 'X')).infos.map((i) => `${i.version}:${i.state}`);

  t.test('without a pin: latest is current, then previous, retired; deleted and destroyed are deleted', async (t) => {
    t.same(states(meta(5, { 1: {}, 2: { destroyed: true }, 3: {}, 4: { deletion_time: '2020-01-01T00:00:00Z' }, 5: {} })), ['5:current', '4:deleted', '3:previous', '2:deleted', '1:retired']);
  });

  t.test('a deletion_time in the future (delete_version_after) is not deleted yet', async (t) => {
    t.same(states(meta(1, { 1: { deletion_time: '2999-01-01T00:00:00Z' } })), ['1:current']);
  });

  t.test('with a pin: versions above it are pending (newest) or other; the pinned one is current', async (t) => {
    const body = meta(4, { 1: {}, 2: {}, 3: {}, 4: {} }, { vc_current_version: '2', owner: 'team' });
    t.same(states(body), ['4:pending', '3:other', '2:current', '1:previous']);
    const view = describeVersions(parseKvMetadata(body, 'X'));
    t.same(view.pending, [4, 3]);
    t.equal(view.current, 2);
    t.same(view.infos[0]?.stages, ['vc_pending']);
  });

  t.test('pin 0: nothing is current; a deleted current means the secret is deleted', async (t) => {
    const none = describeVersions(parseKvMetadata(meta(1, { 1: {} }, { vc_current_version: '0' }), 'X'));
    t.equal(none.current, undefined);
    t.equal(none.currentIsLive, false);
    t.same(none.infos.map((i) => i.state), ['pending']);
    const gone = describeVersions(parseKvMetadata(meta(2, { 1: {}, 2: { deletion_time: '2020-01-01T00:00:00Z' } }), 'X'));
    t.equal(gone.current, 2);
    t.equal(gone.currentIsLive, false);
  });

  t.test('malformed metadata is a ProviderResponseError; junk entries are ignored', async (t) => {
    for (const body of [null, 'x', { data: {} }, { data: { current_version: '1', versions: {} } }, { data: { current_version: 1, versions: null } }]) {
      t.equal(codeOf(() => parseKvMetadata(body, 'X')), 'E_PROVIDER_RESPONSE', JSON.stringify(body));
    }
    const m = parseKvMetadata({ data: { current_version: 1, versions: { 1: {}, x: {}, 0: {}, 2: null }, custom_metadata: { vc_current_version: 'abc' } } }, 'X');
    t.same([...m.versions.keys()], [1]);
    t.equal(m.currentPin, undefined);
  });
});

t.test('Function: mapWithConcurrency', async (t) => {
  t.test('keeps order, bounds parallelism and settles every item', async (t) => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([...Array(20).keys()], 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (i === 7) throw new Error('seven');
      return i * 2;
    });
    t.equal(peak, 3);
    t.same(out[3], { status: 'fulfilled', value: 6 });
    t.equal(out[7]?.status, 'rejected');
    t.same(await mapWithConcurrency([], 4, async () => 1), []);
  });
});
