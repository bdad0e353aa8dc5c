#!/usr/bin/env bash
# Runs a command (npm test runs tap through it) and afterwards stops the local test peers that this run started,
# and only those. Peers that were already running (started by .ci/run, by `scripts/peers.sh start`, or by another
# clone's run) are reused and left running. A peer script that really launches a server appends "<name> <pid>"
# to $VC_PEERS_STARTED_FILE (scripts/peers/lib.sh record_started); at exit each such server is stopped through
# scripts/peers.sh stop <name>, if .peers/<name>/server.pid still names that pid.
# Usage: scripts/with-peers.sh <command> [args...]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
started="$(mktemp "${TMPDIR:-/tmp}/vc-peers-started.XXXXXX")"
export VC_PEERS_STARTED_FILE="$started"

stop_started() {
  local name pid
  while read -r name pid; do
    case "$name" in aws|vault|azure|postgres|vault-ha) ;; *) continue ;; esac
    # aws, vault, azure record their server's pid; postgres and vault-ha (several processes, restarted by the fault
    # tests) record a run token they also keep in .peers/<name>/run-id.
    if [ -n "$pid" ] && { [ "$(cat "$root/.peers/$name/server.pid" 2>/dev/null)" = "$pid" ] || [ "$(cat "$root/.peers/$name/run-id" 2>/dev/null)" = "$pid" ]; }; then
      echo "with-peers: stopping the $name peer this run started (pid $pid)" >&2
      bash "$root/scripts/peers.sh" stop "$name" || true
    fi
  done <"$started"
  rm -f "$started"
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$@"
status=$?
exit "$status"
