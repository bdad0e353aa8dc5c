import t from 'tap';
import { ensurePeer } from '../../helpers/peers';
import { runProviderContract } from '../contract';
import { makeVaultClient } from './vaultTestClient';

ensurePeer('vault');

runProviderContract(t, 'vault', {
  makeClient: (prefix) => makeVaultClient(prefix),
  invalidNames: ['', 'has space', 'semi;colon', 'ünïcode', 'quote"d', '/leading', 'trailing/', 'a//b', '.', '..', 'a/../b', 'a/./b', 'x'.repeat(600), 'q?x', 'p%2Fq', 'h#x'],
});
