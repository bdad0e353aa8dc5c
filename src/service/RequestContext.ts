import type { AccessContext } from '../access/AccessContext';

/**
 * The first argument of every {@link SecretsService} method: who asks, and which request this is.
 *
 * `actor` comes from the app's authentication (a verified JWT, a service account), never from request input: the
 * roles decide what the policy grants. `requestId` ties the audit event to the app's own logs; it is recorded in
 * clear when it matches `[A-Za-z0-9._:@+=/-]{1,128}`, else as its HMAC reference.
 *
 * @example
 * ```ts
 * const ctx: RequestContext = { actor: { id: req.user.sub, roles: req.user.roles }, requestId: req.id };
 * await service.use(ctx, 'acme', 'STRIPE_KEY', (key) => stripe.charge(key, order));
 * ```
 */
export interface RequestContext extends AccessContext {
  readonly actor: {
    readonly id: string;
    readonly roles: readonly string[];
  };
  readonly requestId?: string;
}
