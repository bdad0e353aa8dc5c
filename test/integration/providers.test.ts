// The preload started on each real provider peer: blocking load before the app's first line, polling refresh,
// exit codes, failover, and mixing with a mount.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import t from 'tap';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import type { ProviderClient } from '../../src/providers/Provider';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { ensurePeer, PEERS, plantValue, uniquePrefix, type PeerName } from '../helpers/peers';
import { REQUIRED, runOnce, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type State = Record<string, { version: string; sha256: string }>;

const credentials: Record<PeerName, Record<string, string>> = {
  aws: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
  vault: { VAULT_TOKEN: PEERS.vault.token },
  azure: { AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token },
};

function uriFor(peer: PeerName, prefix: string): string {
  switch (peer) {
    case 'aws':
      return `aws://${PEERS.aws.region}/${prefix}/?endpoint=${encodeURIComponent(PEERS.aws.endpoint)}&timeoutMs=3000&retries=1`;
    case 'vault':
      return `vault://127.0.0.1:8200/secret/${prefix}?tls=0&retries=1`;
    case 'azure':
      return `azure://127.0.0.1:8443/${prefix}/?credential=static&retries=1&ca=${encodeURIComponent(PEERS.azure.caFile)}`;
  }
}

for (const peer of ['aws', 'vault', 'azure'] as const) {
  t.test(`Preload on ${peer}`, async (t) => {
    ensurePeer(peer);
    Object.assign(process.env, credentials[peer]);
    const prefix = uniquePrefix(`preload-${peer}`).replace('/', '-');
    const uri = uriFor(peer, prefix);
    const client: ProviderClient = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: process.env });
    t.teardown(() => client.close());
    const values = { DB_PASSWORD: plantValue(), API_KEY: plantValue() };
    const versions: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) versions[k] = (await client.put(k, Buffer.from(v))).version;
    const dir = tmpdir(t);
    const schema = writeSchema(dir, { DB_PASSWORD: REQUIRED, API_KEY: REQUIRED, OPTIONAL: "{ format: String, default: '' }" });
    // The static-token credential of the local Azure peer is refused in production (by design), so that peer runs
    // in development mode.
    const env = { ...credentials[peer], SECRETS_SOURCE: uri, SECRETS_SCHEMA: schema, SECRETS_POLL_MS: '1000', NODE_ENV: peer === 'azure' ? 'development' : 'production' };

    await t.test('loads before the first line, with backend versions; polling picks up a new version', async (t) => {
      const s = startService(t, env);
      const first = await s.waitFor((e) => e.event === 'app-first-line', 30_000);
      t.equal(first.loaded, true, 'a complete snapshot before the app runs');
      const started = await s.waitFor((e) => e.event === 'started');
      const state = started.state as State;
      t.equal(state.DB_PASSWORD?.sha256, sha(values.DB_PASSWORD));
      t.equal(state.API_KEY?.sha256, sha(values.API_KEY));
      t.equal(state.DB_PASSWORD?.version, versions.DB_PASSWORD, 'the version is the backend version id');
      const next = plantValue();
      const v2 = (await client.put('DB_PASSWORD', Buffer.from(next))).version;
      const rotated = await s.waitFor((e) => e.event === 'rotated', 15_000);
      t.same(rotated.names, ['DB_PASSWORD']);
      t.equal((rotated.state as State).DB_PASSWORD?.sha256, sha(next));
      t.equal((rotated.state as State).DB_PASSWORD?.version, v2);
      s.send({ op: 'exit' });
      await s.exited;
      for (const v of [...Object.values(values), next]) t.notOk(s.stdout().includes(v) || s.stderr().includes(v), 'no value printed');
      values.DB_PASSWORD = next;
    });

    await t.test('a missing required secret is exit 78 naming it', async (t) => {
      const schema2 = writeSchema(tmpdir(t), { DB_PASSWORD: REQUIRED, NOT_THERE: REQUIRED });
      const r = await runOnce(t, { ...env, SECRETS_SCHEMA: schema2 });
      t.equal(r.code, 78);
      t.match(r.stderr, /NOT_THERE: is required but no source has it/);
      t.notOk(r.events.some((e) => e.event === 'app-first-line'));
    });

    await t.test('a later source serves what the mount lacks', async (t) => {
      const d = tmpdir(t);
      const mount = path.join(d, 'mount');
      const fromFile = plantValue();
      new AtomicWriter(mount).write({ API_KEY: fromFile });
      const r = await runOnce(t, { ...env, SECRETS_SOURCE: `file://${mount},${uri}` });
      t.equal(r.code, 0, r.stderr);
      const state = r.events.find((e) => e.event === 'started')?.state as State;
      t.equal(state.API_KEY?.sha256, sha(fromFile), 'the mount comes first');
      t.equal(state.DB_PASSWORD?.sha256, sha(values.DB_PASSWORD), `${peer} serves the rest`);
    });
  });
}

