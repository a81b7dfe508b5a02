#!/usr/bin/env bash
# api.sh - the HTTP API as the console and integrations use it, against a
# real `htdispatch serve` on a free loopback port: every route's happy
# path, every error status and its one shape, sessions by Bearer token and
# by cookie (with CSRF), logout, lock-out, bad input that must leave the
# server serving, and the role x route matrix of core/access.h
# (api_table prints it) over HTTP. Live events, reloads and load are in
# api_events.sh and api_load.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/api_lib.sh"

ROLES="calltaker dispatcher supervisor investigator records auditor admin"

run init; rc_is 0 "init"
for role in $ROLES; do user_add "$role" "$role"; done
user_add lockme records
user_add leaver dispatcher
user_add matrix-target records
serve_start || { done_testing; exit 1; }

# ---- health, readiness, metrics (no session) ------------------------------
TOKEN=""
http GET /healthz; status_is 200 "healthz"; json_is .status ok "healthz says ok"
has "$HDRS" "Cache-Control: no-store" "responses are never cached"
has "$HDRS" "Content-Type: application/json" "JSON content type"
http GET /readyz; status_is 200 "readyz"; json_is .protocol.id nena-ht "readyz names the protocol"
http GET /metrics; status_is 200 "metrics"
has "$HDRS" "text/plain; version=0.0.4" "metrics in the Prometheus text format"
has "$RESP" 'htd_http_requests_total{method="GET",route="/healthz",status="200"}' "requests by route and status"
has "$RESP" 'htd_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}' "latency histogram"
has "$RESP" 'htd_calls_open{category="undetermined"} 0' "open calls by category"
has "$RESP" 'htd_decision_seconds_count' "decision time histogram"

# ---- sessions ---------------------------------------------------------------
http POST /api/v1/sessions '{"username":"calltaker","password":"wrong-password-1"}'
error_is 401 unauthorized null "wrong password"
has "$HDRS" 'WWW-Authenticate: Bearer' "401 says how to authenticate"
http POST /api/v1/sessions '{"username":"nobody","password":"wrong-password-1"}'
json_is .error.message "wrong user name or password" "an unknown user reads the same as a wrong password"
http POST /api/v1/sessions '{"username":"calltaker"}'
error_is 422 invalid password "login without a password"
login calltaker; status_is 201 "login"
json_is .user.role calltaker "login gives the role"
json_is .expires_idle_s 1800 "idle sessions expire after 30 minutes"
is "${#TOKEN}" 43 "the token is 256 bits in base64url"
is "${#CSRF}" 43 "and so is the CSRF value"
has "$HDRS" "Set-Cookie: htd_session=$TOKEN" "login sets the session cookie"
has "$HDRS" "HttpOnly" "the cookie is HttpOnly"
has "$HDRS" "SameSite=Strict" "the cookie is SameSite=Strict"
lacks "$HDRS" "Secure" "no Secure flag over plain HTTP"
CT_TOKEN=$TOKEN
http GET /api/v1/sessions/current; status_is 200 "whoami"
json_is .user.name calltaker "whoami names the user"; json_is .auth bearer "by Bearer token"
json_is .csrf "$CSRF" "whoami gives the CSRF value again (for a reloaded console)"

TOKEN=""
http GET /api/v1/calls; error_is 401 unauthorized null "no session"
has "$HDRS" 'WWW-Authenticate: Bearer' "401 without a session says Bearer"
TOKEN="not-a-token"
http GET /api/v1/calls; error_is 401 unauthorized null "unknown token"
TOKEN=""
http GET /api/v1/calls "" -H "Authorization: Basic Y2FsbHRha2VyOng="
status_is 401 "Basic authentication is not accepted"

# The console: the cookie, and X-CSRF-Token on every change.
curl -s -c "$T/jar" -o "$T/cookie-login.json" -H 'Content-Type: application/json' \
	-d "{\"username\":\"supervisor\",\"password\":\"$(password_of supervisor)\"}" \
	"$BASE/api/v1/sessions"
