#!/bin/bash
# audit.sh - `licsync audit` after real `licsync apply` runs against a
# throwaway slapd and the Graph test server: changes that succeed, fail
# with Graph's service-plan errors, are throttled, and are cut short by a
# crash; every filter and format of `audit`; and the audit rows compared
# with the writes the server logged.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
command -v sqlite3 >/dev/null || tap_skip_all "sqlite3 not available"

G="ou=groups,dc=example,dc=com"
SKU_CAD="c7df2760-2c81-4ef7-b578-5b5392b571df"
SKU_VISIO="c5928f49-12ba-48f7-ada3-0d743a3601d5"
SKU_ADDON="a4e2b1f0-7d6c-4b5a-9e8f-1a2b3c4d5e01"
SKU_BASE="b5f3c2e1-8e7d-4c6b-af90-2b3c4d5e6f02"
SKU_BULK="d6a4d3f2-9f8e-4d7c-b0a1-3c4d5e6f7a03"
SKU_BULK2="e7b5e4a3-0a9f-4e8d-81b2-4d5e6f7a8b04"
# Service plans of CAD and VISIO, named in Graph's messages.
PLAN_CAD="0f0e0d0c-0b0a-4090-8070-605040302010"
PLAN_VISIO="1f1e1d1c-1b1a-4191-8171-615141312111"

# The runs happen at these (UTC) times, set with LICSYNC_TEST_NOW.
T1=1768035600   # 2026-01-10T09:00:00Z
T2=1771578000   # 2026-02-20T09:00:00Z
T3=1772355600   # 2026-03-01T09:00:00Z
T4=1772701200   # 2026-03-05T09:00:00Z

python3 "$top_srcdir/tests/data/gen_ldif.py" --users 60 \
	--big-group bigteam:60 >"$T/big.ldif"
slapd_up "$top_srcdir/tests/data/directory.ldif" "$T/big.ldif"

# The tenant: CAD cannot go with VISIO (dave holds VISIO), ADDON needs
# BASE (grace holds BASE, frank does not), mallory holds CRM directly.
python3 "$top_srcdir/tests/integration/mkstate.py" \
	--sku crm:$SKU_CRM:20 --sku wiki:$SKU_WIKI:20 --sku cad:$SKU_CAD:20 \
	--sku visio:$SKU_VISIO:20 --sku addon:$SKU_ADDON:20 \
	--sku base:$SKU_BASE:20 --sku bulk:$SKU_BULK:100 \
	--sku bulk2:$SKU_BULK2:100 \
	--hold crm:mallory --hold visio:dave --hold base:grace \
	--bulk user:60 |
python3 -c '
import json, sys
s = json.load(sys.stdin)
cad, visio, addon, base, plan_cad, plan_visio = sys.argv[1:]
for k in s["skus"]:
    if k["skuId"] == cad:
        k["servicePlans"] = [{"servicePlanId": plan_cad,
                              "servicePlanName": "CAD_PLAN"}]
        k["mutuallyExclusiveWith"] = [visio]
    elif k["skuId"] == visio:
        k["servicePlans"] = [{"servicePlanId": plan_visio,
                              "servicePlanName": "VISIO_PLAN"}]
    elif k["skuId"] == addon:
        k["dependsOn"] = [base]
json.dump(s, sys.stdout, indent=1)
' $SKU_CAD $SKU_VISIO $SKU_ADDON $SKU_BASE $PLAN_CAD $PLAN_VISIO \
	>"$T/state.json"
graph_start "$T/state.json"
write_config


# policy WIKI-GROUPS: the four apps; the wiki's groups vary by run.
four_apps() {   # four_apps WIKI-GROUPS: the policy, acme-wiki for these groups
	policy_begin
	policy_app acme-crm "$SKU_CRM" remove=all "groups: [\"cn=sales,$G\"]"
	policy_app acme-wiki "$SKU_WIKI" groups="$1"
	policy_app acme-cad "$SKU_CAD" "groups: [\"cn=engineering,$G\"]"
	policy_app acme-addon "$SKU_ADDON" "groups: [\"cn=unix-admins,$G\"]"
}


audit_json() {  # audit_json ARGS...: `audit --format json ARGS`, to $T/a.json
	run_licsync audit --format json "$@"
	printf '%s\n' "$OUT" >"$T/a.json"
}

# jq-like queries of $T/a.json with Python: q EXPRESSION (rows are `r`).
q() {
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, list) else " ".join(map(str, v)))
' "$T/a.json" "$1"
}

runs_row() {    # runs_row ID: outcome|exit_code|failed|assigns|unassigns
	sqlite3 "$T/licsync.db" "SELECT outcome, exit_code, failed, assigns,
	    unassigns FROM runs WHERE id = $1"
}

# ---- before any run: no database is an error, not an empty answer ----
run_licsync audit
is "no database yet: exit 8" "$RC" 8
contains "no database yet: says so" "$ERR" "licsync.db: cannot open the database"

