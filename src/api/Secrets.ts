import { NotLoadedError } from '../errors/NotLoadedError';
import type { DegradedEvent, RecoveredEvent, RejectedEvent, ReloadResult, RotatedEvent, RuntimeState } from '../runtime/SecretsRuntime';
import { getRuntime } from '../runtime/runtimeSlot';
import { endLeaseWhenDone } from '../memory/SecureArena';

/**
 * Augment this interface to type `secrets` with your schema, so an unknown name is a compile error:
 *
 * @example
 * ```ts
 * import schema from './secrets.schema';
 * declare module '@valuecanvas/secrets' {
 *   interface Register { schema: typeof schema }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Register {}

/** Secret names of the registered schema, or `string` when none is registered. */
export type RegisteredName = Register extends { schema: infer S } ? Extract<keyof S, string> : string;

/** The `rotated` event, typed by names. */
export interface SecretsRotatedEvent<N extends string> extends Omit<RotatedEvent, 'names' | 'versions'> {
  names: N[];
  versions: Partial<Record<N, string>>;
}

/** The `rejected` event, typed by names. */
export interface SecretsRejectedEvent<N extends string> extends Omit<RejectedEvent, 'names'> {
  names: (N | string)[];
}

/** Events of {@link Secrets}. */
export type SecretsEventName = 'rotated' | 'rejected' | 'watching' | 'degraded' | 'recovered';

/**
 * The app's view of its secrets. Values live in locked memory; `use` lends a view, `reveal` copies out.
 */
export interface Secrets<N extends string = RegisteredName> {
  /**
   * Call `fn` with a Buffer view of the current value in locked memory (a lent view). The call holds a lease: the
   * view shows this value, unchanged, until `fn` returns, or, when `fn` returns a promise (any thenable), until
   * it settles, even if the secret rotates meanwhile. A view kept after its lease reads this value or zeros,
   * never another secret's bytes. Take a copy with {@link reveal} (or `Buffer.from(view)`) if you need the bytes
   * longer.
   *
   * @example
   * ```ts
   * const sig = secrets.use('JWT_KEY', (key) => createHmac('sha256', key).update(body).digest());
   * const rows = await secrets.use('DB_PASSWORD', async (password) => connectAndQuery(password)); // lease until settled
   * ```
   */
  use<R>(name: N, fn: (value: Buffer) => Promise<R>): Promise<R>;
  use<R>(name: N, fn: (value: Buffer) => R): R;
  /**
   * Like `use`, with the previous version too, e.g. to verify tokens signed with either key during a rotation:
   * the source's own previous version (a mount with Azure's objectVersionHistory: `<name>/0` current, `<name>/1`
   * previous), else the value the last hot-swap replaced, kept in locked memory for `SECRETS_GRACE_MS` and zeroed
   * after. `previous` is undefined otherwise. Both views are leased as with `use`.
   */
  useVersions<R>(name: N, fn: (current: Buffer, previous: Buffer | undefined) => Promise<R>): Promise<R>;
  useVersions<R>(name: N, fn: (current: Buffer, previous: Buffer | undefined) => R): R;
  /**
   * A JS string copy of the value. It leaves locked memory for good: the garbage collector owns it, it can be
   * swapped, dumped, and never wiped. Prefer `use`.
   */
  reveal(name: N): string;
  /** Opaque id of the current value (backend version id, or a keyed content digest); changes on rotation. */
  version(name: N): string;
  /**
   * Re-read every source now (mounts at once, providers polled), e.g. after a database login failed; resolves
   * with the names that changed and the state. Validation and swap work as for any hot-swap.
   *
   * @example
   * ```ts
   * const { names } = await secrets.reload(); // [] when nothing changed
   * ```
   */
  reload(): Promise<ReloadResult>;
  /** For orchestrators (readiness, metrics): `loaded` / `degraded` / `rejected`, since when, last change; no values. */
  state(): RuntimeState;
  /** Whether a value is loaded for `name` (optional secrets may have none). */
  has(name: N): boolean;
  /** Names that have a value in the current snapshot. */
  names(): N[];
  /** Whether the preload has loaded a snapshot. */
  readonly isLoaded: boolean;
  /**
   * Whether the mounts are watched. Watching starts after the preload, possibly before an ESM app's first line
   * runs, so check this before waiting for the `watching` event.
   */
  readonly isWatching: boolean;
  on(event: 'rotated', listener: (event: SecretsRotatedEvent<N>) => void): this;
  on(event: 'rejected', listener: (event: SecretsRejectedEvent<N>) => void): this;
  /**
   * A provider source stopped answering (network, throttling, 5xx, sealed): the last good values stay in force.
   * Not an invalid secret: alert on it only if it lasts (see `recovered`).
   */
  on(event: 'degraded', listener: (event: DegradedEvent) => void): this;
  /** A degraded source answers again, or a good snapshot followed a rejected one. */
  on(event: 'recovered', listener: (event: RecoveredEvent) => void): this;
  /** Emitted once the mounts are watched (after the app's first tick); rotations are seen from then on. */
  on(event: 'watching', listener: (event: { mounts: number }) => void): this;
  off(event: SecretsEventName, listener: (...args: never[]) => void): this;
  once(event: 'rotated', listener: (event: SecretsRotatedEvent<N>) => void): this;
  once(event: 'rejected', listener: (event: SecretsRejectedEvent<N>) => void): this;
  once(event: 'degraded', listener: (event: DegradedEvent) => void): this;
  once(event: 'recovered', listener: (event: RecoveredEvent) => void): this;
  once(event: 'watching', listener: (event: { mounts: number }) => void): this;
}

