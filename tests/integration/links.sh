#!/usr/bin/env bash
# links.sh - links between the agency's records and to calls (NENA step 7):
# an import's links column (vehicles imported before the persons they name,
# resolved when those come), a bad link rejected by field, a record
# confirmed on a call linked to it, and the link graph following both: a
# person to the van they own and the contractor they work for, and on to
# another call the person was confirmed on. A sealed driver stays out of a
# call-taker's graph and record view; `htdispatch records show` and GET
# /api/v1/records/{id} show a record with its links and calls, audited.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"
[ -n "${HTD_SOURCE_ROOT:-}" ] && export HTDISPATCH_NICKNAMES="$HTD_SOURCE_ROOT/data/linkage"

run init; rc_is 0 "init"

# Vehicles first: the persons they name are not imported yet.
cat >vehicles.csv <<'CSV'
source_id,plate,plate_state,make,model,color,links
V-1,AB0-123,TX,Ford,Transit,white,owner=person:P-1;driver=persons:P-2
V-2,XYZ-987,TX,Chevrolet,Express,silver,
CSV
run import --kind vehicles vehicles.csv; rc_is 0 "import vehicles that name persons not there yet"
cat >bad.csv <<'CSV'
source_id,name,links
B-9,Nowhere LLC,boss=person:P-1
CSV
run import --kind businesses bad.csv; rc_is 1 "an unknown link type is rejected"
has "$ERR" "bad.csv:2: links: link 1: unknown type \"boss\"" "naming the line, the field and why"
cat >persons.csv <<'CSV'
source_id,given_name,family_name,birth_date,phone,links,sealed
P-1,Lupe,Hernandes,1985-03-07,(512) 555-0142,employer=business:B-1,
P-2,Juan,Perez,1970-01-01,,,true
P-3,Rosa,Diaz,1990-05-05,(512) 555-0199,associate=person:P-1,
CSV
run import --kind persons persons.csv; rc_is 0 "import persons"
cat >businesses.csv <<'CSV'
source_id,name,business_type,links
B-1,JR Labor Contractors,labor contractor,contractor=business:B-2
B-2,Campos Verdes Farm LLC,farm,
CSV
run import --kind businesses businesses.csv; rc_is 0 "import businesses"
run import --kind businesses businesses.csv; rc_is 0 "import them again"
has "$ERR$OUT" "unchanged 2" "a re-import changes nothing"

run --json search --purpose "links test" --kind vehicles AB0-123
V1=$(printf '%s' "$OUT" | jq -r '.hits[0].id')
is "$(printf '%s' "$OUT" | jq -r '.hits[0].fields.links // "none"')" "none" "a search never shows the links as imported"

# ---- records show ------------------------------------------------------------
run records --help; rc_is 0 "records --help"; has "$OUT" "records show" "usage"
run --help; has "$OUT" "records " "the command list names records"
run records show "$V1"; rc_is 0 "records show a vehicle"
has "$OUT" "owner      -> person rms:P-1 (record" "its owner, resolved after the persons came"
lacks "$OUT" "P-2" "the sealed driver is left out"
run records show --include-sealed "$V1"
has "$OUT" "driver     -> person rms:P-2 (record" "shown with --include-sealed"
has "$OUT" "(sealed)" "marked sealed"
run records show nope; rc_is 2 "an id that is not one"
run records show 999999; rc_is 1 "no such record"

# ---- a call, a confirmed record, the graph ----------------------------------------
user_add ct1 calltaker
user_add inv1 investigator
user_add adm1 admin
run calls open --channel voice --callback "(512) 555-0142" --location "Immokalee"
rc_is 0 "a call with the phone of P-1"; REF1=$(printf '%s' "$OUT" | grep -o 'HT-[0-9]*-[0-9]*' | head -n1)
run calls open --channel voice --callback "(512) 555-0142"
rc_is 0 "a second call with the same phone"; REF2=$(printf '%s' "$OUT" | grep -o 'HT-[0-9]*-[0-9]*' | head -n1)
run --json calls related "$REF1"
P1=$(printf '%s' "$OUT" | jq -r '.related[] | select(.label == "rms:P-1") | .record')
ok_p1=$([ -n "$P1" ] && echo yes); is "$ok_p1" "yes" "P-1 is suggested for the call"

serve_start
login inv1
http POST "/api/v1/calls/$REF1/related/$P1" '{"confirmed":true,"reason":"same phone"}'
status_is 200 "the investigator confirms P-1 on the first call"
http POST "/api/v1/calls/$REF2/related/$P1" '{"confirmed":true}'
status_is 200 "and on the second"

