// How faithful is the Azure Key Vault stand-in (scripts/peers/azure-keyvault-standin.js)? Measured against
// Microsoft's REST spec of the secrets data plane, api-version 2025-06-01 (test/fixtures/azure-keyvault-2025-06-01,
// see its SOURCE.md), with ajv:
// 1. A private stand-in records every HTTPS exchange (--record, values redacted) while it serves the shared
//    provider contract (the Azure suite every provider passes), an SDK workload that calls every secrets operation
//    (including disabled versions, soft delete, recover, purge, backup/restore, paging, the bearer challenge) and
//    error cases. Every recorded response must match an operation of the spec and validate against that
//    operation's response schema (the `default` KeyVaultError schema for errors), with no property the spec does
//    not define; every spec operation must have been answered with a success at least once.
// 2. Each of the spec's examples is replayed (same operation, parameters and body, api-version 2025-06-01, after
//    setting up the state it presumes): same status, and every field of the example's response is present with
//    the same JSON type (ids with the same structure, enums and tags equal).
// The check itself is scripts/azure-spec-check.js, which `.ci/run` also runs over everything the shared stand-in
// answered during `npm test`. What the stand-in does not model is listed in docs/providers/azure.md.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { request } from 'node:https';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { SecretClient } from '@azure/keyvault-secrets';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { staticTokenCredential } from '../../../src/providers/azure/staticTokenCredential';
import { plantValue, uniquePrefix } from '../../helpers/peers';
import { ROOT } from '../../helpers/service';
import { tmpdir } from '../../helpers/tmp';
import { runProviderContract } from '../contract';

const SPEC_DIR = path.join(ROOT, 'test', 'fixtures', 'azure-keyvault-2025-06-01');
const API_VERSION = '2025-06-01';
const TOKEN = 'vc-fidelity-token';

interface Exchange {
  method: string;
  path: string;
  apiVersion: string | null;
  status: number;
  body?: unknown;
}
/** scripts/azure-spec-check.js: the spec check that `.ci/run` also runs over the whole test run's recording. */
interface SpecChecker {
  check: (e: Exchange) => string[];
  operationOf: (e: Exchange) => { operationId: string } | undefined;
  operations: string[];
}
const { createSpecChecker, readRecording } = require('../../../scripts/azure-spec-check.js') as {
  createSpecChecker: () => SpecChecker;
  readRecording: (file: string) => Exchange[];
};
const { check, operationOf, operations } = createSpecChecker();

/** The HTTP status an SDK call failed with (0 when it succeeded). */
const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: { statusCode?: number }) => e.statusCode ?? -1,
  );

