// After failed or rolled-back rotations on the aws peer, the backend's own reader gets the current value
// (test/rotation/fixtures/plainReaderSuite.ts).
import t from 'tap';
import { plainReaderSuite } from './fixtures/plainReaderSuite';

// Five rotations plus the backend's own reader (the bao CLI is a process per read): generous for a loaded machine.
t.setTimeout(240_000);

t.test('a reader that knows nothing of this library reads the current value after failed rotations on aws', async (t) => {
  await plainReaderSuite(t, 'aws');
});
