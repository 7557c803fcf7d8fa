#!/bin/bash
# ad.sh - licsync against a real Active Directory domain controller (the
# throwaway Samba DC of tests/samba.sh): the bind names AD takes for a
# simple bind, over LDAPS and StartTLS verified with the test CA.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/samba.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
samba_available ||
	tap_skip_all "no Samba AD DC here (needs root, samba, samba-ad-dc, port 389 free)"
trap 'samba_stop; cleanup' EXIT
samba_start "$T/samba" || { echo "Bail out! the Samba DC did not start"; exit 1; }

mkstate --sku crm:$SKU_CRM:10
graph_start "$T/state.json"
G="CN=Users,$SAMBA_BASE"
policy_begin
policy_app acme-crm "$SKU_CRM" "remove: all" "groups:" \
	"  - \"CN=Domain Admins,$G\""

# ad_write_config BASE-DN URI BIND-NAME [EXTRA-LDAP-YAML]: licsync.conf
# for the DC with Active Directory's defaults (no user_filter, user_key or
# schema) unless EXTRA sets them.
ad_write_config() {
	LDAP_URI=$2 write_config
	printf '%s\n' "$SAMBA_ADMIN_PASSWORD" >"$T/ldap.secret"
	python3 - "$T/licsync.conf" "$2" "$3" "$SAMBA_CA" "$1" "${4:-}" <<'PY'
import sys
path, uri, who, ca, base, extra = sys.argv[1:]
out = []
for line in open(path):
    if line.startswith("  uri:"):
        line = "  uri: %s\n  ca_file: %s\n" % (uri, ca)
        if extra:
            line += extra + "\n"
    elif line.startswith("  bind_dn:"):
        line = '  bind_dn: "%s"\n' % who.replace("\\", "\\\\")
    elif line.startswith("  base_dn:"):
        line = '  base_dn: "%s"\n' % base
    elif line.startswith(("  user_filter:", "  user_key:")):
        continue
    out.append(line)
open(path, "w").write("".join(out))
PY
}

# ad_config URI BIND-NAME [EXTRA-LDAP-YAML]: the binds' licsync.conf,
# reading CN=Users with a filter of its own
ad_config() {
	ad_write_config "CN=Users,$SAMBA_BASE" "$1" "$2" \
		"  user_filter: (objectClass=user)
  user_key: userPrincipalName${3:+
$3}"
}

# bound DESC URI BIND-NAME [EXTRA]: check --online binds as BIND-NAME
bound() {
	ad_config "$2" "$3" "${4:-}"
	run_licsync check --online
	contains "$1: bound" "$OUT" "directory $2: bound as $3"
	contains "$1: the rootDSE says Active Directory" "$OUT" "schema ad"
	case $ERR in
	*"bind failed"*|*"TLS"*) not_ok "$1: no bind or TLS error" "$ERR" ;;
	*) ok "$1: no bind or TLS error" ;;
	esac
}

bound "LDAPS, bound by user principal name" "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
bound "LDAPS, bound by down-level name" "$SAMBA_LDAPS" "$SAMBA_ADMIN_DOWNLEVEL"
bound "LDAPS, bound by DN" "$SAMBA_LDAPS" "CN=Administrator,$G"
bound "StartTLS, bound by user principal name" "$SAMBA_LDAP" \
	"$SAMBA_ADMIN_UPN" "  starttls: true"

ad_config "$SAMBA_LDAPS" "nobody@example.test"
run_licsync check --online
is "an unknown user principal name: exit 3" "$RC" 3
contains "an unknown user principal name: the bind is what failed" "$ERR" \
	"LDAP bind failed"

ad_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
sed -i "s|^  ca_file: .*|  ca_file: /etc/ssl/certs/ca-certificates.crt|" \
	"$T/licsync.conf"
run_licsync check --online
is "a DC whose CA is not trusted: exit 3" "$RC" 3

# ---- plans on an AD-shaped directory (tests/data/ad.ldif) ----

EXP="$top_srcdir/tests/data/expected"
L="OU=Lic,$SAMBA_BASE"
if ! env -u LDAPNOINIT LDAPTLS_CACERT="$SAMBA_CA" ldapmodify -a -x \
    -H "$SAMBA_LDAPS" -D "$SAMBA_ADMIN_UPN" -w "$SAMBA_ADMIN_PASSWORD" \
    -f "$top_srcdir/tests/data/ad.ldif" >"$T/load.out" 2>&1; then
	echo "Bail out! loading ad.ldif failed: $(tail -n 5 "$T/load.out")"
	exit 1
