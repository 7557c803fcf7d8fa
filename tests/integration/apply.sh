#!/bin/bash
# apply.sh - `licsync apply` against a throwaway slapd and the Graph test
# server: the tenant ends up as the policy says, a second run changes
# nothing, and the audit trail matches exactly the writes the server saw,
# also when a fifth of the items are throttled.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
PLAN1="113feb6c-3fe4-4440-bddc-54d774bf0318"
slapd_up "$top_srcdir/tests/data/directory.ldif"

crm_plans() {   # crm_plans STATE-FILE: acme-crm has a service plan and
	# excludes acme-wiki
	python3 - "$1" "$SKU_CRM" "$SKU_WIKI" "$PLAN1" <<'PY'
import json, sys
p, crm, wiki, plan = sys.argv[1:]
s = json.load(open(p))
for k in s["skus"]:
    if k["skuId"] == crm:
        k["servicePlans"] = [{"servicePlanId": plan,
                              "servicePlanName": "CRM_ANALYTICS"}]
        if any(x["skuId"] == wiki for x in s["skus"]):
            k["mutuallyExclusiveWith"] = [wiki]
json.dump(s, open(p, "w"))
PY
}

holders() {     # the UPNs holding SKU_CRM (directly or not), sorted
	curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(sorted(u["userPrincipalName"] for u in s["users"]
      if any(l["skuId"] == sys.argv[1] for l in u["licenses"]))))' "$SKU_CRM"
}


mkstate --sku crm:$SKU_CRM:50
graph_start "$T/state.json" --seed 7
STATE_FILTER=crm_plans
write_config "" 
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
cp "$T/licsync.conf" "$T/conf.good"

# ---- converging, with a fifth of the requests and items throttled ----
state --sku crm:$SKU_CRM:50 --sku wiki:$SKU_WIKI:50 --hold crm:bob \
	--hold crm:mallory --hold crm:heidi:grp-1
policy all "support unix-admins engineering"
curl -sf -X PUT -d '{"fault_429": 0.2, "retry_after": 1, "seed": 11}' \
	"$GRAPH_BASE/_test/config" >/dev/null
: >"$T/graph.log"
run_licsync apply
is "throttled apply: exit 0" "$RC" 0
contains "throttled apply: all applied" "$OUT" "Applied: 9 ok, 0 failed, 0 skipped."
is "throttled apply: the tenant matches the policy" "$(holders)" \
	"dave@example.com erin@example.com frank@example.com grace@example.com heidi@example.com ivan@example.com john.smith@example.com oscar@example.com"
check "throttled apply: some items really were throttled" \
	test "$(graph_stat faults_429)" -gt 0
# every ok audit row is one successful write the server saw, and back
python3 - "$T/graph.log" "$GRAPH_BASE" >"$T/writes" <<'PY'
import json, sys, urllib.request
ids = {u["id"]: u["userPrincipalName"] for u in json.load(
    urllib.request.urlopen(sys.argv[2] + "/_test/state"))["users"]}
for line in open(sys.argv[1]):
    r = json.loads(line)
    for it in r.get("batch", []):
        if it["status"] == 200 and it["url"].endswith("/assignLicense"):
            uid = it["url"].split("/")[2]
            print("assign" if it.get("add") else "unassign", ids[uid])
PY
sort "$T/writes" >"$T/writes.sorted"
sqlite3 "$T/licsync.db" "SELECT action || ' ' || user FROM changes WHERE result = 'ok' AND run_id = (SELECT max(run_id) FROM changes)" | sort >"$T/audit.sorted"
check "throttled apply: audit rows are exactly the server's writes" \
	cmp "$T/writes.sorted" "$T/audit.sorted"
is "throttled apply: 9 writes" "$(wc -l <"$T/writes.sorted")" 9
pending=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE result = 'pending' OR finished IS NULL")
is "throttled apply: no row left pending" "$pending" 0
retried=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE attempts > 1")
check "throttled apply: throttled items were retried, and counted" \
	test "$retried" -gt 0
curl -sf -X PUT -d '{"fault_429": 0}' "$GRAPH_BASE/_test/config" >/dev/null

batches=$(graph_stat by_path /v1.0/\$batch)
run_licsync apply
is "second apply: exit 0" "$RC" 0
contains "second apply: nothing to do" "$OUT" "Plan: 0 to assign, 0 to unassign"
is "second apply: no write sent" "$(graph_stat by_path /v1.0/\$batch)" "$batches"

# ---- ownership: only what licsync assigned goes under remove: owned ----
# judy gets the license by hand, outside licsync
curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
for u in s["users"]:
    if u["userPrincipalName"] == "judy@example.com":
        u["licenses"].append({"skuId": sys.argv[1], "group": None,
                              "disabledPlans": []})
json.dump(s, sys.stdout)' "$SKU_CRM" >"$T/state.json"
graph_state "$T/state.json"
policy owned "support unix-admins engineering" "exclude_users: [oscar@example.com]"
run_licsync apply --format csv
is "owned: exit 0" "$RC" 0
contains "owned: licsync's own assignment removed" "$OUT" \
	"unassign,acme-crm,$SKU_CRM,oscar@example.com,excluded by exclude_users; assigned by licsync (remove: owned),ok,,"
