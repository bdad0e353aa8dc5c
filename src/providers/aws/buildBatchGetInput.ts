import type { BatchGetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { UnsupportedOperationError } from '../../errors/UnsupportedOperationError';

/** BatchGetSecretValue takes 1-20 ids per call (moto takes more; real AWS refuses them). */
export const BATCH_GET_MAX_IDS = 20;

/**
 * The input of one BatchGetSecretValue call for a list of backend names. Refuses more than
 * {@link BATCH_GET_MAX_IDS} ids itself: callers must chunk, and a chunking bug must fail here, not only on real AWS.
 *
 * @example
 * ```ts
 * sdk.send(new BatchGetSecretValueCommand(buildBatchGetInput(['app/A', 'app/B'])));
 * ```
 */
export function buildBatchGetInput(secretIds: readonly string[], nextToken?: string): BatchGetSecretValueCommandInput {
  if (secretIds.length < 1 || secretIds.length > BATCH_GET_MAX_IDS) {
    throw new UnsupportedOperationError(
      `BatchGetSecretValue takes 1-${BATCH_GET_MAX_IDS} secret ids per call; ${secretIds.length} were given. This is a bug in the caller's chunking: report it.`,
    );
  }
  return nextToken === undefined ? { SecretIdList: [...secretIds] } : { SecretIdList: [...secretIds], NextToken: nextToken };
}