fi

# ad_plan_config URI BIND-NAME [EXTRA-LDAP-YAML]: licsync.conf with
# Active Directory's defaults and the domain root as base_dn.
ad_plan_config() {
	ad_write_config "$SAMBA_BASE" "$@"
}

# ad_expect DESC NAME: plan --format json equals tests/data/expected/NAME.json
ad_expect() {
	run_licsync plan --format json
	if [ "$RC" -ne 0 ]; then
		not_ok "$1: plan exits 0" "rc=$RC" "$ERR"
		return
	fi
	printf '%s\n' "$OUT" >"$T/got.json"
	[ "${UPDATE_EXPECTED:-}" = 1 ] && cp "$T/got.json" "$EXP/$2.json"
	same_json "$1" "$T/got.json" "$EXP/$2.json"
}

# crm for crm-staff (nested, with a cycle, a computer, a foreign
# principal and two disabled users), wiki for Domain Users (everyone's
# primary group, listed in no member).  dave is disabled and holds crm;
# erin is disabled and entitled by her groups.
ad_state() {
	state --sku crm:$SKU_CRM:10 --sku wiki:$SKU_WIKI:10 \
		--user alice@example.test --user bob@example.test \
		--user carol@example.test --user dave@example.test \
		--user erin@example.test --user frank@example.test \
		--hold crm:dave@example.test --hold crm:alice@example.test \
		--hold wiki:frank@example.test
}
ad_state
policy_begin
policy_app acme-crm "$SKU_CRM" "remove: all" "groups:" \
	"  - \"CN=crm-staff,$L\""
policy_app acme-wiki "$SKU_WIKI" "remove: all" "groups:" \
	"  - \"CN=Domain Users,CN=Users,$SAMBA_BASE\""

ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
ad_expect "LDAPS, UPN, the domain root as base_dn, nesting: walk" ad-plan
check "the plan: dave's seat goes as disabled, erin gets none, bob and carol through the cycle, no computer" \
	python3 - "$T/got.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
ch = {(c["app"], c["user"], c["action"]): c["reason"] for c in p["changes"]}
crm = {(u, a) for (app, u, a) in ch if app == "acme-crm"}
assert crm == {("dave@example.test", "unassign"), ("bob@example.test", "assign"),
               ("carol@example.test", "assign")}, crm
assert ch[("acme-crm", "dave@example.test", "unassign")].startswith(
    "disabled in the directory"), ch
wiki = {(u, a) for (app, u, a) in ch if app == "acme-wiki"}
assert wiki == {("alice@example.test", "assign"), ("bob@example.test", "assign"),
                ("carol@example.test", "assign")}, wiki
d = p["summary"]["directory"]
assert d["schema"] == "ad" and d["foreign"] == 1 and d["not_users"] == 1, d
assert d["disabled"] >= 2, d
apps = {a["app"]: a for a in p["summary"]["apps"]}
assert apps["acme-crm"]["disabled"] == 2, apps
PY

ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "  nesting: in-chain"
ad_expect "nesting: in-chain gives the same plan as walk" ad-plan

ad_plan_config "$SAMBA_LDAP" "$SAMBA_ADMIN_DOWNLEVEL" "  starttls: true"
ad_expect "StartTLS, down-level name: the same plan" ad-plan

ad_plan_config "$SAMBA_GC" "$SAMBA_ADMIN_UPN" "  starttls: true"
ad_expect "the global catalog (3268, StartTLS): the same plan" ad-plan

ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "  schema: ad"
ad_expect "schema: ad set by hand: the same plan" ad-plan

ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "  schema: rfc"
run_licsync plan --format json
is "schema: rfc on AD: exit 3" "$RC" 3
contains "schema: rfc on AD: the references to AD's partitions stop it" \
	"$ERR" "continuation reference to ldaps://example.test/CN=Configuration"

ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "  disabled_filter: none"
run_licsync plan --format json
printf '%s\n' "$OUT" >"$T/nodis.json"
check "disabled_filter: none: dave keeps his seat, erin is assigned" \
	python3 - "$T/nodis.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
ch = {(c["app"], c["user"], c["action"]) for c in p["changes"]}
assert ("acme-crm", "erin@example.test", "assign") in ch, ch
assert not any(u == "dave@example.test" and a == "unassign"
               for (_, u, a) in ch), ch
