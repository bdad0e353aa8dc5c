// Broken copies of deploy/kubernetes (in temporary directories) fail `checkManifests` with the right findings:
// each case breaks one thing and expects exactly those rules among the errors, at the right place.
import t from 'tap';
import { checkManifests, formatFinding, type ManifestFinding, type ManifestRule } from '../../src/manifests';
import { copyDeploy, edit, SCHEMA } from './fixtures';
import { kustomizeCommand } from './kustomize';

const command = kustomizeCommand();
const check = (dir: string) => checkManifests(dir, SCHEMA as never, { render: { command } });
const errors = (findings: ManifestFinding[]) => findings.filter((f) => f.severity === 'error');
const show = (findings: ManifestFinding[]) => findings.map(formatFinding).join('\n');

interface Expect {
  rule: ManifestRule;
  /** The finding's file, or (for rendered output) its origin file. */
  file?: string;
  path?: string;
  message?: RegExp;
  line?: number;
}

interface Case {
  name: string;
  breakIt: (dir: string) => void;
  expect: Expect[];
}

const APP_MOUNT = `            - name: secrets-store
              mountPath: /mnt/secrets-store
              readOnly: true
            - name: tmp
              mountPath: /tmp
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: ["ALL"]
            seccompProfile:
              type: RuntimeDefault
          resources:
            requests:
              cpu: 100m`;
const APP = 'spec.template.spec.containers[0]';

