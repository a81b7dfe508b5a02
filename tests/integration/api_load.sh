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
# client N: opens a call and records three answers; prints the call id and
# the four statuses on one line.
client() {
	local auth="Authorization: Bearer $CT" ct='Content-Type: application/json'
	local id s1 s2 s3 s4
	id=$(curl -s --max-time 900 -X POST -H "$auth" -H "$ct" -d '{"channel":"voice"}' \
		-w '\n%{http_code}' "$BASE/api/v1/calls")
	s1=${id##*$'\n'}
	id=$(printf '%s' "${id%$'\n'*}" | jq -r '.id // "none"')
	s2=$(curl -s --max-time 900 -o /dev/null -w '%{http_code}' -X PUT -H "$auth" -H "$ct" \
		-d '{"value":"no"}' "$BASE/api/v1/calls/$id/answers/free_to_leave")
	s3=$(curl -s --max-time 900 -o /dev/null -w '%{http_code}' -X PUT -H "$auth" -H "$ct" \
		-d '{"value":"yes"}' "$BASE/api/v1/calls/$id/answers/caller_is_victim")
	s4=$(curl -s --max-time 900 -o /dev/null -w '%{http_code}' -X PUT -H "$auth" -H "$ct" \
		-d '{"value":"yes"}' "$BASE/api/v1/calls/$id/answers/happening_now")
	echo "$id $s1 $s2 $s3 $s4"
}
export -f client
export BASE CT
seq 1 "$CLIENTS" | xargs -P "$CLIENTS" -I{} bash -c client >"$T/clients" 2>"$T/clients.err"
is "$(wc -l <"$T/clients")" "$CLIENTS" "$CLIENTS clients finished"
is "$(awk '$2 != 201 || $3 != 200 || $4 != 200 || $5 != 200' "$T/clients" | wc -l)" 0 \
	"every open was 201 and every answer 200"
is "$(cut -d' ' -f1 "$T/clients" | sort -u | wc -l)" "$CLIENTS" "$CLIENTS different call ids"
want=$(seq 1 "$CLIENTS" | while read -r k; do printf 'HT-%s-%06d\n' "$YEAR" "$k"; done | sort)
is "$(cut -d' ' -f1 "$T/clients" | sort)" "$want" "call ids without gaps"

# Every call: its own events exactly, in order, none twice.
bad=0
total=0
first_types=""
while read -r id _; do
	http GET "/api/v1/calls/$id/events" "" -H "Authorization: Bearer $CT"
	types=$(printf '%s' "$RESP" | jq -r '[.events[].type] | join(",")')
	seqs=$(printf '%s' "$RESP" | jq -r '[.events[].seq] | join(",")')
	count=$(printf '%s' "$RESP" | jq -r '.events | length')
	total=$((total + count))
	[ -z "$first_types" ] && first_types=$types
	if [ "$types" != "$first_types" ] || [ "$seqs" != "$(seq -s, 1 "$count")" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && echo "# $id: $types / $seqs"
	fi
done <"$T/clients"
is "$bad" 0 "every call has the same events, seq 1..n"
is "$(printf '%s' "$first_types" | tr ',' '\n' | grep -c '^answer_recorded$')" 3 "three answers each"
is "$(printf '%s' "$first_types" | tr ',' '\n' | grep -c '^call_opened$')" 1 "one opening each"
has "$first_types" "decision_made" "decisions recorded"
http GET "/api/v1/calls?limit=1000" "" -H "Authorization: Bearer $CT"
json_is '[.calls[] | select(.answers == null)] | length' "$CLIENTS" "listed"
http GET "/api/v1/calls/HT-$YEAR-000007" "" -H "Authorization: Bearer $CT"
json_is '.answers | keys | join(",")' "caller_is_victim,free_to_leave,happening_now" "the answers are in the projection"
json_is .category victim_call "and decided on"

# The live stream saw each event once, in order.
wait_for "$T/sse" "\"seq\":$(printf '%s' "$first_types" | tr ',' '\n' | wc -l)," 120
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
run db check; rc_is 0 "db check after the load"
has "$OUT" "$CLIENTS calls" "db check verified every call"
done_testing
