import type { ValidationProblem } from '../errors/ValidationError';
import type { SecureArena } from '../memory/SecureArena';
import { readMount, type MountLayout } from '../sources/file/readMount';
import type { SourceSpec } from '../sources/SourceSpec';
import type { PreloadSettings } from './settings';
import { deriveValues, objectNameOf, type SecretSplit } from './deriveValues';
import type { RawValue } from '../store/RawValue';
import { releaseValues } from '../store/releaseValues';

/** Where a mount's values were read from: the `..data` target for the atomic-writer layout. */
export interface MountReadAt {
  dir: string;
  layout: MountLayout;
  dataDir: string;
}

/** A candidate snapshot read from every source, before validation. */
export interface Candidate {
  values: Map<string, RawValue>;
  problems: ValidationProblem[];
  /** Environment variables that served values (development only). */
  envKeys: string[];
  /** Layout detected for each mount, and the directory its values were read from. */
  layouts: MountReadAt[];
  /** Provider sources that answered through their failover. */
  failovers: string[];
}

/** Options of {@link loadCandidateSync}. */
export interface LoadCandidateOptions {
  env: NodeJS.ProcessEnv;
  maxFileBytes: number;
  shouldStripTrailingNewline: boolean;
  startTimeoutMs: number;
  /** Only these kinds (the watcher re-reads mounts only). */
  kinds?: SourceSpec['kind'][];
  /** Secrets read from another provider object or a JSON field of one. */
  splits?: ReadonlyMap<string, SecretSplit>;
  /** Values of skipped kinds to keep (reused from the current snapshot by the caller). */
}

/** The read options a preload's settings give (start-up and every reload use the same). */
export function candidateOptionsOf(settings: PreloadSettings, env: NodeJS.ProcessEnv): LoadCandidateOptions {
  return { env, maxFileBytes: settings.maxFileBytes, shouldStripTrailingNewline: settings.shouldStripTrailingNewline, startTimeoutMs: settings.startTimeoutMs };
}

/**
 * Read every source in priority order; a later source serves only the names earlier ones lack. A name with a
 * read problem (unsafe file, too large, backend refused) is settled: no later source may paper over it.
 * Mounts and `env:` are read synchronously; providers through a worker thread the caller blocks on.
 */
export function loadCandidateSync(specs: readonly SourceSpec[], names: readonly string[], arena: SecureArena, options: LoadCandidateOptions): Candidate {
  const candidate: Candidate = { values: new Map(), problems: [], envKeys: [], layouts: [], failovers: [] };
  const settled = () => new Set([...candidate.values.keys(), ...candidate.problems.map((p) => p.name)]);
  try {
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      if (options.kinds && !options.kinds.includes(spec.kind)) continue;
      const done = settled();
      const wanted = names.filter((n) => !done.has(n));
      if (wanted.length === 0) break;
      if (spec.kind === 'file') {
        const read = readMount(spec.dir, wanted, arena, { maxFileBytes: options.maxFileBytes, shouldStripTrailingNewline: options.shouldStripTrailingNewline });
        candidate.layouts.push({ dir: spec.dir, layout: read.layout, dataDir: read.dataDir });
        for (const [n, v] of read.values) candidate.values.set(n, v);
        candidate.problems.push(...read.problems);
      } else if (spec.kind === 'env') {
        const { readEnv } = require('../sources/env/readEnv') as typeof import('../sources/env/readEnv');
        const read = readEnv(wanted, options.env, spec.prefix, arena);
        for (const [n, v] of read.values) candidate.values.set(n, v);
        candidate.envKeys.push(...read.keys);
      } else {
        // Consecutive provider sources are fetched in one blocking worker round trip.
        const group: (SourceSpec & { kind: 'provider' })[] = [];
        while (i < specs.length && specs[i]!.kind === 'provider') group.push(specs[i++] as SourceSpec & { kind: 'provider' });
        i--;
        // Loaded only when a provider source is configured (worker threads, provider errors).
        const { loadProvidersSync } = require('./loadProvidersSync') as typeof import('./loadProvidersSync');
        const splits = options.splits ?? new Map<string, SecretSplit>();
        const objects = [...new Set(wanted.map((n) => objectNameOf(n, splits)))];
        const read = loadProvidersSync(group, objects, arena, { timeoutMs: options.startTimeoutMs, env: options.env });
        const derived = deriveValues(wanted, splits, read.values, read.problems, arena);
        for (const [n, v] of derived.values) candidate.values.set(n, v);
        candidate.problems.push(...derived.problems);
        candidate.failovers.push(...read.failovers);
      }
    }
  } catch (error) {
    releaseValues(candidate.values.values());
    throw error;
  }
  return candidate;
}
