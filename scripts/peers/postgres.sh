#!/usr/bin/env bash
# PostgreSQL peer: Debian's real `postgres` (initdb + pg_ctl) as the unprivileged `postgres` user, on
# 127.0.0.1:55432, for the credential-rotation tests (the rotation applies new passwords to real roles).
# Usage: scripts/peers/postgres.sh install|start|stop|status   (normally through scripts/peers.sh)
#
# The data directory lives under /tmp (not .peers/): the server runs as `postgres`, which cannot enter a clone
# that only root can read. Its path is kept in .peers/postgres/datadir. The superuser is `vc_admin` with password
# `vc-admin-password` (loopback only, scram-sha-256): tests take it as the "master credential" of a rotation.
# `start` is idempotent and safe to call from several processes at once (flock on .peers/postgres.lock).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. scripts/peers/lib.sh

HOST=127.0.0.1
PORT="${PG_PEER_PORT:-55432}"
ADMIN_USER=vc_admin
ADMIN_PASSWORD=vc-admin-password
STATE=.peers/postgres
LOCK=.peers/postgres.lock
LOG="$STATE/server.log"
RUN_AS=postgres

mkdir -p "$STATE"

fail_with_log() {
  echo "postgres peer: $1; last lines of $LOG:" >&2
  tail -n 20 "$LOG" >&2 2>/dev/null || true
  return 1
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(readlink -f "$(command -v pg_ctl)")"; return 0; }
  return 1
}

is_up() {
  local bin
  bin="$(pg_bindir)" || return 1
  "$bin/pg_isready" -q -h "$HOST" -p "$PORT" 2>/dev/null
}

do_install() {
  if pg_bindir >/dev/null && id "$RUN_AS" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "postgres peer: PostgreSQL is not installed (as root: apt-get install postgresql)" >&2
    return 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bindir >/dev/null || { echo "postgres peer: postgresql installed but pg_ctl not found" >&2; return 1; }
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" --init-groups -- "$@"; else "$@"; fi
}

do_start() {
  is_up && return 0
  exec 9>"$LOCK"
  flock -w 300 9 || { echo "postgres peer: could not take $LOCK within 300 s" >&2; return 1; }
  is_up && return 0
  do_install
  local bin data pwfile
  bin="$(pg_bindir)"
  data="$(cat "$STATE/datadir" 2>/dev/null || true)"
  if [ -z "$data" ] || [ ! -f "$data/PG_VERSION" ]; then
    data="$(mktemp -d /tmp/vc-pg-peer.XXXXXX)"
    chown "$RUN_AS" "$data"
    pwfile="$(mktemp /tmp/vc-pg-pw.XXXXXX)"
    printf '%s\n' "$ADMIN_PASSWORD" >"$pwfile"
    chown "$RUN_AS" "$pwfile"
    as_pg "$bin/initdb" -D "$data" -U "$ADMIN_USER" --pwfile="$pwfile" -A scram-sha-256 --auth-local=scram-sha-256 \
      -E UTF8 --locale=C >"$LOG" 2>&1 || { rm -f "$pwfile"; fail_with_log "initdb failed"; return 1; }
    rm -f "$pwfile"
    echo "$data" >"$STATE/datadir"
  fi
  # Sockets in the data directory (the default /var/run/postgresql may not exist or be writable).
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-h $HOST -p $PORT -k $data -c max_connections=200 -c password_encryption=scram-sha-256" start >>"$LOG" 2>&1 9>&- \
    || { cat "$data/server.log" >>"$LOG" 2>/dev/null || true; fail_with_log "pg_ctl start failed"; return 1; }
  is_up || { fail_with_log "postgres not ready on $HOST:$PORT"; return 1; }
  record_started_token postgres
}

do_stop() {
  local bin data
  bin="$(pg_bindir)" || return 0
  data="$(cat "$STATE/datadir" 2>/dev/null || true)"
  [ -n "$data" ] && [ -f "$data/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >>"$LOG" 2>&1 || true
  rm -rf "$data"
  rm -f "$STATE/datadir" "$STATE/run-id"
}

do_status() {
  if is_up; then echo "postgres peer: up on $HOST:$PORT"; return 0; fi
  echo "postgres peer: down"; return 1
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
