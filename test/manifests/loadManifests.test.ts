// loadManifests, parseManifests and formatFinding: files, documents, roles, lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ConfigError } from '../../src/errors/ConfigError';
import { formatFinding, loadManifests, parseManifests } from '../../src/manifests';
import { tmpdir } from '../helpers/tmp';

const write = (dir: string, file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};

t.test('Function: loadManifests', async (t) => {
  t.test('every YAML document under the directory, in a stable order, with file and document number', async (t) => {
    const dir = tmpdir(t, 'vc-load');
    write(dir, 'b.yml', 'kind: B\n');
    write(dir, 'a.yaml', '---\nkind: A1\n---\n---\nkind: A2\n');
    write(dir, 'sub/c.YAML', 'kind: C\n');
    write(dir, '.hidden/x.yaml', 'kind: Hidden\n');
    write(dir, 'node_modules/y.yaml', 'kind: Dep\n');
    write(dir, 'notes.txt', 'kind: Text\n');
    const docs = loadManifests(dir);
    t.same(docs.map((d) => [d.file, d.document, (d.object as { kind: string }).kind]), [['a.yaml', 1, 'A1'], ['a.yaml', 3, 'A2'], ['b.yml', 1, 'B'], ['sub/c.YAML', 1, 'C']]);
    t.equal(docs[1]!.lineOf(['kind']), 5, 'lines count in the whole file');
  });

  t.test('roles: kustomizations, their patches and generator inputs', async (t) => {
    const dir = tmpdir(t, 'vc-load');
    write(dir, 'app/kustomization.yaml', 'resources: [deploy.yaml]\npatches:\n  - path: patches/replicas.yaml\npatchesStrategicMerge: [sm.yaml]\npatchesJson6902:\n  - path: ops.yaml\n    target: {kind: Deployment, name: a}\nconfigMapGenerator:\n  - name: c\n    files: [cfg=conf/settings.yaml]\n    envs: [conf/app.env.yaml]\n');
    write(dir, 'app/deploy.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    write(dir, 'app/patches/replicas.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 3}\n');
    write(dir, 'app/sm.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n');
    write(dir, 'app/ops.yaml', '- op: remove\n  path: /spec/x\n');
    write(dir, 'app/conf/settings.yaml', 'any: thing\n');
    write(dir, 'app/conf/app.env.yaml', 'A: b\n');
    write(dir, 'other/Kustomization', 'resources: []\n');
    const roles = Object.fromEntries(loadManifests(dir).map((d) => [d.file, d.role]));
    t.same(roles, {
      'app/conf/app.env.yaml': 'data', 'app/conf/settings.yaml': 'data', 'app/deploy.yaml': 'resource', 'app/kustomization.yaml': 'kustomization',
      'app/ops.yaml': 'patch', 'app/patches/replicas.yaml': 'patch', 'app/sm.yaml': 'patch', 'other/Kustomization': 'kustomization',
    });
  });

  t.test('syntax errors stay on the document; a file too large is not read', async (t) => {
    const dir = tmpdir(t, 'vc-load');
    write(dir, 'bad.yaml', 'a: [1\n');
    write(dir, 'big.yaml', `x: "${'a'.repeat(4 * 1024 * 1024)}"\n`);
    const docs = loadManifests(dir);
    t.match(docs.map((d) => [d.file, d.problems.length > 0, d.object]), [['bad.yaml', true, undefined], ['big.yaml', true, undefined]]);
    t.match(docs[1]!.problems[0], /more than 4194304/);
  });

  t.test('a directory that does not exist, or a file, is a ConfigError', async (t) => {
    const dir = tmpdir(t, 'vc-load');
    t.throws(() => loadManifests(path.join(dir, 'nope')), ConfigError);
    write(dir, 'f.yaml', 'a: 1\n');
    t.throws(() => loadManifests(path.join(dir, 'f.yaml')), { name: 'ConfigError', message: /is not a directory/ });
  });
});

t.test('Function: parseManifests', async (t) => {
  t.test('YAML 1.1 as the API machinery reads it: 0600 is octal, yes is a boolean; anchors expand', async (t) => {
    const [doc] = parseManifests('mode: 0600\nflag: yes\nbase: &b {x: 1}\nref: *b\n', 'x.yaml');
    t.same(doc!.object, { mode: 0o600, flag: true, base: { x: 1 }, ref: { x: 1 } });
  });
  t.test('kustomize files are recognised by apiVersion; empty documents are dropped', async (t) => {
    const docs = parseManifests('---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n---\n# only a comment\n---\napiVersion: v1\nkind: List\n', 'r');
    t.same(docs.map((d) => [d.document, d.role]), [[1, 'kustomization'], [3, 'resource']]);
  });
  t.test('lineOf: the node, else its deepest existing ancestor; textLineOf: where a string\'s text starts', async (t) => {
    const [doc] = parseManifests('a:\n  b:\n    - c: 1\n  s: |\n    text\n  q: "x"\n', 'f');
    t.equal(doc!.lineOf(['a', 'b', 0, 'c']), 3);
    t.equal(doc!.lineOf(['a', 'b', 0, 'missing']), 3);
    t.equal(doc!.lineOf(['nothing']), 1);
    t.equal(doc!.textLineOf(['a', 's']), 5, 'the line after the | indicator');
    t.equal(doc!.textLineOf(['a', 'q']), 6);
    t.equal(doc!.textLineOf(['a', 'b']), undefined, 'not a string');
    const [broken] = parseManifests('a: [', 'f');
    t.equal(broken!.lineOf(['a']), 1);
  });
});

t.test('Function: formatFinding', async (t) => {
  t.equal(
    formatFinding({ severity: 'error', rule: 'mount-subpath', file: 'overlays/aws (kustomize build)', document: 4, line: 131, resource: 'Deployment/app', path: 'spec.x', message: 'container app mounts with subPath.', fix: 'Remove subPath.', origin: { file: 'base/deployment.yaml', document: 1 } }),
    'error overlays/aws (kustomize build):131 (document 4) (from base/deployment.yaml, document 1) Deployment/app spec.x: container app mounts with subPath. Fix: Remove subPath. [mount-subpath]',
  );
  t.equal(formatFinding({ severity: 'warning', rule: 'yaml-syntax', file: 'a.yaml', document: 1, path: '', message: 'm.', fix: 'f.' }), 'warning a.yaml (document 1): m. Fix: f. [yaml-syntax]');
});
