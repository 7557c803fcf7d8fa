#!/bin/bash
# explain.sh - `licsync explain USER` against a throwaway slapd and the
# Graph test server: nested-group paths, exclusions, protection, inherited
# and direct holdings, users the backend does not know or cannot license,
# the seat queue, grace, the audit events, the formats and usage errors;
# and that explain changes nothing anywhere.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
command -v sqlite3 >/dev/null || tap_skip_all "sqlite3 not available"
command -v flock >/dev/null || tap_skip_all "flock not available"

G="ou=groups,dc=example,dc=com"
P="ou=people,dc=example,dc=com"
GID="0b1a3c2e-0000-4000-8000-000000000001"     # a backend group
ARROW=" → "
T1=1768035600   # 2026-01-10T09:00:00Z
T2=1768122000   # 2026-01-11T09:00:00Z
T3=1768212000   # 2026-01-12T10:00:00Z, an hour past judy's grace

slapd_up "$top_srcdir/tests/data/directory.ldif"
# acme-crm: 3 seats, frank holds one through a group, mallory one directly
# (not assigned by licsync; remove: owned): one seat left.  ivan has no
# usage location, oscar is unknown to the tenant.  acme-wiki: dave holds
# it (entitled), judy directly and frank directly and through a group
# (neither entitled; remove: all, grace 2d).
mkstate \
	--sku crm:$SKU_CRM:3 --sku wiki:$SKU_WIKI:10 \
	--hold crm:frank:$GID --hold crm:mallory --hold wiki:dave \
	--hold wiki:judy --hold wiki:frank --hold wiki:frank:$GID \
	--noloc ivan --unknown oscar
graph_start "$T/state.json"
write_config
sed -i 's|^  token_url:|  max_retries: 0\n  token_url:|' "$T/licsync.conf"

crm_and_wiki() {        # crm_and_wiki CRM-GROUPS: the policy
	policy_begin protected_users=ceo@example.com
	policy_app acme-crm "$SKU_CRM" remove=owned groups="$1" \
		exclude_groups=contractors \
		exclude_users="John.Smith@example.com ghost@example.com"
	policy_app acme-wiki "$SKU_WIKI" remove=all "grace: 2d" groups=engineering
}


xj() {          # xj EPOCH [ARGS] USER: explain --format json into $T/x.json
	t=$1
	shift
	at "$t" explain --format json "$@"
	printf '%s\n' "$OUT" >"$T/x.json"
}

q() {           # q EXPR over $T/x.json: r is the document, a[app] an app
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
a = {x["app"]: x for x in r["apps"]}
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (list, dict, bool)) or v is None else v)
' "$T/x.json" "$1"
}

line() {        # line PREFIX: the first line of $OUT starting with PREFIX
	printf '%s\n' "$OUT" | grep -F -m1 -- "$1"
}

app_text() {    # app_text APP: the lines of $OUT about APP
	printf '%s\n' "$OUT" | sed -n "/^$1 (sku /,/^\$/p"
}


# what explain must not change: the tenant, its writes, the database
snapshot() {
	{
		curl -sf "$GRAPH_BASE/_test/state"
		curl -sf "$GRAPH_BASE/_test/stats" | python3 -c '
import json, sys; s = json.load(sys.stdin)
print(s["assign_calls"], s["batch_items"], s["by_path"].get("/v1.0/$batch"))'
		# the database; a write-ahead log only if it holds anything
		if [ -e "$T/licsync.db" ]; then sha256sum <"$T/licsync.db"; fi
		if [ -s "$T/licsync.db-wal" ]; then sha256sum <"$T/licsync.db-wal"; fi
	} | sha256sum
}

# ---- before any run: no database, and none made ----
crm_and_wiki "emea-sales-uk support"
before=$(snapshot)
at $T1 explain carol@example.com
is "no database yet: exit 0" "$RC" 0
contains "no database yet: no events" "$OUT" "  events:    none recorded"
is "no database yet: explain made none" "$(ls "$T"/licsync.db* 2>/dev/null)" ""
is "no database yet: nothing changed" "$(snapshot)" "$before"

