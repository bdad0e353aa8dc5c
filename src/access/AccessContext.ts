/**
 * Who is asking. The service's request context (`{ actor, requestId }`) is assignable to this type; access
 * control only looks at the actor. `roles` come from the app's authentication, never from the caller's input.
 *
 * @example
 * ```ts
 * const ctx: AccessContext = { actor: { id: 'alice', roles: ['billing'] } };
 * ```
 */
export interface AccessContext {
  readonly actor: {
    readonly id: string;
    readonly roles: readonly string[];
  };
}
