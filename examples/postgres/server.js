'use strict';
// An HTTP service under the preload whose database credential rotates: a RotatingPool follows the credential
// (DB_USER / DB_PASSWORD split from one JSON secret), so queries keep flowing through every rotation.
//
//   SECRETS_SOURCE=aws://... SECRETS_SCHEMA=examples/postgres/schema.js PGHOST=127.0.0.1 PGPORT=5432 PGDATABASE=app \
//     node -r ./register.js examples/postgres/server.js
//
// GET /query runs `SELECT 1` through the pool; GET /stats reports counts. Events (never a value) are printed as
// JSON lines on stdout.
const http = require('node:http');
const pg = require('pg');
const { secrets } = require('../..');
const { RotatingPool, preloadCredentials } = require('../../dist/postgres');

const say = (e) => process.stdout.write(JSON.stringify(e) + '\n');
const pool = new RotatingPool({
  pg,
  config: {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? 'postgres',
    max: Number(process.env.PG_POOL_MAX ?? 10),
    connectionTimeoutMillis: 5_000,
  },
  credentials: preloadCredentials(secrets, { user: 'DB_USER', password: 'DB_PASSWORD' }),
  drainMs: Number(process.env.PG_DRAIN_MS ?? 30_000),
});
const stats = { ok: 0, failed: 0, switches: 0, errors: {} };
pool.on('switched', ({ version }) => {
  stats.switches++;
  say({ event: 'switched', version, user: secrets.reveal('DB_USER') });
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
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => say({ event: 'listening', port: server.address().port, user: secrets.reveal('DB_USER') }));

const stop = () => {
  server.close();
  pool.end().then(() => {
    say({ event: 'stopped', stats });
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.stdin.on('data', (d) => d.toString().includes('exit') && stop());