const cases: Case[] = [
  {
    name: 'a required secret has no object (missing alias)',
    breakIt: (dir) => edit(dir, 'overlays/aws/secretproviderclass.yaml', `      - objectName: "example-service/prod/JWT_SIGNING_KEY"
        objectType: "secretsmanager"
        objectAlias: "JWT_SIGNING_KEY"
`, ''),
    expect: [{ rule: 'schema-missing-alias', file: 'overlays/aws/secretproviderclass.yaml', path: 'spec.parameters.objects', message: /requires JWT_SIGNING_KEY/ }],
  },
  {
    name: 'an object writes a name the schema does not declare (unknown alias)',
    breakIt: (dir) => edit(dir, 'overlays/vault/secretproviderclass.yaml', '- objectName: "DB_PASSWORD"', '- objectName: "DB_PASSWRD"'),
    expect: [
      { rule: 'schema-unknown-alias', file: 'overlays/vault/secretproviderclass.yaml', path: 'spec.parameters.objects[0].objectName', message: /DB_PASSWRD.*did you mean DB_PASSWORD/ },
      { rule: 'schema-missing-alias', message: /requires DB_PASSWORD/ },
    ],
  },
  {
    name: 'an Azure alias the schema does not declare, optional names may be absent',
    breakIt: (dir) => edit(dir, 'overlays/azure/secretproviderclass.yaml', 'objectAlias: STRIPE_API_KEY', 'objectAlias: STRIPE_API_KEY_OLD'),
    expect: [
      { rule: 'schema-unknown-alias', path: 'spec.parameters.objects.array[2].objectAlias', message: /STRIPE_API_KEY_OLD/ },
      { rule: 'schema-missing-alias', message: /requires STRIPE_API_KEY/ },
    ],
  },
  {
    name: 'the service mounts the secrets with subPath',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', APP_MOUNT, APP_MOUNT.replace('              readOnly: true\n', '              readOnly: true\n              subPath: DB_PASSWORD\n')),
    expect: [{ rule: 'mount-subpath', file: 'base/deployment.yaml', path: `${APP}.volumeMounts[0].subPath` }],
  },
  {
    name: 'the service mounts the secrets writable',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', APP_MOUNT, APP_MOUNT.replace('              readOnly: true\n', '              readOnly: false\n')),
    expect: [{ rule: 'mount-read-only', file: 'base/deployment.yaml', path: `${APP}.volumeMounts[0].readOnly`, message: /writable/ }],
  },
  {
    name: 'a readOnly typo (Kubernetes ignores unknown fields, so the mount is writable)',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', APP_MOUNT, APP_MOUNT.replace('              readOnly: true\n', '              readonly: true\n')),
    expect: [
      { rule: 'mount-read-only', path: `${APP}.volumeMounts[0].readonly`, message: /unknown field "readonly"/ },
      { rule: 'mount-read-only', path: `${APP}.volumeMounts[0].readOnly` },
    ],
  },
  {
    name: 'the CSI volume is not read-only',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', '            driver: secrets-store.csi.k8s.io\n            readOnly: true\n', '            driver: secrets-store.csi.k8s.io\n'),
    expect: [{ rule: 'csi-volume', path: 'spec.template.spec.volumes[0].csi.readOnly' }],
  },
  {
    name: 'securityContext fields are missing',
    breakIt: (dir) => {
      edit(dir, 'base/deployment.yaml', APP_MOUNT, APP_MOUNT.replace('            allowPrivilegeEscalation: false\n', '').replace('            capabilities:\n              drop: ["ALL"]\n', '').replace('            seccompProfile:\n              type: RuntimeDefault\n', ''));
      edit(dir, 'base/deployment.yaml', '        fsGroup: 1000\n        seccompProfile:\n          type: RuntimeDefault\n', '        fsGroup: 1000\n');
      edit(dir, 'base/deployment.yaml', '      securityContext:\n        runAsNonRoot: true\n', '      securityContext:\n');
    },
    expect: [
      { rule: 'pod-security', path: `${APP}.securityContext.allowPrivilegeEscalation` },
      { rule: 'pod-security', path: `${APP}.securityContext.capabilities.drop` },
      // Neither the container nor (any more) the pod sets a seccomp profile; runAsNonRoot is still set per container.
      { rule: 'pod-security', path: `${APP}.securityContext.seccompProfile.type` },
    ],
  },
  {
    name: 'a container without any securityContext, and a root user',
    breakIt: (dir) => {
      edit(dir, 'base/cronjob-rotate.yaml', / {14}securityContext:\n( {16}.*\n)+? {14}resources:\n/, '              resources:\n');
      edit(dir, 'base/cronjob-rotate.yaml', 'runAsUser: 1000', 'runAsUser: 0');
    },
    expect: [
      { rule: 'pod-security', file: 'base/cronjob-rotate.yaml', path: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext', message: /no securityContext/ },
      { rule: 'pod-security', path: 'spec.jobTemplate.spec.template.spec.securityContext.runAsUser', message: /root/ },
    ],
  },
  {
    name: 'malformed objects YAML (AWS): the line inside the string is reported',
    breakIt: (dir) => edit(dir, 'overlays/aws/secretproviderclass.yaml', '        objectType: "secretsmanager"\n        objectAlias: "DB_PASSWORD"', '        objectType: "secretsmanager"\n      objectAlias: "DB_PASSWORD"'),
    expect: [{ rule: 'spc-objects', file: 'overlays/aws/secretproviderclass.yaml', path: 'spec.parameters.objects', message: /not valid YAML: line 19: /, line: 19 }],
  },
  {
    name: 'malformed objects (Azure): an item that is a mapping, not a YAML string',
    breakIt: (dir) => edit(dir, 'overlays/azure/secretproviderclass.yaml', '        - |\n          objectName: example-2service---3db-0password\n          objectType: secret\n          objectAlias: DB_PASSWORD\n', '        - objectName: example-2service---3db-0password\n          objectType: secret\n          objectAlias: DB_PASSWORD\n'),
    expect: [
      { rule: 'spc-objects', file: 'overlays/azure/secretproviderclass.yaml', path: 'spec.parameters.objects.array[0]', message: /must be a YAML string/ },
      { rule: 'schema-missing-alias', message: /requires DB_PASSWORD/ },
    ],
  },
  {
    name: 'malformed objects (Vault): a quoted filePermission and an unknown field',
    breakIt: (dir) => edit(dir, 'overlays/vault/secretproviderclass.yaml', '        secretKey: "value"\n      - objectName: "JWT_SIGNING_KEY"', '        secretKey: "value"\n        filePermission: "0600"\n        secretkey: "value"\n      - objectName: "JWT_SIGNING_KEY"'),
    expect: [
      { rule: 'spc-objects', path: 'spec.parameters.objects[0].filePermission', message: /must be an integer/, line: 24 },
      { rule: 'spc-objects', path: 'spec.parameters.objects[0].secretkey', message: /unknown field "secretkey"/, line: 25 },
    ],
  },
  {
    name: 'wrong provider parameter names (Vault: role for roleName)',
    breakIt: (dir) => edit(dir, 'overlays/vault/secretproviderclass.yaml', '    roleName: example-service', '    role: example-service'),
    expect: [
      { rule: 'spc-parameter', path: 'spec.parameters.role', message: /"role" is not a parameter of provider vault/ },
      { rule: 'spc-parameter', path: 'spec.parameters', message: /needs parameters.roleName/ },
    ],
  },
  {
    name: 'wrong provider parameter names (AWS: a misspelt region, a Vault parameter) and a parameter that is not a string',
    breakIt: (dir) => {
      edit(dir, 'overlays/aws/secretproviderclass.yaml', '    region: us-east-1', '    regoin: us-east-1\n    vaultAddress: https://x');
      edit(dir, 'overlays/aws/secretproviderclass.yaml', '    usePodIdentity: "false"', '    usePodIdentity: false');
    },
    expect: [
      { rule: 'spc-parameter', path: 'spec.parameters.regoin', message: /not a parameter of provider aws/ },
      { rule: 'spc-parameter', path: 'spec.parameters.vaultAddress', message: /it is one of vault/ },
      { rule: 'spc-parameter', path: 'spec.parameters.usePodIdentity', message: /must be a string/ },
    ],
  },
  {
    name: 'a Deployment that does not match the Kubernetes schema',
    breakIt: (dir) => {
      edit(dir, 'base/deployment.yaml', '  replicas: 2\n', '  replicas: "2"\n');
      edit(dir, 'base/deployment.yaml', '  selector:\n    matchLabels:\n      app.kubernetes.io/name: example-service\n  strategy:', '  strategy:');
    },
    expect: [
      { rule: 'kubernetes-schema', file: 'base/deployment.yaml', path: 'spec.replicas', message: /must be an integer/ },
      { rule: 'kubernetes-schema', file: 'base/deployment.yaml', path: 'spec.selector', message: /is required/ },
      // kustomize itself refuses a Deployment without a selector? No: it renders, and the output fails the same way.
    ],
  },
  {
    name: 'the service container does not start the preload',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', '            - name: NODE_OPTIONS\n              value: --require=@valuecanvas/secrets/register\n', ''),
    expect: [{ rule: 'preload-missing', path: `${APP}.env`, message: /does not start the preload/ }],
  },
  {
    name: 'SECRETS_SOURCE does not read the mount',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', '              value: file:///mnt/secrets-store\n', '              value: file:///var/secrets\n', 2),
    expect: [
      { rule: 'preload-settings', path: `${APP}.env[2].value`, message: /does not read that directory/ },
      { rule: 'preload-settings', path: 'spec.template.spec.initContainers[0].env[1].value', message: /does not read that directory/ },
    ],
  },
  {
    name: 'the Deployment names a SecretProviderClass that does not exist',
    breakIt: (dir) => edit(dir, 'base/deployment.yaml', 'secretProviderClass: example-service-secrets', 'secretProviderClass: example-service-secret'),
    expect: [
      { rule: 'csi-volume', path: 'spec.template.spec.volumes[0].csi.volumeAttributes.secretProviderClass', message: /example-service-secret, which these manifests do not define/ },
      { rule: 'mount-missing', message: /no workload in these manifests mounts SecretProviderClass example-service-secrets/ },
    ],
  },
  {
    name: 'a YAML syntax error (duplicate key) is reported with its line',
    breakIt: (dir) => edit(dir, 'base/serviceaccounts.yaml', 'automountServiceAccountToken: false\n---', 'automountServiceAccountToken: false\nautomountServiceAccountToken: true\n---'),
    expect: [
      { rule: 'yaml-syntax', file: 'base/serviceaccounts.yaml', line: 14, message: /not valid YAML/ },
      // kustomize refuses the file as well.
      { rule: 'kustomize-render' },
    ],
  },
  {
    name: 'a kustomization that names a file that does not exist',
    breakIt: (dir) => edit(dir, 'overlays/aws/kustomization.yaml', '  - secretproviderclass.yaml', '  - secret-provider-class.yaml'),
    expect: [
      { rule: 'kustomization', file: 'overlays/aws/kustomization.yaml', path: 'resources[1]', message: /does not exist/ },
      { rule: 'kustomize-render', file: 'overlays/aws/kustomization.yaml' },
      // The SecretProviderClass file is no longer included anywhere, so nothing mounts it in the aws output.
    ],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const dir = copyDeploy(t);
    c.breakIt(dir);
    const found = errors(check(dir));
    t.same([...new Set(found.map((f) => f.rule))].sort(), [...new Set(c.expect.map((e) => e.rule))].sort(), `error rules\n${show(found)}`);
    for (const e of c.expect) {
      const match = found.find((f) => f.rule === e.rule && (e.path === undefined || f.path === e.path) && (e.message === undefined || e.message.test(f.message)) && (e.file === undefined || (f.origin?.file ?? f.file) === e.file) && (e.line === undefined || f.line === e.line));
      t.ok(match, `finding ${JSON.stringify({ ...e, message: e.message?.source })}\n${show(found)}`);
      if (match) {
        t.ok(match.fix.length > 0, 'says what to do');
        t.ok(match.document >= 1, 'names the document');
      }
    }
  });
}
