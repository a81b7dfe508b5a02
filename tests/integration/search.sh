#!/usr/bin/env bash
# search.sh - NENA step 7 as an investigator and a call-taker meet it:
# records imported, then found by `htdispatch search` and POST
# /api/v1/search through nicknames, misspellings, phones and plate
# misreadings; a purpose required every time and every search audited
# without its words; sealed records shown only to investigators and
# records staff, and never counted for anyone else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
[ -n "${HTD_SOURCE_ROOT:-}" ] && export HTDISPATCH_NICKNAMES="$HTD_SOURCE_ROOT/data/linkage"

run init; rc_is 0 "init"
cat >persons.csv <<'CSV'
source_id,given_name,family_name,birth_date,sex,phone,address,city,state,sealed
P-1,Lupe,Hernandes,1985-03-07,F,(512) 555-0142,1200 Ranch Rd 5,Immokalee,FL,
P-2,Maria,Hernandez,1962-11-30,F,,,,,
P-3,John,Smith,1985-03-07,M,,,,,
P-4,Guadalupe,Hernández,1985-03-07,F,,,,,true
P-5,Lupita,Hernandez,1985-03-07,F,512-555-0142,,,,true
CSV
cat >vehicles.csv <<'CSV'
source_id,plate,plate_state,make,model,color
V-1,AB0-123,TX,Ford,Transit,white
V-2,XYZ-987,TX,Chevrolet,Express,silver
CSV
run import --kind persons persons.csv; rc_is 0 "import persons"
run import --kind vehicles vehicles.csv; rc_is 0 "import vehicles"

# ---- the CLI ------------------------------------------------------------------
run search --help; rc_is 0 "search --help"; has "$OUT" "--purpose WHY" "says a purpose is needed"
run --help; has "$OUT" "search " "the command list names search"
run search Lupe Hernandes; rc_is 2 "no purpose"; has "$ERR" "purpose" "says the purpose is needed"
run search --purpose "HT-2026-000001" --kind boats Lupe; rc_is 2 "an unknown kind"
run search --purpose "HT-2026-000001"; rc_is 2 "no query"
run search --purpose "HT-2026-000001" "Ma. Guadalupe Hernández" 1985-03-07
rc_is 0 "a search by name and date"
first=$(printf '%s\n' "$OUT" | head -n 1)
has "$first" "MATCH" "the best is a match"
has "$first" "rms:P-1" "and it is the record that says Lupe Hernandes"
lacks "$OUT" "P-4" "the sealed record is not shown"
has "$OUT" "given name" "each hit says why"
run search --purpose "HT-2026-000001" --include-sealed Guadalupe Hernández 1985-03-07
rc_is 0 "with --include-sealed"; has "$OUT" "rms:P-4 (sealed)" "the sealed record is shown, marked"
run search --json --purpose "HT-2026-000001" --limit 2 "512 555 0142"
rc_is 0 "a phone alone, --json"
is "$(printf '%s' "$OUT" | jq -r '.hits[0].source_id')" "P-1" "finds its owner"
is "$(printf '%s' "$OUT" | jq -r '.hits | length <= 2')" "true" "--limit holds"
is "$(printf '%s' "$OUT" | jq -r '.hits[0].why | map(.field) | index("phone") != null')" "true" "explained by the phone"
run search --purpose "tip 7" --kind vehicles white ford ABO123
rc_is 0 "a plate read with O for 0"; has "$(printf '%s\n' "$OUT" | head -n 1)" "rms:V-1" "finds AB0-123"
run audit list --json --limit 50
rc_is 0 "audit list"
searches=$(printf '%s' "$OUT" | jq '[.entries[] | select(.action == "records.search")] | length')
is "$searches" "6" "every search is audited, the refused ones too (a usage error never reaches the records)"
lacks "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.action == "records.search") | .detail')" "Hern" "the audit never keeps the query's words"
has "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.action == "records.search") | .detail')" "purpose=HT-2026-000001" "it keeps the purpose"

