#!/usr/bin/env bash
# api_load.sh - `htdispatch serve` under many clients and bad ones: 200
# concurrent clients each opening a call and recording answers (every call
# ends with exactly the events expected, none lost or twice, call ids
# without gaps, `db check` clean), a live stream that sees every event once
# in order meanwhile, a stream that never reads, and slow-loris clients
# that send half a request and wait: none of them stops the others.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

CLIENTS=${HTD_API_CLIENTS:-200}
YEAR=$(date +%Y)

run init; rc_is 0 "init"
user_add calltaker calltaker
# A long idle timeout: under valgrind a queued request can wait long.
serve_start --threads 4 --per-ip 0 --timeout 600 || { done_testing; exit 1; }
PORT=${BASE##*:}
login calltaker; CT=$TOKEN

# ---- slow loris: half a request, then nothing ------------------------------------
LORIS=()
for i in $(seq 1 20); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /api/v1/calls HTTP/1.1\r\nHost: localhost\r\nX-Slow: ' >&"$fd"
	LORIS+=("$fd")
done
http GET /healthz "" --max-time 10; status_is 200 "20 half-sent requests do not stop others"
http GET /api/v1/calls "" --max-time 10; status_is 200 "a read with them waiting"

# ---- a stream that never reads ------------------------------------------------------
exec {silent}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n\r\n' "$CT" >&"$silent"

# ---- a stream that reads everything -----------------------------------------------------
curl -s -N -H "Authorization: Bearer $CT" "$BASE/api/v1/events" >"$T/sse" &
SSE=$!
BG_PIDS+=("$SSE")
wait_for "$T/sse" ": connected" 60

# ---- many clients at once ------------------------------------------------------------------
# A client does as the API asks: on 503 (the database was busy; nothing
# was saved) it waits Retry-After and sends the same request again.
# req METHOD URL BODY: prints the body, then the status on a line of its
# own; counts retries in $T/retries.
req() {
	local out try
	for try in $(seq 1 30); do
		out=$(curl -s --max-time 900 -X "$1" -H "Authorization: Bearer $CT" \
			-H 'Content-Type: application/json' -d "$3" -w '\n%{http_code}' "$2")
		[ "${out##*$'\n'}" != 503 ] && break
		echo retry >>"$T/retries"
		sleep 1
	done
	printf '%s' "$out"
}
# client: opens a call and records three answers; prints the call id and
# the four statuses on one line.
client() {
	local id s1 s2 s3 s4 out
	out=$(req POST "$BASE/api/v1/calls" '{"channel":"voice"}')
	s1=${out##*$'\n'}
	id=$(printf '%s' "${out%$'\n'*}" | jq -r '.id // "none"')
	out=$(req PUT "$BASE/api/v1/calls/$id/answers/free_to_leave" '{"value":"no"}')
	s2=${out##*$'\n'}
	out=$(req PUT "$BASE/api/v1/calls/$id/answers/caller_is_victim" '{"value":"yes"}')
	s3=${out##*$'\n'}
	out=$(req PUT "$BASE/api/v1/calls/$id/answers/happening_now" '{"value":"yes"}')
	s4=${out##*$'\n'}
	echo "$id $s1 $s2 $s3 $s4"
}
export -f client req
export BASE CT T
seq 1 "$CLIENTS" | xargs -P "$CLIENTS" -I{} bash -c client >"$T/clients" 2>"$T/clients.err"
is "$(wc -l <"$T/clients")" "$CLIENTS" "$CLIENTS clients finished"
is "$(awk '$2 != 201 || $3 != 200 || $4 != 200 || $5 != 200' "$T/clients" | wc -l)" 0 \
	"every open was 201 and every answer 200"
is "$(cut -d' ' -f1 "$T/clients" | sort -u | wc -l)" "$CLIENTS" "$CLIENTS different call ids"
echo "# requests retried after 503 (busy): $(wc -l <"$T/retries" 2>/dev/null || echo 0)"
want=$(seq 1 "$CLIENTS" | while read -r k; do printf 'HT-%s-%06d\n' "$YEAR" "$k"; done | sort)
is "$(cut -d' ' -f1 "$T/clients" | sort)" "$want" "call ids without gaps"

# Every call: its own events exactly, in order, none twice: the opening
# and the three answers in the order sent, each decision after the change
# that caused it. (A decision that could not be stored with the opening,
# the database being busy, is made with the next change: the service
# defers it, so it is counted, not failed.)
bad=0
total=0
deferred=0
want_changes="call_opened,answer_recorded:free_to_leave,answer_recorded:caller_is_victim,answer_recorded:happening_now"
while read -r id _; do
	http GET "/api/v1/calls/$id/events" "" -H "Authorization: Bearer $CT"
	# The client's own changes: not the decisions, nor what the system
	# did after them (notices, related records).
	changes=$(printf '%s' "$RESP" | jq -r '[.events[] | select(.type != "decision_made" and (.actor | startswith("system:") | not)) |
		if .type == "answer_recorded" then "answer_recorded:" + .question else .type end] | join(",")')
	types=$(printf '%s' "$RESP" | jq -r '[.events[].type] | join(",")')
	seqs=$(printf '%s' "$RESP" | jq -r '[.events[].seq] | join(",")')
	count=$(printf '%s' "$RESP" | jq -r '.events | length')
	total=$((total + count))
	case "$types" in call_opened,decision_made,*) ;; *) deferred=$((deferred + 1)) ;; esac
	if [ "$changes" != "$want_changes" ] || [ "$seqs" != "$(seq -s, 1 "$count")" ] ||
		[ "$(printf '%s' "$RESP" | jq -r '[.events[] | select(.type == "decision_made")] | length')" -lt 2 ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# $id: $types / $seqs"
	fi
done <"$T/clients"
is "$bad" 0 "every call has its four changes in order, decisions, seq 1..n"
is "$deferred" 0 "every call is decided in the transaction that opens it"
first_types=$types
http GET "/api/v1/calls?limit=1000" "" -H "Authorization: Bearer $CT"
json_is '[.calls[] | select(.answers == null)] | length' "$CLIENTS" "listed"
http GET "/api/v1/calls/HT-$YEAR-000007" "" -H "Authorization: Bearer $CT"
json_is '.answers | keys | join(",")' "caller_is_victim,free_to_leave,happening_now" "the answers are in the projection"
json_is .category victim_call "and decided on"

# The live stream saw each event once, in order.
for i in $(seq 1 600); do
	[ "$(grep -c '^id: ' "$T/sse")" -ge "$total" ] && break
	sleep 0.2
done
sleep 1
ids=$(grep '^id: ' "$T/sse" | cut -d' ' -f2)
is "$(printf '%s\n' "$ids" | wc -l)" "$total" "the stream carried every event ($total)"
is "$(printf '%s\n' "$ids" | sort -n | uniq | tr '\n' ' ')" "$(printf '%s\n' "$ids" | tr '\n' ' ')" \
	"in order, none twice"
first=$(printf '%s\n' "$ids" | head -n 1)
last=$(printf '%s\n' "$ids" | tail -n 1)
is "$((last - first + 1))" "$total" "no id skipped"

# The bad clients are still there; the server still serves.
http GET /healthz "" --max-time 10; status_is 200 "still serving"
for fd in "${LORIS[@]}"; do exec {fd}>&-; done
exec {silent}>&-
kill "$SSE" 2>/dev/null

serve_stop TERM
is "$SERVER_RC" 0 "SIGTERM: exit 0"
cp "$T/serve.err" /tmp/htt/load-serve.err 2>/dev/null
run db check; rc_is 0 "db check after the load"
has "$OUT" "$CLIENTS calls" "db check verified every call"
done_testing
