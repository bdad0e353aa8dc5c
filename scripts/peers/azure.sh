#!/usr/bin/env bash
# Azure Key Vault test peer on https://127.0.0.1:8443 (secrets API) and http://127.0.0.1:8080 (token stub, CA).
# Usage: scripts/peers/azure.sh install|start|stop|status   (normally through scripts/peers.sh)
#
# The peer is Lowkey Vault (com.github.nagyesta.lowkey-vault:lowkey-vault-app, a Spring Boot jar from Maven
# Central) run with the newest installed JDK that its version needs (v5+ Java 25, v4 Java 21). When no
# candidate version can be fetched (some Maven mirrors do not serve that artifact), the peer falls back to
# scripts/peers/azure-keyvault-standin.js, a local implementation of the same REST API; `status` says which runs.
#   AZURE_PEER=lowkey   never fall back (fail instead)      AZURE_PEER=standin   skip Lowkey
#   LOWKEY_VERSION=x.y.z  try only that version
# Either way the HTTPS certificate is exported as PEM to .peers/azure/lowkey-ca.pem: tests trust it through `ca`,
# never by turning TLS verification off. State (jar, pid, log, certificate) lives in .peers/azure; remove that
# folder to reinstall.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=lib.sh
. scripts/peers/lib.sh
DIR=.peers/azure
HOST=127.0.0.1
HTTPS_PORT=8443
HTTP_PORT=8080
CA_PEM="$DIR/lowkey-ca.pem"
PID_FILE="$DIR/server.pid"
LOG="$DIR/server.log"
IMPL_FILE="$DIR/impl"          # "lowkey <version> <java>" or "standin"
GA=com.github.nagyesta.lowkey-vault:lowkey-vault-app
# Versions newest first, each with the Java major it needs (versions seen on Maven Central).
CANDIDATES=(7.1.13:25 6.0.6:25 5.0.14:25 4.0.67:21)
READY_SECONDS=120
mkdir -p "$DIR"

log() { echo "peer azure: $*" >&2; }

