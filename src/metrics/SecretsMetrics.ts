import type { Counter, Histogram, Registry } from 'prom-client';

/** Options of {@link SecretsMetrics}. */
export interface SecretsMetricsOptions {
  /** Register into this prom-client registry (e.g. the app's default `register`); default a new one. */
  registry?: Registry;
  /** Metric name prefix. Default `vc_secrets_`. */
  prefix?: string;
}

/**
 * Prometheus metrics of the library, through prom-client: a registry the app can expose on its `/metrics`.
 * Labels are bounded: provider scheme, operation, outcome, permission, cache result. Never a secret value, never a
 * secret name or tenant id (unbounded cardinality, and names can be sensitive).
 *
 * @example
 * ```ts
 * const metrics = new SecretsMetrics({ registry: promClient.register });
 * app.get('/metrics', async (_req, res) => res.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
 * ```
 */
export class SecretsMetrics {
  readonly registry: Registry;
  readonly loads: Counter<'source' | 'outcome'>;
  readonly rotations: Counter<'outcome'>;
  readonly cacheRequests: Counter<'result'>;
  readonly backendCalls: Counter<'provider' | 'operation' | 'outcome'>;
  readonly backendLatency: Histogram<'provider' | 'operation'>;
  readonly denials: Counter<'permission'>;
  readonly auditFailures: Counter<never>;

  constructor(options: SecretsMetricsOptions = {}) {
    const prom = require('prom-client') as typeof import('prom-client');
    this.registry = options.registry ?? new prom.Registry();
    const p = options.prefix ?? 'vc_secrets_';
    const registers = [this.registry];
    this.loads = new prom.Counter({ name: `${p}loads_total`, help: 'Snapshot loads and reloads by source kind and outcome (loaded, rotated, unchanged, rejected, failed).', labelNames: ['source', 'outcome'], registers });
    this.rotations = new prom.Counter({ name: `${p}rotations_total`, help: 'Rotations by outcome (ok, rejected, failed).', labelNames: ['outcome'], registers });
    this.cacheRequests = new prom.Counter({ name: `${p}cache_requests_total`, help: 'Cache lookups by result (hit, miss, stale).', labelNames: ['result'], registers });
    this.backendCalls = new prom.Counter({ name: `${p}backend_calls_total`, help: 'Provider calls by provider scheme, operation and outcome (ok or an error code).', labelNames: ['provider', 'operation', 'outcome'], registers });
    this.backendLatency = new prom.Histogram({ name: `${p}backend_call_seconds`, help: 'Provider call latency.', labelNames: ['provider', 'operation'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.denials = new prom.Counter({ name: `${p}rbac_denials_total`, help: 'Accesses refused by the access policy, by missing permission.', labelNames: ['permission'], registers });
    this.auditFailures = new prom.Counter({ name: `${p}audit_failures_total`, help: 'Audit events that could not be written.', registers });
  }
}
