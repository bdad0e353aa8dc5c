/**
 * Kubernetes manifests for services that use the preload: load, validate and cross-check them against the
 * secrets schema (`vc-secrets manifests check <dir>`).
 *
 * @example
 * ```ts
 * import { checkManifests, formatFinding } from './manifests';
 * const findings = checkManifests('deploy/kubernetes', loadSchema('examples/schema.js'));
 * ```
 */
export { checkManifests, type CheckManifestsOptions } from './checkManifests';
export { loadManifests, KUSTOMIZATION_FILES } from './loadManifests';
export { parseManifests } from './parseManifests';
export { validateManifests, type ValidateManifestsOptions } from './validateManifests';
export { crossCheckSchema, SECRETS_STORE_DRIVER } from './crossCheckSchema';
export { checkPodSecurity } from './checkPodSecurity';
export { findKustomize, renderKustomization, type RenderKustomizationOptions } from './renderKustomization';
export { formatFinding } from './formatFinding';
export type { ManifestDocument, ManifestRole, YamlPath } from './ManifestDocument';
export type { ManifestFinding, ManifestRule } from './ManifestFinding';
