#!/bin/bash
# location.sh - backend.usage_location: an entitled user without a usage
# location gets the directory's code (or the default) set first, in the
# same $batch as the assignment that depends on it; the plan, explain and
# the audit trail say so; a directory value that is not a code stops the
# run, and a refused location leaves the license unassigned.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
command -v ldapmodify >/dev/null || tap_skip_all "ldapmodify not available"

G="ou=groups,dc=example,dc=com"
P="ou=people,dc=example,dc=com"
slapd_up "$top_srcdir/tests/data/directory.ldif"
# carol's country is DE; dave's locality says Germany, which is no code.
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	>"$T/ldapmodify.out" 2>&1 <<EOF || { echo "Bail out! ldapmodify"; cat "$T/ldapmodify.out"; exit 1; }
dn: cn=Carol,$P
changetype: modify
add: objectClass
objectClass: extensibleObject
-
add: c
c: DE

dn: cn=Dave,$P
changetype: modify
add: l
l: Germany
EOF

# carol, dave and ivan have no usage location in the tenant.
mkstate --sku crm:$SKU_CRM:50 \
	--noloc carol --noloc dave --noloc ivan
graph_start "$T/state.json"
write_config
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
cp "$T/licsync.conf" "$T/conf.none"

cat >"$T/policy.yaml" <<EOF
apps:
  acme-crm:
    sku: $SKU_CRM
    groups:
      - cn=sales,$G
      - cn=engineering,$G
      - cn=support,$G
EOF

location() {    # location YAML-LINES...: backend.usage_location
	cp "$T/conf.none" "$T/licsync.conf"
	{
		printf '  usage_location:\n'
		for l in "$@"; do printf '    %s\n' "$l"; done
	} >"$T/loc.yaml"
	sed -i "/^  token_url:/r $T/loc.yaml" "$T/licsync.conf"
}

tenant_user() {         # tenant_user UPN: usageLocation and licenses
	curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
for u in json.load(sys.stdin)["users"]:
    if u["userPrincipalName"] == sys.argv[1]:
        print(u.get("usageLocation"), len(u["licenses"]))' "$1"
}


# ---- not configured: skipped, as always ----
run_licsync plan
is "no usage_location: plan exits 0" "$RC" 0
contains "no usage_location: carol skipped" "$OUT" \
	"? skipped  carol@example.com: no usage location"
contains "no usage_location: dave skipped" "$OUT" \
	"? skipped  dave@example.com: no usage location"

# ---- from the directory's c ----
location "attribute: c"
run_licsync plan
is "attribute c: plan exits 0" "$RC" 0
contains "attribute c: carol's location is set first" "$OUT" \
	"+ assign   carol@example.com: member of cn=sales,$G; set usage location DE, then assign"
contains "attribute c: dave has no c: skipped" "$OUT" \
	"? skipped  dave@example.com: no usage location"
run_licsync plan --format json
printf '%s\n' "$OUT" >"$T/plan.json"
check "attribute c: the JSON change carries the code" \
	python3 - "$T/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
c = {x["user"]: x for x in p["changes"]}
assert c["carol@example.com"]["usage_location"] == "DE", c
assert "usage_location" not in c["alice@example.com"], c
PY

# ---- a directory value that is no code, for a user who needs one ----
location "attribute: l" "default: US"
run_licsync plan
is "attribute l (Germany): plan exits 3" "$RC" 3
contains "attribute l (Germany): names the user and the value" "$ERR" \
	"directory attribute 'l' (backend.usage_location) holds no ISO 3166 country code for 1 user who needs one: dave@example.com 'Germany'; fix it in the directory"
run_licsync apply
is "attribute l (Germany): apply exits 3" "$RC" 3
is "attribute l (Germany): nothing was written" "$(graph_stat batch_items)" 0
run_licsync explain dave@example.com
is "attribute l (Germany): explain still explains (exit 0)" "$RC" 0
contains "attribute l (Germany): explain shows the value" "$OUT" \
	"  backend:   known, without a usage location; the directory's (l: 'Germany') is not an ISO 3166 code"

# ---- the directory's code, else the default ----
location "attribute: c" "default: us"
run_licsync check
is "default us: check exits 0" "$RC" 0
run_licsync explain ivan@example.com
contains "explain: ivan gets the default" "$OUT" \
	"  backend:   known, without a usage location; licsync sets US before assigning"
contains "explain: the decision says so" "$OUT" \
	"  decision:  assign: member of cn=support,$G; set usage location US, then assign"
: >"$T/graph.log"
run_licsync apply
is "apply: exit 0" "$RC" 0
contains "apply: carol's change, done" "$OUT" \
	"+ assign   carol@example.com: member of cn=sales,$G; set usage location DE, then assign [ok]"