# Major version of each installed JDK, "major path" per line, newest first.
jdks() {
  local j v
  for j in /usr/lib/jvm/*/bin/java "$(command -v java 2>/dev/null || true)"; do
    [ -x "$j" ] || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)
    [ -n "$v" ] && echo "${v%%.*} $(readlink -f "$j")"
  done | sort -u -k1,1nr
}

java_for() { # java_for <major>: path of an installed JDK with at least that major version
  jdks | awk -v need="$1" '$1 >= need { print $2; exit }'
}

# Answers on HTTPS with the exported certificate trusted (a real TLS check, not -k).
is_up() {
  [ -s "$CA_PEM" ] || return 1
  curl -s -o /dev/null --max-time 3 --cacert "$CA_PEM" "https://$HOST:$HTTPS_PORT/ping"
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

install_lowkey() {
  local c v need java candidates=("${CANDIDATES[@]}")
  [ -n "${LOWKEY_VERSION:-}" ] && candidates=("$LOWKEY_VERSION:$( [ "${LOWKEY_VERSION%%.*}" -ge 5 ] && echo 25 || echo 21)")
  for c in "${candidates[@]}"; do
    v=${c%%:*}; need=${c##*:}
    java=$(java_for "$need")
    if [ -z "$java" ]; then log "Lowkey Vault $v needs Java $need, not installed; skipped"; continue; fi
    log "fetching $GA:$v from Maven Central"
    if mvn -q -B -U dependency:copy "-Dartifact=$GA:$v:jar" "-DoutputDirectory=$DIR/jar" >"$DIR/mvn.log" 2>&1; then
      mv "$DIR/jar/lowkey-vault-app-$v.jar" "$DIR/lowkey-vault-app.jar"
      echo "lowkey $v $java" >"$IMPL_FILE"
      log "installed Lowkey Vault $v (Java $need: $java)"
      return 0
    fi
    log "Lowkey Vault $v is not available: $(grep -m1 -o 'Could not find artifact[^:]*\|was not found in[^.]*\|Could not transfer[^:]*' "$DIR/mvn.log" || tail -1 "$DIR/mvn.log")"
  done
  return 1
}

install_standin() {
  # A private CA and a server certificate for localhost / *.localhost / 127.0.0.1 / ::1.
  local d="$DIR/standin"
  mkdir -p "$d"
  if [ ! -s "$d/server.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=valuecanvas azure peer CA" \
      -keyout "$d/ca.key" -out "$d/ca.pem" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
    rm -f "$d/server.csr" "$d/ca.key" "$d/ca.srl"
    chmod 600 "$d/server.key"
  fi
  echo standin >"$IMPL_FILE"
  log "using the Key Vault stand-in (scripts/peers/azure-keyvault-standin.js)"
}

do_install() {
  if [ -s "$IMPL_FILE" ]; then
    case "$(cut -d' ' -f1 "$IMPL_FILE")" in
      lowkey) [ -s "$DIR/lowkey-vault-app.jar" ] && [ "${AZURE_PEER:-auto}" != standin ] && return 0 ;;
      standin) [ "${AZURE_PEER:-auto}" = standin ] && return 0
               [ "${AZURE_PEER:-auto}" = auto ] && [ -e "$DIR/lowkey-unavailable" ] && return 0 ;;
    esac
  fi
  if [ "${AZURE_PEER:-auto}" != standin ]; then
    if install_lowkey; then rm -f "$DIR/lowkey-unavailable"; return 0; fi
    if [ "${AZURE_PEER:-auto}" = lowkey ]; then log "no Lowkey Vault version could be installed (AZURE_PEER=lowkey)"; return 1; fi
    log "no Lowkey Vault jar could be fetched; falling back to the stand-in (remove $DIR to try again)"
    touch "$DIR/lowkey-unavailable"
  fi
  install_standin
}

# The server must not inherit fd 9 (the start lock), or it would hold the lock for its whole life.
launch() {
  local impl version java
  read -r impl version java <"$IMPL_FILE"
  : >"$LOG"
  if [ "$impl" = lowkey ]; then
    setsid nohup "$java" -Xmx512m -jar "$DIR/lowkey-vault-app.jar" \
      "--server.port=$HTTPS_PORT" "--server.address=$HOST" "--app.token.port=$HTTP_PORT" \
      --LOWKEY_VAULT_RELAXED_PORTS=true \
      >>"$LOG" 2>&1 </dev/null 9>&- &
  else
    setsid nohup node scripts/peers/azure-keyvault-standin.js "--host=$HOST" "--https-port=$HTTPS_PORT" "--http-port=$HTTP_PORT" \
      "--cert=$DIR/standin/server.pem" "--key=$DIR/standin/server.key" "--ca=$DIR/standin/ca.pem" \
      >>"$LOG" 2>&1 </dev/null 9>&- &
  fi
  echo $! >"$PID_FILE"
  record_started azure "$(cat "$PID_FILE")"
}

export_ca() {
  local impl
  impl=$(cut -d' ' -f1 "$IMPL_FILE")
  if [ "$impl" = standin ]; then
    cp "$DIR/standin/ca.pem" "$CA_PEM.tmp"
  else
    # Lowkey's self-signed certificate, read off the TLS handshake.
    openssl s_client -connect "$HOST:$HTTPS_PORT" -servername localhost </dev/null 2>/dev/null | openssl x509 -outform PEM >"$CA_PEM.tmp" 2>/dev/null || return 1
  fi
  [ -s "$CA_PEM.tmp" ] && mv "$CA_PEM.tmp" "$CA_PEM"
}

# The CA of a peer already running (stand-in or Lowkey: /ca.pem on the plain port), if it is a PEM certificate.
fetch_peer_ca() {
  curl -fsS --max-time 3 -o "$CA_PEM.peer" "http://$HOST:$HTTP_PORT/ca.pem" 2>/dev/null &&
    openssl x509 -noout -in "$CA_PEM.peer" 2>/dev/null && mv "$CA_PEM.peer" "$CA_PEM" || { rm -f "$CA_PEM.peer"; return 1; }
}

running_pid() {
  local pid
  [ -s "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

do_start() {
  is_up && return 0
  exec 9>"$DIR/../azure.lock"
  flock -w 300 9 || { log "timed out waiting for $DIR/../azure.lock"; return 1; }
  is_up && return 0
  do_install
  if ! running_pid >/dev/null; then
    if port_busy "$HTTPS_PORT" || port_busy "$HTTP_PORT"; then
      # Something else holds the port: maybe our peer whose CA file was removed; try to export its certificate.
      if [ -s "$IMPL_FILE" ] && export_ca && is_up; then return 0; fi
      # Or the same kind of peer started from another clone: it serves its CA on the plain port; reuse it only if
      # it then answers /ping over TLS verified with that CA.
      if fetch_peer_ca && is_up; then log "reusing the Key Vault peer already running on $HOST:$HTTPS_PORT"; return 0; fi
      log "port $HTTPS_PORT or $HTTP_PORT on $HOST is taken by another process"; return 1
    fi
    launch
  fi
  local deadline=$((SECONDS + READY_SECONDS)) pid
  pid=$(cat "$PID_FILE")
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then log "server exited during start-up; log tail:"; tail -n 40 "$LOG" >&2; return 1; fi
    if port_busy "$HTTPS_PORT" && export_ca && is_up; then
      log "ready ($(cut -d' ' -f1,2 "$IMPL_FILE")) on https://$HOST:$HTTPS_PORT"; return 0
    fi
    sleep 1
  done
  log "not ready after ${READY_SECONDS}s; log tail:"; tail -n 40 "$LOG" >&2
  do_stop
  return 1
}

do_stop() {
  local pid
  pid=$(running_pid) || { rm -f "$PID_FILE"; return 0; }
  # setsid made the server its own process group leader: end that group only.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

do_status() {
  local impl="not installed"
  [ -s "$IMPL_FILE" ] && impl=$(cat "$IMPL_FILE")
  if is_up; then echo "azure: up (https://$HOST:$HTTPS_PORT, $impl, pid $(running_pid || echo '?'))"; return 0; fi
  echo "azure: down ($impl)"; return 3
}

case "${1:-}" in
  install) exec 9>"$DIR/../azure.lock"; flock -w 300 9; do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
