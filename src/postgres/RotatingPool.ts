import { EventEmitter } from 'node:events';
import { ConfigError } from '../errors/ConfigError';

/**
 * Where a {@link RotatingPool} gets its credential: the current user name (not secret), a fresh copy of the
 * current password per new connection, an id that changes when the credential rotates, and a rotation signal.
 * {@link preloadCredentials} builds one from the preload's `secrets`.
 */
export interface PgCredentialSource {
  user(): string;
  /** A fresh copy per call; handed to `pg` for one login. */
  password(): string | Promise<string>;
  version(): string;
  /** Subscribe to rotations; returns the unsubscribe function. */
  onRotated(listener: () => void): () => void;
}

/** The parts of `pg.Pool` used here (structural, so `@types/pg` is not needed). */
export interface PgPoolLike {
  query(...args: unknown[]): Promise<unknown>;
  connect(): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'connect' | 'error', listener: (arg: never) => void): unknown;
  readonly totalCount?: number;
  readonly idleCount?: number;
}

/** Options of {@link RotatingPool}. */
export interface RotatingPoolOptions {
  /** The app's `pg` module (`require('pg')`), so the pool is the version the app uses. */
  pg: { Pool: new (config: never) => unknown };
  /** Pool settings without user and password (host, port, database, max, ssl, ...). */
  config?: Record<string, unknown>;
  credentials: PgCredentialSource;
  /**
   * How long (ms) a retired pool's checked-out connections may run before they are closed anyway. Keep it below
   * the rotation's grace period. Default 30,000. Idle connections of a retired pool close at once.
   */
  drainMs?: number;
}

/**
 * A `pg` pool that follows a rotating credential: new queries go to a pool logged in with the current
 * credential; on rotation a new pool is made and the old one drains (idle connections close at once, checked-out
 * ones when released, at the latest after `drainMs`). With alternating users the old credential stays valid for
 * the grace period, so no query fails; with a single user, connections opened before the switch keep working.
 *
 * Events: `switched` ({ version }) after a rotation, `connect` ({ user }) per new connection, `error` (an idle
 * connection's error, from `pg`).
 *
 * The password is never stored by the helper: `pg` asks for it per new connection through its password
 * callback, which returns a fresh copy from locked memory; the helper removes it from the connected client right
 * after login. What remains: that copy is a JS string until the garbage collector reclaims it (JS strings cannot be
 * wiped), and `pg` holds it during the login.
 *
 * @example
 * ```ts
 * const pool = new RotatingPool({ pg: require('pg'), config: { host: 'db', database: 'app', max: 10 },
 *   credentials: preloadCredentials(secrets, { user: 'DB_USER', password: 'DB_PASSWORD' }) });
 * const { rows } = await pool.query('SELECT now()');
 * ```
 */
export class RotatingPool extends EventEmitter {
  readonly #options: RotatingPoolOptions;
  readonly #unsubscribe: () => void;
  #pool: PgPoolLike;
  #version: string;
  #draining = new Set<Promise<void>>();
  #isEnded = false;

  constructor(options: RotatingPoolOptions) {
    super();
    if (!options?.pg?.Pool) throw new ConfigError('RotatingPool: pass the app\'s pg module as `pg`.');
    this.#options = options;
    this.#version = options.credentials.version();
    this.#pool = this.#make();
    this.#unsubscribe = options.credentials.onRotated(() => this.refresh());
  }

  /** `pool.query` on the current pool. */
  query(...args: unknown[]): Promise<unknown> {
    return this.#pool.query(...args);
  }

  /** `pool.connect` on the current pool (release the client as usual). */
  connect(): Promise<unknown> {
    return this.#pool.connect();
  }

  /** The pool new queries go to. */
  get current(): PgPoolLike {
    return this.#pool;
  }

  /** Switch to the current credential if it changed (called on every rotation). Returns whether it switched. */
  refresh(): boolean {
    if (this.#isEnded) return false;
    const version = this.#options.credentials.version();
    if (version === this.#version) return false;
    const old = this.#pool;
    this.#version = version;
    this.#pool = this.#make();
    this.#drain(old);
    this.emit('switched', { version });
    return true;
  }

  /** Wait until every retired pool has drained (tests, shutdown). */
  async drained(): Promise<void> {
    while (this.#draining.size > 0) await Promise.all([...this.#draining]);
  }

  /** End the current pool and wait for retired ones. */
  async end(): Promise<void> {
    if (this.#isEnded) return;
    this.#isEnded = true;
    this.#unsubscribe();
    await Promise.all([this.#pool.end(), this.drained()]);
  }

  #make(): PgPoolLike {
    const { credentials } = this.#options;
    const Pool = this.#options.pg.Pool as unknown as new (config: Record<string, unknown>) => PgPoolLike;
    const pool = new Pool({ ...this.#options.config, user: credentials.user(), password: () => credentials.password() });
    pool.on('connect', ((client: { password?: unknown; user?: unknown }) => {
      // pg keeps the resolved password on the client after login; it is not needed any more.
      client.password = undefined;
      this.emit('connect', { user: typeof client.user === 'string' ? client.user : undefined });
    }) as (arg: never) => void);
    pool.on('error', ((error: Error) => this.emit('error', error)) as (arg: never) => void);
    return pool;
  }

  #drain(pool: PgPoolLike): void {
    const drainMs = this.#options.drainMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const ended = pool.end().catch(() => undefined);
    const bounded = Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]).then(() => clearTimeout(timer));
    this.#draining.add(bounded);
    void bounded.then(() => this.#draining.delete(bounded));
  }
}

/** The preload's secrets API, as far as {@link preloadCredentials} needs it. */
export interface PreloadSecretsLike {
  reveal(name: string): string;
  version(name: string): string;
  on(event: 'rotated', listener: (event: { names: readonly string[] }) => void): unknown;
  off?(event: 'rotated', listener: (event: { names: readonly string[] }) => void): unknown;
}

/**
 * A {@link PgCredentialSource} from the preload's `secrets`, for a schema that splits a JSON credential into a
 * user and a password (`{ from: 'db-credentials', jsonKey: 'username' | 'password' }`).
 */
export function preloadCredentials(secrets: PreloadSecretsLike, names: { user: string; password: string }): PgCredentialSource {
  return {
    user: () => secrets.reveal(names.user),
    password: () => secrets.reveal(names.password),
    version: () => `${secrets.version(names.user)}:${secrets.version(names.password)}`,
    onRotated(listener) {
      const onEvent = (event: { names: readonly string[] }) => {
        if (event.names.includes(names.user) || event.names.includes(names.password)) listener();
      };
      secrets.on('rotated', onEvent);
      return () => secrets.off?.('rotated', onEvent);
    },
  };
}
