#!/usr/bin/env bash
# `npm start`: opens a real VS Code with the extension on the bundled examples/ folder.
# Desktop `code --extensionDevelopmentPath` where a `code` command exists; otherwise code-server on
# 127.0.0.1 (installed on first use), printing the URL to open. Brings up Docker and base images first.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$LS_ROOT"
bash scripts/setup-docker.sh
[ -d node_modules ] || npm install --no-audit --no-fund
npm run --silent build
if command -v code >/dev/null 2>&1 && [ -z "${LOCAL_SERVERLESS_USE_CODE_SERVER:-}" ]; then
  log "opening desktop VS Code on examples/"
  exec code --extensionDevelopmentPath="$LS_ROOT" "$LS_ROOT/examples"
fi
vscode_env=$(bash scripts/setup-vscode.sh) || { log "setting up code-server and Chromium failed (see above)"; exit 1; }; eval "$vscode_env"
RUN=$LS_CACHE/start; mkdir -p "$RUN/user-data/User" "$RUN/extensions"
[ -f "$RUN/user-data/User/settings.json" ] || cat >"$RUN/user-data/User/settings.json" <<'JSON'
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden" }
JSON
# Install the extension exactly as it ships: the VSIX that `vsce package` makes.
VSIX=$RUN/local-serverless.vsix
npx @vscode/vsce package --no-dependencies --allow-missing-repository -o "$VSIX" </dev/null >"$RUN/package.log" 2>&1 || { cat "$RUN/package.log"; exit 1; }
export PATH="$NODE24_BIN:$PATH" XDG_CONFIG_HOME=$RUN/xdg-config XDG_DATA_HOME=$RUN/xdg-data
"$CODE_SERVER" --user-data-dir "$RUN/user-data" --extensions-dir "$RUN/extensions" --force --install-extension "$VSIX" >/dev/null
PORT=${PORT:-8090}
URL="http://127.0.0.1:$PORT/?folder=$LS_ROOT/examples"
log "code-server (VS Code in the browser) starting; open: $URL"
log "stop with Ctrl+C"
exec "$CODE_SERVER" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-getting-started-override --user-data-dir "$RUN/user-data" --extensions-dir "$RUN/extensions" "$LS_ROOT/examples"
