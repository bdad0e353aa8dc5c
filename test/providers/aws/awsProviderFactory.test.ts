// The factory and its place in the registry. This file must not load the SDK before `create` (checked below),
// so it imports nothing that touches @aws-sdk at runtime before that point.
import t from 'tap';
import { ProviderRegistry } from '../../../src/providers/ProviderRegistry';
import { awsProviderFactory } from '../../../src/providers/aws/awsProviderFactory';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../../helpers/peers';

const sdkLoaded = () => Object.keys(require.cache).some((path) => path.includes('client-secrets-manager'));

t.test('Object: awsProviderFactory', async (t) => {
  t.test('serves aws: and states its capabilities', async (t) => {
    t.same(awsProviderFactory.schemes, ['aws']);
    t.same(awsProviderFactory.capabilities, { batch: true, write: true, delete: true, versions: true, list: true });
  });

  t.test('validateName applies the AWS rule with the prefix', async (t) => {
    const config = awsProviderFactory.parse(new URL('aws://us-east-1/app/'), {});
    t.doesNotThrow(() => awsProviderFactory.validateName('DB_PASSWORD', config));
    t.throws(() => awsProviderFactory.validateName('api-secret', config), { code: 'E_INVALID_NAME' });
  });

  t.test('loads the SDK only in create, and the registry makes a working client', async (t) => {
    t.notOk(sdkLoaded(), 'importing the factory did not load @aws-sdk/client-secrets-manager');
    ensurePeer('aws');
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' });
    const uri = new URL(`aws://${PEERS.aws.region}/${uniquePrefix('factory')}/?endpoint=${encodeURIComponent(PEERS.aws.endpoint)}&retries=1`);
    const client = await ProviderRegistry.withBuiltins().create(uri, { env });
    t.teardown(() => client.close());
    t.ok(sdkLoaded());
    t.equal(client.scheme, 'aws');
    const value = plantValue();
    const { version } = await client.put('REG', Buffer.from(value));
    t.same(await client.get('REG').then((s) => [s.value.toString(), s.version]), [value, version]);
  });
});
