import { isUtf8 } from 'node:buffer';
import { SchemaLoadError } from '../errors/SchemaLoadError';
import type { ValidationProblem } from '../errors/ValidationError';
import { piecesOf, quotesValue, redactValues, toOneLine, WITHHELD } from './redactValues';
import type { SecretsSchema } from './SecretsSchema';

type Convict = typeof import('convict');

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

/** The bytes of a schema default (a value from a source is already bytes). */
function bytesOf(value: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new Error('must be a secret value');
}

function checkLength(bytes: Uint8Array, schema: { minBytes?: unknown; maxBytes?: unknown }): void {
  if (bytes.length === 0) throw new Error('must not be empty');
  if (typeof schema.minBytes === 'number' && bytes.length < schema.minBytes) throw new Error(`must be at least ${schema.minBytes} bytes`);
  if (typeof schema.maxBytes === 'number' && bytes.length > schema.maxBytes) throw new Error(`must be at most ${schema.maxBytes} bytes`);
}

const ascii = (bytes: Uint8Array, ok: (c: number) => boolean) => {
  for (const c of bytes) if (!ok(c)) return false;
  return true;
};
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isB64 = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61;

type SecretFormat = (typeof SECRET_FORMATS)[number];
type ByteCheck = (bytes: Uint8Array, schema: Record<string, unknown>) => void;

/** The byte checks of the `secret*` formats (throw an Error whose message is the reason; never a value). */
const BYTE_CHECKS: Record<SecretFormat, ByteCheck> = {
  secret: (b, schema) => checkLength(b, schema),
  'secret-utf8': (b, schema) => {
    checkLength(b, schema);
    if (!isUtf8(b)) throw new Error('must be valid UTF-8');
    if (b.includes(0)) throw new Error('must not contain NUL bytes');
  },
  'secret-hex': (b, schema) => {
    checkLength(b, schema);
    if (b.length % 2 !== 0 || !ascii(b, isHex)) throw new Error('must be hexadecimal with an even number of digits');
  },
  'secret-base64': (b, schema) => {
    checkLength(b, schema);
    const eq = b.indexOf(61);
    const ok = b.length % 4 === 0 && ascii(b, isB64) && (eq === -1 || eq >= b.length - 2) && (eq === -1 || ascii(b.subarray(eq), (c) => c === 61));
    if (!ok) throw new Error('must be padded standard base64');
  },
};

/** Formats convict needs for the properties it validates (`url`), and the byte formats for any other user. */
function addFormats(convict: Convict): void {
  if (formatsAdded) return;
  formatsAdded = true;
  // Only when the app has not registered its own `url` (e.g. convict-format-with-validator).
  try {
    convict({ probe: { format: 'url', default: null, nullable: true } } as never);
  } catch {
    convict.addFormat({ name: 'url', validate: checkUrl } as never);
  }
  const formats: Record<string, { validate: (v: unknown, schema: Record<string, unknown>) => void }> = {};
  for (const f of SECRET_FORMATS) formats[f] = { validate: (v, schema) => BYTE_CHECKS[f](bytesOf(v), schema) };
  convict.addFormats(formats as unknown as Parameters<Convict['addFormats']>[0]);
}

function loadConvict(): Convict {
  const convict = require('convict') as Convict;
  addFormats(convict);
  return convict;
}

/** Convict instances validate at most this many properties each (its validate is quadratic in their number). */
const CONVICT_CHUNK = 64;

/**
 * A property of an opaque format (`String`, `'*'`, `secret*`), validated here with convict's semantics, linear
 * in the number of properties (see docs/decisions/0004-linear-validation.md).
 */
interface OpaqueProperty {
  name: string;
  prop: Record<string, unknown>;
  /** `undefined` for `String` and `'*'` (any present value passes). */
  check: ByteCheck | undefined;
  isString: boolean;
}

