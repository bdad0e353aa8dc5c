import { isUtf8 } from 'node:buffer';
import type { ValidationProblem } from '../errors/ValidationError';
import type { SecretsSchema } from './SecretsSchema';

type Convict = typeof import('convict');

const TOKEN_PREFIX = '\u0000vc-secret:';
/** Values under validation, by token. Set only during a synchronous validate() call. */
const active = new Map<string, Uint8Array>();
let formatsAdded = false;

/** Formats validated on the bytes in locked memory (the value never becomes a JS string). */
export const SECRET_FORMATS = ['secret', 'secret-utf8', 'secret-hex', 'secret-base64'] as const;

function bytesOf(value: unknown): Uint8Array {
  if (typeof value === 'string' && value.startsWith(TOKEN_PREFIX)) {
    const view = active.get(value);
    if (view) return view;
  }
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new Error('must be a secret value');
}

function checkLength(bytes: Uint8Array, schema: { minBytes?: unknown; maxBytes?: unknown }): void {
  if (bytes.length === 0) throw new Error('must not be empty');
  if (typeof schema.minBytes === 'number' && bytes.length < schema.minBytes) throw new Error(`must be at least ${schema.minBytes} bytes`);
  if (typeof schema.maxBytes === 'number' && bytes.length > schema.maxBytes) throw new Error(`must be at most ${schema.maxBytes} bytes`);
}

function addFormats(convict: Convict): void {
  if (formatsAdded) return;
  formatsAdded = true;
  const ascii = (bytes: Uint8Array, ok: (c: number) => boolean) => {
    for (const c of bytes) if (!ok(c)) return false;
    return true;
  };
  const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
  const isB64 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61;
  convict.addFormats({
    secret: {
      validate: (v: unknown, schema: Record<string, unknown>) => checkLength(bytesOf(v), schema),
    },
    'secret-utf8': {
      validate: (v: unknown, schema: Record<string, unknown>) => {
        const b = bytesOf(v);
        checkLength(b, schema);
        if (!isUtf8(b)) throw new Error('must be valid UTF-8');
        if (b.includes(0)) throw new Error('must not contain NUL bytes');
      },
    },
    'secret-hex': {
      validate: (v: unknown, schema: Record<string, unknown>) => {
        const b = bytesOf(v);
        checkLength(b, schema);
        if (b.length % 2 !== 0 || !ascii(b, isHex)) throw new Error('must be hexadecimal with an even number of digits');
      },
    },
    'secret-base64': {
      validate: (v: unknown, schema: Record<string, unknown>) => {
        const b = bytesOf(v);
        checkLength(b, schema);
        const eq = b.indexOf(61);
        const ok = b.length % 4 === 0 && ascii(b, isB64) && (eq === -1 || eq >= b.length - 2) && (eq === -1 || ascii(b.subarray(eq), (c) => c === 61));
        if (!ok) throw new Error('must be padded standard base64');
      },
    },
  } as unknown as Parameters<Convict['addFormats']>[0]);
}

/**
 * Validates a whole snapshot with convict, without handing sensitive values to JS strings where avoidable.
 *
 * Values of built-in `String`, `*` and the `secret*` formats go to convict as opaque tokens; the `secret*`
 * formats validate the bytes in locked memory. Other formats (int, url, custom functions) need the text: those
 * values become short-lived JS strings during validation (documented; keep such settings non-sensitive).
 * Convict never imports values from `process.env` or argv here (env and args are emptied), and every property is
 * treated as sensitive so no value is ever printed; any copy of a value in a validator's message is redacted.
 *
 * @example
 * ```ts
 * const problems = new SchemaValidator(schema).validate(new Map([['DB_PASSWORD', view]]));
 * ```
 */
export class SchemaValidator {
  readonly #convict: Convict;
  readonly #def: Record<string, Record<string, unknown>>;
  readonly #tokenised = new Set<string>();
  readonly names: readonly string[];

  constructor(schema: SecretsSchema) {
    this.#convict = require('convict') as Convict;
    addFormats(this.#convict);
    this.#def = {};
    for (const [name, prop] of Object.entries(schema)) {
      const copy: Record<string, unknown> = { ...prop, sensitive: true };
      delete copy.env;
      delete copy.arg;
      this.#def[name] = copy;
      const f = prop.format;
      if (f === String || f === 'String' || f === '*' || (typeof f === 'string' && (SECRET_FORMATS as readonly string[]).includes(f))) this.#tokenised.add(name);
    }
    this.names = Object.keys(schema);
  }

  /** Whether a property has no usable default, i.e. a missing value is an error. */
  isRequired(name: string): boolean {
    const d = this.#def[name]?.default;
    return d === null || d === undefined;
  }

  /** The problems of a candidate snapshot; empty when it is valid. */
  validate(values: ReadonlyMap<string, Uint8Array>): ValidationProblem[] {
    const config = this.#convict(this.#def as never, { env: {}, args: [] });
    const clear: string[] = [];
    const problems: ValidationProblem[] = [];
    try {
      for (const name of this.names) {
        const view = values.get(name);
        if (!view) continue;
        if (this.#tokenised.has(name)) {
          const token = TOKEN_PREFIX + name;
          active.set(token, view);
          config.set(name as never, token as never);
        } else {
          const text = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8');
          clear.push(text);
          try {
            config.set(name as never, text as never);
          } catch (error) {
            problems.push({ name, reason: scrub((error as Error).message, clear) });
          }
        }
      }
      try {
        config.validate({ allowed: 'strict', output: () => undefined });
      } catch (error) {
        for (const line of String((error as Error).message).split('\n')) {
          const m = /^([^:]+): (.*)$/.exec(line);
          const name = m?.[1];
          if (!m || !name || !this.#def[name]) {
            if (line.trim()) problems.push({ name: '(schema)', reason: scrub(line, clear) });
            continue;
          }
          const missing = !values.has(name) && this.isRequired(name);
          problems.push({ name, reason: missing ? 'is required but no source has it' : scrub(m[2] ?? 'is invalid', clear) });
        }
      }
    } finally {
      for (const name of this.names) active.delete(TOKEN_PREFIX + name);
    }
    return problems;
  }
}

/** Remove any copy of a value (or a token) from a validator's message. */
function scrub(message: string, clear: readonly string[]): string {
  let out = message.split(TOKEN_PREFIX).join('');
  // Whole occurrences only, so a one-letter value does not mangle the words of the message.
  for (const value of clear) {
    if (value.length === 0) continue;
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), '[redacted]');
  }
  return out.split('\u0000').join('');
}
