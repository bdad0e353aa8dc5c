// Several real node processes rotate one secret of the vault peer at once, released together from behind a barrier
// after each read the state, 20 rounds (test/rotation/fixtures/raceSuite.ts).
import t from 'tap';
import { raceSuite } from './fixtures/raceSuite';

// 20 rounds of 4 real processes (on Azure each round waits at least one 1.1 s settle): more than the default
// per-file budget on a loaded machine.
t.setTimeout(300_000);

t.test('4 processes rotate one secret at once on vault, 20 rounds: exactly one new current version each round', async (t) => {
  await raceSuite(t, 'vault', { processes: 4, rounds: 20 });
});