is "apply: carol has DE and the license" "$(tenant_user carol@example.com)" "DE 1"
is "apply: dave has the default and the license" "$(tenant_user dave@example.com)" "US 1"
is "apply: ivan has the default and the license" "$(tenant_user ivan@example.com)" "US 1"
is "apply: alice's location is left alone" "$(tenant_user alice@example.com)" "US 1"
check "apply: each location went in one \$batch with its assignment, which depends on it" \
	python3 - "$T/graph.log" "$GRAPH_BASE" <<'PY'
import json, sys, urllib.request
users = {u["id"]: u["userPrincipalName"] for u in json.load(
    urllib.request.urlopen(sys.argv[2] + "/_test/state"))["users"]}
pairs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    items = r.get("batch") or []
    patches = [i for i in items if i["method"] == "PATCH"]
    if not patches:
        continue
    assert len(items) == 2, items
    p, a = items
    assert p["method"] == "PATCH" and a["url"].endswith("/assignLicense"), items
    assert p["status"] == 204 and a["status"] == 200, items
    assert p["url"].split("/")[2] == a["url"].split("/")[2], items
    pairs[users[p["url"].split("/")[2]]] = True
assert sorted(pairs) == ["carol@example.com", "dave@example.com",
                         "ivan@example.com"], pairs
PY
reason=$(sqlite3 "$T/licsync.db" "SELECT result || '|' || reason FROM changes WHERE user = 'carol@example.com'")
is "audit: the row says the location was set first" "$reason" \
	"ok|member of cn=sales,$G; set usage location DE, then assign"
run_licsync plan
contains "second plan: nothing left to do" "$OUT" \
	"Plan: 0 to assign, 0 to unassign"

# ---- setting the location refused: no license either ----
state --sku crm:$SKU_CRM:50 \
	--noloc ivan
cat >"$T/policy.yaml" <<EOF
apps:
  acme-crm:
    sku: $SKU_CRM
    groups:
      - cn=support,$G
EOF
sed -i 's|^backend:$|backend:\n  max_retries: 0|' "$T/licsync.conf"
curl -sf -X PUT -d '{"fault_503": 1.0, "retry_after": 0, "faults_on_writes_only": 1}' \
	"$GRAPH_BASE/_test/config" >/dev/null
calls=$(graph_stat assign_calls)
run_licsync apply --format json
is "location throttled for good: exit 6" "$RC" 6
printf '%s\n' "$OUT" >"$T/refused.json"
check "location throttled for good: ivan's change failed, as throttled" \
	python3 - "$T/refused.json" <<'PY'
import json, sys
c = {x["user"]: x for x in json.load(open(sys.argv[1]))["changes"]}
i = c["ivan@example.com"]
assert i["result"] == "failed" and i["outcome"] == "throttled", i
assert i["usage_location"] == "US", i
PY
is "location throttled for good: no license was assigned" "$(graph_stat assign_calls)" "$calls"
is "location throttled for good: ivan still has neither" "$(tenant_user ivan@example.com)" "None 0"
curl -sf -X PUT -d '{"fault_503": 0, "faults_on_writes_only": 0}' \
	"$GRAPH_BASE/_test/config" >/dev/null

# ---- the location set, the assignment refused: the error says so ----
# ivan holds the wiki, which the CRM excludes.
mkstate --sku crm:$SKU_CRM:50 \
	--sku wiki:$SKU_WIKI:50 --hold wiki:ivan --noloc ivan
python3 - "$T/state.json" "$SKU_WIKI" >"$T/state2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["skus"][0]["mutuallyExclusiveWith"] = [sys.argv[2]]
json.dump(s, sys.stdout)
PY
graph_state "$T/state2.json"
run_licsync apply --format json
is "assignment refused after the location was set: exit 6" "$RC" 6
printf '%s\n' "$OUT" >"$T/exclusive.json"
check "assignment refused: the error notes the location was set" \
	python3 - "$T/exclusive.json" <<'PY'
import json, sys
c = {x["user"]: x for x in json.load(open(sys.argv[1]))["changes"]}
i = c["ivan@example.com"]
assert i["result"] == "failed" and i["outcome"] == "mutually_exclusive", i
assert i["error"].endswith("(the usage location was set to US)"), i
PY
is "assignment refused: ivan's location is set, no CRM license" \
	"$(tenant_user ivan@example.com)" "US 1"
row=$(sqlite3 "$T/licsync.db" "SELECT outcome || '|' || error_message FROM changes WHERE user = 'ivan@example.com' ORDER BY id DESC LIMIT 1")
contains "assignment refused: the audit row says so too" "$row" \
	"mutually_exclusive|"
contains "assignment refused: ... with the location" "$row" \
	"(the usage location was set to US)"

# ---- configuration errors ----
location "default: Germany"
run_licsync check
is "default Germany: exit 2" "$RC" 2
contains "default Germany: where and why" "$ERR" \
	"licsync.conf:20:14: 'default' must be an ISO 3166 two-letter country code, like DE or US: 'Germany'"

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi
tap_done
