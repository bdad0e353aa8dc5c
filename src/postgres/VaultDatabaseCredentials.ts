import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigError } from '../errors/ConfigError';
import { ProviderAuthError } from '../errors/ProviderAuthError';
import { ProviderResponseError } from '../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecureArena, type LockedSlice } from '../memory/SecureArena';
import { extractJsonField } from '../schema/extractJsonField';
import type { PgCredentialSource } from './RotatingPool';

/** Options of {@link VaultDatabaseCredentials}. */
export interface VaultDatabaseCredentialsOptions {
  /** `http(s)://host:port` of Vault / OpenBao. */
  address: string;
  /** A token allowed to read `path` and renew/revoke its leases; or a function giving the current one. */
  token: string | (() => string | Promise<string>);
  /** The credentials endpoint, e.g. `database/creds/app` (no leading `/v1/`). */
  path: string;
  /** Extra CA (PEM file) for an https address. Verification is always on. */
  caFile?: string;
  namespace?: string;
  /**
   * Act when this fraction of a lease's lifetime is left: renew it, or issue a new credential once renewal no
   * longer pushes the expiry far enough (max_ttl reached). Default 0.34 (act at two thirds, as Vault Agent does).
   */
  renewAtRemaining?: number;
  /** Revoke the leases this process holds on close(). Default true. */
  shouldRevokeOnClose?: boolean;
  /** A retired credential's lease is revoked this long (ms) after the switch, so pools drain first. Default: left to expire. */
  revokeRetiredAfterMs?: number;
  /** Request timeout (ms). Default 5,000. */
  timeoutMs?: number;
  /** Clock, ms since the epoch (tests). */
  now?: () => number;
}

interface Lease {
  id: string;
  user: string;
  password: LockedSlice;
  expiresAt: number;
  isRenewable: boolean;
  /** The TTL asked for on renewal: the lease's first duration. */
  increment: number;
}

/**
 * Dynamic database credentials from Vault's / OpenBao's database secrets engine, kept alive inside the process (what
 * Vault Agent does for files): reads `database/creds/<role>`, keeps the lease, renews it before it expires, and
 * when renewal can no longer extend it (the role's max_ttl) issues a new credential ahead of expiry and emits
 * `rotated`; a {@link RotatingPool} given this as its credentials then switches its connections. Passwords are
 * extracted from the response bytes straight into locked memory (never `JSON.parse`d); `password()` hands out a
 * copy per login. Leases are revoked on close() unless told otherwise.
 *
 * Events: `rotated` ({ user, expiresAt }), `renewed` ({ expiresAt }), `error` (a renewal or issue that failed; the
 * current credential stays until it expires, and the next attempt follows shortly).
 *
 * @example
 * ```ts
 * const creds = new VaultDatabaseCredentials({ address: 'https://vault:8200', token: () => readToken(), path: 'database/creds/app' });
 * await creds.start();
 * const pool = new RotatingPool({ pg: require('pg'), config: { host: 'db', database: 'app' }, credentials: creds });
 * ```
 */
export class VaultDatabaseCredentials extends EventEmitter implements PgCredentialSource {
  readonly #options: VaultDatabaseCredentialsOptions;
  readonly #arena = new SecureArena();
  readonly #now: () => number;
  readonly #ca: Buffer | undefined;
  #lease: Lease | undefined;
  readonly #retired = new Set<Lease>();
  #timer: NodeJS.Timeout | undefined;
  #isClosed = false;

