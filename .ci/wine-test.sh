#!/usr/bin/env bash
# Cross-compiles the Windows test binary of each package given and runs it
# under Wine with -test.v. Fails when a binary fails or reports no PASS.
# Run .ci/wine-setup.sh first. Usage: bash .ci/wine-test.sh ./probes ./etw/live
set -euo pipefail
cd "$(dirname "$0")/.."
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-${HOME:-/root}/.wine}"
export WINEDLLOVERRIDES="mscoree,mshtml="
export CGO_ENABLED=0

WINE=$(command -v wine64 || true)
if [ -z "$WINE" ] && [ -x /usr/lib/wine/wine64 ]; then WINE=/usr/lib/wine/wine64; fi
if [ -z "$WINE" ]; then WINE=$(command -v wine); fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for pkg in "$@"; do
  name=$(echo "${pkg#./}" | tr '/' '_')
  exe="$out/$name.test.exe"
  echo "== wine: $pkg"
  GOOS=windows GOARCH=amd64 go test -c -o "$exe" "$pkg"
  if [ ! -f "$exe" ]; then
    echo "wine-test: $pkg has no test files"
    continue
  fi
  log="$out/$name.log"
  set +e
  # Run from the package directory so that testdata/ resolves as with go test.
  (cd "$pkg" && timeout 900 "$WINE" "$exe" -test.v -test.timeout=10m </dev/null) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ] || ! grep -q '^PASS$' "$log"; then
    echo "--- FAIL: $pkg under Wine (exit $rc)"
    status=1
  else
    echo "ok      $pkg (wine)"
  fi
done
exit $status
