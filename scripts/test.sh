#!/usr/bin/env bash
# test.sh - `make test`: install what is missing, build, and run every test:
# source checks, unit and integration tests in a plain build, the same under
# AddressSanitizer + UndefinedBehaviorSanitizer, the integration tests and
# unit tests under valgrind, and short fuzz runs. Ends with one line
# "make test: N passed, M failed"; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

scripts/deps.sh || exit 1

passed=0
failed=0
failures=()
failed_tests=()

# Adds meson's "Ok:" and "Fail:"/"Timeout:" counts from a log to the totals.
count_meson() {
	local log=$1 label=$2 testlog=${3:-} ok bad
	ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -n1)
	bad=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $2} END {print s + 0}' "$log")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + bad))
	if [ "$bad" -gt 0 ] || [ -z "$ok" ]; then
		failures+=("$label")
		# The names of the failed tests, repeated at the end of the run
		# where a truncated log still shows them.
		while read -r name; do
			failed_tests+=("$label: $name")
		done < <(grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|UNEXPECTEDPASS)' "$log" |
			sed -E 's/^ *[0-9]+\/[0-9]+ +//; s/ +[0-9.]+s.*$//' )
		[ -z "$ok" ] && failed=$((failed + 1))
		# ... and the end of each one's output.
		if [ -n "$testlog" ] && [ -f "$testlog" ] && command -v jq >/dev/null; then
			jq -r --arg l "$label" 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
				| "---- \($l): \(.name) (\(.result)), last lines:\n"
				+ ((.stdout // "") | split("\n") | .[-30:] | join("\n"))' \
				"$testlog" >>"$tails" 2>/dev/null
		fi
	fi
}

# Each step's heading, and how long the one before it took, so a slow CI
# run says where its time went.
step_name=
step_start=$SECONDS
step_times=()
step() {
	[ -n "$step_name" ] && step_times+=("$((SECONDS - step_start)) s  $step_name")
	step_name=$*
	step_start=$SECONDS
	[ $# -gt 0 ] && printf '\n==== %s\n' "$*"
}

build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
		rm -f "$dir.setup.log"
	fi
	ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

log=$(mktemp)
tails=$(mktemp)
trap 'rm -f "$log" "$tails"' EXIT

step "build (gcc, -Werror)"
if ! build build; then
	echo "make test: 0 passed, 1 failed (the build failed)"
	exit 1
fi

step "unit and integration tests"
meson test -C build --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
count_meson "$log" "plain build" build/meson-logs/testlog.json

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug; then
	meson test -C build-asan --no-suite lint --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
	count_meson "$log" "sanitizer build" build-asan/meson-logs/testlog.json
else
	failed=$((failed + 1)); failures+=("sanitizer build")
fi

step "valgrind (memcheck): every CLI command of the integration tests"
meson test -C build --setup valgrind --suite integration \
	--no-suite durability --no-suite lint --print-errorlogs 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
count_meson "$log" "valgrind" build/meson-logs/testlog-valgrind.json

# Possible leaks are Criterion's own (nanomsg buffers in forked children);
# definite and indirect leaks, and every other memcheck error, fail.
step "valgrind (memcheck): unit tests"
meson test -C build --suite unit --no-suite memcheck-slow --timeout-multiplier 10 --print-errorlogs \
	--wrapper 'valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --trace-children=yes' \
	2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout):'
count_meson "$log" "valgrind unit"

step "fuzzing (short runs)"
if [ -x scripts/fuzz.sh ]; then
	FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh 2>&1 | tee "$log" | grep -vE '^#[0-9]+|^INFO:'
	line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
		f=$(sed -E 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
		passed=$((passed + p)); failed=$((failed + f))
		[ "$f" -gt 0 ] && failures+=("fuzzing")
	else
		failed=$((failed + 1)); failures+=("fuzzing (no result)")
	fi
fi

step
echo
printf 'time: %s\n' "${step_times[@]}"
[ -s "$tails" ] && cat "$tails" && echo
for t in "${failed_tests[@]}"; do echo "failed test: $t"; done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
