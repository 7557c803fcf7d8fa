#!/bin/bash
# unattended.sh - safe unattended runs: the lock, safety limits, the group
# guard, grace periods, reviewed plans, -q, and failures mid-run.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
python3 "$top_srcdir/tests/data/gen_ldif.py" --users 1200 \
	--big-group bigteam:1200 >"$T/big.ldif"
slapd_up "$top_srcdir/tests/data/directory.ldif" "$T/big.ldif"
SLAPD_URI_SAVED=$SLAPD_URI


holders() {
	curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(sorted(u["userPrincipalName"] for u in s["users"]
      if any(l["skuId"] == sys.argv[1] for l in u["licenses"]))))' "$SKU_CRM"
}

mkstate \
	--sku crm:$SKU_CRM:50
graph_start "$T/state.json"
write_config "" 
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
cp "$T/licsync.conf" "$T/conf.good"

# ---- one run at a time ----
state --sku crm:$SKU_CRM:50
policy all "support"
curl -sf -X PUT -d '{"latency_ms": 1500}' "$GRAPH_BASE/_test/config" >/dev/null
"$LICSYNC" -c "$T/licsync.conf" apply >"$T/first.out" 2>&1 &
first=$!
sleep 0.5
# a core dump would hold the secrets: none can be written
is "no core dumps: RLIMIT_CORE is 0" \
	"$(awk '/^Max core file size/ { print $5, $6 }' /proc/$first/limits)" "0 0"
run_licsync apply
is "a second run while one holds the lock: exit 7" "$RC" 7
contains "a second run names the holder's pid" "$ERR" "(pid $first)"
run_licsync -v plan --wait 20
is "--wait waits for the lock, then runs" "$RC" 0
contains "no core dumps: the kernel says the process is not dumpable" \
	"$ERR" "core dumps off, process not dumpable"

wait $first
is "the first run was not disturbed" "$?" 0
curl -sf -X PUT -d '{"latency_ms": 0}' "$GRAPH_BASE/_test/config" >/dev/null

# ---- -q: silent without news, one line with news ----
run_licsync -q apply
is "-q, nothing to do: exit 0" "$RC" 0
is "-q, nothing to do: no output at all" "$OUT$ERR" ""
policy all "support engineering"
run_licsync -q apply
is "-q with changes: exit 0" "$RC" 0
contains "-q with changes: one summary line" "$OUT" "2 assigned or unassigned, 0 failed"
is "-q with changes: a single line" "$(printf '%s\n' "$OUT" | wc -l)" 1

# ---- safety limits: a count, a percentage, per app, --force ----
state --sku crm:$SKU_CRM:50 --hold crm:alice --hold crm:bob --hold crm:carol \
	--hold crm:dave --hold crm:erin
policy all "engineering" "max_unassign: 2"
calls=$(graph_stat assign_calls)
run_licsync apply
is "over an app's max_unassign: exit 5" "$RC" 5
contains "the limit that stopped it is named" "$ERR" \
	"app 'acme-crm' would unassign 3 users, more than its max_unassign 2"
contains "the plan it refused is shown" "$OUT" "- unassign alice@example.com"
is "nothing applied" "$(graph_stat assign_calls)" "$calls"
stop=$(sqlite3 "$T/licsync.db" "SELECT outcome, exit_code, forced FROM runs ORDER BY id DESC LIMIT 1")
is "the stop is recorded" "$stop" "safety stop|5|0"
policy all "engineering" "max_unassign: 50%"
run_licsync apply
is "over a percentage of holders: exit 5" "$RC" 5
contains "the percentage is explained" "$ERR" "50% of 5 holders = 2"
sed -i 's|^lock_file:|safety:\n  max_unassign: 1\nlock_file:|' "$T/licsync.conf"
policy all "engineering"
run_licsync apply
is "over safety.max_unassign: exit 5" "$RC" 5
contains "the global limit is named" "$ERR" "more than safety.max_unassign 1"
sed -i 's|^  max_unassign: 1|  max_unassign: 1\n  max_assign: 0|' "$T/licsync.conf"
policy all "engineering support"
run_licsync apply
contains "safety.max_assign is checked too" "$ERR" "would assign 4 users, more than safety.max_assign 0"
policy all "engineering"
run_licsync apply --force
is "--force overrides: exit 0" "$RC" 0
is "--force: applied" "$(holders)" "dave@example.com erin@example.com"
forced=$(sqlite3 "$T/licsync.db" "SELECT outcome, forced FROM runs ORDER BY id DESC LIMIT 1")
is "--force is recorded" "$forced" "ok|1"
cp "$T/conf.good" "$T/licsync.conf"
run_licsync plan --force
is "--force is for apply only: exit 1" "$RC" 1

# ---- the guard: a group populated last time and empty now ----
policy all "engineering"
run_licsync apply
is "guard baseline: exit 0" "$RC" 0
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	>/dev/null <<EOF_LDIF
dn: cn=engineering,$G
changetype: modify
replace: uniqueMember
uniqueMember: cn=nobody,ou=people,dc=example,dc=com
EOF_LDIF
calls=$(graph_stat assign_calls)
run_licsync apply
is "a group emptied since the last run: exit 5" "$RC" 5
contains "the guard names the group" "$ERR" \
	"policy group 'cn=engineering,$G' had 2 users on the last run and has none now"
is "guard: nothing applied" "$(graph_stat assign_calls)" "$calls"
run_licsync plan
is "guard: plan warns but exits 0" "$RC" 0
contains "guard: plan says apply would stop" "$ERR" "apply would stop"
run_licsync apply --force
is "guard: --force applies" "$RC" 0
is "guard: --force removed the licenses" "$(holders)" ""
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	>/dev/null <<EOF_LDIF
dn: cn=engineering,$G
changetype: modify
replace: uniqueMember
uniqueMember: cn=Dave,ou=people,dc=example,dc=com
uniqueMember: cn=Erin,ou=people,dc=example,dc=com
EOF_LDIF

