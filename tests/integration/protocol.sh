#!/usr/bin/env bash
# protocol.sh - `htdispatch check` on the protocol and policy files as agency
# staff use it after an edit: the shipped files pass; broken copies (typos,
# unknown names in rules, a missing stable action, a missing translation, a
# shadowed rule, a template field a notice may not use) fail with exit 1 and
# every error at file:line:column; a policy is checked against the protocol
# it is given.
. "$(dirname "$0")/lib.sh"

PROTO="$HTD_SOURCE_ROOT/data/protocol/nena-ht.yaml"
POLICY="$HTD_SOURCE_ROOT/etc/policy.yaml"

# at FILE NEEDLE [SKIP]: "FILE:LINE:COLUMN" of the first line of FILE
# holding NEEDLE, the column being where NEEDLE starts (in characters),
# plus SKIP.
at() {
	LC_ALL=C awk -v n="$2" -v f="$1" -v skip="${3:-0}" 'index($0, n) {
		pre = substr($0, 1, index($0, n) - 1)
		# Count characters, not bytes: drop UTF-8 continuation bytes.
		gsub(/[\200-\277]/, "", pre)
		print f ":" NR ":" length(pre) + 1 + skip; exit }' "$1"
}
# line_of FILE NEEDLE: the number of the first line holding NEEDLE.
line_of() { grep -n -F -m1 -- "$2" "$1" | cut -d: -f1; }

# ---- usage ---------------------------------------------------------------------
run check --help; rc_is 0 "check --help"
has "$OUT" "--protocol FILE" "help names --protocol"
has "$OUT" "policy" "help names the policy kind"
run check --protocol; rc_is 2 "--protocol without a value"
run check --protocol "" "$POLICY"; rc_is 2 "--protocol with an empty value"

# ---- the shipped files ---------------------------------------------------------
run check --protocol "$PROTO" "$PROTO" "$POLICY"; rc_is 0 "the shipped protocol and policy pass"
has "$OUT" "ok: $PROTO (26 questions, 4 with show_if, 2 languages)" "protocol ok line with counts"
has "$OUT" "ok: $POLICY (8 category rules, 12 action rules, 4 priority rules)" "policy ok line with counts"
is "$ERR" "" "nothing on stderr"
# lib.sh exports HTDISPATCH_PROTOCOL: the engine's protocol is the default.
run check "$POLICY"; rc_is 0 "the policy against \$HTDISPATCH_PROTOCOL"
run check --json --protocol "$PROTO" "$PROTO" "$POLICY"; rc_is 0 "--json"
has "$OUT" '"kind":"protocol","id":"nena-ht","version":"1.0.0","questions":26,"show_if":4,"languages":2,"ok":true,"errors":[]}' "protocol as JSON"
has "$OUT" '"kind":"policy","id":"default","version":"2026.11","protocol":"'"$PROTO"'",' "policy as JSON"
has "$OUT" '"category_rules":8,"action_rules":12,"priority_rules":4,"actions":10,"ok":true,"errors":[]}' "policy counts as JSON"

# A policy anywhere, by name or by its keys; a protocol by its keys.
mkdir -p agency
cp "$POLICY" agency/policy.yaml
cp "$POLICY" agency/rules-2027.yaml
cp "$PROTO" agency/questions.yaml
run check agency/policy.yaml agency/rules-2027.yaml agency/questions.yaml
rc_is 0 "recognised by name and by top-level keys"
has "$OUT" "ok: agency/rules-2027.yaml (8 category rules" "a policy by its keys"
has "$OUT" "ok: agency/questions.yaml (26 questions" "a protocol by its keys"

# ---- no protocol to check a policy against --------------------------------------
HTDISPATCH_PROTOCOL= run check agency/policy.yaml; rc_is 1 "no protocol here"
has "$OUT" "data/protocol/nena-ht.yaml: cannot open" "names the protocol it looked for"
has "$OUT" "agency/policy.yaml: a policy is checked against its protocol" "and says how to give one"
has "$OUT" "--protocol FILE" "names the option"

# ---- a broken protocol -----------------------------------------------------------
mkdir -p bad/protocol
B=bad/protocol/nena-ht.yaml
sed -e '0,/    type: yes_no/s//    type: yesno/' \
	-e 's/^    covert_ok: true$/    covert_okay: true/' \
	-e "s/show_if: 'answer.caller_is_victim == \"no\"'/show_if: 'answer.caller_is_victm == \"no\"'/" \
	"$PROTO" >"$B"
