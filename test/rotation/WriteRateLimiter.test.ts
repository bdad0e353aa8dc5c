// The write pacing of rotateDue: evenly spaced slots, call order, abort.
import t from 'tap';
import { WriteRateLimiter } from '../../src/rotation';

t.test('Class: WriteRateLimiter', async (t) => {
  t.test('spaces writes evenly: 21 acquires at 100/s take about 200 ms, in call order', async (t) => {
    const limiter = new WriteRateLimiter(100);
    const order: number[] = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: 21 }, (_, i) => limiter.acquire().then(() => order.push(i))));
    const elapsed = performance.now() - started;
    t.ok(elapsed >= 190, `took ${Math.round(elapsed)} ms`);
    t.ok(elapsed < 1_000);
    t.same(order, [...order].sort((a, b) => a - b));
    t.equal(limiter.acquired, 21);
  });
  t.test('an aborted wait rejects with the signal reason', async (t) => {
    const limiter = new WriteRateLimiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await t.rejects(waiting, { message: 'stop' });
    await t.rejects(limiter.acquire(controller.signal), { message: 'stop' }, 'an aborted signal fails at once');
  });
  t.test('refuses a rate that is not positive', async (t) => {
    t.throws(() => new WriteRateLimiter(0), RangeError);
  });
});
