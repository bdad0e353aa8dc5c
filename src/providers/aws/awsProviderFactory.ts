import { ConfigError } from '../../errors/ConfigError';
import type { ProviderClient, ProviderDeps, ProviderFactory } from '../Provider';
import { AwsSecretsManagerClient } from './AwsSecretsManagerClient';
import type { AwsProviderConfig } from './AwsProviderConfig';
import { parseAwsUri } from './parseAwsUri';
import { validateAwsSecretName } from './validateAwsSecretName';

/**
 * The `aws://` provider: AWS Secrets Manager. URI form `aws://<region>/<name-prefix>?endpoint=…&timeoutMs=…&retries=…`
 * (see docs/providers/aws.md). Credentials never come from the URI: the SDK's default chain finds them
 * (environment, AWS_PROFILE, web identity/IRSA, EKS pod identity, instance role). The SDK is loaded in `create`,
 * so services that use other sources never load it.
 *
 * @example
 * ```ts
 * const config = awsProviderFactory.parse(new URL('aws://us-east-1/myapp/prod/'), process.env);
 * const client = await awsProviderFactory.create(config);
 * const { value, version } = await client.get('DB_PASSWORD'); // reads myapp/prod/DB_PASSWORD
 * ```
 */
export const awsProviderFactory: ProviderFactory<AwsProviderConfig> = {
  schemes: ['aws'],
  capabilities: AwsSecretsManagerClient.capabilities,

  parse(uri: URL, env: NodeJS.ProcessEnv): AwsProviderConfig {
    return parseAwsUri(uri, env);
  },

  validateName(name: string, config: AwsProviderConfig): void {
    validateAwsSecretName(name, config.prefix);
  },

  async create(config: AwsProviderConfig, deps: ProviderDeps = {}): Promise<ProviderClient> {
    let sdk: typeof import('@aws-sdk/client-secrets-manager');
    try {
       
      sdk = require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
    } catch (error) {
      throw new ConfigError('The aws:// source needs the package @aws-sdk/client-secrets-manager: install it (npm install @aws-sdk/client-secrets-manager).', {
        cause: error instanceof Error ? new Error(error.message.split('\n')[0]) : undefined,
      });
    }
    const make = (endpoint: string | undefined) =>
      new sdk.SecretsManagerClient({
        region: config.region,
        ...(endpoint !== undefined ? { endpoint } : {}),
        // One attempt per send: withRetry is the only retry policy (timeouts, backoff with full jitter, budgets).
        maxAttempts: 1,
        // The per-attempt timeout is an abort signal from withRetry; this only bounds a hung TCP connect.
        requestHandler: { connectionTimeout: config.timeoutMs },
      });
    // One SDK client per endpoint (an SDK client is bound to one); the first is the URI's first endpoint.
    const [client, ...others] = (config.endpoints ?? [config.endpoint]).map(make);
    return new AwsSecretsManagerClient(config, {
      sdk,
      client: client!,
      ...(others.length > 0 ? { failoverClients: others } : {}),
      ...(deps.logger !== undefined ? { logger: deps.logger } : {}),
    });
  },
};
