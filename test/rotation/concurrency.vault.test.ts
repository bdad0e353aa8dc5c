// Several real node processes rotate one secret of the vault peer at once (test/rotation/fixtures/raceSuite.ts).
import t from 'tap';
import { raceSuite } from './fixtures/raceSuite';

t.test('4 processes rotate one secret at once on vault: exactly one new current version', async (t) => {
  await raceSuite(t, 'vault', { processes: 4, rounds: 2 });
});
