// DefaultAzureCredential with nothing configured: a ProviderAuthError that says what to configure. Its own file
// (own process) because MSAL caches managed-identity state per process and this test clears process.env.
import t from 'tap';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { ensurePeer, PEERS, uniquePrefix } from '../../helpers/peers';

ensurePeer('azure');

t.test('Factory: azureProviderFactory with DefaultAzureCredential and no credential', async (t) => {
  t.test('fails with ProviderAuthError naming the credential sources, without retrying', async (t) => {
    for (const k of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_)/.test(k)) delete process.env[k];
    // No IMDS off Azure: the managed-identity probe of 169.254.169.254 fails at once (no route), so the chain ends fast.
    const uri = new URL(`azure://127.0.0.1:8443/${uniquePrefix('azure-nocred')}/?retries=2&timeoutMs=20000&ca=${encodeURIComponent(PEERS.azure.caFile)}`);
    const client = await azureProviderFactory.create(azureProviderFactory.parse(uri, process.env));
    const started = Date.now();
    const err = await client.get('ANY').catch((e: unknown) => e);
    t.match(err, { code: 'E_PROVIDER_AUTH' });
    t.match((err as Error).message, /workload identity, a managed identity or AZURE_CLIENT_ID/);
    t.ok(Date.now() - started < 15_000, `failed after ${Date.now() - started} ms`);
    await client.close();
  });
});
