#!/bin/bash
# scim.sh - vendor seats over SCIM beside Microsoft 365 licenses: one
# policy with a Graph app, a group-model SCIM app and an active-model
# SCIM app, planned and applied in one run against the Graph test server
# and two SCIM test servers (tests/scimserver/, on scimmy) under 20 %
# throttling.  The vendors end up as the policy says, a second run sends
# nothing, the audit trail matches the servers' writes, a user the list
# missed is found on 409 and not created twice, a group of 300 is read
# through pages the server caps at 100, a bad token changes nothing.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/scimserver.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
scimserver_available
case $? in
0) ;;
1) tap_skip_all "node or curl not available" ;;
*) echo "Bail out! the SCIM test server's modules did not install"; exit 1 ;;
esac

G="ou=groups,dc=example,dc=com"
slapd_up "$top_srcdir/tests/data/directory.ldif"

# ---- two SCIM servers: one shell variable set each ----

SCIM_VARS="SCIMSERVER_PID SCIMSERVER_DIR SCIMSERVER_PORT SCIMSERVER_URL
SCIMSERVER_TOKEN_FILE SCIMSERVER_LOG"
SCIMSERVER_NO_TRAP=1
scim_save() {   # scim_save NAME: keep the running server's variables
	local v
	for v in $SCIM_VARS; do eval "${1}_$v=\${$v}"; done
	unset $SCIM_VARS
}
scim_use() {    # scim_use NAME: make server NAME the current one
	local v
	for v in $SCIM_VARS; do eval "export $v=\${${1}_$v}"; done
}
scim_cleanup() {
	local n
	for n in A B C; do
		if [ -n "$(eval "echo \${${n}_SCIMSERVER_PID:-}")" ]; then
			scim_use $n
			scimserver_stop
			eval "${n}_SCIMSERVER_PID="
		fi
	done
	cleanup
}
trap scim_cleanup EXIT

mail() { printf '%s@example.com' "$1"; }
user() {        # user NAME [ACTIVE]: a seed user
	printf '{"userName":"%s","active":%s,"name":{"givenName":"%s",'`
		`'"familyName":"X"}}' "$(mail "$1")" "${2:-true}" "$1"
}

# atlassian: seat: group.  dave is known; erin exists but the list lags
# (hidden: creating her gets 409); bob and mallory hold seats they are not
# entitled to; frank and grace are unknown.  The group's id has capitals:
# it must go back to the vendor as it is.
cat >"$T/a.json" <<JSON
{"users": [$(user dave), $(user erin), $(user bob), $(user mallory),
           $(user judy)],
 "groups": [{"displayName": "jira-users", "id": "Jira-Users-01",
             "members": ["bob@example.com", "mallory@example.com"]},
            {"displayName": "confluence-users",
             "members": ["judy@example.com"]}]}
JSON
scimserver_start "$T/scim-a" --seed "$T/a.json" --throttle 0.2 \
	--retry-after 1 --random-seed 5 --hide-from-list erin@example.com ||
	{ echo "Bail out! SCIM server A did not start"; exit 1; }
scim_save A
# slack: seat: active.  heidi holds a seat, ivan's account is inactive,
# carol and judy hold seats they are not entitled to; john.smith and
# oscar are unknown.
cat >"$T/b.json" <<JSON
{"users": [$(user heidi), $(user ivan false), $(user carol),
           $(user judy)],
 "groups": []}
JSON
scimserver_start "$T/scim-b" --seed "$T/b.json" --throttle 0.2 \
	--retry-after 1 --random-seed 9 ||
	{ echo "Bail out! SCIM server B did not start"; exit 1; }
scim_save B

# licsync's own copies of the tokens (the servers read theirs anew on
# every request)
cp "$A_SCIMSERVER_TOKEN_FILE" "$T/atlassian.token"
cp "$B_SCIMSERVER_TOKEN_FILE" "$T/slack.token"
chmod 600 "$T/atlassian.token" "$T/slack.token"
mkstate --sku crm:$SKU_CRM:50 --hold crm:mallory
graph_start "$T/state.json" --seed 3
write_config ""
cat >>"$T/licsync.conf" <<CONF
backends:
  atlassian:
    type: scim
    url: $A_SCIMSERVER_URL
    token_file: atlassian.token
    page_size: 2
    patch_members: 3
  slack:
    type: scim
    url: $B_SCIMSERVER_URL
    token_file: slack.token
    seat: active
