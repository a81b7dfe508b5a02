#!/usr/bin/env bash
# golden_calls.sh - the golden decisions: every tests/golden/calls/*.json
# holds one call (the input of `htdispatch assess`) and the decision
# domain.md and the default policy call for, worked out by hand. Each file
# is assessed with the shipped protocol, policy and lexicons and compared
# with jq: one TAP test point per file, every difference on its own line.
# Then the input errors a script sees: malformed JSON, a wrong answer type,
# an unknown member, an oversized document.
#
# A file's "expect" (every member optional but category):
#   category, recommended_category, priority, covert, overridden  equal
#   actions      {id: state}: exactly the checklist (an action not listed
#                must not be on it); a "required" one must say
#                required_by_policy and name its rule
#   indicators   ids with a hit that counts (not negated, not
#                hypothetical): exactly this set
#   indicators_absent  ids that must not have a counting hit
#   negated      ids with a negated or hypothetical hit: exactly this set
#   historical   ids with a counting, historical hit: exactly this set
#   amp          the decision's AMP elements: exactly this set
#   rules        rule ids that must be in the rationale
#   rules_absent rule ids that must not be in it
#   next_first   the id of the first next question
#   next_exclude question ids that must not be among the next questions
#   next_text    a regular expression every next question's text matches
#   warnings     how many warnings
# A top-level "todo" (a reason) marks a case where the engine is known to
# disagree with domain.md: it is reported as TAP TODO, and passing it is an
# unexpected pass (remove the "todo" then). A top-level "tip_line": false
# runs the case with the default policy's tip line disabled.
#
# Environment: HTD (the binary), HTD_SOURCE_ROOT (set by meson);
# HTD_GOLDEN_CALLS_DIR overrides the directory of cases; HTD_CACHE_DIR is
# where the compiled lexicon is kept (default: a fresh directory).
. "$(dirname "$0")/lib.sh"

ROOT=$HTD_SOURCE_ROOT
DIR=${HTD_GOLDEN_CALLS_DIR:-$ROOT/tests/golden/calls}
CACHE=${HTD_CACHE_DIR:-${HTDISPATCH_CACHE:-$T/cache}}
POLICY=$ROOT/etc/policy.yaml
ENGINE=(--protocol "$ROOT/data/protocol/nena-ht.yaml"
	--lexicon "$ROOT/data/lexicon" --cache "$CACHE")

if ! command -v jq >/dev/null; then
	echo "1..0 # SKIP jq is not installed (scripts/deps.sh installs it)"
	exit 0
fi

# The comparison: reads {"e": expect, "o": the decision} and prints one
# line per difference (nothing when they agree).
# shellcheck disable=SC2016
COMPARE='
def ids(f): [.[] | select(f) | .id] | unique;
def list: if length == 0 then "none" else join(", ") end;
def setdiff(what; got; want):
	(got - want) as $extra | (want - got) as $missing |
	if ($extra | length) + ($missing | length) == 0 then empty
	else "\(what): got [\(got | list)], wanted [\(want | list)]" +
		(if ($missing | length) > 0 then "; missing \($missing | list)" else "" end) +
		(if ($extra | length) > 0 then "; unexpected \($extra | list)" else "" end)
	end;
def hits_text($o; $id):
	[$o.indicators[] | select(.id == $id) |
	 "\"\(.text // "?")\" (negated \(.negated), hypothetical \(.hypothetical), historical \(.historical))"]
	| join(", ");
