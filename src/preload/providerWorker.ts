import { type MessagePort, workerData } from 'node:worker_threads';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import { SecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import type { ProviderClient } from '../providers/Provider';
import { ProviderRegistry } from '../providers/ProviderRegistry';
import { displayUri } from '../sources/SourceSpec';

/** Sent to the worker. */
export interface WorkerRequest {
  sources: { uri: string; failover?: string | undefined }[];
  names: string[];
  flag: Int32Array;
  port: MessagePort;
}

/** Sent back: transferred value buffers, per-name problems, or one fatal error. */
export interface WorkerResponse {
  values: { name: string; bytes: ArrayBuffer; version: string; source: string }[];
  problems: ValidationProblem[];
  failovers: string[];
  fatal?: { code: string; message: string };
}

/**
 * Fetch every name from provider sources in priority order (a later source serves names the earlier lacked;
 * a failover is used only when its primary is unavailable as a whole).
 */
export async function fetchAll(request: Omit<WorkerRequest, 'flag' | 'port'>, registry = ProviderRegistry.withBuiltins(), opened: ProviderClient[] = []): Promise<WorkerResponse> {
  // Clients are left open for the caller to close after it answered: closing may revoke a login token (a round
  // trip the app's start should not wait for).
  const response: WorkerResponse = { values: [], problems: [], failovers: [] };
  let wanted = [...request.names];
  for (const source of request.sources) {
    if (wanted.length === 0) break;
    let label = displayUri(new URL(source.uri));
    const open = async (uri: string) => {
      const client = await registry.create(new URL(uri));
      opened.push(client);
      return client;
    };
    let result;
    try {
      result = await (await open(source.uri)).getMany(wanted);
    } catch (error) {
      if (!source.failover || !(SecretsError.is(error) && error.code === 'E_PROVIDER_UNAVAILABLE')) throw error;
      const failoverLabel = displayUri(new URL(source.failover));
      response.failovers.push(`${label} -> ${failoverLabel}`);
      label = failoverLabel;
      result = await (await open(source.failover)).getMany(wanted);
    }
    for (const [name, secret] of result.found) {
      const copy = new ArrayBuffer(secret.value.length);
      new Uint8Array(copy).set(secret.value);
      secret.value.fill(0);
      response.values.push({ name, bytes: copy, version: secret.version, source: label });
    }
    for (const [name, error] of result.errors) {
      if (error.code === SecretNotFoundError.code) continue; // a later source may have it; the schema decides
      response.problems.push({ name, reason: `${label}: ${error.message}` });
    }
    const settled = new Set([...result.found.keys(), ...response.problems.map((p) => p.name)]);
    wanted = wanted.filter((n) => !settled.has(n));
  }
  return response;
}

if (workerData && (workerData as WorkerRequest).flag) {
  const request = workerData as WorkerRequest;
  const finish = (response: WorkerResponse) => {
    request.port.postMessage(response, response.values.map((v) => v.bytes));
    Atomics.store(request.flag, 0, 1);
    Atomics.notify(request.flag, 0);
  };
  const opened: ProviderClient[] = [];
  fetchAll(request, undefined, opened)
    .then(finish, (error: unknown) => {
      const code = SecretsError.is(error) ? error.code : 'E_PROVIDER_UNAVAILABLE';
      const message = SecretsError.is(error) ? error.message : 'The provider loader failed unexpectedly.';
      finish({ values: [], problems: [], failovers: [], fatal: { code, message } });
    })
    .finally(() => Promise.all(opened.map((c) => c.close().catch(() => undefined))));
}
