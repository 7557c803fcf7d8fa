#!/bin/bash
# ranged.sh - licsync against the AD-behaviour LDAP server
# (tests/adserver.sh), which enforces what Samba does not: MaxValRange
# (member;range=0-1499), MaxPageSize 1,000 and continuation references.
# A group of 5,000 members, a ranged group nested in a ranged group, a
# range the server breaks off, and a reference to a child domain.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/adserver.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
command -v ldapsearch >/dev/null || tap_skip_all "ldapsearch not available"
adserver_available
case $? in
0) ;;
1) tap_skip_all "node not available" ;;
*) echo "Bail out! node is here but ldapjs cannot be installed"; exit 1 ;;
esac
ADSERVER_NO_TRAP=1
trap 'adserver_stop; cleanup' EXIT

B=$ADSERVER_BASE
S="OU=Staff,$B"
GR="OU=Groups,$B"
# 6,000 users; big: users 1..5,000; outer: users 4,001..6,000 and big
# (2,001 values: ranged too); fragile: 3,000 users, for --break-range.
python3 - "$B" >"$T/ad.ldif" <<'PY'
import sys
b = sys.argv[1]
out = sys.stdout
def user(i):
    return "CN=user%07d,OU=Staff,%s" % (i, b)
out.write("dn: %s\nobjectClass: top\nobjectClass: domain\n\n" % b)
for ou in ("Staff", "Groups"):
    out.write("dn: OU=%s,%s\nobjectClass: organizationalUnit\n\n" % (ou, b))
out.write("dn: CN=Users,%s\nobjectClass: container\n\n" % b)
out.write("dn: CN=svc-licsync,CN=Users,%s\nobjectClass: top\n"
          "objectClass: person\nobjectClass: user\n\n" % b)
for i in range(1, 6001):
    out.write("dn: %s\nobjectClass: top\nobjectClass: person\n"
              "objectClass: organizationalPerson\nobjectClass: user\n"
              "userPrincipalName: user%07d@example.com\n"
              "userAccountControl: 512\n\n" % (user(i), i))
def group(name, members):
    out.write("dn: CN=%s,OU=Groups,%s\nobjectClass: top\nobjectClass: group\n"
              % (name, b))
    for m in members:
        out.write("member: %s\n" % m)
    out.write("\n")
group("big", [user(i) for i in range(1, 5001)])
group("outer", [user(i) for i in range(4001, 6001)] +
      ["CN=big,OU=Groups,%s" % b])
group("fragile", [user(i) for i in range(1, 3001)])
PY

start_ad() {
	ADSERVER_TLS=1 adserver_start "$T/ad" "$T/ad.ldif" "$@" ||
		{ echo "Bail out! the AD-behaviour server did not start"; exit 1; }
}

mkstate --sku crm:$SKU_CRM:10000 --sku wiki:$SKU_WIKI:10000 --bulk user:6000
graph_start "$T/state.json"
policy_begin
policy_app acme-crm "$SKU_CRM" "remove: all" "groups:" "  - \"CN=outer,$GR\""
policy_app acme-wiki "$SKU_WIKI" "remove: all" "groups:" "  - \"CN=big,$GR\""

# ad_config [EXTRA-LDAP-YAML]: licsync.conf for the server, AD's defaults
ad_config() {
	LDAP_URI=$(printf '%s' "$ADSERVER_URI") write_config
	printf '%s\n' "$ADSERVER_BIND_PW" >"$T/ldap.secret"
	python3 - "$T/licsync.conf" "$ADSERVER_CA_FILE" "$ADSERVER_BIND_DN" \
	    "$B" "${1:-}" <<'PY'
import sys
path, ca, who, base, extra = sys.argv[1:]
out = []
for line in open(path):
    if line.startswith("  uri:"):
        line += "  ca_file: %s\n" % ca
        if extra:
            line += extra + "\n"
    elif line.startswith("  bind_dn:"):
        line = '  bind_dn: "%s"\n' % who
    elif line.startswith("  base_dn:"):
        line = '  base_dn: "%s"\n' % base
    elif line.startswith(("  user_filter:", "  user_key:", "  page_size:")):
        continue
    out.append(line)
open(path, "w").write("".join(out))
PY
}

start_ad
ad_config
# the server's references at the domain root, which licsync passes over
refs=$(env -u LDAPNOINIT LDAPTLS_CACERT="$ADSERVER_CA_FILE" ldapsearch -x \
	-H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" -w "$ADSERVER_BIND_PW" \
	-b "$B" -E pr=1000/noprompt '(objectClass=group)' 1.1 2>&1 |
	grep -c '^ref: ')
check "the server sends continuation references at the domain root" \
	test "$refs" -ge 3

run_licsync plan --format json
is "5,000 and 2,001 members in ranges: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/walk.json"
check "every member read: 6,000 crm assigns (outer with big), 5,000 wiki" \
	python3 - "$T/walk.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
n = {}
for c in p["changes"]:
    assert c["action"] == "assign", c
    n.setdefault(c["app"], set()).add(c["user"])
assert len(n["acme-crm"]) == 6000, len(n["acme-crm"])
assert len(n["acme-wiki"]) == 5000, len(n["acme-wiki"])
assert "user0005000@example.com" in n["acme-wiki"]
assert "user0005001@example.com" not in n["acme-wiki"]
d = p["summary"]["directory"]
assert d["schema"] == "ad" and d["users"] == 6001 and d["groups"] == 2, d
PY
check "the ranges were asked for: member;range=1500-* and on" \
	test "$(adserver_requests 'member;range=1500-\*')" -ge 2
check "... up to the last range of big, 4500-*" \
	test "$(adserver_requests 'member;range=4500-\*')" -ge 1
check "the users were read in pages of at most 1,000 (MaxPageSize)" \
	test "$(adserver_requests 'objectCategory=person')" -ge 7

ad_config "  nesting: in-chain"
run_licsync plan --format json
is "nesting: in-chain: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/chain.json"
same_json "nesting: in-chain gives the walk's plan" "$T/chain.json" \
	"$T/walk.json"

ad_config "  page_size: 5000"
run_licsync plan --format json
is "page_size above MaxPageSize: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/bigpage.json"
same_json "page_size above MaxPageSize: the same plan" "$T/bigpage.json" \
	"$T/walk.json"
adserver_stop

# A range the server breaks off: the run stops, nothing is read short.
start_ad --break-range "CN=big,$GR"
ad_config
run_licsync plan --format json
is "a range broken off: exit 3" "$RC" 3
contains "a range broken off: says where" "$ERR" \
	"the server broke off the values of member at 1500"
is "a range broken off: no plan on stdout" "$OUT" ""
adserver_stop

start_ad --break-range-error "CN=outer,$GR"
ad_config
run_licsync plan --format json
is "a range refused (busy): exit 3" "$RC" 3
contains "a range refused (busy): the server's words" "$ERR" \
	"(member;range=1500-*): Server is busy"
adserver_stop

# A reference to a child domain: users there would be missed.
start_ad --reference "ldap://child.example.test/DC=child,$B"
ad_config
run_licsync plan --format json
is "a reference to a child domain: exit 3" "$RC" 3
contains "a reference to a child domain: names it" "$ERR" \
	"continuation reference to ldap://child.example.test/DC=child,$B"
contains "a reference to a child domain: points to the global catalog" \
	"$ERR" "global catalog, port 3268"
adserver_stop

if grep -a -q -e "$ADSERVER_BIND_PW" -e "$GRAPH_SECRET" "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi
tap_done
