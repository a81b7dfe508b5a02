#!/usr/bin/env bash
# run.sh - `make run`: install what is missing, build, create the database
# under ./var/ when needed, create demo users the first time (one per
# role, random passwords printed once, here), and start the HTTP API on
# http://127.0.0.1:8080 (Ctrl-C stops it; `kill -HUP` reloads the
# protocol, policy and lexicons).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
htd=./build/htdispatch
listen=${HTDISPATCH_LISTEN:-127.0.0.1:8080}

if [ ! -f ./var/htdispatch.db ]; then
	"$htd" init >/dev/null
	echo "Created the database at ./var/htdispatch.db"
fi

# Demo users, one per role, only when there are no users at all.
users=$("$htd" user list --json | jq '.users | length')
if [ "$users" -eq 0 ]; then
	echo
	echo "DEMO ONLY - change or lock these accounts before real use"
	echo "(htdispatch user passwd NAME / htdispatch user lock NAME)."
	echo "The passwords are shown this once; they are not stored anywhere"
	echo "readable."
	echo
	printf '  %-18s %-13s %s\n' USER ROLE PASSWORD
	for role in calltaker dispatcher supervisor investigator records auditor admin; do
		name="demo-$role"
		# 18 random bytes: 24 characters of base64url.
		pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
		printf '%s\n' "$pw" |
			"$htd" user add "$name" --role "$role" --display "Demo $role" >/dev/null
		printf '  %-18s %-13s %s\n' "$name" "$role" "$pw"
	done
	echo
fi

echo "Starting the API on http://$listen (Ctrl-C stops it). Try:"
echo "  curl -s http://$listen/healthz"
echo "  curl -s -X POST -H 'Content-Type: application/json' \\"
echo "    -d '{\"username\":\"demo-calltaker\",\"password\":\"...\"}' http://$listen/api/v1/sessions"
echo
exec "$htd" serve --config etc/htdispatch.yaml --listen "$listen"
