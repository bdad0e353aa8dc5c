'use strict';
// Lambda cold start with the preload (docs/lambda.md), against moto: time from starting the runtime process to the
// first invocation's answer, the handler loaded the way the Node.js Lambda runtime loads it
// (test/lambda/runtime.mjs) through a local Runtime API:
//   baseline  the runtime and a handler that does not use the library (no NODE_OPTIONS)
//   preload   NODE_OPTIONS=--require=@valuecanvas/secrets/register, one secret from aws:// (moto), one setting
// Interleaved rounds (random order). Informational: moto on loopback, not Secrets Manager over a network.
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { median, shuffle } = require('./lib/stats');
const { ROOT, cleanEnv } = require('./lib/setup');

const RUNTIME = path.join(ROOT, 'test', 'lambda', 'runtime.mjs');
const AWS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };

/** Start the runtime, answer its first `next` with an event, resolve with ms until its response arrives. */
function coldStart(env, cwd) {
  return new Promise((resolve, reject) => {
    let child;
    let t0;
    const server = http.createServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'lambda-runtime-aws-request-id': 'r1' });
        return res.end('{}');
      }
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        res.writeHead(202).end();
        child.kill('SIGKILL');
        server.close();
        if (!req.url.endsWith('/response')) return reject(new Error(`the function failed: ${body.slice(0, 300)}`));
        resolve(ms);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      t0 = process.hrtime.bigint();
      child = spawn(process.execPath, [RUNTIME], { cwd, env: { ...env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`, LAMBDA_TASK_ROOT: cwd, _HANDLER: 'index.handler' }, stdio: 'ignore' });
      child.on('error', reject);
    });
  });
}

async function run(ctx) {
  const rounds = Number(process.env.BENCH_LAMBDA_RUNS) || (ctx.quick ? 5 : 15);
  ctx.log('starting the aws peer (moto) if needed');
  const up = spawnSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'aws'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (up.status !== 0) throw new Error('scripts/peers.sh start aws failed: install it with scripts/peers.sh install aws');
  const prefix = `bench${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}-lambda`;
  const uri = `aws://us-east-1/${prefix}/?endpoint=${encodeURIComponent('http://127.0.0.1:5000')}&timeoutMs=3000&retries=1`;
  const seed = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist', 'providers'))}).ProviderRegistry.withBuiltins().create(new URL(process.argv[1]), { env: process.env }).then((c) => c.put('DB_PASSWORD', require('crypto').randomBytes(24)).then(() => c.close()))`, uri], { env: { ...process.env, ...AWS }, encoding: 'utf8' });
  if (seed.status !== 0) throw new Error(`seeding moto failed: ${seed.stderr.slice(0, 300)}`);

  const withLib = ctx.tmpDir('lambda-preload');
  fs.copyFileSync(path.join(ROOT, 'test', 'lambda', 'handler.js'), path.join(withLib, 'index.js'));
  fs.writeFileSync(path.join(withLib, 'schema.js'), "module.exports = { DB_PASSWORD: { format: 'secret', default: null, sensitive: true }, TABLE_NAME: { format: String, default: 'orders' } };\n");
  fs.mkdirSync(path.join(withLib, 'node_modules', '@valuecanvas'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(withLib, 'node_modules', '@valuecanvas', 'secrets'));
  const plain = ctx.tmpDir('lambda-plain');
  fs.writeFileSync(path.join(plain, 'index.js'), "exports.handler = async () => ({ ok: true });\n");

  const variants = [
    { key: 'baseline', cwd: plain, env: cleanEnv({ ...AWS }) },
    { key: 'preload', cwd: withLib, env: cleanEnv({ ...AWS, NODE_ENV: 'production', NODE_OPTIONS: '--require=@valuecanvas/secrets/register', SECRETS_SOURCE: uri, SECRETS_SCHEMA: './schema.js' }) },
  ];
  for (const v of variants) await coldStart(v.env, v.cwd); // warm-up (page cache), and a check that both answer
  const samples = { baseline: [], preload: [] };
  ctx.log(`${rounds} interleaved cold starts per variant`);
  for (let i = 0; i < rounds; i++) for (const v of shuffle([...variants])) samples[v.key].push(await coldStart(v.env, v.cwd));
  return [
    {
      metric: 'Lambda cold start to first answer, preload + aws:// (moto)',
      unit: 'ms',
      median: Math.round(median(samples.preload) * 10) / 10,
      baseline: Math.round(median(samples.baseline) * 10) / 10,
      baselineLabel: 'the same runtime and a handler without the library (no NODE_OPTIONS)',
      note: `${rounds} rounds; runtime emulated as test/lambda/runtime.mjs; moto on loopback`,
      samples,
    },
  ];
}

module.exports = { name: 'lambda', run };
