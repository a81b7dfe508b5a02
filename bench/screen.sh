#!/usr/bin/env bash
# screen.sh - `htdispatch screen` throughput, peak memory and cold start,
# next to its anchors: ripgrep and GNU grep given the same indicator phrases
# as fixed strings (`rg -c -i -F -f`, `grep -c -i -F -f`), and ripgrep given
# the lexicon's own regular expressions, in the same run on the same corpus
# (bench/corpus_gen.c). See bench/README.md.
#
# Usage: bench/screen.sh [--quick] [--out PATH] [--dir DIR] [--size BYTES]
#            [--runs N] [--budget SECONDS] [--cap N] [--lexicon DIR]
#            [--build DIR]
#   --quick         a smoke run: 20 MiB corpus, one run each, 5 s budget;
#                   no JSON unless --out
#   --out PATH      where to write the JSON (default bench/results/screen.json
#                   for a standard run; none with --quick or other settings)
#   --dir DIR       where the corpora go (default $TMPDIR or /tmp); removed
#                   at the end
#   --size BYTES    corpus size (suffix K, M, G; default 1G)
#   --runs N        runs of each tool; the median is reported (default 3)
#   --budget S      seconds one run of one tool may take (default 20): a
#                   tool too slow to read the whole corpus in S seconds
#                   reads its first half, quarter, ... instead
#   --cap N         literals per lexicon pattern given to rg/grep -F
#                   (default 1; see lexicon_literals --help)
#   --lexicon DIR   the lexicons (default data/lexicon)
#   --build DIR     the build directory (default build)
# Prints a table and one "target:" line; exits non-zero only when the
# benchmark could not run (a missed target is reported, not a failure).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." || exit 1

# The issue's targets.
TARGET_RATIO_RG=1.0 # text throughput at least ripgrep's
TARGET_RSS_KB=65536 # peak memory under 64 MB, whatever the input size
TARGET_COLD_MS=20   # cold start on a tiny input, cached database

quick=0 out= out_set=0 dir=${TMPDIR:-/tmp} size=1G runs=3 budget=20 cap=1
lexicon=data/lexicon build=build standard=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 standard=0 ;;
	--out | --dir | --size | --runs | --budget | --cap | --lexicon | --build)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "screen.sh: $1 needs a value" >&2
			exit 2
		fi
		case "$1" in
		--out) out=$2 out_set=1 ;;
		--dir) dir=$2 ;;
		--size) size=$2 standard=0 ;;
		--runs) runs=$2 standard=0 ;;
		--budget) budget=$2 standard=0 ;;
		--cap) cap=$2 standard=0 ;;
		--lexicon) lexicon=$2 standard=0 ;;
		--build) build=$2 ;;
		esac
		shift
		;;
	-h | --help)
		sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "screen.sh: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done

die() {
	echo "screen.sh: $*" >&2
	exit 1
}

# Sizes in bytes; K, M, G are binary, as corpus_gen reads them.
to_bytes() {
	local v=$1 m=1
	case "$v" in
	*[kK]) m=1024 v=${v%?} ;;
	*[mM]) m=1048576 v=${v%?} ;;
	*[gG]) m=1073741824 v=${v%?} ;;
	esac
	case "$v" in '' | *[!0-9]*) return 1 ;; esac
	echo $((v * m))
}

probe_bytes=$((4 << 20))
if [ "$quick" -eq 1 ]; then
	[ "$size" = 1G ] && size=20M
	runs=1 budget=5 probe_bytes=$((1 << 20))
fi
size_bytes=$(to_bytes "$size") || die "bad --size '$size'"
[ "$size_bytes" -ge 1048576 ] || die "--size must be at least 1M"
[ "$probe_bytes" -le "$size_bytes" ] || probe_bytes=$size_bytes
probe4_bytes=$((4 * probe_bytes))
[ "$probe4_bytes" -le "$size_bytes" ] || probe4_bytes=$size_bytes
case "$runs" in '' | *[!0-9]* | 0) die "bad --runs '$runs'" ;; esac
case "$budget" in '' | *[!0-9]* | 0) die "bad --budget '$budget'" ;; esac
case "$cap" in '' | *[!0-9]* | 0) die "bad --cap '$cap'" ;; esac
# A standard run writes bench/results/screen.json; a smoke run or other
# settings never replace a recorded result unless --out says so.
[ "$out_set" -eq 0 ] && [ "$standard" -eq 1 ] && out=bench/results/screen.json

