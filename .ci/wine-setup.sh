#!/usr/bin/env bash
# Prepares Wine (Debian 12 wine64) to run the project's Windows test binaries.
#
# Idempotent and non-interactive; runs as root (CI=true, no stdin):
#   1. installs wine64, wine and gcc-mingw-w64-x86-64 when missing (one apt-get update);
#   2. initialises the Wine prefix ($WINEPREFIX, default ~/.wine) with wineboot -i;
#   3. builds .ci/wine/bcryptprimitives.dll (ProcessPrng over advapi32!SystemFunction036,
#      needed by Go's runtime; Wine 8 lacks it) and installs it into system32;
#   4. starts the Wine services once with their output sent to /dev/null.
# Use it as: bash .ci/wine-setup.sh, then bash .ci/wine-test.sh ./pkg...
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)

export DEBIAN_FRONTEND=noninteractive
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-${HOME:-/root}/.wine}"
# No Mono or Gecko install dialogs: the tests need neither.
export WINEDLLOVERRIDES="mscoree,mshtml="

say() { echo "wine-setup: $*"; }

# 1. Packages.
need=()
for p in wine64 wine gcc-mingw-w64-x86-64; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    need+=("$p")
  fi
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
else
  say "packages already installed: wine64 wine gcc-mingw-w64-x86-64"
fi

WINE=$(command -v wine64 || true)
if [ -z "$WINE" ] && [ -x /usr/lib/wine/wine64 ]; then WINE=/usr/lib/wine/wine64; fi
if [ -z "$WINE" ]; then WINE=$(command -v wine); fi
say "wine binary: $WINE ($("$WINE" --version 2>/dev/null || echo unknown version))"

# 2. Prefix.
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  say "initialising prefix $WINEPREFIX"
  "$WINE" wineboot -i </dev/null >/dev/null 2>&1 || true
  wineserver -w || true
else
  say "prefix $WINEPREFIX already initialised"
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -d "$sys32" ]; then
  echo "wine-setup: $sys32 missing after wineboot" >&2
  exit 1
fi

# 3. bcryptprimitives.dll with ProcessPrng.
# Built into a temporary directory so that the work tree stays clean.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dll="$tmp/bcryptprimitives.dll"
x86_64-w64-mingw32-gcc -O2 -shared -s -o "$dll" \
  wine/bcryptprimitives.c wine/bcryptprimitives.def -ladvapi32
# Copied every time (the build takes a second; mingw output is not byte-reproducible).
cp "$dll" "$sys32/bcryptprimitives.dll"
say "installed bcryptprimitives.dll (ProcessPrng -> advapi32!SystemFunction036) into $sys32"
# Prefer our DLL over any builtin of the same name.
"$WINE" reg add 'HKCU\Software\Wine\DllOverrides' /v bcryptprimitives /d native,builtin /f \
  </dev/null >/dev/null 2>&1 || true

# 4. Start the services once (first start is slow; later runs reuse the prefix).
"$WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
wineserver -w || true

say "done in $(( $(date +%s) - start )) s (WINEPREFIX=$WINEPREFIX; use WINEDEBUG=-all)"
