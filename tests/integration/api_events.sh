#!/usr/bin/env bash
# api_events.sh - what `htdispatch serve` does over time: live events
# (server-sent events) as changes happen, and resumed with Last-Event-ID;
# SIGHUP reloads (a broken policy keeps the running one, and the log says
# where it is broken; a fixed one is picked up); refusing to start on bad
# files, a missing database or a bad address; HTTPS; SIGTERM and SIGINT
# with streams open: clean ends, exit 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

run init; rc_is 0 "init"
user_add calltaker calltaker
user_add dispatcher dispatcher
user_add admin admin
cp "$HTDISPATCH_POLICY" "$T/policy.yaml"

# ---- refusing to start ---------------------------------------------------------
printf 'bogus: [\n' >>"$T/broken.yaml"
cat "$HTDISPATCH_POLICY" "$T/broken.yaml" >"$T/policy-broken.yaml"
run serve --listen 127.0.0.1:0 --policy "$T/policy-broken.yaml"
rc_is 1 "serve refuses a policy that does not load"
has "$ERR" "policy-broken.yaml:" "names the file"
has "$ERR" "htdispatch check" "points to check"
lacks "$OUT" "listening" "and never listens"
run --db "$T/none.db" serve --listen 127.0.0.1:0
rc_is 1 "serve without a database"; has "$ERR" "htdispatch init" "says to run init"
run serve --listen nowhere
rc_is 2 "a bad --listen"; has "$ERR" "HOST:PORT" "says what --listen takes"
run serve --listen 127.0.0.1:0 --tls-cert "$T/policy.yaml"
rc_is 2 "--tls-cert without --tls-key"
run serve --threads 0; rc_is 2 "--threads 0"
run serve --body-limit 10; rc_is 2 "--body-limit too small"

