// Values with line breaks, tabs, NUL, invalid UTF-8 and Unicode, from 1 byte to 64 KiB, through every format
// kind, with validators that echo, quote, JSON-encode or inspect the value. Invariant: no output (reasons, the
// preload's stderr lines and pino record, `rejected` events, the error log, `vc-secrets check --json`) contains
// the value or any line of it (or a part of a line between control characters) longer than 3 bytes.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { describeFailure } from '../../src/preload/preload';
import { ValidationError } from '../../src/errors/ValidationError';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import type { RejectedEvent } from '../../src/runtime/SecretsRuntime';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { ROOT, runOnce, startService } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const LINE = /\r\n|\n|\r/;
// eslint-disable-next-line no-control-regex -- control characters separate the parts of a line
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]+/;

/** The value, each of its lines, and each part of a line between control characters: those longer than 3 bytes. */
function piecesOf(value: Uint8Array): string[] {
  const text = Buffer.from(value).toString('utf8');
  const pieces = new Set<string>([text]);
  for (const line of text.split(LINE)) {
    pieces.add(line);
    for (const part of line.split(CONTROL)) pieces.add(part);
  }
  return [...pieces].filter((p) => Buffer.byteLength(p) > 3);
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

/**
 * Pieces of the value that occur more often in `actual` than in `reference`, the same output produced by
 * validators that do not echo (template text such as "must be at least" may happen to equal a piece).
 */
function leaked(value: Uint8Array, actual: string, reference: string): string[] {
  const a = actual.split('[redacted]').join('\u0000');
  return piecesOf(value).filter((p) => count(a, p) > count(reference, p));
}

/** Every format kind, each given the value; custom validators echo it in the ways validators do. */
function fuzzSchema(isEcho: boolean): Record<string, Record<string, unknown>> {
  const say = (render: (v: unknown) => string) => (v: unknown) => {
    throw new Error(isEcho ? render(v) : render(''));
  };
  return {
    SECRET: { format: 'secret', default: null, minBytes: 70_000 },
    UTF8: { format: 'secret-utf8', default: null, maxBytes: 2 },
    HEX: { format: 'secret-hex', default: null },
    B64: { format: 'secret-base64', default: null },
    STRING: { format: String, default: null },
    ANY: { format: '*', default: null },
    NUMBER: { format: Number, default: 1 },
    INT: { format: 'int', default: 1 },
    NAT: { format: 'nat', default: 1 },
    PORT: { format: 'port', default: 1 },
    PIPE: { format: 'port_or_windows_named_pipe', default: 1 },
    URL: { format: 'url', default: null },
    ENUM: { format: ['a', 'b'], default: 'a' },
    BOOL: { format: Boolean, default: false },
    OBJECT: { format: Object, default: {} },
    ARRAY: { format: Array, default: [] },
    REGEXP: { format: RegExp, default: /x/ },
    ECHO: { format: say((v) => `got <<${String(v)}>>\nexpected something else`), default: null },
    QUOTE: { format: say((v) => `'${String(v)}' is not allowed`), default: null },
    JSON: { format: say((v) => `bad value ${JSON.stringify(v)}`), default: null },
    INSPECT: { format: say((v) => `bad value ${require('node:util').inspect(v)}`), default: null },
    LINES: { format: say((v) => `first line: ${String(v).split(LINE)[0]}; trimmed: ${String(v).trim()}`), default: null },
  };
}

const separators = fc.constantFrom('\n', '\r\n', '\r', '\t', '\u0000', '\n\n', ' ', '"', "'", '\\', 'é', '😀', '\u2028', '\ufeff');
const text = fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 8 }), separators), { minLength: 1, maxLength: 12 }).map((parts) => Buffer.from(parts.join('') || 'x'));
const bytes = fc.uint8Array({ minLength: 1, maxLength: 400 });
const value = fc.oneof(text, bytes);

