#!/bin/bash
# status.sh - `licsync status` and --metrics of plan, apply and status:
# seats by kind after a plan, an apply and a partial apply, live and
# recorded, in every format; metrics of runs that succeed, fail or cannot
# write them.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
command -v sqlite3 >/dev/null || tap_skip_all "sqlite3 not available"
command -v flock >/dev/null || tap_skip_all "flock not available"

G="ou=groups,dc=example,dc=com"
GID="0b1a3c2e-0000-4000-8000-000000000001"     # a backend group
T1=1768035600   # 2026-01-10T09:00:00Z
T2=1768122000   # 2026-01-11T09:00:00Z
T3=1768212000   # 2026-01-12T10:00:00Z, past the wiki's grace
KINDS="purchased consumed entitled owned held_by_others waiting pending_removal freeable to_assign to_unassign"

slapd_up "$top_srcdir/tests/data/directory.ldif"
# explain.sh's scenario: acme-crm has 4 seats; frank holds one through a
# group, mallory one directly (remove: owned: freeable), breakglass one
# (protected: not freeable); ivan has no usage location, oscar is unknown.
# acme-wiki (remove: all, grace 2d): dave holds it entitled, judy and frank
# (also through a group) not.
mkstate \
	--sku crm:$SKU_CRM:4 --sku wiki:$SKU_WIKI:10 \
	--hold crm:frank:$GID --hold crm:mallory --hold crm:breakglass \
	--hold wiki:dave --hold wiki:judy --hold wiki:frank --hold wiki:frank:$GID \
	--noloc ivan --unknown oscar
graph_start "$T/state.json"
write_config
sed -i 's|^  token_url:|  max_retries: 0\n  token_url:|' "$T/licsync.conf"
mkdir "$T/prom"
M="$T/prom/licsync.prom"

crm_and_wiki() {        # crm_and_wiki CRM-GROUPS [WIKI-LINE]: the policy
	policy_begin protected_users="ceo@example.com breakglass@example.com"
	policy_app acme-crm "$SKU_CRM" remove=owned groups="$1" \
		exclude_groups=contractors exclude_users=john.smith@example.com
	policy_app acme-wiki "$SKU_WIKI" remove=all "grace: 2d" \
		groups=engineering "${2:-}"
}


sj() {          # sj [ARGS]: status --format json into $T/s.json
	run_licsync status --format json "$@"
	printf '%s\n' "$OUT" >"$T/s.json"
}

seats() {       # seats APP: the numbers of $T/s.json in the order of KINDS
	python3 -c '
import json, sys
a = {x["app"]: x for x in json.load(open(sys.argv[1]))["apps"]}[sys.argv[2]]
print(" ".join(str(a[k]) for k in sys.argv[3].split()))' "$T/s.json" "$1" "$KINDS"
}

src() {         # src: the source of $T/s.json, one line
	python3 -c '
import json, sys
print(" ".join("%s=%s" % kv for kv in json.load(open(sys.argv[1]))["source"].items()))' "$T/s.json"
}

same_apps() {   # same_apps EPOCH DESC: live then shows the seats of $T/s.json
	apps='import json,sys; json.dump(json.load(open(sys.argv[1]))["apps"], sys.stdout)'
	python3 -c "$apps" "$T/s.json" >"$T/apps.recorded"
	LICSYNC_TEST_NOW=$1 sj --live
	python3 -c "$apps" "$T/s.json" >"$T/apps.live"
	same_json "$2" "$T/apps.live" "$T/apps.recorded"
}

pm() {          # pm EXPR over the metrics file $M (see below)
	python3 - "$M" "$1" "$T/s.json" <<'PY'
import json, re, sys
S = []
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    m = re.fullmatch(r'([a-z_]+)(?:\{(.*)\})? (\S+)\n', line)
    if not m:
        sys.exit("malformed line: " + line)
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    v = float(m.group(3))
    S.append((m.group(1), labels, int(v) if v == int(v) else v))
def v(name, **kw):      # the one value of NAME with these labels
    hits = [x[2] for x in S if x[0] == name and
            all(x[1].get(k) == w for k, w in kw.items())]
    return hits[0] if len(hits) == 1 else "%d samples" % len(hits)
n = lambda name: sum(1 for x in S if x[0] == name)
def changes():
    return " ".join(sorted("%s/%s/%s=%d" % (l["app"], l["action"],
        l["result"], x) for nm, l, x in S if nm == "licsync_last_run_changes"))
def seats_match():      # licsync_seats is what status JSON showed
    st = json.load(open(sys.argv[3]))["apps"]
    want = {(a["app"], k): a[k] for a in st for k in a if k not in ("app", "sku")}
    got = {(l["app"], l["kind"]): x for nm, l, x in S if nm == "licsync_seats"}
    return got == want or "got %s want %s" % (got, want)
def outcome():
    hot = [x[1]["outcome"] for x in S if x[0] == "licsync_last_run_outcome" and x[2] == 1]
    return "%s of %d" % (",".join(hot), n("licsync_last_run_outcome"))
print(eval(sys.argv[2]))
PY
}


