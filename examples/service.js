'use strict';
// An example service started under the preload: `node -r @valuecanvas/secrets/register examples/service.js`.
// It prints what happens as JSON lines: names, versions and events, never a value.
const { createHmac } = require('node:crypto');
const { secrets } = require('..');

const say = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const versions = () => Object.fromEntries(secrets.names().map((n) => [n, secrets.version(n)]));

// Use a secret the safe way: a borrowed view of locked memory, valid only during the call.
const signature = secrets.use('JWT_SIGNING_KEY', (key) => createHmac('sha256', key).update('hello').digest('hex').slice(0, 12));
say({ event: 'started', names: secrets.names(), versions: versions(), sampleSignature: signature });
if (secrets.isWatching) say({ event: 'watching' });
else secrets.once('watching', () => say({ event: 'watching' }));

secrets.on('rotated', ({ names, versions: changed }) => say({ event: 'rotated', names, versions: changed }));
secrets.on('rejected', ({ names, reason }) => say({ event: 'rejected', names, reason, stillServing: versions() }));

setInterval(() => {}, 1000);
