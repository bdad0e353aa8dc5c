// Failure behaviour of the AWS provider against real sockets on 127.0.0.1: a closed port, a server that answers
// junk, one that never answers, and a fake endpoint that answers with AWS error shapes real AWS sends but moto
// does not (AccessDenied, Throttling, errors echoing input). No mock of the SDK: every call goes over HTTP.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { plantValue } from '../../helpers/peers';
import { everythingOf, makeAwsClient, recordCalls } from './awsTestClient';

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const VERSION = 'v0000000-0000-4000-8000-000000000001';

interface Reply {
  status: number;
  body: string;
}
type Handler = (operation: string, input: Record<string, unknown>, req: IncomingMessage) => Reply | 'hang';

/** An HTTP server on 127.0.0.1 that answers each AWS JSON call with `handler(operation, input)`. */
async function fakeAws(handler: Handler): Promise<{ endpoint: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      requests.push(operation);
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // keep {}
      }
      const reply = handler(operation, input, req);
      if (reply === 'hang') return void hanging.add(res);
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const awsError = (status: number, type: string, message: string): Reply => ({ status, body: JSON.stringify({ __type: type, message }) });
const ok = (body: Record<string, unknown>): Reply => ({ status: 200, body: JSON.stringify(body) });

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.test('Provider: aws — failure behaviour', async (t) => {
  t.test('a peer that is down: E_PROVIDER_UNAVAILABLE after bounded retries', async (t) => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const client = await makeAwsClient('down/', { endpoint, query: 'timeoutMs=1000&retries=2&backoffMs=20&maxBackoffMs=100&deadlineMs=5000' });
    t.teardown(() => client.close());
    const calls = recordCalls(client);
    const start = Date.now();
    const error = await failureOf(client.get('DB_PASSWORD'));
    const elapsed = Date.now() - start;
    t.equal(codeOf(error), 'E_PROVIDER_UNAVAILABLE');
    t.match((error as Error).message, /GetSecretValue for secret "DB_PASSWORD".*ECONNREFUSED/);
    t.match((error as Error).message, /Gave up after 3 attempt\(s\)/);
    t.equal(calls.length, 3, 'first attempt + 2 retries');
    t.ok(elapsed < 2_000, `bounded in time (${elapsed} ms)`);
    await t.rejects(client.health(), { code: 'E_PROVIDER_UNAVAILABLE' });
    await t.rejects(client.getMany(['A', 'B']), { code: 'E_PROVIDER_UNAVAILABLE' }, 'a whole-call failure is thrown, not spread over names');
    await t.rejects(client.put('A', Buffer.from(plantValue())), { code: 'E_PROVIDER_UNAVAILABLE' });
  });

  t.test('a server that never answers: each attempt times out, the whole call is bounded', async (t) => {
    const fake = await fakeAws(() => 'hang');
    t.teardown(fake.close);
    const client = await makeAwsClient('hang/', { endpoint: fake.endpoint, query: 'timeoutMs=150&retries=1&backoffMs=10&deadlineMs=2000' });
    t.teardown(() => client.close());
    const start = Date.now();
    const error = await failureOf(client.get('X'));
    t.equal(codeOf(error), 'E_PROVIDER_UNAVAILABLE');
    t.match((error as Error).message, /GetSecretValue for secret "X" timed out after 150 ms.*Gave up after 2 attempt/);
    t.equal(fake.requests.length, 2);
    t.ok(Date.now() - start < 1_500);
  });

  t.test("the caller's abort signal stops the call at once, without retries", async (t) => {
    const fake = await fakeAws(() => 'hang');
    t.teardown(fake.close);
    const client = await makeAwsClient('abort/', { endpoint: fake.endpoint, query: 'timeoutMs=5000&retries=3&backoffMs=10' });
    t.teardown(() => client.close());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const start = Date.now();
    await t.rejects(client.get('X', { signal: controller.signal }), { code: 'E_PROVIDER_UNAVAILABLE', message: /aborted by the caller/ });
    t.ok(Date.now() - start < 1_000);
    t.equal(fake.requests.length, 1);
    await t.rejects(client.get('X', { signal: controller.signal }), { code: 'E_PROVIDER_UNAVAILABLE', message: /before it started/ });
    t.equal(fake.requests.length, 1);
  });

  t.test('a garbage HTTP server: typed errors, never its body', async (t) => {
    const plant = plantValue();
    const cases: { label: string; reply: Reply; code: string; requests: number }[] = [
      { label: '200 with HTML', reply: { status: 200, body: `<html>${plant}</html>` }, code: 'E_PROVIDER_RESPONSE', requests: 1 },
      { label: '200 with truncated JSON', reply: { status: 200, body: `{"VersionId":"${VERSION}","SecretString":"${plant}` }, code: 'E_PROVIDER_RESPONSE', requests: 1 },
      { label: '200 with a wrong type', reply: ok({ VersionId: VERSION, SecretString: 5 }), code: 'E_PROVIDER_RESPONSE', requests: 1 },
      { label: '200 without VersionId', reply: ok({ SecretString: plant }), code: 'E_PROVIDER_RESPONSE', requests: 1 },
      { label: '500 with junk', reply: { status: 500, body: `oops ${plant} "` }, code: 'E_PROVIDER_UNAVAILABLE', requests: 3 },
      { label: '502 empty', reply: { status: 502, body: '' }, code: 'E_PROVIDER_UNAVAILABLE', requests: 3 },
      { label: '404 HTML', reply: { status: 404, body: `<h1>${plant}</h1>` }, code: 'E_PROVIDER_RESPONSE', requests: 1 },
    ];
    for (const c of cases) {
      const fake = await fakeAws(() => c.reply);
      const client = await makeAwsClient('junk/', { endpoint: fake.endpoint });
      const error = await failureOf(client.get('X'));
      t.equal(codeOf(error), c.code, c.label);
      t.equal(fake.requests.length, c.requests, `${c.label}: attempts`);
      t.notOk(everythingOf(error).includes(plant), `${c.label}: no body text in the error`);
      await client.close();
      await fake.close();
    }
  });

  t.test('AWS error shapes moto never sends map to typed errors', async (t) => {
    const cases: { reply: Reply; code: string; requests: number; message: RegExp }[] = [
      { reply: awsError(400, 'AccessDeniedException', 'User is not authorized'), code: 'E_PROVIDER_AUTH', requests: 1, message: /AccessDeniedException, HTTP 400.*IAM policy allows secretsmanager:GetSecretValue/ },
      { reply: awsError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'), code: 'E_PROVIDER_AUTH', requests: 1, message: /credentials/ },
      { reply: awsError(400, 'ExpiredTokenException', 'The security token included in the request is expired'), code: 'E_PROVIDER_AUTH', requests: 1, message: /ExpiredToken/ },
      { reply: awsError(403, 'InvalidSignatureException', 'Signature expired'), code: 'E_PROVIDER_AUTH', requests: 1, message: /InvalidSignature/ },
      { reply: awsError(400, 'DecryptionFailure', 'KMS access denied'), code: 'E_PROVIDER_AUTH', requests: 1, message: /kms:Decrypt/ },
      { reply: awsError(400, 'ThrottlingException', 'Rate exceeded'), code: 'E_PROVIDER_UNAVAILABLE', requests: 3, message: /ThrottlingException/ },
      { reply: awsError(500, 'InternalServiceError', 'boom'), code: 'E_PROVIDER_UNAVAILABLE', requests: 3, message: /InternalServiceError, HTTP 500/ },
      { reply: awsError(400, 'InvalidParameterException', 'You provided an invalid value for a parameter.'), code: 'E_PROVIDER_RESPONSE', requests: 1, message: /InvalidParameterException/ },
      { reply: awsError(400, 'ValidationException', 'Invalid name. Must be a valid name containing alphanumeric characters'), code: 'E_INVALID_NAME', requests: 1, message: /rename/ },
      {
        reply: awsError(400, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion."),
        code: 'E_NOT_FOUND',
        requests: 1,
        message: /scheduled for deletion/,
      },
    ];
    for (const c of cases) {
      const fake = await fakeAws(() => c.reply);
      const client = await makeAwsClient('shapes/', { endpoint: fake.endpoint });
      const error = await failureOf(client.get('X'));
      t.equal(codeOf(error), c.code, c.reply.body);
      t.match((error as Error).message, c.message);
      t.equal(fake.requests.length, c.requests, `${c.reply.body}: attempts`);
      await client.close();
      await fake.close();
    }
  });

  t.test('a write whose error echoes the input never shows the value', async (t) => {
    const plant = plantValue();
    const fake = await fakeAws((operation, input) =>
      operation === 'PutSecretValue'
        ? awsError(400, 'ValidationException', `1 validation error: Value '${String(input.SecretString)}' at 'secretString' failed to satisfy constraint`)
        : awsError(400, 'InternalFailureX', 'no'),
    );
    t.teardown(fake.close);
    const client = await makeAwsClient('echo/', { endpoint: fake.endpoint });
    t.teardown(() => client.close());
    const error = await failureOf(client.put('X', Buffer.from(plant)));
    t.equal(codeOf(error), 'E_PROVIDER_RESPONSE');
    t.match((error as Error).message, /PutSecretValue for secret "X" failed \(ValidationException, HTTP 400\)/);
    t.notOk(everythingOf(error).includes(plant));
  });

  t.test('a write to a secret scheduled for deletion is E_CONFLICT (what real AWS answers)', async (t) => {
    const fake = await fakeAws(() => awsError(400, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion."));
    t.teardown(fake.close);
    const client = await makeAwsClient('sched/', { endpoint: fake.endpoint });
    t.teardown(() => client.close());
    await t.rejects(client.put('X', Buffer.from(plantValue())), { code: 'E_CONFLICT', message: /RestoreSecret/ });
    await client.delete('X');
    t.same(fake.requests, ['PutSecretValue', 'DeleteSecret'], 'deleting an already scheduled secret is a quiet no-op');
  });

  t.test('throttling that passes: the retry succeeds', async (t) => {
    let n = 0;
    const fake = await fakeAws(() => (++n < 3 ? awsError(400, 'ThrottlingException', 'Rate exceeded') : ok({ VersionId: VERSION, SecretString: 'v', VersionStages: ['AWSCURRENT'] })));
    t.teardown(fake.close);
    const client = await makeAwsClient('throttle/', { endpoint: fake.endpoint });
    t.teardown(() => client.close());
    const got = await client.get('X');
    t.equal(got.value.toString(), 'v');
    t.equal(got.version, VERSION);
    t.equal(fake.requests.length, 3);
  });

  t.test('getMany when IAM denies BatchGetSecretValue: falls back to GetSecretValue, once decided', async (t) => {
    const fake = await fakeAws((operation, input) => {
      if (operation === 'BatchGetSecretValue') return awsError(400, 'AccessDeniedException', 'not allowed: secretsmanager:BatchGetSecretValue');
      const id = String(input.SecretId);
      if (id.endsWith('MISSING')) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return ok({ Name: id, VersionId: VERSION, SecretString: `value of ${id}`, VersionStages: ['AWSCURRENT'] });
    });
    t.teardown(fake.close);
    const client = await makeAwsClient('deny/', { endpoint: fake.endpoint });
    t.teardown(() => client.close());
    const first = await client.getMany(['A', 'B', 'MISSING']);
    t.equal(first.found.get('A')?.value.toString(), 'value of deny/A');
    t.equal(codeOf(first.errors.get('MISSING')), 'E_NOT_FOUND');
    t.same(fake.requests.filter((r) => r === 'BatchGetSecretValue').length, 1);
    await client.getMany(['A']);
    t.same(fake.requests.filter((r) => r === 'BatchGetSecretValue').length, 1, 'no second batch attempt');
  });

  t.test('getMany: per-secret throttling gets its own retried read; pages are followed; an endless NextToken is refused', async (t) => {
    const fake = await fakeAws((operation, input) => {
      if (operation === 'GetSecretValue') return ok({ Name: input.SecretId, VersionId: VERSION, SecretString: 'retried', VersionStages: ['AWSCURRENT'] });
      const ids = input.SecretIdList as string[];
      if (ids.includes('loop/LOOP')) return ok({ SecretValues: [], Errors: [], NextToken: 'same' });
      const entry = (id: string) => ({ Name: id, VersionId: VERSION, SecretString: `v:${id}`, VersionStages: ['AWSCURRENT'] });
      if (input.NextToken === undefined) {
        return ok({ SecretValues: [entry(ids[0]!)], Errors: [{ SecretId: ids[1], ErrorCode: 'ThrottlingException', Message: 'slow down' }], NextToken: 'page2' });
      }
      return ok({ SecretValues: ids.slice(2).map(entry), Errors: [] });
    });
    t.teardown(fake.close);
    const client = await makeAwsClient('loop/', { endpoint: fake.endpoint });
    t.teardown(() => client.close());
    const result = await client.getMany(['A', 'B', 'C', 'D']);
    t.same([...result.found.keys()].sort(), ['A', 'B', 'C', 'D']);
    t.equal(result.found.get('B')?.value.toString(), 'retried');
    t.equal(result.found.get('C')?.value.toString(), 'v:loop/C');
    t.same(fake.requests, ['BatchGetSecretValue', 'BatchGetSecretValue', 'GetSecretValue']);
    await t.rejects(client.getMany(['LOOP', 'A']), { code: 'E_PROVIDER_RESPONSE', message: /NextToken/ });
  });

  t.test('no credentials anywhere: E_PROVIDER_AUTH naming the credential chain', async (t) => {
    const fake = await fakeAws(() => ok({}));
    t.teardown(fake.close);
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, files: [process.env.AWS_SHARED_CREDENTIALS_FILE, process.env.AWS_CONFIG_FILE] };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    t.teardown(() => {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      for (const [key, value] of [['AWS_SHARED_CREDENTIALS_FILE', saved.files[0]], ['AWS_CONFIG_FILE', saved.files[1]]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    const client = await makeAwsClient('nocreds/', { endpoint: fake.endpoint, query: 'timeoutMs=3000&retries=0' });
    t.teardown(() => client.close());
    const error = await failureOf(client.get('X'));
    t.equal(codeOf(error), 'E_PROVIDER_AUTH');
    t.match((error as Error).message, /CredentialsProviderError.*web identity\/IRSA/);
    t.equal(fake.requests.length, 0, 'nothing was sent unsigned');
  });
});
