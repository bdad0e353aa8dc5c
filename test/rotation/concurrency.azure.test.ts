// Several real node processes rotate one secret of the azure peer at once (test/rotation/fixtures/raceSuite.ts).
import t from 'tap';
import { raceSuite } from './fixtures/raceSuite';

t.test('4 processes rotate one secret at once on azure: exactly one new current version', async (t) => {
  await raceSuite(t, 'azure', { processes: 4, rounds: 2 });
});