# ---- run 1: 13 changes, 2 of them refused by Graph ----
four_apps "support"
: >"$T/graph.log"
curl -sf -X POST "$GRAPH_BASE/_test/reset-stats" >/dev/null
at $T1 apply
is "run 1: apply exits 6 when a change failed" "$RC" 6
contains "run 1: says how many failed and how to list them" "$ERR" \
	"2 changes failed; see the report and \`licsync audit --run 1 --result failed\`"
contains "run 1: text report: ok change" "$OUT" \
	"+ assign   alice@example.com: member of cn=sales,$G [ok]"
contains "run 1: text report: unassign first, ok" "$OUT" \
	"- unassign mallory@example.com: not in any group of the app; remove: all [ok]"
contains "run 1: text report: failure with Graph's words" "$OUT" \
	"+ assign   dave@example.com: member of cn=engineering,$G [failed: Request_BadRequest: License assignment failed because service plans $PLAN_CAD, $PLAN_VISIO are mutually exclusive.; request-id "
contains "run 1: text report: totals" "$OUT" "Applied: 11 ok, 2 failed, 0 skipped."
is "run 1: recorded as partial, exit 6, 2 failed" "$(runs_row 1)" \
	"partial|6|2|12|1"
cp "$T/graph.log" "$T/graph.run1.log"
curl -sf "$GRAPH_BASE/_test/stats" >"$T/stats1.json"

audit_json --run 1
is "run 1: audit exit 0" "$RC" 0
is "run 1: 13 rows" "$(q 'len(r)')" 13
is "run 1: fields of a row, in order" "$(q 'list(r[0].keys())')" \
	"time run action app sku user result error request-id reason outcome attempts"
is "run 1: unassigns first" "$(q '[x["action"] for x in r][:2]')" \
	"unassign assign"
is "run 1: every row at the run's time" \
	"$(q 'sorted(set(x["time"] for x in r))')" "2026-01-10T09:00:00Z"
is "run 1: results" "$(q 'sorted(x["user"] + ":" + x["result"] for x in r if x["result"] != "ok")')" \
	"dave@example.com:failed frank@example.com:failed"
is "run 1: outcomes of the failures" \
	"$(q 'sorted(x["outcome"] for x in r if x["result"] == "failed")')" \
	"dependency mutually_exclusive"
is "run 1: ok rows have no error, an outcome ok, one attempt" \
	"$(q 'sorted(set((x["error"], x["outcome"], x["attempts"]) for x in r if x["result"] == "ok"))')" \
	"(None, 'ok', 1)"
is "run 1: dependency error in Graph's words" \
	"$(q '[x["error"] for x in r if x["outcome"] == "dependency"]')" \
	"Request_BadRequest: License assignment failed because service plan $SKU_ADDON depends on the service plan(s) $SKU_BASE."
is "run 1: every row has a request-id" \
	"$(q 'sum(1 for x in r if x["request-id"])')" 13
is "run 1: the reason is recorded" \
	"$(q '[x["reason"] for x in r if x["user"] == "mallory@example.com"]')" \
	"not in any group of the app; remove: all"
is "run 1: the server saw one batch item per change" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batch_items"])' "$T/stats1.json")" \
	"$(q 'sum(x["attempts"] for x in r)')"

# audit_matches_log DESC [pending]: every row of $T/a.json agrees with the
# writes in $T/graph.log: an ok row has exactly one successful
# assignLicense item for that user and SKU (add or remove as the action
# says) carrying its request-id; a failed row has an error answer of that
# request-id, an item for that user or a whole $batch; every successful
# write logged has its ok row.  With "unsent", pending rows are allowed if
# nothing was written for them; with "pending" (a crash), a write may have
# a pending row instead of an ok row.
audit_matches_log() {
	if python3 - "$T/a.json" "$T/graph.log" "$T/state.json" "${2:-}" \
	    >"$T/match.out" 2>&1 <<'PY'
import json, sys, uuid
rows = json.load(open(sys.argv[1]))
log = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
# "pending": pending rows are allowed, and a write may have a pending row
# (sent, answer not recorded); "unsent": pending rows are allowed but none
# of them may have been written.
mode = sys.argv[4]
allow_pending = mode in ("pending", "unsent")
upn = {}
for u in json.load(open(sys.argv[3]))["users"]:
    name = u["userPrincipalName"].lower()
    upn[str(uuid.uuid5(uuid.NAMESPACE_DNS, name))] = name
items, batches = {}, {}
for line in log:
    if line["path"].endswith("/$batch"):
        batches[line["request_id"]] = line
        for it in line.get("batch", []):
            parts = it["url"].strip("/").split("/")
            it["user"] = upn.get(parts[1], parts[1])
            items[it["request_id"]] = it
bad = []
seen, pending = set(), set()
for r in rows:
    rid = r["request-id"]
    if r["result"] == "ok":
        it = items.get(rid)
        want = "add" if r["action"] == "assign" else "remove"
        if it is None or it["status"] != 200 or it["user"] != r["user"] \
                or r["sku"] not in it.get(want, []):
            bad.append("ok row without its write: %r / %r" % (r, it))
        seen.add(rid)
    elif r["result"] in ("failed", "skipped"):
        if rid in items:
            it = items[rid]
            if it["status"] < 400 or it["user"] != r["user"]:
                bad.append("failed row, item not an error for that user: "
                           "%r / %r" % (r, it))
        elif rid in batches:
            if batches[rid]["status"] < 400:
                bad.append("failed row, $batch not refused: %r / %r"
                           % (r, batches[rid]))
        else:
            bad.append("failed row without a logged request-id: %r" % r)
    elif r["result"] == "pending" and allow_pending:
        pending.add((r["user"], r["sku"]))
    else:
        bad.append("row not finished: %r" % r)
for rid, it in items.items():
    if it["status"] != 200 or rid in seen:
        continue
    if mode == "pending" and any((it["user"], s) in pending
                                 for s in it.get("add", []) +
                                 it.get("remove", [])):
        continue
    bad.append("write without an ok row: %r" % it)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	then
		ok "$1"
	else
		not_ok "$1" "$(head -c 4000 "$T/match.out")"
	fi
}
audit_matches_log "run 1: audit rows match the writes the server saw"

