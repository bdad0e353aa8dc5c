// Helpers of the cache tests: a clock moved by hand, loaders that count their calls, a deferred promise,
// and a dump of everything an object shows (for planted-value leak checks).
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import type { FetchedSecret } from '../../src/providers/Provider';

/** A clock that only moves when told. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A loader answering with a fresh copy of `value` (and `version`) each call; `calls` counts them. */
export function countingLoader(value: string, version = 'v1'): { loader: () => Promise<FetchedSecret>; calls: () => number; lastBuffer: () => Buffer | undefined } {
  let calls = 0;
  let last: Buffer | undefined;
  return {
    loader: async () => {
      calls++;
      last = Buffer.from(value);
      return { value: last, version, stages: [] };
    },
    calls: () => calls,
    lastBuffer: () => last,
  };
}

/** A loader that always fails with `error`; `calls` counts them. */
export function failingLoader(error: unknown): { loader: () => Promise<FetchedSecret>; calls: () => number } {
  let calls = 0;
  return {
    loader: async () => {
      calls++;
      throw error;
    },
    calls: () => calls,
  };
}

/** A promise with its resolve/reject handles, to hold a load in flight. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Everything a value shows when logged, serialised or inspected (its cause included). */
export function everythingOf(x: unknown): string {
  const e = x as { message?: unknown; stack?: unknown; cause?: unknown } | undefined;
  let json = '';
  try {
    json = JSON.stringify(x);
  } catch {
    json = '[unserialisable]';
  }
  return [String(x), json, inspect(x, { depth: 8, showHidden: true }), String(e?.message), String(e?.stack), inspect(e?.cause, { depth: 8 })].join('\n');
}

/** The bytes behind a view (a copy of its current content, for checks after the view's owner is gone). */
export const isZeroed = (view: Buffer): boolean => view.every((b) => b === 0);

export const settle = <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released): a backend that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
