#!/usr/bin/env bash
# Counts the instructions `report -o json` and `stats` execute on two
# generated traces of about 128 MB (README "Performance"), with Valgrind's
# cachegrind: unlike wall and CPU time, the count does not drift with a
# shared host, so it compares two versions of the hot path where timings
# cannot (it does not see cache misses or what runs in parallel: confirm
# a gain with scripts/perf.sh).
#
#   scripts/instr.sh [BINARY...]
#
# With no BINARY, builds ipctrace from this tree. Each binary runs on one
# processor (GOMAXPROCS=1) without asynchronous preemption, which makes
# the count repeat to within a few tenths of a percent. Needs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
	echo "instr.sh: needs valgrind (Debian package valgrind)" >&2
	exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	CGO_ENABLED=0 go build -o "$dir/ipctrace" ./cmd/ipctrace
	bins=("$dir/ipctrace")
fi
"${bins[0]}" synth mixed --scale 1000 --seed 1 --out "$dir/mixed.etl" >/dev/null
"${bins[0]}" synth busy-machine --scale 900 --seed 1 --out "$dir/busy.etl" >/dev/null
count() { # binary args...
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,
}
printf '%-40s %-6s %15s %15s %7s\n' binary trace report stats ratio
for b in "${bins[@]}"; do
	for t in mixed busy; do
		r=$(count "$b" report -o json "$dir/$t.etl")
		s=$(count "$b" stats "$dir/$t.etl")
		printf '%-40s %-6s %15s %15s %7.2f\n' "$b" "$t" "$r" "$s" "$(awk -v r="$r" -v s="$s" 'BEGIN {print r / s}')"
	done
done
