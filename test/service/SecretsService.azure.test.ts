// The SecretsService over the local Key Vault peer (Lowkey Vault, or the stand-in when its jar cannot be
// installed: see scripts/peers/azure.sh). Tenant paths go through the adapter's injective name encoding.
import t from 'tap';
import { azureProviderFactory } from '../../src/providers/azure/azureProviderFactory';
import { ensurePeer, PEERS } from '../helpers/peers';
import { runServiceOverPeer } from './fixtures/peerSuite';

ensurePeer('azure');
const env = { ...process.env, AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token };

runServiceOverPeer(t, 'azure', {
  makeClient: async (prefix) => {
    const uri = new URL(`azure://127.0.0.1:8443/${prefix}/?credential=static&timeoutMs=5000&retries=2&ca=${encodeURIComponent(PEERS.azure.caFile)}`);
    return azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env });
  },
  propertyRuns: 10,
  propertyOps: 40,
});