htd=$build/htdispatch
gen=$build/bench/corpus_gen
literals=$build/bench/lexicon_literals
for exe in "$htd" "$gen" "$literals"; do
	[ -x "$exe" ] || die "$exe is not built (ninja -C $build)"
done
"$htd" screen --help >/dev/null 2>&1 || die "$htd has no 'screen' command"
command -v rg >/dev/null || die "ripgrep (rg) is not installed: scripts/deps.sh"
command -v grep >/dev/null || die "grep is not installed"
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is not installed: scripts/deps.sh"
[ -d "$lexicon" ] || die "no lexicon directory $lexicon"
if [ -n "$out" ]; then
	out_dir=$(dirname "$out")
	[ -d "$out_dir" ] && [ -w "$out_dir" ] || die "cannot write into $out_dir"
fi
rg_version=$(rg --version 2>/dev/null | sed -n 1p)
grep_version=$(grep --version 2>/dev/null | sed -n 1p)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d "$dir/htd-bench-screen-XXXXXX") ||
	die "cannot create a directory in $dir"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cache=$work/cache
mkdir -p "$cache" || exit 1

# Microseconds since the epoch, with no fork (bash 5).
now_us() {
	echo "${EPOCHREALTIME/[.,]/}"
}

calc() {
	awk "BEGIN { printf \"%.6g\\n\", $* }"
}

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) print 0
		else if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- the corpora, the phrases --------------------------------------------
# corpus MODE BYTES: the path of the MODE (text or jsonl) corpus of at most
# BYTES, generated on first use. corpus_gen writes whole notes from one
# fixed stream, so a smaller corpus is a prefix of a larger one.
corpus() {
	local path=$work/$1.$2
	if [ ! -f "$path" ]; then
		local flag=()
		[ "$1" = jsonl ] && flag=(--jsonl)
		"$gen" --size "$2" "${flag[@]}" --out "$path" \
			2>"$path.log" || { cat "$path.log" >&2; die "corpus_gen failed"; }
	fi
	echo "$path"
}

t0=$(now_us)
text_full=$(corpus text "$size_bytes") || exit 1
t1=$(now_us)
gen_seconds=$(calc "($t1 - $t0) / 1e6")
corpus jsonl "$size_bytes" >/dev/null || exit 1
declare -A gen_summary
for mode in text jsonl; do
	gen_summary[$mode]=$(sed 's/^corpus_gen: //' "$work/$mode.$size_bytes.log")
done

phrases=$work/phrases.txt
regexes=$work/regexes.txt
"$literals" --lexicon "$lexicon" --cap "$cap" --out "$phrases" \
	2>"$work/literals.log" ||
	{ cat "$work/literals.log" >&2; die "lexicon_literals failed"; }
literals_summary=$(sed 's/^lexicon_literals: //' "$work/literals.log")
"$literals" --lexicon "$lexicon" --regex --out "$regexes" 2>/dev/null ||
	die "lexicon_literals --regex failed"
n_phrases=$(wc -l <"$phrases")
n_regexes=$(wc -l <"$regexes")
[ "$n_phrases" -gt 0 ] || die "no phrases from $lexicon"

# One short note, and the first screen: it compiles the lexicon and writes
# the cache, which every later run reads.
tiny=$work/tiny.txt
printf '%s\n' "caller states boss keeps her passport, cant leave the house" >"$tiny"
screen=("$htd" screen --lexicon "$lexicon" --cache "$cache" --summary)
t0=$(now_us)
/usr/bin/time -f '%M' -o "$work/first.kb" "${screen[@]}" <"$tiny" \
	>/dev/null 2>"$work/first.log" ||
	{ cat "$work/first.log" >&2; die "htdispatch screen failed"; }
t1=$(now_us)
compile_ms=$(calc "($t1 - $t0) / 1e3")
compile_kb=$(tail -n 1 "$work/first.kb")
grep -q 'cache: written' "$work/first.log" ||
	echo "screen.sh: warning: the first run did not write the cache:" \
		"$(tail -n 1 "$work/first.log")" >&2
"${screen[@]}" <"$tiny" >/dev/null 2>"$work/second.log"
grep -q 'cache: hit' "$work/second.log" ||
	die "the cache is not used: $(tail -n 1 "$work/second.log")"

