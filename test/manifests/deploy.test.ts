// The shipped manifests (deploy/kubernetes): every file parses and validates, every overlay renders with kustomize
// and its output validates, cross-checks against examples/schema.js and passes the restricted securityContext.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { checkManifests, checkPodSecurity, crossCheckSchema, formatFinding, loadManifests, parseManifests, renderKustomization, validateManifests, type ManifestDocument, type ManifestFinding } from '../../src/manifests';
import { awsProviderFactory } from '../../src/providers/aws/awsProviderFactory';
import { azureProviderFactory } from '../../src/providers/azure/azureProviderFactory';
import { encodeAzureName } from '../../src/providers/azure/encodeAzureName';
import { vaultProviderFactory } from '../../src/providers/vault/vaultProviderFactory';
import { parseSources } from '../../src/sources/parseSources';
import { DEPLOY, SCHEMA } from './fixtures';
import { installedKustomize, kustomizeCommand } from './kustomize';

const OVERLAYS = ['aws', 'vault', 'azure'] as const;
const show = (findings: ManifestFinding[]) => findings.map(formatFinding).join('\n');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const objects = (docs: ManifestDocument[]) => docs.map((d) => d.object as Obj);
const byKind = (docs: ManifestDocument[], kind: string) => objects(docs).filter((o) => o.kind === kind);
const envOf = (container: Obj) => Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));

const command = kustomizeCommand();
const rendered = new Map<string, ManifestDocument[]>();
for (const overlay of OVERLAYS) {
  rendered.set(overlay, parseManifests(renderKustomization(path.join(DEPLOY, 'overlays', overlay), { command }), `overlays/${overlay} (kustomize build)`));
}

t.test('deploy/kubernetes: every file', async (t) => {
  const docs = loadManifests(DEPLOY);
  t.same([...new Set(docs.map((d) => d.file))].sort(), [
    'base/cronjob-rotate.yaml', 'base/deployment.yaml', 'base/kustomization.yaml', 'base/namespace.yaml', 'base/serviceaccounts.yaml',
    'overlays/aws/kustomization.yaml', 'overlays/aws/secretproviderclass.yaml',
    'overlays/azure/kustomization.yaml', 'overlays/azure/secretproviderclass.yaml',
    'overlays/vault/kustomization.yaml', 'overlays/vault/secretproviderclass.yaml',
  ]);
  t.test('parses (YAML 1.1, no duplicate keys)', async (t) => {
    for (const d of docs) t.same(d.problems, [], `${d.file} document ${d.document}`);
  });
  t.test('validates against the Kubernetes schemas, the SecretProviderClass format and kustomize, without a warning', async (t) => {
    const findings = validateManifests(docs, { baseDir: DEPLOY });
    t.same(findings, [], show(findings));
  });
  t.test('kustomization files are recognised, resources are resources', async (t) => {
    for (const d of docs) t.equal(d.role, d.file.endsWith('kustomization.yaml') ? 'kustomization' : 'resource', d.file);
  });
});

