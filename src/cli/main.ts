import { Command } from 'commander';
import { auditHmacCommand, auditKeygenCommand, auditVerifyCommand, type AuditVerifyFlags } from './commands/auditCommands';
import { checkCommand } from './commands/checkCommand';
import { doctorCommand } from './commands/doctorCommand';
import { manifestsCheckCommand } from './commands/manifestsCommand';
import { rotationCommands } from './commands/rotationCommands';
import { createOut } from './output';

/** Extension point: more command groups (service, rotation, manifests) register themselves here. */
export type CommandRegistrar = (program: Command, run: (fn: (json: boolean) => number | Promise<number>) => Promise<void>) => void;
const registrars: CommandRegistrar[] = [];

/** Add commands to the CLI (used by the service, rotation and manifests modules). */
export function registerCommands(registrar: CommandRegistrar): void {
  registrars.push(registrar);
}

// The SecretsService commands: rotate (one secret or --due), versions, rollback.
registerCommands(rotationCommands);

/**
 * The `vc-secrets` CLI. Every command has `--help`; `--json` gives machine output; colour only on a TTY.
 * Exit codes: 0 ok, 1 a finding or failure, 78 configuration (as the preload), 69 backend unavailable.
 *
 * @example
 * ```sh
 * SECRETS_SOURCE=file:///mnt/secrets-store SECRETS_SCHEMA=./schema.js vc-secrets check
 * ```
 */
export async function main(argv: string[] = process.argv): Promise<number> {
  let code = 0;
  const program = new Command('vc-secrets')
    .description('Operate @valuecanvas/secrets: check and diagnose a configuration, rotate tenant secrets, verify audit logs, check Kubernetes manifests.')
    .option('--json', 'machine-readable output')
    .version((require('../../package.json') as { version: string }).version, '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError();
  const run = async (fn: (json: boolean) => number | Promise<number>) => {
    code = await fn(Boolean(program.opts().json));
  };
  program
    .command('check')
    .description('Load the configured sources (SECRETS_SOURCE, SECRETS_SCHEMA, ... as the preload) and validate them without starting an app. Exit 0, 78 or 69.')
    .option('--source <uris>', 'source URIs, as SECRETS_SOURCE (overrides it)')
    .option('--schema <file>', 'the convict schema module, as SECRETS_SCHEMA (overrides it)')
    .action((opts: { source?: string; schema?: string }) =>
      run((json) => checkCommand(createOut({ json }), { ...process.env, ...(opts.source !== undefined ? { SECRETS_SOURCE: opts.source } : {}), ...(opts.schema !== undefined ? { SECRETS_SCHEMA: opts.schema } : {}) })),
    );
  program
    .command('doctor')
    .description('Report RLIMIT_MEMLOCK vs what the schema needs, core dump settings, mount layout and permissions, provider reachability and auth, clock skew; each finding with a fix.')
    .action(() => run((json) => doctorCommand(createOut({ json }))));
  const audit = program.command('audit').description('Audit trail tools.');
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  audit
    .command('verify <paths...>')
    .description('Verify audit trails (files or directories): every segment of every trail against the signed checkpoints; per trail the events, first and last time, head, last checkpoint and the first break.')
    .option('--public-key <key>', 'checkpoint public key: 64 hex digits or a .pub file (repeatable; env SECRETS_AUDIT_PUBLIC_KEY)', collect, process.env.SECRETS_AUDIT_PUBLIC_KEY ? [process.env.SECRETS_AUDIT_PUBLIC_KEY] : [])
    .option('--checkpoints <file>', 'a checkpoint file or an operational log carrying auditCheckpoint lines (repeatable)', collect, [])
    .action((paths: string[], opts: AuditVerifyFlags) => run((json) => auditVerifyCommand(createOut({ json }), paths, opts)));
  audit
    .command('keygen')
    .description('Create an Ed25519 key pair for audit checkpoints: <out>.key (secret, mode 0600) and <out>.pub (public).')
    .requiredOption('--out <prefix>', 'path prefix of the two files')
    .action((opts: { out: string }) => run((json) => auditKeygenCommand(createOut({ json }), opts.out)));
  audit
    .command('hmac <name>')
    .description('Compute the hmac-sha256 reference of a known secret name, to search the audit log.')
    .requiredOption('--key-file <file>', 'the audit HMAC key file (env SECRETS_AUDIT_KEY_FILE)', process.env.SECRETS_AUDIT_KEY_FILE)
    .action((name: string, opts: { keyFile: string }) => run((json) => auditHmacCommand(createOut({ json }), name, opts.keyFile)));
  program
    .command('manifests')
    .description('Kubernetes manifest tools.')
    .command('check <dir>')
    .description('Validate manifests (and render kustomize overlays) under <dir>, and cross-check them against the schema.')
    .option('--schema <file>', 'the convict schema module (default SECRETS_SCHEMA)', process.env.SECRETS_SCHEMA)
    .action((dir: string, opts: { schema?: string }) => run((json) => manifestsCheckCommand(createOut({ json }), dir, opts.schema)));
  for (const r of registrars) r(program, run);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (e.code?.startsWith('commander.')) return e.exitCode && e.exitCode !== 0 ? 2 : 0;
    createOut().error(`vc-secrets: ${e.message ?? 'failed'}`);
    return 1;
  }
  return code;
}