# ---- throughput ----------------------------------------------------------
# The tools, by mode; screen first. rgre is ripgrep given the lexicon's
# regular expressions (the same patterns screen compiles), text only.
tools_text=(screen rg grep rgre)
tools_jsonl=(screen rg grep)
declare -A label=(
	[screen]="htdispatch screen"
	[rg]="rg -c -i -F -f phrases"
	[grep]="grep -c -i -F -f phrases"
	[rgre]="rg -c -i -f regexes"
)

# command TOOL MODE: sets cmd to the command line, without the file.
command_of() {
	case "$1" in
	screen)
		cmd=("${screen[@]}")
		[ "$2" = jsonl ] && cmd+=(--jsonl)
		;;
	rg) cmd=(rg -c -i -F -f "$phrases") ;;
	grep) cmd=(grep -c -i -F -f "$phrases") ;;
	rgre) cmd=(rg -c -i -f "$regexes") ;;
	esac
}

# run KEY FILE TOOL MODE: one run under GNU time; appends the wall seconds
# to $work/KEY.s and the peak RSS (KB) to $work/KEY.kb. rg and grep exit 1
# when nothing matched: not a failure here.
run() {
	local key=$1 file=$2 rc t0 t1
	command_of "$3" "$4"
	t0=$(now_us)
	/usr/bin/time -f '%M' -o "$work/time.out" "${cmd[@]}" "$file" \
		>"$work/$key.stdout" 2>"$work/$key.stderr"
	rc=$?
	t1=$(now_us)
	if [ "$rc" -gt 1 ] || { [ "$rc" -eq 1 ] && [ "$3" = screen ]; }; then
		cat "$work/$key.stderr" >&2
		die "${label[$3]} exited with $rc on $file"
	fi
	calc "($t1 - $t0) / 1e6" >>"$work/$key.s"
	tail -n 1 "$work/time.out" >>"$work/$key.kb"
}

# fit LIMIT T1 T2: what a tool can read in LIMIT seconds: the whole corpus,
# or its first half, quarter, ... (at least the probe), from two probe runs
# (T1 seconds on probe_bytes, T2 on probe4_bytes) that tell its start-up
# time from its rate.
fit() {
	awk -v limit="$1" -v t1="$2" -v t2="$3" -v p="$probe_bytes" \
		-v p4="$probe4_bytes" -v full="$size_bytes" 'BEGIN {
		per_byte = p4 > p ? (t2 - t1) / (p4 - p) : t1 / p
		if (per_byte < 0) per_byte = 0
		start = t1 - p * per_byte
		if (start < 0) start = 0
		b = full
		while (b > p && start + b * per_byte > limit) b = int(b / 2)
		if (b < p) b = p
		print b }'
}

