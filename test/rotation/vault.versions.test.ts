// Rotation on the real vault peer, part "versions" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { versionsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on vault (versions)', async (t) => {
  await withPeer(t, 'vault', (c) => versionsSuite(t, c));
});
