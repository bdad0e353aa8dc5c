import { ConflictError } from '../../errors/ConflictError';
import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { SecretsError } from '../../errors/SecretsError';
import { sanitizeMessage } from '../sanitize';

/** Where an AWS error happened, for the message. Never a value. */
export interface MapAwsErrorOptions {
  /** The AWS operation, e.g. `GetSecretValue`. */
  operation: string;
  /** The logical secret name, when the call was about one secret. */
  name?: string;
  region: string;
  prefix: string;
  /** Reads treat a secret scheduled for deletion as not found; writes treat it as a conflict. */
  mode: 'read' | 'write';
  /** The request carried a secret value: the backend's own message text is dropped (it may echo input). */
  carriesValue?: boolean;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_STREAM_ERROR',
]);
const TRANSIENT_NAMES = new Set([
  'TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException', 'ThrottlingException', 'Throttling',
  'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'InternalServiceError',
  'InternalServiceErrorException', 'InternalFailure', 'InternalError', 'ServiceUnavailable', 'ServiceUnavailableException',
]);
const THROTTLE_NAMES = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);
const AUTH_NAMES = new Set([
  'AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'ExpiredTokenException', 'ExpiredToken',
  'InvalidSignatureException', 'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidClientTokenId',
  'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'NotAuthorized', 'UnauthorizedException',
  'CredentialsProviderError', 'TokenProviderError', 'InvalidIdentityTokenException', 'IDPCommunicationErrorException',
]);
const KMS_NAMES = new Set(['DecryptionFailure', 'EncryptionFailure']);
const DELETED = /marked (for )?delet|scheduled for delet|currently marked deleted/i;

/**
 * The one place where AWS SDK errors (and per-secret `Errors[]` of BatchGetSecretValue) become typed
 * {@link SecretsError}s. Messages name the operation, the logical secret, the AWS error name and HTTP status, and
 * say what to do; the backend's text is sanitised and kept only for modelled service errors of requests that carry
 * no value (a JSON parse error can quote the response body, so it is never kept). The `cause` is a short summary
 * (error name, status, request id), never the SDK error itself, which holds the raw response.
 *
 * @example
 * ```ts
 * try { await sdk.send(cmd) } catch (e) { throw mapAwsError(e, { operation: 'GetSecretValue', name, region, prefix, mode: 'read' }) }
 * ```
 */
export function mapAwsError(error: unknown, options: MapAwsErrorOptions): SecretsError {
  if (SecretsError.is(error)) return error;
  const e: ErrorLike = typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: error };
  const awsName = typeof e.name === 'string' && e.name !== '' ? e.name.slice(0, 80) : 'Error';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const requestId = typeof e.$metadata?.requestId === 'string' ? e.$metadata.requestId.slice(0, 80) : undefined;
  const netCode = typeof e.code === 'string' ? e.code.slice(0, 40) : undefined;
  const isServiceError = typeof e.$fault === 'string';
  const rawMessage = typeof e.message === 'string' ? e.message : '';
  const backendText = isServiceError && !options.carriesValue && rawMessage !== '' ? sanitizeMessage(rawMessage) : '';

  const subject = options.name !== undefined ? `secret ${JSON.stringify(options.name)}` : 'the request';
  const facts = [awsName, status !== undefined ? `HTTP ${status}` : undefined, netCode].filter((x) => x !== undefined).join(', ');
  const head = `AWS Secrets Manager ${options.operation} for ${subject} failed (${facts})${backendText !== '' ? `: ${backendText.replace(/\.$/, '')}` : ''}.`;
  const where = `region ${options.region}${options.prefix !== '' ? `, name prefix "${options.prefix}"` : ''}`;
  const cause = new Error(`${awsName}${status !== undefined ? ` (HTTP ${status})` : ''}${netCode !== undefined ? ` ${netCode}` : ''}${requestId !== undefined ? ` request ${requestId}` : ''}`);
  cause.name = awsName;
  const opts = { cause };

  if (THROTTLE_NAMES.has(awsName) || status === 429) {
    return new ProviderUnavailableError(`${head} AWS Secrets Manager is throttling this account and region (a per-API request quota); the call was retried with backoff. Spread the load (see the README's fleet settings) or try again later (${where}).`, { ...opts, isThrottled: true });
  }
  if ((netCode !== undefined && NETWORK_CODES.has(netCode)) || TRANSIENT_NAMES.has(awsName)) {
    return new ProviderUnavailableError(`${head} The service could not be reached or did not answer in time (${where}); check the network path and the endpoint, or raise timeoutMs/retries.`, opts);
  }
  if (AUTH_NAMES.has(awsName) || status === 401 || status === 403) {
    return new ProviderAuthError(
      `${head} Check the credentials the SDK default chain found (environment, AWS_PROFILE, web identity/IRSA, EKS pod identity, instance role) ` +
        `and that their IAM policy allows secretsmanager:${options.operation} on the secrets under the prefix (${where}).`,
      opts,
    );
  }
  if (KMS_NAMES.has(awsName)) {
    return new ProviderAuthError(`${head} Secrets Manager could not use the secret's KMS key: grant kms:Decrypt / kms:GenerateDataKey on that key to the caller (${where}).`, opts);
  }
  if (awsName === 'ResourceNotFoundException') {
    return new SecretNotFoundError(`${head} Create the secret (or that version), or check the name, the prefix and the region (${where}).`, opts);
  }
  if (awsName === 'InvalidRequestException' && DELETED.test(rawMessage)) {
    return options.mode === 'read'
      ? new SecretNotFoundError(`${head} The secret is scheduled for deletion; restore it with RestoreSecret if it is still needed (${where}).`, opts)
      : new ConflictError(`${head} The secret is scheduled for deletion; restore it with RestoreSecret, or wait until the deletion completes, then write again (${where}).`, opts);
  }
  if (status === 429 || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return new ProviderUnavailableError(`${head} AWS Secrets Manager is failing or throttling; the call was retried. Try again later (${where}).`, opts);
  }
  if (awsName === 'ResourceExistsException') {
    return new ConflictError(
      `${head} A secret of that name, or a version with that idempotency token and a different value, already exists. ` +
        'Read the current version and retry with a new token, or write without a token.',
      opts,
    );
  }
  if ((awsName === 'ValidationException' || awsName === 'InvalidParameterException') && /\bname\b/i.test(rawMessage)) {
    return new InvalidSecretNameError(`${head} AWS refused the secret name; rename the secret.`, opts);
  }
  if (awsName === 'LimitExceededException') {
    return new ProviderResponseError(`${head} An AWS quota was reached (for example about 100 versions per secret); let old versions expire or raise the quota (${where}).`, opts);
  }
  if (isServiceError || (status !== undefined && status >= 400)) {
    return new ProviderResponseError(`${head} AWS refused the request; this is a bug or an unsupported setup: report it with the request id from the error's cause.`, opts);
  }
  return new ProviderResponseError(
    `${head} The answer was not a Secrets Manager response; check that the endpoint points at AWS Secrets Manager (${where}).`,
    opts,
  );
}
