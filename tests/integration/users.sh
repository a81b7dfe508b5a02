#!/usr/bin/env bash
# users.sh - `htdispatch user` and `htdispatch audit` as an administrator
# uses them: users added with the password on standard input (never on the
# command line), listed, locked and unlocked; the audit log showing every
# change and every read of a call made from the CLI, by cli:<login>; and
# no password anywhere in the database.
. "$(dirname "$0")/lib.sh"
YEAR=$(date +%Y)
ME="cli:$(id -un)"
PW="a long password 1"

# ---- help and usage errors --------------------------------------------------
for c in user audit; do
	run "$c" --help; rc_is 0 "$c --help"; has "$OUT" "usage: htdispatch $c" "$c --help shows usage"
done
run --help; has "$OUT" "user " "the command list names user"; has "$OUT" "audit " "and audit"
run user; rc_is 2 "user without an action"
run user frob; rc_is 2 "unknown user action"; has "$ERR" "no action 'frob'" "names it"
run user add ana; rc_is 2 "add without --role"; has "$ERR" "--role" "asks for the role"
run user add ana --role calltaker --password "$PW"; rc_is 2 "no password on the command line"
has "$ERR" "unknown option '--password'" "there is no such option"
run audit frob; rc_is 2 "unknown audit action"
run user list; rc_is 1 "list before init fails"; has "$ERR" "htdispatch init" "and says to run init"

# ---- adding users ---------------------------------------------------------------
run init; rc_is 0 "init"
printf '%s\n' "$PW" >pw.txt
run user add ana --role calltaker --display "Ana Ruiz" <pw.txt
rc_is 0 "add a user, password on stdin"; has "$OUT" "User ana added (calltaker)" "says so"
run user add ana --role admin <pw.txt; rc_is 1 "a taken name"; has "$ERR" "user ana already" "says it is taken"
printf 'short\n' >short.txt
run user add bo --role admin <short.txt; rc_is 2 "a short password"; has "$ERR" "at least 12 bytes" "says how long"
lacks "$ERR" "short" "without repeating the password"
run user add bo --role admin; rc_is 2 "no password at all (stdin empty)"; has "$ERR" "no password on standard input" "says where it is read"
run user add bo --role boss <pw.txt; rc_is 2 "unknown role"; has "$ERR" "calltaker, dispatcher" "lists the roles"
run user add "Bo Smith" --role admin <pw.txt; rc_is 2 "bad name"; has "$ERR" "a-z, 0-9" "says what a name is"
printf 'bo.admin\n' >same.txt
run user add bo.admin --role admin <same.txt; rc_is 2 "password = name"
run user add bo.admin --role admin --json <pw.txt; rc_is 0 "add --json"; has "$OUT" '"name":"bo.admin"' "json names the user"
run user add cy --role auditor --json <short.txt; rc_is 2 "json error"; has "$OUT" '"field":"password"' "json error names the field"

# ---- list, lock, unlock, passwd --------------------------------------------------
run user list; rc_is 0 "list"
has "$OUT" "ana                  calltaker" "ana is listed with her role"
has "$OUT" "Ana Ruiz" "and her display name"
has "$OUT" "bo.admin" "bo.admin too"
run user list --json; rc_is 0 "list --json"; has "$OUT" '"name":"ana","display":"Ana Ruiz","role":"calltaker","disabled":false' "json user"
run user lock ana; rc_is 0 "lock"; has "$OUT" "ana locked" "says so"
run user list; has "$OUT" "disabled" "a locked user shows as disabled"
run user unlock ana; rc_is 0 "unlock"
run user list; lacks "$OUT" "disabled" "and active again"
run user lock nobody; rc_is 1 "lock an unknown user"; has "$ERR" "no user nobody" "names the user"
printf 'another long one 2\n' >pw2.txt
run user passwd ana <pw2.txt; rc_is 0 "passwd"; has "$OUT" "sessions were ended" "says sessions end"
run user passwd ana <short.txt; rc_is 2 "passwd keeps the rules"

# ---- the audit log: changes and the CLI's reads of calls --------------------------
run calls open --location "12 Farm Road"; rc_is 0 "open a call"
ID="HT-$YEAR-000001"
run calls show "$ID"; rc_is 0 "read the call"
run calls show "HT-$YEAR-000099"; rc_is 1 "read a call that does not exist"
run calls list; rc_is 0 "list calls"
run audit list --object "call:$ID"; rc_is 0 "audit list by object"
has "$OUT" "$ME" "the CLI's entries name the login"
has "$OUT" "call.read" "the read of the call is recorded"
has "$OUT" "call.open" "and its opening"
lacks "$OUT" "Farm Road" "but not what the call says"
run audit list --actor "$ME" --json; rc_is 0 "audit list --json by actor"
has "$OUT" "\"actor\":\"$ME\",\"action\":\"call.read\",\"object\":\"call:$ID\",\"address\":\"cli\",\"outcome\":\"ok\"" "json: the CLI's read"
has "$OUT" "\"action\":\"call.read\",\"object\":\"call:HT-$YEAR-000099\",\"address\":\"cli\",\"outcome\":\"not_found\"" "json: the read of a missing call"
has "$OUT" '"action":"call.list"' "json: the list"
has "$OUT" '"action":"user.add","object":"user:ana","address":"cli","outcome":"ok","detail":"role=calltaker"' "json: a user added"
has "$OUT" '"action":"user.add","object":"user:ana","address":"cli","outcome":"conflict"' "json: the refused add"
has "$OUT" '"action":"user.lock","object":"user:ana"' "json: the lock"
has "$OUT" '"action":"user.passwd","object":"user:ana","address":"cli","outcome":"ok"' "json: the new password"
run audit list --limit 2; rc_is 0 "a short page"; has "$OUT" "More: htdispatch audit list --after" "paging hint"
run audit list --action x; rc_is 2 "unknown option"
run audit list --limit 0; rc_is 2 "limit 0"; has "$ERR" "limit must be" "explains the limit"
run audit list --json --since yesterday; rc_is 2 "bad time"; has "$OUT" '"field":"since"' "names the field"
run audit list --after abc; rc_is 2 "bad cursor"
run audit list --actor nobody; rc_is 0 "no match"; has "$OUT" "No audit entries match" "says so"
run audit list --object "" --actor "$ME" --limit 1; rc_is 0 "the newest entry"
has "$OUT" "audit.read" "reading the log is itself recorded"

# ---- nothing secret is kept, nothing is rewritten ------------------------------
if grep -qa -e "$PW" -e "another long one" var/htdispatch.db* 2>/dev/null; then
	fail "no password in the database files"
else
	pass "no password in the database files"
fi
is "$(sqlite3 var/htdispatch.db "SELECT count(*) FROM users WHERE password_hash LIKE 'scrypt\$8192\$8\$10\$%'")" "2" "passwords are scrypt hashes"
sqlite3 var/htdispatch.db "DELETE FROM audit" 2>/dev/null && fail "the audit log refuses DELETE" || pass "the audit log refuses DELETE"
sqlite3 var/htdispatch.db "UPDATE audit SET actor = 'x'" 2>/dev/null && fail "the audit log refuses UPDATE" || pass "the audit log refuses UPDATE"
run db check; rc_is 0 "db check passes"

done_testing
