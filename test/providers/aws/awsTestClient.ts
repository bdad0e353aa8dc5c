// Helpers for the AWS provider tests: clients against the moto peer (or any local endpoint) with short retry
// budgets, and a call recorder on the SDK middleware stack. The recorder keeps command names and id counts only,
// never inputs (a PutSecretValue input holds a value).
import { randomBytes } from 'node:crypto';
import { AwsSecretsManagerClient } from '../../../src/providers/aws/AwsSecretsManagerClient';
import { awsProviderFactory } from '../../../src/providers/aws/awsProviderFactory';
import { PEERS } from '../../helpers/peers';

// moto takes any credentials; the SDK default chain reads them from the environment. No IMDS probing in tests.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;

/** Short budgets so failure tests finish in well under a second per case. */
export const FAST = 'timeoutMs=2000&retries=2&backoffMs=10&maxBackoffMs=50&deadlineMs=8000';

/** A client for `aws://us-east-1/<prefix>` at `endpoint` (default: the moto peer). */
export async function makeAwsClient(prefix: string, options: { endpoint?: string; query?: string } = {}): Promise<AwsSecretsManagerClient> {
  const endpoint = options.endpoint ?? PEERS.aws.endpoint;
  const query = `endpoint=${encodeURIComponent(endpoint)}&${options.query ?? FAST}`;
  const uri = new URL(`aws://${PEERS.aws.region}/${prefix}?${query}`);
  const client = await awsProviderFactory.create(awsProviderFactory.parse(uri, process.env));
  if (!(client instanceof AwsSecretsManagerClient)) throw new Error('the aws factory made something else');
  return client;
}

export interface RecordedCall {
  command: string;
  /** Number of ids of a BatchGetSecretValue call. */
  ids?: number;
}

/** Record every SDK send (each attempt) of a client. */
export function recordCalls(client: AwsSecretsManagerClient): RecordedCall[] {
  const calls: RecordedCall[] = [];
  client.sdkClient.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { SecretIdList?: unknown[] };
      const call: RecordedCall = { command: String(context.commandName) };
      if (Array.isArray(input.SecretIdList)) call.ids = input.SecretIdList.length;
      calls.push(call);
      return next(args);
    },
    { step: 'initialize', name: `recordCalls-${randomBytes(4).toString('hex')}` },
  );
  return calls;
}

/** Everything an error shows: message, JSON, inspect-ish string and its cause, for leak checks. */
export function everythingOf(error: unknown): string {
  const e = error as { message?: unknown; cause?: unknown; stack?: unknown };
  return [String(e?.message), JSON.stringify(error), String(error), String(e?.stack), String((e?.cause as Error | undefined)?.message), JSON.stringify(e?.cause)].join('\n');
}
