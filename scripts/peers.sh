#!/usr/bin/env bash
# Real local test peers (no Docker here): moto (AWS Secrets Manager), OpenBao (Vault API), a 3-node OpenBao raft
# cluster (vault-ha, for the failover tests), Lowkey Vault (Azure), PostgreSQL (the database whose credentials the
# rotation tests rotate).
# Usage: scripts/peers.sh install|start|stop|status [aws|vault|vault-ha|azure|postgres|all]
# Each peer lives in scripts/peers/<name>.sh with the same verbs; state (venvs, jars, pids, logs) goes to .peers/.
set -euo pipefail
cd "$(dirname "$0")/.."
verb="${1:-}"; which="${2:-all}"
case "$verb" in install|start|stop|status) ;; *) echo "usage: $0 install|start|stop|status [aws|vault|vault-ha|azure|postgres|all]" >&2; exit 2;; esac
peers=(aws vault vault-ha azure postgres)
[ "$which" = all ] || peers=("$which")
mkdir -p .peers
rc=0
for p in "${peers[@]}"; do
  bash "scripts/peers/$p.sh" "$verb" || { echo "peers: $p $verb failed" >&2; rc=1; }
done
exit $rc
