// Fault injection on the multi-tenant SecretsService over a PRIVATE OpenBao server (its own port, killed with
// SIGKILL and restarted on the same port), with a short-TTL SecretCache that may serve stale (maxStaleMs), a
// fail-closed AuditTrail to a file and an RBAC policy.
//
// 1. The peer dies in the middle of a burst of concurrent reads (and of writes in flight): reads are served stale
//    (audited `cache: 'stale'`) within maxStaleMs, never past it, then fail closed with ProviderUnavailableError.
//    Writes during the outage fail with ProviderUnavailableError and leave nothing half-done (no version, the
//    cached value of the secret dropped, exactly one `failed` event). After a restart (a dev server comes back
//    empty: it is re-seeded, as a recovery would) the same service converges without being recreated. The audit
//    chain verifies with exactly one event per call, and no planted value is in the audit file, any error or log.
// 2. The peer dies in the middle of a service start-up (provider client creation: login, then the mount check):
//    a typed ProviderUnavailableError, in bounded time, nothing left running.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { inspect } from 'node:util';
import pino from 'pino';
import t from 'tap';
import { parsePolicy } from '../../src/access/parsePolicy';
import { AuditHmac } from '../../src/audit/AuditHmac';
import { AuditTrail } from '../../src/audit/AuditTrail';
import { verifyAuditLog } from '../../src/audit/verifyAuditLog';
import { SecretCache, type CacheStaleEvent } from '../../src/cache/SecretCache';
import { ForbiddenError } from '../../src/errors/ForbiddenError';
import { ProviderUnavailableError } from '../../src/errors/ProviderUnavailableError';
import { isSecretsError } from '../../src/errors/SecretsError';
import type { ProviderClient } from '../../src/providers/Provider';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { createSecretsService } from '../../src/service/createSecretsService';
import type { SecretsService } from '../../src/service/SecretsService';
import type { RequestContext } from '../../src/service/RequestContext';
import { ensurePeer, plantValue } from '../helpers/peers';
import { tmpdir } from '../helpers/tmp';
import { baoBinary, freePort, memoryLogger } from '../providers/vault/vaultTestClient';

const TOKEN = 'vc-service-fault-root';
const TTL_MS = 300;
const MAX_STALE_MS = 3_000;
/** The cache reads its clock at most every 10 ms on the hit path; timers and the event loop add a little. */
const CLOCK_SLACK_MS = 60;
const TENANTS = Array.from({ length: 8 }, (_, i) => `tenant-${i}`);
/** Read by the burst (must be served stale during the outage). */
const READ_NAMES = ['STRIPE_KEY', 'API_TOKEN'];
/** Written while the peer is down (their cached value must not outlive the failed write). */
const WRITE_NAME = 'WEBHOOK_KEY';
/** Written concurrently with the kill. */
const RACE_NAME = 'SMTP_PASSWORD';
const ALL_NAMES = [...READ_NAMES, WRITE_NAME, RACE_NAME];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A private OpenBao dev server on a fixed port: killed with SIGKILL, restarted on the same port. */
class PrivateBao {
  readonly port: number;
  #child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
  }

  async start(): Promise<void> {
    const child = spawn(baoBinary(), ['server', '-dev', `-dev-root-token-id=${TOKEN}`, `-dev-listen-address=127.0.0.1:${this.port}`], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    });
    this.#child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/v1/sys/health`);
        if (r.status === 200) return;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`private bao did not start on port ${this.port}`);
      await sleep(50);
    }
  }

  /** SIGKILL; resolves once the process is gone (its port refuses connections from then on). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A TCP proxy in front of the peer that kills it when a request for `killOn` arrives, before forwarding it: the
 * request is then answered by a dead peer (connection reset), exactly in the middle of what sent it.
 */
async function killingProxy(target: number, killOn: RegExp, kill: () => Promise<void>): Promise<{ port: number; seen: string[]; close: () => Promise<void> }> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  let hasKilled = false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.pause();
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop).on('close', drop);
    client.on('error', drop).on('close', drop);
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('data', (d: Buffer) => {
      const line = /^(GET|POST|PUT|LIST|DELETE|PATCH) (\S+)/m.exec(d.toString('latin1'));
      if (line) seen.push(`${line[1]} ${line[2]}`);
      if (!hasKilled && line && killOn.test(line[2]!)) {
        hasKilled = true;
        client.pause();
        void kill().then(() => {
          if (!upstream.destroyed) upstream.write(d);
          client.resume();
        });
        return;
      }
      if (!upstream.destroyed) upstream.write(d);
    });
    upstream.once('connect', () => client.resume());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function vaultUri(port: number, prefix: string): URL {
  return new URL(`vault://127.0.0.1:${port}/secret/${prefix}?tls=0&retries=1&timeoutMs=500`);
}

