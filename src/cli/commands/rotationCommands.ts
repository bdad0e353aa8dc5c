import type { Command } from 'commander';
import * as cliProgress from 'cli-progress';
import { AuditHmac } from '../../audit/AuditHmac';
import { AuditTrail } from '../../audit/AuditTrail';
import { ConfigError } from '../../errors/ConfigError';
import { SecretsError } from '../../errors/SecretsError';
import type { ProviderClient } from '../../providers/Provider';
import { ProviderRegistry } from '../../providers/ProviderRegistry';
import { createSecretsService } from '../../service/createSecretsService';
import type { RequestContext } from '../../service/RequestContext';
import type { SecretsService } from '../../service/SecretsService';
import type { CommandRegistrar } from '../main';
import { createOut, type Out } from '../output';

/** Flags shared by the commands that act on tenant secrets through the SecretsService. */
export interface ServiceFlags {
  source?: string;
  policy?: string;
  auditFile?: string;
  auditKeyFile?: string;
  actor?: string;
  roles?: string;
  environment?: string;
  prefix?: string;
}

interface Session {
  service: SecretsService;
  ctx: RequestContext;
  close: () => Promise<void>;
}

const need = (value: string | undefined, flag: string, env: string): string => {
  if (value === undefined || value === '') throw new ConfigError(`${flag} (or ${env}) is required.`);
  return value;
};

