import { ProviderResponseError } from '../errors/ProviderResponseError';
import type { LockedSlice, SecureArena } from '../memory/SecureArena';

/**
 * Read one top-level field of a JSON object straight from bytes into locked memory, without `JSON.parse` (which
 * would turn every value of the secret into a JS string). Used for schema properties that split a JSON secret
 * into keys (`{ from: 'db-credentials', jsonKey: 'password' }`), like the CSI driver's `jmesPath`.
 *
 * A string value is unescaped into the slice; a number, `true`/`false` or a nested value is copied as its JSON
 * text. Throws ProviderResponseError (never quoting the value) when the bytes are not a JSON object or the key
 * is absent.
 */
export function extractJsonField(bytes: Uint8Array, key: string, arena: SecureArena): LockedSlice {
  let i = 0;
  const n = bytes.length;
  const fail = (why: string): never => {
    throw new ProviderResponseError(`the secret is not usable as JSON for key "${key}": ${why}. Store a JSON object with that key.`);
  };
  const ws = () => {
    while (i < n && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  };
  // Scan a string starting at bytes[i] === '"'; returns [start, end) of its raw content (escapes not decoded).
  const scanString = (): [number, number] => {
    if (bytes[i] !== 0x22) fail('a string was expected');
    const start = ++i;
    while (i < n && bytes[i] !== 0x22) {
      if (bytes[i] === 0x5c) i++;
      else if (bytes[i]! < 0x20) fail('a control character in a string');
      i++;
    }
    if (i >= n) fail('an unterminated string');
    return [start, i++];
  };
  const skipValue = (): [number, number] => {
    ws();
    const start = i;
    if (bytes[i] === 0x22) {
      scanString();
      return [start, i];
    }
    let depth = 0;
    while (i < n) {
      const c = bytes[i]!;
      if (c === 0x22) {
        scanString();
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
      i++;
    }
    let end = i;
    while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x09)) end--;
    if (end === start) fail('a value is missing');
    return [start, end];
  };
  ws();
  if (bytes[i] !== 0x7b) fail('not a JSON object');
  i++;
  ws();
  if (bytes[i] === 0x7d) fail(`no key "${key}"`);
  for (;;) {
    ws();
    const [ks, ke] = scanString();
    const name = decodeKey(bytes.subarray(ks, ke));
    ws();
    if (bytes[i] !== 0x3a) fail('":" expected after a key');
    i++;
    ws();
    const isString = bytes[i] === 0x22;
    const [vs, ve] = skipValue();
    if (name === key) return isString ? unescapeInto(bytes.subarray(vs + 1, ve - 1), arena, fail) : arena.copyIn(bytes.subarray(vs, ve));
    ws();
    if (bytes[i] === 0x2c) {
      i++;
      continue;
    }
    if (bytes[i] === 0x7d) fail(`no key "${key}"`);
    fail('"," or "}" expected');
  }
}

function decodeKey(raw: Uint8Array): string {
  // Keys are names, not values: decoding them as JS strings is fine.
  return JSON.parse(`"${Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')}"`) as string;
}

/** Decode JSON string escapes of `raw` into a new locked slice. */
function unescapeInto(raw: Uint8Array, arena: SecureArena, fail: (why: string) => never): LockedSlice {
  const out = arena.alloc(raw.length);
  let o = 0;
  const put = (b: number) => {
    out.view[o++] = b;
  };
  const putCodePoint = (cp: number) => {
    if (cp < 0x80) put(cp);
    else if (cp < 0x800) {
      put(0xc0 | (cp >> 6));
      put(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      put(0xe0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    } else {
      put(0xf0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3f));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    }
  };
  const hex4 = (at: number): number => {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = raw[at + k];
      const d = c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) {
        out.free();
        fail('a bad \\u escape');
      }
      v = v * 16 + d;
    }
    return v;
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== 0x5c) {
      put(c);
      continue;
    }
    const e = raw[++i];
    const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
    if (e !== undefined && simple[e] !== undefined) put(simple[e]!);
    else if (e === 0x75) {
      let cp = hex4(i + 1);
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && raw[i + 1] === 0x5c && raw[i + 2] === 0x75) {
        const lo = hex4(i + 3);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        }
      }
      putCodePoint(cp);
    } else {
      out.free();
      fail('a bad escape');
    }
  }
  out.truncate(o);
  return out;
}