COOKIE_CSRF=$(jq -r .csrf "$T/cookie-login.json")
http GET /api/v1/sessions/current "" -b "$T/jar"
status_is 200 "cookie session reads"; json_is .auth cookie "whoami by cookie"
http POST /api/v1/calls '{}' -b "$T/jar"
error_is 403 forbidden X-CSRF-Token "a change by cookie without X-CSRF-Token"
http POST /api/v1/calls '{}' -b "$T/jar" -H "X-CSRF-Token: ${COOKIE_CSRF}x"
error_is 403 forbidden X-CSRF-Token "a change by cookie with a wrong X-CSRF-Token"
http POST /api/v1/calls '{}' -b "$T/jar" -H "X-CSRF-Token: $COOKIE_CSRF"
status_is 201 "a change by cookie with X-CSRF-Token"
COOKIE_CALL=$(printf '%s' "$RESP" | jq -r .id)
http DELETE /api/v1/sessions/current "" -b "$T/jar"
status_is 403 "logout by cookie needs X-CSRF-Token too"

# Logout ends the session at once, and clears the cookie.
login leaver; LEAVER=$TOKEN
http DELETE /api/v1/sessions/current; status_is 204 "logout"
has "$HDRS" "Max-Age=0" "logout clears the cookie"
http GET /api/v1/sessions/current; error_is 401 unauthorized null "the token is dead after logout"

# ---- calls: the whole life of one -------------------------------------------
TOKEN=$CT_TOKEN
http POST /api/v1/calls '{"channel":"text","language":"es-mx","location":"4th & Main","callback":"555-0100","caller_name":"María José"}'
status_is 201 "open a call"
ID=$(printf '%s' "$RESP" | jq -r .id)
has "$HDRS" "Location: /api/v1/calls/$ID" "Location of the new call"
json_is .language es-MX "language in canonical case"
json_is .opened_by user:calltaker "the actor is the user"
json_is '.decision.required | index("safeguard_records") != null' true "the first checklist"
http POST /api/v1/calls; status_is 201 "open a call with no body at all"
SECOND=$(printf '%s' "$RESP" | jq -r .id)
http GET "/api/v1/calls/$ID"; status_is 200 "get a call"; json_is .caller_name "María José" "UTF-8 kept"
http GET "/api/v1/calls/${ID,,}"; status_is 200 "ids as typed (any case)"
http PUT "/api/v1/calls/$ID/answers/free_to_leave" '{"value":"NO"}'
status_is 200 "record an answer"; json_is .answers.free_to_leave no "the answer, normalised"
http PUT "/api/v1/calls/$ID/answers/caller_is_victim" '{"value":"yes"}'; status_is 200 "another answer"
http PUT "/api/v1/calls/$ID/answers/people_count" '{"value":3}'
status_is 200 "a number answer as a JSON number"; json_is .answers.people_count 3 "number kept"
http POST "/api/v1/calls/$ID/notes" '{"text":"boss keeps my passport"}'
status_is 200 "add a note"; json_is .note_count 1 "note counted"
json_is .decision.category victim_call "the note decides (documents withheld)"
json_is .category victim_call "the call shows the category"
http GET "/api/v1/calls/$ID/events"; status_is 200 "history"
json_is '.events | map(.type) | index("note_added") != null' true "history has the note"
json_is '.events[0].type' call_opened "history in order"
http GET "/api/v1/calls/$ID/decision"; status_is 200 "decision"
json_is .category victim_call "decision: category"; json_is .id "$ID" "decision names the call"
json_is '.indicators[0].text | contains("passport")' true "decision: the indicator with the note's words"
TOKEN=""; login dispatcher; DI_TOKEN=$TOKEN
http POST "/api/v1/calls/$ID/override" '{"category":"credible_tip","reason":"neighbour calling"}'
status_is 200 "override"; json_is .override.category credible_tip "override in force"
json_is .decision.overridden true "summary says overridden"
http POST "/api/v1/calls/$ID/override" '{"category":"none","reason":"back to the protocol"}'
status_is 200 "withdraw the override"
http POST "/api/v1/calls/$ID/actions/radio_alert" '{"state":"not_applicable","reason":"suspect has a scanner"}'
status_is 200 "mark an action"
json_is '.actions[] | select(.id=="radio_alert") | .state' not_applicable "the mark"
http POST "/api/v1/calls/$ID/actions/radio_alert" '{"state":"not_applicable"}'
error_is 422 invalid reason "n/a needs a reason"
http POST "/api/v1/calls/$ID/close" '{"disposition":"officer_handled","summary":"Unit 12 took her to the shelter"}'
status_is 200 "close"; json_is .status closed "closed"
http POST "/api/v1/calls/$ID/close" '{"disposition":"unfounded"}'
error_is 409 conflict null "closing a closed call"
http PUT "/api/v1/calls/$ID/answers/escaped" '{"value":"yes"}'
error_is 409 conflict null "an answer to a closed call"

