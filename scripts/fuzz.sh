#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer drivers in fuzz/ (clang, ASan + UBSan) and
# run each for a short, bounded time on a copy of its committed corpus, so
# the corpora in the repository never change by running this.
#
# Usage: scripts/fuzz.sh [driver...]      (default: every fuzz/fuzz_*.c)
#   FUZZ_SECONDS   time per driver (default 15)
#   FUZZ_JOBS      drivers run at once (default: the number of CPUs)
#   FUZZ_BUILD_DIR build directory (default build-fuzz)
# Exits non-zero when a driver finds a crash, leak, timeout or OOM, after
# printing the path of the input that reproduces it (kept under
# $FUZZ_BUILD_DIR/fuzz-artifacts/). The last line is "fuzz: N passed, M failed".
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

seconds=${FUZZ_SECONDS:-15}
build=${FUZZ_BUILD_DIR:-build-fuzz}

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
	echo "fuzz.sh: FUZZ_SECONDS must be a positive whole number, not '$seconds'" >&2
	exit 2
fi
if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang is not installed (scripts/deps.sh installs it)" >&2
	exit 2
fi

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
if ! ninja -C "$build" >"$build/fuzz-build.log" 2>&1; then
	cat "$build/fuzz-build.log" >&2
	echo "fuzz.sh: the build in $build failed" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	drivers=("$@")
else
	drivers=()
	for src in fuzz/fuzz_*.c; do
		drivers+=("$(basename "$src" .c)")
	done
fi

# Times are parsed in local time: a zone with daylight saving time finds
# more. Sanitizer reports must stop the run so libFuzzer keeps the input.
export TZ=${TZ:-America/Chicago}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Leaks inside libfyaml itself are not ours to fix (see the file).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# fuzz_screen compiles the lexicons once and caches the result here, so that
# a run spends its seconds fuzzing (HTD_LEXICON_DIR picks other lexicons).
export HTD_CACHE_DIR=${HTD_CACHE_DIR:-$PWD/$build/fuzz-cache}

work=$(mktemp -d "${TMPDIR:-/tmp}/htd-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run_one DRIVER: fuzzes one driver; writes its summary line to
# $work/DRIVER.result and what to tell about a failure to $work/DRIVER.msg.
run_one() {
	local d=$1 bin artifacts log rc dict done_line cov ft corp runs eps stats found f
	bin="$build/fuzz/$d"
	artifacts="$PWD/$build/fuzz-artifacts/$d"
	log="$PWD/$build/fuzz-logs/$d.log"
	if [ ! -x "$bin" ]; then
		echo "$d: FAILED (no such driver: $bin)" >"$work/$d.result"
		return
	fi
	mkdir -p "$artifacts" "$(dirname "$log")" "$work/$d"
	rm -f "$artifacts"/*
	if [ -d "fuzz/corpus/$d" ]; then
		cp -R "fuzz/corpus/$d/." "$work/$d/"
	fi
	dict=()
	if [ -f "fuzz/$d.dict" ]; then
		dict=("-dict=fuzz/$d.dict")
	fi

	rc=0
	"$bin" "${dict[@]}" -max_total_time="$seconds" -timeout=5 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$work/$d" >"$log" 2>&1 || rc=$?

	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	stats="runs: ${runs:-?}, exec/s: ${eps:-?}, cov: ${cov:-?}, ft: ${ft:-?}, corpus: ${corp:-?}"

	found=$(find "$artifacts" -type f | sort)
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "$d: ok ($stats)" >"$work/$d.result"
		return
	fi
	{
		echo "fuzz: $d FAILED (exit $rc); log: $log"
		# The driver's own message comes just before libFuzzer's report.
		grep -v -E '^(INFO:|#[0-9]|	NEW_FUNC)' "$log" |
			grep -m 1 -B 8 -E '^==[0-9]+== ?ERROR|runtime error:' || true
		grep -E '^SUMMARY' "$log" || true
		for f in $found; do
			echo "fuzz: reproduce with: $PWD/$bin $f"
		done
	} >"$work/$d.msg"
	echo "$d: FAILED (exit $rc; ${found:-no reproducer}; log $log)" >"$work/$d.result"
}

# The drivers run FUZZ_JOBS at a time (default: one per CPU), each for its
# own seconds: the run takes its seconds times drivers / jobs.
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for d in "${drivers[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "fuzz: running $d for ${seconds}s" >&2
	run_one "$d" &
	running=$((running + 1))
done
wait || true

passed=0
failed=0
summary=()
for d in "${drivers[@]}"; do
	[ -f "$work/$d.msg" ] && cat "$work/$d.msg" >&2
	line=$(cat "$work/$d.result" 2>/dev/null || echo "$d: FAILED (no result)")
	summary+=("$line")
	case "$line" in
	"$d: ok "*) passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done

for line in "${summary[@]}"; do
	echo "$line"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