# carol is entitled from T1 (through emea-sales-uk), heidi too (support);
# alice only from T2, when the policy names sales: the queue for the one
# free seat is carol, heidi, alice, which is not the order of the keys.
at $T1 plan
crm_and_wiki "sales support"
at $T2 plan --format json
is "plan at T2: exit 0" "$RC" 0
waiting=$(printf '%s' "$OUT" | python3 -c '
import json, sys
print(" ".join(u for x in json.load(sys.stdin)["unfulfilled"] for u in x["users"]))')
is "plan's waiting order: by time entitled, not by key" "$waiting" \
	"heidi@example.com alice@example.com"

before=$(snapshot)
# ---- a nested group, three levels down ----
at $T2 explain carol@example.com
is "carol: exit 0" "$RC" 0
is "carol: header" "$(printf '%s\n' "$OUT" | head -4)" "carol@example.com
  directory: cn=carol,$P
  backend:   known
  protected: no"
is "carol: acme-crm, nearest group first" "$(app_text acme-crm)" "acme-crm (sku $SKU_CRM, remove: owned)
  entitled:  yes
  member:    cn=emea-sales-uk,$G${ARROW}cn=emea-sales,$G${ARROW}cn=sales,$G (policy group)
  excluded:  no
  backend:   does not hold it
  queue:     entitled since 2026-01-10T09:00:00Z
  decision:  assign: member of cn=sales,$G
  events:    none recorded"
contains "carol: acme-wiki not entitled" "$(app_text acme-wiki)" "  member:    of none of the app's groups"
xj $T2 carol@example.com
is "carol json: path" "$(q 'a["acme-crm"]["through"]')" \
	"[{\"group\": \"cn=sales,$G\", \"path\": [\"cn=emea-sales-uk,$G\", \"cn=emea-sales,$G\", \"cn=sales,$G\"]}]"
is "carol json: fields" "$(q '[r["backend"], r["protected"], a["acme-crm"]["decision"], a["acme-crm"]["holding"], a["acme-crm"]["entitled_since"], a["acme-wiki"]["entitled"]]')" \
	'["ok", false, "assign", "none", "2026-01-10T09:00:00Z", false]'
at $T2 explain --format csv carol@example.com
is "csv: header, CRLF" "$(printf '%s\n' "$OUT" | head -1)" \
	$'user,app,entitled,through,excluded_by,protected,holding,owned,decision,reason,seat_position,removal_due\r'
is "csv: carol's acme-crm row" "$(printf '%s\n' "$OUT" | sed -n 2p)" \
	"carol@example.com,acme-crm,yes,\"cn=emea-sales-uk,$G${ARROW}cn=emea-sales,$G${ARROW}cn=sales,$G\",,no,none,no,assign,\"member of cn=sales,$G\",,"$'\r'
is "csv: one row per app" "$(printf '%s\n' "$OUT" | wc -l)" 3

# ---- exclusions and protection ----
at $T2 explain bob@example.com
is "bob: member through emea-sales" "$(line '  member:')" "  member:    cn=emea-sales,$G${ARROW}cn=sales,$G (policy group)"
is "bob: excluded by contractors" "$(line '  excluded:')" "  excluded:  by cn=contractors,$G (exclude group)"
is "bob: not entitled" "$(line '  entitled:')" "  entitled:  no"
at $T2 explain --format csv bob@example.com
contains "bob csv: excluded_by" "$OUT" ",no,\"cn=emea-sales,$G${ARROW}cn=sales,$G\",\"cn=contractors,$G\",no,none,"
at $T2 explain john.smith@example.com
is "john.smith: excluded by exclude_users" "$(line '  excluded:')" "  excluded:  by exclude_users"
is "john.smith: escaped DN, normalised" "$(line '  directory:')" '  directory: cn=smith\2c john,'"$P"
at $T2 explain GHOST@example.com
is "a user only the policy names: exit 0" "$RC" 0
contains "ghost: not in the directory" "$OUT" "  directory: not a user there
  backend:   unknown"
at $T2 explain ceo@example.com
is "ceo: protected" "$(line '  protected:')" "  protected: yes (licsync never assigns or removes their licenses)"
is "ceo: entitled but kept" "$(line '  decision:')" "  decision:  keep: protected user; entitled but not assigned"

# ---- holdings ----
at $T2 explain frank@example.com
is "frank: inherited acme-crm" "$(app_text acme-crm | grep -F '  backend:')" "  backend:   holds it through group $GID"
is "frank: direct and inherited acme-wiki" "$(app_text acme-wiki | grep -F '  backend:')" \
	"  backend:   holds it directly, not assigned by licsync; also holds it through group $GID"
xj $T2 frank@example.com
is "frank json: holdings" "$(q '[a["acme-crm"]["holding"], a["acme-crm"]["inherited_from"], a["acme-wiki"]["holding"], a["acme-wiki"]["owned"]]')" \
	"[\"inherited\", \"$GID\", \"direct and inherited\", false]"
at $T2 explain mallory@example.com
is "mallory: held, not assigned by licsync" "$(app_text acme-crm | grep -F -e '  backend:' -e '  decision:')" \
	"  backend:   holds it directly, not assigned by licsync
  decision:  keep: not in any group of the app; not assigned by licsync (remove: owned)"
at $T2 explain ivan@example.com
is "ivan: no usage location" "$(line '  backend:')" "  backend:   known, without a usage location"
is "ivan: skipped" "$(line '  decision:')" "  decision:  skip: no usage location"
xj $T2 ivan@example.com
is "ivan json: backend" "$(q '[r["backend"], a["acme-crm"]["decision"]]')" '["no_usage_location", "skip"]'
at $T2 explain oscar@example.com
is "oscar: unknown to the backend" "$(line '  backend:')" "  backend:   unknown"
is "oscar: skipped" "$(line '  decision:')" "  decision:  skip: unknown to the backend"

# ---- the seat queue, as plan ordered it ----
i=0
for u in $waiting; do
	i=$((i + 1))
	at $T2 explain "$u"
	is "$u: position $i in the queue" "$(line '  decision:')" \
		"  decision:  waiting: no seat left: number $i of 2 waiting, in order of entitlement"
	xj $T2 "$u"
	is "$u json: seat_position, waiting" "$(q '[a["acme-crm"]["seat_position"], a["acme-crm"]["waiting"], a["acme-crm"]["decision"]]')" "[$i, 2, \"waiting\"]"
done

# ---- grace: due, then past due ----
at $T2 explain judy@example.com
is "judy inside the grace: kept" "$(app_text acme-wiki | grep -F -A1 '  decision:')" \
	"  decision:  keep: not in any group of the app; removal due in 1d
  removal:   due 2026-01-12T09:00:00Z"
at $T2 explain --format csv judy@example.com
contains "judy csv: removal_due" "$OUT" ",keep,not in any group of the app; removal due in 1d,,2026-01-12T09:00:00Z"$'\r'
at $T3 explain judy@example.com
is "judy past the grace: unassign" "$(app_text acme-wiki | grep -F '  decision:')" \
	"  decision:  unassign: not in any group of the app; remove: all"
case $OUT in *"removal:"*) not_ok "past the grace: no removal line" ;; *) ok "past the grace: no removal line" ;; esac
xj $T3 judy@example.com
is "judy json at T3" "$(q '[a["acme-wiki"]["decision"], a["acme-wiki"]["removal_due"]]')" '["unassign", null]'