# ---- json, csv and text agree ----
run_licsync audit --run 1 --format csv
is "csv: exit 0" "$RC" 0
cp "$T/out" "$T/a.csv"
if python3 - "$T/a.csv" "$T/a.json" >"$T/csv.out" 2>&1 <<'PY'
import csv, json, sys
raw = open(sys.argv[1], newline="").read()
assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", ""), \
    "lines must end with CR LF"
rows = list(csv.DictReader(raw.splitlines(True)))
want = json.load(open(sys.argv[2]))
assert len(rows) == len(want), (len(rows), len(want))
for c, j in zip(rows, want):
    for k in ("time", "run", "action", "app", "sku", "user", "result",
              "error", "request-id", "reason"):
        v = j[k]
        v = "" if v is None else str(v)
        assert c[k] == v, (k, c[k], v)
PY
then
	ok "csv: the same rows and fields as json (RFC 4180 quoting)"
else
	not_ok "csv: the same rows and fields as json (RFC 4180 quoting)" \
		"$(cat "$T/csv.out")"
fi
is "csv: header" "$(head -n 1 "$T/a.csv" | tr -d '\r')" \
	"time,run,action,app,sku,user,result,error,request-id,reason"
contains "csv: a message with a comma is quoted" "$OUT" \
	",\"Request_BadRequest: License assignment failed because service plans $PLAN_CAD, $PLAN_VISIO are mutually exclusive.\","

run_licsync audit --run 1
is "text: exit 0" "$RC" 0
is "text: header" "$(printf '%s\n' "$OUT" | head -n 1 | tr -s ' ')" \
	"TIME RUN ACTION APP USER RESULT ERROR / REQUEST-ID"
is "text: a line per row" "$(printf '%s\n' "$OUT" | sed 1d | wc -l)" 13
rid=$(q '[x["request-id"] for x in r if x["outcome"] == "dependency"][0]')
line=$(printf '%s\n' "$OUT" | grep 'frank@example.com' | tr -s ' ')
is "text: a failed row with error and request-id" "$line" \
	"2026-01-10T09:00:00Z 1 assign acme-addon frank@example.com failed Request_BadRequest: License assignment failed because service plan $SKU_ADDON depends on the service plan(s) $SKU_BASE. / $rid"
line=$(printf '%s\n' "$OUT" | grep 'alice@example.com' | tr -s ' ')
is "text: an ok row" "$line" \
	"2026-01-10T09:00:00Z 1 assign acme-crm alice@example.com ok"

# ---- run 2: a plan changes nothing and records no changes ----
LICSYNC_TEST_NOW=$((T1 + 3600)) run_licsync plan
is "run 2 (plan): exit 0" "$RC" 0
audit_json --run 2
is "run 2 (plan): no change rows" "$OUT" "[]"
audit_json --run last
is "--run last: the last run with changes (not the plan)" \
	"$(q 'sorted(set(x["run"] for x in r))')" 1

# ---- run 3: frank now has BASE; the wiki grows by contractors ----
state_edit 'lic("frank", "'$SKU_BASE'")'
four_apps "support contractors"
: >"$T/graph.log"
at $T2 apply --format json
is "run 3: exit 6 (dave still refused)" "$RC" 6
cp "$T/out" "$T/apply3.json"
is "run 3: recorded as partial" "$(runs_row 3)" "partial|6|1|4|0"
audit_json --run 3
is "run 3: rows" "$(q 'sorted(x["user"] + ":" + x["app"] + ":" + x["result"] for x in r)')" \
	"bob@example.com:acme-wiki:ok dave@example.com:acme-cad:failed frank@example.com:acme-addon:ok mallory@example.com:acme-wiki:ok"
