# Shared by the peer scripts (sourced, not run).

# stop_pidfile <pidfile> <cmdline pattern>: stop the server whose pid the file holds — only if that pid is still
# our server (a pid can be reused) — TERM, up to 10 s, then KILL; remove the file.
stop_pidfile() {
  local pidfile="$1" pattern="$2" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q -- "$pattern" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# record_started <name> <pid>: a test run (scripts/with-peers.sh) passes VC_PEERS_STARTED_FILE; a peer script that
# really launched a server (rather than reusing one that answered) appends "<name> <pid>" so the run stops only that.
record_started() {
  [ -n "${VC_PEERS_STARTED_FILE:-}" ] && echo "$1 $2" >>"$VC_PEERS_STARTED_FILE"
  return 0
}

# record_started_token <name>: like record_started, for a peer of several processes: a fresh token goes to
# .peers/<name>/run-id and to the run's list, so scripts/with-peers.sh stops it only if this run started it.
record_started_token() {
  [ -n "${VC_PEERS_STARTED_FILE:-}" ] || return 0
  local token="run-$$-$RANDOM$RANDOM"
  mkdir -p ".peers/$1"
  echo "$token" >".peers/$1/run-id"
  echo "$1 $token" >>"$VC_PEERS_STARTED_FILE"
}