run check "$B"; rc_is 1 "a broken protocol fails"
has "$OUT" "$(at "$B" yesno): question in_danger_now: unknown answer type 'yesno'" "unknown answer type at its place"
has "$OUT" "$(at "$B" covert_okay): unknown key 'covert_okay' in question" "a misspelt key at its place"
has "$OUT" "$(at "$B" answer.caller_is_victm): question victim_present: show_if: unknown question \"caller_is_victm\"" "a show_if error at its column"
has "$ERR" "1 of 1 file with errors" "counted on stderr"
lacks "$OUT" "ok:" "no ok line"
run check --json "$B"; rc_is 1 "--json on a broken protocol"
has "$OUT" "\"ok\":false" "not ok as JSON"
has "$OUT" "\"line\":$(line_of "$B" yesno)" "lines as JSON"

# A policy cannot be checked against a broken protocol: its errors show.
run check --protocol "$B" "$POLICY"; rc_is 1 "a policy against a broken protocol"
has "$OUT" "$(at "$B" yesno): question in_danger_now" "the protocol's errors, in the protocol"

# ---- the lint on a protocol -------------------------------------------------------
mkdir -p lint/protocol
L=lint/protocol/nena-ht.yaml
grep -v -F 'es: "¿Esto está pasando ahora, o terminó apenas en las últimas horas?"' "$PROTO" >"$L"
run check "$L"; rc_is 1 "a missing translation fails the check"
has "$OUT" "$L:$(line_of "$L" "id: happening_now"):5: question happening_now: no \"es\" text" "the lint names the question and language"

# ---- a broken policy -------------------------------------------------------------
mkdir -p badpol
P=badpol/policy.yaml
awk '/^  - id: no_callback$/ { getline; next } { print }' "$POLICY" |
	sed -e 's/and answer.escaped == "yes"/and answer.escapd == "yes"/' \
		-e '0,/category: victim_call$/s//category: victim_cal/' \
		-e 's/^    action: refer_nhth$/    action: refer_hotline/' \
		-e 's/^      priority: 1$/      priority: 0/' >"$P"
run check --protocol "$PROTO" "$P"; rc_is 1 "a broken policy fails"
has "$OUT" "$(at "$P" answer.escapd): victim_escape.escaped: when: unknown question \"escapd\"" "a rule error at its line and column"
has "$OUT" "$(at "$P" "category: victim_cal" 10): victim_call.danger_now: unknown category 'victim_cal'" "an unknown category"
has "$OUT" "$(at "$P" refer_hotline): refer_nhth.other: action 'refer_hotline' is not declared under actions:" "an undeclared action"
has "$OUT" "$P:$(grep -n -m1 '^actions:' "$P" | cut -d: -f1):1: actions: the stable action 'no_callback' is missing" "a missing stable action"
has "$OUT" "$(at "$P" "priority: 0" 10): priority must be a whole number from 1 to 9, not '0'" "a priority out of range"

# The same policy rules against a protocol without a question they use.
mkdir -p small/protocol
awk '/^  - id: first_hand$/ { skip = 1 } /^  # ---- the situation/ { skip = 0 } !skip' "$PROTO" >small/protocol/p.yaml
run check --protocol small/protocol/p.yaml "$POLICY"; rc_is 1 "a policy is checked against the protocol given"
has "$OUT" "$(at "$POLICY" 'answer.first_hand'): victim_call.third_party_now: when: unknown question \"first_hand\"" "in the policy, at the rule"

# ---- the lint on a policy -------------------------------------------------------
cp "$POLICY" lint/policy.yaml
cat >>lint/policy.yaml <<'EOF'
    - id: priority.never
      priority: 5
      why: "Shadowed: priority.victim already takes every victim call."
      when: 'category == "victim_call"'
EOF
run check --protocol "$PROTO" lint/policy.yaml; rc_is 1 "a shadowed rule fails the check"
has "$OUT" "$(at lint/policy.yaml "'category == \"victim_call\"'"): priority rule priority.never is shadowed by priority.victim" "the lint places it in the policy, at its condition"

