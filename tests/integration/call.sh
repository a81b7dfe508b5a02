#!/usr/bin/env bash
# call.sh - `htdispatch call`, the protocol in a terminal, as a training
# script or a call-taker without a terminal drives it: a victim call, a
# caller who cannot talk freely, the switch to Spanish, indicators in notes,
# overrides and marks with their reasons, bad answers asked again, script
# failures with FILE:LINE, --json steps, taking a call up again, a call
# closed elsewhere during the session, and a broken protocol that refuses to
# start. Questions and their texts come from the shipped protocol
# (data/protocol/nena-ht.yaml), read here so that the tests follow its
# wording.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/call_lib.sh"

# covert_ids: the questions asked when the caller cannot talk freely.
covert_ids() {
	awk '/^  - id: / { id = $3 } /^    covert_ok: true/ { print id }' "$PROTO"
}
# call_id: the id the last `call` printed when it opened the call.
call_id() { sed -n 's/^Call \(HT-[0-9]*-[0-9]*\) opened.*/\1/p' <<<"$OUT"; }
# asked: the ids of the questions the last `call` asked, in order.
asked() { sed -n 's/^Question \([a-z_0-9]*\).*/\1/p' <<<"$OUT"; }
# after TEXT: what the last `call` printed after the first line TEXT.
after() { awk -v l="$1" 'f; $0 == l { f = 1 }' <<<"$OUT"; }
# valid_jsonl: every line of the last stdout is one JSON value.
valid_jsonl() {
	perl -MJSON::PP -ne 'BEGIN { $j = JSON::PP->new } chomp;
		eval { $j->decode($_); 1 } or do { print STDERR "line $.: $@"; exit 1 }' "$T/.out"
}

# The wording the tests look for must be in the protocol file.
for t in "free_to_leave text en" "free_to_leave why en" "caller_is_victim text en" \
	"caller_is_victim covert en" "caller_is_victim covert es" "safe_to_talk text en" \
	"safe_to_talk text es" "safe_to_talk why es"; do
	# shellcheck disable=SC2086
	[ -n "$(yaml_text $t)" ] && pass "the protocol has: $t" || fail "the protocol has: $t"
done

# ---- help and usage errors -------------------------------------------------------
run call --help; rc_is 0 "call --help"
has "$OUT" "usage: htdispatch call" "usage line"
for c in ":note TEXT" ":answer QID VALUE" ":skip" ":lang TAG" ":override CATEGORY REASON" \
	":done ACTION" ":na ACTION REASON" ":show" ":help" ":close DISPOSITION" ":quit" \
	"--script FILE" "--call ID" "--protocol FILE" "Exit status"; do
	has "$OUT" "$c" "help documents $c"
done
run --help; has "$OUT" "call " "the main help lists call"
run call --call HT-2026-000001 --location "4th and Main"; rc_is 2 "--call with a new call's option"
run call --language "english please"; rc_is 2 "a bad --language"; has "$ERR" "language tag" "says what --language takes"
run call something; rc_is 2 "an unexpected argument"
run call --script; rc_is 2 "--script without a file"
run call "${E[@]}" --script nosuch.txt; rc_is 1 "a missing script"; has "$ERR" "nosuch.txt" "names the script"
run call "${E[@]}" --script /dev/null; rc_is 1 "no database yet"; has "$ERR" "htdispatch init" "says to run init"
run init; rc_is 0 "init"

# ---- a victim call ---------------------------------------------------------------
cat >victim.txt <<'EOF'
# The caller is the victim, still held, and cannot leave.
no
yes
yes
no
yes
no
:quit
EOF
run call "${E[@]}" --location "Lakeside Farms, Route 9" --callback 555-0142 --script victim.txt
rc_is 0 "a victim call"
ID=$(call_id)
[ -n "$ID" ] && pass "prints the new call's id ($ID)" || fail "prints the new call's id"
is "$(asked | head -n 6 | tr '\n' ' ')" "in_danger_now safe_to_talk caller_is_victim escaped happening_now free_to_leave " \
	"safety questions first, then the protocol's order"
