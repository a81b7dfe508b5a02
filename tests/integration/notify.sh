#!/usr/bin/env bash
# notify.sh - the notification transports (src/notify) against real
# receivers on loopback, started here: tests/support/http_sink.py (checks
# the webhook signature; fails, hangs up or stalls on demand) and
# tests/support/smtp_sink.py (SMTP with optional STARTTLS and AUTH). Each
# attempt is one run of notify_send (under $HTD_WRAPPER), whose outcome
# must be what an outbox worker needs: delivered, retry (down, slow, 5xx,
# 429, hung up) or permanent (refused, misconfigured, a certificate that
# does not verify, no STARTTLS) - and whose output never holds a secret.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
SUPPORT="$HTD_SOURCE_ROOT/tests/support"
SINK_PIDS=()
cleanup_hook() { for p in "${SINK_PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
# Every output of notify_send, to look for secrets at the end.
: >"$T/all-output"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# sink_start NAME SCRIPT ARGS...: starts a sink logging to $T/NAME.log and
# sets PORT (and SINK_PID) once it listens.
sink_start() {
	local name=$1 script=$2 i
	shift 2
	: >"$T/$name.log"
	"$PY" "$SUPPORT/$script" --log "$T/$name.log" "$@" >"$T/$name.port" 2>"$T/$name.err" &
	SINK_PID=$!
	SINK_PIDS+=("$SINK_PID")
	PORT=""
	for i in $(seq 1 200); do
		PORT=$(head -n1 "$T/$name.port" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "sink $name starts" "$(cat "$T/$name.err")"
	return 1
}

# send ARGS...: one attempt, like lib.sh's `run` (under valgrind, each run
# is also a memcheck test point, named without the arguments' line breaks
# so the TAP stays one line each); $OUT holds the key=value lines.
send() {
	local name="notify_send $*"
	name=${name//$'\r'/\\r}
	name=${name//$'\n'/\\n}
	# Under valgrind a TLS handshake takes seconds: more time to connect
	# (a test's own --timeout-ms, later on the line, still wins).
	local slow=()
	[ -n "${HTD_WRAPPER:-}" ] && slow=(--connect-timeout-ms 30000 --timeout-ms 60000)
	# shellcheck disable=SC2086
	${HTD_WRAPPER:-} "$HTD_NOTIFY_SEND" "${slow[@]}" "$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	if [ -n "${HTD_WRAPPER:-}" ]; then
		if [ "$RC" -eq 99 ]; then
			fail "memcheck clean: $name" "valgrind reported errors"
		else
			pass "memcheck clean: $name"
		fi
	fi
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$T/all-output"
}
val() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }
outcome_is() { is "$(val outcome)" "$1" "$2: $1"; }
status_is() { is "$(val status)" "$1" "$2: status $1"; }
# last NAME FILTER: a jq filter on the last line of a sink's log.
last() { tail -n1 "$T/$1.log" | jq -r "$2"; }
# message NAME FILTER: the same on the last message an SMTP sink took.
message() { jq -c 'select(.event == "message")' "$T/$1.log" | tail -n1 | jq -r "$2"; }
lines() { wc -l <"$T/$1.log" | tr -d ' '; }
# wait_lines NAME N: waits (up to 10 s) until a sink has logged N lines.
wait_lines() {
	local i
	for i in $(seq 1 200); do
		[ "$(lines "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
}
control() { curl -s -o /dev/null -X POST -d "$2" "http://127.0.0.1:$1/_control"; }

# Secrets, private to us as notify_secret_read requires.
umask 077
head -c 24 /dev/urandom | base64 >"$T/hook.key"
HOOK_KEY=$(cat "$T/hook.key")
head -c 24 /dev/urandom | base64 >"$T/other.key"
printf 'smtp-Pa55-%s\n' "$(head -c 9 /dev/urandom | base64 | tr '+/' '-_')" >"$T/smtp.pass"
SMTP_PASS=$(cat "$T/smtp.pass")
BODY='{"call":"HT-2026-000042","category":"victim_call","priority":1}'

# ---- webhook: delivered, signed, keyed ------------------------------------
sink_start hook http_sink.py --secret-file "$T/hook.key" || { done_testing; exit 1; }
HOOK=$PORT
HOOK_URL="http://127.0.0.1:$HOOK/hooks/htd"
hook() { send --transport webhook --url "$HOOK_URL" --allow-http --secret "file:$T/hook.key" "$@"; }

hook --key ntf-1 --kind supervisor_notice --body "$BODY"
rc_is 0 "webhook: delivered"; outcome_is delivered "webhook"; status_is 200 "webhook"
is "$(val error)" "" "webhook: no error when delivered"
is "$(last hook .signature_valid)" true "the sink verifies the HMAC-SHA256 signature"
is "$(last hook .timestamp_fresh)" true "the signed timestamp is now"
is "$(last hook '.headers["Idempotency-Key"]')" ntf-1 "Idempotency-Key header"
is "$(last hook '.headers["X-Htdispatch-Kind"]')" supervisor_notice "X-Htdispatch-Kind header"
is "$(last hook '.headers["Content-Type"]')" application/json "Content-Type: application/json"
has "$(last hook '.headers["User-Agent"]')" "htdispatch/" "User-Agent: htdispatch/<version>"
is "$(last hook .method) $(last hook .path)" "POST /hooks/htd" "POST to the URL's path"
is "$(last hook .body)" "$BODY" "the body arrives as is"
is "$(last hook '.headers.Expect // "none"')" none "no Expect: 100-continue"

# A large body: one request, no Expect: 100-continue round trip; over
# 1 MiB is refused before sending.
{ printf '{"pad":"'; head -c 900000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/big.json"
hook --key ntf-big --body-file "$T/big.json"
outcome_is delivered "a 900 kB body"
is "$(last hook '.signature_valid, (.body | length), .headers.Expect // "none"' | tr '\n' ' ')" \
	"true 900010 none " "a 900 kB body arrives whole and signed"
{ printf '{"pad":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}'; } >"$T/huge.json"
N=$(lines hook)
hook --key ntf-huge --body-file "$T/huge.json"
outcome_is permanent "a body over 1 MiB"
is "$(lines hook)" "$N" "a body over 1 MiB is not sent"

# A signature made with another key does not verify at the receiver.
send --transport webhook --url "$HOOK_URL" --allow-http --secret "file:$T/other.key" \
	--key ntf-2 --body "$BODY"
outcome_is delivered "webhook with another key"
is "$(last hook .signature_valid)" false "the sink rejects a signature made with another key"

# An old timestamp is outside a receiver's 5-minute replay window.
hook --key ntf-3 --body "$BODY" --now-ms 1700000000000
is "$(last hook .signature_valid) $(last hook .timestamp_fresh)" "true false" \
	"a replayed (old) timestamp is detectable"

# ---- webhook: what the receiver says --------------------------------------
control "$HOOK" '{"status":500}'
hook --key ntf-4 --body "$BODY"
rc_is 1 "HTTP 500: exit 1"; outcome_is retry "HTTP 500"; status_is 500 "HTTP 500"
has "$(val error)" "HTTP 500" "HTTP 500: the error says so"
is "$(val retry_after)" -1 "HTTP 500: no Retry-After"

control "$HOOK" '{"status":503}'
hook --key ntf-4 --body "$BODY"
outcome_is retry "HTTP 503"

control "$HOOK" '{"status":429,"retry_after":"7"}'
hook --key ntf-5 --body "$BODY"
outcome_is retry "HTTP 429"; status_is 429 "HTTP 429"; is "$(val retry_after)" 7 "Retry-After: 7 is 7 s"

AT=$(date -u -d '+120 seconds' '+%a, %d %b %Y %H:%M:%S GMT')
control "$HOOK" "{\"status\":503,\"retry_after\":\"$AT\"}"
hook --key ntf-6 --body "$BODY"
RA=$(val retry_after)
if [ "$RA" -ge 60 ] 2>/dev/null && [ "$RA" -le 120 ]; then
	pass "Retry-After as an HTTP date: $RA s"
else
	fail "Retry-After as an HTTP date" "got '$RA'"
fi
control "$HOOK" '{"status":503,"retry_after":"999999999999999999999"}'
hook --key ntf-6 --body "$BODY"
is "$(val retry_after)" 86400 "Retry-After is capped at a day"

control "$HOOK" '{"status":408,"retry_after":null}'
hook --key ntf-7 --body "$BODY"
outcome_is retry "HTTP 408"

control "$HOOK" '{"status":400}'
hook --key ntf-8 --body "$BODY"
rc_is 2 "HTTP 400: exit 2"; outcome_is permanent "HTTP 400"; status_is 400 "HTTP 400"

control "$HOOK" '{"status":401}'
hook --key ntf-8 --body "$BODY"
outcome_is permanent "HTTP 401"

N=$(lines hook)
control "$HOOK" '{"status":301,"location":"http://127.0.0.1:1/elsewhere"}'
hook --key ntf-9 --body "$BODY"
outcome_is permanent "HTTP 301"; status_is 301 "HTTP 301"
is "$(lines hook)" "$((N + 1))" "a redirect is not followed"

control "$HOOK" '{"status":202,"location":null,"response_bytes":2000000}'
hook --key ntf-10 --body "$BODY"
outcome_is delivered "a 2 MB answer (read up to 64 KiB)"; status_is 202 "a 2 MB answer"

# ---- webhook: a receiver that hangs up, stalls or is not there ------------
control "$HOOK" '{"status":200,"response_bytes":0,"close":true}'
hook --key ntf-11 --body "$BODY"
outcome_is retry "hung up mid-request"; status_is 0 "hung up mid-request"
is "$(last hook .answer)" closed "the sink did hang up"

# The sink answers after 6 s; the attempt gives up after 0.5 s (a machine
# busy with valgrind gets more slack, still well short of the answer).
control "$HOOK" '{"close":false,"delay_ms":6000}'
START=$(date +%s%N)
hook --key ntf-12 --body "$BODY" --timeout-ms 500
END=$(date +%s%N)
outcome_is retry "slower than the timeout"
has "$(val error)" "imed out" "the error says it timed out"
LIMIT=2000
[ -n "${HTD_WRAPPER:-}" ] && LIMIT=4000
if [ "$(val elapsed_ms)" -lt "$LIMIT" ]; then
	pass "gave up after the timeout ($(val elapsed_ms) ms)"
else
	fail "gave up after the timeout" "$(val elapsed_ms) ms"
fi
if [ $(((END - START) / 1000000)) -lt 5900 ] || [ -n "${HTD_WRAPPER:-}" ]; then
	pass "did not wait for the receiver"
else
	fail "did not wait for the receiver" "$(((END - START) / 1000000)) ms"
fi
control "$HOOK" '{"delay_ms":0}'

# Fails twice, then takes it: the same key each time, so the receiver
# can drop repeats.
sink_start flaky http_sink.py --secret-file "$T/hook.key" --fail-first 2
FLAKY_URL="http://127.0.0.1:$PORT/"
for i in 1 2 3; do
	send --transport webhook --url "$FLAKY_URL" --allow-http --secret "file:$T/hook.key" \
		--key ntf-13 --body "$BODY"
	echo "$(val outcome)" >>"$T/flaky-outcomes"
done
is "$(tr '\n' ' ' <"$T/flaky-outcomes")" "retry retry delivered " "500, 500, then delivered"
is "$(jq -r '.headers["Idempotency-Key"]' "$T/flaky.log" | sort -u)" ntf-13 "every attempt had the same key"
is "$(jq -r .signature_valid "$T/flaky.log" | sort -u)" true "every attempt was signed"

# Nothing listening: stop a sink and use its port.
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
send --transport webhook --url "$FLAKY_URL" --allow-http --secret "file:$T/hook.key" \
	--key ntf-14 --body "$BODY"
outcome_is retry "connection refused"; status_is 0 "connection refused"
has "$(val error)" "onnect" "the error says the connection failed"

# ---- webhook over HTTPS ---------------------------------------------------
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T/tls.key" -out "$T/tls.pem" -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/other.tls.key" -out "$T/other.tls.pem" -days 1 \
		-subj /CN=elsewhere.example -addext subjectAltName=DNS:elsewhere.example \
		>/dev/null 2>&1; then
	sink_start tls http_sink.py --secret-file "$T/hook.key" --tls-cert "$T/tls.pem" --tls-key "$T/tls.key"
	TLS_URL="https://127.0.0.1:$PORT/"
	send --transport webhook --url "$TLS_URL" --secret "file:$T/hook.key" --key ntf-15 \
		--body "$BODY" --ca-file "$T/tls.pem"
	outcome_is delivered "HTTPS with the receiver's CA"
	is "$(last tls .signature_valid)" true "HTTPS: signature valid"
	send --transport webhook --url "$TLS_URL" --secret "file:$T/hook.key" --key ntf-16 \
		--body "$BODY"
	outcome_is permanent "HTTPS with an unknown CA (not verified)"
	has "$(val error)" "certificate" "the error names the certificate"
	sink_start wrongname http_sink.py --tls-cert "$T/other.tls.pem" --tls-key "$T/other.tls.key"
	send --transport webhook --url "https://127.0.0.1:$PORT/" --secret "file:$T/hook.key" \
		--key ntf-17 --body "$BODY" --ca-file "$T/other.tls.pem"
	outcome_is permanent "HTTPS with a certificate for another name"
	is "$(lines wrongname)" 0 "nothing was sent to it"
else
	pass "# SKIP openssl cannot make a certificate"
fi

# ---- e-mail ---------------------------------------------------------------
sink_start mail smtp_sink.py || { done_testing; exit 1; }
MAIL_URL="smtp://127.0.0.1:$PORT"
mail() {
	send --transport smtp --url "$MAIL_URL" --from dispatch@psap.example \
		--to supervisor@psap.example "$@"
}
SUBJECT='Llamada HT-2026-000042: víctima — acción requerida'
TEXT=$'A victim call needs a supervisor.\nCall: HT-2026-000042\n.leading dot line\nCaller language: español\n'
mail --key ntf-20 --kind supervisor_notice --subject "$SUBJECT" --body "$TEXT" \
	--to poc@psap.example --created-ms 1764406459000
rc_is 0 "e-mail: delivered"; outcome_is delivered "e-mail"; status_is 250 "e-mail"
is "$(jq -r .event "$T/mail.log" | tr '\n' ' ')" "message session " "the sink took one message"
is "$(message mail '.mail_from | split(" ")[0]')" "<dispatch@psap.example>" "MAIL FROM"
is "$(message mail '.rcpt | join(" ")')" "<supervisor@psap.example> <poc@psap.example>" "RCPT TO both"
is "$(message mail .tls)" false "in clear when STARTTLS is not required"
# The message as a mail reader sees it, parsed by Python's email package.
message mail .data >"$T/mail.eml"
"$PY" - "$T/mail.eml" >"$T/mail.parsed" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("message-id=" + m["Message-ID"])
print("subject=" + str(m["Subject"]))
print("date=" + m["Date"])
print("to=" + str(m["To"]))
print("kind=" + m["X-Htdispatch-Kind"])
print("auto=" + m["Auto-Submitted"])
print("type=" + m.get_content_type() + ";" + m.get_content_charset())
sys.stdout.write("body=" + m.get_content().replace("\r\n", "\n"))
EOF
P=$(cat "$T/mail.parsed")
has "$P" "message-id=<ntf-20@htdispatch>" "Message-ID from the idempotency key"
has "$P" "subject=$SUBJECT" "the subject decodes to what was sent (RFC 2047)"
has "$P" "date=Sat, 29 Nov 2025 08:54:19 +0000" "Date from the creation time"
has "$P" "to=supervisor@psap.example, poc@psap.example" "To lists both"
has "$P" "kind=supervisor_notice" "X-Htdispatch-Kind"
has "$P" "auto=auto-generated" "Auto-Submitted: auto-generated"
has "$P" "type=text/plain;utf-8" "text/plain in UTF-8"
has "$P" "body=${TEXT%$'\n'}" "the body decodes to what was sent (dot-stuffing undone)"
is "$(LC_ALL=C grep -c -P '[^\x00-\x7f]' "$T/mail.eml")" 0 "no raw 8-bit bytes on the wire"

# Refusals before contact: the sink sees no session at all.
N=$(lines mail)
mail --key ntf-21 --subject $'Call\r\nBcc: everyone@example.com' --body "$TEXT"
outcome_is permanent "CR LF in the subject"
mail --key ntf-21 --subject "Call" --body "$TEXT" --to $'x@psap.example>\r\nRCPT TO:<y@example.com'
outcome_is permanent "CR LF in a recipient"
mail --key '../../x' --subject "Call" --body "$TEXT"
outcome_is permanent "a bad key"
is "$(lines mail)" "$N" "the server was never contacted"

# STARTTLS required but not offered: nothing goes out in clear.
mail --key ntf-22 --subject "Call" --body "$TEXT" --starttls
outcome_is permanent "STARTTLS required, not offered"
wait_lines mail "$((N + 1))"
has "$(val error)" "STARTTLS" "the error says STARTTLS"
is "$(last mail .event)" session "no message reached the sink"
lacks "$(last mail '.commands | join(" ")')" "MAIL" "not even MAIL FROM"

# Replies: 4xx is retried, 5xx is final.
sink_start mail451 smtp_sink.py --fail-first 1
mail451() { send --transport smtp --url "smtp://127.0.0.1:$PORT" --from dispatch@psap.example --to s@psap.example "$@"; }
mail451 --key ntf-23 --subject "Call" --body "$TEXT"
outcome_is retry "451 at the end of DATA"; status_is 451 "451 at the end of DATA"
mail451 --key ntf-23 --subject "Call" --body "$TEXT"
outcome_is delivered "and then delivered"
is "$(jq -r 'select(.event=="message") | .data' "$T/mail451.log" | grep -c '^Message-ID: <ntf-23@htdispatch>')" 2 \
	"both attempts carried the same Message-ID"
sink_start mail550 smtp_sink.py --reply-rcpt 550
send --transport smtp --url "smtp://127.0.0.1:$PORT" --from dispatch@psap.example --to s@psap.example \
	--key ntf-24 --subject "Call" --body "$TEXT"
outcome_is permanent "550 to RCPT"; status_is 550 "550 to RCPT"
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
send --transport smtp --url "smtp://127.0.0.1:$PORT" --from dispatch@psap.example --to s@psap.example \
	--key ntf-25 --subject "Call" --body "$TEXT"
outcome_is retry "SMTP server down"

# STARTTLS offered and required, with AUTH over it.
if [ -f "$T/tls.pem" ]; then
	sink_start secure smtp_sink.py --starttls --tls-cert "$T/tls.pem" --tls-key "$T/tls.key" \
		--auth-password-file "$T/smtp.pass"
	SECURE="smtp://127.0.0.1:$PORT"
	secure() { send --transport smtp --url "$SECURE" --from dispatch@psap.example --to s@psap.example "$@"; }
	secure --key ntf-26 --subject "Call" --body "$TEXT" --starttls --ca-file "$T/tls.pem" \
		--username htdispatch --secret "file:$T/smtp.pass"
	outcome_is delivered "STARTTLS + AUTH"
	is "$(message secure '.tls, .auth_user' | tr '\n' ' ')" "true htdispatch " "sent over TLS, logged in"
	secure --key ntf-27 --subject "Call" --body "$TEXT" --starttls --ca-file "$T/tls.pem" \
		--username htdispatch --secret "file:$T/other.key"
	outcome_is permanent "a wrong SMTP password"; status_is 535 "a wrong SMTP password"
	secure --key ntf-28 --subject "Call" --body "$TEXT" --starttls \
		--username htdispatch --secret "file:$T/smtp.pass"
	outcome_is permanent "STARTTLS with an unknown CA"
	is "$(jq -r 'select(.event=="message") | .auth_user' "$T/secure.log" | tr '\n' ' ')" "htdispatch " \
		"only the good attempt sent a message"
	secure --key ntf-29 --subject "Call" --body "$TEXT" --username htdispatch --secret "file:$T/smtp.pass"
	outcome_is permanent "a password without TLS is refused"
else
	pass "# SKIP no certificate"
fi

# ---- spool ----------------------------------------------------------------
mkdir -p "$T/spool"
send --transport spool --dir "$T/spool" --key ntf-30 --body "$BODY"
outcome_is delivered "spool"
is "$(cat "$T/spool/ntf-30.json")" "$BODY" "the file holds the body"
is "$(stat -c %a "$T/spool/ntf-30.json")" 640 "the file is 0640 (the consumer's group reads it)"
send --transport spool --dir "$T/spool" --key ntf-30 --body '{"other":1}'
outcome_is delivered "spool: the same key again"
is "$(cat "$T/spool/ntf-30.json")" "$BODY" "the first file stays"
is "$(ls -A "$T/spool" | tr '\n' ' ')" "ntf-30.json " "one file, no temporary left"
send --transport spool --dir "$T/spool/nowhere" --key ntf-31 --body "$BODY"
outcome_is permanent "spool: no such directory"

# ---- secrets --------------------------------------------------------------
lacks "$(cat "$T/all-output")" "$HOOK_KEY" "the webhook key is in no output"
lacks "$(cat "$T/all-output")" "$SMTP_PASS" "the SMTP password is in no output"
lacks "$(cat "$T"/*.log)" "$SMTP_PASS" "nor in what the sinks logged"
chmod 644 "$T/hook.key"
send --transport webhook --url "$HOOK_URL" --allow-http --secret "file:$T/hook.key" --key ntf-40 --body "$BODY"
rc_is 64 "a secret file open to other users is refused"
has "$ERR" "other users" "and the message says why"
done_testing