// Replay a failure with FUZZ_SEED (and FUZZ_PATH for the shrunk value) from the failing run's output.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const replay = (t: Test) => {
  t.comment(`fast-check seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
  return { seed: SEED, ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) };
};

t.test('validation reasons never carry a value or a line of one (fast-check)', async (t) => {
  const actual = new SchemaValidator(fuzzSchema(true) as never);
  const reference = new SchemaValidator(fuzzSchema(false) as never);
  const check = (v: Uint8Array) => {
    const views = new Map(Object.keys(fuzzSchema(true)).map((n) => [n, v]));
    const problems = actual.validate(views);
    const expected = reference.validate(views);
    if (problems.length !== expected.length) throw new Error(`${problems.length} problems, reference ${expected.length}`);
    // What the preload prints (one line per problem) and what check --json and pino serialise.
    const { problems: described } = describeFailure(new ValidationError(problems));
    const lines = described.map((p) => `@valuecanvas/secrets: ${p.name}: ${p.reason}`);
    for (const line of lines) if (/[\r\n]/.test(line)) throw new Error(`a problem spans lines: ${JSON.stringify(line).slice(0, 200)}`);
    const leaks = leaked(v, lines.join('\n'), expected.map((p) => `@valuecanvas/secrets: ${p.name}: ${p.reason}`).join('\n'));
    if (leaks.length > 0) throw new Error(`leaked ${JSON.stringify(leaks[0])} in ${JSON.stringify(lines)}`);
    // A value of up to 3 bytes is still redacted where a validator echoes it as a word.
    const whole = Buffer.from(v).toString('utf8');
    if (lines.some((l) => l.includes(`<<${whole}>>`))) throw new Error(`short value echoed: ${JSON.stringify(whole)}`);
  };
  let n = 0;
  fc.assert(
    fc.property(value, (v) => {
      n++;
      check(v);
    }),
    { numRuns: 400, endOnFailure: true, ...replay(t) },
  );
  // The sizes at the edges: 1 byte, and 64 KiB (the AWS limit and the default SECRETS_MAX_FILE_BYTES).
  const edges: Uint8Array[] = [Buffer.from('Q'), Buffer.from('\n'), Buffer.from([0xff]), Buffer.from('é')];
  for (let i = 0; i < 4; i++) {
    const chunk = fc.sample(value, { numRuns: 1, seed: i })[0]!;
    const big = Buffer.alloc(65_536);
    for (let o = 0; o < big.length; o += chunk.length + 9) Buffer.concat([Buffer.from(chunk), Buffer.from(`\n${(SEED + o).toString(16).padStart(8, '0').slice(-8)}`)]).copy(big, o);
    edges.push(big, fc.sample(fc.uint8Array({ minLength: 65_536, maxLength: 65_536 }), { numRuns: 1, seed: SEED + i })[0]!);
  }
  for (const v of edges) {
    n++;
    check(v);
  }
  t.ok(n >= 400, `${n} values, every format kind, no leak`);
});

t.test('the rejected event of a running runtime never carries a value', async (t) => {
  const schema = { ECHO: { format: (v: unknown) => { if (v !== 'good') throw new Error(`not good: ${JSON.stringify(v)} / ${String(v)}`); }, default: null } };
  const runtime = new SecretsRuntime(new SchemaValidator(schema as never));
  t.teardown(() => runtime.zeroAll());
  runtime.apply(new Map([['ECHO', { slice: runtime.arena.copyIn(Buffer.from('good')), source: 'test' }]]));
  const events: RejectedEvent[] = [];
  runtime.on('rejected', (e: RejectedEvent) => events.push(e));
  let n = 0;
  fc.assert(
    fc.property(value, (v) => {
      n++;
      const before = events.length;
      const outcome = runtime.apply(new Map([['ECHO', { slice: runtime.arena.copyIn(v), source: 'test' }]]));
      if (Buffer.from(v).toString('utf8') === 'good') return;
      if (outcome.kind !== 'rejected') throw new Error(`expected rejected, got ${outcome.kind}`);
      const event = events[before] ?? { reason: '', problems: outcome.problems };
      const rendered = JSON.stringify(event) + event.reason;
      const leaks = leaked(v, rendered, 'ECHO: not good:  / ');
      if (leaks.length > 0) throw new Error(`leaked ${JSON.stringify(leaks[0])}`);
    }),
    { numRuns: 200, endOnFailure: true, ...replay(t) },
  );
  t.ok(events.length > 0 && n >= 200, `${events.length} rejected events`);
});

// End to end: the same kinds of values, planted with unique markers, through real processes.
const PLANT = () => `PLANT${randomBytes(6).toString('hex')}`;
const e2eValues: { label: string; value: Buffer; strip?: boolean }[] = [
  { label: 'inner newline', value: Buffer.from(`${PLANT()}\n${PLANT()}`) },
  { label: 'two trailing newlines (one stripped by default)', value: Buffer.from(`${PLANT()}\n\n`), strip: true },
  { label: 'one trailing newline, SECRETS_STRIP_TRAILING_NEWLINE=false', value: Buffer.from(`${PLANT()}\n`) },
  { label: 'CRLF and tab', value: Buffer.from(`${PLANT()}\r\n${PLANT()}\t${PLANT()}`) },
  { label: 'NUL', value: Buffer.from(`${PLANT()}\u0000${PLANT()}`) },
  { label: 'invalid UTF-8', value: Buffer.concat([Buffer.from(PLANT()), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`${PLANT()}\n${PLANT()}`)]) },
  { label: 'Unicode', value: Buffer.from(`é${PLANT()}😀\u2028${PLANT()}ü"'\\`) },
  { label: '1 byte', value: Buffer.from('Q') },
  {
    label: '64 KiB of lines',
    value: (() => {
      let s = '';
      while (s.length < 65_536 - 40) s += `${PLANT()}${s.length % 3 === 0 ? '\r\n' : '\n'}`;
      return Buffer.from(s.padEnd(65_536, 'z'));
    })(),
  },
];

