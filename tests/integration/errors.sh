#!/bin/bash
# errors.sh - failures stop the run before any change, with a clear
# message and the documented exit code, and never show a secret.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
slapd_up "$top_srcdir/tests/data/directory.ldif"
mkstate \
	--sku crm:$SKU_CRM:10 --hold crm:bob
graph_start "$T/state.json"
write_config
cat >"$T/policy.yaml" <<EOF_POLICY
apps:
  acme-crm:
    sku: $SKU_CRM
    remove: all
    groups:
      - cn=support,$G
EOF_POLICY

run_licsync plan --format json
is "baseline plan works" "$RC" 0

# no output but the error: a failed run prints no partial plan
no_plan() {     # no_plan DESC
	is "$1: no plan printed" "$OUT" ""
}

# ---- configuration and policy ----
run_licsync check
is "check: exit 0" "$RC" 0
contains "check: names both files" "$OUT" "policy.yaml: OK, 1 app"

cp "$T/policy.yaml" "$T/policy.good"
printf 'apps:\n  acme-crm:\n    sku: %s\n    groups: [\n' "$SKU_CRM" >"$T/policy.yaml"
run_licsync plan
is "malformed policy YAML: exit 2" "$RC" 2
contains "malformed policy YAML: FILE:LINE:COL" "$ERR" "$T/policy.yaml:5:1: "
no_plan "malformed policy YAML"

printf 'apps:\n  acme-crm:\n    sku: %s\n    grups: [x]\n' "$SKU_CRM" >"$T/policy.yaml"
run_licsync check
is "unknown policy key: exit 2" "$RC" 2
contains "unknown policy key: did you mean" "$ERR" \
	"$T/policy.yaml:4:5: unknown key 'grups' (did you mean 'groups'?)"
cp "$T/policy.good" "$T/policy.yaml"

cp "$T/licsync.conf" "$T/conf.good"
sed -i 's/^  page_size:/  page_sise:/' "$T/licsync.conf"
run_licsync plan
is "unknown config key: exit 2" "$RC" 2
contains "unknown config key: FILE:LINE:COL and suggestion" "$ERR" \
	"$T/licsync.conf:8:3: unknown key 'page_sise' (did you mean 'page_size'?)"
cp "$T/conf.good" "$T/licsync.conf"

chmod 644 "$T/ldap.secret"
run_licsync check
is "check: group-readable bind password file: exit 2" "$RC" 2
contains "check: says which file and why" "$ERR" \
	"$T/ldap.secret: secret file is accessible by group or others (mode 0644); chmod 600 it"
run_licsync plan
is "group-readable bind password file: exit 2" "$RC" 2
contains "group-readable bind password file: named" "$ERR" "ldap.secret"
chmod 600 "$T/ldap.secret"

# ---- database ----
sed -i 's|^database: .*|database: no/such/dir/licsync.db|' "$T/licsync.conf"
run_licsync plan
is "database directory missing: exit 8" "$RC" 8
contains "database directory missing: named" "$ERR" "no/such/dir/licsync.db: cannot open the database"
no_plan "database directory missing"
cp "$T/conf.good" "$T/licsync.conf"

# ---- directory ----
printf 'wrong-password\n' >"$T/ldap.secret"
run_licsync plan
is "wrong bind password: exit 3" "$RC" 3
contains "wrong bind password: the server's words" "$ERR" "Invalid credentials"
no_plan "wrong bind password"
printf '%s\n' "$LDAP_SECRET" >"$T/ldap.secret"

sed -i "s/cn=support,/cn=suport,/" "$T/policy.yaml"
run_licsync plan
is "policy group missing: exit 3" "$RC" 3
contains "policy group missing: named" "$ERR" "policy group 'cn=suport,$G' does not exist"
no_plan "policy group missing"
cp "$T/policy.good" "$T/policy.yaml"

# a base DN that does not exist reads no users: an error, not an empty view
sed -i 's/^  base_dn: .*/  base_dn: ou=nowhere,dc=example,dc=com/' "$T/licsync.conf"
run_licsync plan
is "missing base DN: exit 3" "$RC" 3
contains "missing base DN: server's words" "$ERR" "No such object"
cp "$T/conf.good" "$T/licsync.conf"

slapd_pause
LDAP_TIMEOUT=2 write_config
run_licsync plan
is "directory not answering: exit 3" "$RC" 3
contains "directory not answering: says so" "$ERR" "LDAP"
no_plan "directory not answering"
slapd_resume
cp "$T/conf.good" "$T/licsync.conf"

# ---- backend ----
printf 'not-the-secret\n' >"$T/graph.secret"
run_licsync plan
is "bad client secret: exit 4" "$RC" 4
contains "bad client secret: token refused" "$ERR" "token request refused: HTTP 401: invalid_client: AADSTS7000215"
no_plan "bad client secret"
printf '%s\n' "$GRAPH_SECRET" >"$T/graph.secret"

sed -i "s/sku: .*/sku: 00000000-0000-0000-0000-00000000beef/" "$T/policy.yaml"
run_licsync plan
is "SKU not subscribed: exit 4" "$RC" 4
contains "SKU not subscribed: named" "$ERR" "app 'acme-crm': sku 00000000-0000-0000-0000-00000000beef is not among the tenant's subscribed SKUs"
cp "$T/policy.good" "$T/policy.yaml"

graph_stop
run_licsync plan
is "backend unreachable: exit 4" "$RC" 4
no_plan "backend unreachable"

slapd_stop
run_licsync plan
is "directory stopped: exit 3" "$RC" 3
contains "directory stopped: says it cannot connect" "$ERR" "Can't contact LDAP server"
no_plan "directory stopped"

# ---- every failed run is on record ----
failed=$(sqlite3 "$T/licsync.db" "SELECT group_concat(exit_code, ' ') FROM (SELECT exit_code FROM runs WHERE exit_code <> 0 ORDER BY id)")
is "failed runs recorded with their exit codes" "$failed" "2 3 3 3 3 4 4 4 3"
msg=$(sqlite3 "$T/licsync.db" "SELECT message FROM runs WHERE exit_code = 4 ORDER BY id LIMIT 1")
contains "failed run keeps its message" "$msg" "AADSTS7000215"

# ---- secrets ----
if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output" "$T/licsync.db"*; then
	not_ok "no secret in any output or in the database"
else
	ok "no secret in any output or in the database"
fi

tap_done