# ---- usage ----
at $T2 explain nobody@example.com
is "unknown user: exit 1" "$RC" 1
contains "unknown user: says so" "$ERR" "no user 'nobody@example.com' in the directory, the backend, the policy or the audit trail"
is "unknown user: no output" "$OUT" ""
for args in "" "alice@example.com bob@example.com" "--events -1 alice@example.com" \
    "--events 1001 alice@example.com" "--events abc alice@example.com" \
    "--format html alice@example.com"; do
	run_licsync explain $args
	is "explain $args: exit 1" "$RC" 1
done
run_licsync explain --events 1000 alice@example.com
is "--events 1000: exit 0" "$RC" 0
is "explain changed nothing: tenant, writes, database" "$(snapshot)" "$before"
flock "$T/licsync.lock" "$LICSYNC" -c "$T/licsync.conf" plan >/dev/null 2>&1
is "while another holds the lock, plan: exit 7" "$?" 7
flock "$T/licsync.lock" "$LICSYNC" -c "$T/licsync.conf" explain alice@example.com >/dev/null 2>&1
is "while another holds the lock, explain: exit 0 (takes no lock)" "$?" 0

# ---- events: ok, failed, ok ----
at $T2 apply
is "apply 1: exit 0" "$RC" 0
run1=$(sqlite3 "$T/licsync.db" "SELECT max(id) FROM runs")
at $T2 explain carol@example.com
is "carol after apply: assigned by licsync" "$(app_text acme-crm | grep -F -e '  backend:' -e '  decision:')" \
	"  backend:   holds it directly, assigned by licsync
  decision:  none: holds it, as entitled"
