#!/bin/bash
# tests/adserver_selftest.sh - the AD-behaviour LDAP server of
# tests/adserver.sh against ldapsearch: rootDSE, binds, ranged retrieval
# (MaxValRange), paging (MaxPageSize), continuation references and
# referrals, AD's matching rules, the computed attributes, the fault
# injection, the request log, and start and stop.  Prints TAP; skips
# without node (fails when node is there but ldapjs cannot be installed).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_builddir LDAPNOINIT=1

. "$top_srcdir/tests/adserver.sh"

for prog in ldapsearch python3; do
	command -v "$prog" >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP $prog not installed"; exit 0; }
done
adserver_available
case $? in
0) ;;
1) echo "1..0 # SKIP node not installed"; exit 0 ;;
*)
	echo "Bail out! node is installed but ldapjs could not be installed"
	exit 1
	;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/adserver_selftest.XXXXXX") || exit 1
trap 'adserver_stop; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TAP_OUT=$T/check.out
. "$top_srcdir/tests/tap.sh"

B=$ADSERVER_BASE
PEOPLE="OU=People,$B"
GRP="OU=Groups,$B"
CHILD_REF="ldap://child.example.test/DC=child,$B"

# ---- the directory --------------------------------------------------------
#
# 5,200 users user00001..user05200 (every 100th disabled: 514; i%100 == 50:
# 66050, disabled and password never expires; i%100 == 25: 66048, enabled,
# never expires), the service account, "Smith, John", a computer, and in
# OU=Groups: big (user00001..05000), exact (user00001..01500), fragile
# and fragile-err (user00001..03000), small (user00010..00012), nest-a ->
# nest-b -> nest-c -> nest-a (a cycle) with users 1-4 and Smith, and
# Domain Users (RID 513) in CN=Users.
python3 - "$B" >"$T/ad.ldif" <<'EOF'
import sys

base = sys.argv[1]
people = "OU=People," + base
groups = "OU=Groups," + base
out = []

def entry(dn, *attrs):
    out.append("dn: " + dn)
    out.extend("%s: %s" % a for a in attrs)
    out.append("")

def user(dn, cn, rid, uac, *classes):
    oc = [("objectClass", c) for c in
          ("top", "person", "organizationalPerson", "user") + classes]
    entry(dn, *oc, ("cn", cn), ("sAMAccountName", cn),
          ("userPrincipalName", cn + "@example.test"),
          ("userAccountControl", uac), ("primaryGroupID", 513),
          ("objectSid", "S-1-5-21-1-2-3-%d" % rid))

def group(dn, cn, members, rid=None):
    attrs = [("objectClass", "top"), ("objectClass", "group"), ("cn", cn)]
    if rid:
        attrs.append(("objectSid", "S-1-5-21-1-2-3-%d" % rid))
    entry(dn, *attrs, *(("member", m) for m in members))

def u(i):
    return "CN=user%05d,%s" % (i, people)

entry(base, ("objectClass", "top"), ("objectClass", "domain"),
      ("objectClass", "domainDNS"), ("dc", "example"))
for ou in ("People", "Groups"):
    entry("OU=%s,%s" % (ou, base), ("objectClass", "top"),
          ("objectClass", "organizationalUnit"), ("ou", ou))
entry("CN=Users," + base, ("objectClass", "top"),
      ("objectClass", "container"), ("cn", "Users"))
user("CN=svc-licsync,CN=Users," + base, "svc-licsync", 1000, 66048)
group("CN=Domain Users,CN=Users," + base, "Domain Users", [], rid=513)
user("CN=Smith\\, John," + people, "Smith, John", 1104, 512)
for i in range(1, 5201):
    uac = {0: 514, 50: 66050, 25: 66048}.get(i % 100, 512)
    user(u(i), "user%05d" % i, 2000 + i, uac)
user("CN=ws01," + people, "ws01", 1105, 4096, "computer")
group("CN=big," + groups, "big", [u(i) for i in range(1, 5001)])
group("CN=exact," + groups, "exact", [u(i) for i in range(1, 1501)])
for cn in ("fragile", "fragile-err"):
    group("CN=%s,%s" % (cn, groups), cn, [u(i) for i in range(1, 3001)])
