#!/usr/bin/env bash
# outbox.sh - the notification outbox end to end (issue 6 items 4-6),
# against real receivers on loopback started here (tests/support/
# http_sink.py): a victim call over the API ends with a unit dispatched,
# the supervisor and the trafficking point of contact notified at their
# webhooks (signed), the radio alert's CAP valid against the OASIS schema,
# and the checklist showing each action done with who and when; a
# receiver down then up (everything arrives, repeats carry the same key);
# a receiver answering 500 and one hanging up (retried, then failed
# loudly: the event, the log, the board, the supervisor); kill -9 of the
# server with deliveries pending, restart, everything arrives with the
# same keys. A notice withdrawn: a call screened "other" (the hotline
# referral queued, its receiver down) then a credible tip: the referral
# and its task are cancelled, never delivered once the receiver is back,
# and the task cannot be confirmed. SIGHUP with a changed webhook URL: the
# next notice goes to the new receiver; a reload that fails keeps the
# old. Waits poll; nothing sleeps and hopes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

PY=/usr/bin/python3
SUPPORT="$HTD_SOURCE_ROOT/tests/support"
CAP_XSD="${HTD_SHARED_DATA:-$HTD_SOURCE_ROOT/../shared/data}/interop/cap/schema/cap12.xsd"
SINK_PIDS=()
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
cleanup_hook() {
	for p in "${SINK_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
}