CONF
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  token_url:|' "$T/licsync.conf"
cat >"$T/policy.yaml" <<POL
apps:
  acme-crm:
    sku: $SKU_CRM
    groups: [ "cn=sales,$G" ]
    remove: all
  jira:
    backend: atlassian
    scim_group: Jira-Users
    groups: [ "cn=engineering,$G", "cn=unix-admins,$G" ]
    seats: 50
    remove: all
  slack:
    backend: slack
    groups: [ "cn=support,$G" ]
    seats: unlimited
    remove: all
POL

# scim_summary NAME: the group's members, or the active users, sorted
members() {     # members GROUP: of the current server
	scimserver_state | python3 -c '
import json, sys
s = json.load(sys.stdin)
g = [g for g in s["groups"] if g["displayName"] == sys.argv[1]][0]
print(" ".join(sorted(m.lower() for m in g["members"])))' "$1"
}
active_users() {
	scimserver_state | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(sorted(u["userName"].lower() for u in s["users"]
      if u["active"])))'
}
user_count() {  # user_count USERNAME: how many users have it
	scimserver_state | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for u in s["users"] if u["userName"].lower() == sys.argv[1]))' "$1"
}
writes() { scimserver_state | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }
plan_changes() {        # APP: "action user" lines of the JSON plan in OUT
	printf '%s' "$OUT" | python3 -c '
import json, sys
p = json.load(sys.stdin)
print(" ".join(sorted("%s:%s" % (c["action"], c["user"].lower())
      for c in p["changes"] if c["app"] == sys.argv[1])))' "$1"
}

# ---- check, plan ----

run_licsync check
is "check: exit 0" "$RC" 0
run_licsync check --online
is "check --online: exit 0" "$RC" 0
contains "check --online: the group-model backend" "$OUT" \
	"backend atlassian (scim): token accepted"
contains "check --online: what it supports" "$OUT" \
	"  ServiceProviderConfig: patch yes"
contains "check --online: the app's group found by name" "$OUT" \
	"  app jira: scim_group Jira-Users found ("
contains "check --online: the active-model backend" "$OUT" \
	"backend slack (scim): token accepted"
contains "check --online: its one license" "$OUT" \
	"  app slack: license slack:active found (slack:active)"

run_licsync plan --format json
is "plan: exit 0" "$RC" 0
is "plan: the Graph app" "$(plan_changes acme-crm)" \
	"assign:alice@example.com assign:bob@example.com assign:carol@example.com assign:ceo@example.com unassign:mallory@example.com"
is "plan: the group-model app" "$(plan_changes jira)" \
	"assign:dave@example.com assign:erin@example.com assign:frank@example.com assign:grace@example.com unassign:bob@example.com unassign:mallory@example.com"
is "plan: the active-model app" "$(plan_changes slack)" \
	"assign:ivan@example.com assign:john.smith@example.com assign:oscar@example.com unassign:carol@example.com unassign:judy@example.com"
SKU_JIRA=$(printf '%s' "$OUT" | python3 -c '
import json, sys
print([a["sku"] for a in json.load(sys.stdin)["summary"]["apps"] if a["app"] == "jira"][0])')
case $SKU_JIRA in
atlassian:group:*) ok "plan: the SCIM license id names backend and group" ;;
*) not_ok "plan: the SCIM license id names backend and group ($SKU_JIRA)" ;;
esac
scim_use A
is "plan: nothing written to the vendor" "$(writes)" 0
check "plan: the users were paged, count and startIndex always" \
	test "$(scimserver_requests '^GET /scim/v2/Users\?startIndex=[0-9]+&count=2&')" -ge 2
is "plan: never one request per user" \
	"$(scimserver_requests '^GET /scim/v2/Users\?filter=')" 0

# ---- apply, a fifth of the requests throttled ----

graph_config '{"fault_429": 0.2, "retry_after": 1, "seed": 4}'
run_licsync apply
is "apply: exit 0" "$RC" 0
contains "apply: every change applied" "$OUT" \
	"Applied: 16 ok, 0 failed, 0 skipped."
scim_use A
is "apply: the group holds the entitled users" "$(members jira-users)" \
	"dave@example.com erin@example.com frank@example.com grace@example.com"
is "apply: the other group is untouched" "$(members confluence-users)" \
	"judy@example.com"