audit_matches_log "run 3: audit rows match the writes the server saw"
if python3 - "$T/apply3.json" "$T/a.json" >"$T/cmp.out" 2>&1 <<'PY'
import json, sys
changes = json.load(open(sys.argv[1]))["changes"]
rows = json.load(open(sys.argv[2]))
key = lambda x: (x["app"], x["user"])
assert sorted(map(key, changes)) == sorted(map(key, rows)), "other changes"
by = {key(r): r for r in rows}
for c in changes:
    r = by[key(c)]
    for f in ("action", "sku", "reason", "result", "outcome", "error",
              "request-id", "attempts"):
        assert c[f] == r[f], (f, c, r)
PY
then
	ok "run 3: the JSON report of apply agrees with the audit rows"
else
	not_ok "run 3: the JSON report of apply agrees with the audit rows" \
		"$(head -c 3000 "$T/cmp.out")"
fi

# ---- run 4: every write throttled (503), no retries allowed ----
sed -i 's/^backend:$/backend:\n  max_retries: 0/' "$T/licsync.conf"
four_apps "support contractors engineering"
: >"$T/graph.log"
graph_config '{"latency_ms": 1500}'
LICSYNC_TEST_NOW=$T3 "$LICSYNC" -c "$T/licsync.conf" apply >"$T/out" \
	2>"$T/err" &
apply_pid=$!
# Once the users are read, answer every Graph request with 503: the
# $batch, arriving later, sleeps its latency before the fault is drawn.
wait_for "run 4: the users are read" 6 \
	grep -q -E '"path":"/v1.0/users(/delta)?\?' "$T/graph.log"
graph_config '{"fault_503": 1.0}'
wait $apply_pid
RC=$?
OUT=$(cat "$T/out")
ERR=$(cat "$T/err")
graph_config '{"fault_503": 0, "latency_ms": 0}'
is "run 4: throttled changes fail: exit 6" "$RC" 6
is "run 4: recorded as partial, 3 failed" "$(runs_row 4)" "partial|6|3|3|0"
audit_json --run 4
is "run 4: all throttled after one attempt" \
	"$(q 'sorted(set((x["result"], x["outcome"], x["attempts"]) for x in r))')" \
	"('failed', 'throttled', 1)"
is "run 4: rows" "$(q 'sorted(x["user"] + ":" + x["app"] for x in r)')" \
	"dave@example.com:acme-cad dave@example.com:acme-wiki erin@example.com:acme-wiki"
is "run 4: Graph's error" "$(q 'sorted(set(x["error"] for x in r))')" \
	"serviceNotAvailable: Service is temporarily unavailable. Please retry after some time."
is "run 4: the request-id of the refused \$batch" \
	"$(q 'sorted(set(x["request-id"] for x in r))')" \
	"$(python3 -c 'import json,sys
print(" ".join(sorted(l["request_id"] for l in map(json.loads, open(sys.argv[1])) if l["path"].endswith("$batch") and l.get("fault") == 503)))' "$T/graph.log")"
audit_matches_log "run 4: audit rows match the writes the server saw"
is "run 4: nothing changed at the server" \
	"$(grep -c '"status":200,.*assignLicense' "$T/graph.log")" 0

# ---- run 5: dave loses VISIO; everything goes through ----
sed -i '/^  max_retries: 0$/d' "$T/licsync.conf"
state_edit 'unlic("dave", "'$SKU_VISIO'")'
: >"$T/graph.log"
at $T4 apply --format csv
is "run 5: exit 0" "$RC" 0
is "run 5: csv report of apply: result columns" \
	"$(head -n 1 "$T/out" | tr -d '\r')" \
	"action,app,sku,user,reason,result,error,request-id"
is "run 5: csv report of apply: every change ok" \
	"$(python3 -c 'import csv, sys
print(sorted(set((r["result"], r["error"]) for r in csv.DictReader(open(sys.argv[1], newline="")))))' "$T/out")" \
	"[('ok', '')]"
is "run 5: recorded as ok" "$(runs_row 5)" "ok|0|0|3|0"
audit_json --run 5
is "run 5: rows" "$(q 'sorted(x["user"] + ":" + x["app"] + ":" + x["result"] for x in r)')" \
	"dave@example.com:acme-cad:ok dave@example.com:acme-wiki:ok erin@example.com:acme-wiki:ok"
audit_matches_log "run 5: audit rows match the writes the server saw"

# ---- run 6: nothing left to do ----
at $((T4 + 3600)) apply
is "run 6: nothing to do: exit 0" "$RC" 0
contains "run 6: nothing planned" "$OUT" "Plan: 0 to assign, 0 to unassign"
audit_json --run 6
is "run 6: no rows" "$OUT" "[]"

