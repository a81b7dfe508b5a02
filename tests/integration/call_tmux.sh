#!/usr/bin/env bash
# call_tmux.sh - `htdispatch call` at a real terminal: tmux runs it in a
# 120x50 pane, the test types as a call-taker would (send-keys) and reads the
# screen (capture-pane): the prompt, the switch to Spanish, a bad answer
# asked again, the decision as it changes, an indicator from a note, and,
# after :close, the call closed in the database. Every wait polls the screen
# for the text it expects, with a time limit; nothing sleeps a fixed time.
# Skipped when tmux is not installed (scripts/deps.sh installs it).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/call_lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed (scripts/deps.sh installs it)"
	exit 0
fi

# A tmux server of our own (its socket in $T, no user configuration),
# killed when the script ends however it ends (lib.sh's EXIT trap calls the
# hook, then removes $T).
tm() { tmux -u -S "$T/tmux.sock" -f "$T/tmux.conf" "$@"; }
cleanup_hook() { tm kill-server >/dev/null 2>&1; }
# exit-empty off: the server stays up between the two sessions (killing the
# first one must not race the start of the second: "server exited
# unexpectedly", seen once in CI under load).
printf 'set -g history-limit 50000\nset -g status off\nset -s exit-empty off\n' >"$T/tmux.conf"
export LC_ALL=C.UTF-8

# screen: everything the pane has shown, wrapped lines joined.
screen() { tm capture-pane -p -J -S - -t call 2>/dev/null; }

# wait_for TEXT [COUNT]: waits until TEXT is on the screen COUNT times
# (default 1); false after $LIMIT seconds.
wait_for() {
	local want=${2:-1} end=$((SECONDS + LIMIT))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(screen | grep -cF -- "$1")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# see TEXT NAME [COUNT]: a test point that TEXT shows up; on a timeout the
# screen is shown and the script ends (what follows depends on it).
see() {
	if wait_for "$1" "${3:-1}"; then
		pass "$2"
	else
		fail "$2" "not on the screen after ${LIMIT}s: $1"
		screen | tail -n 40 | sed 's/^/#   screen: /'
		done_testing
		exit 1
	fi
}

# type_line TEXT: types TEXT and Enter, as a person would.
type_line() { tm send-keys -t call -l -- "$1" && tm send-keys -t call Enter; }

run init; rc_is 0 "init"

# The session runs a script so that its exit status shows on the screen.
{
	printf 'cd %q || exit 1\n' "$T"
	printf '%s ' ${HTD_WRAPPER:-} "$HTD" call
	printf '%q ' "${E[@]}" --location "Lakeside Farms, Route 9"
	printf '\necho "[exit $?]"\nexec sleep 3600\n'
} >"$T/session.sh"
tm new-session -d -s call -x 120 -y 50 "bash $T/session.sh" ||
	{ fail "tmux starts a session"; done_testing; exit 1; }
pass "tmux starts a 120x50 session"

see "Answer the question shown, or type a command" "at a terminal, a first hint is shown"
see "in_danger_now>" "the prompt names the question"
has "$(screen)" "$(yaml_text in_danger_now text en)" "the question in English"
has "$(screen)" "why: $(yaml_text in_danger_now why en)" "why it is asked"
ID=$(screen | sed -n 's/^Call \(HT-[0-9]*-[0-9]*\) opened.*/\1/p')
[ -n "$ID" ] && pass "the call's id is shown ($ID)" || fail "the call's id is shown"

type_line "no"
see "safe_to_talk>" "an answer moves to the next question"
type_line ":lang es"
see "$(yaml_text safe_to_talk text es)" ":lang es shows the question in Spanish"
see "safe_to_talk>" "and asks it again" 2
type_line "maybe"
see 'safe_to_talk takes yes, no or unknown, not "maybe"' "a bad answer names the question"
see "safe_to_talk>" "and the question is asked again" 3
type_line "si"
see "caller_is_victim>" "sí/si is a yes"
has "$(screen)" "$(yaml_text caller_is_victim text es)" "the next question is in Spanish too"
type_line "yes"
see "escaped>" "escaped is asked"
type_line "no"
see "happening_now>" "happening_now is asked"
type_line "yes"
see "free_to_leave>" "free_to_leave is asked"
type_line "no"
see "== Call $ID: victim_call, priority 2 ==" "the decision: victim_call"
see "[ ] dispatch_officer" "dispatch_officer on the checklist"
has "$(screen)" "Enviar un agente a la víctima" "its label in the questions' language"
type_line ":note the boss took my passport"
see 'took my passport"' "the note's indicator, with its words"
has "$(screen | grep -F 'took my passport"')" "documents_withheld" "named"
type_line ":done dispatch_officer Unit 12 sent"
see "[x] dispatch_officer" "an action marked done"
type_line ":close officer_handled Unit 12 met the caller at the gate"
see "Call $ID closed: officer_handled." "the call is closed"
see "[exit 0]" "htdispatch call exits 0"

run calls show "$ID" --json; rc_is 0 "calls show"
has "$OUT" '"status":"closed"' "the call is closed in the database"
has "$OUT" '"disposition":"officer_handled"' "with its disposition"
has "$OUT" '"close_summary":"Unit 12 met the caller at the gate"' "and summary"
has "$OUT" '"answers":{"in_danger_now":"no","safe_to_talk":"yes","caller_is_victim":"yes","escaped":"no","happening_now":"yes","free_to_leave":"no"}' \
	"every answer typed is saved, the bad one is not"
has "$OUT" '"category":"victim_call"' "the category"
has "$OUT" '"id":"dispatch_officer","state":"done"' "the action done"
has "$OUT" '"location":"Lakeside Farms, Route 9"' "the location given"

# ---- a second session: a covert caller, then :quit ------------------------------------
{
	printf 'cd %q || exit 1\n' "$T"
	printf '%s ' ${HTD_WRAPPER:-} "$HTD" call
	printf '%q ' "${E[@]}" --language es
	printf '\necho "[exit $?]"\nexec sleep 3600\n'
} >"$T/session2.sh"
tm kill-session -t call
tm new-session -d -s call -x 120 -y 50 "bash $T/session2.sh"
see "in_danger_now>" "a second call, in Spanish"
ID2=$(screen | sed -n 's/^Call \(HT-[0-9]*-[0-9]*\) opened.*/\1/p')
type_line "no"
see "safe_to_talk>" "safe_to_talk is asked"
type_line "no"
see "NO DEVOLVER LA LLAMADA" "caller cannot talk: the flag, in Spanish"
see "[ ] no_callback" "no_callback required"
see "$(yaml_text caller_is_victim covert es)" "the covert wording"
type_line ":quit"
see "Call $ID2 is still open" ":quit leaves the call open"
see "calls show $ID2" "and says how to see it"
see "[exit 0]" "and exits 0"
run calls show "$ID2" --json
has "$OUT" '"status":"open"' "the second call is open in the database"
has "$OUT" '"id":"no_callback","state":"required"' "with no_callback required"

done_testing
