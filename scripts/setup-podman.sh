#!/usr/bin/env bash
# Brings up Podman's Docker-compatible API for the integration tier's Podman stage.
#   scripts/setup-podman.sh        install (Debian's podman), start the API socket, load the base images
#   scripts/setup-podman.sh down   stop the API service this script started
# Nothing global changes: Podman reads a test-only containers.conf (CONTAINERS_CONF) from the cache
# folder. On this kind of machine Podman runs containers only with it: the default open-files limit
# is above the host's hard limit (runc refuses it), and there is no systemd for cgroups or events.
# The base images come from the Docker engine (`docker save | podman load`), since no registry
# answers. Idempotent: a second run finds the socket answering and the images present.
# Prints `PODMAN_DOCKER_HOST=unix://…` on stdout for the caller to eval.
set -euo pipefail
. "$(dirname "$0")/common.sh"
DIR=$LS_CACHE/podman
SOCK=$DIR/podman.sock
PIDF=$DIR/service.pid
PLOG=$DIR/service.log
export CONTAINERS_CONF=$DIR/containers.conf
DOCKER_BIN=$(command -v /usr/bin/docker || command -v docker || echo docker)
IMAGES=(node:20-bookworm-slim python:3.11-slim)
mkdir -p "$DIR"

api_answers() { [ -S "$SOCK" ] && timeout 5 curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

service_up() {
  if api_answers; then log "Podman API answers on unix://$SOCK"; return 0; fi
  # catatonit is Podman's init for `Init: true`; the CNI plugins publish ports.
  apt_ensure podman catatonit containernetworking-plugins iptables curl
  cat >"$CONTAINERS_CONF" <<'EOF'
# Test-only Podman configuration (scripts/setup-podman.sh); given by CONTAINERS_CONF, nothing global.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  rm -f "$SOCK"
  log "starting podman system service on unix://$SOCK (log: $PLOG)"
  setsid podman system service --time=0 "unix://$SOCK" >>"$PLOG" 2>&1 </dev/null &
  echo $! >"$PIDF"
  for _ in $(seq 1 100); do api_answers && { log "Podman API up (pid $(cat "$PIDF"), $(podman --version))"; return 0; }; sleep 0.1; done
  log "the Podman API did not come up; last lines of $PLOG:"; tail -n 30 "$PLOG" >&2; return 1
}

service_down() {
  [ -f "$PIDF" ] || { log "no Podman service started by this script"; return 0; }
  local pid; pid=$(cat "$PIDF")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$PIDF"; log "Podman service stopped"; return 0; }; sleep 0.1; done
  log "Podman service still running after 10 s"; return 1
}

load_images() {
  local image t
  for image in "${IMAGES[@]}"; do
    if podman image exists "$image"; then continue; fi
    t=$(now)
    "$DOCKER_BIN" save "$image" | podman load -q >/dev/null
    log "loaded $image into Podman from Docker ($(elapsed "$t"))"
  done
}

case "${1:-up}" in
  up) t0=$(now); service_up; load_images; log "Podman ready in $(elapsed "$t0")"; echo "PODMAN_DOCKER_HOST=unix://$SOCK" ;;
  down) service_down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
