#!/usr/bin/env bash
# Measures `report -o json` against `stats` on the same large traces, side
# by side in one run, as README "Performance" states them.
#
#   scripts/perf.sh [RUNS] [DIR]
#
# Builds ipctrace, generates two traces of about 1 GiB in DIR (default: a
# temporary directory, removed at the end; traces already in DIR are kept
# and reused):
#
#   mixed.etl  synth mixed --scale 8000          IPC-heavy: every event correlated
#   busy.etl   synth busy-machine --scale 7200   almost all disk I/O on ordinary files
#
# then runs stats, report and the floor (the pipeline's benchmark
# BenchmarkRunEnv, once: reading, decoding, merging and handing over every
# event into one sink that only counts them) alternately RUNS times
# (default 5) on each and prints, per trace and command, the median and
# the smallest wall time, the median CPU time (user + system), the largest
# peak RSS, MB/s of file (from the median), the ratio of the medians to
# stats' and the paired ratio: the median, over the rounds, of each
# round's time over that round's stats time, which a machine whose speed
# drifts between rounds (a shared host) moves less; last, the CPU time
# the hypervisor stole during the runs (/proc/stat). Needs GNU time
# (/usr/bin/time). Run it on a quiet machine: the figures are wall times.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
dir="${2:-}"
case "$runs" in
'' | *[!0-9]*)
	echo "usage: scripts/perf.sh [RUNS] [DIR]" >&2
	exit 2
	;;
esac
if [ ! -x /usr/bin/time ]; then
	echo "perf.sh: needs GNU time at /usr/bin/time (Debian package time)" >&2
	exit 1
fi
if [ -z "$dir" ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
bin="$dir/ipctrace"
CGO_ENABLED=0 go build -o "$bin" ./cmd/ipctrace
# The floor: the pipeline alone (read, decode, merge, hand over) into one
# sink that only counts, with no correlation (report runs two consumers,
# each choosing its events); the time includes the test binary's start.
# It is built with ipctrace's profile (cmd/ipctrace/default.pgo), as the
# binary is, so that the two compare.
CGO_ENABLED=0 go test -c -pgo=cmd/ipctrace/default.pgo -o "$dir/pipeline.test" ./pipeline

gen() { # name scenario scale
	[ -s "$dir/$1.etl" ] || "$bin" synth "$2" --scale "$3" --seed 1 --out "$dir/$1.etl" >/dev/null
}
gen mixed mixed 8000
gen busy busy-machine 7200

# steal is the time, in seconds, the hypervisor gave this VM's CPUs to
# others so far (/proc/stat): a run with much of it measured a busy host.
steal() { awk '/^cpu / {printf "%.1f", $9 / 100}' /proc/stat; }

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3-4)"
printf '%-6s %-7s %8s %8s %8s %9s %7s %7s %7s\n' trace command wall_s min_s cpu_s peak_MiB MB/s ratio paired
steal0=$(steal)
start=$(date +%s)
for t in mixed busy; do
	f="$dir/$t.etl"
	size=$(stat -L -c %s "$f")
	: >"$dir/stats.times"
	: >"$dir/report.times"
	: >"$dir/floor.times"
	for _ in $(seq "$runs"); do
		/usr/bin/time -a -o "$dir/stats.times" -f '%e %U %S %M' "$bin" stats "$f" >/dev/null
		/usr/bin/time -a -o "$dir/report.times" -f '%e %U %S %M' "$bin" report -o json "$f" >/dev/null
		if ! IPCTRACE_BENCH_ETL="$f" /usr/bin/time -a -o "$dir/floor.times" -f '%e %U %S %M' \
			"$dir/pipeline.test" -test.run '^$' -test.bench '^BenchmarkRunEnv$' -test.benchtime 1x >"$dir/floor.out" 2>&1 ||
			! grep -q '^BenchmarkRunEnv' "$dir/floor.out"; then
			echo "perf.sh: the floor benchmark did not run:" >&2
			cat "$dir/floor.out" >&2
			exit 1
		fi
	done
	sw=$(awk '{print $1}' "$dir/stats.times" | median)
	for c in stats report floor; do
		w=$(awk '{print $1}' "$dir/$c.times" | median)
		lo=$(awk '{print $1}' "$dir/$c.times" | sort -n | head -n 1)
		paired=$(paste -d' ' "$dir/$c.times" "$dir/stats.times" | awk '{printf "%.4f\n", $1 / $5}' | median)
		cpu=$(awk '{print $2 + $3}' "$dir/$c.times" | median)
		rss=$(awk 'BEGIN {m = 0} {if ($4 > m) m = $4} END {printf "%.0f", m / 1024}' "$dir/$c.times")
		mbs=$(awk -v s="$size" -v w="$w" 'BEGIN {printf "%.0f", s / 1e6 / w}')
		ratio=$(awk -v a="$w" -v b="$sw" 'BEGIN {printf "%.2f", a / b}')
		printf '%-6s %-7s %8s %8s %8s %9s %7s %7s %7.2f\n' "$t" "$c" "$w" "$lo" "$cpu" "$rss" "$mbs" "$ratio" "$paired"
	done
done
echo "steal: $(awk -v a="$steal0" -v b="$(steal)" 'BEGIN {printf "%.1f", b - a}') s of the CPUs' time over $(($(date +%s) - start)) s of runs (0 on a quiet host)"