http GET /api/v1/calls; status_is 200 "list"
json_is '.calls | length' 3 "all calls"; json_is .next null "one page"
json_is '.calls[0] | has("answers")' false "a page carries no answers"
http GET "/api/v1/calls?limit=1"; status_is 200 "list a page of one"
NEXT=$(printf '%s' "$RESP" | jq -r .next)
http GET "/api/v1/calls?limit=1&after=$NEXT"; status_is 200 "the next page"
json_is '.calls | length' 1 "one more"
http GET "/api/v1/calls?status=closed"; json_is '.calls[0].id' "$ID" "filter by status"
http GET "/api/v1/calls?status=bogus"; error_is 422 invalid status "a bad filter value"
http GET "/api/v1/calls?colour=red"; error_is 422 invalid colour "an unknown query parameter"

http POST /api/v1/assess '{"answers":{"free_to_leave":"no","caller_is_victim":"yes"},"notes":"he took my passport"}'
status_is 200 "assess"; json_is .category victim_call "assess decides"
http POST /api/v1/assess '{"answers":{"free_to_leave":"maybe"}}'
error_is 422 invalid answers.free_to_leave "assess: a bad answer, named"
http POST /api/v1/assess '{"bogus":1}'
error_is 422 invalid bogus "assess: an unknown member, named"

# ---- configuration (read) ------------------------------------------------------
http GET /api/v1/protocol; status_is 200 "protocol"
json_is .id nena-ht "protocol id"
json_is '.questions[] | select(.id=="free_to_leave") | .type' yes_no "questions with their type"
json_is '.questions[0].text.en | length > 0' true "questions with their texts"
http GET /api/v1/policy; status_is 200 "policy"
json_is '.categories | length > 0' true "category rules"
json_is '.categories[0].when | length > 0' true "rules with their conditions"
json_is '.agency | has("points_of_contact")' false "no contact list in the API"
http GET /api/v1/lexicon; status_is 200 "lexicon"
json_is '.lexicons | map(.language) | join(",")' en,es "lexicon languages"
json_is '.lexicons[0].patterns > 0' true "lexicon sizes"

# ---- users (admin) ----------------------------------------------------------------
TOKEN=""; login admin; AD_TOKEN=$TOKEN
http GET /api/v1/users; status_is 200 "list users"
json_is '.users | map(.name) | index("calltaker") != null' true "users listed"
json_is '[.users[] | has("password")] | any' false "no password hashes"
http POST /api/v1/users '{"name":"newbie","display":"New Bie","role":"calltaker","password":"a-long-password-1"}'
status_is 201 "add a user"; has "$HDRS" "Location: /api/v1/users/newbie" "Location of the user"
json_is .role calltaker "with the role"
http POST /api/v1/users '{"name":"newbie","role":"calltaker","password":"a-long-password-1"}'
error_is 409 conflict name "a name taken"
http POST /api/v1/users '{"name":"shorty","role":"calltaker","password":"short"}'
error_is 422 invalid password "a password too short"
http POST /api/v1/users '{"name":"x2","role":"janitor","password":"a-long-password-1"}'
error_is 422 invalid role "an unknown role"
http PATCH /api/v1/users/newbie '{"display":"Newt Bie","role":"dispatcher"}'
status_is 200 "update a user"; json_is .role dispatcher "new role"; json_is .display "Newt Bie" "new name"
http PATCH /api/v1/users/newbie '{"disabled":true}'; json_is .disabled true "disable a user"
TOKEN=""; login newbie a-long-password-1; error_is 423 locked null "a disabled user cannot log in"
TOKEN=$AD_TOKEN
http PATCH /api/v1/users/newbie '{"disabled":false,"password":"another-password-2"}'
status_is 200 "enable and set a password"
TOKEN=""; login newbie another-password-2; status_is 201 "login with the new password"
TOKEN=$AD_TOKEN
http PATCH /api/v1/users/newbie '{"shoe_size":44}'; error_is 422 invalid shoe_size "PATCH: unknown member"
http PATCH /api/v1/users/newbie '{"disabled":"yes"}'; error_is 422 invalid disabled "PATCH: wrong type"
http PATCH /api/v1/users/ghost '{"display":"Nobody"}'; error_is 404 not_found null "PATCH: no such user"

