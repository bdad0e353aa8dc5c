import { ConfigError } from '../../errors/ConfigError';
import { ConflictError } from '../../errors/ConflictError';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { SecretsError } from '../../errors/SecretsError';
import { sanitizeMessage } from '../sanitize';

/** What was being done when an Azure call failed; names only, never a value. */
export interface AzureErrorContext {
  /** The operation, e.g. `get`, `put`, `list versions of`. */
  op: string;
  /** The logical secret name, when the call was about one secret. */
  name?: string;
  version?: string;
  /** `https://host[:port]` of the vault. */
  vault: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'UND_ERR_SOCKET', 'REQUEST_SEND_ERROR', 'ERR_STREAM_PREMATURE_CLOSE',
]);
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

/**
 * The one place where an Azure SDK or network error becomes a typed {@link SecretsError}:
 *
 * | Azure answer                                   | error                         |
 * |------------------------------------------------|-------------------------------|
 * | 404 (SecretNotFound, version not found)        | SecretNotFoundError           |
 * | 403 SecretDisabled (a disabled version)        | SecretNotFoundError: not usable |
 * | 401, other 403, credential errors, TLS failure | ProviderAuthError             |
 * | 409                                            | ConflictError                 |
 * | 408, 429, 5xx, network, timeout                | ProviderUnavailableError      |
 * | a challenge for a non-Key-Vault resource       | ConfigError                   |
 * | anything else (400, bad body)                  | ProviderResponseError         |
 *
 * The message names the logical secret and says what to do; the SDK text is sanitised and cut, and the cause is
 * a plain summary (name, code, status), never the SDK error itself, whose request object holds the body.
 *
 * @example
 * ```ts
 * try { await client.getSecret(n) } catch (e) { throw mapAzureError(e, { op: 'get', name, vault }) }
 * ```
 */
export function mapAzureError(error: unknown, ctx: AzureErrorContext): SecretsError {
  if (SecretsError.is(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: string;
    code?: string;
    statusCode?: number;
    message?: string;
    details?: { error?: { code?: string; innerError?: { code?: string } } };
  };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const serviceCode = e.details?.error?.code ?? e.code;
  const innerCode = e.details?.error?.innerError?.code;
  const what = ctx.name === undefined ? `${ctx.op} in ${ctx.vault}` : `${ctx.op} of secret "${ctx.name}"${ctx.version ? ` version ${ctx.version}` : ''} in ${ctx.vault}`;
  const detail = `(${[status === undefined ? undefined : `HTTP ${status}`, serviceCode, innerCode].filter(Boolean).join(', ') || e.name || 'error'}: ${sanitizeMessage(e.message ?? String(error))})`;
  const cause = { name: e.name, code: serviceCode, innerCode, statusCode: status };
  const opts = { cause };

  if (e.name === 'AbortError') return new ProviderUnavailableError(`Azure Key Vault ${what} was aborted. ${detail}`, opts);
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) {
    return new ProviderAuthError(
      `Azure Key Vault ${what} failed: no Azure credential could get a token. Configure workload identity, a managed identity or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET (DefaultAzureCredential). ${detail}`,
      opts,
    );
  }
  if (status === undefined) {
    const code = e.code ?? '';
    if (TLS_CODES.has(code) || /certificate|self[- ]signed/i.test(e.message ?? '')) {
      return new ProviderAuthError(
        `Azure Key Vault ${what} failed: the TLS certificate of ${ctx.vault} is not trusted. For a private CA set ca=<pem file> in the azure:// URI; verification is never turned off. ${detail}`,
        opts,
      );
    }
    if (/challenge resource .* does not match/i.test(e.message ?? '')) {
      return new ConfigError(`Azure Key Vault ${what} failed: ${ctx.vault} asked for a token of another resource; point the azure:// URI at a Key Vault (https://<name>.vault.azure.net). ${detail}`, opts);
    }
    if (NETWORK_CODES.has(code) || e.name === 'RestError' || /socket|network|timed? ?out/i.test(e.message ?? '')) {
      return new ProviderUnavailableError(`Azure Key Vault ${what} failed: ${ctx.vault} could not be reached. Check the vault address, DNS, firewall and private endpoint. ${detail}`, opts);
    }
    return new ProviderResponseError(`Azure Key Vault ${what} failed unexpectedly. ${detail}`, opts);
  }
  if (status === 404) {
    return new SecretNotFoundError(`Azure Key Vault has no ${ctx.version ? 'such version of ' : ''}secret "${ctx.name ?? '?'}"${ctx.version ? ` (version ${ctx.version})` : ''} in ${ctx.vault}; write it first or check the name and the URI prefix. ${detail}`, opts);
  }
  if (status === 403 && (innerCode === 'SecretDisabled' || serviceCode === 'SecretDisabled' || /disabled/i.test(e.message ?? ''))) {
    return new SecretNotFoundError(`Secret "${ctx.name ?? '?'}"${ctx.version ? ` version ${ctx.version}` : ''} is disabled in Azure Key Vault ${ctx.vault} and cannot be read; enable a version or write a new one. ${detail}`, opts);
  }
  if (status === 401 || status === 403) {
    return new ProviderAuthError(
      `Azure Key Vault ${what} was refused (${status}): the identity lacks the permission (RBAC role "Key Vault Secrets User" to read, "Key Vault Secrets Officer" to write/delete/purge, or an access policy), a vault firewall rule denied the caller, or purge protection is on. ${detail}`,
      opts,
    );
  }
  if (status === 409) return new ConflictError(`Azure Key Vault ${what} conflicted with another change. ${detail}`, opts);
  if (status === 408 || status === 429 || status >= 500) {
    return new ProviderUnavailableError(`Azure Key Vault ${what} failed: the service is ${status === 429 ? 'throttling requests' : 'unavailable'}; retry later, and check the vault's status and request rate. ${detail}`, { ...opts, isThrottled: status === 429 });
  }
  return new ProviderResponseError(`Azure Key Vault ${what} was rejected (${status}); this is likely a bug or an unsupported vault setting. ${detail}`, opts);
}
