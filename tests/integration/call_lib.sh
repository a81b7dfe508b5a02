# call_lib.sh - what call.sh and call_tmux.sh share: the engine options that
# point `htdispatch call` at the shipped protocol and policy and at the test
# lexicon (tests/fixtures/lexicon: small, so that it compiles in seconds even
# under valgrind, and does not move when data/lexicon grows), the time limit
# for waiting on a live session, and yaml_text, which reads a question's wording from the protocol file so
# that the tests follow the file rather than a copy of its texts.
# Sourced after lib.sh ($T is set).

SRC=$HTD_SOURCE_ROOT
PROTO=$SRC/data/protocol/nena-ht.yaml
E=(--protocol "$PROTO" --policy "$SRC/etc/policy.yaml"
	--lexicon "$SRC/tests/fixtures/lexicon" --cache "$T/cache")

# How long to wait for a live session (seconds): a limit for a stuck
# session, not a timing; valgrind makes every step slower.
LIMIT=60
[ -n "${HTD_WRAPPER:-}" ] && LIMIT=300

# yaml_text QID KEY LANG: the KEY (text, covert, why) of question QID in
# LANG, as the protocol file writes it (quotes taken off).
yaml_text() {
	awk -v id="$1" -v key="$2" -v lang="$3" '
		$0 == "  - id: " id { q = 1; next }
		q && /^  - id: / { exit }
		q && $0 == "    " key ":" { k = 1; next }
		q && k && index($0, "      " lang ": ") == 1 {
			sub("^      " lang ": \"", ""); sub("\"$", ""); print; exit
		}
		q && k && /^    [a-z_]+:/ { k = 0 }
	' "$PROTO"
}

