#!/usr/bin/env bash
# AWS Secrets Manager peer: moto in server mode on 127.0.0.1:5000 (no Docker, no real AWS).
# Usage: scripts/peers/aws.sh install|start|stop|status   (normally through scripts/peers.sh)
# State lives in .peers/aws/: venv/, server.log, server.pid. `start` is idempotent and safe to call from
# several processes at once (flock on .peers/aws.lock), so parallel test files can all call ensurePeer('aws').
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. scripts/peers/lib.sh

MOTO_VERSION="${MOTO_VERSION:-5.1.22}"
HOST=127.0.0.1
PORT="${AWS_PEER_PORT:-5000}"   # another port only for tests of the peer scripts themselves
STATE=.peers/aws
VENV="$STATE/venv"
LOG="$STATE/server.log"
PIDFILE="$STATE/server.pid"
LOCK=.peers/aws.lock
READY_TIMEOUT_S="${AWS_PEER_READY_TIMEOUT_S:-60}"

mkdir -p "$STATE"

# True when something answers HTTP on the port. moto serves /moto-api/ on every server.
is_up() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "http://$HOST:$PORT/moto-api/" 2>/dev/null
  else
    python3 - "$HOST" "$PORT" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/moto-api/", timeout=2)
PY
  fi
}

is_installed() {
  [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" - "$MOTO_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("moto") == sys.argv[1] else 1)
PY
}

do_install() {
  if is_installed; then
    return 0
  fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "aws peer: python3 is required to install moto" >&2
    return 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || { echo "aws peer: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2; return 1; }
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  is_installed || { echo "aws peer: moto $MOTO_VERSION did not install into $VENV" >&2; return 1; }
}

do_start() {
  is_up && return 0
  exec 9>"$LOCK"
  flock -w 300 9 || { echo "aws peer: could not take $LOCK within 300 s" >&2; return 1; }
  # Another caller may have started it while we waited for the lock.
  is_up && return 0
  do_install
  # A stale pid file from a crashed server: only kill it if it is still our moto_server.
  if [ -f "$PIDFILE" ]; then
    old="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && grep -q moto_server "/proc/$old/cmdline" 2>/dev/null; then
      kill "$old" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
  fi
  # setsid + nohup: the server outlives the caller (a tap worker) and ignores its hangup. fd 9 (the lock) is
  # closed for the child so the lock is released when this script exits.
  nohup setsid "$VENV/bin/moto_server" -H "$HOST" -p "$PORT" >"$LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
  record_started aws "$(cat "$PIDFILE")"
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if is_up; then
      return 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "aws peer: moto_server exited during start-up; last lines of $LOG:" >&2
      tail -n 30 "$LOG" >&2 || true
      return 1
    fi
    sleep 0.25
  done
  echo "aws peer: moto_server not ready on $HOST:$PORT after ${READY_TIMEOUT_S} s; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2 || true
  return 1
}

do_stop() {
  stop_pidfile "$PIDFILE" moto_server
}

do_status() {
  if is_up; then
    echo "aws peer: up on http://$HOST:$PORT"
    return 0
  fi
  echo "aws peer: down"
  return 1
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
