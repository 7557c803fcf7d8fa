#!/bin/bash
# tests/bench/bench_ad.sh - time `licsync plan` on a generated Active
# Directory: the throwaway Samba DC of tests/samba.sh.
#
#   tests/bench/bench_ad.sh [-u USERS] [-g GROUPS] [-k MEMBERS-PER-GROUP]
#                           [-G BIG-GROUP-SIZE] [-p POLICY-GROUPS]
#                           [-d DISABLED-EVERY] [-b LICSYNC]
#
# Provisions a DC (needs root, samba and samba-ad-dc; it waits for any
# other test's DC), loads USERS users (default 20000), GROUPS groups
# (default 200) of MEMBERS-PER-GROUP random users (default 50) and the
# group "big" of the first BIG-GROUP-SIZE users (default 10000), every
# DISABLED-EVERY-th user disabled (default 20), three computers and two
# foreign security principals in group0001 and big (gen_ad_ldif.py, loaded
# with samba_load), and starts the Graph test server with the same users
# (a tenth of them already holding the license).  The policy: acme-crm
# for POLICY-GROUPS of the groups (default 20) and big, wiki for Domain
# Users (every user's primary group).
#
# Then, in one run: the floor, what ldapsearch takes (paged, 1,000 a page,
# over LDAPS) to read the user entries, the big group's member attribute,
# and the big group's transitive members by the in-chain rule
# (memberOf:1.2.840.113556.1.4.1941:=); and `licsync plan` with
# ldap.nesting walk and in-chain: elapsed time, peak RSS, the plan's
# size, and the elapsed time as a multiple of the floor.  Not a test:
# figures only.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
users=20000 groups=200 members=50 big=10000 pgroups=20 disabled=20
LICSYNC=${LICSYNC:-$top_srcdir/build/werror/src/licsync}
while getopts u:g:k:G:p:d:b: opt; do
	case $opt in
	u) users=$OPTARG ;;
	g) groups=$OPTARG ;;
	k) members=$OPTARG ;;
	G) big=$OPTARG ;;
	p) pgroups=$OPTARG ;;
	d) disabled=$OPTARG ;;
	b) LICSYNC=$OPTARG ;;
	*) sed -n '2,25p' "$0"; exit 1 ;;
	esac
done
[ -x "$LICSYNC" ] || { echo "no licsync at $LICSYNC (build first or use -b)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)"; exit 1; }
[ "$pgroups" -le "$groups" ] || { echo "-p $pgroups exceeds -g $groups"; exit 1; }
export LICSYNC top_srcdir
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/samba.sh"
samba_available ||
	{ echo "no Samba AD DC here (needs root, samba, samba-ad-dc, port 389 free)"; exit 1; }
trap 'samba_stop; cleanup' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
seconds() {     # seconds ELAPSED: /usr/bin/time's "1:02.34" in seconds
	awk -v t="$1" 'BEGIN { n = split(t, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }'
}

echo "generating $users users, $groups groups of $members members," \
	"big of $big, every ${disabled}th user disabled"
python3 "$top_srcdir/tests/data/gen_ad_ldif.py" --users "$users" \
	--groups "$groups" --members-per-group "$members" \
	--big-group "big:$big" --disabled-every "$disabled" \
	--computers 3 --foreign 2 >"$T/bench.ldif" || exit 1
entries=$(grep -c '^dn:' "$T/bench.ldif")

t0=$(now)
samba_start "$T/samba" || { echo "the Samba DC did not start"; exit 1; }
provisioned=$(since "$t0")
t0=$(now)
samba_load "$T/bench.ldif" || { echo "loading the directory failed"; exit 1; }
loaded=$(since "$t0")
echo "DC: provisioned and started in $provisioned s;" \
	"$entries entries loaded in $loaded s" \
	"($(ratio "$entries" "$loaded") entries/s)"

BASE=$SAMBA_BASE
BIG="CN=big,OU=Groups,$BASE"
USERS_FILTER="(&(objectCategory=person)(objectClass=user))"
IN_CHAIN="memberOf:1.2.840.113556.1.4.1941:"

# ---- the floor: ldapsearch of what licsync has to read ----
q() {           # q OUT ARGS...: ldapsearch into OUT, seconds on stdout
	local out=$1 t
	shift
	t=$(now)
	env -u LDAPNOINIT LDAPTLS_CACERT="$SAMBA_CA" ldapsearch -LLL \
		-o ldif-wrap=no -H "$SAMBA_LDAPS" -x -D "$SAMBA_ADMIN_UPN" \
		-w "$SAMBA_ADMIN_PASSWORD" "$@" >"$out" 2>"$out.err" ||
		{ echo "ldapsearch $* failed: $(cat "$out.err")" >&2; exit 1; }
	since "$t"
}
f_users=$(q "$T/floor-users" -E pr=1000/noprompt -b "$BASE" \
	"$USERS_FILTER" userPrincipalName userAccountControl primaryGroupID) ||
	exit 1
