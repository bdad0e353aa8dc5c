import t from 'tap';
import { parseAwsUri } from '../../../src/providers/aws/parseAwsUri';

t.test('Function: parseAwsUri', async (t) => {
  t.test('reads region, prefix and settings', async (t) => {
    const cases: { uri: string; env?: NodeJS.ProcessEnv; expect: Record<string, unknown> }[] = [
      { uri: 'aws://us-east-1/myapp/prod/', expect: { region: 'us-east-1', prefix: 'myapp/prod/', timeoutMs: 5000, retries: 4, recoveryWindowDays: 7 } },
      { uri: 'aws://eu-central-2', expect: { region: 'eu-central-2', prefix: '' } },
      { uri: 'aws://us-gov-west-1/app-', expect: { region: 'us-gov-west-1', prefix: 'app-' } },
      { uri: 'aws:///app/', env: { AWS_REGION: 'ap-southeast-4' }, expect: { region: 'ap-southeast-4', prefix: 'app/' } },
      { uri: 'aws:///app/', env: { AWS_DEFAULT_REGION: 'ca-central-1' }, expect: { region: 'ca-central-1' } },
      { uri: 'aws://US-EAST-1/a/', expect: { region: 'us-east-1' } },
      {
        uri: 'aws://us-east-1/a/?endpoint=http://127.0.0.1:5000&timeoutMs=250&retries=0&deadlineMs=1000&backoffMs=5&maxBackoffMs=20&recoveryWindowDays=30',
        expect: { endpoint: 'http://127.0.0.1:5000', timeoutMs: 250, retries: 0, deadlineMs: 1000, backoffMs: 5, maxBackoffMs: 20, recoveryWindowDays: 30 },
      },
      { uri: 'aws://us-east-1/a/?endpoint=https://vpce-1.secretsmanager.us-east-1.vpce.amazonaws.com', expect: { endpoint: 'https://vpce-1.secretsmanager.us-east-1.vpce.amazonaws.com' } },
      { uri: 'aws://us-east-1/a/?endpoint=http://moto:5000&allowHttp=true', expect: { endpoint: 'http://moto:5000' } },
      { uri: 'aws://us-east-1/a%40b/', expect: { prefix: 'a@b/' } },
    ];
    for (const c of cases) t.match(parseAwsUri(new URL(c.uri), c.env ?? {}), c.expect, c.uri);
  });

  t.test('refuses what it cannot use, naming the part and never the password', async (t) => {
    const cases: { uri: string; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
      { uri: 'aws://AKIAEXAMPLE:hunter2pass@us-east-1/app/', message: /must not contain credentials.*default credential chain/ },
      { uri: 'aws://user@us-east-1/app/', message: /must not contain credentials/ },
      { uri: 'aws://us-east-1:443/app/', message: /port/ },
      { uri: 'aws:///app/', message: /No AWS region/ },
      { uri: 'aws://useast1/app/', message: /not an AWS region/ },
      { uri: 'aws://us-east-1/app/?region=x', message: /Unknown parameter "region"/ },
      { uri: 'aws://us-east-1/app/?timeoutMs=fast', message: /timeoutMs.*whole number/ },
      { uri: 'aws://us-east-1/app/?retries=99', message: /retries.*0 to 10/ },
      { uri: 'aws://us-east-1/app/?recoveryWindowDays=3', message: /recoveryWindowDays/ },
      { uri: 'aws://us-east-1/app/?allowHttp=maybe', message: /allowHttp/ },
      { uri: 'aws://us-east-1/app/?endpoint=not%20a%20url', message: /endpoint.*not a URL/ },
      { uri: 'aws://us-east-1/app/?endpoint=ftp://x', message: /http\(s\)/ },
      { uri: 'aws://us-east-1/app/?endpoint=http://u:p@127.0.0.1:5000', message: /endpoint.*credentials/ },
      { uri: 'aws://us-east-1/app/?endpoint=http://sm.internal:80', message: /plain http.*allowHttp=true/ },
      { uri: 'aws://us-east-1/app/#frag', message: /fragment/ },
      { uri: 'aws://us-east-1/sp%20ace/', message: /prefix.*may only contain/ },
      { uri: 'aws://us-east-1/%E0%A4%A/', message: /percent-encoding/ },
      { uri: 'vault://us-east-1/app/', message: /must start with "aws:\/\/"/ },
    ];
    for (const c of cases) {
      const error = (() => {
        try {
          parseAwsUri(new URL(c.uri), c.env ?? {});
        } catch (e) {
          return e as Error & { code?: string };
        }
        return undefined;
      })();
      t.equal(error?.code, 'E_CONFIG', c.uri);
      t.match(error?.message, c.message, c.uri);
      t.notOk(error?.message.includes('hunter2pass'), 'no password in the message');
    }
    t.throws(() => parseAwsUri(new URL(`aws://us-east-1/${'p'.repeat(501)}`), {}), { code: 'E_CONFIG', message: /501 characters/ });
  });
});