case $OUT in
*"judy@"*) not_ok "owned: a license licsync did not assign is kept" ;;
*) ok "owned: a license licsync did not assign is kept" ;;
esac
owned=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM ownership WHERE user = 'oscar@example.com'")
is "owned: ownership ends with the unassign" "$owned" 0
owned=$(sqlite3 "$T/licsync.db" "SELECT group_concat(user, ' ') FROM (SELECT user FROM ownership ORDER BY user)")
is "owned: ownership of what licsync assigned" "$owned" \
	"dave@example.com erin@example.com frank@example.com grace@example.com ivan@example.com john.smith@example.com"

# ---- failures: one change failing never stops the others; exit 6 ----
state --sku crm:$SKU_CRM:50 --sku wiki:$SKU_WIKI:50 --hold wiki:dave
policy all "engineering" "disabled_plans: [$PLAN1]"
run_licsync apply
is "a failed change: exit 6" "$RC" 6
contains "a failed change: its error, as Graph said it" "$OUT" \
	"+ assign   dave@example.com: member of cn=engineering,$G [failed: Request_BadRequest: License assignment failed because service plans"
contains "a failed change: the others went through" "$OUT" \
	"+ assign   erin@example.com: member of cn=engineering,$G [ok]"
contains "a failed change: summary" "$ERR" "1 change failed"
row=$(sqlite3 "$T/licsync.db" "SELECT result, outcome, error_code, length(request_id) > 0 FROM changes WHERE user = 'dave@example.com' ORDER BY id DESC LIMIT 1")
is "a failed change: audit row with outcome and request-id" "$row" \
	"failed|mutually_exclusive|Request_BadRequest|1"
run=$(sqlite3 "$T/licsync.db" "SELECT outcome, exit_code, failed FROM runs ORDER BY id DESC LIMIT 1")
is "a failed change: the run is recorded as partial" "$run" "partial|6|1"
plans=$(curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print([l["disabledPlans"] for u in s["users"] for l in u["licenses"]
       if u["userPrincipalName"] == "erin@example.com"])')
is "disabled_plans passed on with the assignment" "$plans" "[['$PLAN1']]"

# ---- a token that expires during the run is renewed ----
state --sku crm:$SKU_CRM:50
policy all "support"
curl -sf -X PUT -d '{"latency_ms": 600}' "$GRAPH_BASE/_test/config" >/dev/null
before=$(graph_stat tokens_issued)
"$LICSYNC" -c "$T/licsync.conf" apply >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.9
curl -sf -X POST "$GRAPH_BASE/_test/expire-tokens" >/dev/null
wait $pid
is "expired token: apply still exits 0" "$?" 0
check "expired token: a new one was fetched" \
	test "$(graph_stat tokens_issued)" -ge $((before + 2))
is "expired token: the tenant matches the policy" "$(holders)" \
	"heidi@example.com ivan@example.com john.smith@example.com oscar@example.com"
curl -sf -X PUT -d '{"latency_ms": 0}' "$GRAPH_BASE/_test/config" >/dev/null

# ---- the backend refusing us: exit 4, nothing changed ----
state --sku crm:$SKU_CRM:50
printf 'wrong\n' >"$T/graph.secret"
calls=$(graph_stat assign_calls)
run_licsync apply
is "token refused: exit 4" "$RC" 4
is "token refused: nothing changed" "$(graph_stat assign_calls)" "$calls"
printf '%s\n' "$GRAPH_SECRET" >"$T/graph.secret"

# ---- give up on items still throttled after max_retries ----
sed -i 's|^  write_budget:|  max_retries: 1\n  write_budget:|' "$T/licsync.conf"
curl -sf -X PUT -d '{"fault_503": 1.0, "retry_after": 0, "faults_on_writes_only": 1}' \
	"$GRAPH_BASE/_test/config" >/dev/null
run_licsync apply --format json
is "always throttled: exit 6" "$RC" 6
printf '%s\n' "$OUT" >"$T/gaveup.json"
check "always throttled: every change failed as throttled after 2 tries" \
	python3 - "$T/gaveup.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["changes"], p
for c in p["changes"]:
    assert c["result"] == "failed" and c["outcome"] == "throttled", c
    assert c["attempts"] == 2, c
PY
curl -sf -X PUT -d '{"fault_503": 0, "faults_on_writes_only": 0}' \
	"$GRAPH_BASE/_test/config" >/dev/null
cp "$T/conf.good" "$T/licsync.conf"

# ---- certificate credentials: a signed client assertion, no secret ----
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=licsync -days 2 \
		-keyout "$T/app.key" -out "$T/app.crt" 2>/dev/null
	chmod 600 "$T/app.key"
	python3 - "$T/state.json" "$T/app.crt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["certificate"] = open(sys.argv[2]).read()
json.dump(s, open(sys.argv[1], "w"))
PY
	graph_state "$T/state.json"
	sed -e '/^  client_secret_file:/d' \
	    -e "s|^  token_url:|  client_certificate_file: app.crt\n  client_key_file: app.key\n  token_url:|" \
	    "$T/conf.good" >"$T/licsync.conf"
	run_licsync check
	is "certificate: check accepts the key and certificate" "$RC" 0
	run_licsync apply
	is "certificate: apply authenticates with a client assertion" "$RC" 0
	chmod 640 "$T/app.key"
	run_licsync check
	is "certificate: a group-readable key is refused" "$RC" 2
	cp "$T/conf.good" "$T/licsync.conf"
else
	ok "certificate credentials # SKIP openssl not available"
fi

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output" \
    "$T/licsync.db"* "$T/graph.log"; then
	not_ok "no secret in any output, the database or the server log"
else
	ok "no secret in any output, the database or the server log"
fi

tap_done