login ct1
http GET "/api/v1/calls/$REF1/graph?depth=3"; status_is 200 "the call-taker's graph"
edge() { printf '%s' "$RESP" | jq -r --arg f "$1" --arg t "$2" --arg v "$3" \
	'[.edges[] | select(((.from == $f and .to == $t) or (.from == $t and .to == $f)) and .via == $v)] | length'; }
nid() { printf '%s' "$RESP" | jq -r --arg l "$1" '.nodes[] | select(.label == $l) | .id' | head -n1; }
is "$(edge "call:$REF1" "record:$P1" confirmed)" "1" "call -> P-1 (confirmed)"
is "$(edge "record:$P1" "record:$V1" owner)" "1" "P-1 -> the van (owner)"
B1=$(nid rms:B-1); B2=$(nid rms:B-2); P3=$(nid rms:P-3)
is "$(edge "record:$P1" "$B1" employer)" "1" "P-1 -> the labor contractor (employer)"
is "$(edge "$B1" "$B2" contractor)" "1" "the contractor -> the farm (contractor)"
is "$(edge "record:$P1" "$P3" associate)" "1" "an associate who names P-1"
is "$(edge "record:$P1" "call:$REF2" confirmed)" "1" "the other call P-1 was confirmed on"
lacks "$RESP" "rms:P-2" "the sealed driver is not in a call-taker's graph"
http GET "/api/v1/records/$V1"; status_is 200 "the call-taker reads the van"
json_is '[.links[].source_id] | join(",")' "P-1" "without the sealed driver"
json_is '.fields.links // "none"' "none" "nor the links as imported"
login inv1
http GET "/api/v1/calls/$REF1/graph?depth=3"; status_is 200 "the investigator's graph"
API_GRAPH=$RESP
run --json calls related --graph --depth 3 "$REF1"
is "$(jq -S . <<<"$OUT")" "$(jq -S . <<<"$API_GRAPH")" "calls related --graph --json gives the API's graph"
P2=$(nid rms:P-2)
is "$(edge "record:$V1" "$P2" driver)" "1" "shows the sealed driver of the van"
http GET "/api/v1/records/$V1"; status_is 200 "the investigator reads the van"
json_is '[.links[] | select(.sealed) | .source_id] | join(",")' "P-2" "with the sealed driver, marked"
http GET "/api/v1/records/$P1"
json_is '[.calls[].call] | sort | join(",")' "$(printf '%s\n' "$REF1" "$REF2" | sort | paste -sd,)" "P-1 with both calls"
json_is '[.links[] | select(.direction == "in") | .type] | sort | join(",")' "associate,owner" "and the links that name it"
API_P1=$RESP
run --json records show --include-sealed "${P1#record:}"
is "$(jq -S . <<<"$OUT")" "$(jq -S . <<<"$API_P1")" "records show --json gives the API's shape"
PID2=$(printf '%s' "$P2" | sed 's/record://')
login ct1
http GET "/api/v1/records/$PID2"; status_is 404 "the sealed driver is no record for a call-taker"
login adm1
http GET "/api/v1/records/$V1"; status_is 403 "the admin may not read records"

login inv1
http POST "/api/v1/calls/$REF2/related/$P1" '{"confirmed":false,"reason":"another Lupe"}'
status_is 200 "the second call's confirmation is rejected"
http GET "/api/v1/records/$P1"
json_is '[.calls[].call] | join(",")' "$REF1" "the rejected call is no longer linked"
serve_stop
is "$SERVER_RC" "0" "the server stops cleanly"

run records show "$P1"; rc_is 0 "records show a person"
has "$OUT" "confirmed on calls:" "lists the calls"
has "$OUT" "$REF1 by user:inv1" "the call it was confirmed on, by whom"
lacks "$OUT" "$REF2" "not the rejected one"
run --json records show "$P1"
is "$(printf '%s' "$OUT" | jq -r '[.links[] | select(.direction == "out")] | .[0].type')" "employer" "--json: its own link"
run audit list --json --limit 100
shows=$(printf '%s' "$OUT" | jq '[.entries[] | select(.action == "records.show")] | length')
ok_shows=$([ "$shows" -ge 8 ] && echo yes); is "$ok_shows" "yes" "every read of a record is audited ($shows)"
has "$(printf '%s' "$OUT" | jq -r '.entries[] | select(.action == "records.show") | .outcome')" "denied" "the refused ones too"

done_testing
