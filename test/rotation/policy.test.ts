// Rotation policies: the stored form (round trip, validation) and the schedule (interval, jitter, windows).
import fc from 'fast-check';
import t from 'tap';
import { formatRotationPolicy, nextRotationAt, parseRotationPolicy, validateRotationPolicy, type RotationPolicy } from '../../src/rotation';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

t.test('Function: formatRotationPolicy / parseRotationPolicy', async (t) => {
  t.test('the stored form is short, fits AWS tag values and round-trips', async (t) => {
    const policy: RotationPolicy = { intervalMs: 30 * DAY, window: { start: '02:00', durationMs: 2 * HOUR, days: [6, 0] }, jitterMs: 6 * HOUR, gracePeriodMs: DAY };
    const text = formatRotationPolicy(policy);
    t.equal(text, 'v1 every=30d window=02:00+2h days=sun/sat jitter=6h grace=1d');
    t.match(text, /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u, 'only characters AWS allows in tag values');
    t.same(parseRotationPolicy(text), validateRotationPolicy(policy));
  });
  t.test('property: every valid policy round-trips', async () => {
    const seconds = (min: number, max: number) => fc.integer({ min: min / 1_000, max: max / 1_000 }).map((s) => s * 1_000);
    const arbitrary = fc.record(
      {
        intervalMs: seconds(MIN, 3_650 * DAY),
        window: fc.record({
          start: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
          durationMs: seconds(MIN, 7 * DAY),
          days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
        }),
        gracePeriodMs: seconds(0, 30 * DAY),
      },
      { requiredKeys: ['intervalMs'] },
    );
    fc.assert(
      fc.property(arbitrary, fc.double({ min: 0, max: 1, noNaN: true }), (policy, f) => {
        const p: RotationPolicy = { ...policy, jitterMs: Math.floor((policy.intervalMs * f) / 1_000) * 1_000 };
        const normal = validateRotationPolicy(p);
        return JSON.stringify(parseRotationPolicy(formatRotationPolicy(p))) === JSON.stringify(normal);
      }),
    );
  });
  t.test('refuses bad input with ConfigError, quoting at most a short piece', async (t) => {
    for (const text of ['', 'every=1d', 'v1', 'v1 every=1x', 'v1 every=1d every=2d', 'v1 every=1d days=mon', 'v1 every=1d window=25:00+1h', 'v1 every=1d color=red', 'v1 every=10s', `v1 every=1d jitter=${'9'.repeat(80)}d`]) {
      t.throws(() => parseRotationPolicy(text), { code: 'E_CONFIG' }, JSON.stringify(text.slice(0, 30)));
    }
    const error = (() => {
      try {
        parseRotationPolicy(`v1 every=${'x'.repeat(500)}`);
      } catch (e) {
        return e as Error;
      }
    })();
    t.ok(error && error.message.length < 200, 'the message stays short');
    t.throws(() => validateRotationPolicy({ intervalMs: 1_500 }), { code: 'E_CONFIG' });
    t.throws(() => validateRotationPolicy({ intervalMs: DAY, jitterMs: 2 * DAY }), { code: 'E_CONFIG' });
    t.throws(() => validateRotationPolicy({ intervalMs: DAY, window: { start: '2:00', durationMs: HOUR } }), { code: 'E_CONFIG' });
    t.throws(() => validateRotationPolicy({ intervalMs: DAY, window: { start: '02:00', durationMs: HOUR, days: [] } }), { code: 'E_CONFIG' });
  });
});

t.test('Function: nextRotationAt', async (t) => {
  const last = new Date('2025-03-03T10:00:00Z'); // a Monday
  t.test('without a window: last rotation + interval (+ jitter)', async (t) => {
    t.equal(nextRotationAt({ intervalMs: DAY }, last, { key: 'a', now: 0 }).toISOString(), '2025-03-04T10:00:00.000Z');
    const withJitter = nextRotationAt({ intervalMs: DAY, jitterMs: HOUR }, last, { key: 'a', now: 0 });
    t.ok(withJitter.getTime() >= last.getTime() + DAY && withJitter.getTime() < last.getTime() + DAY + HOUR, 'within the jitter');
    t.equal(nextRotationAt({ intervalMs: DAY, jitterMs: HOUR }, last, { key: 'a', now: 0 }).getTime(), withJitter.getTime(), 'the same for every process');
    const spread = new Set(Array.from({ length: 50 }, (_, i) => nextRotationAt({ intervalMs: DAY, jitterMs: HOUR }, last, { key: `tenants/t${i}/K`, now: 0 }).getTime()));
    t.ok(spread.size > 45, 'different secrets get different times');
  });
  t.test('with a window: the first instant in a window at or after the base time', async (t) => {
    const nightly = { intervalMs: DAY, window: { start: '02:00', durationMs: 2 * HOUR } };
    t.equal(nextRotationAt(nightly, last, { key: 'a', now: 0 }).toISOString(), '2025-03-05T02:00:00.000Z');
    const weekend = { intervalMs: DAY, window: { start: '23:00', durationMs: 3 * HOUR, days: [6] } }; // Saturday 23:00 - Sunday 02:00
    t.equal(nextRotationAt(weekend, last, { key: 'a', now: 0 }).toISOString(), '2025-03-08T23:00:00.000Z');
    const inside = new Date('2025-03-08T23:30:00Z');
    t.equal(nextRotationAt(weekend, new Date(inside.getTime() - DAY), { key: 'a', now: 0 }).toISOString(), '2025-03-08T23:30:00.000Z', 'inside a window that crosses midnight');
  });
  t.test('a missed window moves the due time to the next window', async (t) => {
    const nightly = { intervalMs: DAY, window: { start: '02:00', durationMs: 2 * HOUR } };
    const now = Date.parse('2025-03-10T12:00:00Z');
    t.equal(nextRotationAt(nightly, last, { key: 'a', now }).toISOString(), '2025-03-11T02:00:00.000Z');
    const inWindow = Date.parse('2025-03-11T03:00:00Z');
    t.ok(nextRotationAt(nightly, last, { key: 'a', now: inWindow }).getTime() <= inWindow, 'due inside the window');
  });
});
