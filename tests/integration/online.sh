#!/bin/bash
# online.sh - `licsync check --online`: binds to the directory, reads each
# policy group, gets a token, lists the SKUs with their seats and finds
# each app's SKU; reports everything, then exits with the first failing
# part's code (directory 3 before backend 4), and never shows a secret.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
BIND_DN="cn=licsync,ou=services,dc=example,dc=com"
slapd_up "$top_srcdir/tests/data/directory.ldif"

# ACME_CRM: 250 seats, 12 in use (fixed); WIKI: 10 seats and 5 in
# warning, held by bob and carol.
python3 "$top_srcdir/tests/integration/mkstate.py" \
	--sku acme_crm:$SKU_CRM:250:12 --sku wiki:$SKU_WIKI:10 \
	--hold wiki:bob --hold wiki:carol >"$T/state0.json"
python3 - "$T/state0.json" >"$T/state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["skus"][1]["warning"] = 5
json.dump(s, sys.stdout)
PY
graph_start "$T/state.json"
write_config

# Groups of both apps; sales is named twice, spelled differently, and
# is read and listed once.
cat >"$T/policy.good" <<EOF_POLICY
apps:
  acme-crm:
    sku: $SKU_CRM
    groups:
      - cn=sales,$G
      - cn=engineering,$G
    exclude_groups:
      - cn=contractors,$G
  acme-wiki:
    sku_part_number: WIKI
    groups:
      - cn=unix-admins,$G
      - CN=Sales, OU=Groups, DC=example, DC=com
EOF_POLICY
cp "$T/policy.good" "$T/policy.yaml"

# report: the online part of the output, from the directory line on.
report() {
	printf '%s\n' "$OUT" | sed -n '/^directory /,$p'
}

# ---- all found ----
run_licsync check --online
is "all found: exit 0" "$RC" 0
contains "all found: the offline check comes first" "$OUT" \
	"$T/policy.yaml: OK, 2 apps
directory "
case $ERR in
*error:*) not_ok "all found: no error on stderr" "$ERR" ;;
*) ok "all found: no error on stderr" ;;
esac
cat >"$T/want" <<EOF_WANT
directory $SLAPD_URI: bound as $BIND_DN
  schema rfc, nesting walk
  group cn=sales,$G: found, 3 member values
  group cn=engineering,$G: found, 2 member values
  group cn=contractors,$G: found, 2 member values
  group cn=unix-admins,$G: found, 3 member values
backend graph: token obtained
  SKU $SKU_CRM ACME_CRM Enabled: 250 enabled, 12 consumed, 238 free
  SKU $SKU_WIKI WIKI Enabled: 10 enabled, 5 in warning, 2 consumed, 13 free
  app acme-crm: sku $SKU_CRM found (ACME_CRM)
  app acme-wiki: sku_part_number WIKI found ($SKU_WIKI)
EOF_WANT
report >"$T/got"
if diff -u "$T/want" "$T/got" >"$T/diff"; then
	ok "all found: the report"
else
	not_ok "all found: the report" "$(cat "$T/diff")"
fi

# debug output (LDAP options, HTTP request lines) joins the secret check
run_licsync -v check --online
is "all found, -v: exit 0" "$RC" 0

# ---- directory problems: exit 3, the rest still reported ----
sed -i "s/- cn=engineering,/- cn=nope,/" "$T/policy.yaml"
printf '      - cn=Alice,ou=people,dc=example,dc=com\n' >>"$T/policy.yaml"
run_licsync check --online
is "missing group: exit 3" "$RC" 3
contains "missing group: MISSING" "$OUT" "  group cn=nope,$G: MISSING"
contains "missing group: the groups after it are read" "$OUT" \
	"  group cn=contractors,$G: found, 2 member values
  group cn=unix-admins,$G: found, 3 member values"
contains "an entry that is not a group: NOT A GROUP" "$OUT" \
	"  group cn=Alice,ou=people,dc=example,dc=com: NOT A GROUP"
contains "missing group: the backend is still checked" "$OUT" \
	"  app acme-wiki: sku_part_number WIKI found ($SKU_WIKI)"
contains "missing group: the first problem on stderr" "$ERR" \
	"policy group 'cn=nope,$G' does not exist in the directory"

# an LDAP error with one group does not stop the others
cp "$T/policy.good" "$T/policy.yaml"
sed -i "s/- cn=engineering,/- foo=bar,/" "$T/policy.yaml"
run_licsync check --online
is "LDAP error with a group: exit 3" "$RC" 3
contains "LDAP error with a group: the server's words" "$OUT" \
	"  group foo=bar,$G: ERROR: LDAP read of 'foo=bar,$G': Invalid DN syntax"
contains "LDAP error with a group: the next group is read" "$OUT" \
	"  group cn=contractors,$G: found, 2 member values"

cp "$T/policy.good" "$T/policy.yaml"
printf 'wrong-password\n' >"$T/ldap.secret"
run_licsync check --online
is "wrong bind password: exit 3" "$RC" 3
contains "wrong bind password: the server's words" "$OUT" \
	"directory $SLAPD_URI: FAILED: LDAP bind failed: Invalid credentials"
contains "wrong bind password: on stderr too" "$ERR" "Invalid credentials"
contains "wrong bind password: the backend is still checked" "$OUT" \
	"backend graph: token obtained"
