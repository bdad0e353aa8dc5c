import { getRuntime } from '../runtime/runtimeSlot';
import type { SecretsMetrics } from './SecretsMetrics';

/**
 * Count the preload's rotations (`rotated` -> ok, `rejected` -> rejected) in `metrics`. Call it once at start;
 * returns a function that stops counting. Does nothing when the preload is not loaded.
 *
 * @example
 * ```ts
 * observeSecrets(new SecretsMetrics({ registry: promClient.register }));
 * ```
 */
export function observeSecrets(metrics: SecretsMetrics): () => void {
  const runtime = getRuntime();
  if (!runtime) return () => undefined;
  metrics.loads.inc({ source: 'preload', outcome: 'loaded' });
  const onRotated = () => {
    metrics.rotations.inc({ outcome: 'ok' });
    metrics.loads.inc({ source: 'preload', outcome: 'rotated' });
  };
  const onRejected = () => {
    metrics.rotations.inc({ outcome: 'rejected' });
    metrics.loads.inc({ source: 'preload', outcome: 'rejected' });
  };
  runtime.on('rotated', onRotated);
  runtime.on('rejected', onRejected);
  return () => {
    runtime.off('rotated', onRotated);
    runtime.off('rejected', onRejected);
  };
}
