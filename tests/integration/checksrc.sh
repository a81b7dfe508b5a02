#!/usr/bin/env bash
# checksrc.sh (test) - the source checks pass on our tree and catch what
# they are meant to catch in a fixture.
. "$(dirname "$0")/lib.sh"
S="$HTD_SOURCE_ROOT/scripts/checksrc.sh"
F="$HTD_SOURCE_ROOT/tests/fixtures/checksrc"
OUT=$("$S" 2>&1); RC=$?
rc_is 0 "the tree passes checksrc"
OUT=$("$S" "$F/bad.c" 2>&1); RC=$?
rc_is 1 "the fixture fails checksrc"
for f in strcpy sprintf atoi strtok; do has "$OUT" "$f(" "reports $f"; done
is "$(grep -c 'strcpy(' <<<"$OUT")" "1" "honours 'checksrc: allow'"
OUT=$("$S" "$F/noheader.c" 2>&1); RC=$?
rc_is 1 "a file without a header comment fails"
OUT=$("$S" "$F/unformatted.c" 2>&1); RC=$?
rc_is 1 "a file not laid out by clang-format fails"; has "$OUT" "not formatted" "says so"
done_testing
