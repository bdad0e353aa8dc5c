#!/usr/bin/env node
// Checks responses of the Azure Key Vault stand-in against Microsoft's REST spec of the secrets data plane
// (api-version 2025-06-01, test/fixtures/azure-keyvault-2025-06-01/secrets.json) with ajv.
//
// As a module: `createSpecChecker()` returns { check(exchange) -> problems[], operationOf(exchange), operations }.
// As a command: `node scripts/azure-spec-check.js <recording.jsonl>` checks every exchange the stand-in recorded
// (AZURE_STANDIN_RECORD / --record, see scripts/peers/azure-keyvault-standin.js) and exits 1 on any deviation.
// `.ci/run` records the whole test run and runs this after `npm test`. A missing recording (the peer was Lowkey
// Vault, or a stand-in started without recording) is reported and is not an error.
//
// A response conforms when its method and path match an operation of the spec, its status is one the operation
// defines (any error status falls under `default`, the KeyVaultError schema), and its body validates against that
// schema with every object of the spec closed (`additionalProperties: false`): a property the spec does not
// define is a deviation. The stand-in's own /ping (a readiness probe, not Key Vault) is skipped.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SPEC = path.join(__dirname, '..', 'test', 'fixtures', 'azure-keyvault-2025-06-01', 'secrets.json');

/** The spec's definitions with `additionalProperties: false` on every object that lists its properties. */
function closed(node) {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, closed(s)])) : closed(v)]),
  );
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

function createSpecChecker(specFile = SPEC) {
  const Ajv = require('ajv');
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  const ajv = new (Ajv.default ?? Ajv)({ strict: false, allErrors: true });
  ajv.addFormat('unixtime', { type: 'number', validate: (n) => Number.isInteger(n) && n >= 0 });
  ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('base64url', /^[A-Za-z0-9_-]*$/);
  ajv.addFormat('uri', (s) => URL.canParse(s));
  ajv.addSchema({ $id: 'kv.json', definitions: closed(spec.definitions) });

  // Operation templates as regexes, literal segments first (`/secrets/{n}/versions` before `/secrets/{n}/{v}`).
  const routes = Object.entries(spec.paths)
    .flatMap(([template, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        op,
        literals: template.split('/').filter((s) => s && !s.startsWith('{')).length,
        // The SDK reads the latest version as GET /secrets/<name>/ (an empty {secret-version}).
        re: new RegExp(`^${template.replace(/\{secret-version\}/g, '[^/]*').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    )
    .sort((a, b) => b.literals - a.literals);

  const operationOf = (e) => routes.find((r) => r.method === e.method && r.re.test(e.path))?.op;

  function check(e) {
    const where = `${e.method} ${e.path} -> ${e.status}`;
    const op = operationOf(e);
    if (!op) return [`${where}: no operation of the spec matches`];
    const ok = e.status >= 200 && e.status < 300;
    const response = op.responses[String(e.status)] ?? (ok ? undefined : op.responses.default);
    if (!response) return [`${where}: ${op.operationId} defines no ${e.status} response`];
    if (!response.schema) return e.body === undefined ? [] : [`${where}: ${op.operationId} ${e.status} has no body in the spec`];
    const validate = ajv.getSchema(`kv.json${response.schema.$ref}`);
    if (validate(e.body)) return [];
    return validate.errors.map((err) => `${where} (${op.operationId}): ${err.instancePath || '/'} ${err.message ?? ''} ${JSON.stringify(err.params)}`);
  }

  return { check, operationOf, operations: routes.map((r) => r.op.operationId) };
}

/** The exchanges of a recording, without the stand-in's /ping probe. */
function readRecording(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.path !== '/ping');
}

module.exports = { createSpecChecker, readRecording };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node scripts/azure-spec-check.js <recording.jsonl>\n');
    process.exit(2);
  }
  if (!fs.existsSync(file)) {
    process.stdout.write(`azure spec check: no recording at ${file} (the Azure peer was not a recording stand-in); nothing checked\n`);
    process.exit(0);
  }
  const { check, operationOf } = createSpecChecker();
  const exchanges = readRecording(file);
  const problems = exchanges.flatMap(check);
  const ops = new Set(exchanges.filter((e) => e.status < 300).map((e) => operationOf(e)?.operationId).filter(Boolean));
  process.stdout.write(`azure spec check: ${exchanges.length} responses of the stand-in, ${ops.size} operations answered with a success, ${problems.length} deviation(s) from the 2025-06-01 spec\n`);
  for (const p of [...new Set(problems)].slice(0, 50)) process.stdout.write(`  ${p}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
