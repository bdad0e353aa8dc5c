import { ConfigError } from '../../errors/ConfigError';
import { ConflictError } from '../../errors/ConflictError';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { isSecretsError, type SecretsError } from '../../errors/SecretsError';
import { sanitizeMessage } from '../sanitize';

/** What was being done when an error happened; used only to write a useful message. */
export interface VaultErrorContext {
  /** The operation, e.g. `get`, `put`, `login`. */
  operation: string;
  /** The logical secret name, when the call concerns one. */
  name?: string;
  /** The version asked for, when one was. */
  version?: string;
  /** The version a check-and-set expected. */
  expectedVersion?: string;
  /** Base address of the server (for messages). */
  address: string;
  timeoutMs: number;
  /** Texts that must never appear in a message (the value being written). Removed if a server echoes them. */
  redact?: readonly string[];
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN',
  'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_NETWORK', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'ERR_CANCELED', 'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET', 'ECONNCLOSED',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
  'CERT_REVOKED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * The one place that turns whatever node-vault, axios or a server threw into this library's errors:
 * 404 -> SecretNotFoundError (saying when the version was deleted or destroyed); 401/403 (and 400 of a login) ->
 * ProviderAuthError;
 * 412/429/5xx, network errors and timeouts -> ProviderUnavailableError (retried); 400 check-and-set mismatch ->
 * ConflictError; other 4xx and unparseable HTTP -> ProviderResponseError; TLS verification failures -> ConfigError.
 * Messages keep only the status and the server's first error text, sanitised; the raw error (whose request
 * config holds the token and the body) is never kept as a cause.
 *
 * @example
 * ```ts
 * try { await vault.request(req) } catch (e) { throw mapVaultError(e, { operation: 'get', name, address, timeoutMs }) }
 * ```
 */
export function mapVaultError(error: unknown, context: VaultErrorContext): SecretsError {
  if (isSecretsError(error)) return error;
  const subject = context.name === undefined ? `Vault ${context.operation}` : `Vault ${context.operation} of "${context.name}"${context.version ? ` version ${context.version}` : ''}`;
  const clean = (text: unknown) => sanitizeMessage(redact(typeof text === 'string' ? text : text instanceof Error ? text.message : String(text), context.redact));

  const status = statusOf(error);
  if (status !== undefined) {
    const body = (error as { response?: { body?: unknown } }).response?.body;
    const serverText = clean(firstServerError(body) ?? '');
    const said = serverText ? `: ${serverText}` : '';
    const cause = causeOf(`HTTP ${status}${said}`, status);
    if (status === 404) return notFound(subject, context, body, cause);
    // A login refused for bad credentials answers 400 ("invalid role or secret ID"): that is an auth failure.
    if (status === 401 || status === 403 || (status === 400 && /login$/.test(context.operation))) {
      return new ProviderAuthError(
        `${subject} was refused (HTTP ${status}${said}). Check that the token or login (VAULT_TOKEN / AppRole / Kubernetes role) is valid and not revoked, and that its policy grants this path.`,
        { cause },
      );
    }
    if (status === 400 && /check-and-set parameter did not match/i.test(serverText)) {
      return new ConflictError(
        `${subject} lost a check-and-set race: the current version is not ${context.expectedVersion ?? 'the expected one'}. Read the current version and retry.`,
        { cause },
      );
    }
    if (status === 400 && /check-and-set parameter required/i.test(serverText)) {
      return new ProviderResponseError(`${subject} was rejected: this KV mount requires check-and-set (cas_required). Pass expectedVersion on writes.`, { cause });
    }
    if (status === 412 || status === 429 || status >= 500) {
      if (status === 429) {
        return new ProviderUnavailableError(`${subject} failed: Vault at ${context.address} is rate-limiting this client (HTTP 429${said}). Spread the load (see the README's fleet settings), raise the rate-limit quota, or retry later.`, { cause, isThrottled: true });
      }
      return new ProviderUnavailableError(`${subject} failed: Vault at ${context.address} is unavailable (HTTP ${status}${said}). Retry later or check the server.`, { cause });
    }
    return new ProviderResponseError(`${subject} was rejected (HTTP ${status}${said}).`, { cause });
  }

  const code = codeOf(error);
  const text = clean(error);
  if (code && /^HPE_/.test(code)) {
    return new ProviderResponseError(`${subject}: ${context.address} answered with something that is not HTTP (${code}). Check that the address is a Vault or OpenBao server.`, { cause: causeOf(text, code) });
  }
  if (code && TLS_CODES.has(code)) {
    return new ConfigError(
      `${subject}: the TLS connection to ${context.address} failed (${code}: ${text}). If the server uses a private CA, set ca=<pem file> in the source URI; use tls=0 only for a loopback dev server.`,
      { cause: causeOf(text, code) },
    );
  }
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(text)) {
    return new ProviderUnavailableError(`${subject}: Vault at ${context.address} did not answer within ${context.timeoutMs} ms. Check the server and the network.`, { cause: causeOf(text, code) });
  }
  if ((code && NETWORK_CODES.has(code)) || /socket hang up|network|ECONN/i.test(text)) {
    return new ProviderUnavailableError(`${subject}: could not reach Vault at ${context.address} (${code ?? text}). Check that the server runs and is reachable.`, { cause: causeOf(text, code) });
  }
  return new ProviderResponseError(`${subject} failed unexpectedly (${code ?? 'no code'}: ${text}).`, { cause: causeOf(text, code) });
}

function notFound(subject: string, context: VaultErrorContext, body: unknown, cause: Error): SecretsError {
  const metadata = (body as { data?: { metadata?: { deletion_time?: unknown; destroyed?: unknown; version?: unknown } } } | undefined)?.data?.metadata;
  const version = typeof metadata?.version === 'number' ? String(metadata.version) : context.version;
  if (metadata?.destroyed === true) {
    return new SecretNotFoundError(`${subject}: version ${version} was destroyed and cannot be recovered (HTTP 404). Read another version or write a new one.`, { cause });
  }
  if (typeof metadata?.deletion_time === 'string' && metadata.deletion_time !== '') {
    return new SecretNotFoundError(`${subject}: version ${version} is deleted (HTTP 404). Undelete it in Vault or write a new version.`, { cause });
  }
  return new SecretNotFoundError(`${subject}: not found (HTTP 404). Check the name, the KV mount and the path prefix of the source URI.`, { cause });
}

function statusOf(error: unknown): number | undefined {
  const response = (error as { response?: { statusCode?: unknown } } | null)?.response;
  return typeof response?.statusCode === 'number' ? response.statusCode : undefined;
}

function codeOf(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_BAD_RESPONSE' && code !== 'ERR_BAD_REQUEST') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstServerError(body: unknown): string | undefined {
  const errors = (body as { errors?: unknown } | null | undefined)?.errors;
  if (Array.isArray(errors) && typeof errors[0] === 'string') return errors[0];
  return undefined;
}

function causeOf(text: string, code: string | number | undefined): Error {
  const cause = new Error(text);
  cause.name = 'VaultHttpError';
  if (code !== undefined) Object.defineProperty(cause, 'code', { value: code, enumerable: true });
  return cause;
}

function redact(text: string, secrets: readonly string[] | undefined): string {
  let out = text;
  for (const s of secrets ?? []) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}
