#!/usr/bin/env bash
# api.sh - the HTTP API under load, next to its anchor in the same run:
# `htdispatch serve` on loopback answering GET /api/v1/calls/{id} (with a
# Bearer token) and recording answers (PUT .../answers/{qid}: a durable
# write, decided and audited), against nginx serving a static JSON file of
# the same bytes. wrk at a fixed number of connections gives requests per
# second and p50/p99 latency; a paced pass (build/bench/api_load, an
# open-loop generator: Debian's wrk has no rate control) gives p99 at a
# fixed 2,000 requests per second; /proc/PID/status gives the server's
# resident memory. See bench/README.md.
#
# Usage: bench/api.sh [--quick] [--out PATH] [--dir DIR] [--duration S]
#            [--connections N] [--rate R] [--rounds N] [--threads N]
#            [--build DIR]
#   --quick          a smoke run: 2 s runs, 1 round; no JSON unless --out
#   --out PATH       where to write the JSON (default bench/results/api.json
#                    for a standard run; none with --quick or other settings)
#   --dir DIR        where the database goes (default $TMPDIR or /tmp);
#                    removed at the end
#   --duration S     seconds of each wrk run and of each paced run (10)
#   --connections N  wrk's connections (32; 2 threads)
#   --rate R         the paced passes' requests per second (2000)
#   --rounds N       wrk rounds; the median is reported (3)
#   --threads N      the server's worker threads (default: serve's own)
#   --build DIR      the build directory (default build)
# Prints a table and one "target:" line; exits non-zero only when the
# benchmark could not run (a missed target is reported, not a failure).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." || exit 1

# The issue's targets: reads at least half of nginx's rate; p99 under 5 ms
# at 2,000 requests per second; resident memory under 50 MB under load.
TARGET_READ_RATIO=0.5
TARGET_P99_MS=5
TARGET_RSS_MB=50
PACED_CONNECTIONS=16
PACED_WARMUP=2
WRITE_CALLS=64 # calls the writes go round (different calls: no conflicts)
QUESTION=free_to_leave
PASSWORD='benchmark password 2026'

quick=0 out='' out_set=0 dir=${TMPDIR:-/tmp} duration=10 connections=32
rate=2000 rounds=3 build=build standard=1 server_threads=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 standard=0 ;;
	--out | --dir | --duration | --connections | --rate | --rounds | --threads | --build)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "api.sh: $1 needs a value" >&2
			exit 2
		fi
		case "$1" in
		--out) out=$2 out_set=1 ;;
		--dir) dir=$2 ;;
		--duration) duration=$2 standard=0 ;;
		--connections) connections=$2 standard=0 ;;
		--rate) rate=$2 standard=0 ;;
		--rounds) rounds=$2 standard=0 ;;
		--threads) server_threads=$2 standard=0 ;;
		--build) build=$2 ;;
		esac
		shift
		;;
	-h | --help)
		sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "api.sh: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done

die() {
	echo "api.sh: $*" >&2
	exit 1
}

if [ "$quick" -eq 1 ]; then
	duration=2 rounds=1
fi
case "$server_threads" in '' | [1-9] | [1-9][0-9]) ;; *) die "bad --threads '$server_threads'" ;; esac
for v in duration connections rate rounds; do
	case "${!v}" in '' | *[!0-9]* | 0) die "bad --$v '${!v}'" ;; esac
done
[ "$out_set" -eq 0 ] && [ "$standard" -eq 1 ] && out=bench/results/api.json

htd=$build/htdispatch
load=$build/bench/api_load
[ -x "$htd" ] || die "$htd is not built (ninja -C $build)"
"$htd" serve --help >/dev/null 2>&1 || die "$htd has no 'serve' command"
[ -x "$load" ] || die "$load is not built (ninja -C $build)"
for tool in wrk curl jq; do
	command -v "$tool" >/dev/null || die "$tool is not installed: scripts/deps.sh"
