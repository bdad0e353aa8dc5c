'use strict';
// The example's "authentication": bearer tokens of demo callers -> the actor the request runs as. A real app gets
// the actor from its own authentication (a verified JWT's subject and roles, a service account), never from what
// the request says about itself. Tokens here are fake and public: they guard nothing.
const ACTORS = {
  'token-billing': { id: 'svc-billing', roles: ['billing'] },
  'token-alice': { id: 'alice@acme.example', roles: ['tenant-admin'] },
  'token-bob': { id: 'bob@globex.example', roles: ['tenant-admin'] },
  'token-sam': { id: 'sam@support.example', roles: ['support'] },
  'token-ops': { id: 'ops@platform.example', roles: ['platform-operator'] },
};

/** The actor of a request, or undefined when its bearer token is unknown. */
function authenticate(req) {
  const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  return match ? ACTORS[match[1]] : undefined;
}

module.exports = { ACTORS, authenticate };