function runtime() {
  const r = getRuntime();
  if (!r) throw new NotLoadedError('Secrets are not loaded. Start node with -r @valuecanvas/secrets/register (or NODE_OPTIONS=--require=@valuecanvas/secrets/register).');
  return r;
}

class SecretsFacade implements Secrets<string> {
  // The preload frees a value only when a new snapshot is swapped in, which never happens synchronously inside a
  // callback: a sync callback needs no lease of its own. A thenable result takes one before anything else can run.
  // Stored views are marked lent when the snapshot is built (SecretsRuntime), so `view` is lent as it is.
  use<R>(name: string, fn: (value: Buffer) => R): R {
    const slice = runtime().entry(name).slice;
    const result = fn(slice.view);
    if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return result;
    slice.lease();
    return endLeaseWhenDone(result, slice);
  }

  useVersions<R>(name: string, fn: (current: Buffer, previous: Buffer | undefined) => R): R {
    const r = runtime();
    const entry = r.entry(name);
    const slice = entry.slice;
    const previous = r.previousOf(name);
    const result = fn(slice.view, previous?.view);
    if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return result;
    slice.lease();
    previous?.lease();
    return endLeaseWhenDone(result, slice, previous);
  }

  async reload(): Promise<ReloadResult> {
    const r = runtime();
    // Refreshing starts after the app's first tick; a reload asked for earlier waits for it.
    if (!r.reloader) await new Promise<void>((resolve) => setImmediate(resolve));
    const names = new Set<string>();
    const collect = (e: RotatedEvent) => e.names.forEach((n) => names.add(n));
    r.on('rotated', collect);
    try {
      await r.reloader?.();
    } finally {
      r.off('rotated', collect);
    }
    return { names: [...names].sort(), state: r.state };
  }

  state(): RuntimeState {
    return runtime().state;
  }

  reveal(name: string): string {
    return runtime().entry(name).slice.view.toString('utf8');
  }

  version(name: string): string {
    return runtime().entry(name).version;
  }

  has(name: string): boolean {
    return getRuntime()?.snapshot?.values.has(name) ?? false;
  }

  names(): string[] {
    return [...(getRuntime()?.snapshot?.values.keys() ?? [])];
  }

  get isLoaded(): boolean {
    return getRuntime()?.snapshot !== undefined;
  }

  get isWatching(): boolean {
    return getRuntime()?.isWatching ?? false;
  }

  on(event: SecretsEventName, listener: (e: never) => void): this {
    const l = listener as (...args: unknown[]) => void;
    runtime().on(event, l);
    return this;
  }

  off(event: SecretsEventName, listener: (...args: never[]) => void): this {
    getRuntime()?.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once(event: SecretsEventName, listener: (e: never) => void): this {
    const l = listener as (...args: unknown[]) => void;
    runtime().once(event, l);
    return this;
  }

  toString(): string {
    return '[secrets]';
  }

  toJSON(): string {
    return '[secrets]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secrets]';
  }
}

/** The process's secrets, loaded by the preload. Typed by {@link Register}. */
export const secrets: Secrets = new SecretsFacade() as unknown as Secrets;

/**
 * The same `secrets`, typed by a schema type without module augmentation.
 *
 * @example
 * ```ts
 * const secrets = typedSecrets<typeof schema>();
 * secrets.use('DB_PASSWORD', (v) => connect(v)); // 'DB_PASSWRD' would not compile
 * ```
 */
export function typedSecrets<S>(): Secrets<Extract<keyof S, string>> {
  return secrets as unknown as Secrets<Extract<keyof S, string>>;
}