# ---- no database; a failed first run; a configuration error ----
crm_and_wiki "emea-sales-uk support"
run_licsync status
is "no database: exit 8" "$RC" 8
contains "no database: says so" "$ERR" "no database yet"
sj --live
is "--live without a database: exit 0" "$RC" 0
is "--live: the source" "$(src | sed 's/read=[0-9TZ:-]*$/read=ISO/')" "live=True read=ISO"
is "--live: acme-crm" "$(seats acme-crm)" "4 3 4 0 3 1 0 1 1 0"
is "--live: no database made" "$(ls "$T"/licsync.db* 2>/dev/null)" ""
run_licsync status --live
contains "--live text: says so" "$(printf '%s\n' "$OUT" | head -1)" "Seats read live at 20"
printf 'apps: [\n' >"$T/policy.yaml"
run_licsync plan --metrics "$M"
is "config error: exit 2" "$RC" 2
is "config error: metrics" "$(pm '[outcome(), v("licsync_last_run_success"), v("licsync_last_run_exit_code"), n("licsync_last_run_id"), n("licsync_seats")]')" \
	"['config error of 10', 0, 2, 0, 0]"
crm_and_wiki "nosuch support"
run_licsync plan
is "a policy group missing: exit 3" "$RC" 3
run_licsync status
is "no run recorded seats: exit 8" "$RC" 8
contains "no run recorded seats: says so" "$ERR" "no run has recorded seats yet"

# ---- a plan: carol entitled since T1, alice since T2; one seat ----
crm_and_wiki "emea-sales-uk support"
at $T1 plan
crm_and_wiki "sales support"
at $T2 plan --metrics "$M"
is "plan at T2: exit 0" "$RC" 0
plan_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
sj
is "after a plan: the source" "$(src)" \
	"live=False run=$plan_run command=plan outcome=ok started=2026-01-11T09:00:00Z ended=2026-01-11T09:00:00Z"
is "after a plan: the keys, in order" "$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["apps"][0]))' "$T/s.json")" \
	"app sku $KINDS"
is "after a plan: acme-crm" "$(seats acme-crm)" "4 3 6 0 3 2 0 1 1 0"
is "after a plan: acme-wiki (2 in their grace)" "$(seats acme-wiki)" "10 3 2 0 3 0 2 0 1 0"
is "plan metrics: run" "$(pm '[v("licsync_last_run_timestamp_seconds", command="plan"), v("licsync_last_run_id"), v("licsync_last_run_exit_code"), v("licsync_last_run_success"), outcome()]')" \
	"[$T2, $plan_run, 0, 1, 'ok of 10']"
is "plan metrics: planned changes" "$(pm 'changes()')" \
	"acme-crm/assign/planned=1 acme-wiki/assign/planned=1"
is "plan metrics: the seats status shows" "$(pm 'seats_match()')" True
is "metrics file: mode 0644" "$(stat -c %a "$M")" 644
is "metrics file: no temporary file left" "$(ls "$T/prom")" "licsync.prom"
run_licsync status --metrics "$M"
is "status --metrics after a plan: no changes" "$(pm '[v("licsync_last_run_id", command="plan"), changes(), seats_match()]')" \
	"[$plan_run, '', True]"
is "text: the source, then a blank line" "$(printf '%s\n' "$OUT" | head -2 | tr '\n' '|')" \
	"Seats as of run $plan_run (plan, ok), ended 2026-01-11T09:00:00Z||"
is "text: the header" "$(printf '%s\n' "$OUT" | sed -n 3p | tr -s ' ')" \
	"APP PURCHASED CONSUMED ENTITLED OWNED HELD-BY-OTHERS WAITING PENDING-REMOVAL FREEABLE TO-ASSIGN TO-UNASSIGN"
