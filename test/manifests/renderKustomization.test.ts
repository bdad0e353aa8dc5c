// findKustomize, renderKustomization and checkManifests' modes (render or not, render failures).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/errors/ConfigError';
import { checkManifests, findKustomize, renderKustomization } from '../../src/manifests';
import { tmpdir } from '../helpers/tmp';
import { container, deployment, spc } from './helpers';
import { installedKustomize, kustomizeCommand } from './kustomize';
import { stringify } from 'yaml';

const schema = { DB_PASSWORD: { format: String, default: null, sensitive: true } };
const command = kustomizeCommand();
const script = (dir: string, name: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
};

t.test('Function: findKustomize', async (t) => {
  const bin = tmpdir(t, 'vc-bin');
  t.equal(findKustomize({ PATH: '' }), undefined);
  const kubectl = script(bin, 'kubectl');
  t.same(findKustomize({ PATH: `/nonexistent${path.delimiter}${bin}` }), [kubectl, 'kustomize']);
  const kustomize = script(bin, 'kustomize');
  t.same(findKustomize({ PATH: bin }), [kustomize, 'build'], 'a standalone kustomize first');
});

t.test('test helper: without kubectl, kustomize or go, the tests fail loudly', async (t) => {
  const local = path.join(tmpdir(t, 'vc-peers'), 'bin', 'kustomize');
  t.throws(() => installedKustomize(local, { PATH: '/nonexistent' }), { message: /No kustomize: kubectl and kustomize are not on PATH, and `go install sigs.k8s.io\/kustomize\/kustomize\/v5@v5\.7\.1` .* failed/ });
});

t.test('Function: renderKustomization', async (t) => {
  const dir = tmpdir(t, 'vc-render');
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: [cm.yaml]\nnamePrefix: x-\n');
  fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
  t.match(renderKustomization(dir, { command }), /name: x-a/);
  t.throws(() => renderKustomization(dir, { env: { PATH: '' } }), { name: 'ConfigError', message: /neither kustomize nor kubectl/ });
  fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
  t.throws(() => renderKustomization(dir, { command }), { name: 'ConfigError', message: /rendering .* failed: .*missing.yaml/ });
  t.throws(() => renderKustomization(dir, { command: ['/nonexistent/kustomize'] }), ConfigError);
});

t.test('Function: checkManifests', async (t) => {
  const theSpc = spc('aws', { objects: '- objectName: db\n  objectType: secretsmanager\n  objectAlias: DB_PASSWORD\n' });
  const app = deployment([container()]);
  t.test('without kustomizations, the files are checked as one set', async (t) => {
    const dir = tmpdir(t, 'vc-check');
    fs.writeFileSync(path.join(dir, 'all.yaml'), [theSpc, app].map((o) => stringify(o)).join('---\n'));
    t.same(checkManifests(dir, schema), []);
    fs.writeFileSync(path.join(dir, 'all.yaml'), stringify(theSpc));
    t.match(checkManifests(dir, schema), [{ rule: 'mount-missing', file: 'all.yaml' }]);
  });
  t.test('a kustomization that does not render is a finding, and the others are still checked', async (t) => {
    const dir = tmpdir(t, 'vc-check');
    fs.mkdirSync(path.join(dir, 'good'));
    fs.mkdirSync(path.join(dir, 'bad'));
    fs.writeFileSync(path.join(dir, 'good', 'kustomization.yaml'), 'resources: [all.yaml]\n');
    fs.writeFileSync(path.join(dir, 'good', 'all.yaml'), [theSpc, deployment([container({ volumeMounts: [{ name: 'secrets', mountPath: '/mnt/secrets-store' }] })])].map((o) => stringify(o)).join('---\n'));
    fs.writeFileSync(path.join(dir, 'bad', 'kustomization.yaml'), 'resources: [gone.yaml]\n');
    const findings = checkManifests(dir, schema, { render: { command } });
    t.match(findings.map((f) => [f.rule, f.file]), [['kustomization', 'bad/kustomization.yaml'], ['kustomize-render', 'bad/kustomization.yaml'], ['mount-read-only', 'good (kustomize build)']]);
    t.equal(findings.length, 3);
    t.same(findings[2]!.origin, { file: 'good/all.yaml', document: 2 }, 'the rendered object is traced to its file');
    const unrendered = checkManifests(dir, schema, { shouldRender: false });
    t.same(unrendered.map((f) => f.rule), ['kustomization', 'mount-read-only'], 'shouldRender: false checks the files as a set');
    t.match(checkManifests(path.join(dir, 'good'), schema, { render: { command: ['/nonexistent/kustomize', 'build'] } }), [{ rule: 'kustomize-render', file: 'kustomization.yaml' }]);
  });
});
