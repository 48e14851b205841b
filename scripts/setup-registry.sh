#!/usr/bin/env bash
# Brings up two reference image registries on 127.0.0.1 for the push tests and the push benchmark.
#   scripts/setup-registry.sh        install (Debian's docker-registry and apache2-utils), start both
#   scripts/setup-registry.sh down   stop the registries this script started
#   scripts/setup-registry.sh reset  stop them, empty their storage (tests and benches leave blobs), start again
# One is open (REGISTRY_OPEN); the other asks for basic auth (REGISTRY_AUTH) as user `tester`, whose
# password is made once and kept in the cache folder. Each has its own config and storage under
# $LS_CACHE/registry, runs detached in its own session (setsid) with a pidfile, and is reused by the
# next run while it answers. dockerd pushes to 127.0.0.1:PORT over plain HTTP: loopback registries
# are insecure-allowed by default, so nothing global changes.
# Prints REGISTRY_OPEN, REGISTRY_AUTH, REGISTRY_USER and REGISTRY_PASSWORD lines on stdout for the
# caller to eval, only once `/v2/` answers as expected on both.
set -euo pipefail
. "$(dirname "$0")/common.sh"
DIR=$LS_CACHE/registry
OPEN_ADDR=127.0.0.1:5001
AUTH_ADDR=127.0.0.1:5002
USER_NAME=tester
mkdir -p "$DIR"

# The HTTP status `/v2/` answers with (000: nothing answers); extra arguments go to curl.
v2_status() { local addr=$1; shift; curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" "http://$addr/v2/" 2>/dev/null || true; }

password() {
  local file=$DIR/secret/password
  if [ ! -s "$file" ]; then
    mkdir -p "$DIR/secret"; chmod 700 "$DIR/secret"
    (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$file")
  fi
  cat "$file"
}

# Writes a registry's config (and, for the auth one, its bcrypt htpasswd file) when it changed.
write_config() {
  local name=$1 addr=$2 auth=$3 cfg=$DIR/$1/config.yml text
  mkdir -p "$DIR/$name/data"
  text="# Written by scripts/setup-registry.sh: a test registry, not for anything else.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/$name/data
  delete:
    enabled: true
http:
  addr: $addr
  secret: local-serverless-test-$name"
  if [ "$auth" = yes ]; then
    text="$text
auth:
  htpasswd:
    realm: local-serverless-test
    path: $DIR/secret/htpasswd"
  fi
  [ -f "$cfg" ] && [ "$(cat "$cfg")" = "$text" ] || printf '%s\n' "$text" >"$cfg"
}

htpasswd_file() {
  local pass file=$DIR/secret/htpasswd; pass=$(password)
  # Made again only when the password no longer matches it (htpasswd -v checks a bcrypt entry).
  if [ -s "$file" ] && htpasswd -vb "$file" "$USER_NAME" "$pass" >/dev/null 2>&1; then return 0; fi
  (umask 077; htpasswd -Bbn "$USER_NAME" "$pass" >"$file")
}

start_one() {
  local name=$1 addr=$2 expected=$3 pidf=$DIR/$1/registry.pid logf=$DIR/$1/registry.log status
  status=$(v2_status "$addr")
  if [ "$status" = "$expected" ]; then log "registry $name answers on $addr"; return 0; fi
  if [ "$status" != 000 ]; then
    log "something else answers on $addr (HTTP $status to /v2/): stop it, or run scripts/setup-registry.sh down if it is an old one of ours"; return 1
  fi
  log "starting registry $name on $addr (log: $logf)"
  setsid docker-registry serve "$DIR/$name/config.yml" >>"$logf" 2>&1 </dev/null &
  echo $! >"$pidf"
  for _ in $(seq 1 100); do
    [ "$(v2_status "$addr")" = "$expected" ] && { log "registry $name up (pid $(cat "$pidf"))"; return 0; }
    kill -0 "$(cat "$pidf")" 2>/dev/null || break
    sleep 0.1
  done
  log "registry $name did not come up on $addr; last lines of $logf:"; tail -n 20 "$logf" >&2; return 1
}

stop_one() {
  local name=$1 pidf=$DIR/$1/registry.pid pid
  [ -f "$pidf" ] || { log "no registry $name started by this script"; return 0; }
  pid=$(cat "$pidf")
  # Its own session and process group (setsid): signal the group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidf"; log "registry $name stopped"; return 0; }; sleep 0.1; done
  log "registry $name (pid $pid) still running after 10 s"; return 1
}

up() {
  local t0 pass; t0=$(now)
  command -v docker-registry >/dev/null && command -v htpasswd >/dev/null || apt_ensure docker-registry apache2-utils
  command -v curl >/dev/null || apt_ensure curl
  pass=$(password)
  htpasswd_file
  write_config open "$OPEN_ADDR" no
  write_config auth "$AUTH_ADDR" yes
  start_one open "$OPEN_ADDR" 200
  start_one auth "$AUTH_ADDR" 401
  # The password must open the auth registry, or the tests would fail for the wrong reason.
  local with; with=$(v2_status "$AUTH_ADDR" -u "$USER_NAME:$pass")
  [ "$with" = 200 ] || { log "the auth registry on $AUTH_ADDR refused $USER_NAME's password (HTTP $with)"; return 1; }
  log "registries ready in $(elapsed "$t0")"
  echo "REGISTRY_OPEN=$OPEN_ADDR"
  echo "REGISTRY_AUTH=$AUTH_ADDR"
  echo "REGISTRY_USER=$USER_NAME"
  echo "REGISTRY_PASSWORD=$pass"
}

case "${1:-up}" in
  up) up ;;
  down) stop_one open; stop_one auth ;;
  reset) stop_one open; stop_one auth; rm -rf "$DIR/open/data" "$DIR/auth/data"; log "emptied the registries' storage"; up ;;
  *) echo "usage: $0 [up|down|reset]" >&2; exit 2 ;;
esac
