#!/usr/bin/env bash
# faults.sh - disk full, failing writes and read-only directories: the
# failing operation is reported, nothing half-written remains, and nothing
# saved before is lost. Writes fail three ways: a real full tmpfs, a
# read-only mount, and an LD_PRELOAD shim (HTD_FAILWRITE) that fails the
# Nth write of every run in turn, as SQLite's own fault-injection tests do.
. "$(dirname "$0")/lib.sh"
YEAR=$(date +%Y)
ID="HT-$YEAR-000001"

mounts=()
cleanup_hook() { for m in "${mounts[@]}"; do umount "$m"; done; }

note_count() { sqlite3 "$1" "SELECT note_count FROM calls WHERE seq = 1"; }
event_count() { sqlite3 "$1" "SELECT count(*) FROM call_events"; }

# ---- every write point of "calls note" fails once ------------------------------
run --db shim.db init; rc_is 0 "init for the shim test"
run --db shim.db calls open --location "packing plant, dock 4"; rc_is 0 "open"
run --db shim.db calls note "$ID" "saved before the faults"; rc_is 0 "a note saved before the faults"
saved=0 failures=0 bad=0
for k in $(seq 0 60); do
	before=$(event_count shim.db)
	HTD_FAIL_WRITE_AFTER=$k LD_PRELOAD="$HTD_FAILWRITE" run --db shim.db calls note "$ID" "note at fault point $k"
	after=$(event_count shim.db)
	HTD_WRAPPER= run --db shim.db db check
	if [ "$RC" -ne 0 ]; then bad=$((bad + 1)); fail "db check after fault point $k"; break; fi
	if [ "$after" -eq "$before" ]; then
		failures=$((failures + 1))
	elif [ "$after" -eq $((before + 1)) ]; then
		saved=$((saved + 1))
		# Once a note gets through, later fault points are past the end.
		break
	else
		fail "fault point $k wrote $((after - before)) events"
	fi
done
[ "$bad" -eq 0 ] && pass "the database is consistent after every fault point"
[ "$failures" -ge 3 ] && pass "$failures write points failed cleanly" || fail "only $failures write points failed"
[ "$saved" -eq 1 ] && pass "the note went through once the fault was past" || fail "no run succeeded"
HTD_FAIL_WRITE_AFTER=0 LD_PRELOAD="$HTD_FAILWRITE" run --db shim.db calls note "$ID" "x"
rc_is 1 "a failed write exits 1"; has "$ERR" "the disk is full" "and says the disk is full"
HTD_FAIL_FSYNC=1 LD_PRELOAD="$HTD_FAILWRITE" run --db shim.db calls note "$ID" "fsync fails"
rc_is 1 "a failed fsync exits 1"; has "$ERR" "input/output error" "and names the I/O error"
run --db shim.db calls show "$ID"; has "$OUT" "saved before the faults" "what was saved before is still there"
lacks "$OUT" "fsync fails" "a note whose fsync failed is not acknowledged"

# ---- a real full disk (tmpfs) and a read-only directory ------------------------
if [ "$(id -u)" -ne 0 ] || ! mkdir -p full ro || ! mount -t tmpfs -o size=2m tmpfs full 2>/dev/null; then
	echo "ok $((n + 1)) # SKIP full-disk and read-only mounts need root"; n=$((n + 1))
	done_testing; exit
fi
mounts+=("$T/full")
run --db full/h.db init; rc_is 0 "init on a small tmpfs"
run --db full/h.db calls open --location "farm"; rc_is 0 "open on the small tmpfs"
run --db full/h.db calls note "$ID" "before the disk filled"; rc_is 0 "note before the disk fills"
dd if=/dev/zero of=full/filler bs=4k 2>/dev/null
note=$(head -c 12000 /dev/zero | tr '\0' 'n')
full_failures=0
for i in 1 2 3 4 5 6 7 8; do
	run --db full/h.db calls note "$ID" "$note $i"
	if [ "$RC" -ne 0 ]; then full_failures=$((full_failures + 1)); last_err=$ERR; fi
done
[ "$full_failures" -ge 1 ] && pass "notes fail on a full disk" || fail "the disk never filled"
has "${last_err:-}" "the disk is full" "the error says the disk is full"
has "${last_err:-}" "full/h.db" "and names the database"
rm -f full/filler
run --db full/h.db db check; rc_is 0 "consistent after the disk filled"
run --db full/h.db calls show "$ID"; has "$OUT" "before the disk filled" "nothing saved before is lost"
expected=$((1 + 8 - full_failures))
is "$(note_count full/h.db)" "$expected" "exactly the acknowledged notes are stored"

mount -t tmpfs -o size=4m tmpfs ro && mounts+=("$T/ro")
run --db ro/h.db init; rc_is 0 "init before the directory turns read-only"
run --db ro/h.db calls open; rc_is 0 "open before read-only"
mount -o remount,ro ro
run --db ro/h.db calls note "$ID" "cannot be written"; rc_is 1 "a write to a read-only directory fails"
has "$ERR" "ro/h.db" "names the database"
has "$ERR" "read-only" "says read-only"
run --db ro/new.db init; rc_is 1 "init in a read-only directory fails"; has "$ERR" "read-only" "says read-only"
[ ! -e ro/new.db ] && pass "nothing half-created" || fail "ro/new.db exists"
mount -o remount,rw ro
run --db ro/h.db db check; rc_is 0 "consistent after the read-only spell"
run --db ro/h.db calls show "$ID"; rc_is 0 "the call is still there"; lacks "$OUT" "cannot be written" "the failed note is not"

done_testing
