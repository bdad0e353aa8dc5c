// Rotation on the real azure peer, part "steps" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { stepsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on azure (steps)', async (t) => {
  await withPeer(t, 'azure', (c) => stepsSuite(t, c));
});
