#!/usr/bin/env bash
# `npm run bench`: inner-loop timings against the raw docker CLI in the same run (see test/bench/).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
bash scripts/setup-docker.sh
npx tsc -p .
node --expose-gc out/test/bench/innerLoop.js
# Invoke on a 600 MB reply (no Docker needed): memory and what the result view shows.
node out/test/bench/invokeReply.js