done
# nginx is in /usr/sbin, which a user's PATH may not hold.
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || die "nginx is not installed (nginx-light): scripts/deps.sh"
if [ -n "$out" ]; then
	out_dir=$(dirname "$out")
	[ -d "$out_dir" ] && [ -w "$out_dir" ] || die "cannot write into $out_dir"
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

work=$(mktemp -d "$dir/htd-bench-api-XXXXXX") ||
	die "cannot create a directory in $dir"
server_pid='' nginx_pid='' sampler_pid=''
cleanup() {
	[ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

calc() {
	awk "BEGIN { printf \"%.6g\\n\", $* }"
}

# A free loopback port for nginx (the kernel's choice, then released).
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the server ------------------------------------------------------------

db=$work/htd.db
engine=(--protocol data/protocol/nena-ht.yaml --policy etc/policy.yaml
	--lexicon data/lexicon --cache "$work/cache")
"$htd" init --db "$db" >/dev/null || die "htdispatch init failed"
# Compile the lexicon into the cache first, as a server in production
# finds it (./var/cache): compiling is start-up work whose peak memory is
# not the server's under load.
echo "warm-up note" | "$htd" screen --summary --lexicon data/lexicon \
	--cache "$work/cache" >/dev/null 2>&1 || die "cannot compile the lexicon"
printf '%s\n' "$PASSWORD" | "$htd" user add bench --role calltaker \
	--db "$db" >/dev/null || die "htdispatch user add failed"
# Log level warn: no line per request (nginx's access log is off too).
HTDISPATCH_LOG=warn "$htd" serve --listen 127.0.0.1:0 --db "$db" \
	${server_threads:+--threads "$server_threads"} "${engine[@]}" \
	>"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
base=''
for _ in $(seq 1 600); do
	base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out" 2>/dev/null)
	[ -n "$base" ] && break
	kill -0 "$server_pid" 2>/dev/null ||
		{ cat "$work/serve.err" >&2; die "htdispatch serve did not start"; }
	sleep 0.1
done
[ -n "$base" ] || die "htdispatch serve did not say where it listens"
hwm_idle_kb=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$server_pid/status")
threads=${server_threads:-$("$htd" serve --help | sed -n 's/.*--threads N.*default \([0-9]*\).*/\1/p')}

api() { # METHOD PATH [BODY]: prints the body; fails on a status >= 400
	curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} \
		"$base$2"
}
token=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
	--data-binary "{\"username\": \"bench\", \"password\": \"$PASSWORD\"}" \
	"$base/api/v1/sessions" | jq -r .token) || die "cannot sign in"
[ -n "$token" ] && [ "$token" != null ] || die "no token"

# The call read: a realistic one, answered and noted, with indicators.
read_id=$(api POST /api/v1/calls \
	'{"channel": "voice", "language": "en", "location": "County Road 4, the packing shed behind the farm", "callback": "555-0142"}' |
	jq -r .id) || die "cannot open a call"
for a in caller_is_victim:yes in_danger_now:no safe_to_talk:yes \
	free_to_leave:no has_own_documents:no owes_debt:yes lives_at_work:yes \
	others_with_you:yes people_count:12 industry:agriculture; do
	api PUT "/api/v1/calls/$read_id/answers/${a%%:*}" \
		"{\"value\": \"${a#*:}\"}" >/dev/null || die "cannot record ${a%%:*}"
done
api POST "/api/v1/calls/$read_id/notes" \
	'{"text": "RP says the crew boss keeps their passports and they cannot leave the farm. Owes $4,000 for the trip. Sleeps in the shed with 11 others."}' \
	>/dev/null || die "cannot add a note"
api POST "/api/v1/calls/$read_id/notes" \
	'{"text": "Caller whispering; boss is nearby. Paid $20 a week."}' \
	>/dev/null || die "cannot add a note"
read_path=/api/v1/calls/$read_id
api GET "$read_path" >"$work/call.json" || die "cannot read the call"
call_bytes=$(wc -c <"$work/call.json")

# The calls written to: thread t of wrk takes calls t, t + 2, ...
write_ids=()
for _ in $(seq 1 "$WRITE_CALLS"); do
	write_ids+=("$(api POST /api/v1/calls '{}' | jq -r .id)") ||
		die "cannot open a call"