# ---- lock-out: 5 failures in a row lock the account for 15 minutes -----------
for i in 1 2 3 4 5; do
	TOKEN=""; login lockme "wrong-password-$i"
done
error_is 423 locked null "the fifth failure in a row locks the account"
TOKEN=""; login lockme; error_is 423 locked null "then even the right password is refused"
has "$RESP" "locked" "and says the account is locked"

# ---- errors: one shape, the right status -------------------------------------------
TOKEN=$CT_TOKEN
http GET /api/v1/nothing; error_is 404 not_found null "no such route"
http GET "/api/v1/calls/HT-2000-999999"; error_is 404 not_found null "no such call"
http DELETE /api/v1/calls; error_is 405 method_not_allowed null "wrong method"
has "$HDRS" "Allow: POST, GET" "405 says what is allowed"
http PUT /api/v1/sessions/current; status_is 405 "405 on a session path"
has "$HDRS" "Allow: DELETE, GET" "with its methods"
http POST /api/v1/calls '{"channel": "voice",'
error_is 400 parse null "malformed JSON"
json_is .error.line 1 "malformed JSON: line"; json_is .error.column 20 "malformed JSON: column"
has "$RESP" "byte 20" "malformed JSON: byte position"
http POST /api/v1/calls '{"a":1,"a":2}'; error_is 400 parse null "duplicate members"
http POST /api/v1/calls '{}' -H 'Content-Type: text/plain'
error_is 415 unsupported_media_type Content-Type "wrong content type"
http POST /api/v1/calls '{}' -H 'Content-Type: application/json; charset=latin1'
status_is 415 "a charset other than UTF-8"
http POST /api/v1/calls '{"colour":"red"}'; error_is 422 invalid colour "unknown member named"
http POST /api/v1/calls '{"location":42}'; error_is 422 invalid location "wrong type named"
http POST /api/v1/calls '["not","an","object"]'; error_is 422 invalid null "not an object"
http POST /api/v1/calls '{"channel":"pigeon"}'; error_is 422 invalid channel "a bad value named"
http PUT "/api/v1/calls/$SECOND/answers/free_to_leave" '{"value":"maybe"}'
error_is 422 invalid value "a bad answer"
http PUT "/api/v1/calls/$SECOND/answers/free_to_leave" '{"value":[1]}'
error_is 422 invalid value "an answer of the wrong type"
http PUT "/api/v1/calls/$SECOND/answers/favourite_colour" '{"value":"blue"}'
status_is 422 "an answer to no question of the protocol"
http POST "/api/v1/calls/$SECOND/notes" '{}'; error_is 422 invalid text "a note without text"
http POST "/api/v1/calls/not-an-id/notes" '{"text":"x"}'; error_is 422 invalid id "a call id that is not one"