# ---- the API ------------------------------------------------------------------
user_add ct1 calltaker
user_add inv1 investigator
user_add adm1 admin
serve_start
Q='{"query":"Guadalupe Hernández 1985-03-07","purpose":"HT-2026-000002 follow-up"}'
login ct1
http POST /api/v1/search "$Q"; status_is 200 "a call-taker searches"
json_is '[.hits[].source_id] | index("P-4")' null "the sealed record is hidden from a call-taker"
ct_count=$(printf '%s' "$RESP" | jq -r '.candidates')
json_is '.hits[0].source_id' "P-1" "the best is Lupe Hernandes"
http POST /api/v1/search '{"query":"Lupe"}'; error_is 422 invalid purpose "no purpose"
http POST /api/v1/search '{"query":"Lupe","purpose":"x"}'; error_is 422 invalid purpose "a purpose too short"
http POST /api/v1/search '{"query":"Lupe","purpose":"HT-1","kind":"boats"}'; error_is 422 invalid kind "an unknown kind"
http POST /api/v1/search '{"query":"Lupe","purpose":"HT-1","limit":"99"}'; error_is 422 invalid limit "a limit too high"
big=$(head -c 2000 /dev/zero | tr '\0' a)
http POST /api/v1/search "{\"query\":\"$big\",\"purpose\":\"HT-1\"}"
error_is 422 too_large query "a query over 1 KB"
login inv1
http POST /api/v1/search "$Q"; status_is 200 "an investigator searches"
json_is '.hits[0].source_id' "P-4" "and sees the sealed record first"
json_is '.hits[0].sealed' true "marked sealed"
inv_count=$(printf '%s' "$RESP" | jq -r '.candidates')
is "$inv_count" "$((ct_count + 2))" "the call-taker's count left the two sealed records out"
login adm1
http POST /api/v1/search "$Q"; status_is 403 "the admin may not search records"

# ---- related records on a call (the server's background worker) -----------------
login ct1
http POST /api/v1/calls '{"channel":"voice","callback":"(512) 555-0142","location":"Immokalee"}'
status_is 201 "a call with a callback number"
REF=$(printf '%s' "$RESP" | jq -r '.id')
related=""
for i in $(seq 1 300); do
	http GET "/api/v1/calls/$REF/related"
	related=$(printf '%s' "$RESP" | jq -r '[.related[].label] | join(" ")' 2>/dev/null)
	[ -n "$related" ] && break
	sleep 0.1
done
has "$related" "rms:P-1" "the worker attached the record with the same phone"
lacks "$related" "rms:P-5" "a sealed record is never suggested"
json_is '.related[0].from' "callback" "found from the callback number"
json_is '.related[0].state' "suggested" "not yet decided"
P1=$(printf '%s' "$RESP" | jq -r '.related[] | select(.label == "rms:P-1") | .record')
http GET "/api/v1/calls/$REF/events"
has "$RESP" '"type":"records_suggested"' "the suggestion is an event on the call"
http POST "/api/v1/calls/$REF/related/$P1" '{"confirmed":true}'
status_is 403 "a call-taker may not link records"
login inv1
http POST "/api/v1/calls/$REF/related/$P1" '{"confirmed":true,"reason":"same phone as the tip"}'
status_is 200 "an investigator confirms the record"
http POST "/api/v1/calls/$REF/related/999999" '{"confirmed":false}'
status_is 404 "no such record"
http GET "/api/v1/calls/$REF/related"
json_is ".related[] | select(.record == $P1) | .state" confirmed "the record is confirmed"
json_is ".related[] | select(.record == $P1) | .by" "user:inv1" "by whom"
http GET "/api/v1/calls/$REF/graph?depth=2"
status_is 200 "the link graph"
json_is "[.edges[] | select(.via == \"confirmed\")] | length" 1 "shows the confirmed link"
json_is "[.nodes[] | select(.id == \"call:$REF\")] | length" 1 "starts at the call"
http GET "/api/v1/calls/$REF/graph?depth=9"
error_is 422 invalid depth "a depth out of range"
serve_stop
is "$SERVER_RC" "0" "the server stops cleanly"

run audit list --json --limit 100
denied=$(printf '%s' "$OUT" | jq '[.entries[] | select(.action == "records.search" and .outcome == "denied")] | length')
is "$denied" "1" "the admin's refused search is audited"
lacks "$(printf '%s' "$OUT" | jq -r '.entries[] | .detail')" "Guadalupe" "no audit entry names the person"
has "$(printf '%s' "$OUT" | jq -r '.entries[] | .action')" "call.link" "the link is audited"
has "$(printf '%s' "$OUT" | jq -r '.entries[] | .action')" "call.related" "reading the related records is audited"

# ---- the CLI on the same call ---------------------------------------------------
run calls related "$REF"
rc_is 0 "calls related"; has "$OUT" "confirmed person   rms:P-1" "lists the confirmed record"
run calls related "$REF" --graph --json
rc_is 0 "calls related --graph"
is "$(printf '%s' "$OUT" | jq -r '[.nodes[].id] | index("call:'"$REF"'") != null')" "true" "the graph has the call"
run calls link "$REF" "$P1" maybe; rc_is 2 "a decision that is neither"
run calls link "$REF" "$P1" rejected --reason "second look: another Lupe"
rc_is 0 "the decision can be revised"
run calls related "$REF"; has "$OUT" "rejected" "and shows the latest"

done_testing
