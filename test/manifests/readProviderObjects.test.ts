// The providers' object formats (YAML inside parameters.objects), per provider, through validateManifests and
// crossCheckSchema: what each provider accepts, which file it writes, and where a problem is reported.
import t from 'tap';
import { crossCheckSchema, validateManifests } from '../../src/manifests';
import { docsOf, exactly, rules, spc } from './helpers';

const schema = {
  DB_PASSWORD: { format: String, default: null, sensitive: true },
  API_KEY: { format: String, default: null, sensitive: true },
  PORT: { format: 'port', default: 8080 },
};
const validate = (o: unknown) => validateManifests(docsOf(o));
const cross = (o: unknown) => crossCheckSchema(docsOf(o), schema).filter((f) => f.rule !== 'mount-missing');

t.test('Provider: aws', async (t) => {
  const objects = `- objectName: "app/DB_PASSWORD"
  objectType: "secretsmanager"
  objectAlias: "DB_PASSWORD"
  filePermission: "0400"
- objectName: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/json-AbCdEf"
  jmesPath:
    - path: api.key
      objectAlias: API_KEY
`;
  t.test('accepts aliases, ARNs, jmesPath; the whole JSON beside jmesPath files is not an unknown alias', async (t) => {
    const o = spc('aws', { region: 'eu-west-1', objects });
    t.same(validate(o), []);
    t.same(cross(o), []);
  });
  t.test('without an alias the file is objectName with "/" translated (default "_", or the pathTranslation character)', async (t) => {
    const plain = '- objectName: "app/DB_PASSWORD"\n  objectType: secretsmanager\n';
    const unknown = (o: unknown) => cross(o).filter((f) => f.rule === 'schema-unknown-alias').map((f) => f.message);
    t.match(unknown(spc('aws', { objects: plain })), [/writes app_DB_PASSWORD/]);
    t.match(unknown(spc('aws', { objects: plain, pathTranslation: '-' })), [/writes app-DB_PASSWORD/]);
    const top = '- objectName: "DB_PASSWORD"\n  objectType: secretsmanager\n- objectName: "/API_KEY"\n  objectType: ssmparameter\n';
    t.same(cross(spc('aws', { objects: top, pathTranslation: 'False' })), [], 'no translation: a leading "/" is stripped');
  });
  t.test('refuses what the AWS provider refuses', async (t) => {
    const cases: [string, string, RegExp][] = [
      ['- objectName: app/x\n', 'spc-objects', /no objectType/],
      ['- objectName: app/x\n  objectType: ssm\n', 'spc-objects', /"ssm" is not one of secretsmanager, ssmparameter/],
      ['- objectName: app/x\n  objectType: secretsmanager\n  objectAlias: 12\n', 'spc-objects', /objectAlias must be a string, not the number 12/],
      ['- objectName: app/x\n  objectType: secretsmanager\n  filePermission: 0600\n', 'spc-objects', /filePermission must be a string/],
      ['- objectName: app/x\n  objectType: secretsmanager\n  filePermission: "rw-------"\n', 'spc-objects', /filePermission "rw-------" is malformed/],
      ['- objectName: "arn:aws:secretsmanager:us-west-2:1:secret:x"\n', 'spc-objects', /region us-west-2 is not the region parameter eu-west-1/],
      ['- objectName: "arn:aws:s3:::bucket"\n', 'spc-objects', /not a Secrets Manager or SSM ARN/],
      ['- objectName: p\n  objectType: ssmparameter\n  objectVersion: "1"\n  objectVersionLabel: x\n', 'spc-objects', /both objectVersion and objectVersionLabel/],
      ['- objectName: p\n  objectType: secretsmanager\n  failoverObject:\n    objectName: q\n', 'spc-objects', /needs an objectAlias/],
      ['- objectName: p\n  objectType: secretsmanager\n  jmesPath:\n    - path: a\n', 'spc-objects', /jmesPath 1 has no objectAlias/],
      ['- objectName: p\n  objectType: secretsmanager\n  objectAliass: DB_PASSWORD\n', 'spc-objects', /unknown field "objectAliass"/],
      ['- objectName: p\n  objectType: secretsmanager\n- objectName: p\n  objectType: secretsmanager\n  objectAlias: other\n', 'spc-duplicate-alias', /objectName p is listed twice/],
      ['- objectName: p\n  objectType: secretsmanager\n  objectAlias: A\n- objectName: q\n  objectType: secretsmanager\n  objectAlias: A\n', 'spc-duplicate-alias', /two objects write the file A/],
      ['[]', 'spc-objects', /must be a YAML list of objects, and it is empty/],
      ['objectName: p', 'spc-objects', /must be a YAML list/],
      ['- "just a string"', 'spc-objects', /must be a mapping/],
      ['- a: 1\n---\n- b: 2\n', 'spc-objects', /exactly one YAML document/],
    ];
    for (const [objects, rule, message] of cases) {
      const found = validate(spc('aws', { region: 'eu-west-1', objects }));
      t.match(found.find((f) => f.rule === rule && message.test(f.message)), { severity: 'error' }, `${message.source}\n${found.map((f) => f.message).join('\n')}`);
    }
  });
  t.test('parameters: names, values, the failover region', async (t) => {
    const objects = '- objectName: p\n  objectType: secretsmanager\n';
    exactly(t, validate(spc('aws', { objects, region: 'Frankfurt' })), [{ rule: 'spc-parameter', message: /region "Frankfurt" is not valid/ }]);
    exactly(t, validate(spc('aws', { objects, pathTranslation: 'True' })), [{ rule: 'spc-parameter', fix: /"False" or a single character/ }]);
    exactly(t, validate(spc('aws', { objects, usePodIdentity: 'yes' })), [{ rule: 'spc-parameter' }]);
    exactly(t, validate(spc('aws', { objects: '- objectName: p\n  objectType: secretsmanager\n  objectAlias: a\n  failoverObject:\n    objectName: q\n' })), [{ rule: 'spc-objects', message: /needs the failoverRegion parameter/ }]);
    exactly(t, validate(spc('aws', { region: 'us-east-1' })), [{ rule: 'spc-parameter', message: /needs parameters.objects/ }]);
    exactly(t, validate(spc('aws', { objects, Region: 'us-east-1' })), [{ rule: 'spc-parameter', fix: /Did you mean "region"/ }]);
    exactly(t, validate(spc('aws', { pathTranslation: 'False', objects: '- objectName: p\n  objectType: secretsmanager\n  objectAlias: "a/../../etc"\n' })), [{ rule: 'spc-objects', message: /contains "\.\."/ }], 'without translation, ".." in a path is refused');
  });
});

