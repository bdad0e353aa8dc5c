import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { PolicyError } from '../errors/PolicyError';
import { createPolicyError } from './createPolicyError';
import { parsePolicy } from './parsePolicy';
import type { Policy } from './Policy';

/** Policies are small; anything larger is a mistake (or an attack on the parser). */
const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads, validates and compiles an access policy file (synchronously: it runs once at start-up). The format
 * comes from the extension (`.yaml`, `.yml`, `.json`); other files are JSON when they start with `{`, else YAML.
 * Errors are PolicyError naming the file, line and field.
 *
 * @example
 * ```ts
 * const policy = loadPolicyFile('/etc/app/policy.yaml');
 * ```
 */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_POLICY_BYTES) {
      throw createPolicyError(path, [{ field: '(file)', problem: `is larger than ${MAX_POLICY_BYTES} bytes` }]);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw createPolicyError(path, [{ field: '(file)', problem: `cannot be read (${code}); check the path and permissions` }]);
  }
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : text.trimStart().startsWith('{') ? 'json' : 'yaml';
  return parsePolicy(text, format, { source: path });
}
