// The start's provider load (fetchAll, what the preload's worker runs) with scripted providers: which failures
// are unavailable (exit 69) and which are not, per-secret failover, and the backoff on throttling within the
// budget. Table-driven; the sleep is injected, so nothing here waits on a clock.
import t from 'tap';
import { ProviderAuthError } from '../../src/errors/ProviderAuthError';
import { ProviderUnavailableError } from '../../src/errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../src/errors/SecretNotFoundError';
import type { SecretsError } from '../../src/errors/SecretsError';
import { fetchAll } from '../../src/preload/providerWorker';
import type { GetManyResult, ProviderClient, ProviderFactory } from '../../src/providers/Provider';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';

type Answer = 'ok' | 'missing' | 'throttled' | 'down' | 'denied';
/** Per host: what each call answers for each name (the last script entry repeats). */
type Script = Record<string, Answer[]>;

function registryOf(hosts: Record<string, Script>, options: { loginFailures?: Record<string, number> } = {}) {
  const calls: string[] = [];
  const logins = { ...(options.loginFailures ?? {}) };
  const factory: ProviderFactory<URL> = {
    schemes: ['fake'],
    capabilities: { batch: true, write: false, delete: false, versions: false, list: false },
    parse: (uri) => uri,
    validateName: () => undefined,
    async create(uri) {
      const host = uri.host;
      if ((logins[host] ?? 0) > 0) {
        logins[host]!--;
        throw new ProviderUnavailableError(`login to ${host} throttled`, { isThrottled: true });
      }
      const round: Record<string, number> = {};
      const client: Partial<ProviderClient> = {
        async getMany(names): Promise<GetManyResult> {
          const result: GetManyResult = { found: new Map(), errors: new Map() };
          for (const name of names) {
            calls.push(`${host}:${name}`);
            const script = hosts[host]?.[name] ?? ['missing'];
            const n = round[name] ?? 0;
            round[name] = n + 1;
            const answer = script[Math.min(n, script.length - 1)]!;
            const error: Record<Answer, SecretsError | undefined> = {
              ok: undefined,
              missing: new SecretNotFoundError(`${name} not found`),
              throttled: new ProviderUnavailableError(`${name}: Rate exceeded`, { isThrottled: true }),
              down: new ProviderUnavailableError(`${name}: HTTP 503`),
              denied: new ProviderAuthError(`${name}: forbidden`),
            };
            if (answer === 'ok') result.found.set(name, { value: Buffer.from(`${host}/${name}`), version: '1', stages: [] });
            else result.errors.set(name, error[answer]!);
          }
          return result;
        },
        close: async () => undefined,
      };
      return client as ProviderClient;
    },
  };
  return { registry: new ProviderRegistry().register(['fake'], factory), calls };
}

const run = (registry: ProviderRegistry, sources: { uri: string; failover?: string }[], names: string[], budgetMs = 10_000) => {
  const slept: number[] = [];
  const promise = fetchAll({ sources, names }, registry, [], {
    deadline: Date.now() + budgetMs,
    random: () => 0.5,
    sleep: async (ms) => void slept.push(ms),
  });
  return { promise, slept };
};
const valuesOf = (r: Awaited<ReturnType<typeof fetchAll>>) => Object.fromEntries(r.values.map((v) => [v.name, `${Buffer.from(v.bytes).toString()}@${v.source}`]));

t.test('Function: fetchAll', async (t) => {
  t.test('a per-secret 503 is unavailable (one problem per secret), not a validation problem', async (t) => {
    const { registry } = registryOf({ a: { X: ['ok'], Y: ['down'] } });
    const error = await run(registry, [{ uri: 'fake://a/' }], ['X', 'Y']).promise.catch((e: unknown) => e);
    t.match(error, { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: false });
    t.same((error as ProviderUnavailableError).problems?.map((p) => p.name), ['Y']);
    t.match((error as ProviderUnavailableError).problems?.[0]?.reason, /^fake:\/\/a\/: Y: HTTP 503/);
  });

  t.test('the failover serves exactly the secrets the primary could not answer, and is reported', async (t) => {
    const { registry, calls } = registryOf({ a: { X: ['ok'], Y: ['down'] }, b: { X: ['ok'], Y: ['ok'] } });
    const r = await run(registry, [{ uri: 'fake://a/', failover: 'fake://b/' }], ['X', 'Y']).promise;
    t.same(valuesOf(r), { X: 'a/X@fake://a/', Y: 'b/Y@fake://b/' });
    t.same(r.failovers, ['fake://a/ -> fake://b/']);
    t.same(calls, ['a:X', 'a:Y', 'b:Y']);
  });

  t.test('throttling is waited out with a growing, jittered backoff, within the budget', async (t) => {
    const { registry } = registryOf({ a: { X: ['throttled', 'throttled', 'throttled', 'ok'], Y: ['ok'] } });
    const { promise, slept } = run(registry, [{ uri: 'fake://a/' }], ['X', 'Y']);
    const r = await promise;
    t.same(valuesOf(r), { X: 'a/X@fake://a/', Y: 'a/Y@fake://a/' });
    t.equal(r.throttledRounds, 3);
    t.same(slept, [125, 250, 500], 'half of 250 ms x 2^round (random() = 0.5)');
  });

  t.test('throttled past the budget: unavailable and throttled, no further round', async (t) => {
    const { registry, calls } = registryOf({ a: { X: ['throttled'] } });
    const error = await run(registry, [{ uri: 'fake://a/' }], ['X'], 100).promise.catch((e: unknown) => e);
    t.match(error, { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: true, message: /throttling/ });
    t.equal(calls.length, 1, 'a backoff that would end after the deadline is not started');
  });

  t.test('a backend that is down (nothing throttled) is not waited for', async (t) => {
    const { registry, calls } = registryOf({ a: { X: ['down', 'ok'] } });
    const { promise, slept } = run(registry, [{ uri: 'fake://a/' }], ['X']);
    await t.rejects(promise, { code: 'E_PROVIDER_UNAVAILABLE', isThrottled: false });
    t.same(slept, []);
    t.equal(calls.length, 1);
  });

  t.test('a down read among throttled ones keeps the load waiting (busy, not down)', async (t) => {
    const { registry } = registryOf({ a: { X: ['throttled', 'ok'], Y: ['down', 'ok'] } });
    const r = await run(registry, [{ uri: 'fake://a/' }], ['X', 'Y']).promise;
    t.equal(r.values.length, 2);
  });

  t.test('a throttled login is tried again in the next round', async (t) => {
    const { registry } = registryOf({ a: { X: ['ok'] } }, { loginFailures: { a: 2 } });
    const r = await run(registry, [{ uri: 'fake://a/' }], ['X']).promise;
    t.same(valuesOf(r), { X: 'a/X@fake://a/' });
    t.equal(r.throttledRounds, 2);
  });

  t.test('not found falls through to a later source; refused is a problem there and then (exit 78)', async (t) => {
    const { registry } = registryOf({ a: { X: ['missing'], Y: ['denied'] }, c: { X: ['ok'], Y: ['ok'] } });
    const r = await run(registry, [{ uri: 'fake://a/' }, { uri: 'fake://c/' }], ['X', 'Y']).promise;
    t.same(valuesOf(r), { X: 'c/X@fake://c/' });
    t.same(r.problems.map((p) => p.name), ['Y']);
    t.match(r.problems[0]?.reason, /forbidden/);
  });
});
