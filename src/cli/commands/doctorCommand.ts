import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProviderRegistry } from '../../providers/ProviderRegistry';
import { readSettings } from '../../preload/settings';
import { loadSchema } from '../../schema/loadSchema';
import { SchemaValidator } from '../../schema/SchemaValidator';
import { detectLayout } from '../../sources/file/readMount';
import { SecretsError } from '../../errors/SecretsError';
import type { Out } from '../output';

/** One finding of `doctor`. */
export interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do (empty when ok). */
  fix: string;
}

/** A limit from /proc/self/limits: soft value in bytes (Infinity for unlimited), or undefined. */
export function readLimit(label: string, limits = safeRead('/proc/self/limits')): number | undefined {
  const line = limits?.split('\n').find((l) => l.startsWith(label));
  if (!line) return undefined;
  const soft = line.slice(label.length).trim().split(/\s+/)[0];
  return soft === 'unlimited' ? Infinity : Number(soft);
}

function safeRead(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Locked bytes the arena needs for `count` secrets of up to `maxBytes` each (slabs and one page per size class). */
export function estimateLockedBytes(count: number, maxBytes = 128): number {
  let cls = 16;
  while (cls < maxBytes) cls *= 2;
  return Math.ceil((count * cls) / 4096) * 4096 + 8 * 4096;
}

/**
 * `vc-secrets doctor`: what matters for safe operation, each finding with a fix: RLIMIT_MEMLOCK against what the
 * schema needs, core dump settings, the mount's layout and permissions, provider reachability and auth, clock
 * skew against the provider. Exit 1 when a finding fails.
 */
export async function doctorCommand(out: Out, env: NodeJS.ProcessEnv = process.env, registry = ProviderRegistry.withBuiltins()): Promise<number> {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  let settings;
  try {
    settings = readSettings(env);
  } catch (error) {
    add({ check: 'settings', status: 'fail', detail: (error as Error).message, fix: 'Set SECRETS_SOURCE and SECRETS_SCHEMA as the README describes.' });
  }
  let count = 0;
  if (settings) {
    try {
      const schema = loadSchema(settings.schemaPath);
      // Formats, defaults: what the preload checks before reading any source.
      new SchemaValidator(schema);
      count = Object.keys(schema).length;
      add({ check: 'schema', status: 'ok', detail: `${count} secret(s) declared in ${settings.schemaPath}`, fix: '' });
    } catch (error) {
      const detail = SecretsError.is(error) ? error.message : `unexpected error (${(error as Error)?.name ?? 'unknown'})`;
      add({ check: 'schema', status: 'fail', detail, fix: 'Point SECRETS_SCHEMA at a module exporting a valid convict schema: known formats, valid defaults (see the README).' });
    }
  }
  // Locked memory.
  const need = estimateLockedBytes(Math.max(count, 1));
  const memlock = readLimit('Max locked memory');
  const isRoot = process.getuid?.() === 0;
  if (memlock === undefined) add({ check: 'memlock', status: 'warn', detail: 'RLIMIT_MEMLOCK unknown (no /proc/self/limits)', fix: 'Make sure the memlock limit covers the secrets.' });
  else if (memlock >= need || isRoot) add({ check: 'memlock', status: 'ok', detail: `RLIMIT_MEMLOCK ${memlock === Infinity ? 'unlimited' : `${memlock} bytes`}; about ${need} bytes needed${isRoot ? ' (root: CAP_IPC_LOCK ignores the limit)' : ''}`, fix: '' });
  else add({ check: 'memlock', status: 'fail', detail: `RLIMIT_MEMLOCK ${memlock} bytes < about ${need} bytes needed: secrets could be swapped`, fix: 'Raise it: `ulimit -l`, LimitMEMLOCK= (systemd), or the container runtime memlock ulimit; or set SECRETS_REQUIRE_MLOCK=1 to refuse to start.' });
  // Core dumps.
  const core = readLimit('Max core file size');
  const pattern = safeRead('/proc/sys/kernel/core_pattern')?.trim() ?? 'unknown';
  if (core === 0) add({ check: 'core dumps', status: 'ok', detail: 'core dumps are off (RLIMIT_CORE 0)', fix: '' });
  else add({ check: 'core dumps', status: 'warn', detail: `core dumps are on (RLIMIT_CORE ${core === Infinity ? 'unlimited' : core}, core_pattern ${pattern}); locked secrets are excluded, strings from reveal() are not`, fix: 'In production set `ulimit -c 0` (or the container core ulimit to 0).' });
  // Mounts and providers.
  for (const spec of settings?.sources ?? []) {
    if (spec.kind === 'file') checkMount(spec.dir, add);
    if (spec.kind === 'env') add({ check: 'source env:', status: settings?.isProduction ? 'fail' : 'warn', detail: 'secrets come from environment variables', fix: 'Use a mount or a provider in production.' });
    if (spec.kind === 'provider') await checkProvider(spec.url, spec.uri, registry, env, add);
  }
  if (out.isJson) out.json({ ok: !findings.some((f) => f.status === 'fail'), findings });
  else {
    for (const f of findings) {
      const mark = f.status === 'ok' ? out.ok('ok  ') : f.status === 'warn' ? out.warn('warn') : out.bad('FAIL');
      out.line(`${mark} ${f.check}: ${f.detail}`);
      if (f.fix) out.line(`     fix: ${f.fix}`);
    }
  }
  return findings.some((f) => f.status === 'fail') ? 1 : 0;
}

function checkMount(dir: string, add: (f: Finding) => void): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    add({ check: `mount ${dir}`, status: 'fail', detail: 'does not exist', fix: 'Mount the CSI volume (the whole volume, not a subPath) at this path.' });
    return;
  }
  const layout = detectLayout(fs.realpathSync(dir));
  add({ check: `mount ${dir}`, status: 'ok', detail: `layout ${layout}`, fix: '' });
  if (st.mode & 0o002) add({ check: `mount ${dir}`, status: 'fail', detail: 'the directory is writable by everyone', fix: 'Mount it read-only; fix its mode (0755 or stricter).' });
  let writable = false;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    writable = true;
  } catch {
    writable = false;
  }
  if (writable) add({ check: `mount ${dir}`, status: 'warn', detail: 'this process can write to the mount', fix: 'Mount the volume readOnly: true and run as a non-root user.' });
  const dataDir = layout === 'atomic-writer' ? fs.realpathSync(path.join(dir, '..data')) : dir;
  const open = fs.readdirSync(dataDir).filter((n) => !n.startsWith('..') && !n.startsWith('.')).filter((n) => {
    try {
      return (fs.statSync(path.join(dataDir, n)).mode & 0o004) !== 0;
    } catch {
      return false;
    }
  });
  if (open.length > 0) add({ check: `mount ${dir}`, status: 'warn', detail: `${open.length} file(s) readable by every user (mode o+r), e.g. ${open[0]}`, fix: 'Set filePermission "0600"/0640 in the SecretProviderClass objects (or defaultMode) and run the app as the owner or group.' });
}

