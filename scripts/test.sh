#!/usr/bin/env bash
# The one test command (`npm test`): unit, integration against the real Docker engine, the
# extension-host suite in a real VS Code, and end-to-end clicks in code-server + Chromium.
# Brings up what is missing first (dockerd, base images, code-server, Chromium); a second run
# reuses all of it. Ends with one line: "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
ART=$LS_ROOT/.test-artifacts
rm -rf "$ART"; mkdir -p "$ART"
passed=0; failed=0; status=0
declare -a summary=()

count() { # count <log> <kind>: add a stage's pass/fail counts to the totals
  local log=$1 kind=$2 p f
  if [ "$kind" = node ]; then
    p=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}'); f=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
  else
    p=$(grep -oE '[0-9]+ passing' "$log" | tail -1 | awk '{print $1}'); f=$(grep -oE '[0-9]+ failing' "$log" | tail -1 | awk '{print $1}')
  fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  echo "${p:-0} passed, ${f:-0} failed"
}
stage() { # stage <name> <kind> <command...>
  local name=$1 kind=$2; shift 2
  local log=$ART/$name.log t rc=0
  t=$(now)
  log "── $name"
  "$@" 2>&1 | tee "$log" || rc=$?
  local counts; counts=$(count "$log" "$kind")
  [ $rc -eq 0 ] || { status=1; [ "$counts" != "0 passed, 0 failed" ] || failed=$((failed + 1)); }
  summary+=("$(printf '%-12s %-22s %s (exit %s)' "$name" "$counts" "$(elapsed "$t")" "$rc")")
}

t0=$(now)
t=$(now); bash scripts/setup-docker.sh; summary+=("$(printf '%-12s %s' setup-docker "$(elapsed "$t")")")
t=$(now); eval "$(bash scripts/setup-vscode.sh)"; export CODE_SERVER NODE24_BIN; summary+=("$(printf '%-12s %s' setup-vscode "$(elapsed "$t")")")
t=$(now)
npm run --silent build
npx tsc -p .
npx @vscode/vsce package --no-dependencies --allow-missing-repository -o "$ART/local-serverless.vsix" </dev/null >"$ART/package.log" 2>&1 \
  || { cat "$ART/package.log"; exit 1; }
summary+=("$(printf '%-12s %s (vsix %s KiB, bundle %s KiB)' build "$(elapsed "$t")" "$(( $(stat -c %s "$ART/local-serverless.vsix") / 1024 ))" "$(( $(stat -c %s dist/extension.js) / 1024 ))")")
# vsce's prepublish leaves the minified bundle in dist/, which is what the VSIX ships and the tests load.
export LOCAL_SERVERLESS_VSIX=$ART/local-serverless.vsix

stage unit node node --test out/test/unit/
stage integration node node --test --test-concurrency=1 out/test/integration/*.test.js
stage exthost mocha node out/test/harness/runExtHostTests.js
stage e2e node node --test --test-concurrency=1 out/test/e2e/*.test.js

echo
echo "── summary (artifacts and screenshots in .test-artifacts/)"
printf '  %s\n' "${summary[@]}"
echo "  total $(elapsed "$t0")"
echo "$passed passed, $failed failed"
exit $status