# A category no rule gives, and a category with no action: placed at the
# list the fix belongs in (categories: or action_rules:), line and column.
mkdir -p lists
awk '/^  - id: credible_tip.first_hand$/ { skip = 1 } /^  - id: other.screened$/ { skip = 0 } !skip' \
	"$POLICY" >lists/policy.yaml
run check --protocol "$PROTO" lists/policy.yaml; rc_is 1 "a category no rule gives fails the check"
has "$OUT" "lists/policy.yaml:$(line_of lists/policy.yaml 'categories:'):1: no rule gives category credible_tip" \
	"at the categories: list, line and column"
sed -e "s/when: 'category == \"other\"'$/when: 'category == \"credible_tip\"'/" \
	-e "s/when: 'category != \"undetermined\"'$/when: 'category != \"undetermined\" and category != \"other\"'/" \
	-e "s/when: 'true'$/when: 'category != \"other\"'/" \
	-e "s/when: 'not language_supported'$/when: 'not language_supported and category != \"other\"'/" \
	-e "s/when: '\(answer\.[a-z_]* == \"no\"\)'$/when: '\1 and category != \"other\"'/" \
	"$POLICY" >lists/noaction.yaml
run check --protocol "$PROTO" lists/noaction.yaml; rc_is 1 "a category with no action fails the check"
has "$OUT" "lists/noaction.yaml:$(line_of lists/noaction.yaml 'action_rules:'):1: category other has no actions" \
	"at the action_rules: list, line and column"
lacks "$OUT" "never fires" "... and nothing else is wrong with that copy"

# ---- serve and call refuse what check refuses, with the same messages -----------
# A file that loads but fails the lint: the finding lines check prints are
# the lines serve and call print before refusing to start (issue 4, "Bad
# input"). The protocol: a missing translation and a question never asked.
mkdir -p refuse/protocol
sed -e '/^      es: "¿Qué tipo de trabajo es?"$/d' \
	-e "s/show_if: 'answer.others_with_you == \"yes\"'/show_if: 'answer.others_with_you == \"yes\" and answer.others_with_you == \"no\"'/" \
	"$PROTO" >refuse/protocol/p.yaml
run init --db refuse.db; rc_is 0 "a database for serve and call"
echo ':quit' >refuse/script.txt
# same_refusal WHAT CHECK_OUT ARGS...: serve and call with ARGS exit 1 and
# print every finding line of CHECK_OUT.
same_refusal() {
	local what=$1 want=$2 line cmd
	shift 2
	for cmd in serve call; do
		if [ "$cmd" = serve ]; then
			run serve --db refuse.db --listen 127.0.0.1:0 "$@"
		else
			run call --db refuse.db --script refuse/script.txt "$@"
		fi
		rc_is 1 "$cmd refuses to start with $what"
		while IFS= read -r line; do
			has "$ERR" "$line" "$cmd prints check's finding: ${line#*: }"
		done <<<"$want"
		lacks "$OUT" "listening" "$cmd: nothing started"
	done
}
run check --protocol "$PROTO" lint/policy.yaml
same_refusal "a policy that fails the lint" "$OUT" --policy lint/policy.yaml
run check refuse/protocol/p.yaml; rc_is 1 "the protocol with lint findings fails the check"
has "$OUT" "question industry: no \"es\" text" "... a missing translation"
has "$OUT" "question people_count is never asked" "... a question never asked"
same_refusal "a protocol that fails the lint" "$OUT" --protocol refuse/protocol/p.yaml

# ---- notifications: templates name only the fields of their notice ---------------
mkdir -p notify
sed -e 's/Units sent: {units}$/Units sent: {unit}/' \
	-e 's/text: "{script} Incident {call_id}."/text: "{script} Callback {callback}."/' \
	"$POLICY" >notify/policy.yaml
run check --protocol "$PROTO" notify/policy.yaml; rc_is 1 "an unknown template field fails the check"
has "$OUT" "$(at notify/policy.yaml '{unit}' 1): notice supervisor_notice: text: unknown field 'unit'" "at its line and column, in a block"
has "$OUT" "$(at notify/policy.yaml '{callback}.' 1): notice radio_alert: text: {callback} is not a field of a radio_alert" "the callback number is refused in a radio alert"

done_testing