# ---- bad input leaves the server serving ------------------------------------------
head -c 2097152 /dev/zero | tr '\0' 'a' >"$T/big"
http POST /api/v1/calls "@$T/big"
error_is 413 too_large null "a 2 MB body"
http GET /healthz; status_is 200 "still serving after 413"
http POST /api/v1/calls "@$T/big" -H 'Transfer-Encoding: chunked'
status_is 413 "a 2 MB body of unknown length"
http GET /healthz; status_is 200 "still serving after a chunked 413"
head -c 20000 /dev/zero | tr '\0' 'n' >"$T/longnote"
http POST "/api/v1/calls/$SECOND/notes" "{\"text\":\"$(cat "$T/longnote")\"}"
error_is 422 too_large text "a note over the limit names the field"
printf '{"location":"\xff\xfe bad"}' >"$T/badutf8"
http POST /api/v1/calls "@$T/badutf8"; error_is 400 parse null "invalid UTF-8"
has "$RESP" "UTF-8" "says UTF-8"
printf '%*s' 1000 '' | tr ' ' '[' >"$T/deep"; printf '%*s' 1000 '' | tr ' ' ']' >>"$T/deep"
http POST /api/v1/calls "@$T/deep"
case "$STATUS" in 4??) pass "1000-deep nesting is a clean 4xx ($STATUS)" ;; *) fail "1000-deep nesting" "status $STATUS" ;; esac
printf '%*s' 100000 '' | tr ' ' '[' >"$T/deeper"
http POST /api/v1/calls "@$T/deeper"; error_is 400 parse null "100000-deep nesting"
http POST /api/v1/calls '{"location":"a\u0000b"}'; status_is 400 "NUL in a string"
http GET /healthz; status_is 200 "still serving after bad input"
# Paths that try to climb out are not routes.
for p in '/../../etc/passwd' '/api/v1/../../etc/passwd' '/api/v1/calls/..%2F..%2Fetc%2Fpasswd' '/api/v1//calls' '/api/v1/calls/'; do
	http GET "$p" "" --path-as-is
	case "$STATUS" in 404 | 422) pass "no file behind $p ($STATUS)" ;; *) fail "path $p" "status $STATUS" ;; esac
done

# SQL-like text in every field is stored and given back verbatim.
SQL1="'; DROP TABLE calls; --"
SQL2="1' OR '1'='1"
SQL3='Robert"); DELETE FROM call_events WHERE ("1"="1'
http POST /api/v1/calls "$(jq -cn --arg b "$SQL2" '{callback:$b}')"
error_is 422 invalid callback "a callback number must be one (SQL-like text refused)"
BODY=$(jq -cn --arg a "$SQL1" --arg c "$SQL3" \
	'{location:$a, callback:"+1 (555) 010-0100", caller_name:$c, language:"en"}')
http POST /api/v1/calls "$BODY"; status_is 201 "open with SQL-like text"
SQLID=$(printf '%s' "$RESP" | jq -r .id)
http GET "/api/v1/calls/$SQLID"
json_is .location "$SQL1" "location verbatim"
json_is .caller_name "$SQL3" "caller name verbatim"
http POST "/api/v1/calls/$SQLID/notes" "$(jq -cn --arg t "$SQL3 $SQL1" '{text:$t}')"
status_is 200 "a note with SQL-like text"
http PUT "/api/v1/calls/$SQLID/answers/location" "$(jq -cn --arg v "$SQL2" '{value:$v}')"
status_is 200 "a text answer with SQL-like text"; json_is .answers.location "$SQL2" "answer verbatim"
http GET "/api/v1/calls/$SQLID/events"
json_is '.events[] | select(.type=="note_added") | .text' "$SQL3 $SQL1" "note verbatim"
http POST "/api/v1/calls/$SQLID/close" "$(jq -cn --arg s "$SQL1" '{disposition:"unfounded",summary:$s}')"
json_is .close_summary "$SQL1" "summary verbatim"
http GET "/api/v1/calls?category=$(printf '%s' "$SQL2" | jq -sRr @uri)"
error_is 422 invalid category "SQL-like text in a filter is just a bad value"
TOKEN=$AD_TOKEN
http POST /api/v1/users "$(jq -cn --arg d "$SQL1" '{name:"sqluser",display:$d,role:"records",password:"a-long-password-1"}')"
json_is .display "$SQL1" "user display name verbatim"
http GET /api/v1/users; json_is '.users | length' 12 "no user appeared or vanished"

# ---- the role x route matrix, from core/access.h -------------------------------------
declare -A TOK
for role in $ROLES; do
	TOKEN=""; login "$role"; TOK[$role]=$TOKEN
