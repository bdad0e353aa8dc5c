// RotationScheduler.rotateDue on the real aws peer (test/rotation/fixtures/schedulerSuite.ts).
import t from 'tap';
import { schedulerSuite } from './fixtures/schedulerSuite';

t.test('Class: RotationScheduler on aws', async (t) => {
  await schedulerSuite(t, 'aws');
});
