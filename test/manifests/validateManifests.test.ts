// validateManifests on hand-made documents: Kubernetes schemas through kubernetes-models, kinds it does not
// know, shapes, kustomization files and patches.
import t from 'tap';
import { validateManifests, type ManifestDocument } from '../../src/manifests';
import { modelOf, validateKubernetesObject } from '../../src/manifests/validateKubernetesObject';
import { docsOf, exactly } from './helpers';
import { tmpdir } from '../helpers/tmp';
import * as fs from 'node:fs';
import * as path from 'node:path';

const validate = (...o: unknown[]) => validateManifests(docsOf(...o));
const as = (role: ManifestDocument['role'], docs: ManifestDocument[]) => docs.map((d) => ({ ...d, role }));

t.test('Function: validateManifests', async (t) => {
  t.test('core kinds are validated against their Kubernetes schema', async (t) => {
    t.same(validate({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { k: 'v' } }), []);
    exactly(t, validate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { port: 8080 } }), [{ rule: 'kubernetes-schema', path: 'data.port', message: /must be a string/, fix: /Quote the value.*kubectl explain configmap.data.port/ }]);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ image: 'x', ports: [{ containerPort: 'http' }] }] } } } };
    exactly(t, validate(job), [
      { path: 'spec.template.spec.containers[0].name', message: /is required/, fix: /Add name/ },
      { path: 'spec.template.spec.containers[0].ports[0].containerPort', message: /must be an integer/ },
    ]);
    const found = validate(job);
    t.ok(found.every((f) => f.resource === 'Job/j' && typeof f.line === 'number'), 'with resource and line');
  });

  t.test('kinds without a schema: a warning; a SecretProviderClass gets its own checks', async (t) => {
    exactly(t, validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), [{ severity: 'warning', rule: 'unknown-kind' }]);
    t.equal(modelOf('../../etc/v1', 'Passwd'), undefined, 'names are checked before they become a module path');
    t.equal(modelOf('apps/v1', 'deployment'), undefined);
    t.equal(validateKubernetesObject({ apiVersion: 'v9', kind: 'Nope' }), undefined);
  });

  t.test('shape: a mapping with apiVersion, kind and a name', async (t) => {
    exactly(t, validate({ kind: 'ConfigMap', metadata: {} }), [{ rule: 'manifest-shape', path: 'apiVersion' }, { rule: 'manifest-shape', path: 'metadata.name' }]);
    exactly(t, validate({ apiVersion: 'v1', metadata: { generateName: 'x-' } }), [{ rule: 'manifest-shape', path: 'kind' }]);
    exactly(t, validate('- a\n- b\n'), [{ rule: 'manifest-shape', message: /not a list/ }]);
    exactly(t, validate('just text\n'), [{ rule: 'manifest-shape', message: /not string/ }]);
  });

  t.test('YAML problems: syntax, duplicate keys, with their line', async (t) => {
    exactly(t, validate('a: 1\nb: [\n'), [{ rule: 'yaml-syntax', line: 3, message: /line 3: / }]);
    exactly(t, validate({ apiVersion: 'v1' }, 'kind: A\nkind: B\n'), [{ rule: 'manifest-shape' }, { rule: 'manifest-shape' }, { rule: 'yaml-syntax', file: 'test.yaml', document: 2, line: 4, message: /unique/ }]);
  });

  t.test('patches are partial: only their shape is checked; generator inputs are not checked', async (t) => {
    t.same(validateManifests(as('patch', docsOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' }, spec: { replicas: 3 } }))), []);
    t.same(validateManifests(as('patch', docsOf('- op: replace\n  path: /spec/replicas\n  value: 3\n'))), []);
    exactly(t, validateManifests(as('patch', docsOf('- op: frobnicate\n  path: /x\n'))), [{ rule: 'kustomization', message: /JSON patch operation 1/ }]);
    exactly(t, validateManifests(as('patch', docsOf({ apiVersion: 'apps/v1', kind: 'Deployment' }))), [{ rule: 'kustomization', message: /strategic merge patch: metadata.name is missing/ }]);
    exactly(t, validateManifests(as('patch', docsOf('42\n'))), [{ rule: 'kustomization', message: /must be a mapping/ }]);
    t.same(validateManifests(as('data', docsOf('anything: [1, 2]\n'))), []);
  });
});

t.test('Function: validateKustomization (through validateManifests)', async (t) => {
  const dir = tmpdir(t, 'vc-kust');
  fs.mkdirSync(path.join(dir, 'base'));
  fs.writeFileSync(path.join(dir, 'base', 'a.yaml'), 'x: 1\n');
  const kust = (o: Record<string, unknown>) => validateManifests(as('kustomization', docsOf({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...o })).map((d) => ({ ...d, file: 'base/kustomization.yaml' })), { baseDir: dir });

  t.same(kust({ resources: ['a.yaml', 'https://example.com/x.yaml', 'github.com/org/repo//dir'], namespace: 'ns', images: [{ name: 'app', newTag: '1' }], patches: [{ path: 'a.yaml' }, { patch: '- op: remove\n  path: /x', target: { kind: 'Deployment' } }] }), []);
  exactly(t, kust({ resources: ['missing.yaml'] }), [{ rule: 'kustomization', path: 'resources[0]', message: /missing.yaml does not exist/ }]);
  exactly(t, kust({ patches: [{ path: 'nope.yaml' }] }), [{ rule: 'kustomization', path: 'patches[0].path', message: /patch nope.yaml does not exist/ }]);
  exactly(t, kust({ resourcez: [] }), [{ rule: 'kustomization', message: /"resourcez" is not a kustomization field/, fix: /Did you mean "resources"/ }]);
  exactly(t, kust({ commonLabels: { a: 'b' }, bases: ['a.yaml'] }), [{ severity: 'warning', message: /commonLabels is deprecated/ }, { severity: 'warning', message: /bases is deprecated/ }]);
  exactly(t, kust({ resources: 'a.yaml' }), [{ path: 'resources', message: /list of paths/ }]);
  exactly(t, kust({ namespace: 'Not_Valid' }), [{ path: 'namespace' }]);
  exactly(t, kust({ patches: [{ path: 'a.yaml', patch: 'x', extra: 1 }, 'x', { patch: 3 }] }), [{ message: /unknown field "extra"/ }, { message: /exactly one of path and patch/ }, { message: /must be a mapping/ }, { message: /patch must be a string/ }]);
  exactly(t, kust({ patches: {} }), [{ path: 'patches', message: /must be a list/ }]);
  exactly(t, kust({ images: [{ newTag: '1' }] }), [{ path: 'images' }]);
  exactly(t, kust({ apiVersion: 'v1', kind: 'Thing' }), [{ path: 'apiVersion' }, { path: 'kind' }]);
});
