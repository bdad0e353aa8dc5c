// RotationScheduler.rotateDue on the real azure peer (test/rotation/fixtures/schedulerSuite.ts).
import t from 'tap';
import { schedulerSuite } from './fixtures/schedulerSuite';

t.test('Class: RotationScheduler on azure', async (t) => {
  await schedulerSuite(t, 'azure');
});
