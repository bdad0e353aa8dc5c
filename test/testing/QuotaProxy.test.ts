// The quota proxy in front of the real peers: token buckets per API (shared where AWS shares a quota), the
// over-quota answers the services give (the AWS SDK sees a ThrottlingException, Vault clients an HTTP 429),
// counted faults, and plain forwarding of everything else.
import t from 'tap';
import { AWS_SECRETS_MANAGER_QUOTAS, QuotaProxy } from '../../src/testing/QuotaProxy';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { makeAwsClient } from '../providers/aws/awsTestClient';
import { makeVaultClient } from '../providers/vault/vaultTestClient';

t.test('Class: QuotaProxy', async (t) => {
  t.test('scales the published AWS quotas; APIs sharing a quota share a bucket', async (t) => {
    const proxy = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', scale: 0.01 });
    t.equal(proxy.rateOf('GetSecretValue'), AWS_SECRETS_MANAGER_QUOTAS.GetSecretValue! * 0.01);
    t.equal(proxy.rateOf('BatchGetSecretValue'), 1);
    t.equal(proxy.rateOf('UpdateSecretVersionStage'), proxy.rateOf('PutSecretValue'));
    t.equal(proxy.rateOf('GetRandomPassword'), undefined, 'an API without a quota here is not limited');
    t.equal(new QuotaProxy({ target: PEERS.vault.address, profile: 'vault', quotas: { all: 50 } }).rateOf('read'), 50);
  });

  t.test('AWS: within the burst calls pass; over it the SDK gets ThrottlingException (throttling, unavailable)', async (t) => {
    ensurePeer('aws');
    const proxy = new QuotaProxy({ target: PEERS.aws.endpoint, profile: 'aws', quotas: { DescribeSecret: 0.001, GetSecretValue: 1_000 }, burstSeconds: 1 });
    const endpoint = await proxy.start();
    t.teardown(() => proxy.close());
    const prefix = uniquePrefix('quota') + '/';
    const direct = await makeAwsClient(prefix);
    t.teardown(() => direct.close());
    const value = plantValue();
    await direct.put('X', Buffer.from(value));
    const client = await makeAwsClient(prefix, { endpoint, query: 'retries=0' });
    t.teardown(() => client.close());
    t.equal((await client.get('X')).value.toString(), value, 'forwarded unchanged');
    await client.currentVersion('X');
    await t.rejects(client.currentVersion('X'), { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: true, message: /ThrottlingException, HTTP 400\): Rate exceeded/ });
    t.same(proxy.counts().DescribeSecret, { allowed: 1, throttled: 1, faulted: 0 });
    proxy.setFault('GetSecretValue', 503, 1);
    await t.rejects(client.get('X'), { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: false, message: /ServiceUnavailableException/ });
    t.equal((await client.get('X')).value.toString(), value, 'a counted fault ends');
    t.equal(proxy.counts().GetSecretValue?.faulted, 1);
    proxy.resetCounts();
    t.same(proxy.counts(), {});
  });

  t.test('Vault: one quota over every request to the mount; HTTP 429 is throttling; sys/ and auth/ are free', async (t) => {
    ensurePeer('vault');
    const proxy = new QuotaProxy({ target: PEERS.vault.address, profile: 'vault', quotas: { all: 0.001 } });
    const endpoint = await proxy.start();
    t.teardown(() => proxy.close());
    const prefix = uniquePrefix('quota');
    const direct = await makeVaultClient(prefix);
    t.teardown(() => direct.close());
    await direct.put('X', Buffer.from(plantValue()));
    const client = await makeVaultClient(prefix, { retries: '0' }, undefined, { address: endpoint });
    t.teardown(() => client.close());
    await client.currentVersion('X');
    await t.rejects(client.get('X'), { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: true, message: /HTTP 429.*rate limit quota exceeded/ });
    await client.health();
    t.same(proxy.counts().metadata, { allowed: 1, throttled: 0, faulted: 0 });
    t.same(proxy.counts().read, { allowed: 0, throttled: 1, faulted: 0 });
    t.ok((proxy.counts().sys?.allowed ?? 0) >= 1, 'health is not limited');
    t.ok((proxy.counts().auth?.allowed ?? 0) >= 1, 'token lookups are not limited');
    t.equal(proxy.rateOf('auth'), undefined);
    proxy.setFault('metadata', 503, 1);
    await t.rejects(client.currentVersion('X'), { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: false, message: /HTTP 503/ });
    t.equal(proxy.counts().metadata?.faulted, 1);
  });

  t.test('an upstream that is down is a 502', async (t) => {
    const proxy = new QuotaProxy({ target: 'http://127.0.0.1:9', profile: 'vault', quotas: {} });
    const endpoint = await proxy.start();
    t.teardown(() => proxy.close());
    const res = await fetch(`${endpoint}/v1/secret/data/x`, { method: 'POST', body: '{}' });
    t.equal(res.status, 502);
    t.equal(proxy.counts().write?.allowed, 1);
  });
});