has "$OUT" "> # The caller is the victim" "script lines are echoed after '> '"
has "$OUT" "$(yaml_text free_to_leave text en)" "the question's text"
has "$OUT" "why: $(yaml_text free_to_leave why en)" "and why it is asked"
has "$OUT" "answer: yes / no / unknown" "and the answers it takes"
has "$(after '> :quit')" "still open" "quit leaves the call open"
has "$OUT" "calls show $ID" "and says how to see it"
has "$OUT" "== Call $ID: victim_call, priority 2 ==" "victim_call once free_to_leave is no"
has "$OUT" "[ ] dispatch_officer" "dispatch_officer required"
has "$OUT" "[ ] notify_ht_poc" "notify_ht_poc required"
lacks "$OUT" "NO CALLBACK" "a caller who can talk is not flagged"
run calls show "$ID" --json; rc_is 0 "calls show"
has "$OUT" '"status":"open"' "the call is still open"
has "$OUT" '"category":"victim_call"' "stored: victim_call"
has "$OUT" '"id":"dispatch_officer","state":"required"' "stored: dispatch_officer required"
has "$OUT" '"free_to_leave":"no"' "stored: the answer"
has "$OUT" '"location":"Lakeside Farms, Route 9"' "stored: the location given"
VICTIM=$ID

# ---- a caller who cannot talk freely -----------------------------------------------
{ echo no; echo no; echo no; for _ in $(seq 30); do echo unknown; done; } >covert.txt
run call "${E[@]}" <covert.txt
rc_is 0 "a covert call, read from a pipe"
has "$OUT" "*** NO CALLBACK - caller cannot talk freely: yes/no questions only ***" "the NO CALLBACK flag"
has "$OUT" "[ ] no_callback" "no_callback required"
has "$OUT" "$(yaml_text caller_is_victim covert en)" "covert wording of the questions"
lacks "$OUT" "$(yaml_text caller_is_victim text en)" "not the open wording"
allowed=" $(covert_ids | tr '\n' ' ')"
bad=""
for q in $(asked); do case "$allowed" in *" $q "*) ;; *) bad="$bad $q" ;; esac; done
is "$bad" "" "only covert_ok questions are asked"
is "$(asked | sort -u | wc -l)" "$(covert_ids | wc -l)" "every covert_ok question is asked"
has "$OUT" "No question left to ask" "until none is left"
has "$ERR" "no question is waiting" "an answer with no question is refused, the session goes on"
printf 'no\nno\n:quit\n' >covert-es.txt
run call "${E[@]}" --language es --script covert-es.txt
rc_is 0 "a covert call in Spanish"
has "$OUT" "NO DEVOLVER LA LLAMADA" "the flag in Spanish"
has "$OUT" "$(yaml_text caller_is_victim covert es)" "the covert wording in Spanish"

# ---- the questions in Spanish, notes, override, not applicable --------------------------
cat >switch.txt <<'EOF'
no
:lang es
yes
:note the boss took my passport
:note it is not true that the boss has my passport
:answer caller_is_victim yes
:override credible_tip the caller says the employer let her go this morning
:na radio_alert training exercise, no units on the air
:quit
EOF
run call "${E[@]}" --script switch.txt
rc_is 0 "a session with :lang, :note, :override and :na"
ID=$(call_id)
has "$(after '> no')" "$(yaml_text safe_to_talk text en)" "before :lang the question is in English"
has "$(after '> :lang es')" "$(yaml_text safe_to_talk text es)" "after :lang es the next question is in Spanish"
lacks "$(after '> :lang es')" "$(yaml_text caller_is_victim text en)" "and stays in Spanish"
has "$(after '> :lang es')" "why: $(yaml_text safe_to_talk why es)" "its why too"
has "$OUT" 'documents_withheld         "boss took my passport"' "the note's indicator and its words"
has "$OUT" "(negated: not counted)" "a negated indicator is shown as not counted"
has "$OUT" "AMP elements: means" "the AMP elements"
has "$OUT" "== Call $ID: credible_tip, priority 3 ==" "the override is in force"
has "$OUT" "the protocol recommends: victim_call" "the recommendation is shown beside it"
has "$OUT" "overridden by cli:" "with who overrode"
has "$OUT" "[-] radio_alert" "radio_alert not applicable"
has "$OUT" "not applicable by cli:" "with who marked it"
run calls show "$ID" --json
has "$OUT" '"answers":{"in_danger_now":"no","safe_to_talk":"yes","caller_is_victim":"yes"}' "the answers are recorded"
has "$OUT" '"reason":"the caller says the employer let her go this morning"' "the override's reason is recorded"
has "$OUT" '"recommended_category":"victim_call"' "beside the recommendation"
has "$OUT" '"id":"radio_alert","state":"not_applicable"' "the mark is recorded"
has "$OUT" '"reason":"training exercise, no units on the air"' "with its reason"
has "$OUT" '"indicator":"documents_withheld"' "the indicator is recorded"
has "$OUT" '"language":"en"' ":lang does not change the call's language"