  constructor(options: VaultDatabaseCredentialsOptions) {
    super();
    let url: URL;
    try {
      url = new URL(options.address);
    } catch {
      throw new ConfigError('VaultDatabaseCredentials: address must be an http(s) URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('VaultDatabaseCredentials: address must be an http(s) URL.');
    if (!/^[A-Za-z0-9_\-./]+$/.test(options.path) || options.path.startsWith('/') || options.path.includes('..')) {
      throw new ConfigError('VaultDatabaseCredentials: path must look like database/creds/<role>.');
    }
    const fraction = options.renewAtRemaining ?? 0.34;
    if (!(fraction > 0 && fraction < 1)) throw new ConfigError('VaultDatabaseCredentials: renewAtRemaining must be between 0 and 1.');
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#ca = options.caFile ? readFileSync(options.caFile) : undefined;
  }

  /** Issue the first credential. Throws (ProviderUnavailableError, ProviderAuthError, ...) when Vault cannot. */
  async start(): Promise<void> {
    await this.#issue();
  }

  user(): string {
    return this.#current().user;
  }

  password(): string {
    return this.#current().password.view.toString('utf8');
  }

  /** The lease id of the current credential (not secret). */
  version(): string {
    return this.#current().id;
  }

  /** When the current credential expires (ms since the epoch). */
  expiresAt(): number {
    return this.#current().expiresAt;
  }

  onRotated(listener: () => void): () => void {
    this.on('rotated', listener);
    return () => this.off('rotated', listener);
  }

  /** Stop renewing; revoke the leases held (unless `shouldRevokeOnClose: false`) and zero the passwords. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#timer);
    const leases = [...this.#retired, ...(this.#lease ? [this.#lease] : [])];
    if (this.#options.shouldRevokeOnClose ?? true) {
      await Promise.all(leases.map((l) => this.#revoke(l).catch((error: unknown) => this.emit('error', error))));
    }
    for (const l of leases) l.password.free();
    this.#retired.clear();
    this.#lease = undefined;
  }

  #current(): Lease {
    if (!this.#lease) throw new ConfigError('VaultDatabaseCredentials: call start() first.');
    return this.#lease;
  }

  async #issue(): Promise<void> {
    const body = await this.#call('GET', `/v1/${this.#options.path}`);
    let lease: Lease;
    try {
      const id = field(body, 'lease_id', this.#arena);
      const duration = Number(field(body, 'lease_duration', this.#arena));
      const isRenewable = field(body, 'renewable', this.#arena) === 'true';
      const data = extractJsonField(body, 'data', this.#arena);
      try {
        const user = field(data.view, 'username', this.#arena);
        const password = extractJsonField(data.view, 'password', this.#arena);
        if (!id || !(duration > 0) || !user) {
          password.free();
          throw new ProviderResponseError(`Vault answered ${this.#options.path} without a lease or a username: is it a database credentials endpoint?`);
        }
        lease = { id, user, password, expiresAt: this.#now() + duration * 1_000, isRenewable, increment: duration };
      } finally {
        data.free();
      }
    } finally {
      body.fill(0);
    }
    const old = this.#lease;
    this.#lease = lease;
    if (old) this.#retire(old);
    this.#schedule();
    if (old) this.emit('rotated', { user: lease.user, expiresAt: new Date(lease.expiresAt) });
  }

  #retire(old: Lease): void {
    this.#retired.add(old);
    const after = this.#options.revokeRetiredAfterMs;
    const end = () => {
      this.#retired.delete(old);
      old.password.free();
    };
    if (after === undefined) {
      // Left to expire; its password is zeroed when it does.
      setTimeout(end, Math.max(0, old.expiresAt - this.#now())).unref();
      return;
    }
    setTimeout(() => {
      void this.#revoke(old)
        .catch((error: unknown) => this.emit('error', error))
        .finally(end);
    }, after).unref();
  }

  /** Next action when `renewAtRemaining` of the lease's lifetime is left. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#isClosed || !this.#lease) return;
    const lease = this.#lease;
    const left = lease.expiresAt - this.#now();
    const at = Math.max(0, left - lease.increment * 1_000 * (this.#options.renewAtRemaining ?? 0.34));
    this.#timer = setTimeout(() => void this.#tick(), at);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#isClosed || !this.#lease) return;
    const lease = this.#lease;
    const margin = lease.increment * 1_000 * (this.#options.renewAtRemaining ?? 0.34);
    try {
      if (lease.isRenewable) {
        let body: Buffer;
        try {
          body = await this.#call('PUT', '/v1/sys/leases/renew', JSON.stringify({ lease_id: lease.id, increment: lease.increment }));
        } catch (error) {
          // A refused renewal (e.g. 400 once the lease is at its max_ttl): issue a new credential instead.
          if (error instanceof ProviderResponseError) {
            await this.#issue();
            return;
          }
          throw error;
        }
        const duration = Number(field(body, 'lease_duration', this.#arena));
        body.fill(0);
        const expiresAt = this.#now() + duration * 1_000;
        // Renewal still gives a full margin beyond the next check: keep the credential.
        if (duration * 1_000 > margin && expiresAt > lease.expiresAt) {
          lease.expiresAt = expiresAt;
          this.emit('renewed', { expiresAt: new Date(expiresAt) });
          this.#schedule();
          return;
        }
        lease.expiresAt = Math.max(lease.expiresAt, expiresAt);
      }
      // max_ttl reached (or not renewable): a new credential before this one expires.
      await this.#issue();
    } catch (error) {
      this.emit('error', error);
      // Try again soon, but never past the expiry.
      clearTimeout(this.#timer);
      const left = lease.expiresAt - this.#now();
      this.#timer = setTimeout(() => void this.#tick(), Math.max(250, Math.min(2_000, left / 4)));
      this.#timer.unref();
    }
  }

  async #revoke(lease: Lease): Promise<void> {
    const body = await this.#call('PUT', '/v1/sys/leases/revoke', JSON.stringify({ lease_id: lease.id }));
    body.fill(0);
  }

  async #call(method: 'GET' | 'PUT', path: string, payload?: string): Promise<Buffer> {
    const token = typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token;
    const url = new URL(path, this.#options.address);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Buffer>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers: { 'X-Vault-Token': token, ...(this.#options.namespace ? { 'X-Vault-Namespace': this.#options.namespace } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
          timeout: this.#options.timeoutMs ?? 5_000,
          ...(this.#ca ? { ca: this.#ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            for (const c of chunks) c.fill(0);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(body);
            body.fill(0);
            const what = `Vault ${method} ${path} answered HTTP ${status}`;
            if (status === 401 || status === 403) reject(new ProviderAuthError(`${what}: check the token's policy for ${this.#options.path} and sys/leases.`));
            else if (status === 429 || status >= 500) reject(new ProviderUnavailableError(`${what}; retry later.`));
            else reject(new ProviderResponseError(`${what}.`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new ProviderUnavailableError(`Vault ${method} ${path} did not answer within ${this.#options.timeoutMs ?? 5_000} ms.`)));
      req.on('error', (error) => reject(error instanceof ProviderUnavailableError ? error : new ProviderUnavailableError(`Vault ${method} ${path} failed (${(error as NodeJS.ErrnoException).code ?? error.name}); retry later.`)));
      req.end(payload);
    });
  }
}

/** A top-level JSON field that is not secret, as a string ('' when absent). */
function field(bytes: Buffer, key: string, arena: SecureArena): string {
  let slice: LockedSlice;
  try {
    slice = extractJsonField(bytes, key, arena);
  } catch {
    return '';
  }
  try {
    return slice.view.toString('utf8');
  } finally {
    slice.free();
  }
}
