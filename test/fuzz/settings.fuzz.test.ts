// Fuzzing settings and source URIs: any input gives a result or a typed ConfigError; credentials never echoed.
import fc from 'fast-check';
import t from 'tap';
import { isSecretsError } from '../../src/errors/SecretsError';
import { readSettings } from '../../src/preload/settings';
import { parseSources } from '../../src/sources/parseSources';

t.test('parseSources and readSettings never crash and never echo credentials', async (t) => {
  const uriPart = fc.oneof(
    fc.string(),
    fc.constantFrom('file://', 'env:', 'aws://', 'vault://', 'azure://', 'openbao://', '/', '|', ',', '?prefix=', '%00', '..', '@'),
  );
  const source = fc.array(uriPart, { maxLength: 8 }).map((p) => p.join(''));
  let n = 0;
  fc.assert(
    fc.property(source, fc.string(), (value, secret) => {
      n++;
      for (const input of [value, `vault://user:${secret}X9@host/${value}`]) {
        try {
          parseSources(input);
        } catch (error) {
          if (!isSecretsError(error) || error.code !== 'E_CONFIG') throw error;
          if (secret.length > 3 && error.message.includes(`${secret}X9`)) throw new Error('credential echoed');
        }
      }
    }),
    { numRuns: 10000 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('SECRETS_SOURCE', 'SECRETS_SCHEMA', 'NODE_ENV', 'SECRETS_MAX_FILE_BYTES', 'SECRETS_WATCH', 'SECRETS_POLL_MS', 'SECRETS_REQUIRE_MLOCK'), fc.string()), (env) => {
      n++;
      try {
        readSettings(env);
      } catch (error) {
        if (!isSecretsError(error) || !['E_CONFIG', 'E_ENV_IN_PRODUCTION'].includes(error.code)) throw error;
      }
    }),
    { numRuns: 10000 },
  );
  t.ok(n >= 20000, `${n} random settings and URIs`);
});
