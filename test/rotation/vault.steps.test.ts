// Rotation on the real vault peer, part "steps" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { stepsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on vault (steps)', async (t) => {
  await withPeer(t, 'vault', (c) => stepsSuite(t, c));
});
