#!/usr/bin/env node
// A local stand-in for the Azure Key Vault secrets data plane, used by scripts/peers/azure.sh only when the Lowkey
// Vault jar cannot be installed (com.github.nagyesta.lowkey-vault:lowkey-vault-app is not served by every Maven
// mirror). It speaks the REST API the real SDK uses (api-version 7.x / 2025-07-01), modelled on Microsoft's
// Key Vault REST reference and on Lowkey Vault's behaviour:
//   - HTTPS only (certificate from --cert/--key), the bearer challenge on a request without a token
//     (401 + WWW-Authenticate: Bearer authorization=..., resource="https://vault.azure.net"), any token accepted;
//   - case-insensitive names of 1-127 [0-9a-zA-Z-]; 32-hex version ids; created/updated in Unix seconds;
//   - a read of a disabled version: 403 Forbidden / innererror SecretDisabled; unknown name or version: 404
//     SecretNotFound; soft delete (recoveryLevel Recoverable+Purgeable): a deleted name blocks writes with 409
//     Conflict / ObjectIsDeletedButRecoverable until it is recovered or purged;
//   - paged lists (maxresults 1-25, else 400; nextLink with $skiptoken, absent on the last page), at most 15 tags;
//   - backup / restore of a whole secret (an opaque blob of this stand-in's own, not Azure's format).
// Its responses are checked against Microsoft's REST spec (api-version 2025-06-01) by
// test/providers/azure/fidelity.test.ts; docs/providers/azure.md lists what it does not model.
// --record=<file> (or AZURE_STANDIN_RECORD): append every HTTPS exchange to <file> as a JSON line
// ({ method, path, apiVersion, status, contentType, body }), with every string `value` field replaced by
// "cmVkYWN0ZWQ" (base64url of "redacted", so a backup blob keeps its format) and no secret value reaches the file.
// Plain HTTP (--http-port) serves /ca.pem, /ping and a managed-identity token endpoint
// (/metadata/identity/oauth2/token), like Lowkey Vault's port 8080. State is in memory only.
'use strict';
const https = require('node:https');
const http = require('node:http');
const fs = require('node:fs');
const { randomBytes } = require('node:crypto');

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}`);
    return [m[1], m[2]];
  }),
);
const HOST = args.host ?? '127.0.0.1';
const HTTPS_PORT = Number(args['https-port'] ?? 8443);
const HTTP_PORT = Number(args['http-port'] ?? 8080);
const API_VERSIONS = new Set(['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-06-01', '2025-07-01']);
const RECORD = args.record ?? process.env.AZURE_STANDIN_RECORD;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const RECOVERABLE_DAYS = 90;

/** name (lowercase) -> { name, versions: Map<id, version>, order: id[], deleted?: { deletedDate, scheduledPurgeDate } } */
const secrets = new Map();
const now = () => Math.floor(Date.now() / 1000);

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  if (RECORD && res.req?.socket?.encrypted) record(res.req, status, body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-keyvault-service-version': '1.9.0.0-standin',
    'x-ms-request-id': randomBytes(16).toString('hex'),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
/** One JSON line per exchange, values redacted (see the header). */
function record(req, status, body) {
  const url = new URL(req.url, 'https://standin');
  const line = {
    method: req.method,
    path: url.pathname,
    apiVersion: url.searchParams.get('api-version'),
    status,
    contentType: 'application/json; charset=utf-8',
    ...(body === undefined ? {} : { body: redactValues(body) }),
  };
  fs.appendFileSync(RECORD, JSON.stringify(line) + '\n');
}
const REDACTED = Buffer.from('redacted').toString('base64url');
function redactValues(body) {
  if (Array.isArray(body)) return body.map(redactValues);
  if (!body || typeof body !== 'object') return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === 'value' && typeof v === 'string' ? REDACTED : redactValues(v)]));
}

const fail = (res, status, code, message, inner) => send(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } });
const notFound = (res, what) =>
  fail(res, 404, 'SecretNotFound', `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);