for (const overlay of OVERLAYS) {
  t.test(`overlay ${overlay}: renders, validates, cross-checks`, async (t) => {
    const docs = rendered.get(overlay)!;
    t.same(objects(docs).map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'CronJob/example-service-rotate', 'Deployment/example-service', 'Namespace/example-service',
      'SecretProviderClass/example-service-secrets', 'ServiceAccount/example-service', 'ServiceAccount/example-service-rotator',
    ]);
    t.same(validateManifests(docs), [], 'rendered output validates');
    const cross = crossCheckSchema(docs, SCHEMA as never);
    t.same(cross, [], show(cross));
    const security = checkPodSecurity(docs);
    t.same(security, [], show(security));
    for (const o of objects(docs)) if (o.kind !== 'Namespace') t.equal(o.metadata.namespace, 'example-service', `${o.kind} is namespaced`);

    const spc = byKind(docs, 'SecretProviderClass')[0]!;
    t.equal(spc.apiVersion, 'secrets-store.csi.x-k8s.io/v1');
    t.equal(spc.spec.provider, overlay);

    const deployment = byKind(docs, 'Deployment')[0]!;
    const pod = deployment.spec.template.spec;
    const [app] = pod.containers as Obj[];
    const [init] = pod.initContainers as Obj[];
    t.same(envOf(app!), {
      NODE_ENV: 'production',
      NODE_OPTIONS: '--require=@valuecanvas/secrets/register',
      SECRETS_SOURCE: 'file:///mnt/secrets-store',
      SECRETS_SCHEMA: '/app/examples/schema.js',
    });
    t.same(pod.volumes.find((v: Obj) => v.name === 'secrets-store'), { name: 'secrets-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'example-service-secrets' } } });
    const secretsMount = { name: 'secrets-store', mountPath: '/mnt/secrets-store', readOnly: true };
    t.same(app!.volumeMounts.find((m: Obj) => m.name === 'secrets-store'), secretsMount, 'whole volume, read-only, no subPath');
    t.same(init!.command, ['vc-secrets', 'check']);
    t.same(init!.volumeMounts.find((m: Obj) => m.name === 'secrets-store'), secretsMount, 'init container: same mount');
    const { NODE_OPTIONS, ...appSettings } = envOf(app!);
    t.ok(NODE_OPTIONS);
    t.same(envOf(init!), appSettings, 'init container: the same settings (without the preload: the CLI loads the secrets itself)');
    t.equal(pod.serviceAccountName, 'example-service');
    t.equal(pod.securityContext.runAsNonRoot, true);

    const cron = byKind(docs, 'CronJob')[0]!;
    const job = cron.spec.jobTemplate.spec.template.spec;
    t.same(job.containers[0].command, ['vc-secrets', 'rotate', '--due']);
    t.equal(job.serviceAccountName, 'example-service-rotator');
    t.match(envOf(job.containers[0]).SECRETS_SOURCE, new RegExp(`^${overlay}://`), 'the rotation job talks to the provider');
    t.equal(cron.spec.concurrencyPolicy, 'Forbid');
  });
}

t.test('checkManifests(deploy/kubernetes) renders every overlay and finds nothing', async (t) => {
  const findings = checkManifests(DEPLOY, SCHEMA as never, { render: { command } });
  t.same(findings, [], show(findings));
  t.same(checkManifests(path.join(DEPLOY, 'overlays', 'vault'), SCHEMA as never, { render: { command } }), [], 'one overlay on its own');
});

t.test('the rotation job writes where the SecretProviderClass reads', async (t) => {
  const names = Object.keys(SCHEMA).filter((n) => SCHEMA[n]!.default === null);
  const setup = (overlay: string) => {
    const docs = rendered.get(overlay)!;
    const spc = byKind(docs, 'SecretProviderClass')[0]!;
    const cron = byKind(docs, 'CronJob')[0]!;
    return { params: spc.spec.parameters as Record<string, string>, source: new URL(envOf(cron.spec.jobTemplate.spec.template.spec.containers[0]).SECRETS_SOURCE as string) };
  };
  const objectsOf = (yaml: string) => parseManifests(yaml, 'objects')[0]!.object as Obj;

  t.test('every SECRETS_SOURCE in the manifests is accepted by the library\'s own parsers', async (t) => {
    const factories = { aws: awsProviderFactory, vault: vaultProviderFactory, azure: azureProviderFactory } as const;
    for (const overlay of OVERLAYS) {
      for (const o of objects(rendered.get(overlay)!)) {
        const pod = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.kind === 'Deployment' ? o.spec.template.spec : undefined;
        for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Obj[]) {
          const env = envOf(c);
          const specs = parseSources(env.SECRETS_SOURCE as string);
          for (const spec of specs) {
            if (spec.kind !== 'provider') continue;
            const factory = factories[overlay];
            t.doesNotThrow(() => (factory as { parse(uri: URL, env: NodeJS.ProcessEnv): unknown }).parse(new URL(env.SECRETS_SOURCE as string), env), `${overlay} ${c.name}: ${env.SECRETS_SOURCE}`);
          }
          t.ok(specs.length > 0, `${overlay} ${c.name}`);
        }
      }
    }
  });

  t.test('aws: objectName = the URI prefix + the schema name, same region', async (t) => {
    const { params, source } = setup('aws');
    t.equal(params.region, source.hostname);
    const list = objectsOf(params.objects!) as Obj[];
    t.same(list.map((o) => o.objectAlias).sort(), [...names].sort());
    for (const o of list) t.equal(o.objectName, `${source.pathname.slice(1)}${o.objectAlias}`);
  });
  t.test('vault: secretPath = <mount>/data/<prefix>/<name>, key "value", same server', async (t) => {
    const { params, source } = setup('vault');
    t.equal(new URL(params.vaultAddress!).host, source.host);
    const [mount, ...prefix] = source.pathname.slice(1).split('/');
    const list = objectsOf(params.objects!) as Obj[];
    t.same(list.map((o) => o.objectName).sort(), [...names].sort());
    for (const o of list) {
      t.equal(o.secretPath, [mount, 'data', ...prefix, o.objectName].join('/'));
      t.equal(o.secretKey, 'value');
    }
    t.equal(source.searchParams.get('auth'), 'kubernetes');
    t.not(source.searchParams.get('role'), params.roleName, 'the rotator logs in with its own role');
  });
  t.test('azure: objectName = the encoded name the provider writes, same vault', async (t) => {
    const { params, source } = setup('azure');
    t.equal(`${params.keyvaultName}.vault.azure.net`, source.hostname);
    const items = (objectsOf(params.objects!).array as string[]).map((s) => objectsOf(s));
    t.same(items.map((o) => o.objectAlias).sort(), [...names].sort());
    for (const o of items) t.equal(o.objectName, encodeAzureName(`${source.pathname.slice(1)}${o.objectAlias}`));
  });
});

// Never skipped: the standalone kustomize is installed with `go install` (from the Go module proxy) when missing.
t.test('the standalone kustomize (the go install fallback) renders the same objects', { timeout: 600_000 }, async (t) => {
  const standalone = installedKustomize();
  for (const overlay of OVERLAYS) {
    const docs = parseManifests(renderKustomization(path.join(DEPLOY, 'overlays', overlay), { command: standalone }), overlay);
    t.same(objects(docs), objects(rendered.get(overlay)!), overlay);
  }
});

t.test('no manifest carries a secret value', async (t) => {
  for (const overlay of OVERLAYS) {
    const docs = rendered.get(overlay)!;
    t.same(byKind(docs, 'Secret'), [], `${overlay}: no Secret objects`);
    const spc = byKind(docs, 'SecretProviderClass')[0]!;
    t.equal(spc.spec.secretObjects, undefined, `${overlay}: nothing synced into a Kubernetes Secret`);
  }
  const text = fs.readdirSync(DEPLOY, { recursive: true }).map(String).filter((f) => f.endsWith('.yaml')).map((f) => fs.readFileSync(path.join(DEPLOY, f), 'utf8')).join('\n');
  t.notMatch(text, /password:\s*\S|BEGIN [A-Z ]*PRIVATE KEY/i);
});
