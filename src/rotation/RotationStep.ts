/**
 * The numbered steps of a rotation, in order (see {@link SecretRotator}), plus `rollback`, which is reported when
 * a failed rotation is undone, a stale pending version is discarded, or a secret is rolled back on request.
 *
 * @example
 * ```ts
 * ROTATION_STEPS.indexOf('verify') + 1; // 3
 * ```
 */
export const ROTATION_STEPS = ['generate', 'stage', 'verify', 'promote', 'grace', 'retire'] as const;

/**
 * One of {@link ROTATION_STEPS}, `apply` (step 2b, between stage and verify, only when the rotation has a
 * {@link RotationTarget}: the new value is put into the system it opens), or `rollback`.
 */
export type RotationStep = (typeof ROTATION_STEPS)[number] | 'apply' | 'rollback';