# ---- bad answers -------------------------------------------------------------------
printf 'maybe\nno\n:answer nosuch yes\n:frobnicate\n:override victim_call\n:quit\n' >bad.txt
run call "${E[@]}" <bad.txt
rc_is 0 "bad input from a pipe: reported, the session goes on"
ID=$(call_id)
has "$ERR" 'in_danger_now takes yes, no or unknown, not "maybe"' "the message names the question"
is "$(asked | head -n 3 | tr '\n' ' ')" "in_danger_now in_danger_now safe_to_talk " "the question is asked again"
has "$ERR" "'nosuch' is not a question of the protocol" "an unknown question"
has "$ERR" "unknown command ':frobnicate'" "an unknown command"
has "$ERR" "an override needs a reason" "an override without a reason"
run calls show "$ID" --json
has "$OUT" '"answers":{"in_danger_now":"no"}' "only the good answer is saved"
lacks "$OUT" '"type":"category_overridden"' "no override without a reason"

printf 'no\nmaybe\nyes\n' >fails.txt
run call "${E[@]}" --script fails.txt
rc_is 1 "a script line that fails ends the session with 1"
ID=$(call_id)
has "$ERR" "fails.txt:2: safe_to_talk takes yes, no or unknown" "FILE:LINE: message"
has "$OUT" "still open" "the call is left open"
run calls show "$ID" --json
has "$OUT" '"answers":{"in_danger_now":"no"}' "what came before the failure is saved, nothing after"

printf ':answer caller_is_victim yes\n:override victim_call\n' >fails2.txt
run call "${E[@]}" --script fails2.txt
rc_is 1 "a command that fails in a script"
has "$ERR" "fails2.txt:2: an override needs a reason" "names the line"

{ printf ':note '; head -c 20000 /dev/zero | tr '\0' a; printf '\n:note short one\n'; } >long.txt
run call "${E[@]}" <long.txt
rc_is 0 "a line that is too long"
has "$ERR" "longer than" "is refused with a message"
has "$OUT" "> :note short one" "and the next line is read"
run calls show "$(call_id)" --json
has "$OUT" '"note_count":1' "only the short note is saved"

# ---- skip, choices by number, the caller's language, EOF ------------------------------
printf 'no\n:skip\n:answer industry 2\n:answer language es\n:lang xx-\n:lang vi\n' >skip.txt
run call "${E[@]}" <skip.txt
rc_is 0 "skip and out-of-order answers"
ID=$(call_id)
is "$(asked | head -n 3 | tr '\n' ' ')" "in_danger_now safe_to_talk caller_is_victim " ":skip moves on to the next question"
has "$OUT" "type ':lang es'" "the caller's language suggests :lang"
has "$ERR" ":lang takes a language tag" "a bad tag for :lang"
has "$OUT" "no texts in vi" "a language the protocol lacks"
has "$OUT" "still open" "the end of input leaves the call open"
run calls show "$ID" --json
has "$OUT" '"industry":"domestic_work"' "a choice by its number"
has "$OUT" '"language":"es"' "the caller's language is an answer"
has "$OUT" '"status":"open"' "still open after EOF"

# ---- --json: one object per step ---------------------------------------------------
printf 'no\n:skip\n:answer caller_is_victim yes\n:answer free_to_leave no\nmaybe\n:close officer_handled Unit 12 met the caller\n' >json.txt
run call "${E[@]}" --json <json.txt
rc_is 0 "--json"
if valid_jsonl 2>"$T/json-err"; then pass "every line is JSON"; else fail "every line is JSON" "$(cat "$T/json-err")"; fi
first=$(head -n 1 <<<"$OUT")
has "$first" '"asking":"in_danger_now"' "the first step asks the first question"
has "$first" '"category":"undetermined"' "with the decision"
has "$OUT" '"skipped":["safe_to_talk"]' "the skip list"
has "$OUT" '"category":"victim_call"' "the decision changes"
has "$OUT" '"error":{"code":"invalid"' "an error object"
has "$OUT" '"ended":"closed"' "the end"
lacks "$OUT" "Question " "no text display"