group("CN=small," + groups, "small", [u(10), u(11), u(12)])
group("CN=nest-a," + groups, "nest-a", [u(1), u(2), "CN=nest-b," + groups])
group("CN=nest-b," + groups, "nest-b", [u(3), "CN=nest-c," + groups])
# Smith's DN as another client might write it: other case, spaces.
group("CN=nest-c," + groups, "nest-c", [u(4), "CN=nest-a," + groups,
      "cn=smith\\, john, ou=people, dc=EXAMPLE, dc=test"])
print("\n".join(out))
EOF
result=$?
is "the test LDIF is generated (5,216 entries)" \
	"$result:$(grep -c '^dn: ' "$T/ad.ldif")" "0:5216"

# ---- helpers --------------------------------------------------------------

# q [LDAPSEARCH-ARGS...]: search as the service account, LDIF unwrapped,
# stderr to $T/err; the exit status is ldapsearch's (the LDAP result).
q() {
	ldapsearch -x -H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" \
		-w "$ADSERVER_BIND_PW" -o ldif-wrap=no "$@" 2>"$T/err"
}
# ql: the same without comments.  qb DN [ATTR...]: a base search of DN.
ql() {
	q -LLL "$@"
}
qb() {
	ql -b "$1" -s base '(objectClass=*)' "${@:2}"
}
# qa: an anonymous search, comments and all.
qa() {
	ldapsearch -x -H "$ADSERVER_URI" -o ldif-wrap=no "$@" 2>"$T/err"
}
# n PATTERN [TEXT]: how many lines of TEXT (default: standard input)
# match the extended regular expression PATTERN.
n() {
	if [ $# -gt 1 ]; then
		printf '%s\n' "$2" | grep -c -E -e "$1"
	else
		grep -c -E -e "$1"
	fi
}
# rdns: the first RDN values of the dn: lines of standard input, on one line.
rdns() {
	sed -n 's/^dn: CN=\([^,]*\).*/\1/p' | tr '\n' ' '
}
# rc CMD...: CMD's exit status, its output thrown away.
rc() {
	"$@" >/dev/null 2>&1
	echo $?
}
users='(&(objectCategory=person)(objectClass=user))'
paged_users='^search .*filter="\(&\(objectCategory=person\)'
BIG="CN=big,$GRP"
DU="CN=Domain Users,CN=Users,$B"

# ---- start ----------------------------------------------------------------

start=$(date +%s%N)
check "adserver_start with --reference, --break-range, --break-range-error" \
	adserver_start "$T/ad" "$T/ad.ldif" --reference "$CHILD_REF" \
	--break-range "CN=fragile,$GRP" \
	--break-range-error "CN=fragile-err,$GRP"
if [ -z "${ADSERVER_PID:-}" ]; then
	echo "Bail out! the server did not start"
	exit 1
fi
diag "answering $((($(date +%s%N) - start) / 1000000)) ms after adserver_start"
is "ADSERVER_URI names ADSERVER_PORT" "$ADSERVER_URI" \
	"ldap://127.0.0.1:$ADSERVER_PORT"
is "ADSERVER_DIR is private (mode 700)" "$(stat -c %a "$ADSERVER_DIR")" 700
is "the port file holds the port" "$(cat "$ADSERVER_DIR/port")" \
	"$ADSERVER_PORT"

# ---- rootDSE and binds ----------------------------------------------------

dse=$(qb "" supportedCapabilities supportedControl defaultNamingContext \
	namingContexts)
contains "rootDSE: supportedCapabilities has 1.2.840.113556.1.4.800" \
	"$dse" "supportedCapabilities: 1.2.840.113556.1.4.800"
contains "rootDSE: supportedControl has paged results (...319)" \
	"$dse" "supportedControl: 1.2.840.113556.1.4.319"
is "rootDSE: defaultNamingContext" \
	"$(printf '%s\n' "$dse" | sed -n 's/^defaultNamingContext: //p')" "$B"
is "rootDSE: five naming contexts" "$(n '^namingContexts: ' "$dse")" 5
is "rootDSE: only the attributes asked for" \
	"$(qb "" defaultNamingContext)" \
	"$(printf 'dn:\ndefaultNamingContext: %s' "$B")"
is "rootDSE: without a bind" \
	"$(qa -LLL -b "" -s base '(objectClass=*)' rootDomainNamingContext)" \
	"$(printf 'dn:\nrootDomainNamingContext: %s' "$B")"
check_rc 49 "a wrong password: invalidCredentials (49)" \
	ldapsearch -x -H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" -w wrong \
	-b "" -s base
check_rc 49 "another account: invalidCredentials (49)" \
	ldapsearch -x -H "$ADSERVER_URI" -D "CN=user00001,$PEOPLE" \
	-w "$ADSERVER_BIND_PW" -b "" -s base
out=$(qa -b "$B" -s base 2>&1)
is "anonymous search below the rootDSE: operationsError (1), as on AD" \
	"$?:$(n '000004DC' "$out$(cat "$T/err")")" "1:1"
check "the bind DN compares case- and space-insensitively" \
	ldapsearch -x -H "$ADSERVER_URI" -w "$ADSERVER_BIND_PW" \
	-D "cn=SVC-licsync, cn=users, dc=example, dc=test" -b "$B" -s base 1.1

# ---- ranged retrieval -----------------------------------------------------

out=$(qb "$BIG" member)
is "5,000 members, plain member: 1,500 values as member;range=0-1499" \
	"$(n '^member;range=0-1499: ' "$out")" 1500
is "... and no plain member" "$(n '^member:' "$out")" 0
is "member;range=1500-*: member;range=1500-2999, 1,500 values" \
	"$(qb "$BIG" 'member;range=1500-*' | n '^member;range=1500-2999: ')" 1500
is "member;range=4500-*: the last 500 values, as member;range=4500-*" \
	"$(qb "$BIG" 'member;range=4500-*' | n '^member;range=4500-\*: ')" 500
is "member;range=10-19: exactly those ten" \
	"$(qb "$BIG" 'member;range=10-19' |
		sed -n 's/^member;range=10-19: CN=\([^,]*\).*/\1/p' | tr '\n' ' ')" \
	"$(printf 'user%05d ' $(seq 11 20))"
