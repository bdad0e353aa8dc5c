import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Which service the proxy imitates: how it names APIs and how it refuses an over-quota call. */
export type QuotaProfile = 'aws' | 'vault';

/**
 * AWS Secrets Manager request quotas per account and region, requests per second (AWS's published quota table).
 * APIs sharing one quota share one bucket (the write APIs). APIs not listed are not limited.
 */
export const AWS_SECRETS_MANAGER_QUOTAS: Readonly<Record<string, number>> = Object.freeze({
  GetSecretValue: 10_000,
  DescribeSecret: 40_000,
  BatchGetSecretValue: 100,
  ListSecrets: 100,
  ListSecretVersionIds: 50,
  CreateSecret: 50,
  DeleteSecret: 50,
  'PutSecretValue+UpdateSecret+UpdateSecretVersionStage': 50,
  TagResource: 50,
  UntagResource: 50,
});

/** Options of {@link QuotaProxy}. */
export interface QuotaProxyOptions {
  /** The real service behind the proxy, e.g. `http://127.0.0.1:5000` (moto) or `http://127.0.0.1:8200`. */
  target: string;
  profile: QuotaProfile;
  /**
   * Requests per second per API (a `+`-joined key is one bucket shared by those APIs), before `scale`.
   * Default: {@link AWS_SECRETS_MANAGER_QUOTAS} for `aws`; for `vault` a single `all` bucket (an OpenBao
   * rate-limit quota on the KV mount: `sys/` and `auth/` are not counted) of 1,000/s.
   */
  quotas?: Readonly<Record<string, number>>;
  /** Multiplies every quota (e.g. 0.01 with a fleet scaled by the same factor keeps the ratios). Default 1. */
  scale?: number;
  /** Bucket size in seconds of its rate (the burst a quiet bucket allows). Default 1. */
  burstSeconds?: number;
}

/** Calls seen by the proxy for one API. */
export interface ApiCounts {
  allowed: number;
  throttled: number;
  /** Answered by an injected fault. */
  faulted: number;
}

interface Bucket {
  rate: number;
  capacity: number;
  tokens: number;
  at: number;
}

/**
 * A local proxy that enforces per-API request quotas with token buckets in front of a real peer (moto, OpenBao),
 * and answers an over-quota call the way the real service does: AWS with HTTP 400
 * `{"__type":"ThrottlingException","message":"Rate exceeded"}` (which the AWS SDK classifies as throttling),
 * Vault/OpenBao with HTTP 429 `{"errors":["... rate limit quota exceeded"]}`. Everything else is forwarded
 * unchanged. For tests and the fleet simulator (`npm run fleet`); it also counts calls per API and can inject
 * faults (e.g. a 503 for one API) to test how clients tell "unavailable" from "invalid".
 *
 * @example
 * ```ts
 * const proxy = new QuotaProxy({ target: 'http://127.0.0.1:5000', profile: 'aws', scale: 0.01 });
 * const endpoint = await proxy.start(); // aws://us-east-1/app/?endpoint=<endpoint>
 * proxy.counts(); // { BatchGetSecretValue: { allowed: 1, throttled: 4, faulted: 0 }, ... }
 * await proxy.close();
 * ```
 */
export class QuotaProxy {
  readonly #options: QuotaProxyOptions;
  readonly #target: URL;
  readonly #buckets = new Map<string, Bucket>();
  readonly #bucketOf = new Map<string, string>();
  readonly #counts = new Map<string, ApiCounts>();
  readonly #faults = new Map<string, { status: number; remaining: number }>();
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  #server: http.Server | undefined;

  constructor(options: QuotaProxyOptions) {
    this.#options = options;
    this.#target = new URL(options.target);
    const scale = options.scale ?? 1;
    const burst = options.burstSeconds ?? 1;
    const quotas = options.quotas ?? (options.profile === 'aws' ? AWS_SECRETS_MANAGER_QUOTAS : { all: 1_000 });
    for (const [key, perSecond] of Object.entries(quotas)) {
      const rate = perSecond * scale;
      // A zero quota refuses every call (a way to force a fallback in tests).
      const capacity = rate > 0 ? Math.max(1, rate * burst) : 0;
      this.#buckets.set(key, { rate, capacity, tokens: capacity, at: performance.now() });
      for (const api of key.split('+')) this.#bucketOf.set(api, key);
    }
  }

