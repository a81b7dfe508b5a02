#!/usr/bin/env bash
# checksrc.sh - mechanical checks on our C sources, in the spirit of curl's
# checksrc: banned functions that invite overflows or hide errors, and the
# header comment every file opens with. Prints each offence as file:line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

status=0
# With arguments, check those files (the self-test uses this).
if [ $# -gt 0 ]; then
	files=$(printf '%s\n' "$@")
else
	files=$(git ls-files -co --exclude-standard -- 'src/*.[ch]' \
		'tests/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]' 2>/dev/null |
		grep -v '^tests/fixtures/checksrc/' | sort -u)
fi
[ -n "$files" ] || { echo "checksrc: no sources found" >&2; exit 1; }

# strcpy/strcat/sprintf/vsprintf: unbounded writes (use str_copy, str_format,
# struct buf); strtok: hidden state; atoi/atol/atoll: no error reporting
# (use str_to_i64); gets: unbounded read. A line may opt out with the
# comment "checksrc: allow" and a reason.
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|gets)[[:space:]]*\('
while IFS= read -r hit; do
	case "$hit" in *"checksrc: allow"*) continue ;; esac
	echo "checksrc: banned function: $hit"
	status=1
done < <(echo "$files" | xargs grep -nE "$banned" /dev/null 2>/dev/null)

for f in $files; do
	# Every file opens with a comment saying what it is for.
	first=$(grep -m1 -vE '^[[:space:]]*$' "$f")
	case "$first" in
	"/*"*) ;;
	*) echo "checksrc: $f:1: no header comment (say what this file is for)"; status=1 ;;
	esac
	if grep -nP '[ \t]+$' "$f" >/dev/null; then
		grep -nP '[ \t]+$' "$f" | head -n 3 | sed "s|^|checksrc: $f:|; s|$| (trailing white space)|"
		status=1
	fi
done

# The layout is clang-format's (.clang-format); `clang-format -i FILE` fixes it.
if command -v clang-format >/dev/null; then
	for f in $files; do
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			echo "checksrc: $f: not formatted (run: clang-format -i $f)"
			status=1
		fi
	done
else
	echo "checksrc: clang-format not installed; layout not checked" >&2
	status=1
fi

if [ "$status" -eq 0 ]; then
	echo "checksrc: $(echo "$files" | wc -l) files clean"
fi
exit "$status"
