// Tenant isolation and "granted exactly when the policy allows", over at least 100,000 generated calls against the
// in-memory provider (see fixtures/isolationProperty.ts for the world, the model and the checks).
import t from 'tap';
import { InMemoryProvider } from '../../src/service';
import { runIsolationProperty } from './fixtures/isolationProperty';

t.test('Property: no caller reads, lists or learns of a secret it may not access (in-memory provider)', async (t) => {
  const started = Date.now();
  const checked = await runIsolationProperty(t, { label: 'memory', client: new InMemoryProvider(), numRuns: 2_100, opsPerWorld: 50 });
  t.ok(checked >= 100_000, `${checked} generated calls (>= 100,000) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
