import { checkManifests, formatFinding } from '../../manifests';
import { loadSchema } from '../../schema/loadSchema';
import type { Out } from '../output';

/**
 * `vc-secrets manifests check <dir> [--schema F]`: validate Kubernetes manifests (kinds against the Kubernetes
 * schema, SecretProviderClass per provider, kustomize overlays rendered) and cross-check them against the
 * schema: every required secret has an object with that alias, no unknown aliases, the CSI volume mounted
 * read-only without subPath, the preload set. Exit 1 when a finding is an error.
 */
export function manifestsCheckCommand(out: Out, dir: string, schemaPath: string | undefined): number {
  if (!schemaPath) {
    out.error('vc-secrets: manifests check needs the schema: --schema FILE or SECRETS_SCHEMA.');
    return 78;
  }
  const findings = checkManifests(dir, loadSchema(schemaPath));
  const errors = findings.filter((f) => f.severity === 'error');
  if (out.isJson) out.json({ ok: errors.length === 0, findings });
  else {
    for (const f of findings) out.line(formatFinding(f));
    out.line(errors.length === 0 ? `${out.ok('ok')}: manifests in ${dir} are valid (${findings.length} warning(s))` : `${out.bad(`${errors.length} error(s)`)} in ${dir}`);
  }
  return errors.length === 0 ? 0 : 1;
}