printf '%s\n' "$LDAP_SECRET" >"$T/ldap.secret"

# ---- backend problems: exit 4 ----
printf 'not-the-secret\n' >"$T/graph.secret"
run_licsync check --online
is "bad client secret: exit 4" "$RC" 4
contains "bad client secret: token refused" "$OUT" \
	"backend graph: FAILED: token request refused: HTTP 401: invalid_client: AADSTS7000215"
contains "bad client secret: the directory is still checked" "$OUT" \
	"  group cn=unix-admins,$G: found, 3 member values"
contains "bad client secret: on stderr" "$ERR" "AADSTS7000215"

# directory problems come first
sed -i "s/- cn=engineering,/- cn=nope,/" "$T/policy.yaml"
run_licsync check --online
is "missing group and bad client secret: exit 3" "$RC" 3
contains "missing group and bad client secret: both reported" "$OUT" \
	"  group cn=nope,$G: MISSING"
contains "missing group and bad client secret: token refused shown" "$OUT" \
	"backend graph: FAILED: token request refused"
cp "$T/policy.good" "$T/policy.yaml"
printf '%s\n' "$GRAPH_SECRET" >"$T/graph.secret"

sed -i "s/sku: .*/sku: 00000000-0000-0000-0000-00000000beef/; s/sku_part_number: WIKI/sku_part_number: NOPE/" \
	"$T/policy.yaml"
run_licsync check --online
is "SKU not subscribed: exit 4" "$RC" 4
contains "SKU not subscribed: MISSING" "$OUT" \
	"  app acme-crm: sku 00000000-0000-0000-0000-00000000beef MISSING
  app acme-wiki: sku_part_number NOPE MISSING"
contains "SKU not subscribed: the SKUs are listed" "$OUT" \
	"  SKU $SKU_CRM ACME_CRM Enabled: 250 enabled, 12 consumed, 238 free"
contains "SKU not subscribed: named on stderr" "$ERR" \
	"app 'acme-crm': sku 00000000-0000-0000-0000-00000000beef is not among the tenant's subscribed SKUs"
cp "$T/policy.good" "$T/policy.yaml"

# two apps on one SKU: plan refuses that (2), so check does too
sed -i "s/sku_part_number: WIKI/sku_part_number: acme_crm/" "$T/policy.yaml"
run_licsync check --online
is "two apps on one SKU: exit 2" "$RC" 2
contains "two apps on one SKU: said" "$OUT" \
	"  app acme-wiki: sku_part_number acme_crm found ($SKU_CRM), but app acme-crm names the same SKU"
contains "two apps on one SKU: on stderr" "$ERR" \
	"apps 'acme-crm' and 'acme-wiki' name the same SKU $SKU_CRM"
printf '  acme-x:\n    sku_part_number: NOPE\n    groups: ["cn=sales,%s"]\n' \
	"$G" >>"$T/policy.yaml"
run_licsync check --online
is "two apps on one SKU and a SKU missing: exit 4" "$RC" 4
contains "two apps on one SKU and a SKU missing: the missing one first" \
	"$ERR" "app 'acme-x': sku_part_number NOPE is not among"
cp "$T/policy.good" "$T/policy.yaml"

graph_stop
run_licsync check --online
is "backend unreachable: exit 4" "$RC" 4
contains "backend unreachable: FAILED" "$OUT" "backend graph: FAILED: "
graph_start "$T/state.json"
write_config

# ---- seat counts no real tenant has: refused, never overflowed ----
python3 "$top_srcdir/tests/integration/mkstate.py" \
	--sku acme_crm:$SKU_CRM:9223372036854775807:1 --sku wiki:$SKU_WIKI:10 \
	>"$T/state0.json"
python3 - "$T/state0.json" >"$T/huge.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["skus"][0]["warning"] = 9223372036854775807
json.dump(s, sys.stdout)
PY
graph_state "$T/huge.json"
run_licsync check --online
is "huge unit counts: exit 4" "$RC" 4
contains "huge unit counts: refused as not a count" "$OUT" \
	"  subscribed SKUs: ERROR: subscribedSkus: SKU $SKU_CRM: prepaidUnits.enabled is not a count from 0 to 2147483647"
contains "huge unit counts: the error on stderr too" "$ERR" \
	"prepaidUnits.enabled is not a count"
run_licsync plan
is "huge unit counts: plan exits 4 too" "$RC" 4
graph_state "$T/state.json"

# ---- slapd not answering, then stopped ----
slapd_pause
LDAP_TIMEOUT=2 write_config
run_licsync check --online
is "slapd not answering: exit 3" "$RC" 3
contains "slapd not answering: FAILED" "$OUT" "directory $SLAPD_URI: FAILED: "
contains "slapd not answering: the backend is still checked" "$OUT" \
	"  app acme-crm: sku $SKU_CRM found (ACME_CRM)"
slapd_resume
write_config

uri=$SLAPD_URI
slapd_stop
run_licsync check --online
is "slapd stopped: exit 3" "$RC" 3
contains "slapd stopped: cannot connect" "$OUT" \
	"directory $uri: FAILED: LDAP bind failed: Can't contact LDAP server"
contains "slapd stopped: the backend is still checked" "$OUT" \
	"  app acme-crm: sku $SKU_CRM found (ACME_CRM)"

# ---- secrets ----
if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" -e "Bearer" \
    "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi

tap_done
