import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors/ConfigError';
import { SecureArena, type LockedSlice } from '../memory/SecureArena';
import { passwordGenerator } from '../rotation/passwordGenerator';
import type { RotationChange, RotationApplier, RotationVerifier } from '../rotation/RotateOptions';
import type { RotationGenerator } from '../rotation/RotationGenerator';
import { extractJsonField } from '../schema/extractJsonField';

/** Where to reach the database (a subset of `pg`'s client options; the user and password come from elsewhere). */
export interface PgConnectionOptions {
  host?: string;
  port?: number;
  database?: string;
  ssl?: unknown;
  /** Milliseconds to wait for a connection. Default 10,000. */
  connectionTimeoutMillis?: number;
}

/** The master credential that may `ALTER ROLE`: its own secret, handed over per call (a fresh string each time). */
export interface PgAdminOptions extends PgConnectionOptions {
  user: string;
  /** E.g. `() => secrets.reveal('PG_MASTER_PASSWORD')`: called per rotation step, not kept. */
  password: () => string | Promise<string>;
}

/** Options of {@link postgresRotation}. */
export interface PostgresRotationOptions {
  /** `single-user` (one role; a short window where new connections with the old password fail) or `alternating-users` (two roles; the current one keeps working). */
  strategy: 'single-user' | 'alternating-users';
  /** The pair of roles for `alternating-users`, both existing, both with the app's privileges. */
  users?: readonly [string, string];
  /** The master credential. */
  admin: PgAdminOptions;
  /** Where the app's roles log in (step 3 logs in with the new credential). Default: the admin's host, port and database. */
  connection?: PgConnectionOptions;
  /** Length of generated passwords, 16-128. Default 32. */
  passwordLength?: number;
  /** The `pg` module (default: `require('pg')`, an optional peer dependency). */
  pg?: PgModule;
}

/** What {@link postgresRotation} returns: spread it into `rotate()`'s options. */
export interface PostgresRotation {
  generator: RotationGenerator;
  applier: RotationApplier;
  verify: RotationVerifier;
}

/** The few parts of `pg` used here (structural, so `@types/pg` is not needed). */
export interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
}

interface PgClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}

// Characters safe in connection strings, shells and SQL literals alike, so a generated password never needs
// escaping anywhere (PostgreSQL itself accepts any character but NUL).
const PASSWORD_SYMBOLS = '-_.~';
const SCRAM_ITERATIONS = 4096;

/**
 * Rotation of a PostgreSQL login: the secret holds `{"username": "...", "password": "..."}`. Spread the result into
 * `rotate()`'s options: the generator makes the new credential, the applier applies it with `ALTER ROLE` through
 * the master credential (step 2b) and restores the previous password when the rotation fails, and verify logs in
 * with it (step 3).
 *
 * - `single-user`: the same role gets a new password. Open connections keep working (PostgreSQL checks a password
 *   only at login); a new connection made with the old password between apply and the app's switch fails.
 * - `alternating-users`: the role that is not current gets the new password, so the current credential keeps
 *   working through the whole rotation and its grace period (AWS's alternating-users strategy).
 *
 * The password never travels as SQL: `ALTER ROLE` receives a SCRAM-SHA-256 verifier computed here from the bytes
 * in locked memory (as `psql`'s `\password` does), so it is not in the server's statement log either. Step 3's login
 * needs the password as a JS string (that is what `pg` takes); it lives only for that connection.
 *
 * @example
 * ```ts
 * const rotation = postgresRotation({
 *   strategy: 'alternating-users', users: ['app_a', 'app_b'],
 *   admin: { host: 'db', database: 'app', user: 'postgres', password: () => secrets.reveal('PG_MASTER_PASSWORD') },
 * });
 * await rotator.rotate('prod/db-credentials', { ...rotation, gracePeriodMs: 3_600_000 });
 * ```
 */