# ---- grace: removal only after being unentitled that long ----
state --sku crm:$SKU_CRM:50 --hold crm:heidi --hold crm:ivan
policy all "support" "grace: 2d"
LICSYNC_TEST_NOW=1000000 run_licsync apply
is "grace baseline: exit 0" "$RC" 0
policy all "engineering" "grace: 2d"
LICSYNC_TEST_NOW=1000000 run_licsync plan
contains "grace: removal shown as due" "$OUT" \
	"= kept     heidi@example.com: not in any group of the app; removal due in 2d"
LICSYNC_TEST_NOW=1086400 run_licsync plan
contains "grace: a day later, due in 1d" "$OUT" "removal due in 1d"
# ivan comes back within the grace: his clock is cancelled
policy all "engineering support" "grace: 2d"
LICSYNC_TEST_NOW=1090000 run_licsync apply
is "grace: back in the group, nothing removed" "$(holders | tr ' ' '\n' | grep -c -e heidi -e ivan)" 2
clocks=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM unentitled")
is "grace: the clocks of returning users are gone" "$clocks" 0
policy all "engineering" "grace: 2d"
LICSYNC_TEST_NOW=1100000 run_licsync apply
contains "grace: a new clock starts" "$OUT" "removal due in 2d"
LICSYNC_TEST_NOW=1272801 run_licsync apply
is "grace: after 2 days, removed" "$RC" 0
contains "grace: the removal" "$OUT" "- unassign heidi@example.com"
case $(holders) in
*heidi*) not_ok "grace: heidi's license is gone" ;;
*) ok "grace: heidi's license is gone" ;;
esac

# ---- reviewed plans ----
state --sku crm:$SKU_CRM:50 --hold crm:bob
policy all "support"
run_licsync plan -o "$T/plan.json"
is "plan -o: exit 0" "$RC" 0
check "plan -o: signed, with provenance" python3 - "$T/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert len(p["signature"]) == 64
for k in ("config_sha256", "policy_sha256", "directory_sha256",
          "backend_sha256"):
    assert len(p["provenance"][k]) == 64, k
PY
# a change the reviewer did not see is not applied: carol joins support
# after the review
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	>/dev/null <<EOF_LDIF
dn: cn=support,$G
changetype: modify
add: member
member: cn=Carol,ou=people,dc=example,dc=com
EOF_LDIF
run_licsync apply --plan "$T/plan.json"
is "apply --plan: exit 0" "$RC" 0
is "apply --plan: exactly the reviewed changes" "$(holders)" \
	"heidi@example.com ivan@example.com john.smith@example.com oscar@example.com"
# stale: the reviewed changes are done now
run_licsync apply --plan "$T/plan.json"
is "a stale plan is refused: exit 5" "$RC" 5
contains "the drift is shown" "$ERR" "no longer right (unassign acme-crm bob@example.com, assign acme-crm heidi@example.com"
run_licsync apply --plan "$T/plan.json" --prune
is "--prune applies what is still right (nothing): exit 0" "$RC" 0
contains "--prune says what it dropped" "$ERR" "pruned 5 changes"
# edited
run_licsync plan -o "$T/plan2.json"
sed -i 's/carol@example.com/mallory@example.com/' "$T/plan2.json"
calls=$(graph_stat assign_calls)
run_licsync apply --plan "$T/plan2.json"
is "an edited plan is refused: exit 5" "$RC" 5
contains "an edited plan: says so" "$ERR" "the plan was edited"
is "an edited plan: nothing applied" "$(graph_stat assign_calls)" "$calls"
# a policy changed since the review
run_licsync plan -o "$T/plan3.json"
policy all "support" "seats: 40"
run_licsync apply --plan "$T/plan3.json"
is "policy changed since the review: exit 5" "$RC" 5
contains "policy changed: says so" "$ERR" "the policy changed since the plan was saved"
run_licsync apply --prune
is "--prune needs --plan: exit 1" "$RC" 1

# ---- the directory failing mid-run: exit 3, nothing applied ----
# A directory of 20,000 users read one entry per page takes long enough
# to stop slapd in the middle of it.
slapd_stop
python3 "$top_srcdir/tests/data/gen_ldif.py" --users 20000 \
	--big-group bigteam:1200 >"$T/big.ldif"
slapd_up "$T/big.ldif"
write_config
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
sed -i 's/^  page_size: .*/  page_size: 1/' "$T/licsync.conf"
state --sku crm:$SKU_CRM:2000 --bulk user:1200
policy all "bigteam"
calls=$(graph_stat assign_calls)
# Under AddressSanitizer, the slow unwinder: libldap's own leak when the
# server goes away (tests/lsan.supp) is then matched by its full stack.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" \
	"$LICSYNC" -c "$T/licsync.conf" apply >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.5
running=no
kill -0 $pid 2>/dev/null && running=yes
slapd_stop
wait $pid
rc=$?
is "slapd stopped during the directory read: still reading then" "$running" yes
is "slapd stopped mid-run: exit 3" "$rc" 3
[ "$rc" = 3 ] || diag <"$T/err"
contains "slapd stopped mid-run: says what failed" "$(cat "$T/err")" "LDAP"
is "slapd stopped mid-run: nothing applied" "$(graph_stat assign_calls)" "$calls"

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output" \
    "$T"/*.out "$T/err" "$T/licsync.db"* "$T"/plan*.json; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi

tap_done
