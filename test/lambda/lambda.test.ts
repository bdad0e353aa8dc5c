// The AWS Lambda recipe (docs/lambda.md) against moto: the preload in NODE_OPTIONS, an aws:// source read at init,
// the handler loaded the way the Node.js Lambda runtime loads it (test/lambda/runtime.mjs), invoked through a
// local Runtime API; a new version is seen after secrets.reload().
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import t from 'tap';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const AWS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: PEERS.aws.region, AWS_EC2_METADATA_DISABLED: 'true' };

/** A minimal Lambda Runtime API: hands out queued events, resolves each invocation with the function's answer. */
function runtimeApi() {
  const queue: { event: unknown; resolve: (r: { route: string; body: unknown }) => void }[] = [];
  const waiting: http.ServerResponse[] = [];
  let n = 0;
  const pending = new Map<string, (r: { route: string; body: unknown }) => void>();
  const hand = (res: http.ServerResponse) => {
    const job = queue.shift()!;
    const id = `req-${++n}`;
    pending.set(id, job.resolve);
    res.writeHead(200, { 'content-type': 'application/json', 'lambda-runtime-aws-request-id': id });
    res.end(JSON.stringify(job.event));
  };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/2018-06-01/runtime/invocation/next') {
      if (queue.length > 0) hand(res);
      else waiting.push(res);
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(req.url ?? '');
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.writeHead(202).end();
      if (m) pending.get(m[1]!)?.({ route: m[2]!, body: JSON.parse(body) });
    });
  });
  return {
    server,
    invoke: (event: unknown) =>
      new Promise<{ route: string; body: unknown }>((resolve) => {
        queue.push({ event, resolve });
        const res = waiting.shift();
        if (res) hand(res);
      }),
  };
}

t.test('Lambda: preload via NODE_OPTIONS, aws:// at init, handler loaded like the Node runtime', async (t) => {
  ensurePeer('aws');
  Object.assign(process.env, AWS); // the SDK's default credential chain reads process.env
  const prefix = uniquePrefix('lambda').replace('/', '-');
  const uri = `aws://${PEERS.aws.region}/${prefix}/?endpoint=${encodeURIComponent(PEERS.aws.endpoint)}&timeoutMs=3000&retries=1`;
  const client = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: { ...process.env, ...AWS } });
  t.teardown(() => client.close());
  const password = plantValue();
  const v1 = (await client.put('DB_PASSWORD', Buffer.from(password))).version;

  // /var/task: the function code, with the package in its node_modules as a deployment zip has it.
  const task = tmpdir(t);
  fs.copyFileSync(path.join(__dirname, 'handler.js'), path.join(task, 'index.js'));
  fs.writeFileSync(path.join(task, 'schema.js'), "module.exports = { DB_PASSWORD: { format: 'secret-utf8', default: null, sensitive: true }, TABLE_NAME: { format: String, default: null, env: 'TABLE_NAME' } };\n");
  fs.mkdirSync(path.join(task, 'node_modules', '@valuecanvas'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(task, 'node_modules', '@valuecanvas', 'secrets'));

  const api = runtimeApi();
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => api.server.close());
  const env = {
    PATH: process.env.PATH ?? '',
    ...AWS,
    NODE_ENV: 'production',
    NODE_OPTIONS: '--require=@valuecanvas/secrets/register',
    SECRETS_SOURCE: uri,
    SECRETS_SCHEMA: './schema.js',
    TABLE_NAME: 'orders',
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${(api.server.address() as AddressInfo).port}`,
    LAMBDA_TASK_ROOT: task,
    _HANDLER: 'index.handler',
  };
  const child = spawn(process.execPath, [path.join(__dirname, 'runtime.mjs')], { cwd: task, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  t.teardown(() => child.kill('SIGKILL'));

  const first = await api.invoke({});
  t.same(first, { route: 'response', body: { loaded: true, version: v1, length: password.length, table: 'orders' } }, output);
  const next = plantValue(40);
  const v2 = (await client.put('DB_PASSWORD', Buffer.from(next))).version;
  t.match(await api.invoke({}), { body: { version: v1 } }, 'without a poll due, an invocation keeps the init value');
  t.same(await api.invoke({ reload: true }), { route: 'response', body: { loaded: true, version: v2, length: next.length, table: 'orders' } }, 'secrets.reload() in an invocation sees the new version');
  t.notOk(output.includes(password) || output.includes(next), 'no value in the function log');
});