is "member;range=4990-6000 reaches the end: member;range=4990-*" \
	"$(qb "$BIG" 'member;range=4990-6000' | n '^member;range=4990-\*: ')" 10

# Walk the ranges as a client does: four requests, 5,000 distinct values.
name=member requests=0 got=
: >"$T/values"
while [ $requests -lt 10 ]; do
	requests=$((requests + 1))
	qb "$BIG" "$name" >"$T/out"
	got=$(sed -n 's/^\(member;range=[0-9]*-[0-9*]*\): .*/\1/p' "$T/out" |
		sort -u)
	sed -n 's/^member;range=[^:]*: //p' "$T/out" >>"$T/values"
	case $got in
	*-\*) break ;;
	member\;range=*-*) name="member;range=$((${got##*-} + 1))-*" ;;
	*) break ;;
	esac
done
is "walking the ranges: 4 requests, the last -*, 5,000 distinct members" \
	"$requests ${got:-none} $(sort -u "$T/values" | wc -l)" \
	"4 member;range=4500-* 5000"

is "1,500 members (= MaxValRange): plain member, all values" \
	"$(qb "CN=exact,$GRP" member | n '^member: ')" 1500
is "a small group with member;range=0-*: member;range=0-*, 3 values" \
	"$(qb "CN=small,$GRP" 'member;range=0-*' | n '^member;range=0-\*: ')" 3
out=$(ql -b "$GRP" -s sub '(cn=big)' member)
is "subtree search: member;range=0-1499 too" \
	"$(n '^member;range=0-1499: ' "$out"):$(n '^member:' "$out")" "1500:0"
out=$(ql -b "$B" '(|(cn=big)(cn=small))')
is "subtree search for all attributes: big ranged, small whole" \
	"$(n '^member;range=0-1499: ' "$out"):$(n '^member: ' "$out")" "1500:3"
check_rc 1 "member;range=5000-* beyond the last value: operationsError (1)" \
	qb "$BIG" 'member;range=5000-*'
is "... with LDAP_SERVER_RANGE_RETRIEVAL_NOERR_OID: no error, no member" \
	"$(ql -e 1.2.840.113556.1.4.1948 -b "$BIG" -s base '(objectClass=*)' \
		'member;range=5000-*'; echo "rc=$?")" \
	"$(printf 'dn: %s\n\nrc=0' "$BIG")"

# ---- fault injection ------------------------------------------------------

is "--break-range: the first chunk as usual" \
	"$(qb "CN=fragile,$GRP" member | n '^member;range=0-1499: ')" 1500
