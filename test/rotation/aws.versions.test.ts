// Rotation on the real aws peer, part "versions" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { versionsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on aws (versions)', async (t) => {
  await withPeer(t, 'aws', (c) => versionsSuite(t, c));
});
