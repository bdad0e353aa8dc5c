'use strict';
// npm run fleet [-- --provider aws|vault] [--replicas 1000] [--secrets 100] [--scale 0.005] [--wave N]
//               [--wave-gap-ms 1000] [--strategies auto,single,batch] [--budget-ms 30000] [--vault-quota 5000]
//               [--steady-replicas 10000] [--poll-ms 300000] [--json FILE]
// Needs the built library (npm run build) and the peers (scripts/peers.sh start aws|vault). See docs/benchmarks.md.
const fs = require('node:fs');
const { runFleet } = require('./fleet');

function parseArgs(argv) {
  const o = { provider: 'aws', strategies: undefined, json: undefined };
  const num = (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--provider') o.provider = v();
    else if (a === '--replicas') o.replicas = num(v());
    else if (a === '--secrets') o.secrets = num(v());
    else if (a === '--scale') o.scale = num(v());
    else if (a === '--wave') o.wave = num(v());
    else if (a === '--wave-gap-ms') o.waveGapMs = num(v());
    else if (a === '--strategies') o.strategies = v().split(',');
    else if (a === '--budget-ms') o.budgetMs = num(v());
    else if (a === '--vault-quota') o.vaultQuota = num(v());
    else if (a === '--steady-replicas') o.steadyReplicas = num(v());
    else if (a === '--poll-ms') o.pollMs = num(v());
    else if (a === '--json') o.json = v();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(require.resolve('./run'), 'utf8').split('\n').slice(1, 5).join('\n').replace(/^\/\/ ?/gm, '') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const s1 = (x) => (x === undefined ? '-' : x.toFixed(1));

async function main() {
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.VAULT_TOKEN ??= 'vc-dev-root-token';
  const { strategies, json, ...options } = parseArgs(process.argv.slice(2));
  const list = options.provider === 'aws' ? (strategies ?? ['auto', 'single', 'batch']) : ['single'];
  const reports = [];
  let prefix;
  for (const strategy of list) {
    process.stderr.write(`fleet: ${options.provider} strategy ${strategy}...\n`);
    const r = await runFleet({ ...options, strategy, ...(prefix ? { prefix } : {}) });
    prefix = r.prefix;
    reports.push(r);
  }
  const r0 = reports[0];
  process.stdout.write(
    `\nFleet on ${r0.provider}: ${r0.fullSizeReplicas} replicas x ${r0.secrets} secrets, ${options.wave ? `waves of ${options.wave}` : 'all at once'}; ` +
      `simulated with ${r0.replicas} replicas at ${r0.scale}x the quotas\n\n`,
  );
  const head = ['strategy', 'ready', 'failed', 'all ready s', 'quota floor s', 'x floor', 'calls', 'throttled', 'backoff waits', 'calls/s per API (full size)'];
  const rows = reports.map((r) => [
    r.strategy, `${r.ready}/${r.replicas}`, String(r.failed), s1(r.allReadyS), s1(r.floorS), r.ratio === undefined ? '-' : r.ratio.toFixed(2), String(r.calls), String(r.throttled), String(r.waits),
    Object.entries(r.perApiPerSFullSize).map(([k, v]) => `${k} ${Math.round(v)}`).join(', '),
  ]);
  printTable(head, rows);
  process.stdout.write(`\nSteady state: ${r0.steadyReplicas} replicas polling ${r0.secrets} secrets every ${r0.pollMs / 1000} s (measured on ${r0.pollReplicas} replicas, ${options.polls ?? 12} polls each)\n\n`);
  printTable(
    ['strategy', 'rotation seen at next poll', 'calls per poll', 'share of quota'],
    reports.map((r) => [
      r.strategy, r.rotationSeen,
      Object.entries(r.callsPerPoll).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '),
      Object.entries(r.steadyShare).map(([k, v]) => `${k} ${pct(v)}`).join(', '),
    ]),
  );
  for (const r of reports) if (r.failures.length > 0) process.stdout.write(`\n${r.strategy}: failures: ${r.failures.join('; ')}\n`);
  if (json) fs.writeFileSync(json, JSON.stringify(reports, null, 2));
}

function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |\n';
  process.stdout.write(line(head) + '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n' + rows.map(line).join(''));
}

main().catch((error) => {
  process.stderr.write(`fleet: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
