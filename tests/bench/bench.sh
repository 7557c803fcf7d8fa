#!/bin/bash
# tests/bench/bench.sh - time `licsync plan` (and `apply`) on a generated
# directory.
#
#   tests/bench/bench.sh [-u USERS] [-g GROUPS] [-k MEMBERS-PER-GROUP]
#                        [-p POLICY-GROUPS] [-l LATENCY-MS] [-b LICSYNC]
#                        [-a [-W WRITE-BUDGET] [-C CONCURRENCY]]
#
# Generates USERS users and GROUPS groups (gen_ldif.py), loads them into a
# throwaway slapd, starts the Graph test server with the same users (a
# tenth of them already holding the license) and the given latency per
# request, and runs `licsync plan` with a policy naming POLICY-GROUPS of
# the groups plus one group holding every user.  Prints the elapsed time,
# peak RSS, HTTP requests and the plan's size, then the same figures for
# `licsync status` (which reads only the database) and `licsync explain`
# of one user (which reads the whole view).  Not a test: figures only.
#
# -a then also runs `licsync apply`, which carries out that plan (about
# USERS + USERS / 5 changes with the other defaults), and prints its
# elapsed time, changes per second, the HTTP requests it made (from the
# server's log) per change, and its peak RSS.  The write budget is set to
# WRITE-BUDGET (default 1000000/1s, so that pacing does not dominate the
# figures; give 3000/150s, licsync's default, to watch the pacing), and
# backend.concurrency to CONCURRENCY when given.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
users=100000 groups=1000 members=50 pgroups=20 latency=0
apply=0 budget=1000000/1s concurrency=
LICSYNC=${LICSYNC:-$top_srcdir/build/werror/src/licsync}
while getopts u:g:k:p:l:b:aW:C: opt; do
	case $opt in
	u) users=$OPTARG ;;
	g) groups=$OPTARG ;;
	k) members=$OPTARG ;;
	p) pgroups=$OPTARG ;;
	l) latency=$OPTARG ;;
	b) LICSYNC=$OPTARG ;;
	a) apply=1 ;;
	W) budget=$OPTARG ;;
	C) concurrency=$OPTARG ;;
	*) sed -n '2,23p' "$0"; exit 1 ;;
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
# apply's knobs (plan ignores them)
sed -i "s|^backend:\$|backend:\\n  write_budget: $budget${concurrency:+\\n  concurrency: $concurrency}|" \
	"$T/licsync.conf"
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

# ---- status (the database only) and explain (the whole view) ----
measure() {     # measure NAME ARGS...: elapsed, peak RSS, HTTP requests
	name=$1
	shift
	: >"$T/graph.log"
	/usr/bin/time -v "$LICSYNC" -c "$T/licsync.conf" "$@" \
		>"$T/$name.out" 2>"$T/time-$name.txt" ||
		{ cat "$T/time-$name.txt"; exit 1; }
	el=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/time-$name.txt")
	kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' \
		"$T/time-$name.txt")
	echo "$name: elapsed $el, peak RSS $((kb / 1024)) MiB," \
		"$(wc -l <"$T/graph.log") HTTP requests"
}
measure status status
measure explain explain user0000001@example.com
[ "$apply" = 1 ] || exit 0

# ---- apply: the same plan, carried out ----
: >"$T/graph.log"
/usr/bin/time -v "$LICSYNC" -c "$T/licsync.conf" apply --format json \
	>"$T/apply.json" 2>"$T/time-apply.txt"
rc=$?
# 6: some changes failed; still worth the figures
if [ $rc -ne 0 ] && [ $rc -ne 6 ]; then
	cat "$T/time-apply.txt"
	exit $rc
fi
echo "apply: write_budget $budget${concurrency:+, concurrency $concurrency}" \
	"(licsync's default budget is 3000/150s)"
python3 - "$T/apply.json" "$T/graph.log" "$T/time-apply.txt" "$elapsed" \
	"$budget" <<'PY'
import json, re, sys
from datetime import datetime
report = json.load(open(sys.argv[1]))
log = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
timev = open(sys.argv[3]).read()

def seconds(text):              # "1:02.34" or "1:02:03" -> seconds
    s = 0.0
    for part in text.strip().split(":"):
        s = s * 60 + float(part)
    return s

elapsed = seconds(re.search(r"Elapsed \(wall clock\) time.*: (\S+)",
                            timev).group(1))
plan_elapsed = seconds(sys.argv[4])
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                    timev).group(1))
changes = report["changes"]
n = len(changes)
results = {}
for c in changes:
    results[c["result"]] = results.get(c["result"], 0) + 1
kinds = {}
items = statuses = 0
item_status = {}
for line in log:
    path = line["path"].split("?")[0]
    if path.endswith("/token"):
        kind = "token"
    elif path.endswith("/$batch"):
        kind = "$batch"
        for st in line.get("batch_items", []):
            items += 1
            item_status[st] = item_status.get(st, 0) + 1
    else:
        kind = "GET " + path.split("/v1.0", 1)[-1]
    kinds[kind] = kinds.get(kind, 0) + 1
batches = kinds.get("$batch", 0)
unassigns = sum(1 for c in changes if c["action"] == "unassign")
print("apply: elapsed %.2f s, %d changes (%d unassign, %d assign; %s)" % (
    elapsed, n, unassigns, n - unassigns, ", ".join(
        "%d %s" % (v, k) for k, v in sorted(results.items()))))
print("apply: %.0f changes/s overall; %.0f changes/s after the %.2f s the "
      "plan takes" % (n / elapsed if elapsed else 0,
                      n / (elapsed - plan_elapsed)
                      if elapsed > plan_elapsed else 0, plan_elapsed))
print("apply: %d HTTP requests = %.3f per change (%s)" % (
    len(log), len(log) / n if n else 0,
    ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
print("apply: %d $batch items (%.1f per $batch; statuses %s), %.3f $batch "
      "requests per change" % (items, items / batches if batches else 0,
                               ", ".join("%s: %d" % kv for kv in
                                         sorted(item_status.items())),
                               batches / n if n else 0))
# Pacing: the most writes answered in any window of the budget's period
# (the log's times have a resolution of one second).
m = re.fullmatch(r"(\d+)/(.+)", sys.argv[5])
period = sum(int(v) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[u]
              for v, u in re.findall(r"(\d+)([smhd])", m.group(2)))
per_second = {}
for line in log:
    if line["path"].endswith("/$batch"):
        t = int(datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%SZ")
                .timestamp())
        per_second[t] = per_second.get(t, 0) + len(line.get("batch_items",
                                                             []))
if per_second:
    first, last = min(per_second), max(per_second)
    peak = max(sum(per_second.get(t, 0) for t in range(s, s + period))
               for s in range(first - period + 1, last + 1))
    print("apply: writes answered: %d in the first second, at most %d in "
          "any %d s (budget %s), over %d s" % (
              per_second[first], peak, period, sys.argv[5],
              last - first + 1))
print("apply: peak RSS %d MiB" % (rss // 1024))
PY