is "apply: erin (409) is not created twice" "$(user_count erin@example.com)" 1
is "apply: frank was created once" "$(user_count frank@example.com)" 1
is "apply: one create answered 409" \
	"$(scimserver_requests '^POST /scim/v2/Users 409 ')" 1
check "apply: the group-model vendor really throttled" \
	test "$(scimserver_requests ' fault=429')" -gt 0
A_WRITES=$(writes)
# audit rows: every ok assign and unassign of jira is one member the
# server added or removed
python3 - "$A_SCIMSERVER_LOG" >"$T/a.writes" <<'PY'
import re, sys
add = rem = 0
for line in open(sys.argv[1]):
    m = re.match(r"PATCH /scim/v2/Groups/\S+ 20[04] .*add=(\d+) remove=(\d+)", line)
    if m:
        add += int(m.group(1))
        rem += int(m.group(2))
print(add, rem)
PY
sqlite3 "$T/licsync.db" "SELECT
	(SELECT count(*) FROM changes WHERE app = 'jira' AND result = 'ok'
	    AND action = 'assign') || ' ' ||
	(SELECT count(*) FROM changes WHERE app = 'jira' AND result = 'ok'
	    AND action = 'unassign')" >"$T/a.audit"
is "apply: jira's audit rows are the members the server changed" \
	"$(cat "$T/a.audit")" "$(cat "$T/a.writes")"
is "apply: audit rows name the SCIM license" \
	"$(sqlite3 "$T/licsync.db" "SELECT DISTINCT sku FROM changes WHERE app = 'jira'")" \
	"$SKU_JIRA"
scim_use B
is "apply: the active accounts are the entitled users" "$(active_users)" \
	"heidi@example.com ivan@example.com john.smith@example.com oscar@example.com"
is "apply: deactivated, not deleted" "$(user_count carol@example.com)" 1
B_WRITES=$(writes)
is "apply: slack's audit rows are the server's writes" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE app = 'slack' AND result = 'ok'")" \
	"$B_WRITES"
is "apply: created users carry the directory's names" \
	"$(scimserver_state | python3 -c '
import json, sys
u = [u for u in json.load(sys.stdin)["users"]
     if u["userName"].lower() == "john.smith@example.com"][0]
print(u["name"]["givenName"], u["name"]["familyName"], u["emails"][0]["value"])')" \
	"John Smith john.smith@example.com"

# ---- a second run sends nothing ----

# the vendor's list has caught up with erin
scim_use A
scimserver_faults '{"hide-from-list": []}'

run_licsync apply
is "second apply: exit 0" "$RC" 0
contains "second apply: nothing to do" "$OUT" "Plan: 0 to assign, 0 to unassign"
scim_use A
is "second apply: nothing written to atlassian" "$(writes)" "$A_WRITES"
scim_use B
is "second apply: nothing written to slack" "$(writes)" "$B_WRITES"

# ---- explain and status cover SCIM apps ----

run_licsync explain frank@example.com
is "explain: exit 0" "$RC" 0
contains "explain: the SCIM app, and the user at its backend" "$OUT" \
	"  at:        backend atlassian, user known"
run_licsync explain --format json frank@example.com
is "explain --format json: each app's backend and the user there" \
	"$(printf '%s' "$OUT" | python3 -c '
import json, sys
print(" ".join("%s:%s:%s" % (a["app"], a["backend"], a["backend_user"])
      for a in json.load(sys.stdin)["apps"]))')" \
	"acme-crm:default:ok jira:atlassian:ok slack:slack:created_on_assign"
run_licsync status
is "status: exit 0" "$RC" 0
contains "status: the active-model app" "$OUT" "slack"
run_licsync status --format json
is "status: seats bought are the policy's, none for unlimited" \
	"$(printf '%s' "$OUT" | python3 -c '
import json, sys
a = {x["app"]: x for x in json.load(sys.stdin)["apps"]}
print(a["jira"]["purchased"], a["slack"]["purchased"], a["acme-crm"]["purchased"])')" \
	"50 None 50"

# ---- a bad token: exit 4, nothing changed ----

scim_use B
printf 'wrong-token\n' >"$T/slack.token"
scimserver_put_state "$T/b.json"
B_WRITES=$(writes)
scim_use A
A_WRITES=$(writes)
runs_before=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes")
run_licsync apply
is "bad token: exit 4" "$RC" 4
contains "bad token: said" "$ERR" "(the token in token_file was refused)"
check "bad token: the token is not in the error" \
	eval '! grep -q wrong-token "$T/err"'
