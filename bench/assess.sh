#!/usr/bin/env bash
# assess.sh - whole-process time of `htdispatch assess FILE` on one call
# (bench/decide-call.json: 2 KB of notes, 15 answers) with warm caches,
# next to its anchor `jq . FILE` on the same file in the same run: the
# floor of a process that reads that JSON and prints JSON. Reported as a
# ratio. See bench/README.md.
#
# Usage: bench/assess.sh [--quick] [--out PATH] [--dir DIR] [--runs N]
#            [--call FILE] [--build DIR]
#   --quick       a smoke run: 10 runs each; no JSON unless --out
#   --out PATH    where to write the JSON (default bench/results/assess.json
#                 for a standard run; none with --quick or other settings)
#   --dir DIR     where the lexicon cache goes (default $TMPDIR or /tmp);
#                 removed at the end
#   --runs N      runs of each command; the median is reported (default 50)
#   --call FILE   the call (default bench/decide-call.json)
#   --build DIR   the build directory (default build)
# Prints a table and one "target:" line; exits non-zero only when the
# benchmark could not run (a missed target is reported, not a failure).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." || exit 1

# The issue's target: one assess, process start to exit, under 20 ms.
TARGET_MS=20

quick=0 out='' out_set=0 dir=${TMPDIR:-/tmp} runs=50 call=bench/decide-call.json
build=build standard=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 standard=0 ;;
	--out | --dir | --runs | --call | --build)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "assess.sh: $1 needs a value" >&2
			exit 2
		fi
		case "$1" in
		--out) out=$2 out_set=1 ;;
		--dir) dir=$2 ;;
		--runs) runs=$2 standard=0 ;;
		--call) call=$2 standard=0 ;;
		--build) build=$2 ;;
		esac
		shift
		;;
	-h | --help)
		sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "assess.sh: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done

die() {
	echo "assess.sh: $*" >&2
	exit 1
}

[ "$quick" -eq 1 ] && runs=10
case "$runs" in '' | *[!0-9]* | 0) die "bad --runs '$runs'" ;; esac
[ "$out_set" -eq 0 ] && [ "$standard" -eq 1 ] && out=bench/results/assess.json

htd=$build/htdispatch
[ -x "$htd" ] || die "$htd is not built (ninja -C $build)"
"$htd" assess --help >/dev/null 2>&1 || die "$htd has no 'assess' command"
command -v jq >/dev/null || die "jq is not installed: scripts/deps.sh"
command -v hyperfine >/dev/null || die "hyperfine is not installed: scripts/deps.sh"
[ -f "$call" ] || die "no call file $call"
if [ -n "$out" ]; then
	out_dir=$(dirname "$out")
	[ -d "$out_dir" ] && [ -w "$out_dir" ] || die "cannot write into $out_dir"
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d "$dir/htd-bench-assess-XXXXXX") ||
	die "cannot create a directory in $dir"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cache=$work/cache
mkdir -p "$cache" || exit 1

calc() {
	awk "BEGIN { printf \"%.6g\\n\", $* }"
}

# The shipped files, named explicitly: the benchmark does not depend on the
# environment (HTDISPATCH_PROTOCOL...) of whoever runs it.
assess=("$htd" assess --protocol data/protocol/nena-ht.yaml
	--policy etc/policy.yaml --lexicon data/lexicon --cache "$cache" "$call")

# The first run compiles the lexicon and writes the cache (timed on its
# own); the second must read it. Both must decide.
t0=${EPOCHREALTIME/[.,]/}
"${assess[@]}" >"$work/first.json" 2>"$work/first.log" ||
	{ cat "$work/first.log" >&2; die "htdispatch assess failed"; }
t1=${EPOCHREALTIME/[.,]/}
first_ms=$(calc "($t1 - $t0) / 1e3")
"${assess[@]}" >"$work/second.json" 2>"$work/second.log" ||
	{ cat "$work/second.log" >&2; die "htdispatch assess failed"; }
category=$(jq -r '.category' "$work/second.json") ||
	die "htdispatch assess did not print JSON"
hits=$(jq '.indicators | length' "$work/second.json")
[ "$hits" -gt 0 ] || die "no indicator hits: is the lexicon loaded?"
jq . "$call" >/dev/null || die "jq cannot read $call"
out_bytes=$(wc -c <"$work/second.json")
note_bytes=$(jq -j '.notes | if type == "array" then join("") else . end' "$call" | wc -c)
n_answers=$(jq '.answers | length' "$call")

# Both commands without a shell (-N), their output through a pipe (so
# neither can skip writing), the same number of runs, after warm-up runs
# that leave the page cache warm.
hyperfine -N --warmup 5 --runs "$runs" --output=pipe --style none \
	--export-json "$work/hyperfine.json" \
	"$(printf '%q ' "${assess[@]}")" "jq . $(printf '%q' "$call")" \
	>/dev/null 2>"$work/hyperfine.log" ||
	{ cat "$work/hyperfine.log" >&2; die "hyperfine failed"; }
