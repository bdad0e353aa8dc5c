'use strict';
// Operators' side: verify the hash chain of an audit file and search it for one secret by the HMAC reference of its
// name (names are never written in clear).
//   node examples/multitenant/audit.js <audit.jsonl> <audit.key> [SECRET_NAME]
const fs = require('node:fs');
const path = require('node:path');
const { auditReference, verifyAuditLog } = require(path.join(__dirname, '..', '..', 'dist', 'audit'));

/** Verify the chain; returns the verdict (ok and count, or the first broken line and why). */
function verify(file) {
  return verifyAuditLog(file);
}

/** The events of one secret, found by the reference of its name computed with the audit key. */
function eventsOf(file, keyFile, name) {
  const ref = auditReference(name, { keyFile });
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
    .filter((event) => event.secret === ref);
}

/** One line per event: what an operator scans. */
function describe(e) {
  const who = `${e.actor.id}${e.crossTenant ? ' (cross-tenant)' : ''}`;
  return `#${e.seq} ${e.time} ${e.action} ${e.outcome}${e.reason ? ` (${e.reason})` : ''} tenant=${e.tenant} by ${who} cache=${e.cache} request=${e.requestId}`;
}

module.exports = { verify, eventsOf, describe };

if (require.main === module) {
  const [file, keyFile, name] = process.argv.slice(2);
  if (!file || !keyFile) {
    process.stderr.write('usage: node examples/multitenant/audit.js <audit.jsonl> <audit.key> [SECRET_NAME]\n');
    process.exit(2);
  }
  verify(file).then((result) => {
    process.stdout.write(result.ok ? `chain ok: ${result.count} events\n` : `chain BROKEN at line ${result.line}: ${result.problem} (${result.detail})\n`);
    if (name) for (const e of eventsOf(file, keyFile, name)) process.stdout.write(describe(e) + '\n');
    process.exitCode = result.ok ? 0 : 1;
  });
}
