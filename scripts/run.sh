#!/usr/bin/env bash
# run.sh - `make run`: install what is missing, build, create the database
# under ./var/ when needed, and show a newcomer how to take a call.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "htdispatch is built: ./build/htdispatch (data in ./var/, see README.md)"
echo
exec ./build/htdispatch init
