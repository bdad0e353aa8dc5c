import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type NodeVault from 'node-vault';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { isSecretsError } from '../../errors/SecretsError';
import { isRetryableByDefault, withRetry } from '../retry';
import { mapVaultError, type VaultErrorContext } from './mapVaultError';

/** One HTTP call to the Vault API (path after `/v1`, e.g. `/secret/data/app/X?version=2`). */
export interface VaultRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'LIST';
  path: string;
  json?: unknown;
  /** Sent as X-Vault-Token; omitted for logins. */
  token?: string;
  /** Resolve a 404 as `{ notFound: true, body }` (whose body may still hold metadata) instead of throwing. */
  allowNotFound?: boolean;
}

/** The answer: the parsed body (or whatever the server sent when it was not JSON). */
export interface VaultReply {
  notFound: boolean;
  body: unknown;
}

/** One address of the cluster and the node-vault client bound to it. */
export interface VaultEndpoint {
  address: string;
  vault: NodeVault.client;
}

/** Settings of a {@link VaultTransport}. */
export interface VaultTransportOptions {
  /** The nodes of the cluster in the order of the URI (one for a single server). */
  endpoints: readonly VaultEndpoint[];
  namespace?: string;
  timeoutMs: number;
  retries: number;
  /** keep-alive agent for the address's protocol; destroyed by close(). */
  agent: HttpAgent | HttpsAgent;
  isHttps: boolean;
  logger?: Logger;
}

/**
 * The only path to the network: node-vault's raw `request` with our token and namespace headers and a
 * keep-alive agent, every call wrapped in {@link withRetry} (per-attempt timeout, exponential backoff with full
 * jitter, retries only for ProviderUnavailableError) and every failure mapped by {@link mapVaultError}.
 * The token is passed per request and never stored on the node-vault client.
 *
 * With several endpoints (`node=` in the URI), one attempt sends to the endpoint that answered last and, when it
 * is unavailable (connection refused, timeout, 412/429/5xx), to each other endpoint in turn before withRetry backs
 * off; the first endpoint that answers becomes the one used next (logged once per change).
 *
 * @example
 * ```ts
 * const { body } = await transport.send({ method: 'GET', path: '/sys/health' }, { operation: 'health' });
 * ```
 */
export class VaultTransport {
  readonly #o: VaultTransportOptions;
  /** Index of the endpoint that answered last. */
  #current = 0;
  /** Counters for tests and metrics: switches to another endpoint. */
  readonly stats = { failovers: 0 };

  constructor(options: VaultTransportOptions) {
    if (options.endpoints.length === 0) throw new TypeError('VaultTransport needs at least one endpoint.');
    this.#o = options;
  }

  /** The address of the endpoint in use (the one that answered last). */
  get address(): string {
    return this.#o.endpoints[this.#current]!.address;
  }

  async send(request: VaultRequest, context: Omit<VaultErrorContext, 'address' | 'timeoutMs'>, signal?: AbortSignal): Promise<VaultReply> {
    const o = this.#o;
    const count = o.endpoints.length;
    const headers: Record<string, string> = {};
    if (request.token) headers['X-Vault-Token'] = request.token;
    if (o.namespace) headers['X-Vault-Namespace'] = o.namespace;
    if (request.method === 'PATCH') headers['Content-Type'] = 'application/merge-patch+json';
    const one = async (endpoint: VaultEndpoint): Promise<VaultReply> => {
      const full: VaultErrorContext = { ...context, address: endpoint.address, timeoutMs: o.timeoutMs };
      if (signal?.aborted) throw aborted(full, signal);
      try {
        const body: unknown = await endpoint.vault.request({
          method: request.method,
          path: request.path,
          headers,
          timeout: o.timeoutMs,
          ...(request.json !== undefined ? { json: request.json } : {}),
          ...(o.isHttps ? { httpsAgent: o.agent } : { httpAgent: o.agent }),
        });
        return { notFound: false, body };
      } catch (error) {
        const response = (error as { response?: { statusCode?: unknown; body?: unknown } } | null)?.response;
        if (request.allowNotFound && response?.statusCode === 404) return { notFound: true, body: response.body };
        throw mapVaultError(error, full);
      }
    };
    return withRetry(
      async () => {
        // The endpoint that answered last, then the others in order, each once per attempt.
        const start = this.#current;
        let last: unknown;
        for (let k = 0; k < count; k++) {
          const index = (start + k) % count;
          try {
            const reply = await one(o.endpoints[index]!);
            this.#use(index, start, context.operation);
            return reply;
          } catch (error) {
            if (!isRetryableByDefault(error) || signal?.aborted) throw error;
            last = error;
          }
        }
        throw last;
      },
      {
        retries: o.retries,
        timeoutMs: (o.timeoutMs + 100) * count,
        deadlineMs: (o.timeoutMs + 2_000) * (o.retries + 1) * count,
        isRetryable: (error) => isRetryableByDefault(error) && !signal?.aborted,
        // A referenced timer: withRetry's default sleep is unref'd, so a script awaiting a retried call could
        // exit in the middle of the backoff with its promise never settled.
        sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
        onRetry: ({ attempt, delayMs, error }) =>
          o.logger?.warn(
            { provider: 'vault', operation: context.operation, secret: context.name, attempt, delayMs, code: isSecretsError(error) ? error.code : undefined, reason: isSecretsError(error) ? error.message : undefined },
            'vault call failed; retrying',
          ),
      },
    );
  }

  #use(index: number, previous: number, operation: string): void {
    if (index === previous || this.#current !== previous) return;
    this.#current = index;
    this.stats.failovers++;
    this.#o.logger?.warn(
      { provider: 'vault', operation, from: this.#o.endpoints[previous]!.address, to: this.#o.endpoints[index]!.address },
      'vault node unavailable; now using another node of the cluster',
    );
  }

  /** Close idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#o.agent.destroy();
  }
}

function aborted(context: VaultErrorContext, signal: AbortSignal): Error {
  if (isSecretsError(signal.reason)) return signal.reason;
  return new ProviderUnavailableError(`Vault ${context.operation}${context.name ? ` of "${context.name}"` : ''} was aborted by the caller.`);
}