/** Self-signed certificate for 127.0.0.1 (the test needs no shared state). */
function makeCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** A private stand-in on free ports, recording to `record`; resolves with its HTTPS port. */
async function startStandin(t: Test, cert: { cert: string; key: string }, record: string): Promise<number> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'peers', 'azure-keyvault-standin.js'), '--host=127.0.0.1', '--https-port=0', '--http-port=0', `--cert=${cert.cert}`, `--key=${cert.key}`, `--record=${record}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`stand-in exited (${code}) before listening: ${out}`)));
  });
}

t.test('the Azure stand-in against the REST spec (api-version 2025-06-01)', async (t) => {
  const dir = tmpdir(t, 'vc-azure-fidelity');
  const cert = makeCert(dir);
  const ca = fs.readFileSync(cert.cert);
  const recordFile = path.join(dir, 'exchanges.jsonl');
  const port = await startStandin(t, cert, recordFile);
  const base = `https://127.0.0.1:${port}`;
  const env = { ...process.env, AZURE_KEYVAULT_STATIC_TOKEN: TOKEN };
  const planted: string[] = [];

  /** One raw request to the stand-in (api-version 2025-06-01 unless `query` sets another). */
  const call = (method: string, p: string, body?: unknown, options: { query?: string; auth?: boolean } = {}) =>
    new Promise<{ status: number; json: unknown }>((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${base}${p}?${options.query ?? `api-version=${API_VERSION}`}`,
        {
          method,
          ca,
          headers: { ...(options.auth === false ? {} : { authorization: `Bearer ${TOKEN}` }), ...(text ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? (JSON.parse(data) as unknown) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(text);
    });

  // 1a. The shared provider contract, through our provider and the real SDK.
  runProviderContract(t, 'azure-standin-recorded', {
    makeClient: async (prefix) => {
      const uri = new URL(`azure://127.0.0.1:${port}/${prefix}/?credential=static&timeoutMs=5000&retries=1&ca=${encodeURIComponent(cert.cert)}`);
      return azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env });
    },
    invalidNames: ['', 'a//b', 'bad name'],
  });

  // 1b. Every secrets operation through the SDK, plus the error answers the suites meet.
  await t.test('an SDK workload over every operation', async (t) => {
    const sdk = new SecretClient(base, staticTokenCredential(TOKEN), {
      serviceVersion: '7.5',
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca },
    });
    const name = uniquePrefix('fid').replace(/[^0-9a-zA-Z]/g, '-');
    const v = plantValue();
    planted.push(v);
    const a = await sdk.setSecret(name, v, { contentType: 'text/plain', tags: { owner: 'fidelity' } });
    const disabled = plantValue();
    planted.push(disabled);
    await sdk.setSecret(name, disabled, { enabled: false });
    t.equal(await statusOf(sdk.getSecret(name)), 403, 'a disabled latest version: 403');
    await sdk.updateSecretProperties(name, a.properties.version!, { tags: { owner: 'fidelity', step: '2' } });
    for await (const page of sdk.listPropertiesOfSecretVersions(name).byPage({ maxPageSize: 1 })) t.ok(page.length <= 1);
    for await (const page of sdk.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) t.ok(page.length <= 2);
    const backup = await sdk.backupSecret(name);
    const deleting = await sdk.beginDeleteSecret(name, { intervalInMs: 50 });
    await deleting.pollUntilDone();
    t.equal(await statusOf(sdk.setSecret(name, 'x')), 409, 'a deleted name is blocked: 409');
    for await (const page of sdk.listDeletedSecrets().byPage({ maxPageSize: 5 })) t.ok(page.length <= 5);
    const recovering = await sdk.beginRecoverDeletedSecret(name, { intervalInMs: 50 });
    await recovering.pollUntilDone();
    await (await sdk.beginDeleteSecret(name, { intervalInMs: 50 })).pollUntilDone();
    await sdk.purgeDeletedSecret(name);
    const restored = await sdk.restoreSecretBackup(backup!);
    t.equal(restored.name, name, 'restore brings the secret back');
    t.equal(await statusOf(sdk.restoreSecretBackup(backup!)), 409, 'restore onto an existing name: 409');
    t.equal(await statusOf(sdk.getSecret(name, { version: '0'.repeat(32) })), 404);
    t.equal(await statusOf(sdk.getDeletedSecret(name)), 404);
    t.equal((await call('GET', `/secrets/${name}/`, undefined, { auth: false })).status, 401, 'no token: the bearer challenge');
    t.equal((await call('GET', '/secrets', undefined, { query: 'api-version=1999-01-01' })).status, 400, 'unknown api-version: 400');
    t.equal((await call('GET', '/secrets', undefined, { query: `api-version=${API_VERSION}&maxresults=26` })).status, 400, 'maxresults above 25: 400');
    t.equal((await call('PUT', '/secrets/bad_name', { value: 'x' })).status, 400, 'an invalid name: 400');
    t.equal((await call('PUT', `/secrets/${name}-2`, {})).status, 400, 'no value: 400');
  });

  // 2. The spec's examples, replayed.
  await t.test("the spec's examples, replayed", async (t) => {
    const examples = ['examples', 'examples-older'].flatMap((d) => fs.readdirSync(path.join(SPEC_DIR, d)).map((f) => path.join(SPEC_DIR, d, f)));
    t.equal(examples.length, 12, 'one example per operation');
    const fresh = async (n: string) => {
      await call('DELETE', `/secrets/${n}`);
      await call('DELETE', `/deletedsecrets/${n}`);
    };
    const put = async (n: string, extra: Record<string, unknown> = {}) => {
      const value = plantValue();
      planted.push(value);
      const r = await call('PUT', `/secrets/${n}`, { value, ...extra });
      if (r.status !== 200) throw new Error(`setup PUT ${n} -> ${r.status}`);
      return (r.json as { id: string }).id.split('/').pop()!;
    };
    /** Delete and purge everything, so that a list answers with the example's secrets only. */
    const clearAll = async () => {
      for (const [list, purge] of [['/secrets', true], ['/deletedsecrets', false]] as const) {
        for (;;) {
          const items = ((await call('GET', list)).json as { value: { id: string }[] }).value;
          if (items.length === 0) break;
          for (const item of items) {
            const n = item.id.split('/')[4]!;
            if (purge) await call('DELETE', `/secrets/${n}`);
            await call('DELETE', `/deletedsecrets/${n}`);
          }
        }
      }
    };
    const replayed = new Set<string>();
    for (const file of examples) {
      const ex = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        parameters: Record<string, unknown> & { 'secret-name'?: string; parameters?: Record<string, unknown>; maxresults?: number };
        responses: Record<string, { body?: unknown }>;
        operationId?: string;
      };
      const id = ex.operationId ?? path.basename(file).replace(/-example\.json$/, '');
      const n = ex.parameters['secret-name'] ?? '';
      const body = ex.parameters.parameters;
      const q = `api-version=${API_VERSION}${ex.parameters.maxresults ? `&maxresults=${ex.parameters.maxresults}` : ''}`;
      let got: { status: number; json: unknown };
      switch (id) {
        case 'SetSecret':
          await fresh(n);
          got = await call('PUT', `/secrets/${n}`, body);
          break;
        case 'GetSecret':
          await fresh(n);
          got = await call('GET', `/secrets/${n}/${await put(n)}`);
          break;
        case 'UpdateSecret':
          await fresh(n);
          got = await call('PATCH', `/secrets/${n}/${await put(n)}`, body);
          break;
        case 'DeleteSecret':
        case 'GetDeletedSecret':
        case 'PurgeDeletedSecret':
        case 'RecoverDeletedSecret':
          await fresh(n);
          await put(n);
          if (id === 'DeleteSecret') {
            got = await call('DELETE', `/secrets/${n}`);
            break;
          }
          await call('DELETE', `/secrets/${n}`);
          got =
            id === 'GetDeletedSecret' ? await call('GET', `/deletedsecrets/${n}`) : id === 'PurgeDeletedSecret' ? await call('DELETE', `/deletedsecrets/${n}`) : await call('POST', `/deletedsecrets/${n}/recover`);
          break;
        case 'GetSecrets':
        case 'GetDeletedSecrets':
          await clearAll();
          for (const x of id === 'GetSecrets' ? ['listsecrettest0', 'listsecrettest1'] : ['listdeletedsecrettest0', 'listdeletedsecrettest1']) {
            await put(x, { contentType: 'plainText' });
            if (id === 'GetDeletedSecrets') await call('DELETE', `/secrets/${x}`);
          }
          got = await call('GET', id === 'GetSecrets' ? '/secrets' : '/deletedsecrets', undefined, { query: q });
          break;
        case 'GetSecretVersions':
          await fresh('listsecretversionstest');
          await put('listsecretversionstest');
          await put('listsecretversionstest');
          got = await call('GET', '/secrets/listsecretversionstest/versions', undefined, { query: q });
          break;
        case 'BackupSecret':
          await fresh(n);
          await put(n);
          got = await call('POST', `/secrets/${n}/backup`);
          break;
        case 'RestoreSecret': {
          // Azure's blob is encrypted for Azure: the stand-in refuses it (documented) ...
          const foreign = await call('POST', '/secrets/restore', body);
          t.equal(foreign.status, 400, "RestoreSecret: the example's Azure blob is refused by the stand-in (400)");
          // ... so the example's secret is backed up, purged and restored with the stand-in's own blob.
          const target = 'SecretBackupRestoreTest';
          await fresh(target);
          await put(target, { contentType: 'text', attributes: { enabled: true, nbf: 1262332800, exp: 1893484800 } });
          const blob = (await call('POST', `/secrets/${target}/backup`)).json as { value: string };
          await fresh(target);
          got = await call('POST', '/secrets/restore', { value: blob.value });
          break;
        }
        default:
          t.fail(`no replay for example ${id}`);
          continue;
      }
      replayed.add(id);
      const [status, expected] = Object.entries(ex.responses)[0]!;
      t.equal(got.status, Number(status), `${id}: status ${status}`);
      t.same(shapeProblems(expected.body, got.json, id), [], `${id}: the example's response fields are there, with the same types`);
    }
    t.equal(replayed.size, 12, 'every example replayed');
  });

  // 1c. Everything recorded during 1a, 1b and 2, against the spec.
  await t.test('every recorded response conforms to the spec', async (t) => {
    const exchanges = readRecording(recordFile);
    t.ok(exchanges.length > 100, `exchanges recorded (${exchanges.length})`);
    const problems = exchanges.flatMap(check);
    t.same(problems, [], 'no response deviates from the spec');
    const succeeded = new Set(exchanges.filter((e) => e.status < 300).map((e) => operationOf(e)?.operationId));
    const all = operations;
    t.same(
      all.filter((id) => !succeeded.has(id)),
      [],
      `every operation of the spec answered with a success (${all.length})`,
    );
    const statuses = [...new Set(exchanges.map((e) => e.status))].sort();
    t.comment(`recorded ${exchanges.length} exchanges, statuses ${statuses.join(', ')}`);
    t.ok([400, 401, 403, 404, 409].every((s) => statuses.includes(s)), 'error answers were checked too (400, 401, 403, 404, 409)');
    const text = fs.readFileSync(recordFile, 'utf8');
    t.same(
      planted.filter((v) => text.includes(v)),
      [],
      'the recording holds no planted value',
    );

    // The check itself catches deviations (a negative control on shapes the stand-in used to send).
    t.not(check({ method: 'GET', path: '/secrets', apiVersion: API_VERSION, status: 200, body: { value: [], nextLink: null } }).length, 0, 'a null nextLink is a deviation');
    t.not(check({ method: 'GET', path: '/secrets/x/', apiVersion: API_VERSION, status: 200, body: { id: 'https://v/secrets/x/1', extra: 1 } }).length, 0, 'an unknown property is a deviation');
    t.not(check({ method: 'GET', path: '/secrets/x/', apiVersion: API_VERSION, status: 200, body: { id: 'i', attributes: { created: '2020' } } }).length, 0, 'a date that is not unixtime is a deviation');
    t.not(check({ method: 'POST', path: '/secrets/x/y/z', apiVersion: API_VERSION, status: 200 }).length, 0, 'an operation outside the spec is a deviation');
    t.not(check({ method: 'DELETE', path: '/deletedsecrets/x', apiVersion: API_VERSION, status: 200, body: {} }).length, 0, 'a status the operation does not define is a deviation');
  });
});