t.test('Provider: vault', async (t) => {
  const good = `- objectName: "DB_PASSWORD"
  secretPath: "secret/data/app/DB_PASSWORD"
  secretKey: "value"
  filePermission: 0400
- objectName: "API_KEY"
  secretPath: "secret/data/app/API_KEY"
  secretKey: "value"
  encoding: base64
`;
  t.test('accepts its format; objectName is the file name; filePermission is a YAML integer (octal)', async (t) => {
    const o = spc('vault', { roleName: 'app', vaultAddress: 'https://vault:8200', objects: good });
    t.same(validate(o), []);
    t.same(cross(o), []);
  });
  t.test('without secretKey the file would hold the whole JSON response', async (t) => {
    const o = spc('vault', { roleName: 'app', objects: good.replace('  secretKey: "value"\n  filePermission: 0400\n', '') });
    t.same(validate(o), []);
    exactly(t, cross(o), [{ rule: 'schema-value-shape', message: /whole JSON response/, path: 'spec.parameters.objects[0].objectName' }]);
  });
  t.test('roleName is required; vaultSkipTLSVerify and the old mount path parameter are warned about', async (t) => {
    exactly(t, validate(spc('vault', { objects: good })), [{ rule: 'spc-parameter', message: /needs parameters.roleName/ }]);
    const found = validate(spc('vault', { roleName: 'app', objects: good, vaultSkipTLSVerify: 'true', vaultKubernetesMountPath: 'k8s' }));
    t.same(rules(found), []);
    t.same(rules(found, true).sort(), ['spc-parameter', 'spc-parameter']);
    exactly(t, validate(spc('vault', { roleName: 'app', objects: good, vaultAddress: 'vault:8200' })), [{ rule: 'spc-parameter', message: /vaultAddress/ }]);
  });
  t.test('malformed objects', async (t) => {
    const cases: [string, RegExp][] = [
      ['- objectName: a\n', /has no secretPath/],
      ['- objectName: a\n  secretPath: /secret/data/a\n', /leading\/trailing slash/],
      ['- objectName: a\n  secretPath: s/data/a\n  filePermission: 99999\n', /not a file mode/],
      ['- objectName: a\n  secretPath: s/data/a\n  method: DELETE\n', /method "DELETE" is not one of/],
      ['- objectName: a\n  secretPath: s/data/a\n  secretArgs: x\n', /secretArgs must be a mapping/],
      ['- objectName: a\n  secretPath: [s\n', /not valid YAML/],
    ];
    for (const [objects, message] of cases) exactly(t, validate(spc('vault', { roleName: 'r', objects })), [{ rule: 'spc-objects', message }], message.source);
  });
});

