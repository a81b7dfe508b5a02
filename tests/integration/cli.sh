#!/usr/bin/env bash
# cli.sh - the htdispatch command line as a call-taker or a script uses it:
# help and exit codes, init, the call lifecycle, listing and paging, --json,
# and the errors a person sees for bad input and bad database files.
. "$(dirname "$0")/lib.sh"
YEAR=$(date +%Y)

# ---- help, version, usage errors ------------------------------------------
run --version; rc_is 0 "--version"; has "$OUT" "htdispatch 0." "--version names the program"
run --help; rc_is 0 "--help"; has "$OUT" "Exit status: 0 success, 1" "--help documents exit codes"
for c in init calls db version; do
	run "$c" --help; rc_is 0 "$c --help"; has "$OUT" "usage: htdispatch $c" "$c --help shows usage"
done
run calls list --help; rc_is 0 "calls list --help works without a database"
run; rc_is 2 "no command is a usage error"
run frobnicate; rc_is 2 "unknown command"; has "$ERR" "no command 'frobnicate'" "names the unknown command"
run calls; rc_is 2 "calls without an action"
run calls list --colour; rc_is 2 "unknown option"; has "$ERR" "unknown option '--colour'" "names the option"
run calls show; rc_is 2 "show without an id"
run calls list --limit; rc_is 2 "option without its value"
run --busy-timeout 0 calls list; rc_is 2 "busy timeout out of range"

# ---- no database yet ---------------------------------------------------------
run calls list; rc_is 1 "list before init fails"; has "$ERR" "htdispatch init" "and says to run init"
[ ! -e var ] && pass "nothing was created by a failed list" || fail "var/ was created"

# ---- init --------------------------------------------------------------------
run init; rc_is 0 "init"; has "$OUT" "Created the database at ./var/htdispatch.db" "init says where"
has "$OUT" "calls open" "init prints a short guide"
is "$(stat -c %a var)" "700" "./var is private (0700)"
run init; rc_is 0 "init again"; has "$OUT" "Database ready" "init is idempotent"
run init --json; rc_is 0 "init --json"; has "$OUT" '"created":false' "init --json"

# ---- a call from open to close -----------------------------------------------
run calls open --channel text --language es-mx --location "4th & Main, Apt 3" \
	--callback "(555) 010-0100" --caller-name "María José"
rc_is 0 "open a call"; is "$(printf '%s\n' "$OUT" | head -n 1)" "HT-$YEAR-000001 opened" "prints the new call id"
has "$OUT" "category undetermined" "open shows the first decision"
has "$OUT" "required: safeguard_records" "open shows the first checklist"
ID="HT-$YEAR-000001"
run calls answer "ht-$YEAR-1" free_to_leave NO; rc_is 0 "answer with a lenient id"
run calls answer "$ID" has_own_documents maybe; rc_is 2 "bad yes/no answer"; has "$ERR" "yes, no or unknown" "explains yes/no"
run calls answer "$ID" caller_is_victim yes; rc_is 0 "answer"
run calls note "$ID" boss keeps my passport; rc_is 0 "note from arguments"
has "$OUT" "category victim_call" "a note with a means indicator decides (caller's own documents withheld)"
run calls answer "$ID" favourite_colour blue; rc_is 2 "an answer to no question of the protocol"; has "$ERR" "not a question of the protocol" "says so"
run calls override "$ID" credible_tip; rc_is 2 "override needs a reason"; has "$ERR" "--reason" "names the option"
run calls override "$ID" credible_tip --reason "supervisor: caller is a neighbour"; rc_is 0 "override with a reason"
has "$OUT" "category credible_tip (override; the protocol says" "override shows the protocol's view beside"
run calls mark "$ID" radio_alert not_applicable; rc_is 2 "n/a needs a reason"; has "$ERR" "reason" "says a reason is needed"
run calls mark "$ID" radio_alert not_applicable --reason "suspect listens to the scanner"; rc_is 0 "mark an action n/a"
run calls override "$ID" none --reason "back to the protocol"; rc_is 0 "withdraw the override"
run calls decision "$ID"; rc_is 0 "decision"
has "$OUT" "Category  victim_call" "decision: category"
has "$OUT" "[-] radio_alert" "decision: the n/a mark"
has "$OUT" "documents_withheld" "decision: the indicator"
has "$OUT" "victim_call.controlled" "decision: the rule that fired"
run calls decision "$ID" --json; rc_is 0 "decision --json"
has "$OUT" '"category":"victim_call"' "decision json"
printf 'no lo dejan salir\nsegunda línea\n' >note.txt
run calls note "$ID" - <note.txt; rc_is 0 "note from stdin"
head -c 20000 /dev/zero | tr '\0' 'a' >big.txt
run calls note "$ID" - <big.txt; rc_is 2 "oversized note is refused"; has "$ERR" "longer than 16384" "names the limit"
run calls show "$ID"
rc_is 0 "show"
has "$OUT" "María José" "show: caller"
has "$OUT" "es-MX" "show: language in canonical case"
has "$OUT" "free_to_leave        no" "show: answer"
has "$OUT" "boss keeps my passport" "show: note"
has "$OUT" "segunda línea" "show: multi-line note"
run calls show "$ID" --json; rc_is 0 "show --json"
has "$OUT" "\"id\":\"$ID\"" "json: id"
has "$OUT" '"answers":{"free_to_leave":"no","caller_is_victim":"yes"}' "json: answers"
has "$OUT" '"type":"note_added"' "json: events"
run calls close "$ID" officer_handled --summary "Unit 12 took the victim to the shelter"
rc_is 0 "close"; has "$OUT" "closed" "close says so"
run calls answer "$ID" escaped yes; rc_is 1 "answer after close fails"; has "$ERR" "is closed" "says the call is closed"
run calls close "$ID" unfounded; rc_is 1 "second close fails"
run calls note "$ID" "follow-up by investigator"; rc_is 0 "notes are still accepted after close"
run calls close "$ID" bogus; rc_is 2 "unknown disposition"
run calls show "HT-$YEAR-999999"; rc_is 1 "unknown call"; has "$ERR" "no call HT-$YEAR-999999" "names the call"
run calls show "999"; rc_is 2 "malformed id"; has "$ERR" "HT-2026-000123" "shows what an id looks like"
run calls open --channel pigeon; rc_is 2 "unknown channel"; has "$ERR" "voice, text" "lists the channels"
run calls open --language "english please"; rc_is 2 "bad language tag"
run calls open --callback "call me maybe"; rc_is 2 "bad callback number"