# ---- taking a call up again, closing -----------------------------------------------------
printf ':done dispatch_officer Unit 12 en route\n:close officer_handled Unit 12 took the caller to a shelter\n' >resume.txt
run call "${E[@]}" --call "$VICTIM" --script resume.txt
rc_is 0 "--call takes a call up again"
has "$OUT" "Call $VICTIM taken up" "says which"
has "$OUT" "[x] dispatch_officer" "an action done"
has "$OUT" "done by cli:" "with who did it"
has "$OUT" "Call $VICTIM closed: officer_handled." "closes it"
run calls show "$VICTIM" --json
has "$OUT" '"status":"closed"' "the call is closed"
has "$OUT" '"close_summary":"Unit 12 took the caller to a shelter"' "with the summary"
has "$OUT" '"id":"dispatch_officer","state":"done"' "dispatch_officer done"
run call "${E[@]}" --call "$VICTIM" --script /dev/null; rc_is 1 "a closed call cannot be taken up"; has "$ERR" "is closed" "says so"
run call "${E[@]}" --call "HT-2000-999999" --script /dev/null; rc_is 1 "an unknown call"; has "$ERR" "no call HT-2000-999999" "names it"

# ---- the call closed elsewhere while it is being taken ------------------------------
# A supervisor closes the call from another terminal: the session says so at
# the next line and ends. Its input is a FIFO, so the test decides when
# each line arrives; it waits for the database, polling, never a fixed time.
limit=$((SECONDS + LIMIT))
newest() { "$HTD" calls list --status open --limit 1 --json | sed -n 's/.*"calls":\[{"id":"\([^"]*\)".*/\1/p'; }
before=$(newest)
mkfifo "$T/live.in"
${HTD_WRAPPER:-} "$HTD" call "${E[@]}" <"$T/live.in" >"$T/live.out" 2>"$T/live.err" &
live=$!
exec 3>"$T/live.in"
echo no >&3
LIVE=""
while [ "$SECONDS" -lt "$limit" ]; do
	LIVE=$(newest)
	if [ -n "$LIVE" ] && [ "$LIVE" != "$before" ] &&
		"$HTD" calls show "$LIVE" --json | grep -q '"in_danger_now":"no"'; then
		break
	fi
	LIVE=""
	sleep 0.1
done
[ -n "$LIVE" ] && pass "a live session saves its first answer ($LIVE)" || fail "a live session saves its first answer"
run calls close "$LIVE" duplicate --summary "closed from the console"; rc_is 0 "closed from elsewhere"
echo yes >&3
exec 3>&-
wait "$live"; RC=$?
OUT=$(cat "$T/live.out"); ERR=$(cat "$T/live.err")
rc_is 1 "the session ends with 1"
has "$ERR" "is closed" "the answer after the close is refused"
has "$ERR" "Call $LIVE was closed elsewhere (duplicate)" "and the session says why it ends"
lacks "$OUT" "still open" "it does not claim the call is open"

# ---- a broken protocol refuses to start ------------------------------------------------------
run calls list --json; before=$(grep -o '"id":"HT-' <<<"$OUT" | wc -l)
sed '0,/type: yes_no/s//type: yes_or_no/' "$PROTO" >broken.yaml
cmp -s broken.yaml "$PROTO" && fail "the copy of the protocol is broken"
run call "${E[@]}" --protocol "$T/broken.yaml" --script victim.txt
rc_is 1 "a broken protocol: exit 1"
if grep -qE "broken\.yaml:[0-9]+:[0-9]+: " <<<"$ERR"; then pass "the problem as file:line:column"; else fail "the problem as file:line:column" "$ERR"; fi
has "$ERR" "htdispatch check" "says how to check it"
lacks "$OUT" "opened" "no call is opened"
run calls list --json; after_n=$(grep -o '"id":"HT-' <<<"$OUT" | wc -l)
is "$after_n" "$before" "no call was stored"

done_testing