t.test('Provider: azure', async (t) => {
  const item = (fields: string) => `  - |\n${fields.split('\n').filter(Boolean).map((l) => `    ${l}`).join('\n')}\n`;
  const good = `array:\n${item('objectName: db-password\nobjectType: secret\nobjectAlias: DB_PASSWORD\nfilePermission: "0440"')}${item('objectName: API_KEY\nobjectType: secret\nobjectVersionHistory: 1')}`;
  const params = { keyvaultName: 'kv1', tenantId: 't', clientID: 'c', objects: good };
  t.test('accepts an array of YAML strings; the file is objectAlias, else objectName', async (t) => {
    t.same(validate(spc('azure', params)), []);
    t.same(cross(spc('azure', params)), []);
    t.same(validate(spc('azure', { ...params, tenantId: undefined, tenantID: 't' })), [], 'tenantID is the newer spelling');
  });
  t.test('objectVersionHistory > 1 writes a directory, which the preload cannot read', async (t) => {
    const o = spc('azure', { ...params, objects: good.replace('objectVersionHistory: 1', 'objectVersionHistory: 3') });
    t.same(validate(o), []);
    exactly(t, cross(o), [{ rule: 'schema-value-shape', message: /directory/, path: 'spec.parameters.objects.array[1].objectName' }]);
  });
  t.test('required parameters, and the line of a problem inside a nested string', async (t) => {
    exactly(t, validate(spc('azure', { objects: good })), [{ message: /needs parameters.keyvaultName/ }, { message: /needs the tenant id/ }]);
    exactly(t, validate(spc('azure', { ...params, keyvaultName: 'a_b' })), [{ rule: 'spc-parameter', message: /keyvaultName/ }]);
    exactly(t, validate(spc('azure', { ...params, cloudName: 'Mars' })), [{ rule: 'spc-parameter' }]);
    exactly(t, validate(spc('azure', { ...params, usePodIdentity: 'true' })), [{ severity: 'warning', message: /deprecated/ }]);
    const broken = spc('azure', { ...params, objects: good.replace('objectType: secret\n    objectAlias', 'objectType: sekret\n    objectAlias') });
    const found = validate(broken);
    exactly(t, found, [{ rule: 'spc-objects', path: 'spec.parameters.objects.array[0].objectType', message: /"sekret" is not one of secret, key, cert/ }]);
    const text = docsOf(broken)[0]!;
    t.equal(found[0]!.line, (text.lineOf(['spec', 'parameters', 'objects']) ?? 0) + 4, 'line of objectType inside the string inside the string');
  });
  t.test('shapes the Azure provider refuses', async (t) => {
    const cases: [string, RegExp][] = [
      ['- objectName: a', /mapping with one key, "array"/],
      ['array: []', /is empty/],
      ['array:\n  - objectName: a\n    objectType: secret\n', /must be a YAML string/],
      [`array:\n${item('objectName: a')}`, /has no objectType/],
      [`array:\n${item('objectName: a\nobjectType: secret\nobjectVersionHistory: -1')}`, /must not be negative/],
      [`array:\n${item('objectName: a\nobjectType: secret')}extra: 1\n`, /unknown key "extra"/],
      [`array:\n  - "objectName: [a"\n`, /not valid YAML/],
    ];
    for (const [objects, message] of cases) exactly(t, validate(spc('azure', { ...params, objects })).filter((f) => f.rule === 'spc-objects'), [{ message }], message.source);
  });
});

