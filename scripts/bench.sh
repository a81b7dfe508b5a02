#!/usr/bin/env bash
# bench.sh - `make bench`: build ./build and run every benchmark in bench/
# (bench/NAME.c is built as build/bench/bench_NAME; bench/NAME.sh is run as
# is), each next to its anchor, writing bench/results/NAME.json. See
# bench/README.md.
#
# Usage: scripts/bench.sh [--quick] [--dir DIR]
#   --quick    small sizes, a smoke run: results go to build/bench-quick/
#              instead of bench/results/ (a smoke run is not a measurement)
#   --dir DIR  where the benchmarks put their databases and corpora
#              (default $TMPDIR or /tmp): fsync cost depends on the file
#              system, so measure on the one production uses
# Ends with "bench: N ran, M failed"; exits non-zero if a benchmark failed
# (a missed target is reported, not a failure: timings are not tests).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." || exit 1

quick=0
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick)
		quick=1
		args+=(--quick)
		;;
	--dir)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "bench.sh: --dir needs a directory" >&2
			exit 2
		fi
		args+=(--dir "$2")
		shift
		;;
	-h | --help)
		sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench.sh: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done

if [ ! -f build/build.ninja ]; then
	meson setup build >build.setup.log 2>&1 ||
		{ cat build.setup.log; echo "bench.sh: meson setup failed" >&2; exit 1; }
	rm -f build.setup.log
fi
if ! ninja -C build >/dev/null; then
	ninja -C build
	echo "bench.sh: the build failed" >&2
	exit 1
fi

if [ "$quick" -eq 1 ]; then
	results=build/bench-quick
else
	results=bench/results
fi
mkdir -p "$results" || exit 1

# Programs the benchmarks use, not benchmarks (bench/meson.build builds them
# as build/bench/NAME): the screen benchmark's corpus and phrase list, the
# API benchmark's paced load generator, the records benchmark's generator
# and search timer (run by bench/records.sh).
tools=" corpus_gen lexicon_literals api_load persons_gen records_search "

ran=0
failed=0
summary=()
for src in bench/*.c bench/*.sh; do
	name=$(basename "${src%.*}")
	case "$tools" in *" $name "*) continue ;; esac
	exe=build/bench/bench_$name
	[ "${src##*.}" = sh ] && exe=$src
	out=$results/$name.json
	ran=$((ran + 1))
	printf '\n==== %s\n' "$name"
	if [ ! -x "$exe" ]; then
		echo "bench.sh: $exe was not built (is it in bench/meson.build?)" >&2
		failed=$((failed + 1))
		summary+=("$name: not built")
		continue
	fi
	log=$(mktemp) || exit 1
	if "$exe" "${args[@]}" --out "$out" | tee "$log"; then
		target=$(grep -m1 '^ *target:' "$log" | sed 's/^ *//')
		summary+=("$name: ${target:-done}; $out")
	else
		failed=$((failed + 1))
		summary+=("$name: FAILED")
	fi
	rm -f "$log"
done

printf '\n'
for line in "${summary[@]}"; do
	echo "  $line"
done
echo "bench: $ran ran, $failed failed"
[ "$failed" -eq 0 ]