is "bad token: nothing written to atlassian" "$(writes)" "$A_WRITES"
scim_use B
is "bad token: nothing written to slack" "$(writes)" "$B_WRITES"
is "bad token: no change recorded" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes")" "$runs_before"
cp "$B_SCIMSERVER_TOKEN_FILE" "$T/slack.token"

# ---- create_users: false: unknown users are skipped ----

sed -i 's|^    seat: active$|    seat: active\n    create_users: false|' \
	"$T/licsync.conf"
run_licsync plan --format json
is "create_users false: exit 0" "$RC" 0
is "create_users false: unknown users are skipped" "$(printf '%s' "$OUT" |
	python3 -c '
import json, sys
p = json.load(sys.stdin)
print(" ".join(sorted(s["user"].lower() for s in p["skipped"]
      if s["app"] == "slack")))')" "john.smith@example.com oscar@example.com"
sed -i '/^    create_users: false$/d' "$T/licsync.conf"

# ---- ownership, grace, reviewed plans and safety limits ----

kept() {        # kept APP: "user: reason" of the JSON plan in OUT
	printf '%s' "$OUT" | python3 -c '
import json, sys
p = json.load(sys.stdin)
for k in p["kept"]:
    if k["app"] == sys.argv[1]:
        print("%s: %s" % (k["user"].lower(), k["reason"]))' "$1"
}
# atlassian as at first: bob and mallory in the group, not licsync's
scim_use A
scimserver_put_state "$T/a.json"
cp "$T/policy.yaml" "$T/policy.good"
sed -i '/^  jira:$/,/^  slack:$/s/^    remove: all$/    remove: owned/' \
	"$T/policy.yaml"
run_licsync plan --format json
is "remove: owned: exit 0" "$RC" 0
is "remove: owned: seats licsync did not assign are kept" "$(kept jira)" \
	"bob@example.com: not in any group of the app; not assigned by licsync (remove: owned)
mallory@example.com: not in any group of the app; not assigned by licsync (remove: owned)"
cp "$T/policy.good" "$T/policy.yaml"
sed -i '/^  jira:$/,/^  slack:$/s/^    remove: all$/    remove: all\n    grace: 2d/' \
	"$T/policy.yaml"
at 1700000000 plan --format json
is "grace: exit 0" "$RC" 0
is "grace: the removals wait" "$(kept jira | sed 's/; removal due in .*//')" \
	"bob@example.com: not in any group of the app
mallory@example.com: not in any group of the app"
cp "$T/policy.good" "$T/policy.yaml"
# a reviewed plan applies exactly what was reviewed
run_licsync plan -o "$T/reviewed.json"
is "reviewed plan: saved" "$RC" 0
run_licsync apply --plan "$T/reviewed.json"
is "reviewed plan: applied" "$RC" 0
contains "reviewed plan: its changes" "$OUT" "Applied: 11 ok, 0 failed, 0 skipped."
is "reviewed plan: the group as the policy says" "$(members jira-users)" \
	"dave@example.com erin@example.com frank@example.com grace@example.com"
# a safety limit stops a SCIM app's removals too
scim_use B
scimserver_put_state "$T/b.json"
B_WRITES=$(writes)
sed -i '/^  slack:$/,$s/^    remove: all$/    remove: all\n    max_unassign: 1/' \
	"$T/policy.yaml"
run_licsync apply
is "safety limit: exit 5" "$RC" 5
contains "safety limit: said" "$ERR" "slack"
is "safety limit: nothing written to slack" "$(writes)" "$B_WRITES"
cp "$T/policy.good" "$T/policy.yaml"

# ---- deprovision: delete ----

sed -i 's|^    seat: active$|    seat: active\n    deprovision: delete|' \
	"$T/licsync.conf"
scim_use B
run_licsync apply
is "deprovision delete: exit 0" "$RC" 0
is "deprovision delete: the accounts are the entitled users" \
	"$(scimserver_state | python3 -c '
import json, sys
print(" ".join(sorted(u["userName"].lower() for u in json.load(sys.stdin)["users"])))')" \
	"heidi@example.com ivan@example.com john.smith@example.com oscar@example.com"
is "deprovision delete: one DELETE each" \
	"$(scimserver_requests '^DELETE /scim/v2/Users/\S+ 204 ')" 2
sed -i '/^    deprovision: delete$/d' "$T/licsync.conf"