t.test('Provider: gcp', async (t) => {
  const objects = '- resourceName: projects/p/secrets/db/versions/latest\n  path: DB_PASSWORD\n- resourceName: projects/p/secrets/api/versions/latest\n  fileName: API_KEY\n';
  t.same(validate(spc('gcp', { secrets: objects })), []);
  t.same(cross(spc('gcp', { secrets: objects })), []);
  exactly(t, validate(spc('gcp', { secrets: '- resourceName: x\n' })), [{ rule: 'spc-objects', message: /neither path nor fileName/ }]);
});

t.test('SecretProviderClass spec', async (t) => {
  const objects = '- objectName: p\n  objectType: secretsmanager\n  objectAlias: DB_PASSWORD\n';
  exactly(t, validate(spc('hashicorp', {})), [{ rule: 'spc-schema', message: /"hashicorp" is not a known provider/ }]);
  exactly(t, validate({ ...spc('aws', {}), spec: { parameters: {} } }), [{ rule: 'spc-schema', message: /provider is missing/ }]);
  exactly(t, validate({ ...spc('aws', {}), spec: 'x' }), [{ rule: 'spc-schema', message: /spec is missing/ }]);
  exactly(t, validate({ ...spc('aws', {}), spec: { provider: 'aws' } }), [{ rule: 'spc-schema', message: /parameters is missing/ }]);
  exactly(t, validate(spc('aws', { objects }, { secretObject: [] })), [{ rule: 'spc-schema', message: /unknown field "secretObject"/, fix: /Did you mean "secretObjects"/ }]);
  exactly(t, validate({ ...spc('aws', { objects }), apiVersion: 'secrets-store.csi.x-k8s.io/v1alpha1' }), [{ severity: 'warning', rule: 'spc-schema' }]);
  exactly(t, validate({ ...spc('aws', { objects }), metadata: { name: 'Bad_Name' } }), [{ rule: 'spc-schema', path: 'metadata.name' }]);
  t.test('secretObjects: shape, names that exist, and a warning that values land in etcd', async (t) => {
    const good = validate(spc('aws', { objects }, { secretObjects: [{ secretName: 'db', type: 'Opaque', data: [{ objectName: 'DB_PASSWORD', key: 'password' }] }] }));
    t.same(rules(good), []);
    exactly(t, good, [{ severity: 'warning', message: /etcd/ }]);
    const bad = validate(spc('aws', { objects }, { secretObjects: [{ secretName: 'Db!', data: [{ objectName: 'NOPE', keys: 'x' }], labelz: {} }, 'x'] }));
    t.same(rules(bad).sort(), Array(7).fill('spc-schema'), bad.map((f) => f.message).join('\n'));
    exactly(t, validate(spc('aws', { objects }, { secretObjects: {} })), [{ message: /must be a list/ }]);
    exactly(t, validate(spc('aws', { objects }, { secretObjects: [{ secretName: 'db', type: 'Opaque', data: [] }] })), [{ message: /data is missing or empty/ }, { severity: 'warning' }]);
    exactly(t, validate(spc('aws', { objects }, { secretObjects: [{ secretName: 'db', type: 'Opaque', data: ['x'] }] })), [{ message: /must be a mapping/ }, { severity: 'warning' }]);
  });
});

t.test('crossCheckSchema leaves a SecretProviderClass without a usable object list to validateManifests', async (t) => {
  t.same(cross(spc('aws', { region: 'us-east-1' })), [], 'no objects parameter');
  t.same(cross(spc('hashicorp', { objects: '- objectName: DB_PASSWORD\n' })), [], 'unknown provider');
  t.same(cross(spc('vault', { roleName: 'r', objects: '- objectName: [\n' })), [], 'objects that do not parse');
  t.same(cross(spc('aws', { objects: '[]' })), [], 'an empty list (validateManifests: "it is empty")');
  const oneBroken = '- objectName: a\n  objectType: secretsmanager\n  objectAlias: DB_PASSWORD\n- "not a mapping"\n';
  t.same(cross(spc('aws', { objects: oneBroken })).map((f) => f.rule), ['schema-missing-alias'], 'the objects that are fine still count');
});
