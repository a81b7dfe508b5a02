#!/usr/bin/env bash
# import.sh - `htdispatch import` as records staff use it: a round trip of
# CSV and JSON Lines, re-imports that update and never duplicate, all or
# nothing (the database byte for byte as it was), --skip-bad, every
# rejection named by line and field, the audit entry, and --help.
. "$(dirname "$0")/lib.sh"

if [ -n "${HTD_SOURCE_ROOT:-}" ]; then
	export HTDISPATCH_NICKNAMES="$HTD_SOURCE_ROOT/data/linkage"
fi
DB=var/htdispatch.db
sql() { sqlite3 "$DB" "$1"; }
hash() { sha256sum "$DB" | cut -d' ' -f1; }
# has_key ID KEY: 1 when record ID holds blocking key KEY (records.keys
# lists them; record_keys holds their hashes).
has_key() {
	sql "SELECT count(*) FROM records WHERE source_id = '$1' AND instr(char(10) || keys || char(10), char(10) || '$2' || char(10)) > 0"
}
# The index holds exactly the keys the records list: none stale, none lost.
index_consistent() {
	is "$(sql "SELECT count(*) FROM record_keys")" \
		"$(sql "SELECT coalesce(sum(length(keys) - length(replace(keys, char(10), '')) + 1), 0) FROM records WHERE keys <> ''")" \
		"$1"
}

# ---- help and usage errors --------------------------------------------------
run import --help; rc_is 0 "import --help"
has "$OUT" "usage: htdispatch import --kind KIND" "shows usage"
has "$OUT" "docs/import.md" "points to the format"
run --help; has "$OUT" "import " "the command list names import"
run import people.csv; rc_is 2 "no --kind"; has "$ERR" "--kind is required" "says so"
run import --kind people x.csv; rc_is 2 "a bad kind"
run import --kind persons x.txt; rc_is 2 "no format from the name"; has "$ERR" "--format" "says how"
run import --kind persons --format xml x.csv; rc_is 2 "a bad format"
run import --kind persons --source "R M S" x.csv; rc_is 2 "a bad source"
run import --kind persons; rc_is 2 "no file"
run import --kind persons missing.csv; rc_is 1 "before init"

run init; rc_is 0 "init"
run import --kind persons missing.csv; rc_is 1 "a missing file"; has "$ERR" "missing.csv" "names it"

# ---- round trip -------------------------------------------------------------
printf '\357\273\277source_id,given_name,family_name,birth_date,phone,notes,sealed\r\n' >people.csv
printf 'P1,Lupe,Hernandes,1985-03-07,512-555-0142,"said ""the boss"" kept\r\nher passport",\r\n' >>people.csv
printf 'P2,Ma. Guadalupe,Hernández López,1985,,,true\r\n' >>people.csv
printf 'P3,John,Smith,,,,\r\n' >>people.csv
run import --kind persons people.csv
rc_is 0 "import persons"
has "$OUT" "read 3, inserted 3, updated 0, unchanged 0, rejected 0" "the summary"
has "$OUT" "records/s" "with the rate"
is "$(sql "SELECT count(*) FROM records WHERE kind = 'person'")" "3" "three persons"
is "$(sql "SELECT json_extract(fields, '\$.notes') FROM records WHERE source_id = 'P1'")" \
	"$(printf 'said "the boss" kept\r\nher passport')" "quotes and a line break survive"
is "$(sql "SELECT sealed FROM records WHERE source_id = 'P2'")" "1" "sealed is kept"
is "$(sql "SELECT json_extract(fields, '\$.family_name') FROM records WHERE source_id = 'P2'")" \
	"Hernández López" "accents survive"
is "$(has_key P1 'ph:+15125550142')" "1" "the phone is a key, in E.164"
is "$(has_key P1 'snp:HRNN')$(has_key P2 'snp:HRNN')" "11" \
	"Hernandes and Hernández meet on a phonetic key"
index_consistent "the index holds every key of every record"
run audit list; has "$OUT" "records.import" "the import is audited"
has "$OUT" "inserted=3" "with its counts"

