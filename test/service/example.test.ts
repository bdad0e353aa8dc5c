// examples/multitenant end to end: the runnable example (a real HTTP server, policy file, audit file) prints the
// expected outcomes, its audit chain verifies, and no value reaches its output or its audit file.
// Uses the compiled library (dist/), like the preload's integration tests: `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { verifyAuditLog } from '../../src/audit';

const ROOT = join(__dirname, '..', '..');

t.test('Example: examples/multitenant/main.js', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist', 'service', 'index.js')), 'dist/ is built (npm run build)');
  const r = spawnSync(process.execPath, [join(ROOT, 'examples', 'multitenant', 'main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', KEEP_AUDIT: '1', SECRETS_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  for (const [label, status] of [
    ['billing-acme ', 200],
    ['billing-acme-again', 200],
    ['billing-globex', 200],
    ['bob-into-acme', 403],
    ['sam-support-read', 403],
    ['sam-support-list', 200],
    ['traversal', 400],
    ['ops-cross-tenant', 200],
    ['ops-no-read', 403],
  ] as const) {
    t.match(out, new RegExp(`${label}.*-> ${status} `), `${label.trim()} -> ${status}`);
  }
  t.match(out, /audit chain ok: 11 events/);
  t.match(out, /secrets\.use allowed tenant=acme by svc-billing cache=hit/);
  t.match(out, /secrets\.list allowed cross-tenant/);
  const kept = /kept (\S+)/.exec(out)?.[1];
  t.ok(kept, 'the audit directory was kept');
  const file = join(kept as string, 'audit.jsonl');
  t.teardown(() => rmSync(kept as string, { recursive: true, force: true }));
  t.match(await verifyAuditLog(file), { ok: true, count: 11 });
  for (const text of [out, r.stderr, readFileSync(file, 'utf8')]) t.notOk(text.includes('whsec_'), 'no webhook key value anywhere');
});