# sink_start NAME [ARGS...]: an HTTP sink logging to $T/NAME.log; sets
# the port in PORT_<NAME>.
sink_start() {
	local name=$1 i port=""
	shift
	touch "$T/$name.log"
	"$PY" "$SUPPORT/http_sink.py" --log "$T/$name.log" --secret-file "$T/hook.key" "$@" \
		>"$T/$name.port" 2>"$T/$name.err" &
	SINK_PIDS+=("$!")
	eval "PID_$name=$!"
	for i in $(seq 1 200); do
		port=$(head -n1 "$T/$name.port" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	eval "PORT_$name=$port"
	[ -n "$port" ] || fail "sink $name starts" "$(cat "$T/$name.err")"
}
control() { # control NAME JSON: changes how a sink answers
	local port
	eval "port=\$PORT_$1"
	curl -s -o /dev/null -X POST --data-binary "$2" "http://127.0.0.1:$port/_control"
}
# posts NAME KEY: how many requests with that Idempotency-Key reached NAME.
posts() { jq -r --arg k "$2" 'select(.headers["Idempotency-Key"] == $k) | .answer' "$T/$1.log" | grep -c .; }
# delivered NAME KEY: how many of them were answered 200.
delivered() { jq -r --arg k "$2" 'select(.headers["Idempotency-Key"] == $k and .answer == 200) | .answer' "$T/$1.log" | grep -c .; }
# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
	local s=$1 i
	shift
	for i in $(seq 1 $((s * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# at_least N COMMAND...: COMMAND's output, a number, is N or more. For
# wait_until, which must run the count again at each poll (a "$(...)" in
# its arguments would be counted once, before the wait).
at_least() {
	local n=$1 v
	shift
	v=$("$@")
	[ "${v:-0}" -ge "$n" ] 2>/dev/null
}
row_state() { # row_state KEY: the outbox state of a key (as the supervisor)
	local t=$TOKEN
	TOKEN=$SUP_TOKEN
	http GET "/api/v1/outbox?call=${1%%-[a-z]*}&limit=1000"
	TOKEN=$t
	printf '%s' "$RESP" | jq -r --arg k "$1" '.notifications[] | select(.key == $k) | .state'
}
state_is_now() { [ "$(row_state "$1")" = "$2" ]; }

# A webhook key (the sinks check the signature with it), mode 0600.
head -c 32 /dev/urandom | base64 >"$T/hook.key"
chmod 600 "$T/hook.key"
sink_start sup
sink_start poc
sink_start hot

# The shipped policy with test targets and short retries: the supervisor
# and the POC by webhook, the radio and the rest to spool directories
# that do not exist yet (serve makes them, mode 0700).
write_policy() {
	"$PY" - "$HTD_SOURCE_ROOT/etc/policy.yaml" "$T/policy.yaml" "$1" "$2" "$3" <<'EOF'
import sys
src, dst, sup, poc, hot = sys.argv[1:6]
text = open(src).read()
head, rest = text.split("\nnotifications:\n", 1)
tail = rest[rest.index("\npriorities:"):]
notices = rest[rest.index("  notices:\n"):rest.index("\npriorities:")]
section = f"""
notifications:
  retry: {{attempts: 8, first_delay_s: 1, max_delay_s: 1}}
  targets:
    - id: supervisor_console
      transport: webhook
      url: "http://127.0.0.1:{sup}/hook"
      allow_http: true
      secret: "file:HOOKKEY"
    - id: ht_poc
      transport: webhook
      url: "http://127.0.0.1:{poc}/hook"
      allow_http: true
      secret: "file:HOOKKEY"
    - id: tip_line
      transport: spool
      dir: spool/tip_line
    - id: referrals
      transport: webhook
      url: "http://127.0.0.1:{hot}/hook"
      allow_http: true
      secret: "file:HOOKKEY"
    - id: radio_console
      transport: spool
      dir: spool/radio
{notices}"""
open(dst, "w").write(head + section + tail)
EOF
	sed -i "s|HOOKKEY|$T/hook.key|" "$T/policy.yaml"
}
write_policy "$PORT_sup" "$PORT_poc" "$PORT_hot"
export HTDISPATCH_POLICY="$T/policy.yaml"
run check "$T/policy.yaml"; rc_is 0 "the test policy passes check" || echo "$ERR" | sed 's/^/# /'

run init; rc_is 0 "init"
user_add calltaker calltaker
user_add dispatcher dispatcher
user_add supervisor supervisor
serve_start || { done_testing; exit 1; }
ok_dir() { [ -d "$1" ] && [ "$(stat -c %a "$1")" = 700 ]; }
if ok_dir spool/radio && ok_dir spool/tip_line; then
	pass "serve made the missing spool directories, mode 0700"
else
	fail "serve made the missing spool directories, mode 0700" "$(ls -la spool 2>&1)"
fi
login supervisor; SUP_TOKEN=$TOKEN
login dispatcher; DI_TOKEN=$TOKEN
login calltaker; CT_TOKEN=$TOKEN

# ---- a victim call, over the API ------------------------------------------
http POST /api/v1/calls '{"location":"1200 E 6th St","callback":"512-555-0142","caller_name":"Maria Lopez"}'
status_is 201 "open a call"
ID=$(printf '%s' "$RESP" | jq -r .id)
http PUT "/api/v1/calls/$ID/answers/caller_is_victim" '{"value":"yes"}'; status_is 200 "caller is the victim"
http PUT "/api/v1/calls/$ID/answers/free_to_leave" '{"value":"no"}'; status_is 200 "not free to leave"
json_is .category victim_call "a victim call"
TOKEN=$DI_TOKEN
http POST /api/v1/units '{"call_sign":"2A31"}'; status_is 201 "a unit"
http POST "/api/v1/calls/$ID/dispatch" '{"units":["2A31"]}'; status_is 200 "dispatch"

SUP_KEY="$ID-supervisor_notice-supervisor_console"
POC_KEY="$ID-poc_notice-ht_poc"
RADIO_KEY="$ID-radio_alert-radio_console"
wait_until 60 at_least 1 delivered sup "$SUP_KEY"; is "$(delivered sup "$SUP_KEY")" 1 "the supervisor's notice arrived once"
wait_until 60 at_least 1 delivered poc "$POC_KEY"; is "$(delivered poc "$POC_KEY")" 1 "the POC's notice arrived once"
wait_until 60 test -f "spool/radio/$RADIO_KEY.json"
if [ -f "spool/radio/$RADIO_KEY.json" ]; then pass "the radio alert is in the spool"; else fail "the radio alert is in the spool" "$(ls spool/radio)"; fi
is "$(jq -r --arg k "$SUP_KEY" 'select(.headers["Idempotency-Key"] == $k) | .signature_valid' "$T/sup.log" | head -n1)" true "the webhook is signed with the target's key"
SUP_BODY=$(jq -r --arg k "$SUP_KEY" 'select(.headers["Idempotency-Key"] == $k) | .body' "$T/sup.log" | head -n1)
is "$(printf '%s' "$SUP_BODY" | jq -r .call_id)" "$ID" "the supervisor's notice names the call"
has "$(printf '%s' "$SUP_BODY" | jq -r .text)" "1200 E 6th St" "and its location"
for who in sup poc; do
	lacks "$(cat "$T/$who.log")" "Maria" "no caller name at $who"
	lacks "$(cat "$T/$who.log")" "Lopez" "no caller surname at $who"
	lacks "$(cat "$T/$who.log")" "555-0142" "no callback number at $who"
done
jq -r .cap "spool/radio/$RADIO_KEY.json" >"$T/alert.xml"
lacks "$(cat "spool/radio/$RADIO_KEY.json")" "Maria" "no caller name on the radio"
lacks "$(cat "spool/radio/$RADIO_KEY.json")" "555-0142" "no callback number on the radio"
if [ -f "$CAP_XSD" ] && command -v xmllint >/dev/null; then
	if xmllint --nonet --noout --schema "$CAP_XSD" "$T/alert.xml" 2>"$T/xmllint.err"; then
		pass "the CAP alert is valid against the OASIS CAP 1.2 schema"
	else
		fail "the CAP alert is valid against the OASIS CAP 1.2 schema" "$(cat "$T/xmllint.err")"
	fi
else
	fail "xmllint and the CAP schema are here" "$CAP_XSD"
fi
has "$(jq -r .script "spool/radio/$RADIO_KEY.json")" "1200 E 6th St" "the radio script says where"

# The checklist: every action of the decision done, with who and when.
TOKEN=$CT_TOKEN
action_by() { printf '%s' "$RESP" | jq -r --arg a "$1" '.actions[] | select(.id == $a) | "\(.state) \(.by // .mark_by) \(.at // .mark_at | type)"'; }
all_done() {
	http GET "/api/v1/calls/$ID"
	[ "$(printf '%s' "$RESP" | jq -r '[.actions[] | select(.id == "notify_supervisor" or .id == "notify_ht_poc" or .id == "radio_alert") | .state] | join(",")')" = "done,done,done" ]
}
wait_until 30 all_done
http GET "/api/v1/calls/$ID"
printf '%s' "$RESP" | jq -c '.actions' >"$T/actions.json"
for a in notify_supervisor notify_ht_poc radio_alert; do
	is "$(jq -r --arg a "$a" '.[] | select(.id == $a) | .state' "$T/actions.json")" done "$a is done"
	has "$(jq -c --arg a "$a" '.[] | select(.id == $a)' "$T/actions.json")" "system:notify" "$a done by system:notify"
done
has "$(jq -c '.[] | select(.id == "dispatch_officer")' "$T/actions.json")" "user:dispatcher" "dispatch_officer done by the dispatcher"
http GET "/api/v1/calls/$ID/events"
EV=$RESP
is "$(printf '%s' "$EV" | jq '[.events[] | select(.type == "notice_queued")] | length')" 3 "three notices queued on the call"
is "$(printf '%s' "$EV" | jq '[.events[] | select(.type == "notice_delivered")] | length')" 3 "three deliveries on the call"
run db check; rc_is 0 "every call's events replay to its state (db check)"

# ---- a credible tip: the hand-off packet, and the call-taker's task ---------
TOKEN=$CT_TOKEN
http POST /api/v1/calls '{"location":"Lot behind 4400 Elm","callback":"512-555-0199","caller_name":"Ana Ruiz"}'
TIP=$(printf '%s' "$RESP" | jq -r .id)
for qa in caller_is_victim=no first_hand=yes specific_location=yes in_danger_now=no callback_safe=yes free_to_leave=no; do
	http PUT "/api/v1/calls/$TIP/answers/${qa%%=*}" "{\"value\":\"${qa#*=}\"}"
done
json_is .category credible_tip "a credible tip"
PACKET="spool/tip_line/$TIP-tip_handoff-tip_line.json"
TASK="$TIP-tip_handoff-call_taker"
wait_until 60 test -f "$PACKET"
if [ -f "$PACKET" ]; then pass "the hand-off packet is in the tip line's spool"; else fail "the hand-off packet is in the tip line's spool" "$(ls spool/tip_line)"; fi
has "$(jq -r .text "$PACKET")" "512-555-0199" "the caller agreed: the packet has the callback"
lacks "$(cat "$PACKET")" "Ruiz" "never the caller's name"
wait_until 30 state_is_now "$TIP-tip_handoff-tip_line" delivered
is "$(row_state "$TASK")" task_open "the call-taker's task is open (never sent)"
http GET "/api/v1/calls/$TIP"
is "$(printf '%s' "$RESP" | jq -r '.actions[] | select(.id == "transfer_crime_stoppers") | .state')" required "the packet delivered is not the transfer made"
TOKEN=$SUP_TOKEN
http GET "/api/v1/outbox?state=task_open"
has "$RESP" "$TASK" "open tasks are on the board"
TOKEN=$CT_TOKEN
http GET "/api/v1/calls/$TIP"
is "$(printf '%s' "$RESP" | jq -r --arg k "$TASK" '.tasks[] | select(.key == $k) | .state')" task_open "the call-taker sees the open task with the call"
http POST "/api/v1/calls/$TIP/tasks/$TASK/confirm" '{"note":"Crime Stoppers took it, tip 4411"}'
status_is 200 "the call-taker confirms the warm transfer"
is "$(printf '%s' "$RESP" | jq -r '.actions[] | select(.id == "transfer_crime_stoppers") | .state')" done "the transfer is done"
has "$(printf '%s' "$RESP" | jq -c '.actions[] | select(.id == "transfer_crime_stoppers")')" "user:calltaker" "done by the call-taker"
http POST "/api/v1/calls/$TIP/tasks/$TASK/confirm" '{}'
status_is 409 "a task is confirmed once"
http POST "/api/v1/calls/$TIP/tasks/$TIP-nothing-call_taker/confirm" '{}'
status_is 404 "no such task"
run calls task confirm "$TIP" "$TASK"
rc_is 1 "the CLI refuses a second confirmation too" || echo "# $ERR"
is "$(row_state "$TASK")" task_confirmed "the task row is confirmed"
TOKEN=$CT_TOKEN
http GET "/api/v1/calls/$TIP"
is "$(printf '%s' "$RESP" | jq -r --arg k "$TASK" '.tasks[] | select(.key == $k) | .state')" task_confirmed "and the call shows it confirmed"

# ---- the board --------------------------------------------------------------
TOKEN=$CT_TOKEN
http GET "/api/v1/outbox"; status_is 403 "a call-taker does not see the board"
TOKEN=$SUP_TOKEN
http GET "/api/v1/outbox?state=failed"; status_is 200 "the supervisor's board"
json_is '.notifications | length' 0 "nothing failed yet"
http GET "/api/v1/outbox?state=lost"; status_is 422 "an unknown state is refused"
http GET /metrics
has "$RESP" "htd_notify_delivered_total" "delivered count in /metrics"
has "$RESP" "htd_notify_pending 0" "nothing pending"

# ---- a receiver down, then up -----------------------------------------------
kill "$PID_poc"; wait "$PID_poc" 2>/dev/null
TOKEN=$CT_TOKEN
new_victim_call() {
	http POST /api/v1/calls '{"location":"77 Pine St"}'
	ID2=$(printf '%s' "$RESP" | jq -r .id)
	http PUT "/api/v1/calls/$ID2/answers/caller_is_victim" '{"value":"yes"}'
	http PUT "/api/v1/calls/$ID2/answers/free_to_leave" '{"value":"no"}'
}
new_victim_call
KEY2="$ID2-poc_notice-ht_poc"
if wait_for "$T/serve.err" "event=notice_retry.*key=$KEY2" 60; then
	pass "the POC's notice is retried while its receiver is down"
else
	fail "the POC's notice is retried while its receiver is down" "$(grep notice_ "$T/serve.err" | tail -n 5)"
fi
sink_start poc --port "$PORT_poc"
wait_until 60 at_least 1 delivered poc "$KEY2"
is "$(delivered poc "$KEY2")" 1 "it arrives once the receiver is back"
is "$(jq -r --arg k "$KEY2" 'select(.headers["Idempotency-Key"] == $k) | .headers["Idempotency-Key"]' "$T/poc.log" | sort -u | wc -l)" 1 "every attempt carried the same key"

# ---- a receiver that stalls delays only its own notices ---------------------
control poc '{"delay_ms":20000}'
TOKEN=$CT_TOKEN
new_victim_call
KEYS="$ID2-supervisor_notice-supervisor_console"
KEYP="$ID2-poc_notice-ht_poc"
wait_until 60 at_least 1 posts poc "$KEYP"
wait_until 60 at_least 1 delivered sup "$KEYS"
is "$(delivered sup "$KEYS")" 1 "the supervisor's notice arrives while the POC's receiver stalls"
is "$(row_state "$KEYP")" pending "the POC's notice is still pending then (one lane per target)"
control poc '{"delay_ms":0}'
wait_until 90 at_least 1 delivered poc "$KEYP"
is "$(delivered poc "$KEYP")" 1 "and it arrives once the receiver answers again"

# ---- a receiver answering 500, and one hanging up ---------------------------
for mode in '{"status":500}' '{"close":true}'; do
	control poc "$mode"
	TOKEN=$CT_TOKEN
	new_victim_call
	KEY3="$ID2-poc_notice-ht_poc"
	wait_until 90 state_is_now "$KEY3" failed
	is "$(row_state "$KEY3")" failed "$mode: the POC's notice failed after its attempts"
	is "$(posts poc "$KEY3")" 8 "$mode: it was attempted 8 times (the policy's attempts)"
	if wait_for "$T/serve.err" "level=error event=notice_failed.*key=$KEY3" 10; then
		pass "$mode: failed loudly in the log (ERROR)"
	else
		fail "$mode: failed loudly in the log (ERROR)" "$(grep "$KEY3" "$T/serve.err" | tail -n 3)"
	fi
	TOKEN=$SUP_TOKEN
	http GET "/api/v1/outbox?state=failed"
	has "$RESP" "$KEY3" "$mode: it is on the board"
	RAISE="$ID2-delivery_failed-"
	wait_until 60 grep -q "$RAISE" "$T/sup.log"
	has "$(cat "$T/sup.log")" "$RAISE" "$mode: raised to the supervisor's webhook"
	http GET "/api/v1/calls/$ID2/events"
	has "$RESP" "notice_failed" "$mode: the failure is an event on the call"
	http GET "/api/v1/calls/$ID2"
	is "$(printf '%s' "$RESP" | jq -r '.actions[] | select(.id == "notify_ht_poc") | .state')" required "$mode: the POC action stays required"
done
control poc '{"status":200, "close":false}'

# ---- kill -9 with deliveries pending, restart -------------------------------
control sup '{"status":503}'
control poc '{"status":503}'
TOKEN=$CT_TOKEN
new_victim_call
KEY4S="$ID2-supervisor_notice-supervisor_console"
KEY4P="$ID2-poc_notice-ht_poc"
wait_for "$T/serve.err" "event=notice_retry.*key=$KEY4P" 60
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
pass "the server was killed with deliveries pending"
control sup '{"status":200}'
control poc '{"status":200}'
serve_start || { done_testing; exit 1; }
login supervisor; SUP_TOKEN=$TOKEN
wait_until 60 at_least 1 delivered poc "$KEY4P"
is "$(delivered poc "$KEY4P")" 1 "after the restart the POC's notice arrives, same key"
wait_until 60 at_least 1 delivered sup "$KEY4S"
is "$(delivered sup "$KEY4S")" 1 "and the supervisor's"

# ---- a notice withdrawn: other, then a credible tip, the hotline down --------
kill "$PID_hot"; wait "$PID_hot" 2>/dev/null
TOKEN=$CT_TOKEN
http POST /api/v1/calls '{"location":"9 Oak St"}'
W=$(printf '%s' "$RESP" | jq -r .id)
http PUT "/api/v1/calls/$W/answers/caller_is_victim" '{"value":"no"}'
http PUT "/api/v1/calls/$W/answers/in_danger_now" '{"value":"no"}'
json_is .category other "screened: other (refer to the hotline)"
REF="$W-hotline_referral-referrals"
WTASK="$W-hotline_referral-call_taker"
if wait_for "$T/serve.err" "event=notice_retry.*key=$REF" 30; then
	pass "the referral is retried while the hotline's receiver is down"
else
	fail "the referral is retried while the hotline's receiver is down" "$(grep "$W" "$T/serve.err" | tail -n 5)"
fi
is "$(row_state "$WTASK")" task_open "the warm transfer task is open"
TOKEN=$CT_TOKEN
for qa in first_hand=yes specific_location=yes free_to_leave=no; do
	http PUT "/api/v1/calls/$W/answers/${qa%%=*}" "{\"value\":\"${qa#*=}\"}"
done
json_is .category credible_tip "then a credible tip"
json_is '.actions[] | select(.id == "refer_nhth") | .state' not_required "the referral is no longer required"
is "$(row_state "$REF")" cancelled "the referral is withdrawn"
is "$(row_state "$WTASK")" cancelled "and its task"
TOKEN=$CT_TOKEN
http GET "/api/v1/calls/$W"
is "$(printf '%s' "$RESP" | jq -r --arg k "$WTASK" '.tasks[] | select(.key == $k) | .state')" cancelled "the call shows the task cancelled, not open"
http GET "/api/v1/calls/$W/events"
is "$(printf '%s' "$RESP" | jq '[.events[] | select(.type == "notice_cancelled")] | length')" 2 "a notice_cancelled event per row on the call"
has "$(printf '%s' "$RESP" | jq -c '[.events[] | select(.type == "notice_cancelled")]')" "refer_nhth no longer required" "with why"
http POST "/api/v1/calls/$W/tasks/$WTASK/confirm" '{}'
status_is 409 "confirming a withdrawn task is refused"
has "$RESP" "withdrawn" "and says why"
run calls task confirm "$W" "$WTASK"
rc_is 1 "the CLI refuses it too" || echo "# $ERR"
has "$ERR" "withdrawn" "with the same words"
TOKEN=$SUP_TOKEN
http GET "/api/v1/outbox?state=cancelled"
has "$RESP" "$REF" "the board lists it as cancelled"
http GET /metrics
has "$RESP" "htd_notify_cancelled_total 2" "two rows withdrawn in /metrics"
# The receiver back: another referral arrives there, the withdrawn one
# never does.
sink_start hot --port "$PORT_hot"
TOKEN=$CT_TOKEN
http POST /api/v1/calls '{"location":"11 Oak St"}'
W2=$(printf '%s' "$RESP" | jq -r .id)
http PUT "/api/v1/calls/$W2/answers/caller_is_victim" '{"value":"no"}'
http PUT "/api/v1/calls/$W2/answers/in_danger_now" '{"value":"no"}'
wait_until 60 at_least 1 delivered hot "$W2-hotline_referral-referrals"
is "$(delivered hot "$W2-hotline_referral-referrals")" 1 "the hotline's receiver is back (another referral arrived)"
is "$(posts hot "$REF")" 0 "the withdrawn referral was never sent to it"
is "$(row_state "$REF")" cancelled "and stays cancelled"

# ---- SIGHUP: the worker follows the reloaded policy -------------------------
sink_start sup2
write_policy "$PORT_sup2" "$PORT_poc" "$PORT_hot"
kill -HUP "$SERVER_PID"
if wait_for "$T/serve.err" "event=worker_reloaded" 90; then
	pass "SIGHUP: the delivery worker reloaded"
else
	fail "SIGHUP: the delivery worker reloaded" "$(tail -n 5 "$T/serve.err")"
fi
TOKEN=$CT_TOKEN
new_victim_call
KEY5="$ID2-supervisor_notice-supervisor_console"
wait_until 60 at_least 1 delivered sup2 "$KEY5"
is "$(delivered sup2 "$KEY5")" 1 "a new notice goes to the new webhook URL"
is "$(posts sup "$KEY5")" 0 "not to the old one"
# A reload whose new lanes cannot open (their secret cannot be read) is
# refused by the worker, which keeps the lanes in force.
write_policy "$PORT_sup" "$PORT_poc" "$PORT_hot"
sed -i "s|$T/hook.key|$T/no-such.key|" "$T/policy.yaml"
kill -HUP "$SERVER_PID"
if wait_for "$T/serve.err" "event=worker_reload_failed" 90; then
	pass "a secret that cannot be read: the worker refuses the reload"
else
	fail "a secret that cannot be read: the worker refuses the reload" "$(tail -n 5 "$T/serve.err")"
fi
new_victim_call
KEY7="$ID2-supervisor_notice-supervisor_console"
wait_until 60 at_least 1 delivered sup2 "$KEY7"
is "$(delivered sup2 "$KEY7")" 1 "and keeps delivering through the lanes in force"
is "$(posts sup "$KEY7")" 0 "not to the URL of the refused policy"
# A reload that fails keeps the old policy, in the worker too.
printf 'notifications: [broken\n' >"$T/policy.yaml"
kill -HUP "$SERVER_PID"
wait_for "$T/serve.err" "event=reload_failed" 90
has "$(cat "$T/serve.err")" "event=reload_failed" "a broken policy is refused on reload"
new_victim_call
KEY6="$ID2-supervisor_notice-supervisor_console"
wait_until 60 at_least 1 delivered sup2 "$KEY6"
is "$(delivered sup2 "$KEY6")" 1 "the worker keeps the policy in force"
serve_stop
is "$SERVER_RC" 0 "serve stops cleanly on SIGTERM, worker included"
done_testing
