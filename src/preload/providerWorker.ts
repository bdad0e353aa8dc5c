import { type MessagePort, workerData } from 'node:worker_threads';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import { SecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import type { GetManyResult, ProviderClient } from '../providers/Provider';
import { ProviderRegistry } from '../providers/ProviderRegistry';
import { displayUri } from '../sources/SourceSpec';

/** Sent to the worker. */
export interface WorkerRequest {
  sources: { uri: string; failover?: string | undefined }[];
  /** Absent when the worker is started early: names and deadline come later as a `{ names, deadline }` message. */
  names?: string[];
  /** When the load must have answered (ms since the epoch): SECRETS_START_TIMEOUT_MS less a margin. */
  deadline?: number;
  flag: Int32Array;
  port: MessagePort;
}

/** Sent back: transferred value buffers, per-name problems, or one fatal error. */
export interface WorkerResponse {
  values: { name: string; bytes: ArrayBuffer; version: string; source: string }[];
  problems: ValidationProblem[];
  failovers: string[];
  /** Throttled rounds the load waited out (for logs and the fleet simulator). */
  throttledRounds?: number;
  fatal?: { code: string; message: string; problems?: ValidationProblem[] };
}

/** Options of {@link fetchAll}: the start budget and the backoff between throttled rounds. */
export interface FetchAllOptions {
  /** Absolute time (ms since the epoch) by which the load ends. Default: request.deadline (or now + 30 s). */
  deadline?: number;
  /** Base of the jittered backoff between throttled rounds, ms. Default 250. */
  backoffMs?: number;
  /** Cap of one backoff, ms. Default 4,000. */
  maxBackoffMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What {@link fetchAll} reads: the sources in priority order, the names, the deadline. */
export type FetchRequest = Omit<WorkerRequest, 'flag' | 'port' | 'names'> & { names: string[] };

const refSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fetch every name from provider sources in priority order: a later source serves names the earlier lacked.
 *
 * Unavailable is never reported as invalid (DESIGN invariant 8). Per source:
 * 1. Read the wanted names from the primary. A whole-call failure that is not "unavailable" (auth, config) is
 *    thrown as is (exit 78). A name the backend could not answer (throttled, 5xx, sealed, network) stays pending.
 * 2. Pending names are read from the failover, when one is configured.
 * 3. While the backend throttles any of the pending reads, they are read again after a jittered, growing
 *    backoff, for as long as the start budget lasts: a fleet starting at once waits for its share of the quota
 *    instead of exiting. A backend that only fails (no throttling) is not waited for.
 * 4. Names still pending after that make the load fail as unavailable (exit 69), one problem line per name.
 */
export async function fetchAll(
  request: FetchRequest,
  registry: Pick<ProviderRegistry, 'create'> = ProviderRegistry.withBuiltins(),
  opened: ProviderClient[] = [],
  options: FetchAllOptions = {},
): Promise<WorkerResponse> {
  // Clients are left open for the caller to close after it answered: closing may revoke a login token (a round
  // trip the app's start should not wait for).
  const response: WorkerResponse = { values: [], problems: [], failovers: [], throttledRounds: 0 };
  const deadline = options.deadline ?? request.deadline ?? Date.now() + 30_000;
  const base = options.backoffMs ?? 250;
  const cap = options.maxBackoffMs ?? 4_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? refSleep;
  const clients = new Map<string, Promise<ProviderClient>>();
  // One client per URI for the whole load (a failover is opened only when it is needed).
  const open = (uri: string) => {
    let client = clients.get(uri);
    if (!client) {
      client = registry.create(new URL(uri)).then(
        (c) => (opened.push(c), c),
        (error: unknown) => {
          // A login that failed (throttled, say) is tried again in the next round.
          clients.delete(uri);
          throw error;
        },
      );
      clients.set(uri, client);
    }
    return client;
  };
  // Calls in flight when the budget runs out are aborted: their secrets are reported as unavailable, one line each.
  let isThrottledSoFar = false;
  const budget = new AbortController();
  const timer = setTimeout(() => {
    const why = isThrottledSoFar ? ' while the backend was throttling' : '';
    budget.abort(new ProviderUnavailableError(`The start budget (SECRETS_START_TIMEOUT_MS) ran out${why} before the backend answered.`, { isThrottled: isThrottledSoFar }));
  }, Math.max(0, deadline - Date.now()));
  try {
    return await fetchSources(request, open, response, { deadline, base, cap, random, sleep, signal: budget.signal, onThrottled: () => (isThrottledSoFar = true) });
  } finally {
    clearTimeout(timer);
  }
}

interface RoundOptions {
  deadline: number;
  base: number;
  cap: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  signal: AbortSignal;
  onThrottled: () => void;
}

async function fetchSources(request: FetchRequest, open: (uri: string) => Promise<ProviderClient>, response: WorkerResponse, o: RoundOptions): Promise<WorkerResponse> {
  const { deadline, base, cap, random, sleep } = o;
  let wanted = [...request.names];
  for (const source of request.sources) {
    if (wanted.length === 0) break;
    const primaryLabel = displayUri(new URL(source.uri));
    // settled: served or refused here (no later source may paper over it); answered: includes "not found here".
    const settled = new Set<string>();
    const answered = new Set<string>();
    let pending = [...wanted];
    let unavailable = new Map<string, SecretsError>();
    let isFailoverUsed = false;
    for (let round = 0; ; round++) {
      unavailable = new Map();
      const attempts = source.failover ? [source.uri, source.failover] : [source.uri];
      for (const uri of attempts) {
        if (pending.length === 0) break;
        const label = displayUri(new URL(uri));
        // 1. and 2.
        const result = await readSource(open, uri, pending, o.signal);
        if (uri !== source.uri && result.found.size > 0) isFailoverUsed = true;
        for (const [name, secret] of result.found) {
          const copy = new ArrayBuffer(secret.value.length);
          new Uint8Array(copy).set(secret.value);
          secret.value.fill(0);
          response.values.push({ name, bytes: copy, version: secret.version, source: label });
          settled.add(name);
          unavailable.delete(name);
        }
        for (const [name, error] of result.errors) {
          if (error.code === ProviderUnavailableError.code) {
            unavailable.set(name, labelled(error, label));
            continue;
          }
          unavailable.delete(name);
          answered.add(name);
          // A later source may have a missing name; the schema decides whether it is required.
          if (error.code === SecretNotFoundError.code) continue;
          settled.add(name);
          response.problems.push({ name, reason: `${label}: ${error.message}` });
        }
        pending = pending.filter((n) => !settled.has(n) && !answered.has(n));
      }
      if (unavailable.size === 0) break;
      // 3.
      const delayMs = Math.floor(random() * Math.min(cap, base * 2 ** round));
      // A backend that throttles any of our reads is up but busy: a timeout or reset among them (common under
      // such load) is no reason to give up. Only when none is throttled is the backend taken to be down.
      const isThrottled = [...unavailable.values()].some((e) => ProviderUnavailableError.isThrottling(e));
      if (isThrottled) o.onThrottled();
      if (!isThrottled || Date.now() + delayMs >= deadline) break;
      response.throttledRounds = (response.throttledRounds ?? 0) + 1;
      await sleep(delayMs);
    }
    if (isFailoverUsed) response.failovers.push(`${primaryLabel} -> ${displayUri(new URL(source.failover!))}`);
    // 4.
    if (unavailable.size > 0) {
      for (const v of response.values) new Uint8Array(v.bytes).fill(0);
      const problems = [...unavailable].map(([name, error]) => ({ name, reason: error.message }));
      const isThrottled = [...unavailable.values()].every((e) => ProviderUnavailableError.isThrottling(e));
      throw new ProviderUnavailableError(
        `${problems.length} secret(s) could not be read from ${primaryLabel}${source.failover ? ' or its failover' : ''}: the backend is unavailable${isThrottled ? ' (throttling)' : ''}. Retry later.`,
        { problems, isThrottled },
      );
    }
    wanted = wanted.filter((n) => !settled.has(n));
  }
  return response;
}

/** One read of `names` from one source; a whole-call "unavailable" becomes a per-name error of every name. */
async function readSource(open: (uri: string) => Promise<ProviderClient>, uri: string, names: readonly string[], signal: AbortSignal): Promise<GetManyResult> {
  try {
    return await (await open(uri)).getMany(names, { signal });
  } catch (error) {
    if (!(SecretsError.is(error) && error.code === ProviderUnavailableError.code)) throw error;
    return { found: new Map(), errors: new Map(names.map((n) => [n, error])) };
  }
}

function labelled(error: SecretsError, label: string): SecretsError {
  if (error.message.startsWith(`${label}: `)) return error;
  return new ProviderUnavailableError(`${label}: ${error.message}`, { cause: error.cause, isThrottled: ProviderUnavailableError.isThrottling(error) });
}

if (workerData && (workerData as WorkerRequest).flag) {
  const request = workerData as WorkerRequest;
  const finish = (response: WorkerResponse) => {
    request.port.postMessage(response, response.values.map((v) => v.bytes));
    Atomics.store(request.flag, 0, 1);
    Atomics.notify(request.flag, 0);
  };
  const opened: ProviderClient[] = [];
  const answer = (names: string[], deadline: number | undefined, registry?: Pick<ProviderRegistry, 'create'>, unused: () => Promise<ProviderClient>[] = () => []) =>
    fetchAll({ sources: request.sources, names, ...(deadline !== undefined ? { deadline } : {}) }, registry, opened)
      .then(finish, (error: unknown) => {
        const code = SecretsError.is(error) ? error.code : 'E_PROVIDER_UNAVAILABLE';
        const message = SecretsError.is(error) ? error.message : 'The provider loader failed unexpectedly.';
        const problems = SecretsError.is(error) ? (error as { problems?: ValidationProblem[] }).problems : undefined;
        finish({ values: [], problems: [], failovers: [], fatal: { code, message, ...(problems ? { problems: [...problems] } : {}) } });
      })
      .finally(() => Promise.all([...opened.map((c) => c.close().catch(() => undefined)), ...unused().map((p) => p.then((c) => c.close()).catch(() => undefined))]));
  if (request.names) void answer(request.names, request.deadline);
  else {
    // Started early: open the primary sources' clients (loading their SDKs) while the main thread sets up the
    // validator and locked memory; the names follow as a message. A failed open surfaces when fetchAll awaits it
    // (and is opened again in a later round, as any failed login).
    const registry = ProviderRegistry.withBuiltins();
    const early = new Map(request.sources.map((s) => [s.uri, registry.create(new URL(s.uri))]));
    for (const p of early.values()) p.catch(() => undefined);
    const preopened = {
      create: (url: URL) => {
        const p = early.get(url.href);
        if (!p) return registry.create(url);
        early.delete(url.href);
        return p;
      },
    };
    request.port.once('message', (m: { names: string[]; deadline: number }) => void answer(m.names, m.deadline, preopened, () => [...early.values()]));
  }
}
