import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretsError } from '../errors/SecretsError';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Attempts after the first. Default 4. */
  retries?: number;
  /** Base delay of the exponential backoff, ms. Default 100. */
  baseMs?: number;
  /** Cap of one delay, ms. Default 2,000. */
  maxDelayMs?: number;
  /** Overall budget across attempts, ms. Default 10,000. */
  deadlineMs?: number;
  /** Per-attempt timeout, ms (the attempt gets an AbortSignal). Default 5,000. */
  timeoutMs?: number;
  /** Whether an error (already wrapped by the adapter) is worth another attempt. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each retry (for logs and metrics); never given a value. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected for tests. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

// The backoff timer is not unref'd: a retry in flight must keep the process alive until it resolves.
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Default: retry only ProviderUnavailableError (network, timeout, 5xx, throttling). */
export function isRetryableByDefault(error: unknown): boolean {
  return SecretsError.is(error) && error.code === ProviderUnavailableError.code;
}

/**
 * Run `attempt` with a timeout each time, retrying with exponential backoff and full jitter
 * (delay = random(0, min(maxDelay, base * 2^n))), bounded in count and in total time.
 * A non-retryable error is thrown at once; after the last attempt the last error is thrown.
 *
 * @example
 * ```ts
 * const v = await withRetry((signal) => client.get('X', { signal }), { retries: 3 });
 * ```
 */
export async function withRetry<T>(attempt: (signal: AbortSignal) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 4;
  const base = options.baseMs ?? 100;
  const cap = options.maxDelayMs ?? 2_000;
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const isRetryable = options.isRetryable ?? isRetryableByDefault;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  for (let n = 0; ; n++) {
    const controller = new AbortController();
    const remaining = deadline - Date.now();
    const timer = setTimeout(() => controller.abort(new ProviderUnavailableError(`Backend call timed out after ${timeoutMs} ms.`)), Math.max(1, Math.min(timeoutMs, remaining)));
    timer.unref?.();
    try {
      return await raceAbort(attempt(controller.signal), controller.signal);
    } catch (error) {
      if (!isRetryable(error) || n >= retries) throw error;
      const delayMs = Math.floor(random() * Math.min(cap, base * 2 ** n));
      if (Date.now() + delayMs >= deadline) throw error;
      options.onRetry?.({ attempt: n + 1, delayMs, error });
      await sleep(delayMs);
    } finally {
      clearTimeout(timer);
    }
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
