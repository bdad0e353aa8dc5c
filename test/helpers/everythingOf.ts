import { inspect } from 'node:util';

/** Everything a value (an error, usually) shows when logged, serialised or inspected, its cause included. */
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
