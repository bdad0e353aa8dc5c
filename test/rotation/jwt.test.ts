// JWT signing keys rotated on a real store (OpenBao, moto) and used with `jose`: sign with the current key; during
// the grace period, verify with the current or the previous key (useVersions); once the grace period ends (or the
// previous version is retired) a token signed with the old key is rejected.
import { jwtVerify, SignJWT } from 'jose';
import t from 'tap';
import { SecretRotator, type VersionViews } from '../../src/rotation';
import { uniquePrefix, type PeerName } from '../helpers/peers';
import { makePeerClient } from './fixtures/peerClients';

const sign = (key: Uint8Array, sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(key);

/** Verify with the current key, then with the previous one: the recipe of docs/rotation.md. */
async function verifyWithEither(token: string, views: VersionViews): Promise<'current' | 'previous' | 'rejected'> {
  try {
    await jwtVerify(token, views.current.view);
    return 'current';
  } catch {
    if (!views.previous) return 'rejected';
    try {
      await jwtVerify(token, views.previous.view);
      return 'previous';
    } catch {
      return 'rejected';
    }
  }
}

for (const peer of ['vault', 'aws'] as PeerName[]) {
  t.test(`JWT keys rotated on ${peer}: grace, then rejection`, async (t) => {
    const client = await makePeerClient(peer, uniquePrefix(`jwt-${peer}`));
    t.teardown(() => client.close());
    const path = 'JWT_SIGNING_KEY';
    await client.put(path, Buffer.from(crypto.getRandomValues(new Uint8Array(32))));
    const rotator = new SecretRotator({ client });
    const grace = 60_000;

    const oldToken = await rotator.useVersions(path, ({ current }) => sign(current.view, 'before'));
    await rotator.rotate(path, { gracePeriodMs: grace });
    const newToken = await rotator.useVersions(path, ({ current }) => sign(current.view, 'after'), { gracePeriodMs: grace });

    t.equal(await rotator.useVersions(path, (v) => verifyWithEither(newToken, v), { gracePeriodMs: grace }), 'current', 'a new token verifies with the current key');
    t.equal(await rotator.useVersions(path, (v) => verifyWithEither(oldToken, v), { gracePeriodMs: grace }), 'previous', 'an old token verifies with the previous key during the grace period');

    // After the grace period (a clock past it): the previous key is no longer offered, the old token is rejected.
    const later = new SecretRotator({ client, now: () => Date.now() + grace + 1_000 });
    t.equal(await later.useVersions(path, (v) => verifyWithEither(oldToken, v), { gracePeriodMs: grace }), 'rejected', 'after the grace period the old token is rejected');
    t.equal(await later.useVersions(path, (v) => verifyWithEither(newToken, v), { gracePeriodMs: grace }), 'current', 'the new token still verifies');

    // Retiring the previous version ends it for everyone, whatever their clock.
    const retired = await later.retireExpired(path, { gracePeriodMs: grace });
    t.ok(retired.isRetired, 'the previous version was retired');
    t.equal(await rotator.useVersions(path, (v) => verifyWithEither(oldToken, v), { gracePeriodMs: grace }), 'rejected', 'a retired key verifies nothing');
  });
}
