// End to end with a running app: a process under the real preload (`node -r ./register.js`, provider polling every
// second) keeps serving the old value while a rotation's new value is pending (checked from inside step 3, after
// more than a polling interval), and switches to the new value with a `rotated` event once it is promoted.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { ProviderClient } from '../../src/providers/Provider';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { SecretRotator } from '../../src/rotation';
import { ensurePeer, PEERS, plantValue, uniquePrefix, type PeerName } from '../helpers/peers';
import { REQUIRED, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type State = Record<string, { version: string; sha256: string }>;

const credentials: Record<PeerName, Record<string, string>> = {
  aws: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
  vault: { VAULT_TOKEN: PEERS.vault.token },
  azure: { AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token },
};

function uriFor(peer: PeerName, prefix: string): string {
  if (peer === 'aws') return `aws://${PEERS.aws.region}/${prefix}/?endpoint=${encodeURIComponent(PEERS.aws.endpoint)}&timeoutMs=3000&retries=1`;
  if (peer === 'vault') return `vault://127.0.0.1:8200/secret/${prefix}?tls=0&retries=1`;
  return `azure://127.0.0.1:8443/${prefix}/?credential=static&retries=1&ca=${encodeURIComponent(PEERS.azure.caFile)}`;
}

for (const peer of ['aws', 'vault', 'azure'] as const) {
  t.test(`a preloaded app on ${peer} never sees the pending value and switches after promotion`, async (t) => {
    ensurePeer(peer);
    Object.assign(process.env, credentials[peer]);
    const uri = uriFor(peer, uniquePrefix(`rot-preload-${peer}`).replace('/', '-'));
    const client: ProviderClient = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: process.env });
    t.teardown(() => client.close());
    const old = Buffer.from(plantValue());
    await client.put('DB_PASSWORD', old);
    const schema = writeSchema(tmpdir(t), { DB_PASSWORD: REQUIRED });
    const s = startService(t, { ...credentials[peer], SECRETS_SOURCE: uri, SECRETS_SCHEMA: schema, SECRETS_POLL_MS: '1000', NODE_ENV: peer === 'azure' ? 'development' : 'production' });
    const started = await s.waitFor((e) => e.event === 'started', 30_000);
    t.equal((started.state as State).DB_PASSWORD?.sha256, sha(old));

    let candidate = '';
    let whilePending: State | undefined;
    const result = await new SecretRotator({ client }).rotate('DB_PASSWORD', {
      verify: async ({ view }) => {
        candidate = sha(view);
        await sleep(2_500); // more than two polling intervals with the new version pending
        s.send({ op: 'state' });
        whilePending = (await s.waitFor((e) => e.event === 'state', 10_000)).state as State;
        return true;
      },
    });
    t.equal(whilePending?.DB_PASSWORD?.sha256, sha(old), 'while pending, the app still has the old value');
    t.notOk(s.events.some((e) => e.event === 'rotated'), 'no rotated event before the promotion');
    const rotated = await s.waitFor((e) => e.event === 'rotated', 15_000);
    t.same(rotated.names, ['DB_PASSWORD']);
    t.equal((rotated.state as State).DB_PASSWORD?.sha256, candidate, 'after promotion the app has the new value');
    t.equal((rotated.state as State).DB_PASSWORD?.version, result.version);
    s.send({ op: 'exit' });
    await s.exited;
    t.notOk(s.stdout().includes(old.toString()) || s.stderr().includes(old.toString()), 'no value printed');
  });
}
