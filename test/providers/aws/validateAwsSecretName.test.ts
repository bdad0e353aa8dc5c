import t from 'tap';
import { validateAwsSecretName } from '../../../src/providers/aws/validateAwsSecretName';

t.test('Function: validateAwsSecretName', async (t) => {
  t.test('returns <prefix><name> for names AWS accepts', async (t) => {
    const cases: [string, string, string][] = [
      ['DB_PASSWORD', 'app/prod/', 'app/prod/DB_PASSWORD'],
      ['a/b/c', '', 'a/b/c'],
      ['x+y=z.w@v-u', 'p-', 'p-x+y=z.w@v-u'],
      ['db-pass', '', 'db-pass'],
      ['db-passwd1', '', 'db-passwd1'],
      ['n'.repeat(512), '', 'n'.repeat(512)],
    ];
    for (const [name, prefix, full] of cases) t.equal(validateAwsSecretName(name, prefix), full, name.slice(0, 40));
  });

  t.test('refuses the rest with E_INVALID_NAME saying why and stating the rule', async (t) => {
    const cases: [string, string, RegExp][] = [
      ['', '', /empty/],
      ['a b', '', /character outside/],
      ['naïve', '', /character outside/],
      ['a\nb', '', /character outside/],
      ['semi;colon', '', /character outside/],
      ['/abs', '', /empty segment/],
      ['dir/', '', /empty segment/],
      ['a//b', '', /empty segment/],
      ['api-secret', '', /ends in "-" followed by 6 characters/],
      ['x-AbC123', '', /ends in "-" followed by 6/],
      ['n'.repeat(500), 'p'.repeat(13), /513 characters/],
    ];
    for (const [name, prefix, reason] of cases) {
      t.throws(() => validateAwsSecretName(name, prefix), { code: 'E_INVALID_NAME', message: reason }, JSON.stringify(name.slice(0, 20)));
      t.throws(() => validateAwsSecretName(name, prefix), { message: /1-512 ASCII letters, digits and the characters \/_\+=\.@-.*Rename the secret/ });
    }
    t.throws(() => validateAwsSecretName('x'.repeat(300) + ' ', ''), { message: /"x{80}…"/ }, 'a long name is cut in the message');
  });
});