is "carol after apply: the event" "$(app_text acme-crm | grep -F -A2 '  events:')" \
	"  events:
    2026-01-11T09:00:00Z run $run1: assign ok: member of cn=sales,$G"
state_edit 'u["carol"]["licenses"] = []'
curl -sf -X PUT -d '{"fault_503": 1, "faults_on_writes_only": 1, "retry_after": 0}' \
	"$GRAPH_BASE/_test/config" >/dev/null
at $((T2 + 3600)) apply
is "apply 2, every write refused: exit 6" "$RC" 6
curl -sf -X PUT -d '{"fault_503": 0}' "$GRAPH_BASE/_test/config" >/dev/null
at $((T2 + 7200)) apply
is "apply 3: exit 0" "$RC" 0
ERRTXT="serviceNotAvailable: Service is temporarily unavailable. Please retry after some time."
E1="    2026-01-11T09:00:00Z run $run1: assign ok: member of cn=sales,$G"
E2="    2026-01-11T10:00:00Z run $((run1 + 1)): assign failed ($ERRTXT): member of cn=sales,$G"
E3="    2026-01-11T11:00:00Z run $((run1 + 2)): assign ok: member of cn=sales,$G"
at $T2 explain CAROL@Example.COM
is "three events, oldest first (key in any case)" "$(app_text acme-crm | sed -n '/  events:/,$p')" "  events:
$E1
$E2
$E3"
at $T2 explain --events 1 carol@example.com
is "--events 1: the last one" "$(app_text acme-crm | sed -n '/  events:/,$p')" "  events:
$E3"
at $T2 explain --events 2 carol@example.com
is "--events 2: the last two, oldest first" "$(app_text acme-crm | sed -n '/  events:/,$p')" "  events:
$E2
$E3"
at $T2 explain carol@example.com --events 2
is "options may follow USER" "$(app_text acme-crm | sed -n '/  events:/,$p')" "  events:
$E2
$E3"
contains "--events limits per app: acme-wiki has none" "$(app_text acme-wiki)" "  events:    none recorded"
xj $T2 --events 2 carol@example.com
is "events json" "$(q '[(e["run"], e["action"], e["result"], e["error"]) for e in a["acme-crm"]["events"]]')" \
	"[[$((run1 + 1)), \"assign\", \"failed\", \"$ERRTXT\"], [$((run1 + 2)), \"assign\", \"ok\", null]]"
is "events json: owned, direct" "$(q '[a["acme-crm"]["owned"], a["acme-crm"]["holding"], a["acme-crm"]["events"][1]["time"]]')" \
	'[true, "direct", "2026-01-11T11:00:00Z"]'

# ---- a user only the audit trail knows ----
at $T3 apply
is "apply at T3 (grace over): exit 0" "$RC" 0
ldapdelete -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	"cn=Judy,$P" >"$T/ldapdelete.out" 2>&1 ||
	{ echo "Bail out! ldapdelete: $(cat "$T/ldapdelete.out")"; exit 1; }
state_edit 's["users"] = [x for x in s["users"] if x is not u["judy"]]'
at $T3 explain judy@example.com
is "judy, gone from directory and tenant: exit 0" "$RC" 0
is "judy: header" "$(printf '%s\n' "$OUT" | sed -n 2,3p)" "  directory: not a user there
  backend:   unknown"
contains "judy: her removal is on record" "$(app_text acme-wiki)" \
	"  events:
    2026-01-12T10:00:00Z run $((run1 + 3)): unassign ok: not in any group of the app; remove: all"

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi

tap_done
