import t from 'tap';
import { ensurePeer } from '../../helpers/peers';
import { runProviderContract } from '../contract';
import { makeAwsClient } from './awsTestClient';

ensurePeer('aws');

runProviderContract(t, 'aws', {
  makeClient: (prefix) => makeAwsClient(prefix + '/'),
  invalidNames: ['', 'has space', 'semi;colon', 'ünïcode', 'quote"d', 'ends-abcdef', '/leading', 'trailing/', 'a//b', 'x'.repeat(600)],
});
