import * as path from 'node:path';
import { ConfigError } from '../errors/ConfigError';
import { displayUri, type SourceSpec } from './SourceSpec';

/**
 * Parse SECRETS_SOURCE: comma-separated source URIs in priority order; `A|B` makes B the failover of A (used only
 * while A is unavailable). Forms: `file:///abs/dir` (or a bare absolute path, or `./dir` / `../dir` resolved from the
 * working directory), `env:` / `env:?prefix=APP_`, and
 * provider URIs (`aws://`, `vault://`, `openbao://`, `azure://`; see the README).
 *
 * @example
 * ```ts
 * parseSources('file:///mnt/secrets-store,env:');
 * ```
 */
export function parseSources(value: string | undefined): SourceSpec[] {
  if (!value || !value.trim()) {
    throw new ConfigError('SECRETS_SOURCE is not set. Set it to a mount such as file:///mnt/secrets-store or a provider URI (see the README).');
  }
  const specs: SourceSpec[] = [];
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [primary, failover, extra] = item.split('|').map((s) => s.trim());
    if (extra !== undefined) throw new ConfigError(`SECRETS_SOURCE: "${safe(item)}" has more than one failover; use A|B.`);
    const spec = parseOne(primary!);
    if (failover !== undefined) {
      const fo = parseOne(failover);
      if (spec.kind !== 'provider' || fo.kind !== 'provider') throw new ConfigError('SECRETS_SOURCE: a failover (A|B) is only for provider sources.');
      spec.failover = fo;
    }
    specs.push(spec);
  }
  if (specs.length === 0) throw new ConfigError('SECRETS_SOURCE lists no source.');
  return specs;
}

function parseOne(item: string): SourceSpec {
  if (item.startsWith('/')) return { kind: 'file', uri: `file://${item}`, dir: path.resolve(item) };
  // A relative directory is resolved from the working directory (the service's, which the log then names).
  if (/^\.\.?([/\\]|$)/.test(item)) {
    const dir = path.resolve(item);
    return { kind: 'file', uri: `file://${dir}`, dir };
  }
  if (/^file:(?!\/\/)/i.test(item)) throw new ConfigError(`SECRETS_SOURCE: "${safe(item)}" is not a file URI this library reads: use file:///absolute/dir, or a path (/abs/dir or ./relative/dir, resolved from the working directory).`);
  let url: URL;
  try {
    url = new URL(item);
  } catch {
    throw new ConfigError(`SECRETS_SOURCE: "${safe(item)}" is not a URI or path. Use file:///dir, /abs/dir, ./relative/dir (from the working directory), env:, aws://, vault://, openbao:// or azure://.`);
  }
  if (url.username || url.password) {
    throw new ConfigError(`SECRETS_SOURCE: credentials are not allowed in a source URI (${url.protocol}). Use the provider's standard credential settings.`);
  }
  switch (url.protocol) {
    case 'file:': {
      if (url.host && url.host !== 'localhost') throw new ConfigError(`SECRETS_SOURCE: file URIs must be local (file:///dir), got host ${url.host}.`);
      let dir: string;
      try {
        dir = decodeURIComponent(url.pathname);
      } catch {
        throw new ConfigError('SECRETS_SOURCE: the file URI has a malformed %-escape in its path. Escape a literal % as %25.');
      }
      if (!dir || dir === '/') throw new ConfigError('SECRETS_SOURCE: the file source needs a directory, e.g. file:///mnt/secrets-store.');
      return { kind: 'file', uri: `file://${dir}`, dir: path.resolve(dir) };
    }
    case 'env:': {
      const prefix = url.searchParams.get('prefix') ?? '';
      if (!/^[A-Za-z0-9_]*$/.test(prefix)) throw new ConfigError('SECRETS_SOURCE: env: prefix may only contain A-Z a-z 0-9 _.');
      return { kind: 'env', uri: 'env:', prefix };
    }
    default:
      return { kind: 'provider', uri: displayUri(url), url };
  }
}

function safe(s: string): string {
  // Anything up to the last @ after // may be credentials, even in a string that is not a valid URI.
  return s.replace(/\/\/.*@/, '//[redacted]@').replace(/^[^/]*:[^/]*@/, '[redacted]@').slice(0, 120);
}