is "--break-range: the follow-up returns the entry without member" \
	"$(qb "CN=fragile,$GRP" 'member;range=1500-*'; echo "rc=$?")" \
	"$(printf 'dn: CN=fragile,%s\n\nrc=0' "$GRP")"
is "--break-range-error: the first chunk as usual" \
	"$(qb "CN=fragile-err,$GRP" member | n '^member;range=0-1499: ')" 1500
check_rc 51 "--break-range-error: the follow-up gets busy (51)" \
	qb "CN=fragile-err,$GRP" 'member;range=1500-*'

# ---- paging ---------------------------------------------------------------

before=$(adserver_requests "$paged_users")
out=$(q -E pr=500/noprompt -b "$B" "$users" 1.1)
is "paged (pr=500): all 5,202 users, success" "$?:$(n '^dn: ' "$out")" \
	"0:5202"
is "paged (pr=500): 11 pages in the request log" \
	"$(($(adserver_requests "$paged_users") - before))" 11
is "paged: the references come once, after the last page" \
	"$(n '^ref: ' "$out")" 4
q -E pr=2000/noprompt -b "$B" "$users" 1.1 >/dev/null
is "paged (pr=2000): pages of MaxPageSize (1,000) entries" \
	"$(grep -F '319(size=2000,' "$ADSERVER_LOG" |
		sed -n 's/.* entries=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" \
	"1000 1000 1000 1000 1000 202 "
out=$(q -b "$B" "$users" 1.1)
is "not paged: 1,000 entries (MaxPageSize), then sizeLimitExceeded (4)" \
	"$?:$(n '^dn: ' "$out")" "4:1000"
out=$(q -z 10 -b "$B" "$users" 1.1)
is "the request's size limit (10): 10 entries, then sizeLimitExceeded" \
	"$?:$(n '^dn: ' "$out")" "4:10"
is "objectClass=user also matches the computer: 5,203" \
	"$(q -E pr=1000/noprompt -b "$B" '(objectClass=user)' 1.1 |
		n '^dn: ')" 5203

# ---- continuation references and referrals --------------------------------

want_refs="ref: ldap://ForestDnsZones.example.test/DC=ForestDnsZones,$B
ref: ldap://DomainDnsZones.example.test/DC=DomainDnsZones,$B
ref: ldap://example.test/CN=Configuration,$B
ref: $CHILD_REF"
is "subtree search at the domain root: AD's three references, --reference" \
	"$(q -b "$B" '(cn=small)' 1.1 | grep '^ref: ')" "$want_refs"
out=$(q -b "$B" -s one '(objectClass=*)' 1.1)
is "one-level search at the root: 3 children and the 4 references" \
	"$(n '^dn: ' "$out"):$(n '^ref: ' "$out")" "3:4"
is "subtree search below the root: no references" \
	"$(q -b "$GRP" '(cn=small)' 1.1 | n '^(dn|ref): ')" 1
is "base search at the root: no references" \
	"$(q -b "$B" -s base 1.1 | n '^ref: ')" 0
is "LDAP_SERVER_DOMAIN_SCOPE_OID (-E domainScope): no references" \
	"$(q -E domainScope -b "$B" '(cn=small)' 1.1 | n '^(dn|ref): ')" 1
out=$(q -b "DC=child,$B" -s base 1.1)
is "a base in the child domain: referral (10) to it" \
	"$?:$(n "^ref: $CHILD_REF\$" "$out")" "10:1"
out=$(q -b "DC=other,DC=test" '(cn=x)' 1.1)
is "a base outside the domain: referral (10) by its DNS name" \
	"$?:$(n '^ref: ldap://other.test/DC=other,DC=test$' "$out")" "10:1"
out=$(q -b "CN=nobody,$PEOPLE" -s base 1.1)
is "a missing base: noSuchObject (32) with the best match" \
	"$?:$(n "^matchedDN: $PEOPLE\$" "$out")" "32:1"

# ---- filters --------------------------------------------------------------

chain=1.2.840.113556.1.4.1941
is "in-chain ($chain) over a cycle: 8 transitive members of nest-a" \
	"$(ql -b "$B" "(memberOf:$chain:=CN=nest-a,$GRP)" 1.1 | rdns)" \
	'Smith\ user00001 user00002 user00003 user00004 nest-a nest-b nest-c '
