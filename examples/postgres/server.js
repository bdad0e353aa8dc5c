'use strict';
// An HTTP service under the preload whose database credential rotates: a RotatingPool follows the credential
// (DB_USER / DB_PASSWORD split from one JSON secret), so queries keep flowing through every rotation.
//
//   SECRETS_SOURCE=aws://... SECRETS_SCHEMA=examples/postgres/schema.js PGHOST=127.0.0.1 PGPORT=5432 PGDATABASE=app \
//     node -r ./register.js examples/postgres/server.js
//
// Dynamic credentials instead (PG_DYNAMIC_PATH=database/creds/app, VAULT_DB_ADDR=http://vault:8200): the pool
// follows leases from Vault's / OpenBao's database engine, kept by VaultDatabaseCredentials with the Vault token
// the preload loaded (VAULT_DB_TOKEN, schema-dynamic.js).
//
// GET /query runs `SELECT 1` through the pool; GET /stats reports counts. Events (never a value) are printed as
// JSON lines on stdout.
const http = require('node:http');
const pg = require('pg');
const { secrets } = require('../..');
const { RotatingPool, VaultDatabaseCredentials, preloadCredentials } = require('../../dist/postgres');

const say = (e) => process.stdout.write(JSON.stringify(e) + '\n');
const stats = { ok: 0, failed: 0, switches: 0, connects: 0, expiredConnects: 0, leaseErrors: {}, errors: {} };

async function credentialSource() {
  if (!process.env.PG_DYNAMIC_PATH) return preloadCredentials(secrets, { user: 'DB_USER', password: 'DB_PASSWORD' });
  const creds = new VaultDatabaseCredentials({ address: process.env.VAULT_DB_ADDR, token: () => secrets.reveal('VAULT_DB_TOKEN'), path: process.env.PG_DYNAMIC_PATH });
  await creds.start();
  creds.on('error', (error) => {
    const code = error.code ?? error.name;
    stats.leaseErrors[code] = (stats.leaseErrors[code] ?? 0) + 1;
    say({ event: 'lease-error', code });
  });
  return creds;
}

async function main() {
  const credentials = await credentialSource();
  // When each user's credential expires (dynamic leases), to count logins made with an expired one.
  const expiry = new Map();
  const noteExpiry = () => credentials.expiresAt && expiry.set(credentials.user(), credentials.expiresAt());
  noteExpiry();
  credentials.onRotated(noteExpiry);
  if (credentials.on) credentials.on('renewed', noteExpiry);
  const pool = new RotatingPool({
    pg,
    config: {
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      database: process.env.PGDATABASE ?? 'postgres',
      max: Number(process.env.PG_POOL_MAX ?? 10),
      connectionTimeoutMillis: 5_000,
    },
    credentials,
    drainMs: Number(process.env.PG_DRAIN_MS ?? 30_000),
  });
  pool.on('switched', () => {
    stats.switches++;
    say({ event: 'switched', user: credentials.user() });
  });
  pool.on('connect', ({ user }) => {
    stats.connects++;
    if (expiry.has(user) && !(Date.now() < expiry.get(user))) stats.expiredConnects++;
  });
  pool.on('error', (error) => say({ event: 'pool-error', code: error.code ?? error.name }));

  const server = http.createServer((req, res) => {
    if (req.url === '/stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(stats));
      return;
    }
    if (req.url !== '/query') {
      res.statusCode = 404;
      res.end();
      return;
    }
    pool.query('SELECT 1 AS one').then(
      () => {
        stats.ok++;
        res.end('ok');
      },
      (error) => {
        stats.failed++;
        const code = error.code ?? error.name ?? 'unknown';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        res.statusCode = 503;
        res.end('failed');
      },
    );
  });
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => say({ event: 'listening', port: server.address().port, user: credentials.user() }));

  const stop = async () => {
    server.close();
    await pool.end();
    if (credentials.close) await credentials.close(); // revokes the leases
    say({ event: 'stopped', stats });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.stdin.on('data', (d) => d.toString().includes('exit') && stop());
}

main().catch((error) => {
  say({ event: 'failed', code: error.code ?? error.name, ...(process.env.PG_DEBUG ? { stack: String(error.stack) } : {}) });
  process.exit(1);
});