/** Outputs must not contain a piece as is or as JSON writes it; a 1-byte value must not appear echoed. */
function assertClean(t: Test, label: string, v: Buffer, outputs: string[]): void {
  const all = outputs.join('\n');
  const found = piecesOf(v).filter((p) => all.includes(p) || all.includes(JSON.stringify(p).slice(1, -1)));
  t.same(found.slice(0, 3), [], `${label}: no value, line or part of a line in the output`);
  if (v.length <= 3) t.notOk(all.includes(`<<${v.toString('utf8')}>>`), `${label}: the short value is not echoed`);
}

function writeE2eSchema(dir: string): string {
  const file = path.join(dir, 'schema.js');
  fs.writeFileSync(
    file,
    `const convict = require(${JSON.stringify(require.resolve('convict', { paths: [ROOT] }))});
const util = require('node:util');
convict.addFormat({ name: 'fuzz-coerce', validate: () => {}, coerce: (v) => { if (v !== 'good') throw new Error('cannot coerce <<' + v + '>>'); return v; } });
convict.addFormat({ name: 'fuzz-validate', validate: (v) => { if (v !== 'good') throw new Error('bad ' + JSON.stringify(v)); } });
const unless = (good, render) => (v) => { if (v !== good) throw new Error(render(v)); };
module.exports = {
  SECRET: { format: 'secret', default: null, maxBytes: 8, sensitive: true },
  UTF8: { format: 'secret-utf8', default: null, maxBytes: 8 },
  HEX: { format: 'secret-hex', default: null },
  B64: { format: 'secret-base64', default: null },
  STRING: { format: String, default: null, sensitive: true },
  NUMBER: { format: Number, default: 1 },
  PORT: { format: 'port', default: 1 },
  URL: { format: 'url', default: null },
  ENUM: { format: ['good'], default: 'good' },
  OBJECT: { format: Object, default: {} },
  ECHO: { format: unless('good', (v) => 'got <<' + v + '>>'), default: null },
  QUOTE: { format: unless('good', (v) => '"' + v + '" is not allowed'), default: null },
  JSON: { format: unless('good', (v) => 'bad value ' + JSON.stringify(v)), default: null },
  INSPECT: { format: unless('good', (v) => 'bad value ' + util.inspect(v)), default: null },
  COERCE: { format: 'fuzz-coerce', default: null },
  REGISTERED: { format: 'fuzz-validate', default: null },
};
`,
  );
  return file;
}