n_users=$(grep -c '^dn:' "$T/floor-users")
f_member=$(q "$T/floor-member" -b "$BIG" -s base member) || exit 1
n_member=$(grep -c '^member:' "$T/floor-member")
f_chain=$(q "$T/floor-chain" -E pr=1000/noprompt -b "$BASE" \
	"($IN_CHAIN=$BIG)" 1.1) || exit 1
n_chain=$(grep -c '^dn:' "$T/floor-chain")
f_walk=$(awk -v a="$f_users" -v b="$f_member" 'BEGIN { printf "%.2f", a + b }')
f_inchain=$(awk -v a="$f_users" -v b="$f_chain" 'BEGIN { printf "%.2f", a + b }')
echo "floor: user entries $f_users s ($n_users, paged by 1000)"
echo "floor: big's member attribute $f_member s ($n_member values, one base search)"
echo "floor: big's transitive members by the in-chain rule $f_chain s ($n_chain entries, paged)"

# ---- the tenant ----
python3 - "$users" "$SKU_CRM" "$SKU_WIKI" >"$T/state.json" <<'PY'
import json, sys
n, crm, wiki = int(sys.argv[1]), sys.argv[2], sys.argv[3]
users = [{"userPrincipalName": "user%07d@example.test" % i,
          "usageLocation": "US",
          "licenses": [{"skuId": crm, "group": None, "disabledPlans": []}]
          if i % 10 == 0 else []} for i in range(1, n + 1)]
json.dump({"tenant_id": "contoso.onmicrosoft.com",
           "client_id": "11111111-1111-1111-1111-111111111111",
           "client_secret": "test-secret-value",
           "skus": [{"skuId": crm, "skuPartNumber": "ACME_CRM",
                     "enabled": n * 2, "capabilityStatus": "Enabled"},
                    {"skuId": wiki, "skuPartNumber": "WIKI",
                     "enabled": n * 2, "capabilityStatus": "Enabled"}],
           "users": users}, sys.stdout)
PY
GRAPH_START_TENTHS=6000 graph_start "$T/state.json"

{
	echo "apps:"
	echo "  acme-crm:"
	echo "    sku: $SKU_CRM"
	echo "    remove: all"
	echo "    groups:"
	for i in $(seq 1 "$pgroups"); do
		printf '      - "CN=group%04d,OU=Groups,%s"\n' "$i" "$BASE"
	done
	echo "      - \"$BIG\""
	echo "  wiki:"
	echo "    sku: $SKU_WIKI"
	echo "    groups: [\"CN=Domain Users,CN=Users,$BASE\"]"
} >"$T/policy.yaml"

ad_config() {   # ad_config NESTING: licsync.conf for the DC
	printf '%s\n' "$SAMBA_ADMIN_PASSWORD" >"$T/ldap.secret"
	printf '%s\n' "$GRAPH_SECRET" >"$T/graph.secret"
	chmod 600 "$T/ldap.secret" "$T/graph.secret"
	cat >"$T/licsync.conf" <<CONF
ldap:
  uri: $SAMBA_LDAPS
  ca_file: $SAMBA_CA
  bind_dn: $SAMBA_ADMIN_UPN
  bind_password_file: ldap.secret
  base_dn: "$BASE"
  schema: ad
  nesting: $1
  page_size: 1000
  timeout: 300
backend:
  type: graph
  tenant_id: $TENANT
  client_id: $CLIENT_ID
  client_secret_file: graph.secret
  graph_url: $GRAPH_BASE/v1.0
  token_url: $GRAPH_BASE/{tenant_id}/oauth2/v2.0/token
database: licsync.db
policy: policy.yaml
lock_file: licsync.lock
CONF
}

# ---- licsync plan, nesting walk and in-chain ----
status=0
plan() {        # plan NESTING FLOOR FLOOR-WHAT
	local nesting=$1 floor=$2 what=$3 rc el rss changes
	ad_config "$nesting"
	rm -f "$T/licsync.db"
	/usr/bin/time -v "$LICSYNC" -c "$T/licsync.conf" plan --format json \
		>"$T/plan-$nesting.json" 2>"$T/time-$nesting.txt"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "plan ($nesting): licsync failed, exit $rc:"
		grep -v -e '^	' -e 'Command exited with' "$T/time-$nesting.txt" |
			sed 's/^/  /' | head -n 20
		status=1
		return
	fi
	el=$(seconds "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' \
		"$T/time-$nesting.txt")")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' \
		"$T/time-$nesting.txt")
	changes=$(grep -c '"action"' "$T/plan-$nesting.json")
	echo "plan ($nesting): elapsed $el s = $(ratio "$el" "$floor") x the" \
		"floor ($what, $floor s), peak RSS $((rss / 1024)) MiB," \
		"$changes changes"
}
echo "plan: users=$users groups=$groups members/group=$members big=$big" \
	"policy-groups=$pgroups+big, Domain Users"
plan walk "$f_walk" "user entries + big's member attribute"
plan in-chain "$f_inchain" "user entries + big's in-chain search"
if [ $status = 0 ]; then
	if cmp -s "$T/plan-walk.json" "$T/plan-in-chain.json"; then
		echo "the two plans are the same"
	else
		echo "the two plans differ"
		status=1
	fi
fi
exit $status