is "in-chain, the DN spelt differently: 5 of them users" \
	"$(ql -b "$B" "(&(objectClass=user)(memberOf:$chain:=cn=NEST-A, \
ou=groups,dc=example,dc=test))" 1.1 | n '^dn: ')" 5
is "a plain memberOf match is direct members only (3)" \
	"$(ql -b "$B" "(memberOf=CN=nest-a,$GRP)" 1.1 | n '^dn: ')" 3
is "in-chain on member: the groups Smith is in, transitively (3)" \
	"$(ql -b "$B" "(member:$chain:=CN=Smith\\5C, John,$PEOPLE)" 1.1 |
		rdns)" "nest-a nest-b nest-c "
uac() {         # uac RULE VALUE: how many entries match
	q -E pr=1000/noprompt -b "$B" \
		"(userAccountControl:1.2.840.113556.1.4.$1:=$2)" 1.1 | n '^dn: '
}
is "bitwise AND (803): disabled users (userAccountControl & 2): 104" \
	"$(uac 803 2)" 104
is "bitwise AND (803) with two bits (65538): 52" "$(uac 803 65538)" 52
is "bitwise OR (804) with two bits (65538): 157 (the service account too)" \
	"$(uac 804 65538)" 157
enabled='(!(userAccountControl=514))'
is "substrings, or, not: user0510* and *ser0001*0, not disabled" \
	"$(ql -b "$PEOPLE" "(&(|(cn=USER0510*)(cn=*ser0001*0))$enabled)" 1.1 |
		rdns)" \
	"user00010 $(printf 'user0510%d ' 1 2 3 4 5 6 7 8 9)"
is "(objectSid=S-1-...) matches the SID's string form" \
	"$(ql -b "CN=Users,$B" '(objectSid=S-1-5-21-1-2-3-513)' 1.1)" "dn: $DU"

# ---- computed attributes and DNs -----------------------------------------

is "primaryGroupToken: in a base search, asked for by name" \
	"$(qb "$DU" primaryGroupToken)" \
	"$(printf 'dn: %s\nprimaryGroupToken: 513' "$DU")"
is "primaryGroupToken: not in a subtree search" \
	"$(ql -b "$B" '(cn=Domain Users)' primaryGroupToken |
		n '^primaryGroupToken')" 0
is "primaryGroupToken: not with *" \
	"$(qb "$DU" | n '^primaryGroupToken')" 0
is "objectSid is binary, as on AD" "$(qb "$DU" objectSid)" \
	"$(printf 'dn: %s\nobjectSid:: %s' "$DU" \
		AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAAQIAAA==)"
is "memberOf is computed from member" \
	"$(qb "CN=user00004,$PEOPLE" memberOf |
		sed -n 's/^memberOf: CN=\([^,]*\).*/\1/p' | tr '\n' ' ')" \
	"big exact fragile fragile-err nest-c "
is "memberOf of a DN written differently in member" \
	"$(qb "CN=Smith\\, John,$PEOPLE" memberOf)" \
	"$(printf 'dn: CN=Smith\\, John,%s\nmemberOf: CN=nest-c,%s' \
		"$PEOPLE" "$GRP")"
is "the base compares case- and space-insensitively; DNs come as stored" \
	"$(qb "cn=BIG , ou=groups,dc=EXAMPLE, dc=test" cn)" \
	"$(printf 'dn: %s\ncn: big' "$BIG")"
is "objectCategory: derived from objectClass" \
	"$(qb "CN=ws01,$PEOPLE" objectCategory |
		sed -n 's/^objectCategory: //p')" \
	"CN=Computer,CN=Schema,CN=Configuration,$B"

# ---- writes, the log ------------------------------------------------------

check_rc 53 "delete: unwillingToPerform (53)" \
	ldapdelete -x -H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" \
	-w "$ADSERVER_BIND_PW" "CN=user00001,$PEOPLE"
printf 'dn: CN=x,%s\nchangetype: add\nobjectClass: top\n' "$PEOPLE" \
	>"$T/add.ldif"
check_rc 53 "add: unwillingToPerform (53)" \
	ldapmodify -x -H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" \
	-w "$ADSERVER_BIND_PW" -f "$T/add.ldif"