# The server's final state: what the policy says, and nothing more.
curl -sf "$GRAPH_BASE/_test/state" >"$T/final.json"
is "the tenant matches the policy" "$(python3 - "$T/final.json" <<PY
import json, sys
s = json.load(open(sys.argv[1]))
name = {"$SKU_CRM": "crm", "$SKU_WIKI": "wiki", "$SKU_CAD": "cad",
        "$SKU_ADDON": "addon", "$SKU_BASE": "base", "$SKU_VISIO": "visio"}
out = []
for u in s["users"]:
    for l in u["licenses"]:
        if l["skuId"] in name:
            out.append(name[l["skuId"]] + ":" + u["userPrincipalName"].split("@")[0])
print(" ".join(sorted(out)))
PY
)" "addon:frank addon:grace base:frank base:grace cad:dave cad:erin crm:alice crm:bob crm:carol crm:ceo wiki:bob wiki:dave wiki:erin wiki:heidi wiki:ivan wiki:john.smith wiki:mallory wiki:oscar"

# ---- the whole trail against every write the server ever saw ----
audit_json
is "all runs: 23 rows" "$(q 'len(r)')" 23
is "all runs: rows in order of runs" "$(q 'sorted(set(x["run"] for x in r))')" \
	"1 3 4 5"
is "all runs: 17 ok" \
	"$(q 'sum(1 for x in r if x["result"] == "ok")')" 17

# ---- filters ----
audit_json --run last
is "--run last: run 5" "$(q 'sorted(set(x["run"] for x in r))')" 5
audit_json --run 99
is "--run of a run that does not exist: []" "$OUT" "[]"

audit_json --result failed
is "--result failed" "$(q '[str(x["run"]) + ":" + x["user"] + ":" + x["outcome"] for x in r]')" \
	"1:dave@example.com:mutually_exclusive 1:frank@example.com:dependency 3:dave@example.com:mutually_exclusive 4:dave@example.com:throttled 4:erin@example.com:throttled 4:dave@example.com:throttled"
audit_json --result ok
is "--result ok" "$(q 'len(r)')" 17
is "--result ok: only ok" "$(q 'sorted(set(x["result"] for x in r))')" ok
audit_json --result skipped
is "--result skipped: none, []" "$OUT" "[]"
audit_json --result pending
is "--result pending: none, []" "$OUT" "[]"

audit_json --user DAVE@Example.COM
is "--user: case-insensitive" "$(q '[str(x["run"]) + ":" + x["app"] + ":" + x["result"] for x in r]')" \
	"1:acme-cad:failed 3:acme-cad:failed 4:acme-wiki:failed 4:acme-cad:failed 5:acme-wiki:ok 5:acme-cad:ok"
audit_json --user oscar@example.com
is "--user: keys are stored in lower case" "$(q '[x["user"] for x in r]')" \
	"oscar@example.com"
audit_json --user nobody@example.com
is "--user: nobody: []" "$OUT" "[]"

audit_json --app acme-wiki
is "--app" "$(q 'sorted(set(x["app"] for x in r))') $(q 'len(r)')" \
	"acme-wiki 10"
audit_json --app acme-wiki --result failed --run 4
is "filters combine" "$(q 'sorted(x["user"] for x in r)')" \
	"dave@example.com erin@example.com"
audit_json --app acme-crm --user alice@example.com --run last
is "filters combine to nothing: []" "$OUT" "[]"

# --since: a date, a UTC time (inclusive), a duration ago
audit_json --since 2026-02-01
is "--since DATE" "$(q 'sorted(set(x["run"] for x in r))')" "3 4 5"
audit_json --since 2026-02-20T09:00:00Z
is "--since UTC time: inclusive" "$(q 'sorted(set(x["run"] for x in r))')" "3 4 5"
audit_json --since 2026-02-20T09:00:01Z
is "--since UTC time: a second later" "$(q 'sorted(set(x["run"] for x in r))')" "4 5"
audit_json --since "2026-03-05 09:00:00"
is "--since 'DATE TIME'" "$(q 'sorted(set(x["run"] for x in r))')" 5
audit_json --since 2027-01-01
is "--since the future: []" "$OUT" "[]"
LICSYNC_TEST_NOW=$((T4 + 86400)) audit_json --since 7d
is "--since 7d" "$(q 'sorted(set(x["run"] for x in r))')" "4 5"
LICSYNC_TEST_NOW=$((T4 + 86400)) audit_json --since 25h
is "--since 25h" "$(q 'sorted(set(x["run"] for x in r))')" 5
LICSYNC_TEST_NOW=$((T4 + 86400)) audit_json --since 1d12h --result ok
is "--since 1d12h --result ok" "$(q 'len(r)')" 3

