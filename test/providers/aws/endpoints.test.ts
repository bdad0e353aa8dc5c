// Several endpoints in one aws:// URI (endpoint= repeated): two ways to the same Secrets Manager (here two TCP
// proxies in front of the moto peer). When the endpoint in use goes away, the next attempt uses the other one.
import * as net from 'node:net';
import pino from 'pino';
import t from 'tap';
import { ProviderUnavailableError } from '../../../src/errors/ProviderUnavailableError';
import { AwsSecretsManagerClient } from '../../../src/providers/aws/AwsSecretsManagerClient';
import { awsProviderFactory } from '../../../src/providers/aws/awsProviderFactory';
import { parseAwsUri } from '../../../src/providers/aws/parseAwsUri';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../../helpers/peers';
import { FAST } from './awsTestClient';

/** A TCP proxy to moto; close() refuses new connections and cuts the open ones (the endpoint is gone). */
async function proxy(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const target = new URL(PEERS.aws.endpoint);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

t.test('parseAwsUri: endpoint= repeated lists every endpoint', async (t) => {
  const c = parseAwsUri(new URL('aws://us-east-1/app/?endpoint=https://vpce-1.example&endpoint=https://secretsmanager.us-east-1.amazonaws.com'), {});
  t.equal(c.endpoint, 'https://vpce-1.example');
  t.same(c.endpoints, ['https://vpce-1.example', 'https://secretsmanager.us-east-1.amazonaws.com']);
  t.equal(parseAwsUri(new URL('aws://us-east-1/app/?endpoint=https://a.example'), {}).endpoints, undefined, 'one endpoint: no list');
  t.throws(() => parseAwsUri(new URL('aws://us-east-1/app/?endpoint=https://a.example&endpoint=https://a.example'), {}), { code: 'E_CONFIG' }, 'the same endpoint twice');
  t.throws(() => parseAwsUri(new URL(`aws://us-east-1/app/?${[1, 2, 3, 4, 5].map((i) => `endpoint=https://e${i}.example`).join('&')}`), {}), { code: 'E_CONFIG' }, 'more than 4');
  t.throws(() => parseAwsUri(new URL('aws://us-east-1/app/?endpoint=https://a.example&endpoint=http://10.0.0.1'), {}), { code: 'E_CONFIG' }, 'every endpoint obeys the plain-http rule');
});

t.test('the endpoint in use goes away: calls continue through the other one', async (t) => {
  ensurePeer('aws');
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const [a, b] = [await proxy(), await proxy()];
  t.teardown(() => b.close());
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
  const prefix = `${uniquePrefix('aws-endpoints')}/`;
  const uri = (...endpoints: string[]) => new URL(`aws://${PEERS.aws.region}/${prefix}?${endpoints.map((e) => `endpoint=${encodeURIComponent(e)}`).join('&')}&${FAST}`);
  const client = (await awsProviderFactory.create(awsProviderFactory.parse(uri(a.endpoint, b.endpoint), process.env), { logger })) as AwsSecretsManagerClient;
  const single = await awsProviderFactory.create(awsProviderFactory.parse(uri(a.endpoint), process.env));
  t.teardown(async () => {
    await client.close();
    await single.close();
  });
  t.equal(client.sdkClients.length, 2, 'one SDK client per endpoint');

  const v1 = plantValue();
  const { version } = await client.put('DB_PASSWORD', Buffer.from(v1));
  t.equal((await single.get('DB_PASSWORD')).version, version, 'both go to the same backend while A is up');

  await a.close();
  const v2 = plantValue();
  const closedAt = Date.now();
  const second = await client.put('DB_PASSWORD', Buffer.from(v2));
  t.comment(`first call after endpoint A went away: ${Date.now() - closedAt} ms (a put: its calls, one refused attempt, the retry on B)`);
  const got = await client.get('DB_PASSWORD');
  t.equal(got.version, second.version);
  t.ok(got.value.equals(Buffer.from(v2)), 'written and read through endpoint B after A went away');
  await t.rejects(single.get('DB_PASSWORD'), ProviderUnavailableError, 'control: a client with only endpoint A fails');
  const moves = lines.filter((l) => l.includes('the next attempt uses another endpoint'));
  t.equal(moves.length, 1, 'the move is logged once');
  t.match(moves[0], /"from":"http:\/\/127\.0\.0\.1:\d+\/?","to":"http:\/\/127\.0\.0\.1:\d+\/?"/);
  t.notOk(lines.join('').includes(v1) || lines.join('').includes(v2), 'no value in the log');
});
