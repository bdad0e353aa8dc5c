// RotationScheduler.rotateDue on the real vault peer (test/rotation/fixtures/schedulerSuite.ts).
import t from 'tap';
import { schedulerSuite } from './fixtures/schedulerSuite';

t.test('Class: RotationScheduler on vault', async (t) => {
  await schedulerSuite(t, 'vault');
});
