#!/usr/bin/env bash
# Makes sure a Docker engine answers and the base images the templates use exist.
#   scripts/setup-docker.sh           engine + base images
#   scripts/setup-docker.sh down      stop the dockerd this script started (removes its containers first)
# Engine: DOCKER_HOST or the default socket. If none answers on a root Debian machine with apt,
# installs Debian's docker.io and starts dockerd detached with a pidfile (no systemd needed).
# A dockerd this script starts also listens on tcp://127.0.0.1:2376 with --tlsverify, with a CA,
# server and client certificates made by openssl in $LS_CACHE/tls (made once, then reused); the
# client's are in $LS_CACHE/tls/client (ca.pem, cert.pem, key.pem: a DOCKER_CERT_PATH), for the
# TLS integration test. A dockerd started otherwise is used as it is (never a second one).
# Base images: used when present or pullable; otherwise local stand-ins are built from the host's
# own Node.js 20 and Python 3.11 (said so in the output).
set -euo pipefail
. "$(dirname "$0")/common.sh"
SOCK=/var/run/docker.sock
PIDF=/var/run/local-serverless-dockerd.pid
DLOG=$LS_CACHE/dockerd.log
TLS_DIR=$LS_CACHE/tls
TLS_ADDR=127.0.0.1:2376
# Debian's 20.10 client does BuildKit; a newer /usr/local/bin/docker without buildx refuses DOCKER_BUILDKIT=1.
DOCKER_BIN=$(command -v /usr/bin/docker || command -v docker || echo docker)
docker_cli() { "$DOCKER_BIN" "$@"; }
engine_answers() { timeout 5 "$DOCKER_BIN" version >/dev/null 2>&1; }

engine_up() {
  if engine_answers; then log "Docker engine answers (${DOCKER_HOST:-unix://$SOCK})"; return 0; fi
  if [ -n "${DOCKER_HOST:-}" ]; then log "DOCKER_HOST=$DOCKER_HOST does not answer: start that engine and run again"; return 1; fi
  if ! is_root_debian; then
    log "no Docker engine answers on $SOCK: start Docker (or Podman's socket and set DOCKER_HOST) and run again"; return 1
  fi
  command -v dockerd >/dev/null || apt_ensure docker.io
  tls_certs
  log "starting dockerd, also on tcp://$TLS_ADDR with --tlsverify (log: $DLOG)"
  setsid dockerd -H "unix://$SOCK" -H "tcp://$TLS_ADDR" --tlsverify --tlscacert "$TLS_DIR/ca.pem" \
    --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem" --pidfile "$PIDF" >>"$DLOG" 2>&1 </dev/null &
  for _ in $(seq 1 300); do engine_answers && { log "dockerd up (pid $(cat "$PIDF"))"; return 0; }; sleep 0.1; done
  log "dockerd did not come up; last lines of $DLOG:"; tail -n 30 "$DLOG" >&2; return 1
}

