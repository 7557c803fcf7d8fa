#!/bin/bash
# tests/bench/bench_scale.sh - an hourly run on a large tenant: what a
# first run (every user read) and a no-change run (the delta query) cost,
# each beside the two floors measured in the same run: an ldapsearch of
# every user and group (the directory's) and a plain paging of the
# tenant's users with curl, $top=999 (the backend's).
#
#   tests/bench/bench_scale.sh [-u USERS] [-g GROUPS] [-k MEMBERS-PER-GROUP]
#                              [-a APPS] [-l LATENCY-MS]... [-b LICSYNC]
#                              [-W WRITE-BUDGET] [-D DRIFT-PERCENT]
#
# The directory (gen_ldif.py: USERS users, GROUPS groups of MEMBERS) goes
# into a throwaway slapd; the policy has APPS apps, one group each; the
# Graph test server knows every user, each holding what the policy
# entitles (the steady state).  For each LATENCY (default 0 and 200 ms
# per Graph request): the floors, a first run on an empty database, and a
# no-change run (1 % of the users drifted outside licsync before it).
# Then, without latency, DRIFT-PERCENT (default 10) of the users lose
# their licenses outside licsync and `licsync apply` restores them under
# WRITE-BUDGET (default 300/15s, Graph's 3000/150s scaled down), printing
# the share of the budget it used (writes against the budget of every
# window it wrote in) and its requests.  Figures, not a test.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
users=100000 groups=200 members=500 apps=20 latencies="" budget=300/15s
drift=10
LICSYNC=${LICSYNC:-$top_srcdir/build/werror/src/licsync}
while getopts u:g:k:a:l:b:W:D: opt; do
	case $opt in
	u) users=$OPTARG ;;
	g) groups=$OPTARG ;;
	k) members=$OPTARG ;;
	a) apps=$OPTARG ;;
	l) latencies="$latencies $OPTARG" ;;
	b) LICSYNC=$OPTARG ;;
	W) budget=$OPTARG ;;
	D) drift=$OPTARG ;;
	*) sed -n '2,22p' "$0"; exit 1 ;;
	esac
done
latencies=${latencies:-0 200}
[ -x "$LICSYNC" ] || { echo "no licsync at $LICSYNC (build first or use -b)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)"; exit 1; }
export LICSYNC top_srcdir
. "$top_srcdir/tests/integration/lib.sh"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

echo "generating $users users, $groups groups of $members members, $apps apps"
python3 "$top_srcdir/tests/data/gen_ldif.py" --users "$users" \
	--groups "$groups" --members-per-group "$members" >"$T/bench.ldif"
SLAPD_MAXSIZE=$((16 << 30)) slapd_up "$T/bench.ldif"

# the tenant: every user, no license yet; the SKUs of the apps
python3 - "$users" "$apps" >"$T/state.json" <<'PY'
import json, sys, uuid
n, apps = int(sys.argv[1]), int(sys.argv[2])
skus = [{"skuId": str(uuid.uuid5(uuid.NAMESPACE_DNS, "app%d" % a)),
         "skuPartNumber": "APP%02d" % a, "enabled": n * 2,
         "capabilityStatus": "Enabled"} for a in range(1, apps + 1)]
users = [{"userPrincipalName": "user%07d@example.com" % i,
          "usageLocation": "US", "licenses": []} for i in range(1, n + 1)]
json.dump({"tenant_id": "contoso.onmicrosoft.com",
           "client_id": "11111111-1111-1111-1111-111111111111",
           "client_secret": "test-secret-value", "skus": skus,
           "users": users}, sys.stdout)
PY
GRAPH_START_TENTHS=6000 graph_start "$T/state.json"
PAGE_SIZE=1000 LDAP_TIMEOUT=300 write_config
sed -i "s|^backend:\$|backend:\\n  write_budget: $budget|" "$T/licsync.conf"
python3 - "$apps" "$T/state.json" >"$T/policy.yaml" <<'PY'
import json, sys
apps = int(sys.argv[1])
skus = json.load(open(sys.argv[2]))["skus"]
print("apps:")
for a in range(1, apps + 1):
    print("  app%02d:\n    sku: %s\n    remove: all\n    groups:\n"
          "      - cn=group%04d,ou=groups,dc=example,dc=com"
          % (a, skus[a - 1]["skuId"], a))
PY

# the steady state: the tenant holds what the first plan would assign
"$LICSYNC" -c "$T/licsync.conf" plan --format json >"$T/plan0.json" \
	2>"$T/plan0.err" || { cat "$T/plan0.err"; exit 1; }
python3 - "$T/state.json" "$T/plan0.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
by = {u["userPrincipalName"].lower(): u for u in s["users"]}
for c in json.load(open(sys.argv[2]))["changes"]:
    if c["action"] == "assign":
        by[c["user"].lower()]["licenses"].append(
            {"skuId": c["sku"], "group": None, "disabledPlans": []})