# ---- re-import: unchanged, then updated, never duplicated --------------------
run import --kind persons people.csv
rc_is 0 "the same file again"
has "$OUT" "inserted 0, updated 0, unchanged 3" "nothing rewritten"
is "$(sql "SELECT count(*) FROM records")" "3" "no duplicates"
sed -i 's/^P3,John,Smith/P3,Jon,Smyth/' people.csv
printf 'P4,Ana,Torres,,,,\r\n' >>people.csv
run import --kind persons people.csv --json
rc_is 0 "a changed file"
has "$OUT" '"inserted":1,"updated":1,"unchanged":2' "one new, one changed"
is "$(sql "SELECT count(*) FROM records")" "4" "still no duplicates"
is "$(sql "SELECT version || ' ' || json_extract(fields, '\$.family_name') FROM records WHERE source_id = 'P3'")" \
	"2 Smyth" "the changed record is updated"
is "$(has_key P3 'sn:smit')" "0" "its old keys are gone"
is "$(has_key P3 'sn:smyt')" "1" "its new keys are there"
index_consistent "and the index has no stale key"
head -n 3 people.csv >fewer.csv
run import --kind persons fewer.csv; rc_is 0 "a file with fewer records"
is "$(sql "SELECT count(*) FROM records")" "4" "records absent from it stay"
run import --kind persons --source calls people.csv; rc_is 0 "another source"
is "$(sql "SELECT count(*) FROM records")" "8" "is other records"

# ---- JSON Lines ---------------------------------------------------------------
cat >vans.jsonl <<'J'
{"source_id": "V1", "plate": "ABC 1234", "plate_state": "TX", "make": "Ford", "model": "Transit", "color": "white"}

{"source_id": 2, "vin": "1FTBW2CM5HKA12345"}
J
run import --kind vehicles vans.jsonl; rc_is 0 "import vehicles from JSON Lines"
has "$OUT" "inserted 2" "both"
run import --kind vehicles --format jsonl - <vans.jsonl
rc_is 0 "from standard input"; has "$OUT" "unchanged 2" "the same records"

# ---- all or nothing -------------------------------------------------------------
cat >bad.csv <<'C'
source_id,given_name,family_name,birth_date
B1,Ana,Lopez,1990-02-30
B2,"Bo"b,Smith,
B3,Ok,Fine,
B4,Only,
C
before=$(hash)
run import --kind persons bad.csv
rc_is 1 "bad records refuse the import"
has "$ERR" "bad.csv:2: birth_date:" "line 2 names its field"
has "$ERR" "bad.csv:3: text after a closing quote" "line 3 says why"
has "$ERR" "bad.csv:5: 3 values where the header names 4 columns" "line 5 too"
has "$ERR" "3 of 4 records rejected; nothing was imported" "the verdict"
has "$OUT" "Did not import" "the summary says so"
is "$(hash)" "$before" "the database is byte for byte as it was"
is "$(sql "SELECT count(*) FROM records WHERE source_id = 'B3'")" "0" "not even the good record"

# A bad record after a batch has been written: rolled back all the same.
{
	echo "source_id,family_name"
	seq 1 20000 | sed 's/.*/G&,Nguyen/'
	echo "G-bad,"
} >late.csv
before=$(hash)
run import --kind persons late.csv
rc_is 1 "a bad last record refuses 20000 good ones"
has "$ERR" "late.csv:20002: family_name:" "and is named"
is "$(hash)" "$before" "the database is byte for byte as it was"

run import --kind persons --json bad.csv
rc_is 1 "--json, refused"
has "$OUT" '"imported":false' "says so"
has "$OUT" '{"line":2,"field":"birth_date","code":"invalid"' "lists line 2"
has "$OUT" '{"line":5,"field":null' "and line 5"

run import --kind persons --skip-bad bad.csv
rc_is 0 "--skip-bad imports the rest"
has "$OUT" "read 4, inserted 1, updated 0, unchanged 0, rejected 3" "and counts"
has "$ERR" "bad.csv:2: birth_date:" "still reports the bad ones"
is "$(sql "SELECT count(*) FROM records WHERE source_id = 'B3'")" "1" "the good record is in"

printf 'source_id,plate\nX,AB1\n' >wrong.csv
run import --kind persons wrong.csv
rc_is 1 "a column of another kind"; has "$ERR" 'wrong.csv:1: header: a person record has no column "plate"' "named"
printf 'source_id,shoe_size\n' >wrong.csv
run import --kind persons wrong.csv
rc_is 1 "an unknown column"; has "$ERR" 'unknown column "shoe_size"' "named"
printf '[1,2]\n' >arr.jsonl
run import --kind phones arr.jsonl
rc_is 1 "a line that is not an object"; has "$ERR" "arr.jsonl:1: a line must be a JSON object, not an array" "named"

index_consistent "after all of it, the index is consistent"
run db check; rc_is 0 "db check"
done_testing
