# Shared settings for the project's scripts. Sourced, never run.
# Everything installed outside the repo lives under one cache folder so a second run is fast.
LS_CACHE=${LOCAL_SERVERLESS_CACHE:-$HOME/.cache/local-serverless}
LS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$LS_CACHE"
log() { printf '[local-serverless] %s\n' "$*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
is_root_debian() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }
# Installs Debian packages that are missing, with one `apt-get update` per machine at most.
apt_ensure() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root_debian || { log "missing packages: ${missing[*]}; install them and run again"; return 1; }
  log "installing Debian packages: ${missing[*]}"
  [ -f "$LS_CACHE/.apt-updated" ] || { apt-get update -qq && touch "$LS_CACHE/.apt-updated"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
