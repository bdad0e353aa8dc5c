/**
 * Parsed settings of one `aws://` source. Built by {@link awsProviderFactory}'s `parse` from a URI such as
 * `aws://us-east-1/myapp/prod/?timeoutMs=3000`; never holds credentials (the SDK's default chain finds them).
 *
 * @example
 * ```ts
 * const config = awsProviderFactory.parse(new URL('aws://eu-west-1/app/'), process.env);
 * config.prefix; // 'app/'
 * ```
 */
export interface AwsProviderConfig {
  /** AWS region, e.g. `us-east-1`; from the URI host, else AWS_REGION / AWS_DEFAULT_REGION. */
  region: string;
  /** Prepended to every logical name to form the Secrets Manager name, e.g. `myapp/prod/`; `''` for none. */
  prefix: string;
  /** Endpoint override (VPC endpoint, FIPS endpoint, moto); default: the SDK resolves it for the region. */
  endpoint?: string;
  /**
   * Every endpoint when the URI gives `endpoint=` more than once (`endpoint` first): other ways to the same
   * Secrets Manager (e.g. a VPC endpoint and the regional one), tried in turn when one is unavailable.
   */
  endpoints?: string[];
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Attempts after the first, for network errors, timeouts, 5xx and throttling. */
  retries: number;
  /** Overall budget of one operation across all its attempts, ms. */
  deadlineMs: number;
  /** Base delay of the exponential backoff (full jitter), ms. */
  backoffMs: number;
  /** Cap of one backoff delay, ms. */
  maxBackoffMs: number;
  /** Recovery window of a non-permanent delete, days (AWS allows 7-30). */
  recoveryWindowDays: number;
  /**
   * How getMany reads: `auto` (default) batches (BatchGetSecretValue, 20 secrets a call) until a batch call is
   * throttled, then reads one secret a call (GetSecretValue) for 5 minutes; `batch` always batches; `single`
   * never does. See the README's fleet settings.
   */
  readMode?: 'auto' | 'batch' | 'single';
}
