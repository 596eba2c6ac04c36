#!/usr/bin/env bash
# Runs every fuzz target in the module, one after another, each with one
# worker, and prints a table: package, target, execs, execs/s, result.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET_REGEXP]
#
# SECONDS_PER_TARGET defaults to 60 (CI passes 15). TARGET_REGEXP, when
# given, keeps only targets whose "package.Target" matches (grep -E).
# Targets are found by scanning *_test.go files for "func FuzzX(", so new
# targets are picked up without editing this script. Files built only for
# Windows are skipped (go test cannot fuzz them here).
#
# Exit status: 0 when every target ran without a finding; 1 when any target
# failed (a finding, or the test binary did not build). A finding leaves the
# failing input under that package's testdata/fuzz/FuzzX/, ready to commit
# as a seed once the bug is fixed. Full output of each run is kept in
# $FUZZ_LOGDIR (default: a temporary directory, printed at the end).
#
# Minimising: go test minimises every input that finds new coverage, and by
# default spends up to 60 s on each; the minimiser is quadratic in the input
# length, so on a 2-core machine one new input can stall a short run for
# its whole duration, and those executions are not counted. FUZZ_MINIMIZE
# (default 2000x, i.e. 2000 executions; any -fuzzminimizetime value) bounds
# that. Failing inputs are then written less minimised, which is harmless.
set -uo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
filter="${2:-}"
case "$secs" in
'' | *[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET_REGEXP]" >&2
	exit 2
	;;
esac

minimize="${FUZZ_MINIMIZE:-2000x}"
export CGO_ENABLED=0
logdir="${FUZZ_LOGDIR:-$(mktemp -d)}"
mkdir -p "$logdir"
module=$(go list -m)

# One "dir target" line per fuzz target, in a stable order.
targets=$(
	git ls-files --cached --others --exclude-standard '*_test.go' | sort | while read -r f; do
		# Skip files constrained to another OS: go test here would not build them.
		if grep -qE '^//go:build (.*[^!])?windows' "$f" || [[ "$f" == *_windows_test.go ]]; then
			continue
		fi
		sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' "$f" | while read -r t; do
			echo "$(dirname "$f") $t"
		done
	done
)

fmt='%-22s %-24s %12s %9s  %s\n'
printf "$fmt" PACKAGE TARGET EXECS EXECS/S RESULT
failed=0
count=0
while read -r dir target; do
	[ -z "$dir" ] && continue
	pkg="${dir#./}"
	if [ -n "$filter" ] && ! echo "$pkg.$target" | grep -qE "$filter"; then
		continue
	fi
	count=$((count + 1))
	log="$logdir/$(echo "$pkg" | tr / _).$target.log"
	nice go test -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime "$minimize" -parallel 1 "./$pkg" >"$log" 2>&1
	rc=$?
	# Go prints "fuzz: elapsed: 1m3s, execs: 34567 (2880/sec), ..." lines;
	# the last one holds the total. The rate printed there covers only the
	# last interval, so execs/s here is total execs over total elapsed time.
	last=$(grep -E '^fuzz: elapsed: [0-9hms]+, execs: [0-9]+ ' "$log" | tail -n 1)
	execs=$(echo "$last" | sed -nE 's/.*execs: ([0-9]+) .*/\1/p')
	elapsed=$(echo "$last" | sed -nE 's/^fuzz: elapsed: ([0-9hms]+),.*/\1/p')
	seconds=0
	for part in $(echo "$elapsed" | sed -E 's/([hms])/\1 /g'); do
		case "$part" in
		*h) seconds=$((seconds + ${part%h} * 3600)) ;;
		*m) seconds=$((seconds + ${part%m} * 60)) ;;
		*s) seconds=$((seconds + ${part%s})) ;;
		esac
	done
	rate="-"
	if [ -n "$execs" ] && [ "$seconds" -gt 0 ]; then
		rate=$((execs / seconds))
	fi
	# Go 1.26's coordinator can end a run that found nothing with a bare
	# "context deadline exceeded" at the -fuzztime deadline (go.dev/issue/75804,
	# fixed in Go 1.27). That is not a finding: no input is written and it is
	# the only failure line.
	flake=no
	if [ "$rc" -ne 0 ] && ! grep -q 'Failing input written' "$log" &&
		[ "$(grep -cE '^--- FAIL: ' "$log")" -eq 1 ] &&
		grep -qE '^    context deadline exceeded$' "$log" &&
		[ "$(grep -cE '^    [^ ]' "$log")" -eq 1 ]; then
		flake=yes
	fi
	if [ "$rc" -eq 0 ] && [ -z "$execs" ]; then
		# A target that did not run (moved, or "no test files") is no pass.
		failed=$((failed + 1))
		result="FAIL (the target did not run; see $log)"
	elif [ "$rc" -eq 0 ]; then
		result="ok"
	elif [ "$flake" = yes ]; then
		result="ok (deadline race go.dev/issue/75804, no finding)"
	else
		failed=$((failed + 1))
		input=$(sed -nE 's/.*Failing input written to (.*)$/\1/p' "$log" | tail -n 1)
		if [ -n "$input" ]; then
			result="FINDING $pkg/$input"
		else
			result="FAIL (see $log)"
		fi
	fi
	printf "$fmt" "$pkg" "$target" "${execs:--}" "$rate" "$result"
done <<<"$targets"

echo "fuzz: $count targets, $failed failed, ${secs}s each, minimise $minimize; logs in $logdir ($module)"
[ "$count" -gt 0 ] || {
	echo "fuzz: no targets found" >&2
	exit 1
}
[ "$failed" -eq 0 ]
