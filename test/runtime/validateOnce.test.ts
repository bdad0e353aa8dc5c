import { Writable } from 'node:stream';
import t from 'tap';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import { NAMES_IN_SUMMARY, logWithNames, summariseNames } from '../../src/log/summariseNames';
import type { RawValue } from '../../src/store/RawValue';

const schema = {
  A: { format: 'secret-utf8', default: null, minBytes: 3 },
  B: { format: String, default: null },
};

function candidate(rt: SecretsRuntime, o: Record<string, string>, version?: string): Map<string, RawValue> {
  return new Map(Object.entries(o).map(([k, v]) => [k, { slice: rt.arena.copyIn(Buffer.from(v)), source: 'test', ...(version ? { version } : {}) }]));
}

t.test('SecretsRuntime: validation runs once per snapshot', async (t) => {
  const validator = new SchemaValidator(schema);
  let validations = 0;
  const validate = validator.validate.bind(validator);
  validator.validate = (values) => {
    validations++;
    return validate(values);
  };
  const rt = new SecretsRuntime(validator);
  t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' })), { kind: 'loaded' });
  t.equal(validations, 1);
  const first = rt.snapshot;
  t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' })), { kind: 'unchanged' }, 'a re-read of the same bytes');
  t.equal(validations, 1, 'the same bytes are not validated again');
  t.equal(rt.snapshot, first, 'and not swapped');
  t.equal(rt.arena.stats().liveSlices, 2, 'the re-read values were released');

  t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' }, 'v2')), { kind: 'unchanged' }, 'same bytes under a new backend version id');
  t.equal(validations, 1);
  t.not(rt.snapshot, first, 'the new ids are adopted quietly');
  t.equal(rt.entry('A').version, 'v2');

  const recovered: unknown[] = [];
  rt.on('recovered', (e) => recovered.push(e));
  t.same(rt.apply(candidate(rt, { A: 'aaa' })), { kind: 'rejected', problems: [{ name: 'B', reason: 'is required but no source has it' }] }, 'a name less is validated (and fails)');
  t.equal(validations, 2);
  t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' }, 'v2')), { kind: 'unchanged' }, 'back to the current bytes');
  t.equal(validations, 2, 'not validated again');
  t.match(recovered, [{ from: 'rejected', names: ['B'] }], 'and recovered from the rejection');
  t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' }, 'v2'), [{ name: 'B', reason: 'unreadable' }]).kind, 'rejected', 'a read problem is never skipped');
  t.same(rt.apply(candidate(rt, { A: 'bbb', B: 'b' })), { kind: 'rotated', names: ['A'] });
  t.equal(validations, 4);
  t.equal(recovered.length, 2, 'the rotation after the read problem recovered too');
});

t.test('Function: summariseNames / logWithNames', async (t) => {
  const names = Array.from({ length: 5000 }, (_, i) => `SECRET_${i}`);
  t.same(summariseNames(['A', 'B']), { count: 2, first: ['A', 'B'], more: 0 });
  const s = summariseNames(names);
  t.equal(s.count, 5000);
  t.equal(s.first.length, NAMES_IN_SUMMARY);
  t.equal(s.more, 5000 - NAMES_IN_SUMMARY);

  const pino = (await import('pino')).default;
  for (const level of ['info', 'debug'] as const) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const log = pino({ level }, sink);
    logWithNames(log, 'info', 'names', names, { startMs: 1 }, 'secrets loaded');
    logWithNames(log, 'info', 'names', ['A'], {}, 'short list');
    const loaded = lines.find((l) => l.msg === 'secrets loaded')!;
    t.same(loaded.names, names.slice(0, NAMES_IN_SUMMARY), `${level}: the first names`);
    t.equal(loaded.count, 5000);
    t.equal(loaded.more, 5000 - NAMES_IN_SUMMARY);
    t.ok(JSON.stringify(loaded).length < 600, `${level}: the info line stays short`);
    const full = lines.find((l) => l.msg === 'secrets loaded (full list)');
    if (level === 'debug') t.same(full?.names, names, 'debug: the full list in its own record');
    else t.equal(full, undefined, 'info: no full list');
    const short = lines.filter((l) => String(l.msg).startsWith('short list'));
    t.equal(short.length, 1, 'a short list is logged once');
    t.match(short[0], { level: 30, names: ['A'], count: 1 });
    t.notOk('more' in short[0]!, 'whole');
  }
});