done
write_path=/api/v1/calls/${write_ids[0]}/answers/$QUESTION

# ---- the anchor: nginx, the same bytes ---------------------------------------

nginx_port=$(free_port) || die "no free port"
mkdir -p "$work/nginx/tmp" "$work/nginx/www/api/v1/calls" || exit 1
cp "$work/call.json" "$work/nginx/www$read_path.json" || exit 1
chmod -R a+rX "$work/nginx" && chmod a+x "$work"
sed -e "s|@WORK@|$work/nginx|g; s|@PORT@|$nginx_port|g" \
	-e "s|@WORKERS@|$(nproc)|g; s|@USER@|$(id -un)|g; s|@GROUP@|$(id -gn)|g" \
	bench/nginx/nginx.conf.in >"$work/nginx/nginx.conf" || exit 1
"$nginx" -e "$work/nginx/nginx-error.log" -p "$work/nginx" \
	-c "$work/nginx/nginx.conf" &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "$nginx_url$read_path" && break
	kill -0 "$nginx_pid" 2>/dev/null ||
		{ cat "$work/nginx/nginx-error.log" >&2; die "nginx did not start"; }
	sleep 0.1
done
curl -sS -o "$work/nginx.json" "$nginx_url$read_path" || die "nginx does not serve"
cmp -s "$work/call.json" "$work/nginx.json" ||
	die "nginx does not serve the same bytes as the server"
nginx_version=$("$nginx" -v 2>&1 | sed 's|.*nginx/||')

# ---- measuring ------------------------------------------------------------

rss_kb() { # FIELD: VmHWM (peak) or VmRSS (now) of the server, in kB
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$server_pid/status"
}

# wrk_run NAME ARGS...: runs wrk, keeps its JSON line in $work/NAME.json.
wrk_run() {
	local name=$1
	shift
	wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s "$@" \
		>"$work/$name.txt" 2>&1 || {
		cat "$work/$name.txt" >&2
		kill -0 "$server_pid" 2>/dev/null ||
			{ tail -n 20 "$work/serve.err" >&2; die "htdispatch serve died ($base)"; }
		kill -0 "$nginx_pid" 2>/dev/null ||
			{ tail -n 20 "$work/nginx/nginx-error.log" >&2; die "nginx died ($nginx_url)"; }
		die "wrk failed ($name)"
	}
	sed -n 's/^WRK //p' "$work/$name.txt" >"$work/$name.json"
	[ -s "$work/$name.json" ] || { cat "$work/$name.txt" >&2; die "wrk printed no figures"; }
}
read_htd() {
	wrk_run "$1" -s bench/wrk/report.lua -H "Authorization: Bearer $token" \
		"$base$read_path"
}
read_nginx() {
	wrk_run "$1" -s bench/wrk/report.lua \
		-H "Authorization: Bearer $token" "$nginx_url$read_path"
}
write_htd() {
	wrk_run "$1" -s bench/wrk/answer.lua "$base$write_path" -- \
		"$token" "$QUESTION" 2 "${write_ids[@]}"
}

# Warm up both (caches, the server's per-thread engines), not measured.
wd=$duration
duration=2
read_htd warm-htd
read_nginx warm-nginx
write_htd warm-write
duration=$wd

# Rounds; the order of the two read sides alternates so drift hits both.
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then
		read_htd "read-htd-$r"
		read_nginx "read-nginx-$r"
	else
		read_nginx "read-nginx-$r"
		read_htd "read-htd-$r"
	fi
	write_htd "write-htd-$r"
done
hwm_wrk_kb=$(rss_kb VmHWM)

# Where a read's time goes, once each: the same server answering without
# the database (/healthz) and checking the session only (whoami: a read of
# the session and the user, and a write of last_seen at most once a
# millisecond); GET call adds reading the call and its audit entry (a
# durable write per read).
wrk_run diag-healthz -s bench/wrk/report.lua "$base/healthz"
wrk_run diag-whoami -s bench/wrk/report.lua -H "Authorization: Bearer $token" \
	"$base/api/v1/sessions/current"