.e as $e | .o as $o |
($o.indicators | ids((.negated | not) and (.hypothetical | not))) as $counting |
($o.indicators | ids(.negated or .hypothetical)) as $negated |
($o.indicators | ids((.negated | not) and (.hypothetical | not) and .historical)) as $historical |
([$o.rationale[].rule]) as $rules |
([$o.next_questions[].id]) as $next |
($o.actions | map({key: .id, value: .}) | from_entries) as $got |
(
	(["category", "recommended_category", "priority", "covert", "overridden"][] as $k |
	 select($e | has($k)) | select($o[$k] != $e[$k]) |
	 "\($k): got \($o[$k] | tojson), wanted \($e[$k] | tojson)"),
	(select($e | has("warnings")) | select(($o.warnings | length) != $e.warnings) |
	 "warnings: got \($o.warnings | length) \($o.warnings | tojson), wanted \($e.warnings)"),
	(select($e | has("actions")) |
	 (($e.actions | to_entries[]) as $a |
	  if ($got | has($a.key) | not) then "action \($a.key): not on the checklist, wanted \($a.value)"
	  elif $got[$a.key].state != $a.value then "action \($a.key): got \($got[$a.key].state), wanted \($a.value)"
	  else empty end),
	 (($got | keys[]) as $k | select($e.actions | has($k) | not) |
	  "action \($k): on the checklist (\($got[$k].state), rule \($got[$k].rule // "none")) but not expected")),
	($o.actions[] | select(.state == "required") |
	 select(.required_by_policy != true or .rule == null) |
	 "action \(.id): required, but required_by_policy \(.required_by_policy) and rule \(.rule // "null")"),
	(select($e | has("indicators")) | setdiff("indicators that count"; $counting; $e.indicators | unique)),
	(select($e | has("indicators")) |
	 (($counting - ($e.indicators | unique))[]) as $id | "  unexpected \($id): \(hits_text($o; $id))"),
	(select($e | has("indicators_absent")) | ($e.indicators_absent[] as $id |
	 select($counting | index($id)) | "indicator \($id) counts, but must not: \(hits_text($o; $id))")),
	(select($e | has("negated")) | setdiff("negated or hypothetical"; $negated; $e.negated | unique)),
	(select($e | has("historical")) | setdiff("historical"; $historical; $e.historical | unique)),
	(select($e | has("amp")) | setdiff("amp"; $o.amp | unique; $e.amp | unique)),
	(select($e | has("rules")) | ($e.rules[] as $r | select($rules | index($r) | not) |
	 "rule \($r) is not in the rationale (it has: \($rules | list))")),
	(select($e | has("rules_absent")) | ($e.rules_absent[] as $r | select($rules | index($r)) |
	 "rule \($r) is in the rationale, but must not be")),
	(select($e | has("next_first")) | select(($next[0] // "none") != $e.next_first) |
	 "first next question: got \($next[0] // "none"), wanted \($e.next_first) (next: \($next | list))"),
	(select($e | has("next_exclude")) | ($e.next_exclude[] as $q | select($next | index($q)) |
	 "next questions include \($q), but must not (next: \($next | list))")),
	(select($e | has("next_text")) | ($o.next_questions[] |
	 select(.text | test($e.next_text) | not) |
	 "next question \(.id): text \(.text | tojson) does not match \($e.next_text | tojson)")),
	(select($e | has("next_text")) | select(($next | length) == 0) |
	 "next_text given, but there are no next questions")
)
'

# The shape of a case file itself, so a typo in a key fails loudly.
# shellcheck disable=SC2016
SHAPE='
def known: ["category", "recommended_category", "priority", "covert",
	"overridden", "actions", "indicators", "indicators_absent", "negated",
	"historical", "amp", "rules", "rules_absent", "next_first",
	"next_exclude", "next_text", "warnings"];
(keys - ["name", "about", "input", "expect", "todo", "tip_line"] | map("unknown member \(.)")[]),
(select(has("tip_line") and .tip_line != false) | "tip_line may only be false"),
(select(.name | type != "string") | "no \"name\""),
(select(.about | type != "string") | "no \"about\""),
(select(.input | type != "object") | "no \"input\" object"),
(select(.expect | type != "object") | "no \"expect\" object"),
(select(.expect | type == "object") |
 ((.expect | keys) - known | map("unknown member expect.\(.)")[]),
 (select(.expect | has("category") | not) | "expect.category is required"))
'

# golden FILE: one test point for one case file.
golden() {
	local file=$1 base name todo problems hard=0
	base=$(basename "$file")
	if ! problems=$(jq -r "$SHAPE" "$file" 2>&1); then
		fail "$base: a valid case file" "$problems"
		return
	fi
	if [ -n "$problems" ]; then
		local shape=()
		mapfile -t shape <<<"$problems"
		fail "$base: a valid case file" "${shape[@]}"
		return
	fi
	name=$(jq -r '.name' "$file")
	todo=$(jq -r '.todo // empty' "$file")
	jq '.input' "$file" >"$T/input.json"
	local policy=$POLICY
	[ "$(jq '.tip_line' "$file")" = false ] && policy=$T/policy-no-tip-line.yaml
	run assess "${ENGINE[@]}" --policy "$policy" --compact "$T/input.json"
	# A failed run or output that is not JSON fails even a "todo" case.
	if [ "$RC" -ne 0 ]; then
		problems="assess exited with $RC: $(printf '%s' "$ERR" | head -n 3)"
		hard=1
	elif ! jq -n --slurpfile e <(jq '.expect' "$file") \
		--slurpfile o "$T/.out" '{e: $e[0], o: $o[0]}' >"$T/pair.json" 2>"$T/jq.err"; then
		problems="the output is not JSON: $(head -n 1 "$T/jq.err")"
		hard=1
	else
		problems=$(jq -r "$COMPARE" "$T/pair.json" 2>&1) ||
			problems="jq failed comparing: $problems"
	fi
	local label="$base: $name"
	if [ -z "$problems" ]; then
		if [ -n "$todo" ]; then
			# Passing a known disagreement: the engine changed.
			n=$((n + 1))
			echo "ok $n - $label # TODO $todo"
		else
			pass "$label"
			# The rules this passing case made fire, for the coverage below.
			jq -r '.rationale[].rule' "$T/.out" >>"$T/covered"
			jq -c '.input' "$file" >>"$T/inputs"
		fi
		return
	fi
	if [ -n "$todo" ] && [ "$hard" -eq 0 ]; then
		n=$((n + 1))
		echo "not ok $n - $label # TODO $todo"
		printf '%s\n' "$problems" | sed 's/^/#   /'
		return
	fi
	local lines=()
	mapfile -t lines <<<"$problems"
	lines+=("input: $(jq -c . "$T/input.json" | cut -c1-400)")
	fail "$label" "${lines[@]}"
}

# ---- the golden cases --------------------------------------------------------
# The default policy with its tip line disabled (domain.md section 3: no tip
# line, credible tips go to the point of contact), for "tip_line": false.
sed 's/^\(  tip_line: {enabled: \)true/\1false/' "$POLICY" >"$T/policy-no-tip-line.yaml"
if cmp -s "$POLICY" "$T/policy-no-tip-line.yaml"; then
	fail "a policy without a tip line, derived from etc/policy.yaml" \
		"no line '  tip_line: {enabled: true' to change in $POLICY"
fi
shopt -s nullglob
files=("$DIR"/*.json)
if [ ${#files[@]} -eq 0 ]; then
	fail "golden calls in $DIR" "no *.json files"
fi
# Under valgrind (HTD_WRAPPER), where each assess takes seconds, every
# third case: the plain and sanitizer builds run them all, and check the
# coverage below, which needs them all.
step=1
[ -n "${HTD_WRAPPER:-}" ] && step=3
for i in "${!files[@]}"; do
	[ $((i % step)) -eq 0 ] && golden "${files[$i]}"
done

# ---- coverage -------------------------------------------------------------------
if [ "$step" -eq 1 ]; then
# Issue 4: at least 40 calls, covering every rule of the default policy (each
# category, action and priority rule fired in the rationale of a passing
# case), both languages, a covert caller and overrides.
touch "$T/covered" "$T/inputs"
# The rule ids of etc/policy.yaml: "- id:" items under categories,
# action_rules and priorities (not actions or notification targets).
policy_rules() {
	awk '/^[a-z_]+:/ { sect = $1 }
		(sect == "categories:" || sect == "action_rules:" || sect == "priorities:") &&
		/^ *- id: / { sub(/^ *- id: */, ""); sub(/ *#.*$/, ""); print }' "$1"
}
mapfile -t rules < <(policy_rules "$POLICY")
if [ "${#rules[@]}" -ge 20 ]; then
	pass "the default policy's rule ids read (${#rules[@]})"
else
	fail "the default policy's rule ids read" "only ${#rules[@]}: ${rules[*]}"
fi
uncovered=()
for r in "${rules[@]}"; do
	grep -qxF -- "$r" "$T/covered" || uncovered+=("$r")
done
if [ "${#uncovered[@]}" -eq 0 ]; then
	pass "every rule of the default policy fires in a passing golden case"
else
	fail "every rule of the default policy fires in a passing golden case" \
		"never in a rationale: ${uncovered[*]}"
fi
# The check itself must be able to fail: a rule no case can fire.
printf 'categories:\n  - id: nowhere.never\n' >"$T/extra-rule.yaml"
missing=$(policy_rules "$T/extra-rule.yaml" | grep -vxF -f "$T/covered")
is "$missing" "nowhere.never" "the coverage check catches a rule no case fires"
passing=$(wc -l <"$T/inputs")
if [ "$passing" -ge 40 ]; then
	pass "at least 40 passing golden calls ($passing)"
else
	fail "at least 40 passing golden calls" "$passing"
fi
is "$(jq -s '[.[] | select(.language == "es")] | length >= 3' "$T/inputs")" true \
	"golden calls in Spanish (at least 3)"
is "$(jq -s '[.[] | select(.answers.safe_to_talk == "no")] | length >= 2' "$T/inputs")" true \
	"golden calls with a covert caller (at least 2)"
is "$(jq -s '[.[] | select(has("override"))] | length >= 3' "$T/inputs")" true \
	"golden calls with a category override (at least 3)"
is "$(jq -s '[.[] | select(.actions // [] | any(.state == "not_applicable"))] | length >= 1' "$T/inputs")" true \
	"golden calls marking an action not applicable"
fi

# The comparison itself must be able to fail: the last case's decision
# against expectations that are wrong on purpose.
if [ -f "$T/pair.json" ]; then
	wrong=$(jq '.e.category = "not_a_category" | .e.actions.not_an_action = "required"
		| .e.indicators = ["not_an_indicator"] | .e.rules = ["not_a_rule"]' "$T/pair.json" |
		jq -r "$COMPARE")
	has "$wrong" 'category: got' "the comparison catches a wrong category"
	has "$wrong" 'action not_an_action: not on the checklist' "... a missing action"
	has "$wrong" 'missing not_an_indicator' "... a missing indicator"
	has "$wrong" 'rule not_a_rule is not in the rationale' "... a missing rule"
else
	fail "the comparison can fail" "no case was compared"
fi

# ---- bad input ----------------------------------------------------------------
# assess reads a file or stdin; every error below is exit 2 with a message
# a script author can act on.
printf '{"answers": {"in_danger_now": "no",\n  "caller_is_victim" "yes"}}\n' >bad.json
run assess "${ENGINE[@]}" --policy "$POLICY" bad.json
rc_is 2 "malformed JSON: exit 2"
has "$ERR" "bad.json:2:" "malformed JSON: the message gives the line"
if [[ "$ERR" =~ bad\.json:2:[0-9]+: ]]; then
	pass "malformed JSON: line:column"
else
	fail "malformed JSON: line:column" "no bad.json:2:COLUMN: in the message"
fi
run assess "${ENGINE[@]}" --policy "$POLICY" - <bad.json
rc_is 2 "malformed JSON on stdin: exit 2"

echo '{"answers": {"free_to_leave": true}}' >type.json
run assess "${ENGINE[@]}" --policy "$POLICY" type.json
rc_is 2 "an answer of the wrong type: exit 2"
has "$ERR" "free_to_leave" "the wrong type: names the question"
lacks "$OUT" '"category"' "the wrong type: no decision printed"

has "$ERR" "must be a string, not a boolean" "the wrong type: says what was given"

echo '{"answers": {"people_count": 12.5}}' >real.json
run assess "${ENGINE[@]}" --policy "$POLICY" real.json
rc_is 2 "a number with a fraction for a number question: exit 2"
has "$ERR" "people_count must be a string or a whole number" "names the question and what it takes"

echo '{"answers": {"caller_is_victim": "yes", "free_to_leave": null}}' >null.json
run assess "${ENGINE[@]}" --policy "$POLICY" --compact null.json
rc_is 0 "a null answer: decided"
is "$(printf '%s' "$OUT" | jq -c '[.next_questions[].id | select(. == "free_to_leave")]')" \
	'["free_to_leave"]' "a null answer is no answer: the question is still to ask"

echo '{"answers": {"free_to_leave": "maybe"}}' >value.json
run assess "${ENGINE[@]}" --policy "$POLICY" value.json
rc_is 2 "a yes/no answer that is neither: exit 2"
has "$ERR" "free_to_leave" "a bad value: names the question"
has "$ERR" "maybe" "a bad value: quotes it"

echo '{"answers": {"in_danger_now": "no"}, "priority": 1}' >member.json
run assess "${ENGINE[@]}" --policy "$POLICY" member.json
rc_is 2 "an unknown top-level member: exit 2"
has "$ERR" '"priority"' "an unknown member: names it"

echo '{"override": {"category": "victim_call", "why": "x"}}' >ovmember.json
run assess "${ENGINE[@]}" --policy "$POLICY" ovmember.json
rc_is 2 "an unknown member of override: exit 2"
has "$ERR" '"why"' "names the member of override"

echo '{"override": {"category": "emergency", "reason": "x"}}' >ovcat.json
run assess "${ENGINE[@]}" --policy "$POLICY" ovcat.json
rc_is 2 "an override to a category that does not exist: exit 2"
has "$ERR" "override.category" "names override.category"

echo '{"actions": [{"action": "radio_alert", "state": "not_applicable"}]}' >mark.json
run assess "${ENGINE[@]}" --policy "$POLICY" mark.json
rc_is 2 "not_applicable without a reason: exit 2 (NENA-STA-020.1)"
has "$ERR" "reason" "says a reason is needed"

echo '{"actions": [{"action": "call_the_boss", "state": "done"}]}' >action.json
run assess "${ENGINE[@]}" --policy "$POLICY" action.json
rc_is 2 "marking an action the policy does not have: exit 2"
has "$ERR" "call_the_boss" "names the action"

echo '[{"answers": {}}]' >array.json
run assess "${ENGINE[@]}" --policy "$POLICY" array.json
rc_is 2 "a JSON array instead of one call: exit 2"

# Over 1 MiB: a call that would be valid but for its size (an "id" is any
# text, echoed), one byte over the limit; and the same at the limit, read.
big_doc() {
	printf '{"answers": {"in_danger_now": "no"}, "id": "'
	head -c $(($1 - 46)) /dev/zero | tr '\0' 'a'
	printf '"}'
}
big_doc $((1024 * 1024 + 1)) >big.json
is "$(stat -c %s big.json)" "$((1024 * 1024 + 1))" "the oversized input is 1 MiB + 1 byte"
run assess "${ENGINE[@]}" --policy "$POLICY" big.json
rc_is 2 "input over 1 MiB: refused with exit 2"
has "$ERR" "larger than 1048576 bytes" "over 1 MiB: says the limit"
lacks "$OUT" '"category"' "over 1 MiB: no decision printed"
run assess "${ENGINE[@]}" --policy "$POLICY" - <big.json
rc_is 2 "over 1 MiB on stdin: refused"
big_doc $((1024 * 1024)) >limit.json
is "$(stat -c %s limit.json)" "$((1024 * 1024))" "the input at the limit is 1 MiB"
run assess "${ENGINE[@]}" --policy "$POLICY" --compact limit.json
rc_is 0 "input of exactly 1 MiB: decided"
has "$OUT" '"category":' "at the limit: a decision"

run assess "${ENGINE[@]}" --policy "$POLICY" missing.json
rc_is 1 "a file that does not exist: exit 1"
has "$ERR" "missing.json" "names the file"

done_testing
