/** Where strict JSON text first goes wrong. */
export interface JsonSyntaxError {
  /** 0-based character offset. */
  offset: number;
  problem: string;
}

const LITERALS = ['true', 'false', 'null'];
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const OBJECT = 0;
const ARRAY = 1;

/**
 * Finds the first syntax error of strict JSON (RFC 8259), with its offset, or undefined when `text` is valid.
 * V8's JSON.parse messages only sometimes carry a position, and policy errors must name a line. Iterative (an
 * explicit stack), so hostile nesting cannot overflow the call stack.
 *
 * @example
 * ```ts
 * findJsonSyntaxError('{"a": 1,}'); // { offset: 8, problem: 'expected a double-quoted property name' }
 * ```
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const n = text.length;
  const stack: number[] = [];
  // The keys seen in each open object (duplicates are an error: JSON.parse would silently keep the last).
  const keys: Set<string>[] = [];
  let i = 0;
  let expect: 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'after' = 'value';
  const fail = (problem: string): JsonSyntaxError => ({ offset: Math.min(i, n), problem });
  const skipWhitespace = (): void => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    }
  };
  const string = (): JsonSyntaxError | undefined => {
    for (i++; i < n; ) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return fail('control character in a string (escape it)');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail('invalid \\u escape');
        i += 6;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
      else return fail('invalid escape in a string');
    }
    return fail('unterminated string');
  };

  for (;;) {
    skipWhitespace();
    if (expect === 'after') {
      if (stack.length === 0) return i < n ? fail('unexpected text after the JSON value') : undefined;
      if (i >= n) return fail('unexpected end of input');
      const c = text[i];
      const top = stack[stack.length - 1];
      if (c === ',') {
        i++;
        expect = top === OBJECT ? 'key' : 'value';
      } else if ((c === '}' && top === OBJECT) || (c === ']' && top === ARRAY)) {
        i++;
        if (stack.pop() === OBJECT) keys.pop();
      } else return fail(top === OBJECT ? 'expected "," or "}"' : 'expected "," or "]"');
      continue;
    }
    if (i >= n) return fail('unexpected end of input');
    const c = text[i] as string;
    if (expect === 'key' || expect === 'keyOrClose') {
      if (c === '}' && expect === 'keyOrClose') {
        i++;
        stack.pop();
        keys.pop();
        expect = 'after';
        continue;
      }
      if (c !== '"') return fail('expected a double-quoted property name');
      const keyStart = i;
      const error = string();
      if (error !== undefined) return error;
      const raw = text.slice(keyStart + 1, i - 1);
      const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
      const seen = keys[keys.length - 1] as Set<string>;
      if (seen.has(key)) {
        i = keyStart;
        return fail('duplicate key: map keys must be unique');
      }
      seen.add(key);
      skipWhitespace();
      if (text[i] !== ':') return fail('expected ":" after the property name');
      i++;
      expect = 'value';
      continue;
    }
    if (c === ']' && expect === 'valueOrClose') {
      i++;
      stack.pop();
      expect = 'after';
      continue;
    }
    if (c === '{' || c === '[') {
      i++;
      stack.push(c === '{' ? OBJECT : ARRAY);
      if (c === '{') keys.push(new Set());
      expect = c === '{' ? 'keyOrClose' : 'valueOrClose';
      continue;
    }
    expect = 'after';
    if (c === '"') {
      const error = string();
      if (error !== undefined) return error;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (match === null) return fail('invalid number');
      i += match[0].length;
      continue;
    }
    const literal = LITERALS.find((l) => text.startsWith(l, i));
    if (literal === undefined) return fail(`unexpected character ${JSON.stringify(c)}`);
    i += literal.length;
  }
}
