#!/usr/bin/env bash
# The one test command (`npm test`): unit, integration against the real Docker engine and again
# against Podman's Docker-compatible socket, the extension-host suite in a real VS Code, and
# end-to-end clicks in code-server + Chromium.
# Brings up what is missing first (dockerd, base images, Podman, the test registries, code-server, Chromium); a second run
# reuses all of it. Ends with one line: "N passed, N failed, N skipped" (a skipped test is never hidden).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
ART=$LS_ROOT/.test-artifacts
rm -rf "$ART"; mkdir -p "$ART"
passed=0; failed=0; skipped=0; status=0
declare -a summary=()

count() { # count <log> <kind>: sets p, f and s to a stage's pass/fail/skip counts (node's spec reporter or mocha)
  local log=$1 kind=$2
  if [ "$kind" = check ]; then # one check that passes or fails as a whole (lint)
    p=1; f=0; s=0; return
  elif [ "$kind" = node ]; then
    p=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}' || true)
    # A test cut off by --test-timeout is "cancelled": it failed.
    f=$(grep -E '^ℹ (fail|cancelled) [0-9]+' "$log" | awk '{n += $3} END {print n + 0}' || true)
    s=$(grep -E '^ℹ (skipped|todo) [0-9]+' "$log" | awk '{n += $3} END {print n + 0}' || true)
  else # mocha prints no "0 failing" line; a skipped test is "pending"
    p=$(grep -oE '[0-9]+ passing' "$log" | tail -1 | awk '{print $1}' || true); f=$(grep -oE '[0-9]+ failing' "$log" | tail -1 | awk '{print $1}' || true)
    s=$(grep -oE '[0-9]+ pending' "$log" | tail -1 | awk '{print $1}' || true)
  fi
  p=${p:-0}; f=${f:-0}; s=${s:-0}
}
stage() { # stage <name> <kind> <command...>
  local name=$1 kind=$2; shift 2
  local log=$ART/$name.log t rc=0
  t=$(now)
  log "── $name"
  "$@" 2>&1 | tee "$log" || rc=$?
  count "$log" "$kind"
  # A stage that failed without counting a failure (it crashed) still counts as one.
  if [ $rc -ne 0 ]; then status=1; [ "$f" -gt 0 ] || f=1; [ "$kind" != check ] || p=0; fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  summary+=("$(printf '%-12s %-34s %s (exit %s)' "$name" "$p passed, $f failed, $s skipped" "$(elapsed "$t")" "$rc")")
  # Which tests were skipped, and why, right under the stage's line: a skip is a gap in what was checked.
  if [ "$s" -gt 0 ]; then
    local line
    while IFS= read -r line; do summary+=("    skipped: ${line}"); done < <(grep -E '^\s*(﹣|- ) ' "$log" | sed -E 's/^\s*(﹣|-) //' | head -20 || true)
  fi
}

t0=$(now)
t=$(now); bash scripts/setup-docker.sh; summary+=("$(printf '%-12s %s' setup-docker "$(elapsed "$t")")")
# Podman is a second engine for the integration tier only; when it cannot be set up, that stage fails, the rest runs.
t=$(now); podman_env=$(bash scripts/setup-podman.sh) && eval "$podman_env" || { log "setting up Podman failed (see above)"; PODMAN_DOCKER_HOST=; }; summary+=("$(printf '%-12s %s' setup-podman "$(elapsed "$t")")")
# Two reference registries (open, basic auth) for the push tests; when they cannot be set up, those tests skip saying why.
t=$(now); registry_env=$(bash scripts/setup-registry.sh) && eval "$registry_env" && export REGISTRY_OPEN REGISTRY_AUTH REGISTRY_USER REGISTRY_PASSWORD \
  || log "setting up the test registries failed (see above): the push tests will be skipped"; summary+=("$(printf '%-12s %s' setup-registry "$(elapsed "$t")")")
t=$(now); vscode_env=$(bash scripts/setup-vscode.sh) || { log "setting up code-server and Chromium failed (see above)"; exit 1; }; eval "$vscode_env"; export CODE_SERVER NODE24_BIN; summary+=("$(printf '%-12s %s' setup-vscode "$(elapsed "$t")")")
t=$(now)
npm run --silent build
npx tsc -p .
# The Function Activity webview's script is bundled by esbuild (no type check there) and typed for the browser, apart.
npx tsc -p src/webview
npx @vscode/vsce package --no-dependencies --allow-missing-repository -o "$ART/local-serverless.vsix" </dev/null >"$ART/package.log" 2>&1 \
  || { cat "$ART/package.log"; exit 1; }
summary+=("$(printf '%-12s %s (vsix %s KiB, bundle %s KiB)' build "$(elapsed "$t")" "$(( $(stat -c %s "$ART/local-serverless.vsix") / 1024 ))" "$(( $(stat -c %s dist/extension.js) / 1024 ))")")
# vsce's prepublish leaves the minified bundle in dist/, which is what the VSIX ships and the tests load.
export LOCAL_SERVERLESS_VSIX=$ART/local-serverless.vsix

# Nothing may hang the run (CI has 90 minutes): on Node 20 --test-timeout bounds each test file (the
# longest take about 60 s here); one that takes longer fails, reported as cancelled.
TEST_TIMEOUT_MS=180000
stage lint check npx eslint --max-warnings 0 .
stage unit node node --test --test-reporter=spec out/test/unit/
stage integration node node --test --test-reporter=spec --test-concurrency=1 --test-timeout=$TEST_TIMEOUT_MS out/test/integration/*.test.js
if [ -n "${PODMAN_DOCKER_HOST:-}" ]; then
  stage integration-podman node env DOCKER_HOST="$PODMAN_DOCKER_HOST" node --test --test-reporter=spec --test-concurrency=1 --test-timeout=$TEST_TIMEOUT_MS out/test/integration/*.test.js
else
  status=1; failed=$((failed + 1)); summary+=("$(printf '%-12s %s' integration-podman 'not run: Podman could not be set up (1 failed)')")
fi
stage exthost mocha node out/test/harness/runExtHostTests.js
stage e2e node node --test --test-reporter=spec --test-concurrency=1 --test-timeout=$((2 * TEST_TIMEOUT_MS)) out/test/e2e/*.test.js

echo
echo "── summary (artifacts and screenshots in .test-artifacts/)"
printf '  %s\n' "${summary[@]}"
echo "  total $(elapsed "$t0")"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
