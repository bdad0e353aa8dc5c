// Rotation on the real aws peer, part "steps" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { stepsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on aws (steps)', async (t) => {
  await withPeer(t, 'aws', (c) => stepsSuite(t, c));
});
