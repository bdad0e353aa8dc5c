import { describeFailure, loadSecretsSync } from '../../preload/preload';
import type { Out } from '../output';

/**
 * `vc-secrets check`: load the configured sources with the preload's settings and validate them against the
 * schema without starting an app. Exit 0, or 78/69 with the preload's messages. For init containers, readiness
 * checks and CI pipelines.
 */
export function checkCommand(out: Out, env: NodeJS.ProcessEnv = process.env): number {
  try {
    const { runtime, settings } = loadSecretsSync(env);
    const names = [...(runtime.snapshot?.values.keys() ?? [])];
    const versions = Object.fromEntries(names.map((n) => [n, runtime.snapshot!.values.get(n)!.version]));
    runtime.zeroAll();
    if (out.isJson) out.json({ ok: true, names, versions, sources: settings.sources.map((s) => s.uri) });
    else out.line(`${out.ok('ok')}: ${names.length} secret(s) valid from ${settings.sources.map((s) => s.uri).join(', ')}`);
    return 0;
  } catch (error) {
    const { exitCode, code, problems } = describeFailure(error);
    if (out.isJson) out.json({ ok: false, exitCode, code, problems });
    else {
      for (const p of problems) out.error(`@valuecanvas/secrets: ${p.name}: ${p.reason}`);
      out.error(`@valuecanvas/secrets: ${out.bad('check failed')} (exit ${exitCode}).`);
    }
    return exitCode;
  }
}
