import * as fs from 'node:fs';
import * as path from 'node:path';
import { getLogger } from '../log/createLogger';
import { logWithNames } from '../log/summariseNames';
import type { SecretsRuntime } from '../runtime/SecretsRuntime';
import { sourceLabels } from '../sources/SourceSpec';
import { carryOver } from '../store/carryOver';
import { MountWatcher } from '../watch/MountWatcher';
import type { SecretSplit } from './deriveValues';
import { ProviderPoller, type PollOutcome } from './ProviderPoller';
import { candidateOptionsOf, loadCandidateSync, type MountReadAt } from './loadCandidate';
import type { PreloadSettings } from './settings';

/** Handles to stop refreshing (tests, shutdown). */
export interface RefreshHandle {
  close(): Promise<void>;
  /** Reload now (what a watcher event does). */
  reload(reason: string): void;
  /** Poll the provider sources now. */
  poll(): Promise<PollOutcome>;
}

/**
 * After start: watch every mount and re-read the whole candidate on change, feeding it to the runtime's
 * validate-and-swap. Values of non-mount sources are re-read too (cheap for env:, polled for providers).
 */
export function startRefresh(runtime: SecretsRuntime, settings: PreloadSettings, env: NodeJS.ProcessEnv, splits?: ReadonlyMap<string, SecretSplit>, loadedFrom: readonly MountReadAt[] = []): RefreshHandle {
  const log = getLogger();
  let lastFailure: string | undefined;
  const reload = (reason: string) => {
    try {
      // Mounts and env: are re-read; provider values are carried over (the poller refreshes those), so a file
      // change never blocks on a backend.
      const candidate = loadCandidateSync(settings.sources, runtime.sourceNames, runtime.arena, { ...candidateOptionsOf(settings, env), kinds: ['file', 'env'] });
      const providerLabels = new Set(settings.sources.flatMap((s) => (s.kind === 'provider' ? sourceLabels(s) : [])));
      const settled = new Set([...candidate.values.keys(), ...candidate.problems.map((p) => p.name)]);
      for (const [name, v] of runtime.snapshot?.values ?? []) {
        if (!settled.has(name) && providerLabels.has(v.source)) candidate.values.set(name, carryOver(runtime.arena, v));
      }
      lastFailure = undefined;
      const outcome = runtime.apply(candidate.values, candidate.problems);
      if (outcome.kind === 'unchanged' && runtime.state.status === 'degraded') runtime.setStatus('loaded');
      if (outcome.kind === 'rotated') logWithNames(log, 'info', 'names', outcome.names, { reason }, 'secrets rotated');
      else if (outcome.kind === 'rejected' && !outcome.isRepeat) logWithNames(log, 'error', 'problems', outcome.problems, { reason }, 'rotation rejected; the last good secrets stay in force');
    } catch (error) {
      const e = error as { code?: string; message?: string };
      runtime.setStatus('degraded', `${e.code ?? 'E_INTERNAL'}: sources could not be re-read`);
      if (e.message === lastFailure) return;
      lastFailure = e.message;
      runtime.emit('rejected', { names: [], reason: e.message ?? 'read failed', problems: [] });
      log.error({ code: e.code, err: e.message, reason }, 'secrets could not be re-read; the last good secrets stay in force');
    }
  };
  const poller = new ProviderPoller(runtime, settings.sources, { intervalMs: settings.pollMs, env, ...(splits ? { splits } : {}) });
  poller.start();
  runtime.reloader = async () => {
    reload('secrets.reload()');
    if (settings.sources.some((s) => s.kind === 'provider')) await poller.pollOnce();
  };
  const watchers: MountWatcher[] = [];
  const armed: Promise<void>[] = [];
  if (settings.shouldWatch) {
    for (const spec of settings.sources) {
      if (spec.kind !== 'file') continue;
      const w = new MountWatcher(spec.dir, {
        debounceMs: settings.debounceMs,
        recheckMs: settings.recheckMs,
        onChange: reload,
        onError: (e) => log.warn({ err: e.message, dir: spec.dir }, 'mount watcher error'),
        onRemount: ({ dir }) => log.warn({ dir }, 'mount remounted (its directory changed device, inode or birth time): watcher re-armed, mount re-read'),
      });
      watchers.push(w);
      // Re-check once when armed: a change between the load and the watch would otherwise be missed. An
      // atomic-writer mount whose `..data` still points where it did at load has not changed: no re-read.
      const at = loadedFrom.find((m) => m.dir === spec.dir);
      armed.push(w.start().then(() => (at && isUnmoved(at) ? undefined : reload('watcher armed'))));
    }
  }
  void Promise.all(armed).then(() => {
    runtime.isWatching = true;
    runtime.emit('watching', { mounts: watchers.length });
  });
  return {
    reload,
    poll: () => poller.pollOnce(),
    async close() {
      await Promise.all([...watchers.map((w) => w.close()), poller.close()]);
    },
  };
}

/** Whether an atomic-writer mount still shows the data dir it was read from (no swap since). */
function isUnmoved(at: MountReadAt): boolean {
  if (at.layout !== 'atomic-writer') return false;
  try {
    return fs.realpathSync.native(path.join(at.dir, '..data')) === at.dataDir;
  } catch {
    return false;
  }
}