function attributes(v) {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: RECOVERABLE_DAYS,
  };
}
function bundle(base, s, v, withValue) {
  return {
    ...(withValue ? { value: v.value } : {}),
    id: `${base}/secrets/${s.name}/${v.id}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    attributes: attributes(v),
    ...(v.tags ? { tags: v.tags } : {}),
  };
}
function deletedBundle(base, s) {
  const v = latest(s);
  return {
    ...bundle(base, s, v, false),
    recoveryId: `${base}/deletedsecrets/${s.name}`,
    deletedDate: s.deleted.deletedDate,
    scheduledPurgeDate: s.deleted.scheduledPurgeDate,
  };
}
const latest = (s) => s.versions.get(s.order[s.order.length - 1]);

function page(req, res, base, url, items) {
  const raw = url.searchParams.get('maxresults');
  if (raw !== null && !/^([1-9]|1[0-9]|2[0-5])$/.test(raw)) {
    return fail(res, 400, 'BadParameter', `The value of maxresults (${raw.slice(0, 20)}) is out of range: it must be an integer from 1 to 25.`);
  }
  const max = raw === null ? 25 : Number(raw);
  const skip = Math.max(0, Number(url.searchParams.get('$skiptoken') ?? 0) || 0);
  const slice = items.slice(skip, skip + max);
  // The spec types nextLink as a string: on the last page it is left out (not null).
  const next = skip + max < items.length ? `${base}${url.pathname}?api-version=${url.searchParams.get('api-version')}&$skiptoken=${skip + max}&maxresults=${max}` : undefined;
  send(res, 200, { value: slice, ...(next ? { nextLink: next } : {}) });
}

function validTags(tags) {
  if (tags === undefined || tags === null) return true;
  if (typeof tags !== 'object' || Array.isArray(tags)) return false;
  const entries = Object.entries(tags);
  return entries.length <= 15 && entries.every(([k, v]) => k.length <= 512 && typeof v === 'string' && v.length <= 256);
}

function handle(req, res, body) {
  const hostHeader = req.headers.host ?? `${HOST}:${HTTPS_PORT}`;
  const base = `https://${hostHeader}`;
  const url = new URL(req.url, base);
  if (url.pathname === '/ping') return send(res, 200, { status: 'ok' });
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion || !API_VERSIONS.has(apiVersion)) {
    return fail(res, 400, 'BadParameter', `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version.`);
  }
  if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
    return send(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, {
      'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"',
    });
  }
  let json = {};
  if (body.length > 0) {
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(res, 400, 'BadParameter', 'The request body is not valid JSON.');
    }
  }
  const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const [collection, name, third, fourth] = parts;
  if (name !== undefined && name !== '' && !NAME.test(name)) {
    return fail(res, 400, 'BadParameter', "The request URI contains an invalid name: names are 1-127 characters of '^[0-9a-zA-Z-]+$'.");
  }
  const key = name?.toLowerCase();
  const s = key ? secrets.get(key) : undefined;
  const live = s && !s.deleted ? s : undefined;
  const m = req.method;

  if (collection === 'secrets') {
    if (name === 'restore' && third === undefined && m === 'POST') return restore(res, base, json);
    if (name && third === 'backup' && fourth === undefined && m === 'POST') {
      if (!live) return notFound(res, name);
      const blob = { standinBackup: 1, name: live.name, versions: live.order.map((id) => live.versions.get(id)) };
      return send(res, 200, { value: Buffer.from(JSON.stringify(blob)).toString('base64url') });
    }
    if (!name && m === 'GET') {
      const items = [...secrets.values()].filter((x) => !x.deleted).map((x) => {
        const v = latest(x);
        return { id: `${base}/secrets/${x.name}`, attributes: attributes(v), ...(v.tags ? { tags: v.tags } : {}), ...(v.contentType !== undefined ? { contentType: v.contentType } : {}) };
      });
      return page(req, res, base, url, items);
    }
    if (name && third === undefined && m === 'PUT') {
      if (typeof json.value !== 'string') return fail(res, 400, 'BadParameter', 'Property value is required.');
      if (!validTags(json.tags)) return fail(res, 400, 'BadParameter', 'Tags are invalid: at most 15, keys up to 512 and values up to 256 characters.');
      if (s?.deleted) {
        return fail(res, 409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
      }
      const t = now();
      const a = json.attributes ?? {};
      const v = { id: randomBytes(16).toString('hex'), value: json.value, contentType: json.contentType, tags: json.tags ?? undefined, enabled: a.enabled ?? true, nbf: a.nbf, exp: a.exp, created: t, updated: t };
      const rec = s ?? { name, versions: new Map(), order: [] };
      rec.versions.set(v.id, v);
      rec.order.push(v.id);
      secrets.set(key, rec);
      return send(res, 200, bundle(base, rec, v, true));
    }
    if (name && third === undefined && m === 'DELETE') {
      if (!live) return notFound(res, name);
      const t = now();
      live.deleted = { deletedDate: t, scheduledPurgeDate: t + RECOVERABLE_DAYS * 86400 };
      return send(res, 200, deletedBundle(base, live));
    }
    if (name && third === 'versions' && fourth === undefined && m === 'GET') {
      const items = live ? live.order.map((id) => live.versions.get(id)).map((v) => ({ id: `${base}/secrets/${live.name}/${v.id}`, attributes: attributes(v), ...(v.tags ? { tags: v.tags } : {}), ...(v.contentType !== undefined ? { contentType: v.contentType } : {}) })) : [];
      return page(req, res, base, url, items);
    }
    if (name && fourth === undefined && (m === 'GET' || m === 'PATCH')) {
      const version = third ?? '';
      if (!live) return notFound(res, name);
      const v = version === '' ? latest(live) : live.versions.get(version.toLowerCase());
      if (!v) return notFound(res, `${name}/${version}`);
      if (m === 'GET') {
        if (!v.enabled) return fail(res, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
        return send(res, 200, bundle(base, live, v, true));
      }
      if (json.tags !== undefined && !validTags(json.tags)) return fail(res, 400, 'BadParameter', 'Tags are invalid.');
      if (json.contentType !== undefined) v.contentType = json.contentType;
      if (json.tags !== undefined) v.tags = json.tags ?? undefined;
      const a = json.attributes ?? {};
      if (a.enabled !== undefined && a.enabled !== null) v.enabled = a.enabled;
      if (a.nbf !== undefined) v.nbf = a.nbf;
      if (a.exp !== undefined) v.exp = a.exp;
      v.updated = now();
      return send(res, 200, bundle(base, live, v, false));
    }
  }
  if (collection === 'deletedsecrets') {
    if (!name && m === 'GET') {
      // List items (DeletedSecretItem) name the secret, not a version: id is .../secrets/<name>.
      const items = [...secrets.values()].filter((x) => x.deleted).map((x) => ({ ...deletedBundle(base, x), id: `${base}/secrets/${x.name}` }));
      return page(req, res, base, url, items);
    }
    const deleted = s?.deleted ? s : undefined;
    if (name && third === undefined && m === 'GET') return deleted ? send(res, 200, deletedBundle(base, deleted)) : notFound(res, name);
    if (name && third === undefined && m === 'DELETE') {
      if (!deleted) return notFound(res, name);
      secrets.delete(key);
      return send(res, 204, undefined);
    }
    if (name && third === 'recover' && m === 'POST') {
      if (!deleted) return notFound(res, name);
      delete deleted.deleted;
      return send(res, 200, bundle(base, deleted, latest(deleted), false));
    }
  }
  return fail(res, 404, 'NotFound', `No operation ${m} ${url.pathname}.`);
}

/** POST /secrets/restore: a blob from backup (of this stand-in); the name must be free (not live, not deleted). */
function restore(res, base, json) {
  let blob;
  try {
    if (typeof json.value !== 'string') throw new Error('no blob');
    blob = JSON.parse(Buffer.from(json.value, 'base64url').toString('utf8'));
    if (blob?.standinBackup !== 1 || !NAME.test(blob.name) || !Array.isArray(blob.versions) || blob.versions.length === 0) throw new Error('malformed');
  } catch {
    return fail(res, 400, 'BadParameter', 'The backup blob is not valid: restore takes the value returned by a backup of this vault.');
  }
  const key = blob.name.toLowerCase();
  if (secrets.has(key)) {
    return fail(res, 409, 'Conflict', `Secret ${blob.name} already exists (or is deleted but recoverable); delete and purge it before restoring.`);
  }
  const rec = { name: blob.name, versions: new Map(blob.versions.map((v) => [v.id, v])), order: blob.versions.map((v) => v.id) };
  secrets.set(key, rec);
  return send(res, 200, bundle(base, rec, latest(rec), false));
}

function withBody(fn) {
  return (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        fn(req, res, Buffer.concat(chunks));
      } catch (error) {
        fail(res, 500, 'InternalError', `stand-in error: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  };
}

const tls = { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) };
const caPem = fs.readFileSync(args.ca ?? args.cert);
const server = https.createServer({ ...tls, keepAliveTimeout: 30_000 }, withBody(handle));
server.listen(HTTPS_PORT, HOST, () => process.stdout.write(`azure key vault stand-in: https://${HOST}:${server.address().port}\n`));

const plain = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host ?? HOST}`);
  if (url.pathname === '/ca.pem') {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    return res.end(caPem);
  }
  if (url.pathname === '/ping') return send(res, 200, { status: 'ok' });
  if (url.pathname === '/metadata/identity/oauth2/token') {
    const expires = now() + 3600;
    return send(res, 200, {
      access_token: `standin-msi-${randomBytes(8).toString('hex')}`,
      expires_in: '3600',
      expires_on: String(expires),
      resource: url.searchParams.get('resource') ?? 'https://vault.azure.net',
      token_type: 'Bearer',
      client_id: url.searchParams.get('client_id') ?? '00000000-0000-0000-0000-000000000000',
    });
  }
  return send(res, 404, { error: { code: 'NotFound', message: 'unknown path' } });
});
plain.listen(HTTP_PORT, HOST, () => process.stdout.write(`azure key vault stand-in: http://${HOST}:${plain.address().port} (ca.pem, token)\n`));

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    plain.close();
    process.exit(0);
  });
}