# The paced passes: a fixed rate, latency from when each request was due.
sample_rss() { # keeps the largest VmRSS seen, every 100 ms, in FILE
	local max=0 v
	while kill -0 "$server_pid" 2>/dev/null; do
		v=$(rss_kb VmRSS)
		[ -n "$v" ] && [ "$v" -gt "$max" ] && { max=$v; echo "$max" >"$1"; }
		sleep 0.1
	done
}
paced() { # NAME URL [api_load options and paths]
	local name=$1 url=$2
	shift 2
	"$load" --rate "$rate" --duration "$duration" --warmup "$PACED_WARMUP" \
		--connections "$PACED_CONNECTIONS" "$@" "$url" >"$work/$name.json" \
		2>"$work/$name.err" || { cat "$work/$name.err" >&2; die "api_load failed"; }
}
echo 0 >"$work/rss-paced"
sample_rss "$work/rss-paced" &
sampler_pid=$!
paced paced-read-htd "$base" --header "Authorization: Bearer $token" \
	"$read_path"
kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=''
rss_paced_kb=$(cat "$work/rss-paced")
paced paced-read-nginx "$nginx_url" --header "Authorization: Bearer $token" \
	"$read_path"
write_paths=()
for id in "${write_ids[@]}"; do
	write_paths+=("/api/v1/calls/$id/answers/$QUESTION")
done
paced paced-write-htd "$base" --method PUT \
	--header "Authorization: Bearer $token" \
	--header 'Content-Type: application/json' \
	--body '{"value": "yes"}' --body '{"value": "no"}' "${write_paths[@]}"
hwm_kb=$(rss_kb VmHWM)
rss_end_kb=$(rss_kb VmRSS)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# The answers really were recorded: the last call's history has them.
events=$(api GET "/api/v1/calls/${write_ids[0]}/events" | jq '.events | length')
[ "${events:-0}" -gt 2 ] || die "the writes left no events"

# ---- figures ----------------------------------------------------------------

# side_json PREFIX: the rounds of one side as {rps: [...], p50_us, p99_us,
# errors}, with medians.
side_json() {
	local files=()
	for r in $(seq 1 "$rounds"); do files+=("$work/$1-$r.json"); done
	jq -s '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	{
		rounds: [.[] | {requests, duration_us,
			per_second: (.requests / (.duration_us / 1e6)),
			latency_us, errors}],
		per_second: ([.[] | .requests / (.duration_us / 1e6)] | median),
		p50_ms: ([.[] | .latency_us.p50] | median / 1000),
		p99_ms: ([.[] | .latency_us.p99] | median / 1000),
		errors: ([.[] | .errors | add] | add)
	}' "${files[@]}"
}
side_json read-htd >"$work/s-read-htd.json"
side_json read-nginx >"$work/s-read-nginx.json"
side_json write-htd >"$work/s-write-htd.json"
get() { jq -r "$2" "$work/$1.json"; }

rh=$(get s-read-htd .per_second) rn=$(get s-read-nginx .per_second)
ratio=$(calc "$rh / $rn")
pr99=$(get paced-read-htd '.latency_us.p99 / 1000')
pw99=$(get paced-write-htd '.latency_us.p99 / 1000')
hwm_mb=$(calc "$hwm_kb / 1024")
met_ratio=$(awk "BEGIN { exit !($ratio >= $TARGET_READ_RATIO) }" && echo true || echo false)
met_p99=$(awk "BEGIN { exit !($pr99 < $TARGET_P99_MS) }" && echo true || echo false)
met_p99w=$(awk "BEGIN { exit !($pw99 < $TARGET_P99_MS) }" && echo true || echo false)
met_rss=$(awk "BEGIN { exit !($hwm_mb < $TARGET_RSS_MB) }" && echo true || echo false)
met=false
[ "$met_ratio" = true ] && [ "$met_p99" = true ] && [ "$met_rss" = true ] && met=true

