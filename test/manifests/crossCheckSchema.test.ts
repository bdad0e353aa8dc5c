// crossCheckSchema and checkPodSecurity on small hand-made manifests: every way the preload can be started or
// configured, and every restricted-profile rule.
import t from 'tap';
import { checkPodSecurity, crossCheckSchema } from '../../src/manifests';
import { container, deployment, docsOf, exactly, rules, spc } from './helpers';

const schema = { DB_PASSWORD: { format: String, default: null, sensitive: true }, PORT: { format: 'port', default: 8080 } };
const theSpc = spc('vault', { roleName: 'r', objects: '- objectName: DB_PASSWORD\n  secretPath: s/data/DB_PASSWORD\n  secretKey: value\n' });
const cross = (...objects: unknown[]) => crossCheckSchema(docsOf(theSpc, ...objects), schema);
const env = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
const SETTINGS = { NODE_ENV: 'production', SECRETS_SOURCE: 'file:///mnt/secrets-store', SECRETS_SCHEMA: '/app/schema.js' };

t.test('Function: crossCheckSchema', async (t) => {
  t.test('a complete Deployment passes; optional names may be absent', async (t) => {
    t.same(cross(deployment([container()])), []);
  });

  t.test('the preload may come from NODE_OPTIONS (any spelling node accepts) or the command', async (t) => {
    for (const options of ['--require=@valuecanvas/secrets/register', '-r @valuecanvas/secrets/register', '--max-old-space-size=256 --require /app/node_modules/@valuecanvas/secrets/register.js', '--import=@valuecanvas/secrets/register', '"--require" "@valuecanvas/secrets/register"']) {
      t.same(cross(deployment([container({ env: env({ ...SETTINGS, NODE_OPTIONS: options }) })])), [], options);
    }
    t.same(cross(deployment([container({ env: env(SETTINGS), command: ['node', '-r', '@valuecanvas/secrets/register', 'server.js'] })])), [], 'node -r in the command');
    t.same(cross(deployment([container({ env: env(SETTINGS), command: ['node'], args: ['--require=@valuecanvas/secrets/register', 'server.js'] })])), [], 'in args');
    const missing = cross(deployment([container({ env: env({ ...SETTINGS, NODE_OPTIONS: '--require=./other.js' }) })]));
    exactly(t, missing, [{ rule: 'preload-missing', path: 'spec.template.spec.containers[0].env[3].value' }]);
    exactly(t, cross(deployment([container({ env: env(SETTINGS) })], {}, 'Pod')), [{ rule: 'preload-missing', path: 'spec.containers[0].env' }], 'a bare Pod too');
  });

  t.test('settings from ConfigMaps in the set are resolved; from elsewhere they cannot be verified (warning)', async (t) => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'ns' }, data: { ...SETTINGS, NODE_OPTIONS: '--require=@valuecanvas/secrets/register' } };
    t.same(cross(configMap, deployment([container({ env: undefined, envFrom: [{ configMapRef: { name: 'settings' } }] })])), [], 'envFrom');
    const keyRef = (key: string) => ({ name: key, valueFrom: { configMapKeyRef: { name: 'settings', key } } });
    t.same(cross(configMap, deployment([container({ env: ['NODE_ENV', 'NODE_OPTIONS', 'SECRETS_SOURCE', 'SECRETS_SCHEMA'].map(keyRef) })])), [], 'configMapKeyRef');
    const fromSecret = cross(deployment([container({ env: [...env(SETTINGS), { name: 'NODE_OPTIONS', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })]));
    t.same(rules(fromSecret), []);
    exactly(t, fromSecret, [{ severity: 'warning', rule: 'preload-missing', message: /cannot tell/ }]);
    const unknownSource = cross(deployment([container({ env: undefined, envFrom: [{ configMapRef: { name: 'elsewhere' } }] })]));
    t.match(unknownSource.map((f) => [f.severity, f.rule]), [['warning', 'preload-missing']], 'every variable may come from the unknown ConfigMap');
  });

  t.test('SECRETS_SOURCE must read the mount; SECRETS_SCHEMA must be set; NODE_ENV=production is advised', async (t) => {
    t.same(cross(deployment([container({ env: env({ ...SETTINGS, NODE_OPTIONS: '-r @valuecanvas/secrets/register', SECRETS_SOURCE: 'aws://us-east-1/app/,/mnt/secrets-store/|vault://v/secret' }) })])), [], 'a list that includes the mount');
    const noSource = cross(deployment([container({ env: env({ NODE_ENV: 'production', NODE_OPTIONS: '-r @valuecanvas/secrets/register', SECRETS_SCHEMA: '/s.js' }) })]));
    exactly(t, noSource, [{ rule: 'preload-settings', message: /sets no SECRETS_SOURCE/, fix: /file:\/\/\/mnt\/secrets-store/ }]);
    const noSchema = cross(deployment([container({ env: env({ NODE_OPTIONS: '-r @valuecanvas/secrets/register', SECRETS_SOURCE: 'file:///mnt/secrets-store' }) })]));
    t.match(noSchema.map((f) => [f.severity, f.message]), [['error', /no SECRETS_SCHEMA/], ['warning', /NODE_ENV=production: the preload's guards stay on/]]);
    const dev = cross(deployment([container({ env: env({ ...SETTINGS, NODE_ENV: 'development', NODE_OPTIONS: '-r @valuecanvas/secrets/register' }) })]));
    exactly(t, dev, [{ rule: 'preload-settings', message: /sets NODE_ENV=development, which turns the preload's production guards off/ }]);
  });

  t.test('init containers and jobs need no preload; when they run vc-secrets their settings must still match', async (t) => {
    const init = container({ name: 'check', command: ['vc-secrets', 'check'], env: env(SETTINGS) });
    t.same(cross(deployment([container()], { initContainers: [init] })), []);
    const wrong = container({ name: 'check', command: ['/usr/local/bin/vc-secrets', 'check'], env: env({ ...SETTINGS, SECRETS_SOURCE: 'file:///elsewhere' }) });
    exactly(t, cross(deployment([container()], { initContainers: [wrong] })), [{ rule: 'preload-settings', path: 'spec.template.spec.initContainers[0].env[1].value' }]);
    const sidecar = container({ name: 'copier', env: [], command: ['cat'] });
    t.same(cross(deployment([container()], { initContainers: [sidecar] })), [], 'an init container that only reads');
    t.same(cross(deployment([container({ env: [], command: ['sh', '-c', 'ls'] })], {}, 'CronJob')), [], 'a job container');
  });

  t.test('volumes: read-only, a SecretProviderClass of the set, mounted by someone', async (t) => {
    const pod = (volume: Record<string, unknown>, containers = [container()]) => deployment(containers, { volumes: [{ name: 'secrets', csi: { driver: 'secrets-store.csi.k8s.io', ...volume } }] });
    exactly(t, cross(pod({ volumeAttributes: { secretProviderClass: 'app-secrets' } })), [{ rule: 'csi-volume', message: /not read-only/ }]);
    exactly(t, cross(pod({ readOnly: true })), [{ rule: 'csi-volume', message: /names no SecretProviderClass/ }, { rule: 'mount-missing' }]);
    const other = { ...theSpc, metadata: { name: 'app-secrets', namespace: 'other' } };
    exactly(t, crossCheckSchema(docsOf(other, deployment([container()])), schema), [{ rule: 'csi-volume', severity: 'error', message: /do not define in the pod's namespace/ }, { rule: 'mount-missing' }]);
    exactly(t, crossCheckSchema(docsOf(deployment([container()])), schema), [{ rule: 'csi-volume', severity: 'warning', message: /not among these manifests/ }], 'no SecretProviderClass at all: a warning');
    exactly(t, cross(deployment([container({ volumeMounts: [] })])), [{ rule: 'mount-missing', severity: 'warning', message: /no container mounts/ }]);
    exactly(t, cross(), [{ rule: 'mount-missing', severity: 'error', message: /no workload in these manifests mounts SecretProviderClass app-secrets/ }]);
    const typo = cross(deployment([container({ volumeMounts: [{ name: 'secrets', mountPath: '/mnt/secrets-store', readOnly: true, subpath: 'x' }] })]));
    exactly(t, typo, [{ rule: 'csi-volume', message: /unknown field "subpath"/, fix: /subPath/ }]);
    exactly(t, cross(deployment([container({ volumeMounts: [{ name: 'secrets', mountPath: '/mnt/secrets-store', readOnly: true, subPathExpr: '$(X)' }] })])), [{ rule: 'mount-subpath' }]);
  });

  t.test('documents that do not parse are left to validateManifests', async (t) => {
    t.same(crossCheckSchema(docsOf('a: [1'), schema), []);
  });
});

t.test('Function: checkPodSecurity', async (t) => {
  const check = (...o: unknown[]) => checkPodSecurity(docsOf(...o));
  t.same(check(deployment([container()])), []);
  t.test('pod-level settings count where Kubernetes applies them to containers', async (t) => {
    const sc = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } };
    t.same(check(deployment([container({ securityContext: sc })], { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } })), []);
    t.match(check(deployment([container({ securityContext: sc })])).map((f) => f.path), ['spec.template.spec.containers[0].securityContext.runAsNonRoot', 'spec.template.spec.containers[0].securityContext.seccompProfile.type']);
  });
  t.test('each violation is named with its field', async (t) => {
    const bad = container({ securityContext: { runAsNonRoot: true, runAsUser: 0, privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { drop: ['NET_RAW'], add: ['IPC_LOCK', 'NET_BIND_SERVICE'] }, seccompProfile: { type: 'Unconfined' } } });
    const found = check(deployment([bad], { hostNetwork: true, hostPID: true, securityContext: { runAsUser: 0 } }));
    t.same(found.map((f) => f.path.replace('spec.template.spec.', '')).sort(), [
      'containers[0].securityContext.allowPrivilegeEscalation', 'containers[0].securityContext.capabilities.add', 'containers[0].securityContext.capabilities.drop',
      'containers[0].securityContext.privileged', 'containers[0].securityContext.readOnlyRootFilesystem', 'containers[0].securityContext.runAsUser',
      'containers[0].securityContext.seccompProfile.type', 'hostNetwork', 'hostPID', 'securityContext.runAsUser',
    ]);
    t.ok(found.every((f) => f.rule === 'pod-security' && f.severity === 'error' && f.fix.length > 0));
  });
  t.test('init containers are checked too; documents that do not parse are skipped', async (t) => {
    exactly(t, check(deployment([container()], { initContainers: [{ name: 'init', image: 'x' }] })), [{ path: 'spec.template.spec.initContainers[0].securityContext', message: /init container init has no securityContext/ }]);
    t.same(check('a: [1'), []);
  });
});
