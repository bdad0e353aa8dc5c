import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';

// The AWS rule for a whole Secrets Manager name, stated in every refusal.
const AWS_NAME_RULE =
  'AWS Secrets Manager names (prefix included) are 1-512 ASCII letters, digits and the characters /_+=.@- ' +
  'and must not end in "-" followed by 6 characters (that looks like the random suffix AWS appends to ARNs)';

const AWS_NAME_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
const ARN_SUFFIX_LIKE = /-[A-Za-z0-9]{6}$/;
const MAX_NAME_LENGTH = 512;

/**
 * Check a logical name against the AWS naming rules and return the backend name `<prefix><name>`.
 * Logical names are `/`-separated segments; empty segments (leading, trailing or double `/`) are refused too.
 * moto accepts names that real AWS refuses, so this check runs before every call, never relying on the peer.
 *
 * @example
 * ```ts
 * validateAwsSecretName('db/PASSWORD', 'myapp/prod/'); // 'myapp/prod/db/PASSWORD'
 * validateAwsSecretName('api-secret', '');            // throws InvalidSecretNameError (ARN-like suffix)
 * ```
 */
export function validateAwsSecretName(name: string, prefix: string): string {
  const refuse = (reason: string) =>
    new InvalidSecretNameError(`Secret name ${quote(name)} cannot be used with AWS Secrets Manager: ${reason}. ${AWS_NAME_RULE}. Rename the secret.`);
  if (typeof name !== 'string' || name.length === 0) throw refuse('it is empty');
  if (name.split('/').some((segment) => segment.length === 0)) throw refuse('it has an empty segment (a leading, trailing or double "/")');
  const full = prefix + name;
  if (full.length > MAX_NAME_LENGTH) throw refuse(`with the prefix it is ${full.length} characters long`);
  if (!AWS_NAME_CHARS.test(full)) throw refuse('it contains a character outside the allowed set');
  if (ARN_SUFFIX_LIKE.test(full)) throw refuse('it ends in "-" followed by 6 characters');
  return full;
}

/** A name as shown in a message: cut to 80 characters, then JSON-quoted (control characters escaped). */
function quote(name: unknown): string {
  const text = typeof name === 'string' ? name : String(name);
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text);
}
