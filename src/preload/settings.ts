import { ConfigError } from '../errors/ConfigError';
import { EnvSourceForbiddenError } from '../errors/EnvSourceForbiddenError';
import { parseSources } from '../sources/parseSources';
import type { SourceSpec } from '../sources/SourceSpec';

/** The preload's settings, read from the environment (where to look and how; never secret values). */
export interface PreloadSettings {
  sources: SourceSpec[];
  schemaPath: string;
  /**
   * False only when NODE_ENV is exactly `development` or `test`. Everything else (`production`, `staging`,
   * `prod`, unset, empty) gets the production guards: no `env:` source, secret-named variables removed.
   */
  isProduction: boolean;
  logLevel: string;
  logDestination: string;
  maxFileBytes: number;
  shouldStripTrailingNewline: boolean;
  shouldRequireMlock: boolean;
  /** Safety-net re-read of mounts, ms (0 = off). */
  recheckMs: number;
  /** Quiet time before reloading after per-file changes, ms. */
  debounceMs: number;
  /** Provider polling interval, ms, jittered ±10%. */
  pollMs: number;
  /** Budget of the blocking provider load at start, ms. */
  startTimeoutMs: number;
  /** Whether to watch at all. */
  shouldWatch: boolean;
  /** How long a value replaced by a hot-swap stays readable as `previous` (ms; 0 = not kept). */
  graceMs: number;
  /** A file whose bytes key the version digests, shared by a deployment's replicas (undefined: per process). */
  versionKeyFile: string | undefined;
}

/** " Did you mean SECRETS_SOURCE?" when a variable with a near-miss name is set (SECRET_SOURCE, secrets_source). */
export function nearMiss(env: NodeJS.ProcessEnv, wanted: string): string {
  const near = Object.keys(env).filter((k) => k !== wanted && env[k] && distance(k.toUpperCase(), wanted) <= 2);
  return near.length > 0 ? ` ${near.slice(0, 3).join(', ')} is set: did you mean ${wanted}?` : '';
}

/** Levenshtein distance, bounded work (names are short). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number, min = 0): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${key} must be an integer >= ${min}, got "${raw.slice(0, 32)}".`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw.slice(0, 32)}".`);
}

/** NODE_ENV values that turn the production guards off; anything else, unset included, keeps them on. */
export const DEVELOPMENT_ENVS: readonly string[] = ['development', 'test'];

/**
 * Read and check every setting. Throws ConfigError (or EnvSourceForbiddenError for `env:` outside development);
 * the preload turns those into exit 78.
 */
export function readSettings(env: NodeJS.ProcessEnv): PreloadSettings {
  // Fail closed: a typo (`prod`), another stage (`staging`) or a forgotten NODE_ENV is production.
  const isProduction = !DEVELOPMENT_ENVS.includes(env.NODE_ENV ?? '');
  // Both required settings are checked before failing, so one run reports everything that is missing.
  let sources: SourceSpec[] | undefined;
  let sourceError: unknown;
  try {
    sources = parseSources(env.SECRETS_SOURCE);
  } catch (error) {
    sourceError = error;
  }
  const schemaPath = env.SECRETS_SCHEMA;
  const schemaProblem = schemaPath ? undefined : `SECRETS_SCHEMA is not set.${nearMiss(env, 'SECRETS_SCHEMA')} Point it at a module exporting the convict schema of your secrets.`;
  if (sourceError !== undefined || schemaProblem !== undefined) {
    const sourceProblem = sourceError === undefined ? undefined : env.SECRETS_SOURCE ? (sourceError as Error).message : (sourceError as Error).message.replace('is not set.', `is not set.${nearMiss(env, 'SECRETS_SOURCE')}`);
    if (sourceProblem === undefined) throw new ConfigError(schemaProblem!);
    if (schemaProblem === undefined) {
      if (!env.SECRETS_SOURCE) throw new ConfigError(sourceProblem);
      throw sourceError;
    }
    throw new ConfigError(`${sourceProblem} ${schemaProblem}`, {
      problems: [
        { name: 'SECRETS_SOURCE', reason: sourceProblem.replace(/^SECRETS_SOURCE: /, '') },
        { name: 'SECRETS_SCHEMA', reason: schemaProblem },
      ],
    });
  }
  if (isProduction && sources!.some((s) => s.kind === 'env')) {
    const current = env.NODE_ENV === undefined ? 'NODE_ENV is not set' : `NODE_ENV is ${JSON.stringify(env.NODE_ENV.slice(0, 32))}`;
    throw new EnvSourceForbiddenError(`SECRETS_SOURCE: the env: source is allowed only when NODE_ENV is exactly development or test (${current}); no secret may come from process.env elsewhere. Mount the secrets or use a provider, or set NODE_ENV=development on a developer machine.`);
  }
  return {
    sources: sources!,
    schemaPath: schemaPath!,
    isProduction,
    logLevel: env.SECRETS_LOG_LEVEL || 'info',
    logDestination: env.SECRETS_LOG_DESTINATION || 'stderr',
    maxFileBytes: int(env, 'SECRETS_MAX_FILE_BYTES', 65_536, 1),
    shouldStripTrailingNewline: bool(env, 'SECRETS_STRIP_TRAILING_NEWLINE', true),
    shouldRequireMlock: bool(env, 'SECRETS_REQUIRE_MLOCK', false),
    recheckMs: int(env, 'SECRETS_RECHECK_MS', 60_000),
    debounceMs: int(env, 'SECRETS_DEBOUNCE_MS', 50),
    pollMs: int(env, 'SECRETS_POLL_MS', 300_000, 1_000),
    startTimeoutMs: int(env, 'SECRETS_START_TIMEOUT_MS', 30_000, 100),
    shouldWatch: bool(env, 'SECRETS_WATCH', true),
    graceMs: int(env, 'SECRETS_GRACE_MS', 300_000),
    versionKeyFile: env.SECRETS_VERSION_KEY_FILE || undefined,
  };
}
