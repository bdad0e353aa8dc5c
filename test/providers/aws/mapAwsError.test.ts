import t from 'tap';
import { ConfigError } from '../../../src/errors/ConfigError';
import { mapAwsError, type MapAwsErrorOptions } from '../../../src/providers/aws/mapAwsError';

const read: MapAwsErrorOptions = { operation: 'GetSecretValue', name: 'DB', region: 'us-east-1', prefix: 'app/', mode: 'read' };
const write: MapAwsErrorOptions = { ...read, operation: 'PutSecretValue', mode: 'write', carriesValue: true };

function sdkError(name: string, status: number | undefined, message: string, extra: Record<string, unknown> = {}): Error {
  const e = Object.assign(new Error(message), { $fault: status !== undefined && status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' }, ...extra });
  e.name = name;
  return e;
}

t.test('Function: mapAwsError', async (t) => {
  t.test('maps each AWS failure kind to one typed error', async (t) => {
    const cases: [string, unknown, MapAwsErrorOptions, string][] = [
      ['not found', sdkError('ResourceNotFoundException', 400, "can't find"), read, 'E_NOT_FOUND'],
      ['access denied', sdkError('AccessDeniedException', 400, 'no'), read, 'E_PROVIDER_AUTH'],
      ['bad key id', sdkError('UnrecognizedClientException', 400, 'bad'), read, 'E_PROVIDER_AUTH'],
      ['expired', sdkError('ExpiredTokenException', 400, 'old'), read, 'E_PROVIDER_AUTH'],
      ['signature', sdkError('InvalidSignatureException', 403, 'sig'), read, 'E_PROVIDER_AUTH'],
      ['no credentials', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), read, 'E_PROVIDER_AUTH'],
      ['any 403', sdkError('SomethingNew', 403, 'x'), read, 'E_PROVIDER_AUTH'],
      ['kms', sdkError('DecryptionFailure', 400, 'kms'), read, 'E_PROVIDER_AUTH'],
      ['throttling', sdkError('ThrottlingException', 400, 'slow'), read, 'E_PROVIDER_UNAVAILABLE'],
      ['429', sdkError('TooManyRequests', 429, 'slow'), read, 'E_PROVIDER_UNAVAILABLE'],
      ['5xx', sdkError('InternalServiceError', 500, 'boom'), read, 'E_PROVIDER_UNAVAILABLE'],
      ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), read, 'E_PROVIDER_UNAVAILABLE'],
      ['timed out', Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), read, 'E_PROVIDER_UNAVAILABLE'],
      ['abort', Object.assign(new Error('Request aborted'), { name: 'AbortError' }), read, 'E_PROVIDER_UNAVAILABLE'],
      ['sdk timeout', Object.assign(new Error('t'), { name: 'TimeoutError' }), read, 'E_PROVIDER_UNAVAILABLE'],
      ['exists', sdkError('ResourceExistsException', 400, 'exists'), write, 'E_CONFLICT'],
      ['deleted (read)', sdkError('InvalidRequestException', 400, 'it was marked for deletion.'), read, 'E_NOT_FOUND'],
      ['deleted (write)', sdkError('InvalidRequestException', 400, 'it was marked for deletion.'), write, 'E_CONFLICT'],
      ['other invalid request', sdkError('InvalidRequestException', 400, 'nope'), read, 'E_PROVIDER_RESPONSE'],
      ['invalid name', sdkError('ValidationException', 400, 'Invalid name. Must be ...'), read, 'E_INVALID_NAME'],
      ['invalid parameter', sdkError('InvalidParameterException', 400, 'bad VersionId'), read, 'E_PROVIDER_RESPONSE'],
      ['quota', sdkError('LimitExceededException', 400, 'too many'), write, 'E_PROVIDER_RESPONSE'],
      ['junk 200', Object.assign(new SyntaxError('Unexpected token'), { $metadata: { httpStatusCode: 200 } }), read, 'E_PROVIDER_RESPONSE'],
      ['junk 503', Object.assign(new SyntaxError('Unexpected token'), { $metadata: { httpStatusCode: 503 } }), read, 'E_PROVIDER_UNAVAILABLE'],
      ['not an error', 'a string', read, 'E_PROVIDER_RESPONSE'],
      ['batch entry', { name: 'ResourceNotFoundException', message: 'gone', $fault: 'client' }, { ...read, operation: 'BatchGetSecretValue' }, 'E_NOT_FOUND'],
    ];
    for (const [label, error, options, code] of cases) t.equal(mapAwsError(error, options).code, code, label);
  });

  t.test('messages name the operation, secret, AWS error and status, and say what to do', async (t) => {
    const e = mapAwsError(sdkError('AccessDeniedException', 400, 'User: arn:aws:iam::1:user/x is not authorized'), read);
    t.match(e.message, /^AWS Secrets Manager GetSecretValue for secret "DB" failed \(AccessDeniedException, HTTP 400\): User: arn/);
    t.match(e.message, /secretsmanager:GetSecretValue.*region us-east-1, name prefix "app\/"/);
    t.equal(e.name, 'ProviderAuthError');
    t.equal((e.cause as Error).name, 'AccessDeniedException');
    t.match((e.cause as Error).message, /HTTP 400.*req-1/);
  });

  t.test('keeps no backend text of a request that carried a value, nor of a parse error', async (t) => {
    const echoed = mapAwsError(sdkError('ValidationException', 400, "Value 'PLANTxyz' at 'secretString' failed"), write);
    t.notMatch(echoed.message, /PLANTxyz/);
    const parsed = mapAwsError(Object.assign(new SyntaxError('Unexpected token in "PLANTabc"'), { $metadata: { httpStatusCode: 200 } }), read);
    t.notMatch(parsed.message, /PLANTabc/);
    const sanitized = mapAwsError(sdkError('InvalidParameterException', 400, 'token=abcdef123456 was bad'), read);
    t.notMatch(sanitized.message, /abcdef123456/);
    t.notOk(JSON.stringify(echoed).includes('PLANT'));
  });

  t.test('passes our own errors through', async (t) => {
    const own = new ConfigError('x');
    t.equal(mapAwsError(own, read), own);
  });
});
