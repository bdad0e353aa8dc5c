/** One version's value lent from locked memory: readable until the callback (or its promise) is done; kept longer it reads zeros, never another value. */
export interface VersionView {
  version: string;
  view: Buffer;
}

/**
 * What {@link SecretRotator.useVersions} hands over: the current value and, during the grace period of a
 * rotation, the previous one (for example to accept JWTs signed with either key).
 *
 * @example
 * ```ts
 * await rotator.useVersions(path, ({ current, previous }) => verifyWithEither(token, current.view, previous?.view));
 * ```
 */
export interface VersionViews {
  current: VersionView;
  previous?: VersionView & { graceEndsAt: Date };
}
