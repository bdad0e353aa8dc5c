import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from '../errors/ConfigError';
import { isSecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import { configureLogger, getLogger } from '../log/createLogger';
import { splitSchema } from '../config/SettingsModel';
import { logWithNames } from '../log/summariseNames';
import { loadSchema } from '../schema/loadSchema';
import { isSecretProperty, SchemaValidator } from '../schema/SchemaValidator';
import type { SecretsSchema } from '../schema/SecretsSchema';
import { SecretsRuntime } from '../runtime/SecretsRuntime';
import { getRuntime, setRuntime } from '../runtime/runtimeSlot';
import { installExitHooks } from './installExitHooks';
import { candidateOptionsOf, loadCandidateSync, type MountReadAt } from './loadCandidate';
import { EXIT_CONFIG, EXIT_UNAVAILABLE } from './exitCodes';
import { splitsOf, type SecretSplit } from './deriveValues';
import { readSettings, type PreloadSettings } from './settings';

export { EXIT_CONFIG, EXIT_UNAVAILABLE };

/**
 * The preload: runs before the app's first line (`node -r @valuecanvas/secrets/register app.js`).
 *
 * 1. Do nothing off the main thread (workers and pino transports inherit --require) or when already loaded.
 * 2. Read settings from the environment; refuse `env:` outside development (NODE_ENV development or test).
 * 3. Load the schema; in production remove variables named like its secrets from process.env (before any
 *    worker or the app can read them); read every source into locked memory (providers through a worker).
 * 4. Validate the whole snapshot; any problem -> exit 78 (69 when a backend is unreachable), one line per
 *    problem naming the secret and the reason, and one structured pino record. Never a value.
 * 5. Publish the runtime, install exit hooks (zero on exit, signals, fatal exceptions).
 * 6. After the app's first tick: log the load, arm watchers / polling (deferred so start-up stays cheap).
 */
export function runPreload(env: NodeJS.ProcessEnv = process.env): SecretsRuntime | undefined {
  // 1.
  if (!isMainThread || getRuntime()) return getRuntime();
  // Package managers run under the same NODE_OPTIONS in containers (`npm start`): they need no secrets, and the
  // app they start loads its own. Loading here would only copy the values into one more process.
  if (isPackageManager(process.argv[1])) return undefined;
  const startedAt = process.hrtime.bigint();
  let loaded: LoadedSecrets;
  try {
    loaded = loadSecretsSync(env);
  } catch (error) {
    failStart(error);
  }
  const { runtime, settings, envKeys, failovers, splits, removedEnvKeys, mounts } = loaded;
  // 5.
  setRuntime(runtime);
  installExitHooks(() => runtime.zeroAll());
  const log = () => getLogger();
  if (envKeys.length > 0) logWithNames(log(), 'warn', 'keys', envKeys, {}, 'development: secrets taken from environment variables (refused in production)');
  if (removedEnvKeys.length > 0) logWithNames(log(), 'warn', 'keys', removedEnvKeys, {}, 'production: environment variables named like secrets were removed from process.env (never read); stop setting them: /proc/<pid>/environ keeps the initial copy');
  if (settings.isProduction) {
    const ignored = runtime.validator.names.filter((n) => env[n] !== undefined && runtime.settingsModel?.kind(n) !== 'setting');
    if (ignored.length > 0) logWithNames(log(), 'warn', 'names', ignored, {}, 'production: environment variables named like secrets are ignored; remove them from the environment');
  }
  for (const f of failovers) log().warn({ failover: f }, 'primary source unavailable at start; loaded from its failover');
  // 6.
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const ready = setImmediate(() => {
    const snap = runtime.snapshot!;
    logWithNames(log(), 'info', 'names', [...snap.values.keys()], { sources: settings!.sources.map((x) => x.uri), startMs: Math.round(ms * 10) / 10 }, 'secrets loaded');
    // Loaded here, after the app's first line: the watcher and polling are not needed to start.
    (require('./startRefresh') as typeof import('./startRefresh')).startRefresh(runtime, settings!, env, splits, mounts);
  });
  ready.unref();
  return runtime;
}

/** What {@link loadSecretsSync} returns. */
export interface LoadedSecrets {
  runtime: SecretsRuntime;
  settings: PreloadSettings;
  envKeys: string[];
  failovers: string[];
  splits: ReadonlyMap<string, SecretSplit>;
  /** Production: variables named like schema secrets that were deleted from the environment (names only). */
  removedEnvKeys: string[];
  /** Where each mount was read from (lets the watcher skip a re-read when nothing moved since). */
  mounts: MountReadAt[];
}

/**
 * Steps 2-4 of the preload without exiting: read settings, load the schema and every source, validate.
 * Throws the typed error of the first failure (ValidationError lists every problem). Used by the preload and
 * by `vc-secrets check`.
 */
export function loadSecretsSync(env: NodeJS.ProcessEnv): LoadedSecrets {
  // 2.
  const settings = readSettings(env);
  configureLogger({ level: settings.logLevel, destination: settings.logDestination });
  // 3.
  const schema = loadSchema(settings.schemaPath);
  const removedEnvKeys = settings.isProduction ? removeSecretVariables(schema, env) : [];
  // Provider sources: their loader worker starts now (after the variables named like secrets are gone from the
  // environment it copies) and gets ready while the validator and locked memory load.
  if (settings.sources.some((s) => s.kind === 'provider')) (require('./loadProvidersSync') as typeof import('./loadProvidersSync')).prestartProviders(settings.sources, env);
  // Settings read their `env` keys here (in every mode); the guard above removed only secrets' variables.
  const parts = splitSchema(schema, env);
  const validator = new SchemaValidator(parts.flat);
  // Every slab that cannot be locked reports; the operator needs to hear it once, as one plain line.
  let hasWarnedLock = false;
  const versionKey = settings.versionKeyFile ? readVersionKey(settings.versionKeyFile) : undefined;
  const runtime = new SecretsRuntime(validator, {
    ...(versionKey ? { digestKey: versionKey } : {}),
    shouldRequireLock: settings.shouldRequireMlock,
    onLockFailure: () => {
      if (hasWarnedLock) return;
      hasWarnedLock = true;
      process.stderr.write('@valuecanvas/secrets: warning: secure memory could not be locked (RLIMIT_MEMLOCK), so secrets may be swapped to disk. Raise the memlock limit (ulimit -l, or the container runtime\'s memlock ulimit), or set SECRETS_REQUIRE_MLOCK=1 to refuse to start instead.\n');
    },
  }, parts.settings);
  versionKey?.fill(0); // the digest holds its own derived key in locked memory
  runtime.graceMs = settings.graceMs;
  const splits = splitsOf(schema);
  const candidate = loadCandidateSync(settings.sources, runtime.sourceNames, runtime.arena, { ...candidateOptionsOf(settings, env), splits });
  // 4.
  runtime.apply(candidate.values, candidate.problems);
  return { runtime, settings, envKeys: candidate.envKeys, failovers: candidate.failovers, splits, removedEnvKeys, mounts: candidate.layouts };
}

/**
 * Delete the variables named like the schema's secrets (the property name, and a convict `env` key of a secret
 * property) from `env`; returns their names. Settings that are not secret are left alone. Deleting from
 * process.env unsets the variable for this process and its future children and workers; the kernel's
 * /proc/<pid>/environ still shows the environment the process started with.
 */
export function removeSecretVariables(schema: SecretsSchema, env: NodeJS.ProcessEnv): string[] {
  const removed: string[] = [];
  for (const [name, prop] of Object.entries(schema)) {
    if (!isSecretProperty(prop)) continue;
    for (const key of [name, typeof prop.env === 'string' ? prop.env : undefined]) {
      if (key === undefined || env[key] === undefined || removed.includes(key)) continue;
      delete env[key];
      removed.push(key);
    }
  }
  return removed;
}

/** The exit code and the lines a failed load prints (never a value). */
export function describeFailure(error: unknown): { exitCode: number; code: string; problems: ValidationProblem[] } {
  const code = isSecretsError(error) ? error.code : 'E_INTERNAL';
  const listed = isSecretsError(error) ? (error as { problems?: readonly ValidationProblem[] }).problems : undefined;
  const problems: ValidationProblem[] = Array.isArray(listed) && listed.length > 0 ? [...listed] : [{ name: settingName(error), reason: reasonOf(error) }];
  return { exitCode: code === 'E_PROVIDER_UNAVAILABLE' ? EXIT_UNAVAILABLE : EXIT_CONFIG, code, problems };
}

function failStart(error: unknown): never {
  const { exitCode, code, problems } = describeFailure(error);
  const lines = problems.map((p) => `@valuecanvas/secrets: ${p.name}: ${p.reason}`).join('\n');
  process.stderr.write(`${lines}\n@valuecanvas/secrets: refusing to start (exit ${exitCode}).\n`);
  try {
    logWithNames(getLogger(), 'fatal', 'problems', problems, { code, exitCode }, 'secrets failed to load; refusing to start');
  } catch {
    // the plain lines above already told the operator
  }
  process.exit(exitCode);
}

function settingName(error: unknown): string {
  const code = isSecretsError(error) ? error.code : '';
  if (code === 'E_ENV_IN_PRODUCTION' || code === 'E_MOUNT_READ') return 'SECRETS_SOURCE';
  if (code === 'E_SCHEMA_LOAD') return 'SECRETS_SCHEMA';
  const m = isSecretsError(error) ? /^(SECRETS_[A-Z_]+)/.exec(error.message) : null;
  if (m?.[1]) return m[1];
  // Source URIs and backends (bad provider config, credentials, reachability) are the source setting's problem.
  if (code === 'E_CONFIG' || code.startsWith('E_PROVIDER_') || code === 'E_UNSAFE_FILE') return 'SECRETS_SOURCE';
  return 'secrets';
}

function reasonOf(error: unknown): string {
  if (!isSecretsError(error)) return `unexpected error (${(error as Error)?.name ?? 'unknown'}); report it with the log`;
  return error.message.replace(/^SECRETS_[A-Z_]+: /, '');
}

/** The deployment's version key: read once; the caller zeroes it once the digest derived its own key. */
function readVersionKey(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`SECRETS_VERSION_KEY_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Mount the deployment's version key there, or unset it.`);
  }
  if (bytes.length < 16) {
    bytes.fill(0);
    throw new ConfigError(`SECRETS_VERSION_KEY_FILE: ${file} holds ${bytes.length} bytes; use at least 16 random bytes (e.g. head -c 32 /dev/urandom), the same for every replica.`);
  }
  return bytes;
}

function isPackageManager(script: string | undefined): boolean {
  if (!script) return false;
  // vc-secrets too: the operator CLI runs in the app container under the same NODE_OPTIONS (doctor is needed
  // exactly when the preload refuses to start) and loads what it checks itself.
  return /(^|[/\\])(npm-cli|npx-cli|npm|npx|yarn|yarn\.js|pnpm|pnpm\.cjs|corepack|vc-secrets)(\.c?js)?$/.test(script) || /[/\\]node_modules[/\\](npm|corepack|pnpm|yarn)[/\\]/.test(script);
}
