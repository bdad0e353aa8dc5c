import { isUtf8 } from 'node:buffer';
import { SchemaLoadError } from '../errors/SchemaLoadError';
import type { ValidationProblem } from '../errors/ValidationError';
import { redactValues, toOneLine } from './redactValues';
import type { SecretsSchema } from './SecretsSchema';

type Convict = typeof import('convict');

const TOKEN_PREFIX = '\u0000vc-secret:';
/** Values under validation, by token. Set only during a synchronous validate() call. */
const active = new Map<string, Uint8Array>();
let formatsAdded = false;

/** Formats validated on the bytes in locked memory (the value never becomes a JS string). */
export const SECRET_FORMATS = ['secret', 'secret-utf8', 'secret-hex', 'secret-base64'] as const;

/**
 * Numeric formats checked strictly on the text before convict sees it: convict converts with `parseInt` /
 * `parseFloat`, which take `8080abc` as 8080 and `not-a-number` as NaN, while the app would get the raw text.
 */
const NUMERIC: Record<string, { pattern: RegExp; reason: string }> = {
  port: { pattern: /^\d{1,5}$/, reason: 'must be a port number (0-65535) written in decimal digits only' },
  nat: { pattern: /^\d+$/, reason: 'must be a non-negative integer written in decimal digits only' },
  int: { pattern: /^-?\d+$/, reason: 'must be an integer written in decimal digits only (an optional leading -)' },
  integer: { pattern: /^-?\d+$/, reason: 'must be an integer written in decimal digits only (an optional leading -)' },
  number: { pattern: /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/, reason: 'must be a decimal number such as 12, -3.5 or 1e3 (no spaces, units or words)' },
};

/** The strict numeric kind of a schema format, if any (`Number`, `'port'`, `'int'`, ...). */
function numericKind(format: unknown): keyof typeof NUMERIC | 'port_or_windows_named_pipe' | undefined {
  if (format === Number || format === 'Number' || format === 'number') return 'number';
  if (format === 'port_or_windows_named_pipe') return format;
  return typeof format === 'string' && format in NUMERIC ? format : undefined;
}

/** Why `text` is not acceptable for a numeric kind, or undefined when it is. */
function numericProblem(kind: ReturnType<typeof numericKind>, text: string): string | undefined {
  if (!kind) return undefined;
  if (kind === 'port_or_windows_named_pipe') return text.includes('\\\\.\\pipe\\') ? undefined : numericProblem('port', text);
  return NUMERIC[kind]!.pattern.test(text) && Number.isFinite(Number(text)) ? undefined : NUMERIC[kind]!.reason;
}

/**
 * A strict URL (convict 6 has no `url` format; the README's schemas use one): what `new URL()` accepts, without
 * spaces or control characters, with a host unless it is a `file:` URL.
 */