done
TOKEN=${TOK[dispatcher]}
http POST /api/v1/calls '{}'; MID=$(printf '%s' "$RESP" | jq -r .id)
"$HTD_API_TABLE" >"$T/routes"
while read -r name method pattern public perms; do
	path=${pattern//\{id\}/$MID}
	path=${path//\{qid\}/free_to_leave}
	path=${path//\{action\}/radio_alert}
	path=${path//\{username\}/matrix-target}
	body=""
	extra=()
	case "$name" in
	LOGIN | LOGOUT) continue ;; # tested above; logout would end the session
	CALLS_OPEN | ASSESS) body='{}' ;;
	CALLS_NOTE) body='{"text":"matrix note"}' ;;
	CALLS_ANSWER) body='{"value":"unknown"}' ;;
	CALLS_OVERRIDE) body='{"category":"none","reason":"matrix"}' ;;
	CALLS_MARK) body='{"state":"required"}' ;;
	CALLS_CLOSE) body='{"disposition":"duplicate"}' ;;
	USERS_ADD) body='{"name":"matrix-new","role":"records","password":"matrix-password-1"}' ;;
	USERS_UPDATE) body='{"display":"Matrix Target"}' ;;
	EVENTS) extra=(--max-time 2) ;;
	esac
	for perm in $perms; do
		role=${perm%%:*}
		allowed=${perm##*:}
		TOKEN=${TOK[$role]}
		http "$method" "$path" "$body" "${extra[@]}"
		if [ "$allowed" = 1 ]; then
			case "$STATUS" in
			401 | 403 | 5?? | 000) fail "$role may use $method $pattern" "status $STATUS" ;;
			*) pass "$role may use $method $pattern ($STATUS)" ;;
			esac
		else
			if [ "$STATUS" = 403 ]; then
				pass "$role may not use $method $pattern (403)"
			else
				fail "$role may not use $method $pattern" "status $STATUS"
			fi
		fi
	done
	if [ "$public" = 1 ]; then
		TOKEN=""
		http "$method" "$path" "$body"
		case "$STATUS" in
		401 | 403) fail "$method $pattern is public" "status $STATUS" ;;
		*) pass "$method $pattern needs no session ($STATUS)" ;;
		esac
	fi
done <"$T/routes"
for role in $ROLES; do
	TOKEN=${TOK[$role]}
	http DELETE /api/v1/sessions/current; status_is 204 "$role may log out"
done

# ---- the access audit -----------------------------------------------------------
TOKEN=""; login auditor
http GET "/api/v1/audit?actor=user:calltaker&limit=1000"; status_is 200 "audit list"
json_is '[.entries[] | select(.outcome=="denied" and .action=="user.list")] | length > 0' true \
	"a refused request is audited (denied)"
json_is '[.entries[] | select(.action=="call.read" and .object=="call:'"$ID"'")] | length > 0' true \
	"a read of a call is audited"
http GET "/api/v1/audit?actor=anonymous&limit=1000"
json_is '[.entries[] | select(.outcome=="unauthorized")] | length > 0' true \
	"a request without a session is audited (unauthorized)"
http GET "/api/v1/audit?limit=0"; error_is 422 invalid limit "audit: a bad limit"
http GET "/api/v1/audit?who=me"; error_is 422 invalid who "audit: an unknown parameter"

# ---- metrics after all that ------------------------------------------------------------
TOKEN=""
http GET /metrics
has "$RESP" 'route="/api/v1/calls",status="201"' "metrics count opened calls"
has "$RESP" 'status="403"' "metrics count refusals"
has "$RESP" 'htd_calls_open{category="undetermined"}' "open calls by category"

# ---- stop: SIGTERM drains and exits 0 ------------------------------------------------------
serve_stop TERM
is "$SERVER_RC" 0 "SIGTERM: exit 0"
has "$(cat "$T/serve.err")" "event=stopped" "the log says it stopped"
lacks "$(cat "$T/serve.err")" "$CT_TOKEN" "no token in the log"
lacks "$(cat "$T/serve.err")" "passport" "no note text in the log"
lacks "$(cat "$T/serve.err")" "María" "no caller name in the log"
run db check; rc_is 0 "db check after it all"
done_testing