/**
 * Where `actual` lacks a field of `expected` or has it with another JSON type. Ids are compared by structure
 * (vault base URL and 32-hex versions abstracted), enums (recoveryLevel), contentType and tags by value.
 */
function shapeProblems(expected: unknown, actual: unknown, at: string): string[] {
  if (expected === undefined) return actual === undefined ? [] : [`${at}: a body where the example has none`];
  const typeOf = (x: unknown) => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  if (typeOf(expected) !== typeOf(actual)) return [`${at}: ${typeOf(actual)} where the example has ${typeOf(expected)}`];
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    if (expected.length > 0 && a.length === 0) return [`${at}: an empty array where the example has items`];
    return expected.length > 0 ? shapeProblems(expected[0], a[0], `${at}[0]`) : [];
  }
  if (expected && typeof expected === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([k, v]) => {
      const here = `${at}.${k}`;
      if (!(k in a)) return [`${here}: missing`];
      if (k === 'id' || k === 'recoveryId' || k === 'nextLink') {
        const structure = (s: unknown) =>
          String(s)
            .replace(/^https:\/\/[^/]+/, '{vault}')
            .replace(/[0-9a-f]{32}/g, '{version}')
            .replace(/\?.*$/, (query) => [...new URLSearchParams(query.slice(1)).keys()].sort().join('&'));
        return structure(v) === structure(a[k]) ? [] : [`${here}: ${structure(a[k])} where the example has ${structure(v)}`];
      }
      if (k === 'recoveryLevel' || k === 'contentType' || k === 'tags') return JSON.stringify(v) === JSON.stringify(a[k]) ? [] : [`${here}: ${JSON.stringify(a[k])} where the example has ${JSON.stringify(v)}`];
      return shapeProblems(v, a[k], here);
    });
  }
  return [];
}
