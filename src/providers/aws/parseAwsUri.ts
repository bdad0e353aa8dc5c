import { ConfigError } from '../../errors/ConfigError';
import type { AwsProviderConfig } from './AwsProviderConfig';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PREFIX_CHARS = /^[A-Za-z0-9/_+=.@-]*$/;
const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|\[::1\])$/i;

type IntKey = 'timeoutMs' | 'retries' | 'deadlineMs' | 'backoffMs' | 'maxBackoffMs' | 'recoveryWindowDays';

interface IntSetting {
  key: IntKey;
  min: number;
  max: number;
  fallback: number;
}

const INT_SETTINGS: readonly IntSetting[] = [
  { key: 'timeoutMs', min: 1, max: 300_000, fallback: 5_000 },
  { key: 'retries', min: 0, max: 10, fallback: 4 },
  { key: 'deadlineMs', min: 1, max: 3_600_000, fallback: 20_000 },
  { key: 'backoffMs', min: 0, max: 60_000, fallback: 100 },
  { key: 'maxBackoffMs', min: 0, max: 300_000, fallback: 2_000 },
  { key: 'recoveryWindowDays', min: 7, max: 30, fallback: 7 },
];

const KNOWN_PARAMS = ['endpoint', 'allowHttp', 'read', ...INT_SETTINGS.map((s) => s.key)];
const READ_MODES = ['auto', 'batch', 'single'] as const;

/**
 * Parse and validate an `aws://<region>/<name-prefix>?endpoint=…&timeoutMs=…&retries=…` URI.
 * Refuses credentials in the URI, unknown parameters, malformed numbers and plain-HTTP endpoints off loopback
 * (unless `allowHttp=true`). Messages name the bad part and never repeat the URI (it may hold a password).
 *
 * @example
 * ```ts
 * parseAwsUri(new URL('aws://us-east-1/myapp/prod/'), process.env).prefix; // 'myapp/prod/'
 * parseAwsUri(new URL('aws:///myapp/'), { AWS_REGION: 'eu-west-1' }).region; // 'eu-west-1'
 * ```
 */
export function parseAwsUri(uri: URL, env: NodeJS.ProcessEnv): AwsProviderConfig {
  if (uri.protocol !== 'aws:') throw new ConfigError(`An AWS source URI must start with "aws://"; got scheme "${uri.protocol}".`);
  if (uri.username !== '' || uri.password !== '') {
    throw new ConfigError(
      'The aws:// source URI must not contain credentials (user:password@). Remove them: the AWS provider uses the SDK default ' +
        'credential chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity/IRSA, EKS pod identity, instance role).',
    );
  }
  if (uri.port !== '') throw new ConfigError('The aws:// source URI must not have a port: its host part is the region, e.g. aws://us-east-1/app/.');
  if (uri.hash !== '') throw new ConfigError('The aws:// source URI must not have a #fragment.');

  const host = decode(uri.hostname, 'region').toLowerCase();
  const region = host !== '' ? host : (env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '');
  if (region === '') {
    throw new ConfigError('No AWS region: put it in the source URI (aws://us-east-1/prefix/) or set AWS_REGION.');
  }
  if (!REGION.test(region)) throw new ConfigError(`"${region.slice(0, 40)}" is not an AWS region name (expected a form like us-east-1).`);

  const prefix = decode(uri.pathname.replace(/^\//, ''), 'name prefix');
  if (!PREFIX_CHARS.test(prefix)) {
    throw new ConfigError('The name prefix in the aws:// source URI may only contain ASCII letters, digits and /_+=.@- (the AWS Secrets Manager name characters).');
  }
  if (prefix.length > 500) throw new ConfigError(`The name prefix in the aws:// source URI is ${prefix.length} characters long; AWS names are at most 512, so keep it under 500.`);

  for (const key of uri.searchParams.keys()) {
    if (!KNOWN_PARAMS.includes(key)) {
      throw new ConfigError(`Unknown parameter "${key.slice(0, 40)}" in the aws:// source URI. Known: ${KNOWN_PARAMS.join(', ')}.`);
    }
  }

  const config: AwsProviderConfig = {
    region,
    prefix,
    timeoutMs: 0,
    retries: 0,
    deadlineMs: 0,
    backoffMs: 0,
    maxBackoffMs: 0,
    recoveryWindowDays: 0,
  };
  for (const setting of INT_SETTINGS) {
    config[setting.key] = readInt(uri.searchParams, setting);
  }
  const read = uri.searchParams.get('read');
  if (read !== null) {
    if (!(READ_MODES as readonly string[]).includes(read)) throw new ConfigError(`Parameter read of the aws:// source URI must be one of ${READ_MODES.join(', ')}.`);
    config.readMode = read as (typeof READ_MODES)[number];
  }
  const allowHttp = readBool(uri.searchParams, 'allowHttp');
  const endpoints = uri.searchParams.getAll('endpoint').map((e) => checkEndpoint(e, allowHttp));
  if (new Set(endpoints).size !== endpoints.length) throw new ConfigError('Parameter endpoint of the aws:// source URI lists the same endpoint twice; list each once.');
  if (endpoints.length > 4) throw new ConfigError('Parameter endpoint of the aws:// source URI appears more than 4 times.');
  if (endpoints.length > 0) config.endpoint = endpoints[0]!;
  if (endpoints.length > 1) config.endpoints = endpoints;
  return config;
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError(`The ${part} in the aws:// source URI is not valid percent-encoding.`);
  }
}

function readInt(params: URLSearchParams, setting: IntSetting): number {
  const raw = params.get(setting.key);
  if (raw === null) return setting.fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`Parameter ${setting.key} of the aws:// source URI must be a whole number from ${setting.min} to ${setting.max}.`);
  const value = Number(raw);
  if (value < setting.min || value > setting.max) {
    throw new ConfigError(`Parameter ${setting.key} of the aws:// source URI is ${value}; use a whole number from ${setting.min} to ${setting.max}.`);
  }
  return value;
}

function readBool(params: URLSearchParams, key: string): boolean {
  const raw = params.get(key);
  if (raw === null || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1' || raw === '') return true;
  throw new ConfigError(`Parameter ${key} of the aws:// source URI must be true or false.`);
}

function checkEndpoint(raw: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('Parameter endpoint of the aws:// source URI is not a URL (expected e.g. https://vpce-….secretsmanager.us-east-1.vpce.amazonaws.com).');
  }
  if (url.username !== '' || url.password !== '') throw new ConfigError('Parameter endpoint of the aws:// source URI must not contain credentials.');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('Parameter endpoint of the aws:// source URI must be an http(s) URL.');
  if (url.protocol === 'http:' && !allowHttp && !LOOPBACK.test(url.hostname)) {
    throw new ConfigError(
      'Parameter endpoint of the aws:// source URI uses plain http to a non-loopback host, which would send secret values unencrypted. ' +
        'Use https, or add allowHttp=true if the network path is otherwise protected.',
    );
  }
  return url.href.replace(/\/$/, '');
}
