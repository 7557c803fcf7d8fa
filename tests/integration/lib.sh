# tests/integration/lib.sh - sourced by the integration tests (bash).
#
# Gives each test a private directory ($T), TAP output (tests/tap.sh),
# policy and tenant-state builders, a throwaway slapd
# (tests/slapd.sh), the project's Graph test server, and a licsync.conf
# pointing at both.  Everything started here is stopped on exit.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LICSYNC:=$top_builddir/tests/licsync-test}"
: "${LICSYNC_INSTALLED:=$top_builddir/src/licsync}"
export LDAPNOINIT=1 LC_ALL=C.UTF-8
# diagnostics on stderr, where the tests read them, not syslog
export LICSYNC_LOG_STDERR=1
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY

T=$(mktemp -d "${TMPDIR:-/tmp}/licsync-test.XXXXXX")
GRAPH_PID=""

# The secrets of the test set-up; tests grep output for them.
LDAP_SECRET="bind-secret-42"
GRAPH_SECRET="test-secret-value"
TENANT="contoso.onmicrosoft.com"
CLIENT_ID="11111111-1111-1111-1111-111111111111"
SKU_CRM="6fd2c87f-b296-42f0-b197-1e91e994b900"
SKU_WIKI="3a0a4a1e-5f4b-4a55-9c1e-0c3f4ad5e001"

. "$top_srcdir/tests/slapd.sh"

cleanup() {
	graph_stop
	slapd_stop
	rm -rf "$T"
}
SLAPD_NO_TRAP=1
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- TAP (tests/tap.sh) ----

TAP_OUT=$T/check.out
. "$top_srcdir/tests/tap.sh"

# ---- licsync ----

# run_licsync ARGS...: sets RC, OUT (stdout) and ERR (stderr).
run_licsync() {
	"$LICSYNC" -c "$T/licsync.conf" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	cat "$T/out" "$T/err" >>"$T/all-output"
}

# same_json DESC FILE-GOT FILE-WANT: compares JSON documents exactly
# (after parsing, so only whitespace may differ) and shows a diff.
same_json() {
	if python3 - "$2" "$3" >"$T/json.diff" 2>&1 <<'PY'
import difflib, json, sys
a = json.dumps(json.load(open(sys.argv[1])), indent=2, sort_keys=True)
b = json.dumps(json.load(open(sys.argv[2])), indent=2, sort_keys=True)
if a != b:
    sys.stdout.writelines(difflib.unified_diff(
        b.splitlines(True), a.splitlines(True), "want", "got"))
    sys.exit(1)
PY
	then
		ok "$1"
	else
		not_ok "$1" "$(head -c 6000 "$T/json.diff")"
	fi
}

# ---- policies ----

# policy_begin [ITEM...]: start $T/policy.yaml with top-level ITEMs (see
# policy_app), then "apps:".
policy_begin() {
	_policy=$T/policy.yaml
	: >"$_policy"
	_policy_items "" "$@"
	echo "apps:" >>"$_policy"
}

# policy_app NAME SKU [ITEM...]: add app NAME with that sku to the policy
# policy_begin started.  Each ITEM, in order, is
#   KEY=CNS    for KEY ending in "groups": a block list, cn=CN,$G each word
#   KEY=WORDS  for KEY ending in "users": a block list of the words
#   KEY=VALUE  otherwise "KEY: VALUE" (remove=all)
#   LINE       anything else, as it is ("grace: 2d")
# A KEY with an empty value, and an empty LINE, are left out.
policy_app() {
	printf '  %s:\n    sku: %s\n' "$1" "$2" >>"$_policy"
	shift 2
	_policy_items "    " "$@"
}

_policy_items() {       # _policy_items INDENT ITEM...
	local in=$1 item key val w
	shift
	for item in "$@"; do
		if [[ ! $item =~ ^[a-z_]+= ]]; then
			[ -z "$item" ] || printf '%s%s\n' "$in" "$item"
			continue
		fi
		key=${item%%=*}
		val=${item#*=}
		[ -n "$val" ] || continue
		case $key in
		*groups)
			printf '%s%s:\n' "$in" "$key"
			for w in $val; do printf '%s  - cn=%s,%s\n' "$in" "$w" "$G"; done
			;;
		*users)
			printf '%s%s:\n' "$in" "$key"
			for w in $val; do printf '%s  - %s\n' "$in" "$w"; done
			;;
		*)
			printf '%s%s: %s\n' "$in" "$key" "$val"
			;;
		esac
	done >>"$_policy"
}

# policy REMOVE GROUPS [ITEM...]: the usual policy, acme-crm alone, after
# the top-level items of the array POLICY_TOP.
POLICY_TOP=()
policy() {
	policy_begin ${POLICY_TOP[@]+"${POLICY_TOP[@]}"}
	policy_app acme-crm "$SKU_CRM" remove="$1" groups="$2" "${@:3}"
}

# ---- the tenant ----

# mkstate [MKSTATE-ARGS...]: write $T/state.json (see mkstate.py), then
# run $STATE_FILTER on it when set, for what mkstate.py cannot say.
mkstate() {
	python3 "$top_srcdir/tests/integration/mkstate.py" "$@" \
		>"$T/state.json" || { echo "Bail out! mkstate.py $*"; exit 1; }
	[ -z "${STATE_FILTER:-}" ] || "$STATE_FILTER" "$T/state.json"
}

