'use strict';
// The app side of the example: build the SecretsService once at start-up, then read tenant secrets in request
// handlers through it. Every call is checked against policy.yaml and written to the audit trail (one event per
// call, denials and cache hits included); values stay in locked memory and are lent to a callback.
const { createHmac, randomUUID } = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
// From a clone: the compiled library (npm run build). In an app: require('@valuecanvas/secrets/service') etc.
const dist = path.join(__dirname, '..', '..', 'dist');
const { createSecretsService, InMemoryProvider } = require(path.join(dist, 'service'));
const { AuditHmac, AuditTrail } = require(path.join(dist, 'audit'));
const { ProviderRegistry } = require(path.join(dist, 'providers'));
const { isSecretsError } = require(path.join(dist, 'errors'));
const { authenticate } = require('./actors');

/**
 * The service: a provider (SECRETS_PROVIDER_URI, e.g. vault://127.0.0.1:8200/secret/demo?tls=0, or an in-memory one
 * for the demo), the policy file, a fail-closed audit trail to a JSONL file with a keyed HMAC for secret names.
 */
async function createService({ auditFile, auditKeyFile, providerUri }) {
  const providers = providerUri ? await ProviderRegistry.withBuiltins().create(new URL(providerUri)) : new InMemoryProvider();
  const hmac = new AuditHmac({ keyFile: auditKeyFile });
  const audit = new AuditTrail({ sink: { type: 'file', path: auditFile }, hmac, failClosed: true });
  audit.open(); // fail at start-up, not on the first request, when the audit file cannot be written
  const service = createSecretsService({
    providers,
    policy: path.join(__dirname, 'policy.yaml'),
    audit,
    cache: { ttlMs: 60_000 },
    environment: 'demo',
    prefix: 'valuecanvas',
  });
  return { service, providers, audit, hmac };
}

/** HTTP status of a library error; its code is safe to return, its message is for logs. */
function statusOf(error) {
  if (!isSecretsError(error)) return 500;
  return { E_FORBIDDEN: 403, E_INVALID_NAME: 400, E_NOT_FOUND: 404, E_AUDIT_WRITE: 503 }[error.code] ?? 502;
}

/**
 * The request handler:
 *   POST /tenants/:tenant/payments/sign   signs the body with the tenant's STRIPE_WEBHOOK_KEY (never returns it)
 *   GET  /tenants/:tenant/secrets         lists the secret names the caller may see
 */
function createHandler(service) {
  return async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const actor = authenticate(req);
    if (!actor) return reply(401, { error: 'unauthenticated' });
    // The request context: who asks (from authentication) and a request id to find the audit event again.
    const ctx = { actor, requestId: req.headers['x-request-id'] ?? randomUUID() };
    const match = /^\/tenants\/([^/]+)\/(payments\/sign|secrets)$/.exec(new URL(req.url, 'http://x').pathname);
    if (!match) return reply(404, { error: 'no such route' });
    // The tenant id comes straight from the URL: the service validates it before anything else.
    const tenant = decodeURIComponent(match[1]);
    try {
      if (match[2] === 'secrets' && req.method === 'GET') return reply(200, { names: await service.list(ctx, tenant) });
      if (match[2] === 'payments/sign' && req.method === 'POST') {
        const body = await readBody(req);
        // The key is lent as a view of locked memory for the duration of the callback only.
        const signature = await service.use(ctx, tenant, 'STRIPE_WEBHOOK_KEY', (key) => createHmac('sha256', key).update(body).digest('hex'));
        return reply(200, { signature });
      }
      return reply(405, { error: 'method not allowed' });
    } catch (error) {
      // The code and the missing permission are safe to return; messages never hold a value but may name things.
      return reply(statusOf(error), { error: isSecretsError(error) ? error.code : 'internal', ...(error.permission ? { permission: error.permission } : {}) });
    }
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function createServer(service) {
  const handler = createHandler(service);
  return http.createServer((req, res) => void handler(req, res));
}

module.exports = { createService, createHandler, createServer };
