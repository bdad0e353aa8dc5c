import t, { type Test } from 'tap';
import { isValidSecretName, isValidTenantId, validateSecretName, validateTenantId } from '../../src/access';
import { InvalidSecretNameError, isSecretsError } from '../../src/errors';

interface HostileCase {
  name: string;
  input: unknown;
  /** Fragment of the rule each validator must name. */
  tenantRule: RegExp;
  nameRule: RegExp;
}

const HOSTILE: HostileCase[] = [
  { name: 'empty', input: '', tenantRule: /is empty/, nameRule: /is empty/ },
  { name: 'parent traversal', input: '..', tenantRule: /"\.\."/, nameRule: /"\.\."/ },
  { name: 'traversal with separator', input: '../etc/passwd', tenantRule: /path separator/, nameRule: /path separator/ },
  { name: 'traversal inside', input: 'a..b', tenantRule: /"\.\."/, nameRule: /"\.\."/ },
  { name: 'forward slash', input: 'acme/prod', tenantRule: /path separator at position 5/, nameRule: /path separator at position 5/ },
  { name: 'backslash', input: 'acme\\prod', tenantRule: /path separator/, nameRule: /path separator/ },
  { name: 'percent-encoded dots', input: '%2e%2e', tenantRule: /outside \[A-Za-z0-9_-\] at position 1/, nameRule: /outside \[A-Za-z0-9_\.-\] at position 1/ },
  { name: 'percent-encoded traversal', input: '%2e%2e%2fetc', tenantRule: /outside/, nameRule: /outside/ },
  { name: 'double-encoded slash', input: 'a%252fb', tenantRule: /outside/, nameRule: /outside/ },
  { name: 'NUL byte', input: 'acme\u0000.txt', tenantRule: /control character at position 5/, nameRule: /control character at position 5/ },
  { name: 'newline (log injection)', input: 'acme\n{"forged":true}', tenantRule: /control character/, nameRule: /control character/ },
  { name: 'DEL', input: 'a\u007fb', tenantRule: /control character/, nameRule: /control character/ },
  { name: 'RTL override', input: 'acme\u202egnp.exe', tenantRule: /non-ASCII/, nameRule: /non-ASCII/ },
  { name: 'Cyrillic a look-alike', input: '\u0430cme', tenantRule: /non-ASCII character at position 1/, nameRule: /non-ASCII character at position 1/ },
  { name: 'fullwidth letters', input: '\uff33ECRET', tenantRule: /non-ASCII/, nameRule: /non-ASCII/ },
  { name: 'zero-width space', input: 'ac\u200bme', tenantRule: /non-ASCII/, nameRule: /non-ASCII/ },
  { name: 'combining accent', input: 'e\u0301', tenantRule: /non-ASCII/, nameRule: /non-ASCII/ },
  { name: 'space', input: 'ac me', tenantRule: /outside/, nameRule: /outside/ },
  { name: 'leading dot', input: '.env', tenantRule: /starts with/, nameRule: /starts with/ },
  { name: 'leading dash (option injection)', input: '-rf', tenantRule: /starts with/, nameRule: /starts with/ },
  { name: 'very long', input: 'a'.repeat(10_000), tenantRule: /longer than 64/, nameRule: /longer than 128/ },
  { name: 'not a string', input: 42, tenantRule: /must be a string, got number/, nameRule: /must be a string, got number/ },
  { name: 'null', input: null, tenantRule: /got null/, nameRule: /got null/ },
];

function assertRejects(t: Test, validate: (v: unknown) => string, input: unknown, rule: RegExp): void {
  try {
    validate(input);
    t.fail('accepted a hostile input');
  } catch (error) {
    t.ok(error instanceof InvalidSecretNameError && isSecretsError(error), 'throws InvalidSecretNameError');
    const e = error as InvalidSecretNameError;
    t.equal(e.code, 'E_INVALID_NAME');
    t.match(e.message, rule);
    if (typeof input === 'string' && input.length > 2) t.notOk(e.message.includes(input), 'the message does not quote the input');
    t.notOk(/[^ -~]/.test(e.message), 'the message is plain ASCII');
  }
}

t.test('Function: validateTenantId', async (t) => {
  t.test('accepts ids made of letters, digits, _ and -', async (t) => {
    for (const id of ['acme', 'acme-eu', 'ACME_2', '_internal', '0', 'a'.repeat(64)]) {
      t.equal(validateTenantId(id), id);
      t.ok(isValidTenantId(id));
    }
  });
  t.test('rejects a dot, which the tenant alphabet does not have', async (t) => {
    assertRejects(t, validateTenantId, 'acme.eu', /outside \[A-Za-z0-9_-\] at position 5/);
    t.notOk(isValidTenantId('acme.eu'));
  });
  for (const c of HOSTILE) {
    t.test(`rejects ${c.name}`, async (t) => {
      assertRejects(t, validateTenantId, c.input, c.tenantRule);
      t.notOk(isValidTenantId(c.input));
    });
  }
  t.test('accepts exactly 64 characters and rejects 65', async (t) => {
    t.ok(isValidTenantId('a'.repeat(64)));
    assertRejects(t, validateTenantId, 'a'.repeat(65), /longer than 64 characters \(65\)/);
  });
});

t.test('Function: validateSecretName', async (t) => {
  t.test('accepts names made of letters, digits, _ . and -', async (t) => {
    for (const name of ['STRIPE_KEY', 'db.password', 'api-token', '_x', '9', 'a.b.c', 'A'.repeat(128)]) {
      t.equal(validateSecretName(name), name);
      t.ok(isValidSecretName(name));
    }
  });
  for (const c of HOSTILE) {
    t.test(`rejects ${c.name}`, async (t) => {
      assertRejects(t, validateSecretName, c.input, c.nameRule);
      t.notOk(isValidSecretName(c.input));
    });
  }
  t.test('accepts exactly 128 characters and rejects 129', async (t) => {
    t.ok(isValidSecretName('a'.repeat(128)));
    assertRejects(t, validateSecretName, 'a'.repeat(129), /longer than 128 characters/);
  });
});