declare -A read_bytes secs mbs kb ratio_rg ratio_grep ratio_rgre hits
declare -A counting lines probe_kb probe_s
for mode in text jsonl; do
	declare -n tools=tools_$mode
	probe=$(corpus "$mode" "$probe_bytes") || exit 1
	probe4=$(corpus "$mode" "$probe4_bytes") || exit 1
	for t in "${tools[@]}"; do
		run "$mode.$t.probe" "$probe" "$t" "$mode"
		run "$mode.$t.probe4" "$probe4" "$t" "$mode"
		probe_s[$mode.$t]="$(cat "$work/$mode.$t.probe.s") \
$(cat "$work/$mode.$t.probe4.s")"
		read_bytes[$mode.$t]=$(fit "$budget" ${probe_s[$mode.$t]})
		probe_kb[$mode.$t]=$(cat "$work/$mode.$t.probe.kb")
		corpus "$mode" "${read_bytes[$mode.$t]}" >/dev/null || exit 1
	done
	n=${#tools[@]}
	for ((r = 0; r < runs; r++)); do
		# Each round starts with another tool: drift hits all alike.
		for ((k = 0; k < n; k++)); do
			t=${tools[(r + k) % n]}
			file=$(corpus "$mode" "${read_bytes[$mode.$t]}")
			run "$mode.$t" "$file" "$t" "$mode"
		done
	done
	for t in "${tools[@]}"; do
		file=$(corpus "$mode" "${read_bytes[$mode.$t]}")
		read_bytes[$mode.$t]=$(stat -c %s "$file")
		secs[$mode.$t]=$(median "$work/$mode.$t.s")
		mbs[$mode.$t]=$(calc "${read_bytes[$mode.$t]} / 1e6 / ${secs[$mode.$t]}")
		kb[$mode.$t]=$(sort -n "$work/$mode.$t.kb" | tail -n 1)
		lines[$mode.$t]=$(cat "$work/$mode.$t.stdout")
	done
	ratio_rg[$mode]=$(calc "${mbs[$mode.screen]} / ${mbs[$mode.rg]}")
	ratio_grep[$mode]=$(calc "${mbs[$mode.screen]} / ${mbs[$mode.grep]}")
	[ "$mode" = text ] &&
		ratio_rgre[$mode]=$(calc "${mbs[$mode.screen]} / ${mbs[$mode.rgre]}")
	hits[$mode]=$(sed -n 's/.*, \([0-9]*\) hits.*/\1/p' \
		"$work/$mode.screen.stderr")
	counting[$mode]=$(sed -n 's/.*hits (\([0-9]*\) counting).*/\1/p' \
		"$work/$mode.screen.stderr")
	unset -n tools
done
probe_file_bytes=$(stat -c %s "$(corpus text "$probe_bytes")")

# ---- peak memory on the whole corpus ---------------------------------------
# Memory must not grow with the input, so screen reads the whole text corpus
# once more if the throughput runs did not, within 6 budgets (a prefix if
# even that is too short).
memory_bytes=${read_bytes[text.screen]}
memory_kb=${kb[text.screen]}
if [ "$memory_bytes" -lt "$(stat -c %s "$text_full")" ]; then
	b=$(fit $((6 * budget)) ${probe_s[text.screen]})
	if [ "$b" -gt "${read_bytes[text.screen]}" ]; then
		file=$(corpus text "$b") || exit 1
		run text.screen.memory "$file" screen text
		memory_bytes=$(stat -c %s "$file")
		memory_kb=$(cat "$work/text.screen.memory.kb")
	fi
fi

# ---- cold start ----------------------------------------------------------
cold_runs=30
[ "$quick" -eq 1 ] && cold_runs=10
q_screen=$(printf '%q ' "${screen[@]}")
q_tiny=$(printf '%q' "$tiny")
if command -v hyperfine >/dev/null; then
	cold_tool="hyperfine $(hyperfine --version | awk '{ print $2 }')"
	hyperfine --warmup 3 --runs "$cold_runs" --style none \
		--export-json "$work/cold.json" \
		"$q_screen< $q_tiny > /dev/null" \
		"rg -c -i -F -f $(printf '%q' "$phrases") < $q_tiny > /dev/null; true" \
		>/dev/null 2>"$work/hyperfine.log" ||
		{ cat "$work/hyperfine.log" >&2; die "hyperfine failed"; }
	cold_ms=$(awk '/"median"/ { gsub(/,/, ""); print $2 * 1000; exit }' \
		"$work/cold.json")
	cold_rg_ms=$(awk '/"median"/ { gsub(/,/, ""); n++
		if (n == 2) { print $2 * 1000; exit } }' "$work/cold.json")
else
	cold_tool="bash loop (hyperfine not installed)"
	for ((i = 0; i < cold_runs + 3; i++)); do
		t0=$(now_us)
		"${screen[@]}" <"$tiny" >/dev/null 2>&1
		t1=$(now_us)
		rg -c -i -F -f "$phrases" <"$tiny" >/dev/null 2>&1
		t2=$(now_us)
		[ "$i" -lt 3 ] && continue # warm-up
		calc "($t1 - $t0) / 1e3" >>"$work/cold.ms"
		calc "($t2 - $t1) / 1e3" >>"$work/coldrg.ms"
	done
	cold_ms=$(median "$work/cold.ms")
	cold_rg_ms=$(median "$work/coldrg.ms")
fi
cache_bytes=$(stat -c %s "$cache"/* 2>/dev/null | head -n 1)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- verdicts ------------------------------------------------------------
met() { awk "BEGIN { exit !($*) }" && echo true || echo false; }
screen_kb_max=$(printf '%s\n' "${kb[text.screen]}" "${kb[jsonl.screen]}" \
	"${probe_kb[text.screen]}" "${probe_kb[jsonl.screen]}" "$memory_kb" |
	sort -n | tail -n 1)
met_rg=$(met "${ratio_rg[text]} >= $TARGET_RATIO_RG")
met_rss=$(met "$screen_kb_max < $TARGET_RSS_KB")
met_cold=$(met "$cold_ms < $TARGET_COLD_MS")
word() { [ "$1" = true ] && echo met || echo MISSED; }
mb() { calc "$1 / 1024"; }
mbytes() { calc "$1 / 1e6"; }

# ---- the table -----------------------------------------------------------
note=
[ "$quick" -eq 1 ] && note=" (--quick: a smoke run, not a measurement)"
printf 'screen: htdispatch screen vs rg and grep on the same corpus%s\n' "$note"
printf '  corpus: %s\n' "${gen_summary[text]}"
printf '  phrases (-F): %s\n' "$literals_summary"
printf '  regexes: the %s indicator patterns, spaces as [ \\t]+\n' "$n_regexes"
printf '  %d run%s each, median; budget %d s a run; MB = 10^6 bytes; %s; %s\n' \
	"$runs" "$([ "$runs" -eq 1 ] || echo s)" "$budget" "$rg_version" \
	"$grep_version"
printf '  load average %s at the start, %s at the end (%s CPUs)\n' \
	"$load_start" "$load_end" "$(nproc)"
for mode in text jsonl; do
	declare -n tools=tools_$mode
	printf '\n  %-30s %8s %8s %8s %11s %8s %s\n' "$mode" "read MB" \
		seconds MB/s "peak RSS" screen/x matches
	for t in "${tools[@]}"; do
		r=
		case "$t" in
		rg) r=$(printf '%.3f' "${ratio_rg[$mode]}") ;;
		grep) r=$(printf '%.3f' "${ratio_grep[$mode]}") ;;
		rgre) r=$(printf '%.3f' "${ratio_rgre[$mode]}") ;;
		esac
		m="${lines[$mode.$t]} lines"
		[ "$t" = screen ] && m="${hits[$mode]:-?} hits, ${counting[$mode]:-?} counting"
		name=${label[$t]}
		[ "$t" = screen ] && [ "$mode" = jsonl ] && name="$name --jsonl"
		printf '  %-30s %8.1f %8.3f %8.1f %8.1f MB %8s %s\n' "$name" \
			"$(mbytes "${read_bytes[$mode.$t]}")" "${secs[$mode.$t]}" \
			"${mbs[$mode.$t]}" "$(mb "${kb[$mode.$t]}")" "$r" "$m"
	done
	unset -n tools
done
printf '\n  read MB below the corpus size: the tool was too slow to read it all within the budget\n'
printf '  screen peak RSS: %.1f MB reading %.1f MB, %.1f MB reading %.1f MB (text); %.1f MB compiling the lexicon\n' \
	"$(mb "${probe_kb[text.screen]}")" "$(mbytes "$probe_file_bytes")" \
	"$(mb "$memory_kb")" "$(mbytes "$memory_bytes")" "$(mb "$compile_kb")"
printf '  cold start, tiny stdin, cached database (%s, %d runs, median): %.2f ms; rg -F %.2f ms\n' \
	"$cold_tool" "$cold_runs" "$cold_ms" "$cold_rg_ms"
printf '  first run (compiles and caches the lexicon): %.0f ms\n' "$compile_ms"
printf '\n  target: throughput >= rg: %s (%.3f); peak RSS < 64 MB: %s (%.1f MB); cold start < %d ms: %s (%.2f ms)\n' \
	"$(word "$met_rg")" "${ratio_rg[text]}" "$(word "$met_rss")" \
	"$(mb "$screen_kb_max")" "$TARGET_COLD_MS" "$(word "$met_cold")" \
	"$cold_ms"

# ---- the JSON ------------------------------------------------------------
[ -n "$out" ] || exit 0
json_list() { paste -sd, "$1"; }
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
json_bool() { [ "$1" -eq 1 ] && echo true || echo false; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
fs=$(stat -f -c %T "$work")
tool_json() {
	local key=$1.$2
	printf '{ "command": %s, "bytes_read": %s, "seconds": { "median": %s, "runs": [%s] }, "mb_per_second": %s, "peak_rss_kb": { "max": %s, "runs": [%s] }, "probes": [ { "bytes": %s, "seconds": %s, "peak_rss_kb": %s }, { "bytes": %s, "seconds": %s, "peak_rss_kb": %s } ], ' \
		"$(json_str "${label[$2]}")" "${read_bytes[$key]}" \
		"${secs[$key]}" "$(json_list "$work/$key.s")" "${mbs[$key]}" \
		"${kb[$key]}" "$(json_list "$work/$key.kb")" \
		"$(stat -c %s "$(corpus "$1" "$probe_bytes")")" \
		"$(cat "$work/$key.probe.s")" "${probe_kb[$key]}" \
		"$(stat -c %s "$(corpus "$1" "$probe4_bytes")")" \
		"$(cat "$work/$key.probe4.s")" "$(cat "$work/$key.probe4.kb")"
	if [ "$2" = screen ]; then
		printf '"hits": %s, "counting": %s }' "${hits[$1]:-null}" \
			"${counting[$1]:-null}"
	else
		printf '"matching_lines": %s }' "${lines[$key]}"
	fi
}
mode_json() {
	local m=$1 t
	declare -n ts=tools_$m
	printf '{\n'
	printf '    "corpus": { "bytes": %s, "generator": %s },\n' \
		"$(stat -c %s "$(corpus "$m" "$size_bytes")")" \
		"$(json_str "${gen_summary[$m]}")"
	for t in "${ts[@]}"; do
		printf '    "%s": %s,\n' "$t" "$(tool_json "$m" "$t")"
	done
	[ "$m" = text ] && printf '    "ratio_screen_rgre": %s,\n' "${ratio_rgre[$m]}"
	printf '    "ratio_screen_rg": %s,\n' "${ratio_rg[$m]}"
	printf '    "ratio_screen_grep": %s\n' "${ratio_grep[$m]}"
	printf '  }'
}
tmp=$out.tmp
{
	printf '{\n'
	printf '  "benchmark": "screen",\n'
	printf '  "htdispatch_version": %s,\n' \
		"$(json_str "$("$htd" --version 2>/dev/null | awk 'NR == 1 { print $2 }')")"
	printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '  "machine": { "hostname": %s, "kernel": %s, "arch": %s, "cpu": %s, "cpus": %s, "load_average_start": %s, "load_average_end": %s },\n' \
		"$(json_str "$(uname -n)")" "$(json_str "$(uname -r)")" \
		"$(json_str "$(uname -m)")" "$(json_str "$cpu")" "$(nproc)" \
		"$(json_str "$load_start")" "$(json_str "$load_end")"
	printf '  "anchors": { "rg": %s, "grep": %s },\n' \
		"$(json_str "$rg_version")" "$(json_str "$grep_version")"
	printf '  "lexicon": { "dir": %s, "phrases": %s, "literals_per_pattern": %s, "expansion": %s, "regexes": %s },\n' \
		"$(json_str "$lexicon")" "$n_phrases" "$cap" \
		"$(json_str "$literals_summary")" "$n_regexes"
	printf '  "corpus_dir": { "dir": %s, "filesystem": %s, "seconds_to_generate_text": %s },\n' \
		"$(json_str "$dir")" "$(json_str "$fs")" "$gen_seconds"
	printf '  "params": { "runs": %s, "budget_seconds": %s, "probe_bytes": %s, "quick": %s, "locale": %s },\n' \
		"$runs" "$budget" "$probe_bytes" "$(json_bool "$quick")" \
		"$(json_str "${LC_ALL:-${LANG:-}}")"
	printf '  "text": %s,\n' "$(mode_json text)"
	printf '  "jsonl": %s,\n' "$(mode_json jsonl)"
	printf '  "memory": { "screen_peak_rss_kb": [ { "bytes": %s, "kb": %s }, { "bytes": %s, "kb": %s } ], "compile_peak_rss_kb": %s },\n' \
		"$probe_file_bytes" "${probe_kb[text.screen]}" \
		"$memory_bytes" "$memory_kb" "$compile_kb"
	printf '  "cold_start": { "ms_median": %s, "rg_ms_median": %s, "runs": %s, "tool": %s, "first_run_compile_ms": %s, "cache_bytes": %s },\n' \
		"$cold_ms" "$cold_rg_ms" "$cold_runs" "$(json_str "$cold_tool")" \
		"$compile_ms" "${cache_bytes:-0}"
	printf '  "target": { "ratio_rg_min": %s, "ratio_rg_met": %s, "peak_rss_kb_max": %s, "peak_rss_kb": %s, "peak_rss_met": %s, "cold_start_ms_max": %s, "cold_start_met": %s }\n' \
		"$TARGET_RATIO_RG" "$met_rg" "$TARGET_RSS_KB" "$screen_kb_max" \
		"$met_rss" "$TARGET_COLD_MS" "$met_cold"
	printf '}\n'
} >"$tmp" && mv "$tmp" "$out" || die "cannot write $out"
echo "  wrote $out"