/** Convict's outcome for an opaque property: the reason it fails, or undefined. */
function checkOpaque(p: OpaqueProperty, view: Uint8Array | undefined): string | undefined {
  try {
    if (view) {
      p.check?.(view, p.prop);
      return undefined;
    }
    // No source has it: convict validates the default (skipped when it is undefined; null passes when nullable).
    const d = p.prop.default;
    if (d === undefined || (p.prop.nullable && d === null)) return undefined;
    if (p.isString) {
      if (Object.prototype.toString.call(d) !== '[object String]') throw new Error('must be of type String');
    } else if (p.check) {
      p.check(bytesOf(d), p.prop);
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Properties convict validates, in one instance. */
interface ConvictGroup {
  def: Record<string, Record<string, unknown>>;
  /** The instance the schema check built, unused: the first validate() (the start) takes it. */
  fresh?: ReturnType<Convict> | undefined;
}

/** A validator's message as one redacted line, or {@link WITHHELD} when redacting it left a piece of a value. */
function printable(message: string, values: readonly string[]): string {
  const line = toOneLine(redactValues(message, values));
  return quotesValue(line, piecesOf(values)) ? WITHHELD : line;
}

/**
 * Validates a whole snapshot with convict's semantics, without handing sensitive values to JS strings where
 * avoidable, in time linear in the number of secrets.
 *
 * Properties of the opaque formats (built-in `String`, `'*'`, the `secret*` formats) are checked here, as convict
 * would check them: a present value of `String` or `'*'` always passes, the `secret*` formats validate the bytes
 * in locked memory, and a missing value is judged by the property's default and `nullable`. Convict itself is
 * loaded only for the other formats (int, url, custom functions), which need the text: those values become
 * short-lived JS strings during validation (documented; keep such settings non-sensitive), validated in groups of
 * at most 64 properties per convict instance (convict's own validate is quadratic in their number).
 * Convict never imports values from `process.env` or argv here (env and args are emptied), and every property is
 * treated as sensitive so no value is ever printed; any copy of a value in a validator's message is redacted.
 *
 * @example
 * ```ts
 * const problems = new SchemaValidator(schema).validate(new Map([['DB_PASSWORD', view]]));
 * ```
 */
export class SchemaValidator {
  readonly #schema: SecretsSchema;
  /** Properties checked without convict, in schema order. */
  readonly #opaque: OpaqueProperty[] = [];
  /** The other properties, in groups of at most {@link CONVICT_CHUNK}. */
  readonly #groups: ConvictGroup[] = [];
  readonly #numeric = new Map<string, NonNullable<ReturnType<typeof numericKind>>>();
  readonly names: readonly string[];

  /**
   * Checks the schema itself: convict must accept the properties it validates (a known format for each), and
   * every default that is not `null` must be valid. Throws SchemaLoadError naming the property (never a value).
   */
  constructor(schema: SecretsSchema) {
    this.#schema = schema;
    this.names = Object.keys(schema);
    let group: ConvictGroup | undefined;
    for (const name of this.names) {
      const prop = schema[name]!;
      const f = prop.format;
      if (f === String || f === 'String' || f === '*') {
        this.#opaque.push({ name, prop, check: undefined, isString: f !== '*' });
        continue;
      }
      if (typeof f === 'string' && (SECRET_FORMATS as readonly string[]).includes(f)) {
        this.#opaque.push({ name, prop, check: BYTE_CHECKS[f as SecretFormat], isString: false });
        continue;
      }
      if (!group || Object.keys(group.def).length === CONVICT_CHUNK) this.#groups.push((group = { def: {} }));
      const copy: Record<string, unknown> = { ...prop, sensitive: true };
      delete copy.env;
      delete copy.arg;
      group.def[name] = copy;
      const kind = numericKind(f);
      if (kind) this.#numeric.set(name, kind);
    }
    this.#checkSchema();
  }

  /** Whether a property has no usable default, i.e. a missing value is an error. */
  isRequired(name: string): boolean {
    const d = this.#schema[name]?.default;
    return d === null || d === undefined;
  }

  #checkSchema(): void {
    const wrong: string[] = [];
    // Opaque formats are known; a default that is not null must pass the checks a value would.
    for (const p of this.#opaque) {
      if (this.isRequired(p.name)) continue;
      const reason = checkOpaque(p, undefined);
      if (reason !== undefined) wrong.push(`the default of ${p.name} is invalid: ${reason}`);
    }
    if (this.#groups.length > 0) {
      const convict = loadConvict();
      for (const group of this.#groups) {
        // Defaults are not secret values, but a schema may carry one anyway: never echo them.
        const defaults = Object.values(group.def).flatMap((p) => (typeof p.default === 'string' ? [p.default] : []));
        try {
          group.fresh = convict(group.def as never, { env: {}, args: [] });
        } catch (error) {
          const message = error instanceof SyntaxError ? 'a default is not valid JSON' : printable(String((error as Error)?.message), defaults);
          throw new SchemaLoadError(`SECRETS_SCHEMA: the schema is not valid: ${message}. Use a convict format or one of ${[...SECRET_FORMATS, 'url'].join(', ')} (see the README).`);
        }
        const names = Object.keys(group.def);
        for (const name of names) {
          const d = group.def[name]!.default;
          const reason = typeof d === 'string' ? numericProblem(this.#numeric.get(name), d) : undefined;
          if (reason) wrong.push(`the default of ${name} is invalid: ${reason}`);
        }
        // Only properties with a default: validating required ones would only report them missing (and convict's
        // assertion errors cost ~50 µs each, which adds up at start with hundreds of secrets).
        const withDefault = names.filter((n) => !this.isRequired(n));
        try {
          if (withDefault.length > 0) convict(Object.fromEntries(withDefault.map((n) => [n, group.def[n]])) as never, { env: {}, args: [] }).validate({ allowed: 'strict', output: () => undefined });
        } catch (error) {
          for (const p of parseConvictMessage(String((error as Error).message), defaults, group.def)) {
            if (!wrong.some((w) => w.startsWith(`the default of ${p.name} `))) wrong.push(`the default of ${p.name} is invalid: ${p.reason}`);
          }
        }
      }
    }
    if (wrong.length > 0) throw new SchemaLoadError(`SECRETS_SCHEMA: ${wrong.join('; ')}. Fix the default in the schema (or use default: null to make the secret required).`);
  }

  /** The problems of a candidate snapshot (in schema order); empty when it is valid. */
  validate(values: ReadonlyMap<string, Uint8Array>): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    for (const p of this.#opaque) {
      const view = values.get(p.name);
      const reason = checkOpaque(p, view);
      if (reason !== undefined) problems.push({ name: p.name, reason: !view && this.isRequired(p.name) ? 'is required but no source has it' : reason });
    }
    if (this.#groups.length === 0) return problems;
    for (const group of this.#groups) this.#validateGroup(group, values, problems);
    // Schema order (only needed when convict reported too; built per call, no memory kept per secret).
    const order = new Map(this.names.map((n, i) => [n, i]));
    const rank = (name: string) => order.get(name) ?? Infinity;
    return problems.sort((a, b) => rank(a.name) - rank(b.name));
  }

  /** Validate one group of properties with convict (the schema check's instance the first time, then a new one). */
  #validateGroup(group: ConvictGroup, values: ReadonlyMap<string, Uint8Array>, problems: ValidationProblem[]): void {
    const config = group.fresh ?? loadConvict()(group.def as never, { env: {}, args: [] });
    group.fresh = undefined;
    const clear: string[] = [];
    const failed = new Set<string>();
    for (const name of Object.keys(group.def)) {
      const view = values.get(name);
      if (!view) continue;
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
        const reason = error instanceof SyntaxError ? 'is not valid JSON' : printable(String((error as Error)?.message), clear);
        problems.push({ name, reason });
        failed.add(name);
      }
    }
    try {
      config.validate({ allowed: 'strict', output: () => undefined });
    } catch (error) {
      for (const p of parseConvictMessage(String((error as Error).message), clear, group.def)) {
        if (failed.has(p.name)) continue;
        const missing = !values.has(p.name) && this.isRequired(p.name);
        problems.push(missing ? { name: p.name, reason: 'is required but no source has it' } : p);
      }
    }
  }
}

/**
 * convict's message, one `name: reason` line per problem, as problems. Values are redacted from the whole
 * message before it is split: a validator that echoes a value with line breaks must not spread it over lines
 * that no longer contain it whole. A line that does not start with a property name continues the previous one.
 */
function parseConvictMessage(message: string, clear: readonly string[], def: Record<string, unknown>): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  let current: ValidationProblem | undefined;
  for (const line of redactValues(message, clear).split('\n')) {
    const m = /^([^:\s]+): ([^]*)$/.exec(line);
    if (m && Object.prototype.hasOwnProperty.call(def, m[1]!)) {
      current = { name: m[1]!, reason: m[2]! };
      problems.push(current);
    } else if (current) current.reason += ` ${line}`;
    else if (line.trim()) problems.push((current = { name: '(schema)', reason: line }));
  }
  let pieces: string[] | undefined;
  for (const p of problems) {
    p.reason = toOneLine(p.reason) || 'is invalid';
    if (quotesValue(p.reason, (pieces ??= piecesOf(clear)))) p.reason = WITHHELD;
  }
  return problems;
}

/**
 * Whether a schema property is a secret: `sensitive: true` or one of the {@link SECRET_FORMATS}. Other
 * properties are settings (ports, URLs, flags).
 */
export function isSecretProperty(prop: { sensitive?: unknown; format?: unknown }): boolean {
  return prop.sensitive === true || (typeof prop.format === 'string' && (SECRET_FORMATS as readonly string[]).includes(prop.format));
}