# ---- list, filters, paging, $HTDISPATCH_DB ------------------------------------
for i in 2 3 4 5; do run calls open --location "site $i"; done
run calls list; rc_is 0 "list"; has "$OUT" "HT-$YEAR-000005" "list shows calls"
run calls list --status closed; has "$OUT" "$ID" "filter closed"; lacks "$OUT" "HT-$YEAR-000002" "filter excludes open"
run calls list --status open --limit 2; has "$OUT" "More: htdispatch calls list --after HT-$YEAR-000004" "paging hint"
run calls list --status open --limit 2 --after "HT-$YEAR-000004"; has "$OUT" "HT-$YEAR-000003" "second page"; lacks "$OUT" "HT-$YEAR-000005" "second page starts after the cursor"
run calls list --json --limit 2; has "$OUT" "\"next_after\":\"HT-$YEAR-000004\"" "json paging cursor"
run calls list --since 2000-01-01 --until 2000-01-02; has "$OUT" "No calls match" "empty window"
run calls list --since "2026-02-30"; rc_is 2 "impossible date"; has "$ERR" "not a real date" "explains the date"
run calls list --category victim; rc_is 2 "unknown category"
run calls list --json --category nope; rc_is 2 "json error exit"; has "$OUT" '"error":{"code":"invalid"' "json error object"; has "$OUT" '"field":"category"' "json error names the field"
mkdir other
HTDISPATCH_DB=other/h.db run init; rc_is 0 "init with HTDISPATCH_DB"
[ -s other/h.db ] && pass "HTDISPATCH_DB is honoured" || fail "other/h.db missing"
is "$(stat -c %a other/h.db)" "600" "a database is private (0600) wherever it is"

# ---- db check ------------------------------------------------------------------
run db check; rc_is 0 "db check"; has "$OUT" "5 calls verified" "db check verifies every call"
sqlite3 var/htdispatch.db "UPDATE calls SET caller_name = 'someone else' WHERE seq = 1"
run db check; rc_is 1 "db check finds a projection changed outside"; has "$ERR" "$ID" "names the call"; has "$ERR" "caller_name" "names the field"

# ---- bad database files are refused and left untouched --------------------------
printf 'not a database, just a text file with some words in it\n%.0s' {1..20} >text.db
before=$(sha256sum text.db)
run --db text.db calls list; rc_is 1 "text file refused"; has "$ERR" "text.db: not an htdispatch database" "names the file"
run --db text.db init; rc_is 1 "init refuses to overwrite a text file"
is "$(sha256sum text.db)" "$before" "text file untouched"
sqlite3 other.db "CREATE TABLE contacts(x); INSERT INTO contacts VALUES (1);"
before=$(sha256sum other.db)
run --db other.db calls list; rc_is 1 "another program's database refused"; has "$ERR" "another program" "says whose"
is "$(sha256sum other.db)" "$before" "other database untouched"
cp var/htdispatch.db newer.db
sqlite3 newer.db "PRAGMA user_version = 999"
before=$(sha256sum newer.db)
run --db newer.db calls list; rc_is 1 "newer schema refused"; has "$ERR" "newer htdispatch" "says why"
run --db newer.db init; rc_is 1 "init refuses a newer schema"
is "$(sha256sum newer.db)" "$before" "newer database untouched"
cp var/htdispatch.db corrupt.db
printf '\245%.0s' {1..64} | dd of=corrupt.db bs=1 seek=100 conv=notrunc 2>/dev/null
run --db corrupt.db calls list; rc_is 1 "corrupt database refused"; has "$ERR" "corrupt" "says corrupt"

# ---- a locked database ------------------------------------------------------------
# The lock is held until the command has run (a slow run under valgrind
# must not find it gone): sqlite3 prints "locked" once it holds it, and
# waits for a line on the fifo to let go.
mkfifo unlock
( echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; read -r _ <unlock; echo "ROLLBACK;" ) |
	sqlite3 var/htdispatch.db >locker.out &
locker=$!
for _ in $(seq 100); do grep -q locked locker.out 2>/dev/null && break; sleep 0.1; done
run --busy-timeout 300 calls open; rc_is 1 "locked database times out"; has "$ERR" "locked by another process (waited 300 ms)" "says it is locked and how long it waited"
echo go >unlock
wait "$locker"
run calls open; rc_is 0 "works again once the lock is gone"

done_testing