  /** Listen on 127.0.0.1 (a free port unless given); resolves with the proxy's base URL. */
  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Answer the next `count` calls of `api` (default: all until cleared) with HTTP `status`; `undefined` clears. */
  setFault(api: string, status: number | undefined, count = Number.POSITIVE_INFINITY): void {
    if (status === undefined) this.#faults.delete(api);
    else this.#faults.set(api, { status, remaining: count });
  }

  /** Calls per API since the start (or the last {@link QuotaProxy.resetCounts}). */
  counts(): Record<string, ApiCounts> {
    return Object.fromEntries([...this.#counts].map(([k, v]) => [k, { ...v }]));
  }

  resetCounts(): void {
    this.#counts.clear();
  }

  /** The limit in force for an API, requests per second (after scaling); undefined when not limited. */
  rateOf(api: string): number | undefined {
    const key = this.#bucketOf.get(api) ?? (this.#options.profile === 'vault' && api !== 'sys' && api !== 'auth' ? 'all' : undefined);
    return key === undefined ? undefined : this.#buckets.get(key)?.rate;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#agent.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const api = this.#apiOf(req);
    const counts = this.#counts.get(api) ?? { allowed: 0, throttled: 0, faulted: 0 };
    this.#counts.set(api, counts);
    const fault = this.#faults.get(api);
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      counts.faulted++;
      return this.#refuse(req, res, fault.status, false);
    }
    if (!this.#take(api)) {
      counts.throttled++;
      return this.#refuse(req, res, this.#options.profile === 'aws' ? 400 : 429, true);
    }
    counts.allowed++;
    const headers = { ...req.headers, host: this.#target.host };
    const upstream = http.request(
      { protocol: this.#target.protocol, hostname: this.#target.hostname, port: this.#target.port, method: req.method, path: req.url, headers, agent: this.#agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('quota proxy: upstream failed');
    });
    req.pipe(upstream);
  }

  /** AWS: the X-Amz-Target operation. Vault: `read` / `metadata` / `write` / `sys` by path and method. */
  #apiOf(req: http.IncomingMessage): string {
    if (this.#options.profile === 'aws') {
      const target = req.headers['x-amz-target'];
      const op = typeof target === 'string' ? target.split('.').pop() : undefined;
      return op && op !== '' ? op : 'unknown';
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/v1/sys/')) return 'sys';
    if (path.startsWith('/v1/auth/')) return 'auth';
    if (req.method !== 'GET' && req.method !== 'LIST') return 'write';
    return /\/metadata\//.test(path) ? 'metadata' : 'read';
  }

  #take(api: string): boolean {
    let key = this.#bucketOf.get(api);
    // An OpenBao rate-limit quota on the KV mount counts every request to it; sys/ and auth/ are other paths.
    if (key === undefined && this.#options.profile === 'vault' && api !== 'sys' && api !== 'auth') key = 'all';
    const bucket = key === undefined ? undefined : this.#buckets.get(key);
    if (!bucket) return true;
    const now = performance.now();
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + ((now - bucket.at) / 1000) * bucket.rate);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, isQuota: boolean): void {
    // Drain the request body first: answering while the client still sends would reset its connection.
    req.resume();
    req.on('end', () => {
      if (this.#options.profile === 'aws') {
        const type = isQuota ? 'ThrottlingException' : status >= 500 ? 'ServiceUnavailableException' : 'InvalidRequestException';
        const body = JSON.stringify({ __type: type, message: isQuota ? 'Rate exceeded' : 'Injected fault' });
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'quota-proxy', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        const body = JSON.stringify({ errors: [isQuota ? `request path "${(req.url ?? '').split('?')[0]}": rate limit quota exceeded` : 'Vault is sealed'] });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }
    });
  }
}
