import { splitSchema, SettingsModel } from '../config/SettingsModel';
import { SchemaValidator } from '../schema/SchemaValidator';
import { checkSchema } from '../schema/loadSchema';
import { SecretsRuntime, type ApplyOutcome } from '../runtime/SecretsRuntime';
import { getRuntime, setRuntime } from '../runtime/runtimeSlot';
import type { RawValue } from '../store/RawValue';

/** Options of {@link installSecrets}. */
export interface InstallSecretsOptions {
  /** Secret values by name (strings are UTF-8). With a schema, validated by it like the preload does. */
  values?: Record<string, string | Uint8Array>;
  /**
   * Settings for `config.get`, by dotted path (`'db.pool.max': 5`) or as nested objects. With a schema they
   * override its defaults and are validated; without one they are the settings as given (and `rotate` may
   * change only those paths).
   */
  settings?: Record<string, unknown>;
  /** The app's convict schema: values and settings are checked by it, defaults apply. */
  schema?: Record<string, unknown>;
  /** Environment the schema's `env` keys read (default: none, so tests do not depend on the machine). */
  env?: NodeJS.ProcessEnv;
}

/** What {@link installSecrets} returns. */
export interface InstalledSecrets {
  /**
   * Swap in new values and settings (merged over the current ones) as one snapshot, like a hot-swap: emits
   * `rotated` with the changed names, or `rejected` (the last values stay) when the schema refuses them.
   */
  rotate(update: { values?: Record<string, string | Uint8Array>; settings?: Record<string, unknown> }): ApplyOutcome;
  /** Put back what was installed before (the preload's runtime, or nothing) and zero the test values. */
  restore(): void;
}

/** Dotted paths of a (possibly nested) settings object; arrays and non-plain objects are values. */
function flatten(settings: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(settings)) {
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) flatten(value as Record<string, unknown>, `${prefix}${key}.`, out);
    else out[prefix + key] = value;
  }
  return out;
}

/**
 * Install secrets and settings for a unit test, without a mount or the preload: `secrets` and `config` in the
 * app's code read them, in any module registry of the process (Jest, Vitest, node:test). `restore()` afterwards.
 *
 * @example
 * ```ts
 * import { installSecrets } from '@valuecanvas/secrets/testing';
 * let installed;
 * beforeEach(() => { installed = installSecrets({ values: { DB_PASSWORD: 'test-pw' }, settings: { SMTP_PORT: 2525 } }); });
 * afterEach(() => installed.restore());
 * test('reconnects on rotation', () => { installed.rotate({ values: { DB_PASSWORD: 'next' } }); });
 * ```
 */
export function installSecrets(options: InstallSecretsOptions = {}): InstalledSecrets {
  const previous = getRuntime();
  let settingsValues = flatten(options.settings ?? {});
  let runtime: SecretsRuntime;
  if (options.schema) {
    const parts = splitSchema(checkSchema(options.schema, 'installSecrets schema'), options.env ?? {});
    runtime = new SecretsRuntime(new SchemaValidator(parts.flat), {}, parts.settings);
  } else {
    // No schema: the settings given are the schema (their values its defaults), so config knows their paths.
    const schema: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(settingsValues)) {
      const keys = path.split('.');
      let node = schema;
      for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
      node[keys.at(-1)!] = { default: value, format: '*' };
    }
    runtime = new SecretsRuntime(new SchemaValidator({}), {}, new SettingsModel(schema, {}));
  }
  let values: Record<string, string | Uint8Array> = { ...options.values };
  const offer = (): ApplyOutcome => {
    runtime.settingsModel!.setOverrides(settingsValues);
    const candidate = new Map<string, RawValue>();
    for (const [name, v] of Object.entries(values)) candidate.set(name, { slice: runtime.arena.copyIn(typeof v === 'string' ? Buffer.from(v, 'utf8') : v), source: 'installSecrets' });
    return runtime.apply(candidate);
  };
  offer();
  setRuntime(runtime);
  runtime.isWatching = true;
  return {
    rotate(update) {
      const before = { values, settingsValues };
      values = { ...values, ...update.values };
      settingsValues = { ...settingsValues, ...flatten(update.settings ?? {}) };
      const outcome = offer();
      if (outcome.kind === 'rejected') ({ values, settingsValues } = before);
      return outcome;
    },
    restore() {
      if (getRuntime() === runtime) setRuntime(previous);
      runtime.removeAllListeners();
      runtime.zeroAll();
    },
  };
}