# ---- bad values: exit 1, a clear message, nothing printed ----
bad() {         # bad DESC MESSAGE ARGS...
	desc=$1 msg=$2
	shift 2
	run_licsync audit "$@"
	is "$desc: exit 1" "$RC" 1
	contains "$desc: message" "$ERR" "$msg"
	is "$desc: no output" "$OUT" ""
}
bad "--run x" "--run 'x': use a run number or 'last'" --run x
bad "--run 0" "--run '0': use a run number or 'last'" --run 0
bad "--run -3" "--run '-3': use a run number or 'last'" --run -3
bad "--run 2x" "--run '2x': use a run number or 'last'" --run 2x
bad "--result maybe" "--result 'maybe': use ok, failed, skipped or pending" \
	--result maybe
bad "--result OK" "--result 'OK': use ok, failed, skipped or pending" \
	--result OK
bad "--since yesterday" "--since 'yesterday': use a date (2026-11-28), a UTC time (2026-11-28T05:00:00Z) or a duration ago (7d, 12h)" \
	--since yesterday
bad "--since 7 days" "--since '7 days':" --since "7 days"
bad "--since 2026-13-01" "--since '2026-13-01':" --since 2026-13-01
bad "--since with an offset" "--since '2026-02-20T09:00:00+01:00':" \
	--since 2026-02-20T09:00:00+01:00
bad "--format xml" "unknown format 'xml' (use text, json or csv)" \
	--format xml
bad "an argument" "usage: licsync [-c FILE] audit" --run 1 extra
bad "an unknown option" "usage: licsync [-c FILE] audit" --nope
runs_before=$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM runs")
run_licsync audit --run 1
is "audit records no run" "$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM runs")" \
	"$runs_before"
run_licsync audit --help
is "audit --help: exit 0" "$RC" 0
contains "audit --help: the options" "$OUT" \
	"[--result ok|failed|skipped|pending] [--format text|json|csv]"

# ---- the token refused half-way: exit 4, what was done is on record ----
# Once the first $batch is answered, the client secret changes and every
# token is revoked: the next $batch gets 401, and a new token is refused.
sed -i 's/^backend:$/backend:\n  concurrency: 1/' "$T/licsync.conf"
{
	echo "apps:"
	echo "  acme-bulk:"
	echo "    sku: $SKU_BULK"
	echo "    groups: [\"cn=bigteam,$G\"]"
} >"$T/policy.yaml"
: >"$T/graph.log"
graph_config '{"latency_ms": 1000}'
"$LICSYNC" -c "$T/licsync.conf" apply >"$T/out" 2>"$T/err" &
apply_pid=$!
wait_for "token refused half-way: the first batch is sent" 20 \
	grep -q '"batch_items"' "$T/graph.log"
state_edit 's["client_secret"] = "rotated"'
curl -sf -X POST "$GRAPH_BASE/_test/expire-tokens" >/dev/null
wait $apply_pid
RC=$?
ERR=$(cat "$T/err")
graph_config '{"latency_ms": 0}'
state_edit 's["client_secret"] = "'"$GRAPH_SECRET"'"'
tok_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
is "token refused half-way: exit 4" "$RC" 4
contains "token refused half-way: says so" "$ERR" \
	"token request refused: HTTP 401: invalid_client: AADSTS7000215"
is "token refused half-way: run recorded as backend error" \
	"$(runs_row "$tok_run" | cut -d'|' -f1,2)" "backend error|4"
audit_json --run "$tok_run"
is "token refused half-way: every planned change has its row" \
	"$(q 'len(r)')" 60
done_ok=$(q 'sum(1 for x in r if x["result"] == "ok")')
is "token refused half-way: the rest is pending" \
	"$(q 'sum(1 for x in r if x["result"] == "pending")')" $((60 - done_ok))
check "token refused half-way: some done, some not" \
	test "$done_ok" -ge 20 -a "$done_ok" -lt 60
audit_matches_log "token refused half-way: rows match the server's writes" \
	unsent
run_licsync apply
is "token refused half-way: the next apply finishes: exit 0" "$RC" 0
audit_json --run last
is "token refused half-way: the next apply does the rest" \
	"$(q 'len(r)')" $((60 - done_ok))

# ---- a crash: changes sent but not confirmed stay pending ----
# 60 assigns, one $batch of 20 at a time, each answered after 1.5 s; the
# run is killed once the server has answered the first batch.
{
	echo "apps:"
	echo "  acme-bulk2:"
	echo "    sku: $SKU_BULK2"
	echo "    groups: [\"cn=bigteam,$G\"]"
} >"$T/policy.yaml"
: >"$T/graph.log"
graph_config '{"latency_ms": 1500}'
"$LICSYNC" -c "$T/licsync.conf" apply >"$T/out" 2>"$T/err" &
apply_pid=$!
wait_for "crash: the first batch is sent" 20 \
	grep -q '"batch_items"' "$T/graph.log"