# A CA, a server certificate for IP 127.0.0.1 and a client certificate, made once (kept 10 years).
tls_certs() {
  [ -s "$TLS_DIR/client/key.pem" ] && [ -s "$TLS_DIR/server-key.pem" ] && return 0
  command -v openssl >/dev/null || apt_ensure openssl
  local t d; t=$(now); d=$(mktemp -d)
  (
    cd "$d"; umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=local-serverless test CA' -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -days 3650 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=local-serverless test client' -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -days 3650 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -extfile client.ext -out cert.pem 2>/dev/null
    mkdir client; cp ca.pem client/; mv cert.pem key.pem client/
    rm -f ./*.csr ./*.ext ./*.srl
  )
  rm -rf "$TLS_DIR"; mv "$d" "$TLS_DIR"; chmod 755 "$TLS_DIR"
  log "made TLS certificates for tcp://$TLS_ADDR in $TLS_DIR ($(elapsed "$t"))"
}

# Says whether the engine that answers has the TLS listener, and how to get it when it has not.
tls_report() {
  if [ -s "$TLS_DIR/client/key.pem" ] && timeout 5 "$DOCKER_BIN" -H "tcp://$TLS_ADDR" --tlsverify --tlscacert "$TLS_DIR/client/ca.pem" \
      --tlscert "$TLS_DIR/client/cert.pem" --tlskey "$TLS_DIR/client/key.pem" version >/dev/null 2>&1; then
    log "TLS listener answers on tcp://$TLS_ADDR (client certificates: DOCKER_CERT_PATH=$TLS_DIR/client)"
  else
    log "no TLS listener on tcp://$TLS_ADDR: this dockerd was not started by this script with it; the TLS test will be skipped (to add it: scripts/setup-docker.sh down, then scripts/setup-docker.sh)"
  fi
}

engine_down() {
  [ -f "$PIDF" ] || { log "no dockerd started by this script"; return 0; }
  local pid; pid=$(cat "$PIDF")
  ids=$(docker_cli ps -aq 2>/dev/null || true); [ -z "$ids" ] || docker_cli rm -f $ids >/dev/null
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || { log "dockerd stopped"; return 0; }; sleep 0.1; done
  log "dockerd still running after 20 s"; return 1
}

# A stand-in rootfs: the host's runtime, a static busybox as /bin/sh, and the runtime's shared libraries.
rootfs_common() {
  local dir=$1
  mkdir -p "$dir"/{bin,usr/bin,usr/local/bin,tmp,etc,root,app}
  cp /bin/busybox "$dir/bin/busybox"
  for applet in $(/bin/busybox --list); do [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"; done
  ln -sf /bin/env "$dir/usr/bin/env"
  chmod 1777 "$dir/tmp"
}
copy_libs() { # copy the shared-library closure of the given binaries
  local dir=$1; shift
  for bin in "$@"; do ldd "$bin" 2>/dev/null || true; done | grep -oE '/[^ ]+\.so[^ ]*' | sort -u | while read -r lib; do
    [ -e "$lib" ] || continue; mkdir -p "$dir$(dirname "$lib")"; cp -L "$lib" "$dir$lib"; done
}
standin_node() {
  local tag=$1 dir node; dir=$(mktemp -d); node=$(readlink -f "$(command -v node)")
  [ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ] || log "warning: host Node.js is $(node -v), not 20"
  rootfs_common "$dir"; mkdir -p "$dir/usr/local/lib/node_modules" "$dir/home/node"
  cp -a "$node" "$dir/usr/local/bin/node"
  cp -a /usr/lib/node_modules/npm /usr/lib/node_modules/corepack "$dir/usr/local/lib/node_modules/"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  copy_libs "$dir" "$node"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$dir/etc/group"
  chown 1000:1000 "$dir/home/node"
  tar -C "$dir" -c . | docker_cli import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c "ENV NODE_VERSION=$(node -p process.versions.node)" -c 'LABEL local-serverless.standin=true' -c 'CMD ["node"]' - "$tag" >/dev/null
  rm -rf "$dir"
}
standin_python() {
  local tag=$1 dir py=/usr/bin/python3.11; dir=$(mktemp -d)
  [ -x $py ] || apt_ensure python3.11
  rootfs_common "$dir"; mkdir -p "$dir/usr/lib/python3/dist-packages" "$dir/usr/share"
  cp -a $py "$dir/usr/bin/"; ln -s python3.11 "$dir/usr/bin/python3"; ln -s python3.11 "$dir/usr/bin/python"
  tar -C / --exclude='__pycache__' --exclude='usr/lib/python3.11/test' --exclude='usr/lib/python3.11/idlelib' \
      --exclude='usr/lib/python3.11/tkinter' -c usr/lib/python3.11 | tar -C "$dir" -x
  [ -d /usr/lib/python3/dist-packages/pip ] || apt_ensure python3-pip
  tar -C / -c usr/lib/python3/dist-packages/pip | tar -C "$dir" -x
  rm -f "$dir/usr/lib/python3.11/EXTERNALLY-MANAGED"
  printf '#!/bin/sh\nexec python3 -m pip "$@"\n' >"$dir/usr/bin/pip"; chmod +x "$dir/usr/bin/pip"
  copy_libs "$dir" $py /usr/lib/python3.11/lib-dynload/*.so
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$dir/etc/passwd"; printf 'root:x:0:\n' >"$dir/etc/group"
  tar -C "$dir" -c . | docker_cli import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'ENV LANG=C.UTF-8' \
    -c 'LABEL local-serverless.standin=true' -c 'CMD ["python3"]' - "$tag" >/dev/null
  rm -rf "$dir"
}
ensure_image() {
  local tag=$1 maker=$2 t
  if docker_cli image inspect "$tag" >/dev/null 2>&1; then log "base image $tag present"; return 0; fi
  if timeout 30 "$DOCKER_BIN" pull -q "$tag" >/dev/null 2>&1; then log "base image $tag pulled"; return 0; fi
  t=$(now)
  [ -x /bin/busybox ] || apt_ensure busybox-static
  $maker "$tag"
  log "no registry reachable: built a local stand-in for $tag from the host's runtime ($(elapsed "$t"))"
}

case "${1:-up}" in
  up) t0=$(now); engine_up
      ensure_image node:20-bookworm-slim standin_node
      ensure_image python:3.11-slim standin_python
      # Debug Function mounts the host's debugpy into Python containers (the image stays as it is).
      [ -f /usr/lib/python3/dist-packages/debugpy/__init__.py ] || apt_ensure python3-debugpy
      [ -n "${DOCKER_HOST:-}" ] || tls_report
      log "Docker ready in $(elapsed "$t0")" ;;
  down) engine_down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
