/**
 * Strip what must never reach a message from an SDK error text: credentials, tokens, signatures, request bodies.
 * Used by every adapter before wrapping a backend error. Values are never in backend error texts we keep:
 * we keep only the error's name/code, HTTP status and a sanitised message cut to 200 characters.
 */
export function sanitizeMessage(message: unknown): string {
  const text = typeof message === 'string' ? message : message instanceof Error ? message.message : String(message);
  return text
    .replace(/(authorization|x-vault-token|x-amz-security-token|token|secret|password|signature|credential)(["'=:\s]+)[^\s"',}]+/gi, '$1$2[redacted]')
    .replace(/AKIA[0-9A-Z]{16}/g, '[redacted]')
    .replace(/(hvs|hvb|s|b)\.[A-Za-z0-9]{20,}/g, '[redacted]')
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]')
    .slice(0, 200);
}
