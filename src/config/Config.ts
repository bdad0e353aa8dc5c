import { NotLoadedError } from '../errors/NotLoadedError';
import { SecretViaConfigError } from '../errors/SecretViaConfigError';
import { UnknownSettingError } from '../errors/UnknownSettingError';
import { getRuntime } from '../runtime/runtimeSlot';
import type { Register } from '../api/Secrets';
import { valueAt } from './SettingsModel';

type SecretFormat = 'secret' | 'secret-utf8' | 'secret-hex' | 'secret-base64';

/**
 * Whether a schema property is a secret. A `sensitive` that TypeScript widened to `boolean` (a schema written
 * without `as const` or {@link defineSchema}) counts as a secret: the safe side.
 */
export type IsSecret<P> = P extends { sensitive: false } ? (P extends { format: SecretFormat } ? true : false) : P extends { sensitive: boolean } ? true : P extends { format: SecretFormat } ? true : false;

type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T extends RegExp ? RegExp : T extends readonly (infer E)[] ? Widen<E>[] : T extends object ? { -readonly [K in keyof T]: Widen<T[K]> } : T;

type FromDefault<D> = [D] extends [null | undefined] ? unknown : Widen<D>;

/** The run-time type convict gives a format (`D` is the property's default). */
export type FormatValue<F, D> = F extends 'port' | 'int' | 'nat' | 'integer' | 'duration' | 'timestamp'
  ? number
  : F extends 'port_or_windows_named_pipe'
    ? number | string
    : F extends 'windows_named_pipe' | 'url' | 'email' | 'ipaddress'
      ? string
      : F extends NumberConstructor
        ? number
        : F extends BooleanConstructor
          ? boolean
          : F extends StringConstructor
            ? string
            : F extends RegExpConstructor
              ? RegExp
              : F extends ArrayConstructor
                ? [D] extends [readonly unknown[]] ? Widen<D> : unknown[]
                : F extends ObjectConstructor
                  ? [D] extends [object] ? Widen<D> : Record<string, unknown>
                  : F extends readonly (infer E)[]
                    ? E
                    : FromDefault<D>;

/** The value type of one setting: from its `format`, else its `default`; `nullable: true` adds `null`. */
export type SettingValue<P> = (P extends { format: infer F } ? FormatValue<F, P extends { default: infer D } ? D : undefined> : FromDefault<P extends { default: infer D } ? D : undefined>) | (P extends { nullable: true } ? null : never);

type IsLeaf<P> = P extends { default: unknown } ? true : false;

/** The value of a nested group: its settings by key. */
export type GroupValue<G> = { [K in keyof G as G[K] extends { default: unknown } ? (IsSecret<G[K]> extends true ? never : K) : K]: IsLeaf<G[K]> extends true ? SettingValue<G[K]> : GroupValue<G[K]> };

/** Every path `config.get` accepts for a schema: settings and groups, dotted for nested ones; never a secret. */
export type ConfigPath<S, Prefix extends string = ''> = {
  [K in keyof S & string]: IsLeaf<S[K]> extends true ? (IsSecret<S[K]> extends true ? never : `${Prefix}${K}`) : `${Prefix}${K}` | ConfigPath<S[K], `${Prefix}${K}.`>;
}[keyof S & string];

/** The type `config.get(path)` returns for a schema. */
export type ConfigValue<S, P extends string> = P extends `${infer H}.${infer R}`
  ? H extends keyof S
    ? ConfigValue<S[H], R>
    : never
  : P extends keyof S
    ? IsLeaf<S[P]> extends true
      ? SettingValue<S[P]>
      : GroupValue<S[P]>
    : never;

/** Paths of the registered schema (see {@link Register}), or `string` when none is registered. */
export type RegisteredPath = Register extends { schema: infer S } ? ConfigPath<S> : string;

/**
 * The app's typed configuration: the schema's settings (properties that are not secrets), with defaults
 * applied, coerced and validated by convict, from the sources, the environment (a property's `env` key) and
 * defaults. Values belong to the current snapshot and change with it on a hot-swap (`secrets.on('rotated')`
 * names them).
 */
export interface Config<S = Register extends { schema: infer R } ? R : undefined> {
  /**
   * The value of a setting or group. A secret is a compile error and throws `E_SECRET_VIA_CONFIG`; an unknown
   * path throws `E_UNKNOWN_SETTING`. Objects are frozen.
   *
   * @example
   * ```ts
   * const port: number = config.get('SMTP_PORT');
   * const max: number = config.get('db.pool.max');
   * ```
   */
  get<P extends [S] extends [undefined] ? string : ConfigPath<S>>(path: P): [S] extends [undefined] ? unknown : ConfigValue<S, P>;
  /** Whether the schema declares this setting (or group). */
  has(path: string): boolean;
  /** Every setting as one frozen object (never a secret). */
  getProperties(): [S] extends [undefined] ? Readonly<Record<string, unknown>> : GroupValue<S>;
}

function runtime() {
  const r = getRuntime();
  if (!r?.snapshot) throw new NotLoadedError('Configuration is not loaded. Start node with -r @valuecanvas/secrets/register (or NODE_OPTIONS=--require=@valuecanvas/secrets/register).');
  return r;
}

class ConfigFacade {
  get(path: string): unknown {
    const r = runtime();
    const model = r.settingsModel;
    const kind = model?.kind(String(path));
    if (kind === 'secret' || (!model && r.validator.names.includes(String(path)))) {
      throw new SecretViaConfigError(`${String(path).slice(0, 128)} is a secret: read it with secrets.use(name, fn). config gives settings only.`);
    }
    if (!kind) throw new UnknownSettingError(`${String(path).slice(0, 128)} is not a setting of the schema. Declare it (with a default) or check the spelling; nested settings use dotted paths (db.pool.max).`);
    return valueAt(r.snapshot!.settings, path);
  }

  has(path: string): boolean {
    const kind = getRuntime()?.settingsModel?.kind(String(path));
    return kind === 'setting' || kind === 'group';
  }

  getProperties(): Readonly<Record<string, unknown>> {
    return runtime().snapshot!.settings;
  }

  toString(): string {
    return '[config]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[config]';
  }
}

/** The process's settings, loaded by the preload with the secrets. Typed by {@link Register}. */
export const config: Config = new ConfigFacade() as unknown as Config;

/**
 * The same `config`, typed by a schema type without module augmentation.
 *
 * @example
 * ```ts
 * const config = typedConfig<typeof schema>();
 * const port: number = config.get('SMTP_PORT'); // 'SMTP_PRT' or a secret would not compile
 * ```
 */
export function typedConfig<S>(): Config<S> {
  return config as unknown as Config<S>;
}

/**
 * Declare a schema with its literal types kept (`format: 'port'`, `sensitive: true`, enum arrays), so
 * `config.get` infers precise types without `as const`. Returns the schema unchanged.
 *
 * @example
 * ```ts
 * export default defineSchema({
 *   DB_PASSWORD: { format: 'secret-utf8', default: null, sensitive: true },
 *   SMTP_PORT: { format: 'port', default: 587, env: 'SMTP_PORT' },
 *   db: { pool: { max: { format: 'nat', default: 10 } } },
 * });
 * ```
 */
export function defineSchema<const S extends Record<string, object>>(schema: S): S {
  return schema;
}
