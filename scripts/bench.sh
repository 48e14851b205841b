#!/usr/bin/env bash
# `npm run bench`: the fn.json check on hostile input, then inner-loop timings against the raw docker
# CLI in the same run, then the gateway's overhead, cold start and burst against raw alternatives,
# then Ctrl+S in a real VS Code to the first reply with the new code,
# then Push Image against `docker push` to a local registry (see test/bench/). `npm run bench -- fnjson` runs only the fn.json part (no engine);
# `npm run bench -- rebuild` only the rebuild path against the classic CLI's build + rm -f + run;
# `npm run bench -- scaling` only the gateway part (it builds dist/ for the gateway's worker thread);
# `npm run bench -- push` only Push Image against `docker push` (it starts the test registries);
# `npm run bench -- editor` only Ctrl+S in a real VS Code (code-server + Chromium, set up as for the
# end-to-end tests) against a file write and docker cp + restart of the same function.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
part=${1:-}
case "$part" in
  ''|fnjson|rebuild|scaling|push|editor) ;;
  *) echo "usage: npm run bench [-- fnjson|rebuild|scaling|push|editor]" >&2; exit 2 ;;
esac
npx tsc -p .
case "$part" in ''|fnjson) node out/test/bench/fnConfigCheck.js ;; esac
[ "$part" = fnjson ] && exit 0
bash scripts/setup-docker.sh
case "$part" in ''|rebuild) node --expose-gc out/test/bench/innerLoop.js "$@" ;; esac
case "$part" in ''|scaling) npm run --silent build && node out/test/bench/scaling.js ;; esac
case "$part" in ''|editor)
  vscode_env=$(bash scripts/setup-vscode.sh) || { log "setting up code-server and Chromium failed (see above): no editor figures"; exit 1; }
  eval "$vscode_env"; export CODE_SERVER NODE24_BIN
  # The packaged extension, as the end-to-end tests install it.
  mkdir -p .test-artifacts
  npm run --silent build
  npx @vscode/vsce package --no-dependencies --allow-missing-repository -o .test-artifacts/bench-local-serverless.vsix </dev/null >.test-artifacts/bench-package.log 2>&1 \
    || { cat .test-artifacts/bench-package.log; exit 1; }
  LOCAL_SERVERLESS_VSIX=$PWD/.test-artifacts/bench-local-serverless.vsix node out/test/bench/editorPath.js ;;
esac
case "$part" in ''|push)
  registry_env=$(bash scripts/setup-registry.sh) || { log "the test registries could not be set up (see above): no push figures"; exit 1; }
  eval "$registry_env"; REGISTRY_OPEN=$REGISTRY_OPEN node out/test/bench/push.js ;;
esac
# Invoke on a 600 MB reply (no Docker needed): memory and what the result view shows.
[ -n "$part" ] || node out/test/bench/invokeReply.js
