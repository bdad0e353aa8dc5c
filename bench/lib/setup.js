'use strict';
// Shared fixtures for benchmark modules: a schema of N String secrets, an atomic-writer mount, a clean env.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

/** Names S000 … S(n-1), valid secret (file) names. */
function secretNames(n) {
  return Array.from({ length: n }, (_, i) => `S${String(i).padStart(3, '0')}`);
}

/** Random printable value (hex), `bytes` long. Never printed by the benchmark. */
function randomValue(bytes = 32) {
  return crypto.randomBytes(Math.ceil(bytes / 2)).toString('hex').slice(0, bytes);
}

/** Write a convict schema module with `names` as required sensitive String secrets; returns its path. */
function writeSchema(dir, names) {
  const file = path.join(dir, 'schema.js');
  const body = names.map((n) => `  ${JSON.stringify(n)}: { format: String, default: null, sensitive: true },`).join('\n');
  fs.writeFileSync(file, `'use strict';\nmodule.exports = {\n${body}\n};\n`);
  return file;
}

/** Payload name -> random value for `names`. */
function randomPayload(names, bytes = 32) {
  return Object.fromEntries(names.map((n) => [n, randomValue(bytes)]));
}

/** A kubelet-style mount written by the project's AtomicWriter (dist/testing/AtomicWriter.js). */
function writeMount(dir, payload) {
  const { AtomicWriter } = require(path.join(DIST, 'testing', 'AtomicWriter.js'));
  const writer = new AtomicWriter(dir);
  writer.write(payload);
  return writer;
}

/**
 * An environment for child processes: the parent's PATH/HOME/locale only, so NODE_OPTIONS, SECRETS_* or
 * DOTENV_* of the caller cannot change what is measured.
 */
function cleanEnv(extra = {}) {
  const env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, ...extra };
}

/** Fail with a message that never contains child output (which could hold secret material in a broken run). */
function assertChild(result, what) {
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const firstLines = String(result.stderr ?? '').split('\n').filter((l) => l.startsWith('@valuecanvas/secrets:')).slice(0, 5).join(' | ');
    throw new Error(`${what}: exited with ${result.status ?? result.signal}${firstLines ? ` (${firstLines})` : ''}`);
  }
}

module.exports = { ROOT, DIST, secretNames, randomValue, writeSchema, randomPayload, writeMount, cleanEnv, assertChild };