# ---- a user the vendor refuses: the others go on, its words recorded ----

scim_use A
scimserver_put_state "$T/a.json"
scimserver_faults '{"refuse-user": ["frank@example.com"], "throttle": 0}'
run_licsync apply
is "refused user: exit 6" "$RC" 6
is "refused user: the others are in the group" "$(members jira-users)" \
	"dave@example.com erin@example.com grace@example.com"
last_row() {    # last_row USER: the last jira change row of USER
	sqlite3 "$T/licsync.db" "SELECT result, outcome, error_code,
	    error_message FROM changes WHERE app = 'jira' AND user = '$1'
	    ORDER BY id DESC LIMIT 1"
}
is "refused create: SCIM's scimType and detail in the audit row" \
	"$(last_row frank@example.com)" \
	"failed|create_failed|invalidValue|user frank@example.com may not be changed here"
# frank known to the vendor: the group PATCH with him is refused whole,
# then sent again one member each
python3 - "$T/a.json" >"$T/a2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["users"].append({"userName": "frank@example.com"})
s["users"].append({"userName": "grace@example.com"})
print(json.dumps(s))
PY
scimserver_put_state "$T/a2.json"
run_licsync apply
is "refused member: exit 6" "$RC" 6
is "refused member: the others are in the group" "$(members jira-users)" \
	"dave@example.com erin@example.com grace@example.com"
is "refused member: SCIM's scimType and detail in the audit row" \
	"$(last_row frank@example.com)" \
	"failed|error|invalidValue|user frank@example.com may not be changed here"
check "refused member: the PATCH refused whole was split, one member each" \
	test "$(scimserver_requests '^PATCH /scim/v2/Groups/\S+ 400 ')" -ge 2
scimserver_faults '{"refuse-user": []}'

# ---- configuration errors, with the place ----

sed -i 's/^    seats: unlimited$//' "$T/policy.yaml"
run_licsync plan
is "no seats for a SCIM app: exit 2" "$RC" 2
contains "no seats for a SCIM app: where and why" "$ERR" \
	"policy.yaml:12:3: app 'slack': backend 'slack' counts no seats"
cp "$T/policy.good" "$T/policy.yaml"
sed -i 's/^    backend: slack$/    backend: zoom/' "$T/policy.yaml"
run_licsync check
is "unknown backend: exit 2" "$RC" 2
contains "unknown backend: named" "$ERR" \
	"policy.yaml:12:3: app 'slack': no backend 'zoom' in"
cp "$T/policy.good" "$T/policy.yaml"
sed -i 's/^    sku: .*/    scim_group: crm/' "$T/policy.yaml"
run_licsync check
is "a SCIM key on a Graph app: exit 2" "$RC" 2
contains "a SCIM key on a Graph app: said" "$ERR" \
	"app 'acme-crm': 'scim_group' names no license of backend 'default' (type graph): use 'sku' or 'sku_part_number'"
cp "$T/policy.good" "$T/policy.yaml"

# ---- 300 members read through pages capped at 100 ----

python3 - >"$T/c.json" <<'PY'
import json
users = [{"userName": "u%03d@example.org" % i} for i in range(300)]
print(json.dumps({"users": users, "groups": [{"displayName": "big",
      "members": [u["userName"] for u in users]}]}))
PY
unset $SCIM_VARS
scimserver_start "$T/scim-c" --seed "$T/c.json" --max-count 100 ||
	{ echo "Bail out! SCIM server C did not start"; exit 1; }
scim_save C
cat >>"$T/licsync.conf" <<CONF
  big:
    type: scim
    url: $C_SCIMSERVER_URL
    token_file: $C_SCIMSERVER_TOKEN_FILE
    page_size: 1000
CONF
cat >>"$T/policy.yaml" <<POL
  big:
    backend: big
    scim_group: big
    groups: [ "cn=engineering,$G" ]
    seats: 1000
POL
run_licsync plan --format json
is "300 members: exit 0" "$RC" 0
is "300 members: all of them held" "$(printf '%s' "$OUT" | python3 -c '
import json, sys
print([a["holding"] for a in json.load(sys.stdin)["summary"]["apps"]
       if a["app"] == "big"][0])')" 300
scim_use C
is "300 members: three pages of 100, asked for 1000" \
	"$(scimserver_requests '^GET /scim/v2/Users\?startIndex=(1|101|201)&count=1000&.* 200')" 3

tap_done
