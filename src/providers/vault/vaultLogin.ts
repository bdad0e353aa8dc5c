import { ProviderResponseError } from '../../errors/ProviderResponseError';
import type { VaultProviderConfig } from './VaultProviderConfig';
import type { VaultTransport } from './VaultTransport';
import { readCredential } from './readCredential';

/** A token and what Vault said about its lease. */
export interface VaultTokenGrant {
  token: string;
  /** Seconds left; 0 = does not expire (root, periodic tokens report their period). */
  ttlSeconds: number;
  renewable: boolean;
  /** The TTL the token was created with, asked for again at each renewal (default ttlSeconds). */
  creationTtlSeconds?: number;
  /** Whether we obtained it by logging in (and so may revoke it at close and log in again). */
  fromLogin: boolean;
}

/**
 * Obtain a token by the configured method, reading credentials afresh each time:
 * - `token`: VAULT_TOKEN_FILE or VAULT_TOKEN, then `GET auth/token/lookup-self` for its TTL (this also proves
 *   the token works before the first read);
 * - `approle`: `POST auth/<authMount>/login {role_id, secret_id}`;
 * - `kubernetes`: `POST auth/<authMount>/login {role, jwt}` with the projected service-account token file.
 *
 * @example
 * ```ts
 * const { token, ttlSeconds } = await vaultLogin(config, transport, process.env);
 * ```
 */
export async function vaultLogin(config: VaultProviderConfig, transport: VaultTransport, env: NodeJS.ProcessEnv): Promise<VaultTokenGrant> {
  const c = config.credentials;
  if (config.auth === 'token') {
    const token = await readCredential(c.token!, env, 'The Vault token');
    const { body } = await transport.send({ method: 'GET', path: '/auth/token/lookup-self', token }, { operation: 'token lookup' });
    const data = (body as { data?: { ttl?: unknown; renewable?: unknown; creation_ttl?: unknown } } | null)?.data;
    if (!data || typeof data !== 'object') throw malformed('token lookup', transport.address);
    return {
      token,
      ttlSeconds: typeof data.ttl === 'number' ? data.ttl : 0,
      renewable: data.renewable === true,
      ...(typeof data.creation_ttl === 'number' && data.creation_ttl > 0 ? { creationTtlSeconds: data.creation_ttl } : {}),
      fromLogin: false,
    };
  }
  let payload: Record<string, string>;
  if (config.auth === 'approle') {
    payload = { role_id: await readCredential(c.roleId!, env, 'The AppRole role id') };
    if (c.secretId) payload.secret_id = await readCredential(c.secretId, env, 'The AppRole secret id');
  } else {
    payload = { role: config.role!, jwt: await readCredential({ file: c.jwtFile! }, env, 'The Kubernetes service-account token') };
  }
  const operation = `${config.auth} login`;
  const { body } = await transport.send(
    { method: 'POST', path: `/auth/${config.authMount}/login`, json: payload },
    { operation, redact: Object.values(payload) },
  );
  return grantOf(body, operation, transport.address, true);
}

/** Read `auth` of a login answer. */
function grantOf(body: unknown, operation: string, address: string, fromLogin: boolean): VaultTokenGrant {
  const auth = (body as { auth?: { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } } | null)?.auth;
  if (!auth || typeof auth.client_token !== 'string' || !auth.client_token) throw malformed(operation, address);
  return {
    token: auth.client_token,
    ttlSeconds: typeof auth.lease_duration === 'number' ? auth.lease_duration : 0,
    renewable: auth.renewable === true,
    fromLogin,
  };
}

function malformed(operation: string, address: string): ProviderResponseError {
  return new ProviderResponseError(`Vault ${operation} at ${address} returned an answer without the expected auth data. Check that the address is a Vault or OpenBao server.`);
}