note=
[ "$quick" -eq 1 ] && note=" (--quick: a smoke run, not a measurement)"
printf 'api: htdispatch serve vs nginx %s, wrk on loopback%s\n' "$nginx_version" "$note"
printf '  GET %s: %s bytes of JSON (the file nginx serves); PUT %s: %d calls in turn\n' \
	"/api/v1/calls/{id}" "$call_bytes" "/api/v1/calls/{id}/answers/$QUESTION" "$WRITE_CALLS"
printf '  wrk -t2 -c%d -d%ds, %d rounds, medians; server: %s threads; nginx: %d workers\n' \
	"$connections" "$duration" "$rounds" "${threads:-?}" "$(nproc)"
printf '  load average %s at the start, %s at the end (%s CPUs)\n' \
	"$load_start" "$load_end" "$(nproc)"
printf '\n  %-34s %10s %9s %9s %7s\n' "closed loop (wrk)" "req/s" "p50 ms" "p99 ms" errors
for s in read-htd:"GET call, htdispatch" read-nginx:"GET same bytes, nginx" \
	write-htd:"PUT answer, htdispatch"; do
	f=s-${s%%:*}
	printf '  %-34s %10.0f %9.3f %9.3f %7d\n' "${s#*:}" "$(get "$f" .per_second)" \
		"$(get "$f" .p50_ms)" "$(get "$f" .p99_ms)" "$(get "$f" .errors)"
done
for s in diag-healthz:"(GET /healthz, no database)" \
	diag-whoami:"(GET session only, htdispatch)"; do
	f=${s%%:*}
	printf '  %-34s %10.0f %9.3f %9.3f %7d\n' "${s#*:}" \
		"$(get "$f" '.requests / (.duration_us / 1e6)')" \
		"$(get "$f" '.latency_us.p50 / 1000')" "$(get "$f" '.latency_us.p99 / 1000')" \
		"$(get "$f" '.errors | add')"
done
printf '\n  %-34s %10s %9s %9s %7s\n' "paced, $rate/s, $PACED_CONNECTIONS conn" "achieved" "p50 ms" "p99 ms" "not 2xx"
for s in paced-read-htd:"GET call, htdispatch" paced-read-nginx:"GET same bytes, nginx" \
	paced-write-htd:"PUT answer, htdispatch"; do
	f=${s%%:*}
	printf '  %-34s %10.0f %9.3f %9.3f %7d\n' "${s#*:}" \
		"$(get "$f" .achieved_per_second)" "$(get "$f" '.latency_us.p50 / 1000')" \
		"$(get "$f" '.latency_us.p99 / 1000')" \
		"$(get "$f" '.other_status + .errors + .unfinished')"
done
printf '\n  reads / nginx: %.2f\n' "$ratio"
printf '  server memory: peak (VmHWM) %.1f MB (%.1f MB at start); largest VmRSS during the paced reads %.1f MB; %.1f MB at the end\n' \
	"$hwm_mb" "$(calc "$hwm_idle_kb / 1024")" "$(calc "$rss_paced_kb / 1024")" \
	"$(calc "$rss_end_kb / 1024")"
w() { [ "$1" = true ] && echo met || echo MISSED; }
printf '\n  target: reads >= %.1f x nginx: %s (%.2f); p99 < %d ms at %d/s: reads %s (%.2f ms), writes %s (%.2f ms); memory < %d MB: %s (%.1f MB)\n' \
	"$TARGET_READ_RATIO" "$(w "$met_ratio")" "$ratio" "$TARGET_P99_MS" "$rate" \
	"$(w "$met_p99")" "$pr99" "$(w "$met_p99w")" "$pw99" "$TARGET_RSS_MB" \
	"$(w "$met_rss")" "$hwm_mb"

