// The real-use credential path: DefaultAzureCredential, here answered by the peer's managed-identity token
// endpoint (App Service style IDENTITY_ENDPOINT/IDENTITY_HEADER, served on the peer's HTTP port like Lowkey
// Vault's). Runs in its own file because it sets process.env, which DefaultAzureCredential reads.
import t from 'tap';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../../helpers/peers';

ensurePeer('azure');

t.test('Factory: azureProviderFactory with DefaultAzureCredential', async (t) => {
  t.test('authenticates through a managed identity endpoint and round-trips a secret', async (t) => {
    for (const k of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_)/.test(k)) delete process.env[k];
    process.env.IDENTITY_ENDPOINT = `${PEERS.azure.httpEndpoint}/metadata/identity/oauth2/token`;
    process.env.IDENTITY_HEADER = 'header-for-the-local-peer';
    const uri = new URL(`azure://127.0.0.1:8443/${uniquePrefix('azure-msi')}/?retries=1&timeoutMs=10000&ca=${encodeURIComponent(PEERS.azure.caFile)}`);
    const config = azureProviderFactory.parse(uri, process.env);
    t.equal(config.credential, 'default');
    const client = await azureProviderFactory.create(config);
    const value = plantValue();
    const { version } = await client.put('MSI', Buffer.from(value));
    const got = await client.get('MSI');
    t.equal(got.value.toString(), value);
    t.equal(got.version, version);
    await client.close();
  });
});
