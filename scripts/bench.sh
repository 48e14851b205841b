#!/usr/bin/env bash
# `npm run bench`: the fn.json check on hostile input, then inner-loop timings against the raw docker
# CLI in the same run (see test/bench/). `npm run bench -- fnjson` runs only the fn.json part (no engine);
# `npm run bench -- rebuild` only the rebuild path against the classic CLI's build + rm -f + run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
npx tsc -p .
[ "${1:-}" = rebuild ] || node out/test/bench/fnConfigCheck.js
[ "${1:-}" = fnjson ] && exit 0
bash scripts/setup-docker.sh
node --expose-gc out/test/bench/innerLoop.js "$@"
# Invoke on a 600 MB reply (no Docker needed): memory and what the result view shows.
[ -n "${1:-}" ] || node out/test/bench/invokeReply.js