sleep 0.5
kill -KILL $apply_pid
wait $apply_pid 2>/dev/null
cp "$T/graph.log" "$T/graph.crash.log"
graph_config '{"latency_ms": 0}'
crash_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
is "crash: the run stays 'running'" \
	"$(sqlite3 "$T/licsync.db" "SELECT outcome FROM runs WHERE id = $crash_run")" \
	running
audit_json --run "$crash_run"
is "crash: every planned change has its row" "$(q 'len(r)')" 60
is "crash: rows are ok or pending" \
	"$(q 'sorted(set(x["result"] for x in r) - {"ok", "pending"})')" ""
# The $batch in flight is carried out by the server after the client died
# (as Graph would); wait for it so that the log is complete.
sleep 2
audit_matches_log "crash: recorded outcomes match the writes the server saw" \
	pending
audit_json --run "$crash_run" --result pending
is "crash: pending rows have no outcome, error or request-id" \
	"$(q 'sorted(set((x["outcome"], x["error"], x["request-id"], x["attempts"]) for x in r))')" \
	"(None, None, None, 0)"
confirmed=$(python3 -c 'import json,sys
print(sum(1 for l in map(json.loads, open(sys.argv[1])) for it in l.get("batch", []) if it["status"] == 200))' "$T/graph.crash.log")
is "crash: the server had confirmed the first batch" "$confirmed" 20
is "crash: outcomes Graph confirmed before the crash are not lost" \
	"$(q 'len(r)')" "$((60 - confirmed))"

# The next run finishes the job.
bulk_held() {
	curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for u in s["users"] for l in u["licenses"] if l["skuId"] == sys.argv[1]))
' "$SKU_BULK2"
}
held=$(bulk_held)
run_licsync apply
is "after the crash: the next apply exits 0" "$RC" 0
audit_json --run last
is "after the crash: the rest is assigned" \
	"$(q 'sorted(set(x["result"] for x in r))') $(q 'len(r)')" \
	"ok $((60 - held))"
is "after the crash: all 60 hold the license" "$(bulk_held)" 60
# Recovery read the backend: what the killed run did is owned too.
is "after the crash: licsync owns all it assigned, recovered ones too" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM ownership WHERE sku = '$SKU_BULK2'")" \
	60
is "after the crash: no change is left unresolved" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE result = 'pending'")" 0
is "after the crash: the killed run is marked interrupted" \
	"$(sqlite3 "$T/licsync.db" "SELECT outcome FROM runs WHERE id = $crash_run")" \
	interrupted
is "after the crash: in-flight changes the backend carried out are recovered" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE run_id = $crash_run AND outcome = 'recovered'")" \
	"$((held - confirmed))"
is "after the crash: the rest are recorded as not applied" \
	"$(sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE run_id = $crash_run AND outcome = 'not_applied'")" \
	"$((60 - held))"

# ---- runs, --until, --action ----
run_licsync audit --runs --format json
is "--runs: exit 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/runs.json"
check "--runs: every run with its outcome, exit code and counts" \
	python3 - "$T/runs.json" "$T/licsync.db" <<'PY'
import json, sqlite3, sys
runs = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
want = db.execute("SELECT id, command, outcome, exit_code, forced FROM runs "
                  "ORDER BY id").fetchall()
got = [(r["run"], r["command"], r["outcome"], r["exit"], int(r["forced"]))
       for r in runs]
assert got == [tuple(w) for w in want], (got, want)
assert list(runs[0]) == ["run", "started", "ended", "command", "host",
                         "outcome", "exit", "assigns", "unassigns", "failed",
                         "unfulfilled", "skipped", "forced", "message"]
PY
run_licsync audit --runs
contains "--runs: text has a header" "$OUT" "RUN STARTED"
run_licsync audit --runs --run last --format csv
is "--runs --run last: header and one run" "$(printf '%s\n' "$OUT" | wc -l)" 2
audit_json --until 2026-02-20
check "--until: only changes before that day" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r and all(x["time"] < "2026-02-20" for x in r), r' "$T/a.json"
audit_json --action unassign
check "--action unassign: only removals" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r and all(x["action"] == "unassign" for x in r), r' "$T/a.json"
run_licsync audit --action swap
is "--action swap: exit 1" "$RC" 1
contains "--action swap: says what is allowed" "$ERR" "--action 'swap': use assign or unassign"
run_licsync audit --runs --user bob@example.com
is "--runs with a change filter: exit 1" "$RC" 1
run_licsync audit --until tomorrow
is "--until garbage: exit 1" "$RC" 1

