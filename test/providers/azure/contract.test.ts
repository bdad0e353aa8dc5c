// The shared provider contract against a real local Key Vault peer (Lowkey Vault, or the stand-in when the jar
// cannot be installed: see scripts/peers/azure.sh).
import t from 'tap';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { ensurePeer, PEERS } from '../../helpers/peers';
import { runProviderContract } from '../contract';

ensurePeer('azure');
const env = { ...process.env, AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token };

runProviderContract(t, 'azure', {
  makeClient: async (prefix) => {
    const uri = new URL(`azure://127.0.0.1:8443/${prefix}/?credential=static&timeoutMs=5000&retries=2&ca=${encodeURIComponent(PEERS.azure.caFile)}`);
    return azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env });
  },
  invalidNames: ['', 'a//b', '/lead', 'trail/', 'bad name', 'ü', '..', 'x/./y', 'semi;colon', 'A'.repeat(60) + 'b'.repeat(70)],
});
