// The SecretsService over the real moto peer (AWS Secrets Manager API).
import t from 'tap';
import { ensurePeer } from '../helpers/peers';
import { makeAwsClient } from '../providers/aws/awsTestClient';
import { runServiceOverPeer } from './fixtures/peerSuite';

ensurePeer('aws');
runServiceOverPeer(t, 'aws', {
  makeClient: (prefix) => makeAwsClient(prefix + '/'),
  propertyRuns: 12,
  propertyOps: 40,
  // moto answers ListSecretVersionIds of a missing secret with HTTP 500 (real AWS: ResourceNotFoundException), which
  // the adapter maps, after its retries, to E_PROVIDER_UNAVAILABLE.
  missingSecretCodes: ['E_PROVIDER_UNAVAILABLE'],
});
