# api_lib.sh - drive a real `htdispatch serve` over HTTP from the TAP
# scripts (sourced after lib.sh): start it on a free loopback port under
# $HTD_WRAPPER on the test's own database, send requests with curl, check
# statuses and JSON with jq, stop it with a signal and check it exited
# cleanly (under valgrind: no memory error, no leak).

SERVER_PID=""
BASE=""
TOKEN=""
STATUS=0
RESP=""
HDRS=""
# Background helpers (SSE readers, slow clients) to stop at exit.
BG_PIDS=()

cleanup_hook() {
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
}

# The password of each test user.
password_of() { printf 'pw-%s-0123456789' "$1"; }

# user_add NAME ROLE: creates a user with the CLI, password on stdin.
user_add() {
	run user add "$1" --role "$2" <<<"$(password_of "$1")"
	rc_is 0 "user add $1 ($2)"
}

# serve_start [ARGS...]: starts the server (2 threads unless ARGS say
# otherwise) and waits until /readyz answers 200. Logs go to
# $T/serve.err, the address line to $T/serve.out.
serve_start() {
	: >"$T/serve.out"
	: >"$T/serve.err"
	# Info: one line per request, which the tests read (and check for
	# what must never be there).
	# shellcheck disable=SC2086
	HTDISPATCH_LOG=info ${HTD_WRAPPER:-} "$HTD" serve --listen 127.0.0.1:0 --threads 2 "$@" \
		>"$T/serve.out" 2>"$T/serve.err" &
	SERVER_PID=$!
	local i line
	for i in $(seq 1 3000); do
		line=$(grep -m1 'listening on' "$T/serve.out" 2>/dev/null)
		[ -n "$line" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	BASE=${line##* }
	if [ -z "$line" ]; then
		fail "server starts" "no 'listening on' line" "$(tail -n 20 "$T/serve.err")"
		SERVER_PID=""
		return 1
	fi
	for i in $(seq 1 3000); do
		# -k: the HTTPS test's certificate is a throwaway one.
		[ "$(curl -s -k -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ] && break
		sleep 0.1
	done
	pass "server listens on $BASE"
}

# serve_stop [SIGNAL]: stops the server and sets SERVER_RC.
serve_stop() {
	SERVER_RC=0
	[ -n "$SERVER_PID" ] || return 0
	kill "-${1:-TERM}" "$SERVER_PID"
	wait "$SERVER_PID"
	SERVER_RC=$?
	SERVER_PID=""
	# A server that did not exit cleanly: show the end of its log (and a
	# sanitizer's or libmicrohttpd's last words) in the test's output.
	if [ "$SERVER_RC" -ne 0 ] && [ "$SERVER_RC" -ne 99 ]; then
		echo "# htdispatch serve exited $SERVER_RC; the end of its log:"
		grep -v 'event=http_request' "$T/serve.err" | tail -n 25 | sed 's/^/#   /'
	fi
	if [ -n "${HTD_WRAPPER:-}" ]; then
		if [ "$SERVER_RC" -eq 99 ]; then
			fail "memcheck clean: htdispatch serve" "valgrind reported errors" \
				"$(grep -E '^==' "$T/serve.err" | head -n 40)"
		else
			pass "memcheck clean: htdispatch serve"
		fi
	fi
}

# http METHOD PATH [JSON [CURL-ARGS...]]: one request with $TOKEN as the
# Bearer token (when set). Sets STATUS, RESP (the body) and HDRS (the
# response headers); OUT/ERR too, so a failing check shows them.
http() {
	local method=$1 path=$2 data=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -o "$T/.body" -D "$T/.hdrs" -w '%{http_code}'
		-X "$method" --max-time 60)
	[ -n "$TOKEN" ] && args+=(-H "Authorization: Bearer $TOKEN")
	if [ -n "$data" ]; then
		case "$*" in
		*Content-Type:*) ;; # the test sends its own
		*) args+=(-H 'Content-Type: application/json') ;;
		esac
		args+=(--data-binary "$data")
	fi
	STATUS=$(curl "${args[@]}" "$@" "$BASE$path")
	RESP=$(cat "$T/.body" 2>/dev/null)
	HDRS=$(tr -d '\r' <"$T/.hdrs" 2>/dev/null)
	OUT="$method $path -> $STATUS $RESP"
	ERR=$HDRS
	RC=$STATUS
}

status_is() {
	if [ "$STATUS" = "$1" ]; then pass "$2"; else fail "$2" "status $STATUS, wanted $1"; fi
}

# json_is FILTER WANT NAME: jq -r FILTER on the last body gives WANT.
json_is() {
	local got
	got=$(printf '%s' "$RESP" | jq -r "$1" 2>/dev/null)
	is "$got" "$2" "$3"
}

# error_is STATUS CODE FIELD NAME: the one error shape, with field (or
# "null").
error_is() {
	status_is "$1" "$4 ($1)"
	json_is '.error.code' "$2" "$4: code $2"
	json_is '.error.field' "$3" "$4: field $3"
	json_is '.error | has("message")' true "$4: has a message"
}

# login NAME [PASSWORD]: sets TOKEN (and CSRF) from a new session.
login() {
	TOKEN=""
	http POST /api/v1/sessions \
		"{\"username\":\"$1\",\"password\":\"${2:-$(password_of "$1")}\"}"
	TOKEN=$(printf '%s' "$RESP" | jq -r '.token // empty')
	CSRF=$(printf '%s' "$RESP" | jq -r '.csrf // empty')
}

# wait_for FILE PATTERN [SECONDS]: true once FILE contains PATTERN.
wait_for() {
	local i
	for i in $(seq 1 $((${3:-30} * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
