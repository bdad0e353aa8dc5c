// Rotation on the real azure peer, part "versions" (test/rotation/fixtures/rotationSuite.ts).
import t from 'tap';
import { versionsSuite, withPeer } from './fixtures/rotationSuite';

t.test('Class: SecretRotator on azure (versions)', async (t) => {
  await withPeer(t, 'azure', (c) => versionsSuite(t, c));
});
