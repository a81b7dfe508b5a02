#!/usr/bin/env bash
# units.sh - `htdispatch units` and `htdispatch calls dispatch` as a
# dispatcher uses them: units added, listed, their status and position
# set, the available ones ranked on a small fixed board, units sent to a
# call (the checklist and the units follow, with the time since the call
# opened), and the refusals, each with its exit status.
. "$(dirname "$0")/lib.sh"

# ---- help and usage errors --------------------------------------------------
run units --help; rc_is 0 "units --help"; has "$OUT" "usage: htdispatch units" "shows usage"
run --help; has "$OUT" "units " "the command list names units"
run units; rc_is 2 "units without an action"
run units frob; rc_is 2 "unknown action"; has "$ERR" "no action 'frob'" "names it"
run units add; rc_is 2 "add without a call sign"
run units status 2A31; rc_is 2 "status without a status"
run units recommend --lat 30; rc_is 2 "recommend without --lon"
run units position 2A31 north -- -97; rc_is 2 "a latitude that is not a number"; has "$ERR" "lat" "names it"
run units list; rc_is 1 "list before init fails"
run calls dispatch HT-2026-000001; rc_is 2 "dispatch without units"

# ---- the board --------------------------------------------------------------
run init; rc_is 0 "init"
run units list; rc_is 0 "an empty list"; has "$OUT" "No units yet" "says how to add one"
run units add 2a31 --agency "Austin PD" --languages es --ht-trained
rc_is 0 "add a unit"; has "$OUT" "Unit 2A31 added: available" "in upper case, available"
run units add 2A32; rc_is 0 "add another"
run units add 2A33 --languages vi; rc_is 0 "and a third"
run units add 2A31; rc_is 1 "a taken call sign"; has "$ERR" "unit 2A31 already" "says so"
run units add "2A 99"; rc_is 2 "a bad call sign"; has "$ERR" "A-Z, 0-9" "says what one is"
run units add 2A99 --languages spanish; rc_is 2 "a bad language"; has "$ERR" "ISO 639-1" "says what it takes"
run units position 2A31 -- 30.2772 -97.7431; rc_is 0 "a position"; has "$OUT" "30.277200, -97.743100" "echoes it"
run units position 2A32 -- 30.2672 -97.7440; rc_is 0 "another"
run units position 2A33 -- 30.3000 -97.7431; rc_is 0 "a third"
run units position 2A31 -- 91 0; rc_is 2 "latitude out of range"; has "$ERR" "-90 to 90" "says the range"
run units position 2A99 -- 30 -97; rc_is 1 "an unknown unit"; has "$ERR" "no unit 2A99" "says so"
run units list --json; rc_is 0 "list --json"
has "$OUT" '"call_sign":"2A31","agency":"Austin PD","status":"available"' "json names the unit"
has "$OUT" '"languages":["es"],"ht_trained":true' "with languages and training"
run units list; has "$OUT" "2A31             available" "the table"

# ---- recommendation on a fixed board -----------------------------------------
# At (30.2672, -97.7431): 2A32 ~0.1 km, 2A31 ~1.1 km (speaks Spanish,
# HT-trained), 2A33 ~3.6 km (Vietnamese).
run units recommend --lat 30.2672 --lon -97.7431
rc_is 0 "recommend"
is "$(printf '%s\n' "$OUT" | awk '{print $2}' | tr '\n' ' ')" "2A32 2A31 2A33 " \
	"nearest first: training (90 s) does not cover 96 s more"
has "$OUT" "1.1 km, ~2 min, HT-trained" "each rank explained"
run units recommend --lat 30.2672 --lon -97.7431 --language es
is "$(printf '%s\n' "$OUT" | awk '{print $2}' | tr '\n' ' ')" "2A31 2A32 2A33 " \
	"a Spanish speaker, trained, 96 s further, goes first"
run units recommend --lat 30.2672 --lon -97.7431 --language vi --json
rc_is 0 "recommend --json"
has "$OUT" '"rank":1,"call_sign":"2A32"' "a Vietnamese speaker 5 min further does not"
run units status 2A31 out_of_service; rc_is 0 "out of service"
run units recommend --lat 30.2672 --lon -97.7431
is "$(printf '%s\n' "$OUT" | awk '{print $2}' | tr '\n' ' ')" "2A32 2A33 " "an out-of-service unit is not ranked"
run units recommend --lat 95 --lon 0; rc_is 2 "a bad place"
run units status 2A31 on_scene; rc_is 1 "a transition it cannot make"; has "$ERR" "out_of_service; it cannot go from there to on_scene" "says why"
run units status 2A31 dispatched; rc_is 2 "dispatched only by a dispatch"; has "$ERR" "calls dispatch" "says how"
run units status 2A31 asleep; rc_is 2 "an unknown status"
run units status 2A31 available; rc_is 0 "back in service"

# ---- dispatch ------------------------------------------------------------------
run calls open --language es --location "Farm road 12"; rc_is 0 "open a call"
ID=$(printf '%s\n' "$OUT" | grep -o 'HT-[0-9]*-[0-9]*' | head -1)
run calls dispatch "$ID" 2a31 2A32; rc_is 0 "dispatch two units"
has "$OUT" "$ID: dispatched 2A31, 2A32, 0 min" "names the units and the time since the call opened"
run units list --json
has "$OUT" "\"call_sign\":\"2A31\",\"agency\":\"Austin PD\",\"status\":\"dispatched\"" "the unit is dispatched"
has "$OUT" "\"call\":\"$ID\"" "to the call"
run calls show "$ID"; has "$OUT" "dispatch_officer done: dispatched 2A31, 2A32" "the checklist says who and when"
run calls dispatch "$ID" 2A31; rc_is 1 "a dispatched unit is not sent again"; has "$ERR" "unit 2A31 is dispatched on $ID" "says where it is"
run calls dispatch "$ID" 2A99; rc_is 1 "an unknown unit"
run calls dispatch "$ID" 2A33 2A33; rc_is 2 "a unit named twice"
run calls dispatch "$ID" 2A33 --json; rc_is 0 "dispatch --json"; has "$OUT" '"since_open_ms":' "gives the time since the call opened"
run units status 2A32 cleared; rc_is 0 "clear the call"
run units list --json; has "$OUT" '"call_sign":"2A32","agency":"","status":"cleared","position":' "cleared"
run calls close "$ID" unfounded; rc_is 0 "close the call"
run calls dispatch "$ID" 2A32; rc_is 1 "no dispatch to a closed call"; has "$ERR" "closed" "says so"
run audit list; has "$OUT" "call.dispatch" "the dispatch is audited"; has "$OUT" "unit.status" "and the status changes"
run db check; rc_is 0 "db check"
done_testing
