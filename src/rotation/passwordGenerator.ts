import { loadSodium } from '../memory/loadSodium';
import type { RotationGenerator } from './RotationGenerator';

/** The character policy of {@link passwordGenerator}. */
export interface PasswordPolicy {
  /** Characters, 8-1024. Default 24. */
  length?: number;
  /** Include a-z. Default true. */
  lower?: boolean;
  /** Include A-Z. Default true. */
  upper?: boolean;
  /** Include 0-9. Default true. */
  digits?: boolean;
  /** Include symbols: true = `!#%+-.:=@^_~` (safe in URLs, shells and connection strings), or your own set. Default true. */
  symbols?: boolean | string;
  /** At least this many characters of each included class. Default 1. */
  minEach?: number;
  /** Leave out look-alikes `0 O o 1 l I`. Default false. */
  excludeAmbiguous?: boolean;
}

const DEFAULT_SYMBOLS = '!#%+-.:=@^_~';
const AMBIGUOUS = new Set('0Oo1lI');

/**
 * A generator of passwords under a character policy, written into locked memory one character at a time.
 * Every character is drawn uniformly (libsodium `randombytes_uniform`, no modulo bias) from the union of the
 * classes, after `minEach` characters of each class; the result is then shuffled (Fisher-Yates, same source).
 *
 * @example
 * ```ts
 * await rotator.rotate('tenants/acme/DB_PASSWORD', { generator: passwordGenerator({ length: 32, symbols: '-_.' }) });
 * ```
 */
export function passwordGenerator(policy: PasswordPolicy = {}): RotationGenerator {
  const length = policy.length ?? 24;
  const minEach = policy.minEach ?? 1;
  if (!Number.isInteger(length) || length < 8 || length > 1024) throw new RangeError('passwordGenerator: length must be an integer from 8 to 1024');
  const symbols = policy.symbols === false ? '' : policy.symbols === true || policy.symbols === undefined ? DEFAULT_SYMBOLS : policy.symbols;
  if (!/^[\x21-\x7e]*$/.test(symbols)) throw new RangeError('passwordGenerator: symbols must be printable ASCII without spaces');
  const keep = (chars: string) => [...new Set(chars)].filter((c) => !(policy.excludeAmbiguous && AMBIGUOUS.has(c))).join('');
  const classes = [
    policy.lower === false ? '' : keep('abcdefghijklmnopqrstuvwxyz'),
    policy.upper === false ? '' : keep('ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
    policy.digits === false ? '' : keep('0123456789'),
    keep(symbols),
  ]
    .filter((c) => c.length > 0)
    .map((c) => Buffer.from(c, 'latin1'));
  if (classes.length === 0) throw new RangeError('passwordGenerator: the policy allows no character');
  if (!Number.isInteger(minEach) || minEach < 0 || minEach * classes.length > length) {
    throw new RangeError('passwordGenerator: minEach times the number of classes must fit in length');
  }
  const all = Buffer.concat(classes);
  const sodium = loadSodium();
  return (alloc) => {
    const slice = alloc(length);
    const out = slice.view;
    let o = 0;
    for (const set of classes) for (let k = 0; k < minEach; k++) out[o++] = set[sodium.randombytes_uniform(set.length)]!;
    while (o < length) out[o++] = all[sodium.randombytes_uniform(all.length)]!;
    for (let i = length - 1; i > 0; i--) {
      const j = sodium.randombytes_uniform(i + 1);
      const c = out[i]!;
      out[i] = out[j]!;
      out[j] = c;
    }
    return slice;
  };
}
