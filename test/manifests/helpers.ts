// Build one-document manifests from objects, for the unit tests.
import type { Test } from 'tap';
import { stringify } from 'yaml';
import { parseManifests, type ManifestDocument, type ManifestFinding } from '../../src/manifests';

/** Documents parsed from YAML text, as `loadManifests` would give them. */
export function docsOf(...objects: unknown[]): ManifestDocument[] {
  return parseManifests(objects.map((o) => (typeof o === 'string' ? o : stringify(o))).join('---\n'), 'test.yaml');
}

/** A SecretProviderClass with the given provider, parameters and objects text. */
export function spc(provider: string, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'secrets-store.csi.x-k8s.io/v1', kind: 'SecretProviderClass', metadata: { name: 'app-secrets', namespace: 'ns' }, spec: { provider, parameters, ...extra } };
}

/** The rules of the findings (errors only unless `all`). */
export function rules(findings: ManifestFinding[], all = false): string[] {
  return findings.filter((f) => all || f.severity === 'error').map((f) => f.rule);
}

/** A restricted container that mounts the secrets and starts the preload. */
export function container(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'app',
    image: 'app:1',
    env: [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'NODE_OPTIONS', value: '--require=@valuecanvas/secrets/register' },
      { name: 'SECRETS_SOURCE', value: 'file:///mnt/secrets-store' },
      { name: 'SECRETS_SCHEMA', value: '/app/schema.js' },
    ],
    volumeMounts: [{ name: 'secrets', mountPath: '/mnt/secrets-store', readOnly: true }],
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    ...overrides,
  };
}

/** A Deployment around containers, with the CSI volume of SecretProviderClass `app-secrets`. */
export function deployment(containers: Record<string, unknown>[], podOverrides: Record<string, unknown> = {}, kind = 'Deployment'): Record<string, unknown> {
  const pod = { containers, volumes: [{ name: 'secrets', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'app-secrets' } } }], ...podOverrides };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { name: 'app', namespace: 'ns' }, spec: pod };
  if (kind === 'CronJob') return { apiVersion: 'batch/v1', kind, metadata: { name: 'app', namespace: 'ns' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', ...pod } } } } } };
  return { apiVersion: 'apps/v1', kind, metadata: { name: 'app', namespace: 'ns' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: pod } } };
}

/** `t.match` on arrays lets extra elements through: this also asserts the count. */
export function exactly(t: Test, actual: ManifestFinding[], expected: Record<string, unknown>[], message = ''): void {
  const shown = actual.map((f) => `${f.severity} ${f.rule} ${f.path}: ${f.message}`).join('\n');
  t.equal(actual.length, expected.length, `${message} count\n${shown}`);
  t.match(actual, expected, `${message}\n${shown}`);
}