hyperfine_version=$(hyperfine --version | awk '{ print $2 }')
jq_version=$(jq --version)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# stat I FIELD: field (median, mean, stddev, min, max) of command I, in ms.
stat() {
	jq -r --argjson i "$1" ".results[\$i].$2 * 1000" "$work/hyperfine.json"
}
runs_ms() {
	jq -c --argjson i "$1" '[.results[$i].times[] * 1000]' "$work/hyperfine.json"
}
assess_ms=$(stat 0 median)
jq_ms=$(stat 1 median)
ratio=$(calc "$assess_ms / $jq_ms")
met=$(awk "BEGIN { exit !($assess_ms < $TARGET_MS) }" && echo true || echo false)

note=
[ "$quick" -eq 1 ] && note=" (--quick: a smoke run, not a measurement)"
printf 'assess: htdispatch assess vs jq . on the same call%s\n' "$note"
printf '  %s: %s bytes of notes, %s answers; decides %s, %s hits, %s bytes out\n' \
	"$call" "$note_bytes" "$n_answers" "$category" "$hits" "$out_bytes"
printf '  hyperfine %s, -N, %d runs each after 5 warm-up runs, median; %s\n' \
	"$hyperfine_version" "$runs" "$jq_version"
printf '  load average %s at the start, %s at the end (%s CPUs)\n' \
	"$load_start" "$load_end" "$(nproc)"
printf '\n  %-32s %9s %9s %9s %9s\n' "ms" median mean min max
printf '  %-32s %9.2f %9.2f %9.2f %9.2f\n' "htdispatch assess FILE" \
	"$assess_ms" "$(stat 0 mean)" "$(stat 0 min)" "$(stat 0 max)"
printf '  %-32s %9.2f %9.2f %9.2f %9.2f\n' "jq . FILE" \
	"$jq_ms" "$(stat 1 mean)" "$(stat 1 min)" "$(stat 1 max)"
printf '\n  assess / jq (medians): %.2f\n' "$ratio"
printf '  first run (compiles and caches the lexicon): %.0f ms\n' "$first_ms"
word=MISSED
[ "$met" = true ] && word=met
printf '\n  target: assess < %d ms: %s (%.2f ms)\n' "$TARGET_MS" "$word" "$assess_ms"

[ -n "$out" ] || exit 0
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
tmp=$out.tmp
jq -n \
	--arg version "$("$htd" --version 2>/dev/null | awk 'NR == 1 { print $2 }')" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg host "$(uname -n)" --arg kernel "$(uname -r)" --arg arch "$(uname -m)" \
	--arg cpu "$cpu" --argjson cpus "$(nproc)" \
	--arg load_start "$load_start" --arg load_end "$load_end" \
	--arg hyperfine "$hyperfine_version" --arg jq "$jq_version" \
	--arg call "$call" --argjson note_bytes "$note_bytes" \
	--argjson answers "$n_answers" --arg category "$category" \
	--argjson hits "$hits" --argjson out_bytes "$out_bytes" \
	--argjson runs "$runs" --argjson quick "$([ "$quick" -eq 1 ] && echo true || echo false)" \
	--arg assess_cmd "htdispatch assess --protocol data/protocol/nena-ht.yaml --policy etc/policy.yaml --lexicon data/lexicon --cache DIR $call" \
	--arg jq_cmd "jq . $call" \
	--argjson a_median "$assess_ms" --argjson a_mean "$(stat 0 mean)" \
	--argjson a_min "$(stat 0 min)" --argjson a_max "$(stat 0 max)" \
	--argjson a_runs "$(runs_ms 0)" \
	--argjson j_median "$jq_ms" --argjson j_mean "$(stat 1 mean)" \
	--argjson j_min "$(stat 1 min)" --argjson j_max "$(stat 1 max)" \
	--argjson j_runs "$(runs_ms 1)" \
	--argjson ratio "$ratio" --argjson first_ms "$first_ms" \
	--argjson target "$TARGET_MS" --argjson met "$met" \
	'{
	benchmark: "assess",
	htdispatch_version: $version,
	date: $date,
	machine: {hostname: $host, kernel: $kernel, arch: $arch, cpu: $cpu,
		cpus: $cpus, load_average_start: $load_start,
		load_average_end: $load_end},
	anchor: "jq . on the same file", tools: {hyperfine: $hyperfine, jq: $jq},
	params: {call: $call, note_bytes: $note_bytes, answers: $answers,
		runs: $runs, warmup: 5, quick: $quick},
	decision: {category: $category, hits: $hits, output_bytes: $out_bytes},
	assess: {command: $assess_cmd, ms: {median: $a_median, mean: $a_mean,
		min: $a_min, max: $a_max, runs: $a_runs}},
	jq: {command: $jq_cmd, ms: {median: $j_median, mean: $j_mean,
		min: $j_min, max: $j_max, runs: $j_runs}},
	ratio_assess_jq: $ratio,
	first_run_compile_ms: $first_ms,
	target: {assess_ms_max: $target, assess_ms: $a_median, met: $met}
	}' >"$tmp" && mv "$tmp" "$out" || die "cannot write $out"
echo "  wrote $out"
