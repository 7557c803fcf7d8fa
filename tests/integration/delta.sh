#!/bin/bash
# delta.sh - the tenant's view kept with Graph's delta query: the first
# run reads every user, later ones only the changes, and the plan is
# byte for byte the one a full read gives, after users were added,
# removed, given and stripped of licenses outside licsync; a refused
# delta link, full_read_every, --full-read and a change that shows the
# view wrong each lead to a full read.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
T1=1790000000
slapd_up "$top_srcdir/tests/data/directory.ldif"
mkstate --sku crm:$SKU_CRM:50 --hold crm:bob --hold crm:mallory \
	--hold crm:heidi:grp-1
graph_start "$T/state.json" --seed 7
write_config ""
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
policy all "sales support"

delta_calls() {         # GET /users/delta requests the server answered
	graph_stat by_path /v1.0/users/delta
}
full_rounds() {         # ... of them, first pages of a full read
	grep -c -E '"path":"/v1.0/users/delta\?\$select=[^&"]*"' "$T/graph.log"
}

# ---- the first run reads every user, and keeps them ----
: >"$T/graph.log"
at $T1 plan --format json
is "first run: exit 0" "$RC" 0
contains "first run: every user read, and why" "$ERR" \
	"backend default: reading every user: no view of the users kept yet"
is "first run: one full round" "$(full_rounds)" 1
is "first run: no GET /users" "$(graph_stat by_path /v1.0/users)" 0
is "first run: the view is kept" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM tenant_users")" \
	"$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["users"]))' "$T/state.json")"

# ---- nothing changed: one request, the same plan ----
printf '%s\n' "$OUT" >"$T/first.json"
: >"$T/graph.log"
before=$(delta_calls)
at $T1 plan --format json
is "no change: exit 0" "$RC" 0
is "no change: one delta request" "$(($(delta_calls) - before))" 1
is "no change: no full round" "$(full_rounds)" 0
printf '%s\n' "$OUT" >"$T/second.json"
check "no change: the same plan" cmp -s "$T/first.json" "$T/second.json"

# ---- changed outside licsync: the delta plan is the full read's ----
state_edit '
s["users"].append({"userPrincipalName": "newbie@example.com",
                   "usageLocation": "DE", "licenses": [
                       {"skuId": "'$SKU_CRM'", "group": None,
                        "disabledPlans": []}]})
s["users"] = [x for x in s["users"]
              if x["userPrincipalName"] != "ivan@example.com"]
lic("grace", "'$SKU_CRM'")
unlic("bob", "'$SKU_CRM'")
for x in s["users"]:
    if x["userPrincipalName"] == "alice@example.com":
        x["usageLocation"] = None
'
: >"$T/graph.log"
at $T1 plan --format json
is "after changes: exit 0" "$RC" 0
is "after changes: read as changes" "$(full_rounds)" 0
printf '%s\n' "$OUT" >"$T/delta.json"
at $T1 plan --full-read --format json
is "--full-read: exit 0" "$RC" 0
contains "--full-read: every user read, and why" "$ERR" \
	"reading every user: --full-read"
printf '%s\n' "$OUT" >"$T/full.json"
check "after changes: the delta plan is byte for byte the full read's" \
	cmp -s "$T/delta.json" "$T/full.json"
check "after changes: and it is not the first plan" \
	eval '! cmp -s "$T/first.json" "$T/delta.json"'

# ---- a refused delta link: a full read, logged, the same plan ----
graph_config '{"delta_expired": 1}'
at $T1 plan --format json
is "refused link: exit 0" "$RC" 0
contains "refused link: logged" "$ERR" \
	"reading every user: the backend refused the delta link"
printf '%s\n' "$OUT" >"$T/refused.json"
check "refused link: the same plan" cmp -s "$T/full.json" "$T/refused.json"
graph_config '{"delta_expired": 0}'

# ---- full_read_every ----
at $((T1 + 86400)) plan --format json
is "a day later: exit 0" "$RC" 0
contains "a day later: every user read" "$ERR" \
	"the last full read is older than full_read_every"
at $((T1 + 86400 + 60)) plan
check "... and not again a minute later" \
	eval '! grep -q "reading every user" "$T/err"'

# ---- apply: Graph's answers go into the view ----
at $((T1 + 86400 + 120)) apply
is "apply: exit 0" "$RC" 0
at $((T1 + 86400 + 180)) plan --format json
is "after apply: exit 0" "$RC" 0
is "after apply: nothing left to do (from the delta)" "$(printf '%s' "$OUT" |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["changes"]))')" 0

# ---- a license that became inherited (Graph does not track it) ----
# john.smith's direct license (licsync's) is now held through a group
# only: assignedLicenses does not change, the view still says direct, so
# the plan removes it; Graph answers that it is inherited, and the next
# run reads every user.
policy all "sales"
state_edit '
for x in s["users"]:
    if x["userPrincipalName"] == "john.smith@example.com":
        x["licenses"] = [{"skuId": "'$SKU_CRM'", "group": "grp-1",
                          "disabledPlans": []}]
'
at $((T1 + 86400 + 240)) apply
is "inherited: the apply ends" "$RC" 0
contains "inherited: Graph said so" "$OUT" "[skipped: "
at $((T1 + 86400 + 300)) plan --format json
is "inherited: exit 0" "$RC" 0
contains "inherited: the next run reads every user" "$ERR" \
	"changes failed in ways the kept view did not foresee"
printf '%s\n' "$OUT" >"$T/after-inherited.json"
at $((T1 + 86400 + 300)) plan --full-read --format json
printf '%s\n' "$OUT" >"$T/after-inherited-full.json"
check "inherited: the plan is the full read's" \
	cmp -s "$T/after-inherited.json" "$T/after-inherited-full.json"

tap_done