t.test('Preload: unreachable backends and failover', async (t) => {
  ensurePeer('aws');
  const dir = tmpdir(t);
  const schema = writeSchema(dir, { DB_PASSWORD: REQUIRED });
  const closed = `aws://us-east-1/x/?endpoint=${encodeURIComponent('http://127.0.0.1:9')}&timeoutMs=300&retries=1&deadlineMs=1500`;
  const down = await runOnce(t, { ...credentials.aws, SECRETS_SOURCE: closed, SECRETS_SCHEMA: schema });
  t.equal(down.code, 69, 'unreachable after retries: exit 69');
  t.match(down.stderr, /refusing to start \(exit 69\)/);

  const prefix = uniquePrefix('failover').replace('/', '-');
  const good = uriFor('aws', prefix);
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  const client = await ProviderRegistry.withBuiltins().create(new URL(good));
  const value = plantValue();
  await client.put('DB_PASSWORD', Buffer.from(value));
  await client.close();
  const r = await runOnce(t, { ...credentials.aws, SECRETS_SOURCE: `${closed}|${good}`, SECRETS_SCHEMA: schema });
  t.equal(r.code, 0, r.stderr);
  t.equal((r.events.find((e) => e.event === 'started')?.state as State).DB_PASSWORD?.sha256, sha(value));
  t.match(r.stderr, /primary source unavailable at start; loaded from its failover/);
  t.notOk(r.stderr.includes(value));

  const bad = await runOnce(t, { SECRETS_SOURCE: good, SECRETS_SCHEMA: schema, AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
  t.not(bad.code, 0, 'no credentials: refused');
  t.notOk(bad.events.some((e) => e.event === 'app-first-line'));
});

t.test('Preload: JSON secrets split into keys (from / jsonKey), refreshed as one object', async (t) => {
  for (const peer of ['aws', 'vault'] as const) {
    ensurePeer(peer);
    Object.assign(process.env, credentials[peer]);
    const prefix = uniquePrefix(`json-${peer}`).replace('/', '-');
    const uri = uriFor(peer, prefix);
    const client = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: process.env });
    t.teardown(() => client.close());
    const password = plantValue();
    await client.put('db-credentials', Buffer.from(JSON.stringify({ username: 'app', password, port: 5432 })));
    const schema = writeSchema(tmpdir(t), {
      DB_USER: "{ format: String, default: null, from: 'db-credentials', jsonKey: 'username' }",
      DB_PASSWORD: "{ format: 'secret-utf8', default: null, from: 'db-credentials', jsonKey: 'password' }",
      DB_PORT: "{ format: 'port', default: null, from: 'db-credentials', jsonKey: 'port' }",
    });
    const s = startService(t, { ...credentials[peer], SECRETS_SOURCE: uri, SECRETS_SCHEMA: schema, SECRETS_POLL_MS: '1000' });
    const started = await s.waitFor((e) => e.event === 'started', 30_000);
    const state = started.state as State;
    t.equal(state.DB_USER?.sha256, sha('app'), `${peer}: username field`);
    t.equal(state.DB_PASSWORD?.sha256, sha(password), `${peer}: password field`);
    t.equal(state.DB_PORT?.sha256, sha('5432'), `${peer}: a number field as its JSON text`);
    const next = plantValue();
    await client.put('db-credentials', Buffer.from(JSON.stringify({ username: 'app', password: next, port: 5432 })));
    const rotated = await s.waitFor((e) => e.event === 'rotated', 15_000);
    t.same(rotated.names, ['DB_PASSWORD'], `${peer}: only the changed field rotates`);
    t.equal((rotated.state as State).DB_PASSWORD?.sha256, sha(next));
    await client.put('db-credentials', Buffer.from('not json'));
    const rejected = await s.waitFor((e) => e.event === 'rejected', 15_000);
    t.match(rejected.reason, /not usable as JSON/);
    t.equal((rejected.state as State).DB_PASSWORD?.sha256, sha(next), 'last good stays');
    s.send({ op: 'exit' });
    await s.exited;
    t.notOk(s.stderr().includes(next) || s.stdout().includes(next) || s.stderr().includes(password));
  }
});