# ---- tamper evidence: the hash chain ----
run_licsync audit --verify
is "--verify: an untouched trail verifies" "$RC" 0
contains "--verify: says how many rows" "$OUT" "audit trail intact:"
tamper() {      # tamper DESC SQL WANT-IN-OUTPUT: on a copy of the database
	cp "$T/licsync.db" "$T/tamper.db"
	sqlite3 "$T/tamper.db" "PRAGMA wal_checkpoint; $2" >/dev/null
	sed "s|^database: .*|database: $T/tamper.db|" "$T/licsync.conf" \
		>"$T/tamper.conf"
	"$LICSYNC" -c "$T/tamper.conf" audit --verify >"$T/tout" 2>"$T/terr"
	is "--verify, $1: exit 9" "$?" 9
	contains "--verify, $1: names the row" "$(cat "$T/tout")" "$3"
	rm -f "$T/tamper.db"*
}
sqlite3 "$T/licsync.db" "PRAGMA wal_checkpoint" >/dev/null
victim=$(sqlite3 "$T/licsync.db" "SELECT id FROM changes WHERE seq IS NOT NULL ORDER BY seq LIMIT 1 OFFSET 3")
tamper "a result changed" \
	"UPDATE changes SET result = CASE result WHEN 'ok' THEN 'failed' ELSE 'ok' END WHERE id = $victim" \
	"row $victim (link 4) was altered"
tamper "a user changed" \
	"UPDATE changes SET user = user || '.x' WHERE id = $victim" \
	"row $victim (link 4) was altered"
tamper "a row deleted" "DELETE FROM changes WHERE id = $victim" \
	"rows were deleted before it"
tamper "a row inserted" \
	"INSERT INTO changes(run_id, action, app, sku, user, reason, result, created, finished) VALUES (1, 'assign', 'acme-crm', '$SKU_CRM', 'mallory@example.com', 'x', 'ok', 1, 1)" \
	"is not in the chain"
tamper "a link re-hashed by hand" \
	"UPDATE changes SET hash = '$(printf '%064d' 0)' WHERE id = $victim" \
	"row $victim (link 4) was altered"

old_rows() {     # change rows finished before 2026-03-01
	sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE finished < $T3"
}
before=$(old_rows)
check "--prune-before: there are rows to prune" test "$before" -gt 0
# An apply holds the lock (and, between answers, a write transaction):
# pruning says so at once instead of failing on a locked database.
graph_config '{"latency_ms": 1500}'
"$LICSYNC" -c "$T/licsync.conf" apply >"$T/bg.out" 2>&1 &
bg=$!
wait_for "the background apply took the lock" 5 \
	sh -c '[ "$(cat "$1" 2>/dev/null)" = "$2" ]' sh "$T/licsync.lock" "$bg"
t0=$(date +%s)
run_licsync audit --prune-before 2026-03-01
is "--prune-before during a run: exit 7" "$RC" 7
contains "--prune-before during a run: says a run is in progress" "$ERR" \
	"a licsync run is in progress; prune when it has ended (or with --wait SECONDS): $T/licsync.lock: another licsync (pid $bg) holds the lock"
check "--prune-before during a run: answered at once" \
	test $(($(date +%s) - t0)) -lt 5
is "--prune-before during a run: nothing removed" "$(old_rows)" "$before"
run_licsync audit --prune-before 2026-03-01 --wait 60
is "--prune-before --wait: waits for the run, then exit 0" "$RC" 0
wait $bg
is "the background apply: exit 0" "$?" 0
graph_config '{"latency_ms": 0}'
is "--prune-before: none finished before the date is left" "$(old_rows)" 0
run_licsync audit --runs --wait 5
is "--wait without --prune-before: usage error" "$RC" 1
run_licsync audit --verify
is "--prune-before: what is left still verifies from the checkpoint" "$RC" 0
run_licsync audit --prune-before soon
is "--prune-before garbage: exit 1" "$RC" 1

# ---- the installed licsync has no test clock ----
# LICSYNC_TEST_NOW moves the test program's clock, so that these tests can
# run at fixed times; the real program must ignore it, or anyone who can
# set a variable could backdate a tamper-evident trail.
t0=$(date +%s)
LICSYNC_TEST_NOW=1000 "$LICSYNC_INSTALLED" -c "$T/licsync.conf" plan \
	>"$T/out" 2>"$T/err"
is "installed licsync with LICSYNC_TEST_NOW: exit 0" "$?" 0
started=$(sqlite3 "$T/licsync.db" "SELECT started FROM runs ORDER BY id DESC LIMIT 1")
check "installed licsync ignores LICSYNC_TEST_NOW: the run is stamped now" \
	test "$started" -ge "$t0"
LICSYNC_TEST_NOW=1000 "$LICSYNC" -c "$T/licsync.conf" plan >"$T/out" 2>"$T/err"
started=$(sqlite3 "$T/licsync.db" "SELECT started FROM runs ORDER BY id DESC LIMIT 1")
is "the test program's clock is set by LICSYNC_TEST_NOW" "$started" 1000
run_licsync audit --verify
is "the trail still verifies" "$RC" 0
check "no LICSYNC_TEST_NOW in the installed program" \
	sh -c '! grep -a -q LICSYNC_TEST_NOW "$1"' sh "$LICSYNC_INSTALLED"

tap_done
