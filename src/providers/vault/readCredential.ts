import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors/ConfigError';
import type { VaultCredentialRef } from './VaultProviderConfig';

const MAX_CREDENTIAL_BYTES = 64 * 1024;

/**
 * Read one credential (token, role id, secret id, service-account JWT) from the environment variable or file
 * its reference names, trimmed of surrounding whitespace. Files are read afresh on every call, so a rotated
 * file (Vault Agent sink, projected service-account token) is picked up at the next login.
 * Errors name the variable or file, never the content.
 *
 * @example
 * ```ts
 * const token = await readCredential({ file: '/vault/token' }, process.env, 'the Vault token');
 * ```
 */
export async function readCredential(ref: VaultCredentialRef, env: NodeJS.ProcessEnv, what: string): Promise<string> {
  if ('env' in ref) {
    const value = (env[ref.env] ?? '').trim();
    if (!value) throw new ConfigError(`${what} is missing: ${ref.env} is empty or unset.`);
    return value;
  }
  let text: string;
  try {
    const bytes = await readFile(ref.file);
    if (bytes.length > MAX_CREDENTIAL_BYTES) throw new ConfigError(`${what} file ${ref.file} is larger than ${MAX_CREDENTIAL_BYTES} bytes; is it the right file?`);
    text = bytes.toString('utf8').trim();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError(`${what} could not be read from ${ref.file} (${code}). Check the path and the file's permissions.`);
  }
  if (!text) throw new ConfigError(`${what} file ${ref.file} is empty.`);
  return text;
}
