#!/usr/bin/env bash
# Regenerates cmd/ipctrace/default.pgo, the CPU profile `go build` uses
# for profile-guided optimisation of the ipctrace binary (README
# "Performance"): the end-to-end `report -o json` benchmarks of
# cmd/ipctrace on the generated mixed and busy-machine traces, at 4 times
# their default size (about 100 and 170 MB), 25 runs each (the profile
# also holds the generation of the two traces, a small part).
#
#   scripts/pgo.sh
#
# Run it on a quiet machine after changes to the hot path (reader,
# decoders, pipeline, correlate), and commit the new profile with them: a
# stale profile still builds, it only optimises less.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
IPCTRACE_BENCH_SCALE=4 go test ./cmd/ipctrace -run '^$' -bench '^BenchmarkReport(Mixed|Busy)$' \
	-benchtime 25x -cpuprofile "$tmp/cpu.pprof" -o "$tmp/ipctrace.test" | grep '^Benchmark'
mv "$tmp/cpu.pprof" cmd/ipctrace/default.pgo
echo "wrote cmd/ipctrace/default.pgo ($(stat -c %s cmd/ipctrace/default.pgo) bytes)"
