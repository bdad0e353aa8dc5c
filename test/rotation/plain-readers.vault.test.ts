// After failed or rolled-back rotations on the vault peer, the backend's own reader gets the current value
// (test/rotation/fixtures/plainReaderSuite.ts).
import t from 'tap';
import { plainReaderSuite } from './fixtures/plainReaderSuite';

t.test('a reader that knows nothing of this library reads the current value after failed rotations on vault', async (t) => {
  await plainReaderSuite(t, 'vault');
});
