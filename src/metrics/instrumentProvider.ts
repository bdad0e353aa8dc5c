import type { Span } from '@opentelemetry/api';
import { SecretsError } from '../errors/SecretsError';
import type { ProviderClient } from '../providers/Provider';
import type { SecretsMetrics } from './SecretsMetrics';

const OPERATIONS = ['get', 'getMany', 'currentVersion', 'put', 'listVersions', 'list', 'delete', 'health'] as const;

/**
 * Wrap a provider client so every call is counted and timed in `metrics`, and traced as an OpenTelemetry span
 * when the app has registered a tracer (the OTel API is a no-op otherwise). Span attributes are the scheme and
 * operation only: never a name, a path or a value.
 *
 * @example
 * ```ts
 * const client = instrumentProvider(await registry.create(uri), metrics);
 * ```
 */
export function instrumentProvider<T extends ProviderClient>(client: T, metrics?: SecretsMetrics): T {
  const otel = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const tracer = otel.trace.getTracer('@valuecanvas/secrets');
  const provider = client.scheme;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || !(OPERATIONS as readonly (string | symbol)[]).includes(prop)) return typeof value === 'function' ? value.bind(target) : value;
      const operation = String(prop);
      return (...args: unknown[]) =>
        tracer.startActiveSpan(`secrets.provider.${operation}`, { attributes: { 'secrets.provider': provider, 'secrets.operation': operation } }, async (span: Span) => {
          const end = metrics?.backendLatency.startTimer({ provider, operation });
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            metrics?.backendCalls.inc({ provider, operation, outcome: 'ok' });
            return result;
          } catch (error) {
            const code = SecretsError.is(error) ? error.code : 'E_INTERNAL';
            metrics?.backendCalls.inc({ provider, operation, outcome: code });
            span.setStatus({ code: otel.SpanStatusCode.ERROR, message: code });
            throw error;
          } finally {
            end?.();
            span.end();
          }
        });
    },
  });
}
