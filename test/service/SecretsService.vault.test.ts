// The SecretsService over the real OpenBao peer (Vault KV v2 API).
import t from 'tap';
import { ensurePeer } from '../helpers/peers';
import { makeVaultClient } from '../providers/vault/vaultTestClient';
import { runServiceOverPeer } from './fixtures/peerSuite';

ensurePeer('vault');
runServiceOverPeer(t, 'vault', { makeClient: (prefix) => makeVaultClient(prefix), propertyRuns: 15, propertyOps: 40 });
