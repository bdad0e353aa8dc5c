'use strict';
// The fleet simulator behind `npm run fleet` (see docs/benchmarks.md, "Fleet"). K replicas start (all at once or
// in waves) and then poll, against moto or OpenBao behind the quota proxy (src/testing/QuotaProxy.ts), which
// enforces the providers' request quotas scaled by `scale`; the fleet is scaled by the same factor, so the time
// a start takes and the share of a quota a fleet uses are the ones of the full-size fleet.
//
// Replicas run in this process. Each has its own provider client (its own SDK client, HTTP agent and sockets),
// its own SecretsRuntime (locked memory, validation) and its own ProviderPoller, and runs the library's real
// start code (fetchAll, what the preload's worker thread runs) and poll code. Shared: the process, its event loop,
// the loaded modules. Not simulated: process start-up and the worker thread (their cost does not touch a quota).
const { randomBytes } = require('node:crypto');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', 'dist');
const load = (p) => require(path.join(DIST, p));

/** Published read quotas, requests per second per account and region (AWS), or the OpenBao quota used here. */
const AWS_READ = { GetSecretValue: 10_000, DescribeSecret: 40_000, BatchGetSecretValue: 100 };
const BATCH_SIZE = 20;

/**
 * Run one fleet. Options (full-size numbers; the run uses replicas * scale of them):
 * provider 'aws' | 'vault'; replicas (1,000); secrets per replica (100); scale (0.005); wave (replicas per
 * wave, default all at once) and waveGapMs; strategy (AWS read mode: auto | batch | single); budgetMs (the
 * start budget, SECRETS_START_TIMEOUT_MS, 30,000); vaultQuota (the OpenBao rate-limit quota, requests/s, 5,000);
 * pollReplicas (replicas that run the poll measurement, 3) and polls (12, one full check included);
 * steadyReplicas (10,000) and pollMs (300,000) for the steady-state share; prefix (existing secrets, else planted);
 * query (extra source URI parameters, e.g. timeoutMs=30000).
 */