serve_start --policy "$T/policy.yaml" || { done_testing; exit 1; }
PORT=${BASE##*:}
run serve --listen "127.0.0.1:$PORT"
rc_is 1 "a port in use"; has "$ERR" "cannot listen" "says it cannot listen"

# ---- live events -------------------------------------------------------------------
login calltaker; CT=$TOKEN
# stream FILE [CURL-ARGS...]: reads /api/v1/events into FILE in the background.
stream() {
	local file=$1
	shift
	curl -s -N -H "Authorization: Bearer $CT" "$@" "$BASE/api/v1/events" >"$file" &
	BG_PIDS+=($!)
	STREAM_PID=$!
	wait_for "$file" ": connected" 60
}
stream "$T/sse1"; ok1=$?
is "$ok1" 0 "a stream opens"
stream "$T/sse2"
http POST /api/v1/calls '{"location":"Main St"}'; status_is 201 "open a call while streaming"
C1=$(printf '%s' "$RESP" | jq -r .id)
wait_for "$T/sse1" "event: decision_made" 60
has "$(cat "$T/sse1")" "event: call_opened" "the stream has the call opened"
has "$(cat "$T/sse1")" "\"call\":\"$C1\"" "naming the call"
has "$(cat "$T/sse1")" "event: decision_made" "and the decision made"
lacks "$(cat "$T/sse1")" "Main St" "events carry no call data"
http PUT "/api/v1/calls/$C1/answers/free_to_leave" '{"value":"no"}'
wait_for "$T/sse1" "event: answer_recorded" 60; ok1=$?
is "$ok1" 0 "an answer appears on the stream"
wait_for "$T/sse2" "event: answer_recorded" 60; ok1=$?
is "$ok1" 0 "on every stream"
kill "$STREAM_PID" 2>/dev/null
LAST=$(grep '^id: ' "$T/sse1" | tail -n 1 | cut -d' ' -f2)
IDS=$(grep '^id: ' "$T/sse1" | cut -d' ' -f2 | tr '\n' ' ')
is "$(grep '^id: ' "$T/sse1" | cut -d' ' -f2 | sort -n | uniq | tr '\n' ' ')" "$IDS" "ids in order, none twice"

# Changes while a client is away, then it resumes where it stopped.
http POST "/api/v1/calls/$C1/notes" '{"text":"boss keeps my passport"}'; status_is 200 "a note while away"
http POST /api/v1/calls '{}'; C2=$(printf '%s' "$RESP" | jq -r .id)
stream "$T/sse3" -H "Last-Event-ID: $LAST"
wait_for "$T/sse3" "\"call\":\"$C2\",\"seq\":2" 60
FIRST=$(grep '^id: ' "$T/sse3" | head -n 1 | cut -d' ' -f2)
is "$FIRST" "$((LAST + 1))" "Last-Event-ID resumes with the next event"
has "$(cat "$T/sse3")" "event: note_added" "the note made while away"
has "$(cat "$T/sse3")" "event: indicators_found" "and its indicators"
is "$(grep -c 'event: call_opened' "$T/sse3")" 1 "only later events (one call opened since)"
kill "$STREAM_PID" 2>/dev/null
stream "$T/sse4" --get --data-urlencode "after=$LAST"
wait_for "$T/sse4" "\"call\":\"$C2\",\"seq\":2" 60
is "$(grep '^id: ' "$T/sse4" | head -n 1 | cut -d' ' -f2)" "$((LAST + 1))" "?after= resumes the same way"
kill "$STREAM_PID" 2>/dev/null
TOKEN=$CT
http GET /api/v1/events "" -H "Last-Event-ID: yesterday"
error_is 422 invalid Last-Event-ID "a Last-Event-ID that is not an id"
http GET "/api/v1/events?after=-1"; error_is 422 invalid after "a negative ?after="
login admin
http GET /api/v1/events "" --max-time 5; error_is 403 forbidden null "an admin does not read calls"
TOKEN=""
http GET /api/v1/events "" --max-time 5; error_is 401 unauthorized null "no session, no stream"

# ---- a stream ends with its session -----------------------------------------------
# Logout: the stream gets a last event and ends.
login calltaker; CT2=$TOKEN
curl -s -N -H "Authorization: Bearer $CT2" "$BASE/api/v1/events" >"$T/sse-out" &
S6=$!
BG_PIDS+=($S6)
wait_for "$T/sse-out" ": connected" 60
http DELETE /api/v1/sessions/current; status_is 204 "log out with a stream open"
wait_for "$T/sse-out" "event: session_ended" 30; ok1=$?
is "$ok1" 0 "the stream is told the session ended"
wait "$S6"; is "$?" 0 "and ends cleanly"
# A lock by the administrator ends the locked user's stream too.
user_add streamer calltaker
login streamer; CT3=$TOKEN
curl -s -N -H "Authorization: Bearer $CT3" "$BASE/api/v1/events" >"$T/sse-lock" &
S7=$!
BG_PIDS+=($S7)
wait_for "$T/sse-lock" ": connected" 60
run user lock streamer; rc_is 0 "user lock with a stream open"
wait_for "$T/sse-lock" "event: session_ended" 30; ok1=$?
is "$ok1" 0 "a locked user's stream ends"
wait "$S7"; is "$?" 0 "cleanly"
http GET /api/v1/sessions/current; error_is 401 unauthorized null "and the session is gone"

# ---- SIGHUP: reload protocol, policy and lexicons ------------------------------------
TOKEN=$CT
http GET /api/v1/policy; json_is .version 2026.11 "the policy at start"
cat "$T/broken.yaml" >>"$T/policy.yaml"
kill -HUP "$SERVER_PID"
wait_for "$T/serve.err" "event=reload_failed" 120; ok1=$?
is "$ok1" 0 "a broken policy: the reload fails"
has "$(cat "$T/serve.err")" "event=reload_error file=$T/policy.yaml line=" "the log says where (file, line, column)"
http GET /readyz; status_is 200 "still ready"
http GET /api/v1/policy; json_is .version 2026.11 "the running policy is kept"
for i in 1 2 3 4; do
	http POST /api/v1/calls '{}'
	json_is .decided_with "nena-ht 1.0.0; default 2026.11" "decisions with the old policy ($i)"
done
sed 's/version: "2026.11"/version: "2026.12"/' "$HTDISPATCH_POLICY" >"$T/policy.yaml"
grep -q '2026.12' "$T/policy.yaml" && pass "a fixed policy, version 2026.12" || fail "the policy's version line changed"
kill -HUP "$SERVER_PID"
wait_for "$T/serve.err" "event=reloaded" 120; ok1=$?
is "$ok1" 0 "the fixed policy is loaded"
has "$(cat "$T/serve.err")" 'policy="default 2026.12"' "the log names the new version"
http GET /api/v1/policy; json_is .version 2026.12 "the API shows it"
for i in 1 2 3 4; do
	http POST /api/v1/calls '{}'
	json_is .decided_with "nena-ht 1.0.0; default 2026.12" "decisions with the new policy ($i)"
done

# ---- SIGTERM with streams open ---------------------------------------------------------
curl -s -N -H "Authorization: Bearer $CT" "$BASE/api/v1/events" >"$T/sse5" &
S5=$!
wait_for "$T/sse5" ": connected" 60
serve_stop TERM
is "$SERVER_RC" 0 "SIGTERM with a stream open: exit 0"
wait "$S5"; is "$?" 0 "the stream ended cleanly"
has "$(cat "$T/serve.err")" "event=stopped" "the log says it stopped"

# ---- serve --config: options from a file; a shorter idle limit -----------------------------
# A short idle limit; under valgrind every request takes a second or so,
# so the limit must be longer there for "in use" to stay in use.
IDLE=2
[ -n "${HTD_WRAPPER:-}" ] && IDLE=12
cat >"$T/serve.yaml" <<YAML
# options for htdispatch serve
listen: 127.0.0.1:1
body-limit: 2048
session-idle: $IDLE
YAML
serve_start --config "$T/serve.yaml"
case "$BASE" in http://127.0.0.1:1) fail "the command line wins over the file" "$BASE" ;; *) pass "the command line wins over the file ($BASE)" ;; esac
login calltaker
json_is .expires_idle_s "$IDLE" "the login says the idle limit of the file"
http POST /api/v1/calls "{\"location\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}"
error_is 413 too_large null "the file's body limit"
http GET /api/v1/sessions/current; status_is 200 "a session in use"
curl -s -N -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/events" >"$T/sse-idle" &
S8=$!
BG_PIDS+=($S8)
wait_for "$T/sse-idle" ": connected" 60
sleep $((IDLE + 1))
http GET /api/v1/sessions/current
error_is 401 unauthorized null "idle past the limit: the session ended"
wait_for "$T/sse-idle" "event: session_ended" 30; ok1=$?
is "$ok1" 0 "an open stream does not keep an idle session alive"
wait "$S8"; is "$?" 0 "the stream ends cleanly"
serve_stop TERM
is "$SERVER_RC" 0 "stopped"
run audit list --limit 1000
has "$OUT" "idle $IDLE s" "the audit has the idle end"
printf 'listen: 127.0.0.1:0\nthreads: 0\n' >"$T/bad1.yaml"
run serve --config "$T/bad1.yaml"
rc_is 2 "a bad value in the file"
has "$ERR" "--threads takes" "says what is wrong"
has "$ERR" "that value is from $T/bad1.yaml:2" "and where it is"
printf 'listen: 127.0.0.1:0\nthreds: 2\n' >"$T/bad2.yaml"
run serve --config "$T/bad2.yaml"
rc_is 2 "an unknown option in the file"
has "$ERR" "$T/bad2.yaml:2:1: unknown option 'threds'" "named, with file:line:column"
printf 'listen: [a, b]\n' >"$T/bad3.yaml"
run serve --config "$T/bad3.yaml"; rc_is 2 "a list where one value goes"
has "$ERR" "$T/bad3.yaml:1:" "at its line"
printf 'listen: "open\n' >"$T/bad4.yaml"
run serve --config "$T/bad4.yaml"; rc_is 2 "broken YAML"
has "$ERR" "$T/bad4.yaml:1:" "at its line"
printf 'drain: 1\ndrain: 2\n' >"$T/bad5.yaml"
run serve --config "$T/bad5.yaml"; rc_is 2 "an option twice"
has "$ERR" "$T/bad5.yaml:2:1: YAML: duplicate key" "the second one named"
run serve --config "$T/none.yaml"; rc_is 1 "a missing file"
has "$ERR" "$T/none.yaml" "names it"

# ---- HTTPS ---------------------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
	-days 1 -subj /CN=localhost >/dev/null 2>&1; then
	serve_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	case "$BASE" in https://*) pass "serves HTTPS" ;; *) fail "serves HTTPS" "$BASE" ;; esac
	http GET /healthz "" -k; status_is 200 "healthz over HTTPS"
	http POST /api/v1/sessions "{\"username\":\"calltaker\",\"password\":\"$(password_of calltaker)\"}" -k
	status_is 201 "login over HTTPS"
	has "$HDRS" "; Secure" "the cookie is Secure over HTTPS"
	serve_stop INT
	is "$SERVER_RC" 0 "SIGINT: exit 0"
	printf 'not a key\n' >"$T/bad.pem"
	run serve --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/bad.pem"
	rc_is 1 "a key that is not PEM"
else
	pass "# SKIP openssl cannot make a certificate"
fi
run db check; rc_is 0 "db check"
done_testing
