'use strict';
// The load service's own secrets (the preload's, from a kubelet-style mount), as a convict schema.
// PAIR_A and PAIR_B are rotated together: both start with the same generation marker (`PLANTg000012.`, see
// docs/load.md), so a request that sees two different markers saw a mix of two snapshots.
module.exports = {
  PAIR_A: { doc: 'first of a pair rotated together (generation marker + random hex)', format: 'secret-utf8', default: null, sensitive: true, minBytes: 32 },
  PAIR_B: { doc: 'second of the pair, same generation marker as PAIR_A', format: 'secret-utf8', default: null, sensitive: true, minBytes: 32 },
  AUDIT_HMAC_KEY: { doc: 'key of the audit trail name references, 64+ hex digits (not rotated during the run)', format: 'secret-hex', default: null, sensitive: true, minBytes: 64 },
};