async function runFleet(options = {}) {
  const o = {
    provider: 'aws', replicas: 1_000, secrets: 100, scale: 0.005, wave: undefined, waveGapMs: 1_000, strategy: 'auto', budgetMs: 30_000,
    vaultQuota: 5_000, pollReplicas: 3, polls: 12, steadyReplicas: 10_000, pollMs: 300_000, target: undefined, prefix: undefined, query: '',
    ...options,
  };
  const { QuotaProxy } = load('testing/QuotaProxy.js');
  const { fetchAll } = load('preload/providerWorker.js');
  const { ProviderRegistry } = load('providers/ProviderRegistry.js');
  const { configureLogger } = load('log/createLogger.js');
  configureLogger({ level: 'silent' });
  const registry = ProviderRegistry.withBuiltins();
  const isAws = o.provider === 'aws';
  const target = o.target ?? (isAws ? 'http://127.0.0.1:5000' : 'http://127.0.0.1:8200');
  const names = Array.from({ length: o.secrets }, (_, i) => `S${String(i).padStart(3, '0')}`);
  // `query`: extra source URI parameters (CI raises the per-attempt timeout: replicas share one event loop here,
  // and on a loaded machine queueing in it would count as a backend timeout).
  const extra = o.query ? `&${o.query}` : '';
  const uriOf = (endpoint, prefix) =>
    isAws
      ? `aws://us-east-1/${prefix}/?endpoint=${encodeURIComponent(endpoint)}${o.strategy ? `&read=${o.strategy}` : ''}${extra}`
      : `vault://${endpoint.replace(/^https?:\/\//, '')}/secret/${prefix}?tls=0${extra}`;
  const prefix = o.prefix ?? (await plant(registry, uriOf(target, `fleet-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`), names)).prefix;

  // Start phase: the quota proxy at the scaled quotas.
  const quotas = isAws ? undefined : { all: o.vaultQuota };
  const proxy = new QuotaProxy({ target, profile: o.provider, scale: o.scale, ...(quotas ? { quotas } : {}) });
  const endpoint = await proxy.start();
  const uri = uriOf(endpoint, prefix);
  const count = Math.max(1, Math.round(o.replicas * o.scale));
  const perWave = Math.max(1, Math.round((o.wave ?? o.replicas) * o.scale));
  const replicas = [];
  const began = performance.now();
  let waits = 0;
  try {
    const starts = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % perWave === 0) await new Promise((r) => setTimeout(r, o.waveGapMs));
      const replica = { id: i, opened: [], readyMs: undefined, error: undefined, values: undefined };
      replicas.push(replica);
      starts.push(
        fetchAll({ sources: [{ uri }], names }, registry, replica.opened, { deadline: Date.now() + o.budgetMs }).then(
          (res) => {
            replica.readyMs = performance.now() - began;
            replica.values = res.values;
            waits += res.throttledRounds ?? 0;
          },
          (error) => {
            replica.error = error;
          },
        ),
      );
    }
    await Promise.all(starts);
  } finally {
    await Promise.all(replicas.flatMap((r) => r.opened.map((c) => c.close().catch(() => undefined))));
  }
  const startCounts = proxy.counts();
  await proxy.close();
  const ready = replicas.filter((r) => r.readyMs !== undefined);
  const allReadyMs = ready.length === count ? Math.max(...ready.map((r) => r.readyMs)) : undefined;
  const floorMs = quotaFloorMs({ isAws, secrets: count * o.secrets, scale: o.scale, vaultQuota: o.vaultQuota, strategy: o.strategy });
  const elapsedS = (performance.now() - began) / 1000;
  const complete = ready.filter((r) => r.values.length === o.secrets).length;

  // Poll phase: a few replicas poll `polls` times (one full check at the default of every 12th poll) through a
  // counting proxy; calls per poll per API give the steady-state share of a full fleet polling every pollMs.
  const poll = await measurePolls({ o, registry, target, prefix, names, uriOf, QuotaProxy, ready });
  for (const r of replicas) for (const v of r.values ?? []) new Uint8Array(v.bytes).fill(0);
  const readQuotas = isAws ? AWS_READ : { all: o.vaultQuota };
  const share = {};
  for (const [api, calls] of Object.entries(poll.callsPerPoll)) {
    const quota = readQuotas[api] ?? (isAws ? undefined : o.vaultQuota);
    if (quota !== undefined) share[api] = (o.steadyReplicas * calls) / (o.pollMs / 1000) / quota;
  }
  if (!isAws) {
    // One OpenBao quota counts every request.
    const total = Object.values(poll.callsPerPoll).reduce((a, b) => a + b, 0);
    for (const k of Object.keys(share)) delete share[k];
    share.all = (o.steadyReplicas * total) / (o.pollMs / 1000) / o.vaultQuota;
  }
  const failures = replicas.filter((r) => r.error).map((r) => `${r.error.code ?? 'error'}: ${(r.error.problems?.[0]?.reason ?? r.error.message ?? '').slice(0, 160)}`);
  return {
    provider: o.provider, strategy: isAws ? o.strategy : 'single', replicas: count, fullSizeReplicas: o.replicas, secrets: o.secrets, scale: o.scale,
    ready: ready.length, complete, failed: count - ready.length, failures: [...new Set(failures)],
    allReadyS: allReadyMs === undefined ? undefined : allReadyMs / 1000, floorS: floorMs / 1000, ratio: allReadyMs === undefined ? undefined : allReadyMs / floorMs,
    calls: sum(startCounts, 'allowed') + sum(startCounts, 'throttled'), throttled: sum(startCounts, 'throttled'), waits,
    perApiPerS: Object.fromEntries(Object.entries(startCounts).map(([api, c]) => [api, (c.allowed + c.throttled) / elapsedS])),
    perApiPerSFullSize: Object.fromEntries(Object.entries(startCounts).map(([api, c]) => [api, (c.allowed + c.throttled) / elapsedS / o.scale])),
    rotationSeen: poll.rotationSeen, pollReplicas: poll.replicas, callsPerPoll: poll.callsPerPoll, steadyShare: share, steadyReplicas: o.steadyReplicas, pollMs: o.pollMs,
    prefix,
  };
}