/** Build the SecretsService of a CLI run from flags, falling back to the environment. Exit 78 on a bad setting. */
export async function openSession(flags: ServiceFlags, env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const source = need(flags.source ?? env.SECRETS_SERVICE_SOURCE, '--source', 'SECRETS_SERVICE_SOURCE');
  const policy = need(flags.policy ?? env.SECRETS_POLICY, '--policy', 'SECRETS_POLICY');
  const auditFile = need(flags.auditFile ?? env.SECRETS_AUDIT_FILE, '--audit-file', 'SECRETS_AUDIT_FILE');
  const keyFile = need(flags.auditKeyFile ?? env.SECRETS_AUDIT_KEY_FILE, '--audit-key-file', 'SECRETS_AUDIT_KEY_FILE');
  const actor = need(flags.actor ?? env.SECRETS_ACTOR, '--actor', 'SECRETS_ACTOR');
  const roles = (flags.roles ?? env.SECRETS_ACTOR_ROLES ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const environment = need(flags.environment ?? env.SECRETS_ENVIRONMENT, '--environment', 'SECRETS_ENVIRONMENT');
  let uri: URL;
  try {
    uri = new URL(source);
  } catch {
    throw new ConfigError('--source (SECRETS_SERVICE_SOURCE) must be a provider URI, e.g. vault://vault.internal:8200/secret.');
  }
  const hmac = new AuditHmac({ keyFile });
  const trail = new AuditTrail({ sink: { type: 'file', path: auditFile }, hmac, failClosed: true });
  let client: ProviderClient | undefined;
  try {
    client = await ProviderRegistry.withBuiltins().create(uri, { env });
    const service = createSecretsService({ providers: client, policy, audit: trail, environment, prefix: flags.prefix ?? env.SECRETS_PREFIX ?? '', cache: { ttlMs: 1_000 } });
    const ctx: RequestContext = { actor: { id: actor, roles }, requestId: `cli-${process.pid}-${Date.now().toString(36)}` };
    return {
      service,
      ctx,
      close: async () => {
        service.close();
        await client?.close();
        await trail.close();
      },
    };
  } catch (error) {
    await client?.close();
    await trail.close();
    throw error;
  }
}

/** Exit code of a failure: 78 configuration, 69 unavailable, 1 otherwise (forbidden, conflict, rotation). */
function exitCodeOf(error: unknown): number {
  const code = SecretsError.is(error) ? error.code : 'E_UNEXPECTED';
  if (code === 'E_CONFIG' || code === 'E_POLICY') return 78;
  if (code === 'E_PROVIDER_UNAVAILABLE') return 69;
  return 1;
}

async function withSession(out: Out, flags: ServiceFlags, fn: (s: Session) => Promise<number>): Promise<number> {
  let session: Session | undefined;
  try {
    session = await openSession(flags);
    return await fn(session);
  } catch (error) {
    const code = SecretsError.is(error) ? error.code : 'E_UNEXPECTED';
    // Library errors never quote a value; anything else is withheld.
    const message = SecretsError.is(error) ? error.message : 'unexpected error (message withheld)';
    const step = (error as { step?: unknown } | null)?.step;
    if (out.isJson) out.json({ ok: false, code, ...(typeof step === 'string' ? { step } : {}), message });
    else out.error(`vc-secrets: ${out.bad(code)}: ${message}`);
    return exitCodeOf(error);
  } finally {
    await session?.close();
  }
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : '');

function table(out: Out, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  out.line(fmt(header));
  out.line(fmt(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) out.line(fmt(r));
}

/** `vc-secrets rotate <tenant> <name>`: rotate one secret; `--due`: everything due. Exit 1 if any failed. */
export async function rotateCommand(out: Out, flags: ServiceFlags & { due?: boolean; tenant?: string[]; concurrency?: string; now?: string; grace?: string }, tenant?: string, name?: string): Promise<number> {
  if (!flags.due && (tenant === undefined || name === undefined)) {
    out.error('vc-secrets rotate: give <tenant> <name>, or --due.');
    return 2;
  }
  return withSession(out, flags, async ({ service, ctx }) => {
    const graceMs = flags.grace === undefined ? undefined : Number(flags.grace);
    if (graceMs !== undefined && !(Number.isInteger(graceMs) && graceMs >= 0)) throw new ConfigError('--grace-ms must be a whole number of milliseconds.');
    if (!flags.due) {
      const result = await service.rotate(ctx, tenant!, name!, graceMs === undefined ? {} : { gracePeriodMs: graceMs });
      const summary = { ok: true, tenant, name, version: result.version, previousVersion: result.previousVersion, graceEndsAt: iso(result.graceEndsAt), retired: result.retired, steps: result.steps.map((s) => ({ step: s.step, outcome: s.outcome })) };
      if (out.isJson) out.json(summary);
      else {
        out.line(`${out.ok('rotated')} ${tenant}/${name}: version ${result.version} is current; ${result.previousVersion} readable until ${summary.graceEndsAt}`);
        table(out, ['step', 'outcome'], result.steps.map((s) => [s.step, s.outcome]));
      }
      return 0;
    }
    const at = flags.now === undefined ? undefined : Date.parse(flags.now);
    if (at !== undefined && Number.isNaN(at)) throw new ConfigError('--now must be an ISO 8601 time.');
    const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
    const isTty = Boolean(process.stderr.isTTY) && !out.isJson;
    const bar = isTty ? new cliProgress.SingleBar({ stream: process.stderr, format: 'rotate --due [{bar}] {value}/{total} due {due} rotated {rotated} failed {failed}' }, cliProgress.Presets.shades_classic) : undefined;
    let isStarted = false;
    let report;
    try {
      report = await service.rotateDue(ctx, {
        ...(flags.tenant && flags.tenant.length > 0 ? { tenants: flags.tenant } : {}),
        ...(concurrency !== undefined && Number.isInteger(concurrency) && concurrency > 0 ? { concurrency } : {}),
        ...(at !== undefined ? { now: () => at } : {}),
        ...(graceMs !== undefined ? { rotate: { gracePeriodMs: graceMs } } : {}),
        onProgress: (p) => {
          if (!bar) return;
          if (!isStarted) {
            bar.start(p.total, 0, { due: 0, rotated: 0, failed: 0 });
            isStarted = true;
          }
          bar.update(p.done, { due: p.due, rotated: p.rotated, failed: p.failed });
        },
      });
    } finally {
      if (isStarted) bar?.stop();
    }
    const ok = report.failures.length === 0;
    if (out.isJson) out.json({ ok, ...report, nextDueAt: report.nextDueAt ? iso(report.nextDueAt) : null });
    else {
      const rows = [
        ...report.rotated.map((id) => [id, 'rotated', '']),
        ...report.retired.map((id) => [id, 'retired', '']),
        ...report.failures.map((f) => [f.id, out.bad(`failed (${f.phase})`), `${f.code}${f.step ? ` at ${f.step}` : ''}${f.isConflict ? ' (conflict)' : ''}`]),
      ];
      if (rows.length > 0) table(out, ['secret', 'result', 'detail'], rows);
      out.line(
        `${ok ? out.ok('ok') : out.bad('failed')}: ${report.total} secret(s), ${report.scheduled} with a policy, ${report.due} due, ${report.rotated.length} rotated, ${report.retired.length} retired, ${report.failures.length} failed${report.nextDueAt ? `; next due ${iso(report.nextDueAt)}` : ''}`,
      );
    }
    return ok ? 0 : 1;
  });
}

/** `vc-secrets versions <tenant> <name>`: the versions of a secret with their state, never a value. */
export async function versionsCommand(out: Out, flags: ServiceFlags, tenant: string, name: string): Promise<number> {
  return withSession(out, flags, async ({ service, ctx }) => {
    const versions = await service.versions(ctx, tenant, name);
    if (out.isJson) out.json({ ok: true, tenant, name, versions: versions.map((v) => ({ ...v, createdAt: v.createdAt ? iso(v.createdAt) : null })) });
    else table(out, ['version', 'state', 'created', 'stages'], versions.map((v) => [v.version, v.state, iso(v.createdAt), v.stages.join(',')]));
    return 0;
  });
}

/** `vc-secrets rollback <tenant> <name> [--version V]`: make an earlier version current again. */
export async function rollbackCommand(out: Out, flags: ServiceFlags & { version?: string }, tenant: string, name: string): Promise<number> {
  return withSession(out, flags, async ({ service, ctx }) => {
    const result = await service.rollback(ctx, tenant, name, flags.version === undefined ? {} : { version: flags.version });
    if (out.isJson) out.json({ ok: true, tenant, name, version: result.version, previousVersion: result.previousVersion, restoredFrom: result.restoredFrom ?? null });
    else out.line(`${out.ok('rolled back')} ${tenant}/${name}: version ${result.version} is current (restored from ${result.restoredFrom ?? '?'}; was ${result.previousVersion})`);
    return 0;
  });
}

function serviceOptions(command: Command): Command {
  return command
    .option('--source <uri>', 'provider URI of the tenant secrets (env SECRETS_SERVICE_SOURCE)')
    .option('--policy <file>', 'access policy file (env SECRETS_POLICY)')
    .option('--audit-file <file>', 'audit log (JSONL) to append to (env SECRETS_AUDIT_FILE)')
    .option('--audit-key-file <file>', 'audit HMAC key file (env SECRETS_AUDIT_KEY_FILE)')
    .option('--actor <id>', 'who runs this, as the policy knows it (env SECRETS_ACTOR)')
    .option('--roles <list>', 'comma-separated roles of the actor (env SECRETS_ACTOR_ROLES)')
    .option('--environment <name>', 'the service environment segment, e.g. prod (env SECRETS_ENVIRONMENT)')
    .option('--prefix <prefix>', 'the service path prefix (env SECRETS_PREFIX; default none)');
}

/** Registers `rotate`, `versions` and `rollback` (see registerCommands in ../main). */
export const rotationCommands: CommandRegistrar = (program, run) => {
  const json = () => Boolean(program.opts().json);
  serviceOptions(
    program
      .command('rotate [tenant] [name]')
      .description('Rotate one tenant secret through the SecretsService (RBAC secrets:rotate, every step audited), or with --due every secret whose rotation policy is due. Exit 1 if any failed.')
      .option('--due', 'rotate everything due (progress bar on a TTY, summary table)')
      .option('--tenant <id...>', 'with --due: only these tenants (default every tenant)')
      .option('--concurrency <n>', 'with --due: secrets in flight at once (default 8)')
      .option('--grace-ms <ms>', 'grace period of the previous version (default the policy\'s, else 24 h)')
      .option('--now <iso>', 'with --due: evaluate due times as of this instant'),
  ).action((tenant: string | undefined, name: string | undefined, opts: ServiceFlags & { due?: boolean; tenant?: string[]; concurrency?: string; now?: string; graceMs?: string }) =>
    run(() => rotateCommand(createOut({ json: json() }), { ...opts, ...(opts.graceMs !== undefined ? { grace: opts.graceMs } : {}) }, tenant, name)),
  );
  serviceOptions(program.command('versions <tenant> <name>').description('List the versions of a tenant secret (id, state, created), never a value (RBAC secrets:list).')).action(
    (tenant: string, name: string, opts: ServiceFlags) => run(() => versionsCommand(createOut({ json: json() }), opts, tenant, name)),
  );
  serviceOptions(
    program
      .command('rollback <tenant> <name>')
      .description('Make an earlier version of a tenant secret current again (default the previous one; RBAC secrets:rotate, audited).')
      .option('--version <id>', 'the version to restore'),
  ).action((tenant: string, name: string, opts: ServiceFlags & { version?: string }) => run(() => rollbackCommand(createOut({ json: json() }), opts, tenant, name)));
};