async function checkProvider(url: URL, label: string, registry: ProviderRegistry, env: NodeJS.ProcessEnv, add: (f: Finding) => void): Promise<void> {
  const started = Date.now();
  try {
    const client = await registry.create(url, { env });
    try {
      await client.health();
      add({ check: `provider ${label}`, status: 'ok', detail: `reachable and authenticated (${Date.now() - started} ms)`, fix: '' });
    } finally {
      await client.close();
    }
  } catch (error) {
    const code = SecretsError.is(error) ? error.code : 'E_INTERNAL';
    const fix =
      code === 'E_PROVIDER_AUTH' ? 'Check the credentials: IRSA / pod identity role, Vault role and token, Azure workload identity.' : code === 'E_PROVIDER_UNAVAILABLE' ? 'Check network policy, DNS, the endpoint and TLS trust (ca=).' : 'Check the source URI against the README.';
    add({ check: `provider ${label}`, status: 'fail', detail: `${code}: ${SecretsError.is(error) ? error.message : 'unexpected error'}`, fix });
  }
  await checkClock(url, label, add);
}

/** Compare our clock with the HTTP Date of the backend endpoint (signatures and tokens fail past a few minutes). */
async function checkClock(url: URL, label: string, add: (f: Finding) => void): Promise<void> {
  const endpoint = url.searchParams.get('endpoint') ?? (url.protocol === 'aws:' && url.host ? `https://secretsmanager.${url.host}.amazonaws.com` : url.protocol === 'vault:' || url.protocol === 'openbao:' ? `${url.searchParams.get('tls') === '0' ? 'http' : 'https'}://${url.host}` : url.protocol === 'azure:' ? `https://${url.host}` : undefined);
  if (!endpoint) return;
  try {
    const res = await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(3000) });
    const date = res.headers.get('date');
    if (!date) return;
    const skew = Math.round((Date.parse(date) - Date.now()) / 1000);
    if (Math.abs(skew) > 120) add({ check: `clock vs ${label}`, status: 'warn', detail: `our clock differs from the backend by ${skew} s`, fix: 'Sync the node clock (NTP/chrony): request signatures and tokens fail past ~5 minutes of skew.' });
    else add({ check: `clock vs ${label}`, status: 'ok', detail: `skew ${skew} s`, fix: '' });
  } catch {
    // Reachability is reported by the provider check; the clock check is best effort (a custom CA may be needed).
  }
}
