#!/bin/bash
# plan.sh - `licsync plan` against a throwaway slapd and the Graph test
# server: one scenario per directory feature and remove mode, each compared
# with its expected JSON plan in tests/data/expected/.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

EXP="$top_srcdir/tests/data/expected"
G="ou=groups,dc=example,dc=com"
POLICY_TOP=("protected_users: [breakglass@example.com]")

python3 "$top_srcdir/tests/data/gen_ldif.py" --users 1200 \
	--big-group bigteam:1200 >"$T/big.ldif"
slapd_up "$top_srcdir/tests/data/directory.ldif" "$T/big.ldif"

# expect NAME: plan --format json must equal tests/data/expected/NAME.json
expect() {
	run_licsync plan --format json
	if [ "$RC" -ne 0 ]; then
		not_ok "$1: plan exits 0" "rc=$RC" "$ERR"
		return
	fi
	printf '%s\n' "$OUT" >"$T/got.json"
	# After a deliberate change of output, regenerate and review the diff.
	[ "${UPDATE_EXPECTED:-}" = 1 ] && cp "$T/got.json" "$EXP/$1.json"
	same_json "$1" "$T/got.json" "$EXP/$1.json"
}

mkstate \
	--sku crm:$SKU_CRM:10
graph_start "$T/state.json"
write_config

# ---- directory features ----
state --sku crm:$SKU_CRM:10
policy all "sales" exclude_groups=contractors exclude_users=ceo@example.com
expect nested-cycle

policy all "engineering"
expect unique-members

policy all "unix-admins"
expect posix-group

policy all "support"
expect dn-spelling

policy all "dangling"
expect dangling

# ---- 1,200 members read 100 at a time ----
state --sku crm:$SKU_CRM:2000 --bulk user:1200
policy all "bigteam"
run_licsync plan --format json
is "big group: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/big.json"
check "big group: 1,200 distinct assigns, all 1,216 users read" \
	python3 - "$T/big.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
users = [c["user"] for c in p["changes"] if c["action"] == "assign"]
assert len(users) == 1200 == len(set(users)), len(users)
assert users == sorted(users)
assert users[0] == "user0000001@example.com", users[0]
assert p["summary"]["directory"]["users"] == 1216, p["summary"]
assert p["summary"]["apps"][0]["entitled"] == 1200
PY

# ---- seats ----
rm -f "$T/licsync.db"
state --sku crm:$SKU_CRM:10
policy all "support" "seats: 2"
LICSYNC_TEST_NOW=1000 expect seats-short
# Later entitlements queue behind earlier ones, whatever their names.
policy all "support engineering" "seats: 2"
LICSYNC_TEST_NOW=2000 expect seats-queue
held=$(sqlite3 "$T/licsync.db" "SELECT user || '=' || first_seen FROM entitlements ORDER BY user" | tr '\n' ' ')
is "first entitlement times recorded" "$held" \
	"dave@example.com=2000 erin@example.com=2000 heidi@example.com=1000 ivan@example.com=1000 john.smith@example.com=1000 oscar@example.com=1000 "

# ---- remove modes ----
state --sku crm:$SKU_CRM:10 --hold crm:dave --hold crm:bob --hold crm:mallory \
	--hold crm:heidi:grp-1 --hold crm:breakglass
sqlite3 "$T/licsync.db" \
	"INSERT INTO ownership(sku, user, since) VALUES ('$SKU_CRM', 'bob@example.com', 1)"
policy all "engineering"
expect remove-all
policy owned "engineering"
expect remove-owned
policy never "engineering"
expect remove-never

# ---- users the backend cannot take ----
state --sku crm:$SKU_CRM:10 --unknown judy --noloc ivan
policy all "support dangling"
expect skipped

# ---- output forms ----
state --sku crm:$SKU_CRM:3 --hold crm:bob
policy all "support"
run_licsync plan
first=$OUT
run_licsync plan
is "text: two runs print the same bytes" "$OUT" "$first"
contains "text: summary line" "$OUT" "Plan: 3 to assign, 1 to unassign, 1 waiting for a seat."
contains "text: removal reason" "$OUT" "- unassign bob@example.com: not in any group of the app; remove: all"
contains "text: assign reason" "$OUT" "+ assign   heidi@example.com: member of cn=support,$G"
contains "text: waiting users" "$OUT" "! 1 waiting for a seat, in order: oscar@example.com"
run_licsync plan --format csv
printf 'action,app,sku,user,reason\r\nunassign,acme-crm,%s,bob@example.com,not in any group of the app; remove: all\r\n' "$SKU_CRM" >"$T/want.csv"
for u in heidi ivan john.smith; do
	printf 'assign,acme-crm,%s,%s@example.com,"member of cn=support,%s"\r\n' "$SKU_CRM" "$u" "$G" >>"$T/want.csv"
done
check "csv: header, one row per change, RFC 4180 quoting" cmp "$T/out" "$T/want.csv"
run_licsync plan --format json -o "$T/saved.json"
is "-o: exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/stdout.json"
python3 - "$T/saved.json" >"$T/saved.plain.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
del p["provenance"], p["signature"]
json.dump(p, sys.stdout)
PY
same_json "-o: the file holds the JSON plan, plus provenance" \
	"$T/saved.plain.json" "$T/stdout.json"
run_licsync plan --format yaml
is "unknown format: exit 1" "$RC" 1

# ---- the audit trail ----
mode=$(stat -c %a "$T/licsync.db")
is "database is private (0600)" "$mode" 600
runs=$(sqlite3 "$T/licsync.db" "SELECT count(*), min(outcome), max(outcome) FROM runs WHERE command = 'plan'")
contains "every run recorded with its outcome" "$runs" "|ok|"
row=$(sqlite3 "$T/licsync.db" "SELECT assigns, unassigns, unfulfilled, length(config_sha256), length(policy_sha256), exit_code, ended >= started FROM runs ORDER BY id DESC LIMIT 1")
is "last run: counts, hashes, exit code" "$row" "3|1|1|64|64|0|1"

# ---- sku_part_number is looked up among the subscribed SKUs ----
cat >"$T/policy.yaml" <<EOF_POLICY
apps:
  acme-crm:
    sku_part_number: crm
    groups:
      - cn=engineering,$G
EOF_POLICY
run_licsync plan --format csv
is "sku_part_number: plan exits 0" "$RC" 0
contains "sku_part_number: resolved to the SKU id (case-insensitively)" "$OUT" \
	"assign,acme-crm,$SKU_CRM,dave@example.com,"

# ---- unset uri and base_dn come from ldap.conf, through libldap ----
sed -e '/^  uri:/d' -e '/^  base_dn:/d' "$T/licsync.conf" >"$T/noldap.conf"
printf 'URI %s\nBASE dc=example,dc=com\n' "$SLAPD_URI" >"$T/ldap.conf"
env -u LDAPNOINIT LDAPCONF="$T/ldap.conf" HOME="$T" LDAPRC=none \
	"$LICSYNC" -c "$T/noldap.conf" plan --format csv >"$T/out" 2>"$T/err"
is "ldap.conf: URI and BASE used when the config has none" "$?" 0
check "ldap.conf: the plan is the same" grep -q "dave@example.com" "$T/out"

tap_done