const GOOD: Record<string, string> = { SECRET: 'good', UTF8: 'good', HEX: 'abcd', B64: 'Z29vZA==', STRING: 'good', NUMBER: '1', PORT: '80', URL: 'https://good.example', ENUM: 'good', OBJECT: '{}', ECHO: 'good', QUOTE: 'good', JSON: 'good', INSPECT: 'good', COERCE: 'good', REGISTERED: 'good' };
const everyName = (v: Buffer) => Object.fromEntries(Object.keys(GOOD).map((n) => [n, v]));
const CLI = path.join(ROOT, 'bin', 'vc-secrets.js');

t.test('end to end: exit-78 lines, pino record, vc-secrets check --json', async (t) => {
  const dir = tmpdir(t);
  const schema = writeE2eSchema(dir);
  for (const { label, value, strip } of e2eValues) {
    const mount = path.join(tmpdir(t), 'mount');
    new AtomicWriter(mount).write(everyName(value));
    const env = { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_STRIP_TRAILING_NEWLINE: strip ? 'true' : 'false' };
    const r = await runOnce(t, env);
    t.equal(r.code, 78, `${label}: exit 78`);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('@valuecanvas/secrets: '));
    t.ok(lines.some((l) => /^@valuecanvas\/secrets: ECHO: got <<\[redacted\]>>$/.test(l)), `${label}: the echo is redacted on its own line`);
    t.ok(lines.some((l) => l.startsWith('@valuecanvas/secrets: JSON: bad value "[redacted]"')), `${label}: the JSON encoding is redacted`);
    t.notOk(lines.some((l) => l.startsWith('@valuecanvas/secrets: (schema)')), `${label}: no stray lines`);
    const record = r.stderr.split('\n').find((l) => l.startsWith('{'));
    t.match(JSON.parse(record ?? '{}'), { level: 60, problems: Array }, `${label}: the pino record`);
    const check = spawnSync(process.execPath, [CLI, '--json', 'check'], { env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env }, encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    t.equal(check.status, 78, `${label}: check exit 78`);
    t.match(JSON.parse(check.stdout), { ok: false, code: 'E_VALIDATION', problems: Array });
    assertClean(t, label, value, [r.stdout, r.stderr, check.stdout, check.stderr]);
  }
});

t.test('end to end: rejected events and the error log of a running service', async (t) => {
  const dir = tmpdir(t);
  const schema = writeE2eSchema(dir);
  const mount = path.join(dir, 'mount');
  const w = new AtomicWriter(mount);
  w.write(GOOD);
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_STRIP_TRAILING_NEWLINE: 'false', SECRETS_RECHECK_MS: '0' });
  await s.waitFor((e) => e.event === 'watching', 15_000);
  for (const { label, value } of e2eValues) {
    const from = s.events.length;
    w.write(everyName(value));
    const rejected = await s.waitFor((e) => e.event === 'rejected' && s.events.indexOf(e) >= from, 15_000);
    t.match(rejected, { event: 'rejected', reason: /ECHO: got <<\[redacted\]>>/ }, `${label}: rejected`);
  }
  s.send({ op: 'exit' });
  await s.exited;
  const errors = s.stderr().split('\n').filter((l) => l.includes('rotation rejected'));
  t.equal(errors.length, e2eValues.length, 'one error record per rejected rotation');
  for (const { label, value } of e2eValues) assertClean(t, label, value, [s.stdout(), s.stderr()]);
});
