import * as path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { ConfigError } from '../errors/ConfigError';
import { ProviderAuthError } from '../errors/ProviderAuthError';
import { ProviderResponseError } from '../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import type { SecureArena } from '../memory/SecureArena';
import type { SourceSpec } from '../sources/SourceSpec';
import type { RawValue } from '../store/RawValue';
import type { WorkerRequest, WorkerResponse } from './providerWorker';

/** What the provider sources served. */
export interface ProvidersRead {
  values: Map<string, RawValue>;
  problems: ValidationProblem[];
  failovers: string[];
}

const ERRORS: Record<string, new (m: string) => SecretsError> = {
  [ProviderUnavailableError.code]: ProviderUnavailableError,
  [ProviderAuthError.code]: ProviderAuthError,
  [ConfigError.code]: ConfigError,
  [ProviderResponseError.code]: ProviderResponseError,
};

type ProviderSpec = SourceSpec & { kind: 'provider' };

interface LoaderWorker {
  key: string;
  env: NodeJS.ProcessEnv;
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

/** A worker started by {@link prestartProviders}, waiting for its names. */
let prestarted: LoaderWorker | undefined;

const keyOf = (specs: readonly ProviderSpec[]) => specs.map((s) => `${s.url.href} ${s.failover?.url.href ?? ''}`).join('\n');

function spawnLoader(specs: readonly ProviderSpec[], names: { names: string[]; deadline: number } | undefined, env: NodeJS.ProcessEnv): LoaderWorker {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const request: WorkerRequest = { sources: specs.map((s) => ({ uri: s.url.href, failover: s.failover?.url.href })), ...(names ?? {}), flag, port: port2 };
  const worker = new Worker(path.join(__dirname, 'providerWorker.js'), { workerData: request, transferList: [port2], env, stdout: false, stderr: false, execArgv: [] });
  worker.unref();
  return { key: keyOf(specs), env, worker, port: port1, flag };
}

/**
 * Start the loader worker of the first group of consecutive provider sources before the names are known, so its
 * start-up (a Node isolate, the provider SDK, the client) overlaps the main thread's set-up of the validator and
 * locked memory. {@link loadProvidersSync} of the same sources and environment then only sends the names. Call
 * it after the production guard removed the variables named like secrets: the worker copies `env`.
 */
export function prestartProviders(sources: readonly SourceSpec[], env: NodeJS.ProcessEnv): void {
  if (prestarted) return;
  const first = sources.findIndex((s) => s.kind === 'provider');
  if (first === -1) return;
  const group: ProviderSpec[] = [];
  for (let i = first; i < sources.length && sources[i]!.kind === 'provider'; i++) group.push(sources[i] as ProviderSpec);
  prestarted = spawnLoader(group, undefined, env);
}

/**
 * Fetch from provider sources synchronously, for `node -r`: provider SDKs are async, so a worker thread does
 * the fetch while this thread blocks on `Atomics.wait` (the app's first line must not run before a complete,
 * validated snapshot exists). The worker transfers the value buffers; they are copied into locked memory here
 * and zeroed at once.
 *
 * Failures come back as typed errors: a backend that could not answer, as a whole or for some secrets, is
 * ProviderUnavailableError with one problem per secret (exit 69); auth/config failures exit 78.
 */
export function loadProvidersSync(specs: readonly ProviderSpec[], names: readonly string[], arena: SecureArena, options: { timeoutMs: number; env: NodeJS.ProcessEnv }): ProvidersRead {
  // The worker stops starting new rounds a little before this thread gives up waiting, so a throttled load ends
  // with its own per-secret lines instead of a bare timeout.
  const deadline = Date.now() + Math.max(50, options.timeoutMs - Math.min(2_000, Math.floor(options.timeoutMs / 10)));
  let loader: LoaderWorker;
  if (prestarted && prestarted.key === keyOf(specs) && prestarted.env === options.env) {
    loader = prestarted;
    prestarted = undefined;
    loader.port.postMessage({ names: [...names], deadline });
  } else loader = spawnLoader(specs, { names: [...names], deadline }, options.env);
  const { worker, port: port1, flag } = loader;
  try {
    const result = Atomics.wait(flag, 0, 0, options.timeoutMs);
    const message = receiveMessageOnPort(port1)?.message as WorkerResponse | undefined;
    if (result === 'timed-out' && !message) {
      throw new ProviderUnavailableError(`Loading secrets from ${specs.map((s) => s.uri).join(', ')} took longer than ${options.timeoutMs} ms (SECRETS_START_TIMEOUT_MS).`);
    }
    if (!message) throw new ProviderUnavailableError('The provider loader stopped without an answer.');
    if (message.fatal) {
      if (message.fatal.code === ProviderUnavailableError.code) throw new ProviderUnavailableError(message.fatal.message, message.fatal.problems ? { problems: message.fatal.problems } : {});
      const Ctor = ERRORS[message.fatal.code] ?? ProviderUnavailableError;
      throw new Ctor(message.fatal.message);
    }
    const values = new Map<string, RawValue>();
    for (const v of message.values) {
      const bytes = new Uint8Array(v.bytes);
      values.set(v.name, { slice: arena.copyIn(bytes), version: v.version, source: v.source });
      bytes.fill(0);
    }
    return { values, problems: message.problems, failovers: message.failovers };
  } finally {
    port1.close();
    void worker.terminate();
  }
}
