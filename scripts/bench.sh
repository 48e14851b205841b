#!/usr/bin/env bash
# `npm run bench`: the fn.json check on hostile input, then inner-loop timings against the raw docker
# CLI in the same run, then the gateway's overhead, cold start and burst against raw alternatives,
# then Push Image against `docker push` to a local registry (see test/bench/). `npm run bench -- fnjson` runs only the fn.json part (no engine);
# `npm run bench -- rebuild` only the rebuild path against the classic CLI's build + rm -f + run;
# `npm run bench -- scaling` only the gateway part (it builds dist/ for the gateway's worker thread);
# `npm run bench -- push` only Push Image against `docker push` (it starts the test registries).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
part=${1:-}
case "$part" in
  ''|fnjson|rebuild|scaling|push) ;;
  *) echo "usage: npm run bench [-- fnjson|rebuild|scaling|push]" >&2; exit 2 ;;
esac
npx tsc -p .
case "$part" in ''|fnjson) node out/test/bench/fnConfigCheck.js ;; esac
[ "$part" = fnjson ] && exit 0
bash scripts/setup-docker.sh
case "$part" in ''|rebuild) node --expose-gc out/test/bench/innerLoop.js "$@" ;; esac
case "$part" in ''|scaling) npm run --silent build && node out/test/bench/scaling.js ;; esac
case "$part" in ''|push)
  registry_env=$(bash scripts/setup-registry.sh) || { log "the test registries could not be set up (see above): no push figures"; exit 1; }
  eval "$registry_env"; REGISTRY_OPEN=$REGISTRY_OPEN node out/test/bench/push.js ;;
esac
# Invoke on a 600 MB reply (no Docker needed): memory and what the result view shows.
[ -n "$part" ] || node out/test/bench/invokeReply.js