export function postgresRotation(options: PostgresRotationOptions): PostgresRotation {
  const { strategy } = options;
  if (strategy !== 'single-user' && strategy !== 'alternating-users') throw new ConfigError(`postgresRotation: strategy must be "single-user" or "alternating-users".`);
  if (strategy === 'alternating-users') {
    const users = options.users;
    if (!users || users.length !== 2 || users[0] === users[1] || !users.every(isRoleName)) {
      throw new ConfigError('postgresRotation: alternating-users needs `users`: two different role names.');
    }
  }
  const length = options.passwordLength ?? 32;
  if (!Number.isInteger(length) || length < 16 || length > 128) throw new ConfigError('postgresRotation: passwordLength must be an integer from 16 to 128.');
  const arena = new SecureArena();
  const passwords = passwordGenerator({ length, symbols: PASSWORD_SYMBOLS });
  const connection = options.connection ?? pick(options.admin);

  const userFor = (current: Buffer): string => {
    const user = readUser(current, arena);
    if (strategy === 'single-user') return user;
    const [a, b] = options.users!;
    if (user !== a && user !== b) throw new ConfigError(`postgresRotation: the current user is not one of the alternating pair; store "${a}" or "${b}" first.`);
    return user === a ? b : a;
  };

  const generator: RotationGenerator = async (alloc, context) => {
    if (!context?.current) throw new ConfigError('postgresRotation: the generator needs the current value; pass the whole result as rotate() options (it sets `applier`).');
    const user = userFor(context.current.view);
    const password = (await passwords(alloc)) as LockedSlice;
    try {
      return writeCredentials(user, password.view, alloc);
    } finally {
      password.free();
    }
  };

  const admin = async <T>(fn: (client: PgClient) => Promise<T>): Promise<T> => {
    const { password, ...rest } = options.admin;
    const client = new (pgOf(options))({ ...rest, password, connectionTimeoutMillis: rest.connectionTimeoutMillis ?? 10_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const setPassword = (user: string, password: Buffer | undefined) =>
    admin((client) => client.query(`ALTER ROLE ${quoteIdentifier(user)} WITH LOGIN PASSWORD ${password ? `'${scramVerifier(password)}'` : 'NULL'}`));

  const applier: RotationApplier = {
    apply: async ({ candidate }) => {
      const user = readUser(candidate.view, arena);
      await withField(candidate.view, 'password', arena, (password) => setPassword(user, password));
    },
    restore: async (change: RotationChange) => {
      const current = readUser(change.current.view, arena);
      if (strategy === 'single-user') {
        await withField(change.current.view, 'password', arena, (password) => setPassword(current, password));
        return;
      }
      // Alternating: the other role goes back to the previous version's password when that version used it
      // (it may still be in its grace period), else it gets a random password nobody knows.
      const other = current === options.users![0] ? options.users![1] : options.users![0];
      const previous = change.previous && readUser(change.previous.view, arena) === other ? change.previous.view : undefined;
      if (previous) await withField(previous, 'password', arena, (password) => setPassword(other, password));
      else {
        const unknown = randomBytes(32);
        try {
          await setPassword(other, Buffer.from(unknown.toString('base64url')));
        } finally {
          unknown.fill(0);
        }
      }
    },
  };

  const verify: RotationVerifier = async ({ view }) => {
    const user = readUser(view, arena);
    await withField(view, 'password', arena, async (password) => {
      const client = new (pgOf(options))({ ...connection, user, password: password.toString('utf8'), connectionTimeoutMillis: connection.connectionTimeoutMillis ?? 10_000 });
      await client.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    });
    return true;
  };

  return { generator, applier, verify };
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as `pg_authid.rolpassword`), from
 * bytes: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. For the ASCII passwords generated here this
 * equals what the server computes (SASLprep leaves them unchanged); a password with other characters is refused.
 */
export function scramVerifier(password: Uint8Array, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  for (const byte of password) {
    if (byte < 0x20 || byte > 0x7e) throw new ConfigError('A password with characters outside printable ASCII cannot be set through a SCRAM verifier here; set it by hand.');
  }
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  try {
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    clientKey.fill(0);
    return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
  } finally {
    salted.fill(0);
  }
}

/** `{"username":"<user>","password":"<password>"}` written straight into locked memory. */
function writeCredentials(user: string, password: Buffer, alloc: (length: number) => LockedSlice): LockedSlice {
  const head = Buffer.from(`{"username":${JSON.stringify(user)},"password":"`);
  const tail = Buffer.from('"}');
  const slice = alloc(head.length + password.length + tail.length);
  head.copy(slice.view, 0);
  password.copy(slice.view, head.length);
  tail.copy(slice.view, head.length + password.length);
  return slice;
}

function readUser(value: Buffer, arena: SecureArena): string {
  const slice = extractJsonField(value, 'username', arena);
  try {
    const user = slice.view.toString('utf8');
    if (!isRoleName(user)) throw new ConfigError('The credentials secret has no usable "username" (1-63 bytes, no NUL).');
    return user;
  } finally {
    slice.free();
  }
}

async function withField<T>(value: Buffer, key: string, arena: SecureArena, fn: (bytes: Buffer) => Promise<T>): Promise<T> {
  const slice = extractJsonField(value, key, arena);
  try {
    return await fn(slice.view);
  } finally {
    slice.free();
  }
}

function isRoleName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) <= 63 && !name.includes('\0');
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function pick(admin: PgAdminOptions): PgConnectionOptions {
  const out: PgConnectionOptions = {};
  if (admin.host !== undefined) out.host = admin.host;
  if (admin.port !== undefined) out.port = admin.port;
  if (admin.database !== undefined) out.database = admin.database;
  if (admin.ssl !== undefined) out.ssl = admin.ssl;
  if (admin.connectionTimeoutMillis !== undefined) out.connectionTimeoutMillis = admin.connectionTimeoutMillis;
  return out;
}

/** The `pg` module: the one passed in, else the app's (an optional peer dependency). */
export function pgOf(options: { pg?: PgModule }): PgModule['Client'] {
  if (options.pg) return options.pg.Client;
  try {
    return (require('pg') as PgModule).Client;
  } catch {
    throw new ConfigError('The PostgreSQL helpers need the `pg` package: npm install pg');
  }
}