/** Everything an error can show: message, stack, causes, inspect output and JSON. */
function errorText(error: unknown): string {
  return [String(error), (error as Error)?.stack ?? '', inspect(error, { depth: 8, showHidden: true }), JSON.stringify(error) ?? ''].join('\n');
}

t.test('SecretsService over a private OpenBao killed during a burst, then restarted', async (t) => {
  ensurePeer('vault'); // installs bao (the shared peer itself is not used)
  const dir = tmpdir(t, 'vc-service-faults');
  const bao = new PrivateBao(await freePort());
  t.teardown(() => bao.kill());
  await bao.start();

  const prefix = 'faults';
  const clientLog = memoryLogger();
  const opsLines: string[] = [];
  const opsLog = pino({ level: 'debug' }, { write: (line: string) => void opsLines.push(line) });
  const client = await ProviderRegistry.withBuiltins().create(vaultUri(bao.port, prefix), { env: { VAULT_TOKEN: TOKEN }, logger: clientLog.logger });
  t.teardown(() => client.close());

  const auditFile = path.join(dir, 'audit.jsonl');
  const hmac = new AuditHmac({ key: Buffer.alloc(32, 7) });
  const audit = new AuditTrail({ sink: { type: 'file', path: auditFile }, hmac, failClosed: true, logger: opsLog });
  audit.open();
  const staleEvents: CacheStaleEvent[] = [];
  const cache = new SecretCache({
    ttlMs: TTL_MS,
    maxStaleMs: MAX_STALE_MS,
    onStale: (e) => {
      staleEvents.push(e);
      opsLog.warn({ code: e.code, path: e.path, staleForMs: e.staleForMs, readers: e.readers, err: e.error }, 'stale secret served');
    },
  });
  const policy = parsePolicy(
    JSON.stringify({
      version: 1,
      roles: {
        'tenant-admin': { grants: [{ permissions: ['secrets:read', 'secrets:write', 'secrets:list'] }] },
        billing: { grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*', 'API_*'] }] },
      },
      members: { 'ops@platform': TENANTS, 'svc-billing': TENANTS, 'mallory@elsewhere': ['other-tenant'] },
    }),
    'json',
  );
  const service: SecretsService = createSecretsService({ providers: client, policy, audit, cache, environment: 'prod', prefix: 'vc' });

  const admin: RequestContext = { actor: { id: 'ops@platform', roles: ['tenant-admin'] }, requestId: 'admin' };
  const billing: RequestContext = { actor: { id: 'svc-billing', roles: ['billing'] }, requestId: 'burst' };
  const mallory: RequestContext = { actor: { id: 'mallory@elsewhere', roles: ['tenant-admin'] }, requestId: 'mallory' };

  // Every service call goes through `counted`: the audit trail must hold exactly one event per call.
  const tally = { calls: 0, allowed: 0, denied: 0, failed: 0 };
  const errors: unknown[] = [];
  async function counted<R>(call: () => Promise<R>): Promise<R> {
    tally.calls++;
    try {
      const r = await call();
      tally.allowed++;
      return r;
    } catch (error) {
      errors.push(error);
      if (error instanceof ForbiddenError) tally.denied++;
      else tally.failed++;
      throw error;
    }
  }

  const planted: string[] = [];
  const plant = () => {
    const v = plantValue();
    planted.push(v);
    return v;
  };
  const current = new Map<string, Buffer>(); // `${tenant}/${name}` -> the value the backend should hold
  const key = (tenant: string, name: string) => `${tenant}/${name}`;
  /** Reads through the service and compares inside the callback: no value ever leaves it. */
  const read = (ctx: RequestContext, tenant: string, name: string) =>
    counted(() => service.use(ctx, tenant, name, (view, meta) => ({ isRight: view.equals(current.get(key(tenant, name))!), cache: meta.cache, version: meta.version })));

  // Seed through the service (audited writes), then warm the cache.
  for (const tenant of TENANTS) {
    for (const name of ALL_NAMES) {
      const value = Buffer.from(plant());
      await counted(() => service.set(admin, tenant, name, value));
      current.set(key(tenant, name), value);
    }
  }
  for (const tenant of TENANTS) for (const name of ALL_NAMES) t.ok((await read(admin, tenant, name)).isRight);

  // The burst: 16 concurrent readers of the READ_NAMES of every tenant, plus a denied call now and then.
  interface Outcome {
    startedAt: number;
    endedAt: number;
    cache?: string;
    isRight?: boolean;
    code?: string;
    isTyped?: boolean;
  }
  const outcomes: Outcome[] = [];
  let isBursting = true;
  let denials = 0;
  const reader = async (i: number) => {
    for (let n = i; isBursting; n++) {
      const tenant = TENANTS[n % TENANTS.length]!;
      const name = READ_NAMES[Math.floor(n / TENANTS.length) % READ_NAMES.length]!;
      const startedAt = Date.now();
      if (n % 50 === 0) {
        // Denials go on during the outage too, audited, without touching the cache or the peer.
        await read(mallory, tenant, name).then(
          () => t.fail('a denied read was allowed'),
          (e: unknown) => void (e instanceof ForbiddenError ? denials++ : t.fail(`denied read failed with ${String(e)}`)),
        );
        continue;
      }
      try {
        const r = await read(billing, tenant, name);
        outcomes.push({ startedAt, endedAt: Date.now(), cache: r.cache, isRight: r.isRight });
      } catch (error) {
        outcomes.push({ startedAt, endedAt: Date.now(), code: isSecretsError(error) ? error.code : String(error), isTyped: error instanceof ProviderUnavailableError });
      }
      await sleep(2);
    }
  };
  const burst = Promise.all(Array.from({ length: 16 }, (_, i) => reader(i)));
  await sleep(4 * TTL_MS); // several TTLs: entries expire and reload from the live peer under the burst

  // Writes in flight when the peer dies (started 10 ms apart, the kill after the fourth): each either lands (an
  // allowed event with its version) or fails typed, never both and never neither.
  const race: Promise<{ version: string | undefined; error: unknown }>[] = [];
  let killSentAt = 0;
  let killed: Promise<void> = Promise.resolve();
  for (const [i, tenant] of TENANTS.entries()) {
    const value = Buffer.from(plant());
    race.push(
      counted(() => service.set(admin, tenant, RACE_NAME, value)).then(
        (r) => ({ version: r.version as string | undefined, error: undefined as unknown }),
        (error: unknown) => ({ version: undefined, error }),
      ),
    );
    if (i === 3) {
      killSentAt = Date.now();
      killed = bao.kill();
    }
    await sleep(10);
  }
  await killed;
  const deadAt = Date.now();
  const raced = await Promise.all(race);
  t.comment(`writes racing the kill: ${raced.filter((r) => r.error === undefined).length} landed, ${raced.filter((r) => r.error !== undefined).length} cut off`);
  for (const r of raced) {
    if (r.error === undefined) t.match(r.version, /^\d+$/, 'a write that landed before the kill has its version');
    else t.ok(r.error instanceof ProviderUnavailableError, `a write cut off by the kill fails typed (${isSecretsError(r.error) ? r.error.code : String(r.error)})`);
  }

  // Writes during the outage, inside the stale window.
  await sleep(300);
  const [control, ...written] = TENANTS as [string, ...string[]];
  const outageWrites = await Promise.all(
    written.map((tenant) => {
      const value = Buffer.from(plant());
      return counted(() => service.set(admin, tenant, WRITE_NAME, value)).then(
        () => undefined,
        (e: unknown) => e,
      );
    }),
  );
  t.ok(
    outageWrites.every((e) => e instanceof ProviderUnavailableError && e.code === 'E_PROVIDER_UNAVAILABLE'),
    'every write during the outage fails with ProviderUnavailableError',
  );
  // Nothing half-done: the failed write dropped the cached value (a timed-out write may have landed), so the old
  // value is not served as if nothing had happened; the read fails closed although it is inside the stale window.
  const afterFailedWrite = await Promise.all(
    written.map((tenant) =>
      read(admin, tenant, WRITE_NAME).then(
        () => undefined,
        (e: unknown) => e,
      ),
    ),
  );
  t.ok(
    afterFailedWrite.every((e) => e instanceof ProviderUnavailableError),
    'after a failed write the secret is not served from the cache',
  );
  const unwritten = await read(admin, control, WRITE_NAME);
  t.match(unwritten, { isRight: true, cache: 'stale' }, 'control: the same secret of a tenant without a failed write is served stale');
  t.ok(Date.now() < deadAt + MAX_STALE_MS - TTL_MS, 'the write checks ran inside the stale window');

  // Let the stale window run out under the burst, then a little longer: every read must now fail closed.
  const closedAt = deadAt + TTL_MS + MAX_STALE_MS;
  await sleep(closedAt - Date.now() + 1_500);
  isBursting = false;
  await burst;

  const served = outcomes.filter((o) => o.cache !== undefined);
  const failedReads = outcomes.filter((o) => o.code !== undefined);
  const stale = served.filter((o) => o.cache === 'stale');
  t.ok(served.some((o) => o.endedAt < killSentAt && o.cache === 'miss'), 'the burst reloaded expired entries from the live peer');
  t.ok(served.filter((o) => o.endedAt < killSentAt).length > 100, `reads before the kill (${served.filter((o) => o.endedAt < killSentAt).length})`);
  t.ok(stale.length > 0, `reads served stale during the outage (${stale.length})`);
  t.ok(
    served.every((o) => o.isRight),
    'every read served (hit, miss or stale) got the right value',
  );
  t.same(
    failedReads.filter((o) => !o.isTyped),
    [],
    'every failed read is a ProviderUnavailableError',
  );
  t.ok(failedReads.length > 0, `reads failed closed after maxStale (${failedReads.length})`);
  const earlyFailures = failedReads.filter((o) => o.endedAt < killSentAt + MAX_STALE_MS - TTL_MS - 500);
  t.same(earlyFailures, [], 'no read failed while the stale window was open');
  const lateServed = served.filter((o) => o.endedAt > closedAt + CLOCK_SLACK_MS);
  t.same(lateServed, [], 'nothing was served past maxStaleMs after the last possible fetch');
  t.ok(
    outcomes.filter((o) => o.startedAt > closedAt + CLOCK_SLACK_MS).every((o) => o.code === 'E_PROVIDER_UNAVAILABLE'),
    'after maxStale every read fails closed',
  );
  t.ok(staleEvents.length > 0 && staleEvents.every((e) => e.staleForMs <= MAX_STALE_MS && e.code === 'E_PROVIDER_UNAVAILABLE'), 'onStale: within maxStaleMs, code E_PROVIDER_UNAVAILABLE');
  t.ok(denials > 0, `denied reads during the burst (${denials})`);

  // Recovery: the dev server comes back empty on the same port; re-seed it as a restore would (an operator, not
  // the service), with new values. The same service, cache and client converge by themselves.
  await bao.start();
  const operator = await ProviderRegistry.withBuiltins().create(vaultUri(bao.port, prefix), { env: { VAULT_TOKEN: TOKEN } });
  for (const tenant of TENANTS) {
    for (const name of ALL_NAMES) {
      const value = Buffer.from(plant());
      await operator.put(`vc/prod/tenants/${tenant}/${name}`, value);
      current.set(key(tenant, name), value);
    }
  }
  await operator.close();
  const convergeBy = Date.now() + 10_000;
  const pending = new Set(TENANTS.flatMap((tenant) => ALL_NAMES.map((name) => key(tenant, name))));
  while (pending.size > 0 && Date.now() < convergeBy) {
    for (const k of [...pending]) {
      const [tenant, name] = k.split('/') as [string, string];
      const r = await read(admin, tenant, name).catch(() => undefined);
      if (r?.isRight) pending.delete(k);
    }
    if (pending.size > 0) await sleep(100);
  }
  t.same([...pending], [], 'every secret converged to the restored value without recreating the service');

  // The write that failed during the outage, retried: it lands, and the secret holds exactly the restored version
  // and this one (nothing left over from the failed attempt).
  for (const tenant of TENANTS) {
    const value = Buffer.from(plant());
    const { version } = await counted(() => service.set(admin, tenant, WRITE_NAME, value));
    current.set(key(tenant, WRITE_NAME), value);
    t.equal(version, '2', 'the retried write is the second version after the restore');
    const r = await read(admin, tenant, WRITE_NAME);
    t.ok(r.isRight && r.version === '2', 'the retried write is what is read');
    const versions = await counted(() => service.versions(admin, tenant, WRITE_NAME));
    t.same(
      versions.map((v) => v.version),
      ['2', '1'],
      'no stray version',
    );
  }
  t.same(await counted(() => service.list(admin, TENANTS[0]!)), [...ALL_NAMES].sort(), 'list works after recovery');

  service.close();
  cache.close();
  await audit.close();
  hmac.close();

  // The audit chain: intact, exactly one event per call, outcomes as counted.
  const verdict = await verifyAuditLog(auditFile);
  t.match(verdict, { ok: true }, 'the audit chain verifies');
  t.equal(verdict.ok && verdict.count, tally.calls, `one event per call (${tally.calls} calls)`);
  const events = fs
    .readFileSync(auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { outcome: string; reason: string | null; cache: string; action: string });
  const byOutcome = (o: string) => events.filter((e) => e.outcome === o).length;
  t.same({ allowed: byOutcome('allowed'), denied: byOutcome('denied'), failed: byOutcome('failed') }, { allowed: tally.allowed, denied: tally.denied, failed: tally.failed }, 'outcomes match the calls');
  t.equal(events.filter((e) => e.cache === 'stale').length, stale.length + 1, "every stale read is audited as cache: 'stale'");
  t.same([...new Set(events.filter((e) => e.outcome === 'failed').map((e) => e.reason))], ['E_PROVIDER_UNAVAILABLE'], 'failures are audited with their code');

  // Leak scan: no planted value in the audit file, any error, or any log line.
  const auditText = fs.readFileSync(auditFile, 'utf8');
  const errorsText = errors.map(errorText).join('\n') + raced.map((r) => errorText(r.error)).join('\n');
  const logText = clientLog.lines.join('') + opsLines.join('');
  t.ok(errorsText.length > 0 && logText.includes('stale secret served'), 'the scanned texts are not empty');
  const leaks = planted.filter((v) => auditText.includes(v) || errorsText.includes(v) || logText.includes(v));
  t.equal(leaks.length, 0, `no planted value (${planted.length}) in the audit file, errors or logs`);
  t.notOk(errorsText.includes(TOKEN) || logText.includes(TOKEN), 'the token is in no error or log');
});

t.test('the peer dies in the middle of a service start-up (client creation)', async (t) => {
  ensurePeer('vault');
  const bao = new PrivateBao(await freePort());
  t.teardown(() => bao.kill());
  const create = async (port: number): Promise<ProviderClient> =>
    ProviderRegistry.withBuiltins().create(vaultUri(port, 'startup'), { env: { VAULT_TOKEN: TOKEN }, logger: log.logger });
  const log = memoryLogger();
  const messages: string[] = [];

  // Login (the token lookup) and then the KV mount check: the peer dies with each request in flight.
  for (const [step, killOn] of [
    ['login', /\/v1\/auth\/token\/lookup-self/],
    ['mount check', /\/v1\/sys\/internal\/ui\/mounts\//],
  ] as const) {
    await bao.start();
    const proxy = await killingProxy(bao.port, killOn, () => bao.kill());
    const startedAt = Date.now();
    const error = await create(proxy.port).then(
      async (c) => {
        await c.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    t.ok(error instanceof ProviderUnavailableError, `killed during the ${step}: ProviderUnavailableError (${isSecretsError(error) ? error.code : String(error)})`);
    t.ok(Date.now() - startedAt < 10_000, `the ${step} failure comes in bounded time (${Date.now() - startedAt} ms)`);
    t.ok(proxy.seen.some((r) => killOn.test(r)), `the ${step} request reached the peer as it died`);
    messages.push(errorText(error));
    await proxy.close();
  }

  // Already dead at start-up: typed too.
  const error = await create(bao.port).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof ProviderUnavailableError, 'peer down before start-up: ProviderUnavailableError');
  messages.push(errorText(error));

  // Control: the same start-up through the proxy succeeds with a live peer.
  await bao.start();
  const proxy = await killingProxy(bao.port, /^$/, async () => undefined);
  const client = await create(proxy.port);
  t.ok(client, 'with a live peer the same start-up succeeds');
  await client.close();
  await proxy.close();
  await bao.kill();
  t.notOk(messages.join('\n').includes(TOKEN) || log.lines.join('').includes(TOKEN), 'the token is in no error or log');
});