function checkUrl(value: unknown): void {
  const text = typeof value === 'string' ? value : '';
  let url: URL | undefined;
  try {
    // eslint-disable-next-line no-control-regex -- control characters are what this matches
    url = /[\s\u0000-\u001f\u007f]/.test(text) ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.host === '' && url.protocol !== 'file:')) throw new Error('must be an absolute URL such as https://host/path (no spaces)');
}

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
  // Only when the app has not registered its own `url` (e.g. convict-format-with-validator).
  try {
    convict({ probe: { format: 'url', default: null, nullable: true } } as never);
  } catch {
    convict.addFormat({ name: 'url', validate: checkUrl } as never);
  }
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
  readonly #numeric = new Map<string, NonNullable<ReturnType<typeof numericKind>>>();
  /** The instance the schema check built, unused: the first validate() (the start) takes it. */
  #fresh: ReturnType<Convict> | undefined;
  readonly names: readonly string[];

  /**
   * Checks the schema itself: convict must accept it (a known format for every property), and every default
   * that is not `null` must be valid. Throws SchemaLoadError naming the property (never a value).
   */
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
      const kind = numericKind(f);
      if (kind) this.#numeric.set(name, kind);
    }
    this.names = Object.keys(schema);
    this.#checkSchema();
  }

  /** Whether a property has no usable default, i.e. a missing value is an error. */
  isRequired(name: string): boolean {
    const d = this.#def[name]?.default;
    return d === null || d === undefined;
  }

  #checkSchema(): void {
    // Defaults are not secret values, but a schema may carry one anyway: never echo them.
    const defaults = Object.values(this.#def).flatMap((p) => (typeof p.default === 'string' ? [p.default] : []));
    try {
      this.#fresh = this.#convict(this.#def as never, { env: {}, args: [] });
    } catch (error) {
      const message = error instanceof SyntaxError ? 'a default is not valid JSON' : toOneLine(redactValues(String((error as Error)?.message), defaults));
      throw new SchemaLoadError(`SECRETS_SCHEMA: the schema is not valid: ${message}. Use a convict format or one of ${[...SECRET_FORMATS, 'url'].join(', ')} (see the README).`);
    }
    const wrong: string[] = [];
    for (const name of this.names) {
      const d = this.#def[name]!.default;
      const reason = typeof d === 'string' ? numericProblem(this.#numeric.get(name), d) : undefined;
      if (reason) wrong.push(`the default of ${name} is invalid: ${reason}`);
    }
    // Only properties with a default: validating required ones would only report them missing (and convict's
    // assertion errors cost ~50 µs each, which adds up at start with hundreds of secrets).
    const withDefault = this.names.filter((n) => !this.isRequired(n));
    try {
      if (withDefault.length > 0) this.#convict(Object.fromEntries(withDefault.map((n) => [n, this.#def[n]])) as never, { env: {}, args: [] }).validate({ allowed: 'strict', output: () => undefined });
    } catch (error) {
      for (const p of this.#parse(String((error as Error).message), defaults)) {
        if (!wrong.some((w) => w.startsWith(`the default of ${p.name} `))) wrong.push(`the default of ${p.name} is invalid: ${p.reason}`);
      }
    }
    if (wrong.length > 0) throw new SchemaLoadError(`SECRETS_SCHEMA: ${wrong.join('; ')}. Fix the default in the schema (or use default: null to make the secret required).`);
  }

  /**
   * convict's message, one `name: reason` line per problem, as problems. Values are redacted from the whole
   * message before it is split: a validator that echoes a value with line breaks must not spread it over lines
   * that no longer contain it whole. A line that does not start with a property name continues the previous one.
   */
  #parse(message: string, clear: readonly string[]): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    let current: ValidationProblem | undefined;
    for (const line of redactValues(message.split(TOKEN_PREFIX).join(''), clear).split('\n')) {
      const m = /^([^:\s]+): ([^]*)$/.exec(line);
      if (m && this.#def[m[1]!]) {
        current = { name: m[1]!, reason: m[2]! };
        problems.push(current);
      } else if (current) current.reason += ` ${line}`;
      else if (line.trim()) problems.push((current = { name: '(schema)', reason: line }));
    }
    for (const p of problems) p.reason = toOneLine(p.reason) || 'is invalid';
    return problems;
  }

  /** The problems of a candidate snapshot; empty when it is valid. */
  validate(values: ReadonlyMap<string, Uint8Array>): ValidationProblem[] {
    const config = this.#fresh ?? this.#convict(this.#def as never, { env: {}, args: [] });
    this.#fresh = undefined;
    const clear: string[] = [];
    const problems: ValidationProblem[] = [];
    const failed = new Set<string>();
    try {
      for (const name of this.names) {
        const view = values.get(name);
        if (!view) continue;
        if (this.#tokenised.has(name)) {
          const token = TOKEN_PREFIX + name;
          active.set(token, view);
          config.set(name as never, token as never);
          continue;
        }
        const text = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8');
        clear.push(text);
        const numeric = numericProblem(this.#numeric.get(name), text);
        if (numeric) {
          problems.push({ name, reason: numeric });
          failed.add(name);
          continue;
        }
        try {
          config.set(name as never, text as never);
        } catch (error) {
          // JSON.parse (format Object) quotes the start of its input in its message.
          const reason = error instanceof SyntaxError ? 'is not valid JSON' : toOneLine(redactValues(String((error as Error)?.message), clear));
          problems.push({ name, reason });
          failed.add(name);
        }
      }
      try {
        config.validate({ allowed: 'strict', output: () => undefined });
      } catch (error) {
        for (const p of this.#parse(String((error as Error).message), clear)) {
          if (failed.has(p.name)) continue;
          const missing = !values.has(p.name) && this.isRequired(p.name);
          problems.push(missing ? { name: p.name, reason: 'is required but no source has it' } : p);
        }
      }
    } finally {
      for (const name of this.names) active.delete(TOKEN_PREFIX + name);
    }
    return problems;
  }
}

/**
 * Whether a schema property is a secret: `sensitive: true` or one of the {@link SECRET_FORMATS}. Other
 * properties are settings (ports, URLs, flags).
 */
export function isSecretProperty(prop: { sensitive?: unknown; format?: unknown }): boolean {
  return prop.sensitive === true || (typeof prop.format === 'string' && (SECRET_FORMATS as readonly string[]).includes(prop.format));
}
