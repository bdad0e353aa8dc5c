import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadPolicyFile, parsePolicy, Policy, type PolicyProblem } from '../../src/access';
import { findJsonSyntaxError } from '../../src/access/findJsonSyntaxError';
import { PolicyError } from '../../src/errors';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'policy.yaml');

/** The problems of the PolicyError `fn` throws. */
function problemsOf(t: Test, fn: () => unknown): PolicyProblem[] {
  try {
    fn();
  } catch (error) {
    t.ok(error instanceof PolicyError, 'throws PolicyError');
    t.equal((error as PolicyError).code, 'E_POLICY');
    return ((error as PolicyError).cause as { problems: PolicyProblem[] }).problems;
  }
  t.fail('did not throw');
  return [];
}

const alice = { actor: { id: 'alice', roles: ['billing'] } };

t.test('Function: parsePolicy', async (t) => {
  t.test('parses YAML into a working policy', async (t) => {
    const policy = parsePolicy('roles:\n  billing:\n    grants:\n      - permissions: [secrets:read]\n        names: ["STRIPE_*"]\nmembers:\n  alice: [acme]\n', 'yaml');
    t.ok(policy instanceof Policy);
    t.same(policy.authorize(alice, 'acme', 'secrets:read', 'STRIPE_KEY'), { allowed: true, crossTenant: false });
    t.equal(policy.authorize(alice, 'acme', 'secrets:read', 'DB_PASSWORD').allowed, false);
  });

  t.test('parses JSON into the same policy', async (t) => {
    const policy = parsePolicy(JSON.stringify({ roles: { billing: { grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*'] }] } }, members: { alice: ['acme'] } }, null, 2), 'json');
    t.same(policy.authorize(alice, 'acme', 'secrets:read', 'STRIPE_KEY'), { allowed: true, crossTenant: false });
  });

  t.test('names the line, column and field of an unknown permission (YAML)', async (t) => {
    const text = 'version: 1\nroles:\n  billing:\n    grants:\n      - permissions: [secrets:read, secrets:reed]\n';
    const [p] = problemsOf(t, () => parsePolicy(text, 'yaml', { source: 'policy.yaml' }));
    t.match(p, { field: 'roles.billing.grants[0].permissions[1]', line: 5, column: 37, problem: /unknown permission "secrets:reed"/ });
    t.throws(() => parsePolicy(text, 'yaml', { source: 'policy.yaml' }), { message: /policy\.yaml is invalid: line 5, column 37, field roles\.billing\.grants\[0\]\.permissions\[1\]/ });
  });

  t.test('names the line and field of an unknown permission (JSON, line from the offset)', async (t) => {
    const text = '{\n  "roles": {\n    "billing": {\n      "grants": [\n        { "permissions": ["secrets:read", "nope"] }\n      ]\n    }\n  }\n}\n';
    const [p] = problemsOf(t, () => parsePolicy(text, 'json'));
    t.match(p, { field: 'roles.billing.grants[0].permissions[1]', line: 5, column: 43 });
  });

  t.test('names the line of a JSON syntax error', async (t) => {
    const cases: [string, number, number, RegExp][] = [
      ['{\n  "roles": {},\n}\n', 3, 1, /double-quoted property name/],
      ['{\n  "roles": {\n    "a": { "grants": [] }\n  }\n', 5, 1, /end of input/],
      ['{\n  "roles": {"a": {"grants": [}]}}\n}', 2, 30, /unexpected character "\}"/],
      ["{'roles': {}}", 1, 2, /double-quoted/],
      ['{"roles": {}} x', 1, 15, /after the JSON value/],
    ];
    for (const [text, line, column, problem] of cases) {
      const [p] = problemsOf(t, () => parsePolicy(text, 'json'));
      t.match(p, { field: '(syntax)', line, column, problem }, JSON.stringify(text));
    }
  });

  t.test('names the line of a YAML syntax error', async (t) => {
    const [p] = problemsOf(t, () => parsePolicy('roles:\n  a:\n    grants: [\n  b: 1\n', 'yaml'));
    t.match(p, { field: '(syntax)', problem: /YAML error/ });
    t.type(p?.line, 'number');
  });

  t.test('rejects wrong types naming the field', async (t) => {
    const problems = problemsOf(t, () =>
      parsePolicy('roles:\n  ops:\n    crossTenant: yes\n    grants:\n      - permissions: secrets:read\n  x: []\nmembers:\n  alice: acme\n', 'yaml'),
    );
    t.match(problems, [
      { field: 'roles.ops.crossTenant', line: 3, problem: /must be true or false, got a string/ },
      { field: 'roles.ops.grants[0].permissions', line: 5, problem: /must be a list/ },
      { field: 'roles.x', line: 6, problem: /must be a mapping/ },
      { field: 'members.alice', line: 8, problem: /must be a list/ },
    ]);
  });

  t.test('rejects bad globs naming the field and line', async (t) => {
    const patterns = ['a/b', 'STRIPE_**', '..*', '-x', '', 'A[0-9]', 'é*'];
    const text = `roles:\n  r:\n    grants:\n      - permissions: [secrets:read]\n        names:\n${patterns.map((p) => `          - ${JSON.stringify(p)}\n`).join('')}`;
    const problems = problemsOf(t, () => parsePolicy(text, 'yaml'));
    t.equal(problems.length, patterns.length);
    problems.forEach((p, i) => t.match(p, { field: `roles.r.grants[0].names[${i}]`, line: 6 + i, problem: /name pattern/ }));
  });

  t.test('rejects unknown fields, at the key', async (t) => {
    const problems = problemsOf(t, () => parsePolicy('roles:\n  r:\n    grant:\n      - permissions: [secrets:read]\nusers: {}\n', 'yaml'));
    t.match(problems, [
      { field: 'roles.r.grants', line: 2, problem: /is required/ },
      { field: 'roles.r.grant', line: 3, column: 5, problem: /unknown field/ },
      { field: 'users', line: 5, column: 1, problem: /unknown field/ },
    ]);
  });

  t.test('rejects names combined with audit:read', async (t) => {
    const [p] = problemsOf(t, () => parsePolicy('roles:\n  r:\n    grants:\n      - permissions: [audit:read]\n        names: [A]\n', 'yaml'));
    t.match(p, { field: 'roles.r.grants[0].names', line: 5, problem: /cannot restrict audit:read/ });
  });

  t.test('rejects invalid tenant ids, numbers included', async (t) => {
    const problems = problemsOf(t, () => parsePolicy('roles:\n  r:\n    memberOf: [007, "../x", "a.b"]\n    grants: []\n', 'yaml'));
    t.match(problems, [
      { field: 'roles.r.memberOf[0]', problem: /quote ids that look like numbers/ },
      { field: 'roles.r.memberOf[1]', problem: /path separator/ },
      { field: 'roles.r.memberOf[2]', problem: /outside/ },
    ]);
  });

  t.test('rejects empty names and tenants lists, empty permissions, and a missing roles field', async (t) => {
    t.match(problemsOf(t, () => parsePolicy('roles:\n  r:\n    grants:\n      - permissions: []\n        names: []\n        tenants: []\n', 'yaml')), [
      { field: 'roles.r.grants[0].permissions', problem: /must not be empty/ },
      { field: 'roles.r.grants[0].names', problem: /omit names/ },
      { field: 'roles.r.grants[0].tenants', problem: /omit tenants/ },
    ]);
    t.match(problemsOf(t, () => parsePolicy('members: {}\n', 'yaml')), [{ field: 'roles', problem: /is required/ }]);
    t.match(problemsOf(t, () => parsePolicy('version: 2\nroles: {}\n', 'yaml')), [{ field: 'version', line: 1, problem: /must be 1/ }]);
  });

  t.test('rejects duplicate keys, aliases, several documents and empty text', async (t) => {
    t.match(problemsOf(t, () => parsePolicy('roles:\n  a: {grants: []}\n  a: {grants: []}\n', 'yaml')), [{ line: 3, problem: /unique/ }]);
    t.match(problemsOf(t, () => parsePolicy('{"roles": {"a": {"grants": []}, "a": {"grants": []}}}', 'json')), [{ problem: /unique/ }]);
    t.match(problemsOf(t, () => parsePolicy('roles:\n  a: &g {grants: []}\n  b: *g\n', 'yaml')), [{ line: 3, problem: /aliases/ }]);
    t.match(problemsOf(t, () => parsePolicy('roles: {}\n---\nroles: {}\n', 'yaml')), [{ field: '(syntax)' }]);
    t.match(problemsOf(t, () => parsePolicy('', 'yaml')), [{ problem: /empty/ }]);
    t.match(problemsOf(t, () => parsePolicy('# nothing\n', 'yaml')), [{ problem: /empty/ }]);
    t.match(problemsOf(t, () => parsePolicy('- a\n', 'yaml')), [{ field: '(root)', problem: /must be a mapping/ }]);
  });

  t.test('rejects role names and actor ids with spaces or control characters, at the key', async (t) => {
    t.match(problemsOf(t, () => parsePolicy('roles:\n  "bad role": {grants: []}\nmembers:\n  "eve smith": [acme]\n  "x\\ty": []\n', 'yaml')), [
      { field: 'roles["bad role"]', line: 2, column: 3, problem: /role name/ },
      { field: 'members["eve smith"]', line: 4, column: 3, problem: /actor id/ },
      { field: 'members["x\\ty"]', line: 5, problem: /actor id/ },
    ]);
  });

  t.test('quotes odd keys in field paths', async (t) => {
    t.match(problemsOf(t, () => parsePolicy('roles: {}\nmembers:\n  alice@example.com: [1]\n', 'yaml')), [{ field: 'members["alice@example.com"][0]', line: 3 }]);
  });

  t.test('accepts a byte order mark', async (t) => {
    t.ok(parsePolicy('\uFEFF{"roles": {}}', 'json') instanceof Policy);
  });

  t.test('rejects an unknown format', async (t) => {
    t.match(problemsOf(t, () => parsePolicy('roles: {}', 'toml' as 'yaml')), [{ field: '(format)' }]);
  });
});

t.test('Function: findJsonSyntaxError', async (t) => {
  t.test('accepts what JSON.parse accepts', async (t) => {
    for (const text of ['{}', '[]', ' 1 ', '"a\\u00e9\\n"', '{"a":[1,-2.5e+3,true,false,null,{"b":"c"}]}', '[[[[]]]]']) {
      t.equal(findJsonSyntaxError(text), undefined, text);
      JSON.parse(text);
    }
  });
  t.test('finds errors where JSON.parse fails', async (t) => {
    for (const text of ['', '{', '[1,]', '{"a" 1}', '01', '"\u0001"', '"\\x"', '"\\u12g4"', 'tru', '{"a":1}}', '[1 2]', "'a'", 'NaN']) {
      t.not(findJsonSyntaxError(text), undefined, JSON.stringify(text));
      t.throws(() => JSON.parse(text));
    }
  });
  t.test('survives hostile nesting', async (t) => {
    t.match(findJsonSyntaxError('['.repeat(1_000_000)), { problem: /end of input/ });
  });
});

t.test('Function: loadPolicyFile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  t.test('loads the documented example', async (t) => {
    const policy = loadPolicyFile(EXAMPLE);
    const billing = { actor: { id: 'svc-billing', roles: ['billing'] } };
    t.same(policy.authorize(billing, 'acme', 'secrets:read', 'STRIPE_KEY'), { allowed: true, crossTenant: false });
    t.same(policy.authorize(billing, 'acme', 'secrets:read', 'PAYPAL_CLIENT_ID'), { allowed: true, crossTenant: false });
    t.match(policy.authorize(billing, 'initech', 'secrets:read', 'STRIPE_KEY'), { allowed: false, reason: 'tenant-not-granted' });
    const operator = { actor: { id: 'carol', roles: ['platform-operator'] } };
    t.same(policy.authorize(operator, 'initech', 'secrets:rotate', 'STRIPE_KEY'), { allowed: true, crossTenant: true });
    t.match(policy.authorize(operator, 'initech', 'secrets:read', 'STRIPE_KEY'), { allowed: false, reason: 'no-grant' });
    const oncall = { actor: { id: 'dave', roles: ['db-oncall'] } };
    t.same(policy.authorize(oncall, 'acme-eu', 'secrets:read', 'DB_PASSWORD'), { allowed: true, crossTenant: true });
    t.match(policy.authorize(oncall, 'acme', 'secrets:read', 'DB_PASSWORD'), { allowed: false });
    const staff = { actor: { id: 'erin', roles: ['staff'] } };
    t.same(policy.authorize(staff, 'internal', 'secrets:list'), { allowed: true, crossTenant: false });
  });
  t.test('picks the format from the extension, else from the content', async (t) => {
    const json = join(dir, 'p.json');
    writeFileSync(json, '{"roles": {}}');
    t.ok(loadPolicyFile(json) instanceof Policy);
    const sniffed = join(dir, 'policy');
    writeFileSync(sniffed, '{"roles": {}}');
    t.ok(loadPolicyFile(sniffed) instanceof Policy);
    const yml = join(dir, 'p.yml');
    writeFileSync(yml, 'roles: {}\n');
    t.ok(loadPolicyFile(yml) instanceof Policy);
  });
  t.test('names the file in errors', async (t) => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'roles:\n  r:\n    grants: [{permissions: [x]}]\n');
    t.throws(() => loadPolicyFile(bad), { name: 'PolicyError', message: new RegExp(`${bad.replace(/[.]/g, '\\.')} is invalid: line 3`) });
  });
  t.test('reports a missing or oversized file as PolicyError', async (t) => {
    t.throws(() => loadPolicyFile(join(dir, 'missing.yaml')), { name: 'PolicyError', message: /cannot be read \(ENOENT\)/ });
    t.throws(() => loadPolicyFile(dir), { name: 'PolicyError', message: /cannot be read \(EISDIR\)/ });
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n`);
    t.throws(() => loadPolicyFile(big), { name: 'PolicyError', message: /larger than/ });
  });
});

t.test('Input limits', async (t) => {
  t.test('refuses deep flow nesting with a PolicyError at the line, without recursing', async (t) => {
    for (const format of ['json', 'yaml'] as const) {
      const deep = `{"roles": {}, "x":\n${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
      t.match(problemsOf(t, () => parsePolicy(deep, format)), [{ field: '(syntax)', line: 2, problem: /nesting deeper than 64/ }]);
    }
  });

  t.test('an apostrophe inside a word does not hide deep nesting after it', async (t) => {
    const text = `# it's a comment\nroles:\n  r:\n    grants: []\nmembers:\n  o'brien: [acme]\n  x: ${'['.repeat(100)}${']'.repeat(100)}\n`;
    t.match(problemsOf(t, () => parsePolicy(text, 'yaml')), [{ field: '(syntax)', line: 7, problem: /nesting/ }]);
  });

  t.test('refuses deep block nesting at the line where it goes too deep', async (t) => {
    let text = 'roles:\n';
    for (let d = 1; d < 100; d++) text += `${' '.repeat(d * 2)}k${d}:\n`;
    t.match(problemsOf(t, () => parsePolicy(text, 'yaml')), [{ field: '(syntax)', line: 65, problem: /nesting/ }]);
  });

  t.test('accepts nesting in quoted strings and comments, and a list of sequences', async (t) => {
    const text = `roles:\n  r: # ${'['.repeat(100)}\n    description: "${'{'.repeat(100)}"\n    grants:\n      - permissions: [secrets:read]\n`;
    t.ok(parsePolicy(text, 'yaml') instanceof Policy);
  });

  t.test('still finds duplicate keys in a large policy, at the second key', async (t) => {
    let text = 'roles:\n';
    for (let i = 0; i < 5000; i++) text += `  role-${i}:\n    grants:\n      - permissions: [secrets:read]\n`;
    t.ok(parsePolicy(text, 'yaml') instanceof Policy);
    text += '  role-17:\n    grants: []\n';
    t.match(problemsOf(t, () => parsePolicy(text, 'yaml')), [{ line: 15_002, problem: /unique/ }]);
  });
});
