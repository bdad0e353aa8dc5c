import type { Logger } from 'pino';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { isSecretsError } from '../../errors/SecretsError';
import type { VaultTokenGrant } from './vaultLogin';
import type { VaultTransport } from './VaultTransport';

/** Settings of a {@link VaultTokenSession}. */
export interface VaultTokenSessionOptions {
  transport: VaultTransport;
  /** Obtain a token (log in, or read the configured token and look it up). */
  acquire: () => Promise<VaultTokenGrant>;
  /** Whether acquire() can yield a new token (a login method, or a token file that an agent rewrites). */
  canReacquire: boolean;
  logger?: Logger;
  /** Fraction of the TTL after which we renew or log in again. Default 2/3. */
  renewFraction?: number;
}

const MIN_DELAY_MS = 250;
const MIN_REACQUIRE_INTERVAL_MS = 2_000;

/**
 * Owns the Vault token of one client and keeps it alive:
 * 1. start(): acquire a token (login or lookup-self) and schedule step 2 or 3 at 2/3 of its TTL.
 * 2. A renewable token is renewed with `POST auth/token/renew-self {increment: <first TTL>}`. When Vault grants
 *    less than asked (the token nears its max TTL) and we can log in again, step 3 is scheduled instead.
 * 3. A login-based (or file-based) token that cannot be renewed further is replaced by a fresh acquire().
 * 4. On demand, refresh() re-acquires after a call was refused (token revoked or expired early); concurrent
 *    refreshes share one login, and a refresh right after a login is refused (a policy denial is not cured by
 *    logging in again).
 * 5. close() stops the timer and revokes a token we logged in for (best effort).
 * Timers are unref'd: they never keep the process alive. The token is never logged.
 *
 * @example
 * ```ts
 * const session = new VaultTokenSession({ transport, acquire: () => vaultLogin(config, transport, env), canReacquire: true });
 * await session.start();
 * ```
 */
export class VaultTokenSession {
  readonly #o: VaultTokenSessionOptions;
  #grant: VaultTokenGrant | undefined;
  #expiresAt = Infinity;
  #firstTtl = 0;
  #acquiredAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<boolean> | undefined;
  #closed = false;
  #failuresInARow = 0;
  /** Counters for tests and metrics (never a token). */
  readonly stats = { acquired: 0, renewed: 0, failures: 0 };

  constructor(options: VaultTokenSessionOptions) {
    this.#o = options;
  }

  /** The current token. */
  get token(): string {
    if (!this.#grant) throw new ProviderAuthError('The Vault client has no token: it was closed or never logged in.');
    return this.#grant.token;
  }

  get canReacquire(): boolean {
    return this.#o.canReacquire;
  }

  async start(): Promise<void> {
    await this.#acquire();
  }

  /**
   * Get a new token after `staleToken` was refused. Resolves true when a different token is now in use.
   */
  refresh(staleToken: string): Promise<boolean> {
    if (this.#closed || !this.#o.canReacquire) return Promise.resolve(false);
    if (this.#grant && this.#grant.token !== staleToken) return Promise.resolve(true);
    if (Date.now() - this.#acquiredAt < MIN_REACQUIRE_INTERVAL_MS) return Promise.resolve(false);
    this.#refreshing ??= this.#acquire()
      .then(() => this.#grant?.token !== staleToken)
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const grant = this.#grant;
    this.#grant = undefined;
    if (grant?.fromLogin) {
      await this.#o.transport.send({ method: 'POST', path: '/auth/token/revoke-self', token: grant.token }, { operation: 'token revoke' }).catch(() => undefined);
    }
  }

  async #acquire(): Promise<void> {
    const grant = await this.#o.acquire();
    if (this.#closed) return;
    this.stats.acquired++;
    this.#grant = grant;
    this.#acquiredAt = Date.now();
    this.#failuresInARow = 0;
    this.#firstTtl = grant.creationTtlSeconds ?? grant.ttlSeconds;
    this.#expiresAt = grant.ttlSeconds > 0 ? Date.now() + grant.ttlSeconds * 1000 : Infinity;
    this.#o.logger?.debug({ provider: 'vault', ttlSeconds: grant.ttlSeconds, renewable: grant.renewable }, 'vault token acquired');
    this.#plan(grant.ttlSeconds, grant.renewable, false);
  }

  /** Schedule the next step for a token with `ttlSeconds` left. `capped`: Vault granted less than asked. */
  #plan(ttlSeconds: number, renewable: boolean, capped: boolean): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed || ttlSeconds <= 0) return;
    const delay = Math.max(MIN_DELAY_MS, ttlSeconds * 1000 * (this.#o.renewFraction ?? 2 / 3));
    if (renewable && !(capped && this.#o.canReacquire)) this.#schedule(delay, () => this.#renew());
    else if (this.#o.canReacquire) this.#schedule(delay, () => this.#acquire());
    else this.#o.logger?.debug({ provider: 'vault', ttlSeconds }, 'vault token cannot be renewed; it will expire');
  }

  #schedule(delayMs: number, step: () => Promise<void>): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      step().catch((error: unknown) => this.#onStepFailed(error, step));
    }, delayMs);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    const grant = this.#grant;
    if (!grant || this.#closed) return;
    const { body } = await this.#o.transport.send(
      { method: 'POST', path: '/auth/token/renew-self', token: grant.token, json: { increment: `${this.#firstTtl}s` } },
      { operation: 'token renew' },
    );
    if (this.#closed || this.#grant !== grant) return;
    const auth = (body as { auth?: { lease_duration?: unknown; renewable?: unknown } } | null)?.auth;
    const ttl = typeof auth?.lease_duration === 'number' ? auth.lease_duration : 0;
    const renewable = auth?.renewable === true;
    this.stats.renewed++;
    this.#failuresInARow = 0;
    this.#expiresAt = ttl > 0 ? Date.now() + ttl * 1000 : Infinity;
    this.#o.logger?.debug({ provider: 'vault', ttlSeconds: ttl, renewable }, 'vault token renewed');
    this.#plan(ttl, renewable, ttl < this.#firstTtl);
  }

  /** A scheduled step failed: try again while the token lives; when it is gone, calls will refresh on demand. */
  #onStepFailed(error: unknown, step: () => Promise<void>): void {
    if (this.#closed) return;
    this.stats.failures++;
    this.#failuresInARow++;
    const left = this.#expiresAt - Date.now();
    this.#o.logger?.warn(
      { provider: 'vault', code: isSecretsError(error) ? error.code : undefined, reason: isSecretsError(error) ? error.message : 'unexpected error', msLeft: Number.isFinite(left) ? left : undefined },
      'vault token renewal failed',
    );
    const refused = isSecretsError(error) && error.code === ProviderAuthError.code;
    if (refused && !this.#o.canReacquire) return; // revoked or expired static token: nothing to do but report
    if (left > 2 * MIN_DELAY_MS) {
      // A refused renewal (revoked, at max TTL) is not retried as such: log in again.
      this.#schedule(Math.max(MIN_DELAY_MS, left / 3), refused ? () => this.#acquire() : step);
    } else if (this.#o.canReacquire) {
      // The token is gone: keep trying to log in, backing off to once a minute.
      this.#schedule(Math.min(60_000, 1_000 * 2 ** Math.min(6, this.#failuresInARow)), () => this.#acquire());
    }
  }
}
