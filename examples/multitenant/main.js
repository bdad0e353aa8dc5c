'use strict';
/* global fetch */
// A complete multi-tenant run: `npm run build && node examples/multitenant/main.js`.
//   1. start the app (app.js) with the policy (policy.yaml), an audit key and a fail-closed audit file;
//   2. a tenant admin writes each tenant's webhook key through the service;
//   3. callers (actors.js) make requests: allowed, denied (other tenant, wrong role), hostile (a traversal in the
//      tenant id), a cross-tenant operator;
//   4. read the audit trail: verify its hash chain and find every event of one secret by its HMAC reference.
// Set SECRETS_PROVIDER_URI (e.g. vault://127.0.0.1:8200/secret/demo?tls=0 with VAULT_TOKEN) to use a real backend.
// Prints what happens, never a value.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createService, createServer } = require('./app');
const { verify, eventsOf, describe } = require('./audit');

const out = (line) => process.stdout.write(line + '\n');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-multitenant-'));
  const auditFile = path.join(dir, 'audit.jsonl');
  // In production the key is mounted from a Kubernetes Secret: `openssl rand -hex 32 > audit.key`.
  const auditKeyFile = path.join(dir, 'audit.key');
  fs.writeFileSync(auditKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });

  const { service, providers, audit, hmac } = await createService({ auditFile, auditKeyFile, providerUri: process.env.SECRETS_PROVIDER_URI });
  const server = createServer(service);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  out(`app listening on ${base}; audit trail ${auditFile}`);

  // 2. Provision: tenant admins write their tenant's key (the values are random and never printed).
  const admins = { acme: { id: 'alice@acme.example', roles: ['tenant-admin'] }, globex: { id: 'bob@globex.example', roles: ['tenant-admin'] } };
  for (const [tenant, actor] of Object.entries(admins)) {
    const value = Buffer.from(`whsec_${randomBytes(24).toString('hex')}`);
    const { version } = await service.set({ actor, requestId: `provision-${tenant}` }, tenant, 'STRIPE_WEBHOOK_KEY', value);
    value.fill(0);
    out(`provisioned ${tenant}/STRIPE_WEBHOOK_KEY (version ${version})`);
  }

  // 3. Requests.
  const request = async (label, token, method, url) => {
    const res = await fetch(base + url, { method, headers: { authorization: `Bearer ${token}`, 'x-request-id': label }, ...(method === 'POST' ? { body: 'order-42' } : {}) });
    const body = await res.json();
    const shown = body.signature ? { signature: body.signature.slice(0, 12) + '…' } : body;
    out(`${label.padEnd(22)} ${method.padEnd(4)} ${url.padEnd(36)} -> ${res.status} ${JSON.stringify(shown)}`);
  };
  await request('billing-acme', 'token-billing', 'POST', '/tenants/acme/payments/sign');
  await request('billing-acme-again', 'token-billing', 'POST', '/tenants/acme/payments/sign'); // a cache hit, audited too
  await request('billing-globex', 'token-billing', 'POST', '/tenants/globex/payments/sign');
  await request('bob-into-acme', 'token-bob', 'POST', '/tenants/acme/payments/sign'); // another tenant: 403
  await request('sam-support-read', 'token-sam', 'POST', '/tenants/acme/payments/sign'); // may list, not read: 403
  await request('sam-support-list', 'token-sam', 'GET', '/tenants/acme/secrets');
  await request('traversal', 'token-billing', 'POST', '/tenants/..%2Fglobex/payments/sign'); // hostile tenant id: 400
  await request('ops-cross-tenant', 'token-ops', 'GET', '/tenants/globex/secrets'); // platform role: audited as cross-tenant
  await request('ops-no-read', 'token-ops', 'POST', '/tenants/globex/payments/sign');

  await new Promise((resolve) => server.close(resolve));
  service.close();
  await audit.close();
  hmac.close();
  await providers.close();

  // 4. The audit trail: verify the chain, then find every access to one secret by the reference of its name.
  const verdict = await verify(auditFile);
  out(verdict.ok ? `audit chain ok: ${verdict.count} events` : `audit chain BROKEN at line ${verdict.line}: ${verdict.problem}`);
  out('events of STRIPE_WEBHOOK_KEY (found by its HMAC reference; names are never written in clear):');
  for (const e of eventsOf(auditFile, auditKeyFile, 'STRIPE_WEBHOOK_KEY')) out('  ' + describe(e));
  const all = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  out(`events without a secret reference: ${all.filter((e) => e.secret === null).map((e) => `${e.action} ${e.outcome}${e.crossTenant ? ' cross-tenant' : ''}`).join(', ')}`);
  if (!process.env.KEEP_AUDIT) fs.rmSync(dir, { recursive: true, force: true });
  else out(`kept ${dir}`);
  if (!verdict.ok) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`example failed: ${error.code ?? error.name}: ${error.message}\n`);
  process.exitCode = 1;
});