/** The least time the scaled quotas allow for every replica's reads (a full bucket's burst counted once). */
function quotaFloorMs({ isAws, secrets, scale, vaultQuota }) {
  if (!isAws) return (Math.max(0, secrets - vaultQuota * scale) / (vaultQuota * scale)) * 1000;
  // Single reads and batch reads draw on two quotas at once: the best any strategy can do uses both.
  const perSecond = (AWS_READ.GetSecretValue + AWS_READ.BatchGetSecretValue * BATCH_SIZE) * scale;
  return (Math.max(0, secrets - perSecond) / perSecond) * 1000;
}

async function measurePolls({ o, registry, target, prefix, names, uriOf, QuotaProxy, ready }) {
  const { ProviderPoller } = load('preload/ProviderPoller.js');
  const { SecretsRuntime } = load('runtime/SecretsRuntime.js');
  const { SchemaValidator } = load('schema/SchemaValidator.js');
  const { parseSources } = load('sources/parseSources.js');
  const counter = new QuotaProxy({ target, profile: o.provider, quotas: {} });
  const endpoint = await counter.start();
  const uri = uriOf(endpoint, prefix);
  const specs = parseSources(uri);
  const schema = Object.fromEntries(names.map((n) => [n, { format: String, default: null, sensitive: true }]));
  const pollers = [];
  try {
    for (const r of ready.slice(0, o.pollReplicas)) {
      const runtime = new SecretsRuntime(new SchemaValidator(schema), { onLockFailure: () => {} });
      const values = new Map(r.values.map((v) => [v.name, { slice: runtime.arena.copyIn(new Uint8Array(v.bytes)), version: v.version, source: specs[0].uri }]));
      runtime.apply(values);
      const rotated = [];
      runtime.on('rotated', (e) => rotated.push(...e.names));
      pollers.push({ runtime, rotated, poller: new ProviderPoller(runtime, specs, { intervalMs: o.pollMs, registry }) });
    }
    // A rotation before the first poll: every polling replica must see it at that poll.
    const writer = await registry.create(new URL(uriOf(target, prefix)));
    await writer.put(names[0], Buffer.from(randomBytes(16).toString('hex')));
    await writer.close();
    counter.resetCounts();
    let seen = 0;
    for (let n = 0; n < o.polls; n++) {
      for (const p of pollers) await p.poller.pollOnce();
      if (n === 0) seen = pollers.filter((p) => p.rotated.includes(names[0])).length;
    }
    const counts = counter.counts();
    const callsPerPoll = {};
    for (const [api, c] of Object.entries(counts)) callsPerPoll[api] = (c.allowed + c.throttled) / (o.polls * Math.max(1, pollers.length));
    return { replicas: pollers.length, rotationSeen: `${seen}/${pollers.length}`, callsPerPoll };
  } finally {
    for (const p of pollers) {
      await p.poller.close();
      p.runtime.zeroAll?.();
    }
    await counter.close();
  }
}

async function plant(registry, uri, names) {
  const client = await registry.create(new URL(uri));
  try {
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < names.length) {
        const n = names[next++];
        await client.put(n, Buffer.from(randomBytes(16).toString('hex')));
      }
    }));
  } finally {
    await client.close();
  }
  return { prefix: new URL(uri).pathname.replace(/^\//, '').replace(/\/$/, '').split('/').pop() };
}

function sum(counts, key) {
  return Object.values(counts).reduce((n, c) => n + c[key], 0);
}

module.exports = { runFleet, quotaFloorMs, AWS_READ };