# Two searches above asked big for member;range=1500-*.
is "the request log: one line per request, as documented" \
	"$(adserver_requests "^search conn=[0-9]+ msg=[0-9]+ base=\"$BIG\" \
scope=base filter=\"\\(objectClass=\\*\\)\" attrs=\"member;range=1500-\\*\" \
controls=\"\" result=0 entries=1 refs=0$")" 2
is "the request log: binds with their result" \
	"$(adserver_requests "^bind conn=[0-9]+ msg=1 dn=\"$ADSERVER_BIND_DN\" \
result=49$")" 1

# ---- stop -----------------------------------------------------------------

pid=$ADSERVER_PID dir=$ADSERVER_DIR uri=$ADSERVER_URI
check "adserver_stop" adserver_stop
! kill -0 "$pid" 2>/dev/null && [ ! -e "$dir" ] &&
	[ -z "${ADSERVER_PID:-}${ADSERVER_URI:-}${ADSERVER_DIR:-}" ]
is "adserver_stop: the server, its directory and variables are gone" $? 0
is "adserver_stop: the port no longer answers" \
	"$(rc ldapsearch -x -H "$uri" -o nettimeout=2 -b "" -s base)" 255
check "adserver_stop twice is harmless" adserver_stop

# ---- a second instance: other limits, anonymous access --------------------

check "adserver_start with --max-val-range 1000, --allow-anonymous, ..." \
	adserver_start "$T/ad2" "$T/ad.ldif" --max-val-range 1000 \
	--no-references --allow-anonymous --fail-after-pages 2 \
	--break-range-error "CN=fragile-err,$GRP" --break-range-code 53
is "--allow-anonymous, --max-val-range 1000: member;range=0-999" \
	"$(qa -LLL -b "$BIG" -s base '(objectClass=*)' member |
		n '^member;range=0-999: ')" 1000
out=$(qa -E pr=400/noprompt -b "$B" "$users" 1.1)
is "--fail-after-pages 2: two pages, then busy (51)" \
	"$?:$(n '^dn: ' "$out")" "51:800"
is "--no-references: none at the root" \
	"$(qa -b "$B" '(cn=small)' 1.1 | n '^(dn|ref): ')" 1
check_rc 53 "--break-range-code 53: the follow-up gets unwillingToPerform" \
	qa -b "CN=fragile-err,$GRP" -s base '(objectClass=*)' \
	'member;range=1000-*'
adserver_stop

# ---- TLS and start-up failures --------------------------------------------

if command -v openssl >/dev/null 2>&1; then
	ADSERVER_TLS=1 adserver_start "$T/tls" "$T/ad.ldif" >"$T/out" 2>&1
	is "ADSERVER_TLS=1 adserver_start: ldaps://" "$?:${ADSERVER_URI:-}" \
		"0:ldaps://127.0.0.1:${ADSERVER_PORT:-}"
	is "ldaps:// verified with ADSERVER_CA_FILE" \
		"$(env -u LDAPNOINIT LDAPRC=/nonexistent LDAPTLS_REQCERT=demand \
			LDAPTLS_CACERT="${ADSERVER_CA_FILE:-}" ldapsearch -x -LLL \
			-H "${ADSERVER_URI:-}" -D "$ADSERVER_BIND_DN" \
			-w "$ADSERVER_BIND_PW" -b "CN=small,$GRP" -s base \
			'(objectClass=*)' cn 2>&1)" \
		"$(printf 'dn: CN=small,%s\ncn: small' "$GRP")"
	adserver_stop
else
	skip "ADSERVER_TLS=1 adserver_start" "no openssl"
	skip "ldaps:// verified with ADSERVER_CA_FILE" "no openssl"
fi

printf 'dn: CN=a,%s\ncn: a\n\ndn: CN=a,%s\ncn: b\n' "$B" "$B" >"$T/bad.ldif"
adserver_start "$T/bad" "$T/bad.ldif" >"$T/out" 2>&1
is "a duplicate entry: adserver_start fails, naming the line" \
	"$?:$(grep -c "bad.ldif:4: duplicate entry 'CN=a,$B'" "$T/out")" "1:1"
[ ! -e "$T/bad" ] && [ -z "${ADSERVER_PID:-}" ]
is "a failed adserver_start cleans up" $? 0
mkdir "$T/full" && : >"$T/full/precious"
check_rc 1 "adserver_start refuses a non-empty DIR" \
	adserver_start "$T/full" "$T/ad.ldif"

tap_done