json.dump(s, open(sys.argv[1], "w"))
PY
graph_state "$T/state.json"
held=$(python3 -c 'import json,sys; print(sum(len(u["licenses"]) for u in json.load(open(sys.argv[1]))["users"]))' "$T/state.json")
echo "steady state: $held licenses held"

run_timed() {   # run_timed NAME CONF ARGS...: elapsed seconds and RSS
	name=$1 conf=$2
	shift 2
	/usr/bin/time -v "$LICSYNC" -c "$conf" "$@" >"$T/$name.out" \
		2>"$T/$name.time" || { tail -5 "$T/$name.time"; exit 1; }
	el=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/$name.time" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/$name.time")
}

dir_floor() {
	t0=$(now)
	ldapsearch -x -LLL -H "$SLAPD_URI" -D cn=licsync,ou=services,dc=example,dc=com \
		-w "$LDAP_SECRET" -b dc=example,dc=com -E pr=1000/noprompt \
		'(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))' \
		>/dev/null || exit 1
	secs "$t0" "$(now)"
}

backend_floor() {       # every page of /users, $top=999, with curl
	tok=$(curl -sf -d "grant_type=client_credentials&client_id=$CLIENT_ID&client_secret=$GRAPH_SECRET&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
		"$GRAPH_BASE/$TENANT/oauth2/v2.0/token" |
		sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
	url="$GRAPH_BASE/v1.0/users?\$select=id,userPrincipalName,usageLocation,assignedLicenses,licenseAssignmentStates&\$top=999"
	pages=0
	t0=$(now)
	while [ -n "$url" ]; do
		url=$(curl -sf -H "Authorization: Bearer $tok" "$url" |
			grep -o '"@odata.nextLink": *"[^"]*"' |
			sed 's/.*: *"\(.*\)"/\1/')
		pages=$((pages + 1))
	done
	secs "$t0" "$(now)"
	echo "$pages" >"$T/pages"
}

# a steady state drifts a little between hourly runs
python3 - "$T/state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for i, u in enumerate(s["users"]):
    if i % 100 == 50:
        u["licenses"] = []
json.dump(s, open(sys.argv[1], "w"))
PY
graph_state "$T/state.json"

for lat in $latencies; do
	graph_config "{\"latency_ms\": $lat}"
	d=$(dir_floor)
	b=$(backend_floor)
	slower=$(echo "if ($d > $b) $d else $b" | bc)
	sed "s|^database: .*|database: first-$lat.db|" "$T/licsync.conf" \
		>"$T/first-$lat.conf"
	run_timed first-$lat "$T/first-$lat.conf" plan --format json
	first=$el first_kb=$kb
	run_timed steady-$lat "$T/first-$lat.conf" plan --format json
	steady=$el steady_kb=$kb
	cmp -s "$T/first-$lat.out" "$T/steady-$lat.out" ||
		echo "  (the two plans differ)"
	echo "latency ${lat} ms: directory floor $d s, backend floor $b s" \
		"($(cat "$T/pages") pages)"
	echo "  first run (full read): $first s = $(ratio "$first" "$slower") x" \
		"the slower floor, peak RSS $((first_kb / 1024)) MiB"
	echo "  no-change run (delta): $steady s = $(ratio "$steady" "$d") x" \
		"the directory floor, peak RSS $((steady_kb / 1024)) MiB"
done

# ---- apply: drift, the write budget scaled down ----
graph_config '{"latency_ms": 0}'
python3 - "$T/state.json" "$drift" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
every = max(1, round(100 / float(sys.argv[2])))
for i, u in enumerate(s["users"]):
    if i % every == 0:
        u["licenses"] = []
json.dump(s, open(sys.argv[1], "w"))
PY
graph_state "$T/state.json"
: >"$T/graph.log"
run_timed apply "$T/licsync.conf" apply --format json
python3 - "$T/apply.out" "$T/graph.log" "$el" "$budget" <<'PY'
import json, math, re, sys
changes = json.load(open(sys.argv[1]))["changes"]
log = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
elapsed = float(sys.argv[3])
m = re.fullmatch(r"(\d+)/(\d+)([smhd])", sys.argv[4])
cap = int(m.group(1))
period = int(m.group(2)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(3)]
ok = sum(1 for c in changes if c.get("result") == "ok")
writes = sum(len(l.get("batch_items", [])) for l in log)
reads = sum(1 for l in log if "/$batch" not in l["path"])
batches = sum(1 for l in log if "/$batch" in l["path"])
# the budget of every window the run wrote in: CAP per PERIOD, a whole
# window's worth at the start
allowed = cap * (math.floor(elapsed / period) + 1)
print("apply: %d changes, %d ok, in %.1f s; %d writes = %.0f %% of the "
      "budget %s over that time" % (len(changes), ok, elapsed, writes,
                                    100.0 * writes / allowed, sys.argv[4]))
print("apply: %d HTTP requests (%d $batch, %d reads); ceil(changes / 20) "
      "+ reads = %d" % (len(log), batches, reads,
                        math.ceil(len(changes) / 20) + reads))
PY