assert p["summary"]["directory"]["disabled"] == 0
PY

# explain: the disabled user, and a chain read on demand with in-chain
ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "  nesting: in-chain"
run_licsync explain dave@example.test
contains "explain: dave is disabled in the directory" "$OUT" \
	"disabled in the directory"
run_licsync explain bob@example.test
contains "explain with in-chain: bob's chain of groups" "$OUT" \
	"cn=crm-nested,ou=lic,dc=example,dc=test"

# Kerberos: SASL GSSAPI with a keytab, against the DC's own KDC
samba_keytab licsync "$T/licsync.keytab" ||
	{ echo "Bail out! no keytab for licsync"; exit 1; }
export KRB5_CONFIG="$SAMBA_KRB5_CONF" KRB5CCNAME="FILE:$T/krb5cc"
ad_gssapi_config() {
	ad_plan_config "$1" "$SAMBA_ADMIN_UPN" "  sasl_mech: GSSAPI
  keytab: $2"
	sed -i -e '/^  bind_dn:/d' -e '/^  bind_password_file:/d' "$T/licsync.conf"
}
ad_gssapi_config "$SAMBA_LDAP" "$T/licsync.keytab"
run_licsync check --online
contains "GSSAPI with a keytab: bound" "$OUT" \
	"directory $SAMBA_LDAP: bound with SASL GSSAPI"
is "GSSAPI with a keytab: check --online finds the groups" "$RC" 0
run_licsync plan --format json
is "GSSAPI with a keytab: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/gss.json"
# the keytab's user is one more user of Domain Users, unknown to Graph
check "GSSAPI with a keytab, sealed over ldap://: the same changes" \
	python3 - "$T/gss.json" "$EXP/ad-plan.json" <<'PY'
import json, sys
got, want = (json.load(open(f)) for f in sys.argv[1:])
assert got["changes"] == want["changes"], got["changes"]
assert [s["user"] for s in got["skipped"]] == ["licsync@example.test"], got
assert got["summary"]["directory"]["users"] == \
    want["summary"]["directory"]["users"] + 1
PY
check "GSSAPI: the default credential cache is left alone" \
	test ! -e "$T/krb5cc"
chmod 644 "$T/licsync.keytab"
run_licsync check --online
is "a keytab readable by others: exit 2" "$RC" 2
contains "a keytab readable by others: says so" "$ERR" "keytab"
chmod 600 "$T/licsync.keytab"
samba_keytab nobody-here "$T/other.keytab" --no-user ||
	{ echo "Bail out! no keytab for the unknown principal"; exit 1; }
ad_gssapi_config "$SAMBA_LDAP" "$T/other.keytab"
run_licsync check --online
is "GSSAPI, a principal the KDC does not know: exit 3" "$RC" 3
contains "GSSAPI, a principal the KDC does not know: the bind failed" \
	"$ERR" "LDAP bind failed (SASL GSSAPI)"
unset KRB5_CONFIG KRB5CCNAME

# apply converges the Graph test server; the next plan has nothing to do
ad_plan_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
run_licsync apply
is "apply on AD: exit 0" "$RC" 0
run_licsync plan --format json
printf '%s\n' "$OUT" >"$T/after.json"
check "after apply: nothing left to do" python3 - "$T/after.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["changes"] == [], p["changes"]
PY
check "after apply: the tenant holds what the policy says" \
	python3 - "$GRAPH_BASE" "$SKU_CRM" "$SKU_WIKI" <<'PY'
import json, sys, urllib.request
base, crm, wiki = sys.argv[1:]
s = json.load(urllib.request.urlopen(base + "/_test/state"))
held = {(u["userPrincipalName"], l["skuId"]) for u in s["users"]
        for l in u["licenses"]}
want_crm = {"alice@example.test", "bob@example.test", "carol@example.test"}
want_wiki = want_crm | {"frank@example.test"}
got_crm = {u for (u, k) in held if k == crm and u.endswith("example.test")}
got_wiki = {u for (u, k) in held if k == wiki and u.endswith("example.test")}
assert got_crm == want_crm, got_crm
assert got_wiki == want_wiki, got_wiki
PY

if grep -a -q -e "$SAMBA_ADMIN_PASSWORD" -e "$GRAPH_SECRET" \
    "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi
tap_done
