# lib.sh - a small TAP harness for the integration scripts.
#
# Each script sources this, calls `run` to execute htdispatch, then `ok`,
# `is`, `has` to check; `done_testing` prints the plan. $HTD is the binary
# (set by meson); $HTD_WRAPPER (e.g. valgrind) runs in front of it.

set -u
T=$(mktemp -d "${TMPDIR:-/tmp}/htd-it-XXXXXX")
trap 'cleanup_hook 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
export HTDISPATCH_LOG=warn
# Commands that decide load the shipped protocol, policy and lexicons from
# the source tree (the tests run in a temporary directory). The compiled
# lexicon is cached in one place for every script: compiling it under
# valgrind once is enough.
if [ -n "${HTD_SOURCE_ROOT:-}" ]; then
	export HTDISPATCH_PROTOCOL="$HTD_SOURCE_ROOT/data/protocol/nena-ht.yaml"
	export HTDISPATCH_POLICY="$HTD_SOURCE_ROOT/etc/policy.yaml"
	export HTDISPATCH_LEXICON="$HTD_SOURCE_ROOT/data/lexicon"
fi
export HTDISPATCH_CACHE="${TMPDIR:-/tmp}/htd-test-cache-$(id -u)"
unset HTDISPATCH_DB
n=0
failed=0
OUT=""
ERR=""
RC=0

# run ARGS... : runs htdispatch, keeping stdout in $OUT, stderr in $ERR and
# the exit status in $RC. Standard input is /dev/null unless redirected.
run() {
	# shellcheck disable=SC2086
	${HTD_WRAPPER:-} "$HTD" "$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	# Under valgrind (--error-exitcode=99) every run is also a check.
	if [ -n "${HTD_WRAPPER:-}" ]; then
		if [ "$RC" -eq 99 ]; then
			fail "memcheck clean: htdispatch $*" "valgrind reported errors"
		else
			pass "memcheck clean: htdispatch $*"
		fi
	fi
}

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
	echo "#   last command: rc=$RC"
	printf '%s\n' "$OUT" | head -n 20 | sed 's/^/#   out: /'
	printf '%s\n' "$ERR" | head -n 20 | sed 's/^/#   err: /'
}

# rc_is WANT NAME: the last command exited with WANT.
rc_is() { if [ "$RC" -eq "$1" ]; then pass "$2"; else fail "$2" "exit $RC, wanted $1"; fi; }
# has HAYSTACK NEEDLE NAME: HAYSTACK contains NEEDLE.
has() {
	case "$1" in
	*"$2"*) pass "$3" ;;
	*) fail "$3" "missing: $2" ;;
	esac
}
lacks() {
	case "$1" in
	*"$2"*) fail "$3" "unexpected: $2" ;;
	*) pass "$3" ;;
	esac
}
is() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got '$1', wanted '$2'"; fi; }

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