is "text: acme-crm" "$(printf '%s\n' "$OUT" | grep '^acme-crm ' | tr -s ' ')" "acme-crm 4 3 6 0 3 2 0 1 1 0"
run_licsync status --format csv
is "csv: the header, CRLF" "$(printf '%s\n' "$OUT" | head -1)" \
	"app,sku,purchased,consumed,entitled,owned,held_by_others,waiting,pending_removal,freeable,to_assign,to_unassign"$'\r'
is "csv: acme-wiki" "$(printf '%s\n' "$OUT" | grep '^acme-wiki,')" "acme-wiki,$SKU_WIKI,10,3,2,0,3,0,2,0,1,0"$'\r'
run_licsync status --format html
is "html: exit 0" "$RC" 0
is "html: a page" "$(printf '%s\n' "$OUT" | head -c 15)" "<!DOCTYPE html>"

# ---- an apply ----
at $T2 apply --metrics "$M"
is "apply at T2: exit 0" "$RC" 0
apply_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
sj
is "after an apply: the source" "$(src)" \
	"live=False run=$apply_run command=apply outcome=ok started=2026-01-11T09:00:00Z ended=2026-01-11T09:00:00Z"
is "after an apply: acme-crm, carol's seat counted in" "$(seats acme-crm)" "4 4 6 1 3 2 0 1 0 0"
is "after an apply: acme-wiki, erin's seat counted in" "$(seats acme-wiki)" "10 4 2 1 3 0 2 0 0 0"
is "apply metrics" "$(pm '[changes(), outcome(), v("licsync_last_run_id", command="apply"), seats_match()]')" \
	"['acme-crm/assign/ok=1 acme-wiki/assign/ok=1', 'ok of 10', $apply_run, True]"
run_licsync status --metrics "$M"
is "status --metrics after an apply: its changes" "$(pm '[changes(), v("licsync_last_run_success", command="apply"), seats_match()]')" \
	"['acme-crm/assign/ok=1 acme-wiki/assign/ok=1', 1, True]"
same_apps $T2 "after an apply: live reads what the apply recorded"

# ---- live and recorded part when the tenant changes behind licsync ----
state_edit 'k["'$SKU_CRM'"]["enabled"] = 6
u["grace"]["licenses"].append({"skuId": "'$SKU_CRM'", "group": None, "disabledPlans": []})'
db_before=$(cat "$T/licsync.db" "$T/licsync.db-wal" 2>/dev/null | sha256sum)
sj --live
is "--live: acme-crm as the tenant has it now" "$(seats acme-crm)" "6 5 6 1 4 1 0 2 1 0"
is "--live: changed nothing in the database" \
	"$(cat "$T/licsync.db" "$T/licsync.db-wal" 2>/dev/null | sha256sum)" "$db_before"
sj
is "recorded: still the apply's numbers" "$(seats acme-crm)" "4 4 6 1 3 2 0 1 0 0"
state_edit 'u["grace"]["licenses"] = []'

# ---- grace over: pending removals become planned ones ----
at $T3 plan
sj
is "past the grace: acme-wiki" "$(seats acme-wiki)" "10 4 2 1 3 0 0 0 0 2"
is "two free seats: acme-crm" "$(seats acme-crm)" "6 4 6 1 3 0 0 1 2 0"

# ---- a safety stop ----
crm_and_wiki "sales support" "max_unassign: 1"
at $T3 apply --metrics "$M"
is "safety stop: exit 5" "$RC" 5
is "safety stop: metrics" "$(pm '[outcome(), v("licsync_last_run_exit_code", command="apply")]')" "['safety stop of 10', 5]"
crm_and_wiki "sales support"

# ---- a partial apply: half the writes refused (seeded, so repeatable) ----
curl -sf -X PUT -d '{"fault_503": 0.5, "faults_on_writes_only": 1, "retry_after": 0, "seed": 3}' \
	"$GRAPH_BASE/_test/config" >/dev/null || { echo "Bail out! /_test/config"; exit 1; }