# state [MKSTATE-ARGS...]: mkstate, and make it the Graph server's state.
state() {
	mkstate "$@"
	graph_state "$T/state.json"
}

# ---- servers ----

# slapd_up LDIF...: start slapd with base.ldif and the given files.
slapd_up() {
	slapd_available || tap_skip_all "slapd not available"
	slapd_start "$T/slapd" "$top_srcdir/tests/data/base.ldif" "$@" ||
		{ echo "Bail out! slapd did not start"; exit 1; }
}

# graph_start STATE [ARGS...]: start the Graph test server.
graph_start() {
	state=$1
	shift
	rm -f "$T/graph.port"
	python3 "$top_srcdir/tests/graph_server.py" --state "$state" \
		--port-file "$T/graph.port" --log "$T/graph.log" "$@" \
		2>>"$T/graph.err" &
	GRAPH_PID=$!
	i=0
	while [ ! -s "$T/graph.port" ]; do
		i=$((i + 1))
		if [ $i -gt "${GRAPH_START_TENTHS:-100}" ] ||
		    ! kill -0 "$GRAPH_PID" 2>/dev/null; then
			echo "Bail out! Graph test server did not start"
			cat "$T/graph.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	GRAPH_PORT=$(cat "$T/graph.port")
	GRAPH_BASE="http://127.0.0.1:$GRAPH_PORT"
}

graph_stop() {
	if [ -n "$GRAPH_PID" ]; then
		kill "$GRAPH_PID" 2>/dev/null
		wait "$GRAPH_PID" 2>/dev/null
		GRAPH_PID=""
	fi
}

# graph_state FILE: replace the server's state.
graph_state() {
	curl -sS --fail-with-body -X PUT --data-binary "@$1" \
		-H 'Content-Type: application/json' \
		"$GRAPH_BASE/_test/state" >"$T/graph_state.out" 2>&1 ||
		{ echo "Bail out! cannot set the Graph state:" \
		    "$(cat "$T/graph_state.out")"; exit 1; }
}

# graph_config JSON: PUT /_test/config of the Graph test server.
graph_config() {
	curl -sf -X PUT --data-binary "$1" "$GRAPH_BASE/_test/config" \
		>/dev/null ||
		{ echo "Bail out! cannot configure the Graph server: $1"; exit 1; }
}

# graph_stat KEY [SUBKEY]: a counter of the Graph test server.
graph_stat() {
	curl -sf "$GRAPH_BASE/_test/stats" | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1], 0)
print(v.get(sys.argv[2], 0) if len(sys.argv) > 2 else v)' "$@"
}

# at EPOCH ARGS...: run_licsync with the test clock at EPOCH.
at() {
	t=$1
	shift
	LICSYNC_TEST_NOW=$t run_licsync "$@"
}

# state_edit PYTHON: edit the Graph test server's tenant in place.  The
# code sees s (the state), u[name] (a user by the part of its UPN before
# the @), users[upn] (by lower-case UPN), k[sku] (a SKU by id), and
# lic(name, sku) / unlic(name, sku) to give or take a direct license.
state_edit() {
	curl -sf "$GRAPH_BASE/_test/state" >"$T/cur.json" ||
		{ echo "Bail out! cannot read the Graph state"; exit 1; }
	python3 - "$T/cur.json" "$1" <<'PY' || { echo "Bail out! state_edit"; exit 1; }
import json, sys
path, code = sys.argv[1], sys.argv[2]
s = json.load(open(path))
u = {x["userPrincipalName"].split("@")[0]: x for x in s["users"]}
users = {x["userPrincipalName"].lower(): x for x in s["users"]}
k = {x["skuId"]: x for x in s["skus"]}
def lic(user, sku):
    users[user + "@example.com"]["licenses"].append(
        {"skuId": sku, "group": None, "disabledPlans": []})
def unlic(user, sku):
    x = users[user + "@example.com"]
    x["licenses"] = [l for l in x["licenses"] if l["skuId"] != sku]
exec(code)
json.dump(s, open(path, "w"))
PY
	graph_state "$T/cur.json"
}

# write_config [EXTRA-LDAP-YAML]: licsync.conf for slapd and the server.
# POLICY (default $T/policy.yaml) and LDAP_URI (default SLAPD_URI) may be
# set by the caller.
write_config() {
	printf '%s\n' "$LDAP_SECRET" >"$T/ldap.secret"
	printf '%s\n' "$GRAPH_SECRET" >"$T/graph.secret"
	chmod 600 "$T/ldap.secret" "$T/graph.secret"
	cat >"$T/licsync.conf" <<CONF
ldap:
  uri: ${LDAP_URI:-$SLAPD_URI}
  bind_dn: cn=licsync,ou=services,dc=example,dc=com
  bind_password_file: ldap.secret
  base_dn: dc=example,dc=com
  user_filter: (objectClass=inetOrgPerson)
  user_key: mail
  page_size: ${PAGE_SIZE:-100}
  timeout: ${LDAP_TIMEOUT:-10}
${1:-}
backend:
  type: graph
  tenant_id: $TENANT
  client_id: $CLIENT_ID
  client_secret_file: graph.secret
  graph_url: $GRAPH_BASE/v1.0
  token_url: $GRAPH_BASE/{tenant_id}/oauth2/v2.0/token
database: licsync.db
policy: ${POLICY:-policy.yaml}
lock_file: licsync.lock
CONF
}
