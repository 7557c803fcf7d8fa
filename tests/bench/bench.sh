#!/bin/bash
# tests/bench/bench.sh - time `licsync plan` on a generated directory.
#
#   tests/bench/bench.sh [-u USERS] [-g GROUPS] [-k MEMBERS-PER-GROUP]
#                        [-p POLICY-GROUPS] [-l LATENCY-MS] [-b LICSYNC]
#
# Generates USERS users and GROUPS groups (gen_ldif.py), loads them into a
# throwaway slapd, starts the Graph test server with the same users (a
# tenth of them already holding the license) and the given latency per
# request, and runs `licsync plan` with a policy naming POLICY-GROUPS of
# the groups plus one group holding every user.  Prints the elapsed time,
# peak RSS, HTTP requests and the plan's size.  Not a test: figures only.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
users=100000 groups=1000 members=50 pgroups=20 latency=0
LICSYNC=${LICSYNC:-$top_srcdir/build/werror/src/licsync}
while getopts u:g:k:p:l:b: opt; do
	case $opt in
	u) users=$OPTARG ;;
	g) groups=$OPTARG ;;
	k) members=$OPTARG ;;
	p) pgroups=$OPTARG ;;
	l) latency=$OPTARG ;;
	b) LICSYNC=$OPTARG ;;
	*) sed -n '2,13p' "$0"; exit 1 ;;
	esac
done
[ -x "$LICSYNC" ] || { echo "no licsync at $LICSYNC (build first or use -b)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)"; exit 1; }
export LICSYNC top_srcdir
. "$top_srcdir/tests/integration/lib.sh"

echo "generating $users users, $groups groups of $members members"
python3 "$top_srcdir/tests/data/gen_ldif.py" --users "$users" \
	--groups "$groups" --members-per-group "$members" \
	--big-group "everyone:$users" >"$T/bench.ldif"
t0=$(date +%s.%N)
SLAPD_MAXSIZE=$((16 << 30)) slapd_up "$T/bench.ldif"
echo "slapd loaded in $(echo "$(date +%s.%N) - $t0" | bc) s"

python3 - "$users" "$SKU_CRM" >"$T/state.json" <<'PY'
import json, sys
n, sku = int(sys.argv[1]), sys.argv[2]
users = [{"userPrincipalName": "user%07d@example.com" % i, "usageLocation": "US",
          "licenses": [{"skuId": sku, "group": None, "disabledPlans": []}]
          if i % 10 == 0 else []} for i in range(1, n + 1)]
json.dump({"tenant_id": "contoso.onmicrosoft.com",
           "client_id": "11111111-1111-1111-1111-111111111111",
           "client_secret": "test-secret-value",
           "skus": [{"skuId": sku, "skuPartNumber": "ACME_CRM",
                     "enabled": n * 2, "capabilityStatus": "Enabled"}],
           "users": users}, sys.stdout)
PY
GRAPH_START_TENTHS=6000 graph_start "$T/state.json" --latency-ms "$latency"
PAGE_SIZE=1000 LDAP_TIMEOUT=300 write_config
{
	echo "apps:"
	echo "  acme-crm:"
	echo "    sku: $SKU_CRM"
	echo "    remove: all"
	echo "    groups:"
	for i in $(seq 1 "$pgroups"); do
		printf '      - cn=group%04d,ou=groups,dc=example,dc=com\n' "$i"
	done
	echo "  everyone:"
	echo "    sku: $SKU_WIKI"
	echo "    groups: [\"cn=everyone,ou=groups,dc=example,dc=com\"]"
} >"$T/policy.yaml"
python3 - "$T/state.json" "$SKU_WIKI" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["skus"].append({"skuId": sys.argv[2], "skuPartNumber": "WIKI",
                  "enabled": len(s["users"]) * 2, "capabilityStatus": "Enabled"})
json.dump(s, open(sys.argv[1], "w"))
PY
graph_state "$T/state.json"
: >"$T/graph.log"

/usr/bin/time -v "$LICSYNC" -c "$T/licsync.conf" plan --format json \
	>"$T/plan.json" 2>"$T/time.txt"
rc=$?
[ $rc -eq 0 ] || { cat "$T/time.txt"; exit $rc; }
elapsed=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/time.txt")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.txt")
requests=$(wc -l <"$T/graph.log")
changes=$(grep -c "\"action\"" "$T/plan.json")
echo "plan: users=$users groups=$groups members/group=$members policy-groups=$pgroups latency=${latency}ms"
echo "plan: elapsed $elapsed, peak RSS $((rss / 1024)) MiB, $requests HTTP requests, $changes changes"