at $T3 apply --metrics "$M"
is "partial apply: exit 6" "$RC" 6
curl -sf -X PUT -d '{"fault_503": 0}' "$GRAPH_BASE/_test/config" >/dev/null
part_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
run_licsync audit --run "$part_run" --format json
printf '%s\n' "$OUT" >"$T/a.json"
want=$(python3 - "$T/a.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
res = {(x["app"], x["user"].split("@")[0]): x["result"] for x in r}
ok = lambda app, act: sum(1 for x in r if x["app"] == app and x["action"] == act and x["result"] == "ok")
bad = lambda app, act: sum(1 for x in r if x["app"] == app and x["action"] == act and x["result"] == "failed")
judy = res[("acme-wiki", "judy")] == "ok"    # frank keeps it through a group
print("|".join([
    " ".join(sorted(set(res.values()))),
    "6 %d 6 %d 3 0 0 1 %d 0" % (4 + ok("acme-crm", "assign"), 1 + ok("acme-crm", "assign"), bad("acme-crm", "assign")),
    "10 %d 2 1 %d 0 0 0 0 %d" % (4 - judy, 3 - judy, bad("acme-wiki", "unassign")),
    " ".join(sorted("%s/%s/%s=1" % (x["app"], x["action"], x["result"]) for x in r))]))
PY
)
IFS='|' read -r results want_crm want_wiki want_changes <<EOF_WANT
$want
EOF_WANT
is "partial apply: some changes ok, some failed" "$results" "failed ok"
sj
is "partial: the source" "$(src | cut -d' ' -f1-4)" "live=False run=$part_run command=apply outcome=partial"
is "partial: acme-crm counts the failed assigns to assign" "$(seats acme-crm)" "$want_crm"
is "partial: acme-wiki counts the failed unassign to unassign" "$(seats acme-wiki)" "$want_wiki"
is "partial: metrics" "$(pm '[changes(), outcome(), v("licsync_last_run_success", command="apply"), seats_match()]')" \
	"['$want_changes', 'partial of 10', 0, True]"
same_apps $T3 "after a partial apply: live reads what it recorded"

# ---- the metrics file cannot be written ----
at $T3 plan --metrics "$T/nodir/licsync.prom"
is "metrics not writable: exit 1" "$RC" 1
contains "metrics not writable: the path named" "$ERR" "$T/nodir/licsync.prom"
run_licsync status --metrics "$T/nodir/licsync.prom"
is "status, metrics not writable: exit 1" "$RC" 1
contains "status, metrics not writable: the path named" "$ERR" "$T/nodir/licsync.prom"
flock "$T/licsync.lock" "$LICSYNC" -c "$T/licsync.conf" plan --metrics "$M" >/dev/null 2>&1
is "locked: exit 7" "$?" 7
is "locked: metrics" "$(pm '[outcome(), n("licsync_last_run_id"), n("licsync_seats")]')" "['locked of 10', 0, 0]"

# ---- a view the group guard distrusts, then the directory down ----
last_seats=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
sj
cp "$T/s.json" "$T/before.json"
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" >/dev/null <<EOF_LDIF
dn: cn=engineering,$G
changetype: modify
replace: uniqueMember
uniqueMember: cn=nobody,ou=people,dc=example,dc=com
EOF_LDIF
at $T3 plan --metrics "$M"
guard_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
is "guard: plan exit 0, metrics without seats" "$RC $(pm '[outcome(), n("licsync_seats")]')" "0 ['ok of 10', 0]"
sj
contains "guard: status names the distrusted run" "$ERR" "showing run $last_seats: the later run $guard_run (ok)"
same_json "guard: the seats of the run before" "$T/s.json" "$T/before.json"
slapd_stop
at $T3 plan --metrics "$M"
is "slapd down: exit 3" "$RC" 3
down_run=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
is "slapd down: metrics" "$(pm '[outcome(), v("licsync_last_run_success", command="plan"), v("licsync_last_run_exit_code"), v("licsync_last_run_id"), n("licsync_seats")]')" \
	"['directory error of 10', 0, 3, $down_run, 0]"
sj
is "slapd down: status still exit 0" "$RC" 0
is "slapd down: status shows the earlier run" "$(src | cut -d' ' -f2)" "run=$last_seats"
contains "slapd down: status warns" "$ERR" "showing run $last_seats: the later run $down_run (directory error) recorded no seats"
same_json "slapd down: the same seats as before" "$T/s.json" "$T/before.json"
run_licsync status --metrics "$M"
is "status --metrics: the failed run, the seats shown" "$(pm '[outcome(), v("licsync_last_run_id", command="plan"), seats_match()]')" \
	"['directory error of 10', $down_run, True]"

LICSYNC_TEST_NOW=$T3 "$LICSYNC" -c "$T/licsync.conf" plan --metrics "$T/nodir/x.prom" >>"$T/all-output" 2>&1
is "slapd down, metrics not writable either: still exit 3" "$?" 3

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output" "$T/prom"/* \
    "$T/licsync.db"*; then
	not_ok "no secret in any output, metrics file or the database"
else
	ok "no secret in any output, metrics file or the database"
fi

tap_done