[ -n "$out" ] || exit 0
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
tmp=$out.tmp
jq -n \
	--arg version "$("$htd" --version 2>/dev/null | awk 'NR == 1 { print $2 }')" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg host "$(uname -n)" --arg kernel "$(uname -r)" --arg arch "$(uname -m)" \
	--arg cpu "$cpu" --argjson cpus "$(nproc)" \
	--arg load_start "$load_start" --arg load_end "$load_end" \
	--arg wrk "$(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')" \
	--arg nginx "$nginx_version" \
	--argjson call_bytes "$call_bytes" --argjson duration "$duration" \
	--argjson connections "$connections" --argjson rounds "$rounds" \
	--argjson rate "$rate" --argjson paced_connections "$PACED_CONNECTIONS" \
	--argjson paced_warmup "$PACED_WARMUP" --argjson write_calls "$WRITE_CALLS" \
	--arg threads "${threads:-}" \
	--argjson quick "$([ "$quick" -eq 1 ] && echo true || echo false)" \
	--slurpfile rh "$work/s-read-htd.json" --slurpfile rn "$work/s-read-nginx.json" \
	--slurpfile wh "$work/s-write-htd.json" \
	--slurpfile prh "$work/paced-read-htd.json" \
	--slurpfile prn "$work/paced-read-nginx.json" \
	--slurpfile pwh "$work/paced-write-htd.json" \
	--slurpfile dh "$work/diag-healthz.json" --slurpfile dw "$work/diag-whoami.json" \
	--argjson ratio "$ratio" --argjson hwm_kb "$hwm_kb" \
	--argjson hwm_wrk_kb "$hwm_wrk_kb" --argjson rss_paced_kb "$rss_paced_kb" \
	--argjson rss_end_kb "$rss_end_kb" --argjson hwm_idle_kb "$hwm_idle_kb" \
	--argjson t_ratio "$TARGET_READ_RATIO" --argjson t_p99 "$TARGET_P99_MS" \
	--argjson t_rss "$TARGET_RSS_MB" --argjson pr99 "$pr99" --argjson pw99 "$pw99" \
	--argjson hwm_mb "$hwm_mb" \
	--argjson met_ratio "$met_ratio" --argjson met_p99 "$met_p99" \
	--argjson met_p99w "$met_p99w" --argjson met_rss "$met_rss" --argjson met "$met" \
	'{
	benchmark: "api",
	htdispatch_version: $version,
	date: $date,
	machine: {hostname: $host, kernel: $kernel, arch: $arch, cpu: $cpu,
		cpus: $cpus, load_average_start: $load_start,
		load_average_end: $load_end},
	anchor: "nginx serving a static file with the same bytes as the call",
	tools: {wrk: $wrk, nginx: $nginx},
	params: {call_bytes: $call_bytes, wrk_threads: 2,
		wrk_connections: $connections, duration_s: $duration,
		rounds: $rounds, paced_rate: $rate,
		paced_connections: $paced_connections, paced_warmup_s: $paced_warmup,
		write_calls: $write_calls, server_threads: $threads,
		log_level: "warn", quick: $quick},
	closed_loop: {read_htdispatch: $rh[0], read_nginx: $rn[0],
		write_htdispatch: $wh[0],
		diagnostic: {healthz: ($dh[0] + {per_second: ($dh[0].requests / ($dh[0].duration_us / 1e6))}),
			whoami: ($dw[0] + {per_second: ($dw[0].requests / ($dw[0].duration_us / 1e6))})}},
	paced: {read_htdispatch: $prh[0], read_nginx: $prn[0],
		write_htdispatch: $pwh[0]},
	ratio_read_nginx: $ratio,
	memory_kb: {peak_vmhwm: $hwm_kb, peak_at_start: $hwm_idle_kb,
		peak_after_wrk: $hwm_wrk_kb,
		max_vmrss_paced_reads: $rss_paced_kb, vmrss_end: $rss_end_kb},
	target: {read_ratio_min: $t_ratio, read_ratio: $ratio, read_ratio_met: $met_ratio,
		p99_ms_max: $t_p99, paced_read_p99_ms: $pr99, paced_read_p99_met: $met_p99,
		paced_write_p99_ms: $pw99, paced_write_p99_met: $met_p99w,
		rss_mb_max: $t_rss, peak_rss_mb: $hwm_mb, rss_met: $met_rss,
		met: $met}
	}' >"$tmp" && mv "$tmp" "$out" || die "cannot write $out"
echo "  wrote $out"
