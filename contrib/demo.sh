#!/bin/bash
# contrib/demo.sh - see licsync work end to end on this machine.
#
# Installs what is missing (contrib/deps.sh), builds licsync in build/demo
# (incrementally), starts a throwaway slapd holding the sample directory
# (tests/data/, StartTLS with its own test CA) and the project's Microsoft
# Graph test server on loopback, then walks through the whole loop with the
# sample policy (conf/policy.yaml):
#
#   check -> plan -> apply -> plan (nothing left) -> audit -> explain -> status
#
# Nothing outside a temporary directory is touched; both servers are
# stopped and the directory removed at the end.  Runs from any current
# directory, as often as you like.  Exits non-zero, with the status of the
# step that failed, when a step fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
. "$top/contrib/deps.sh"
# shellcheck disable=SC2086
install_missing $LICSYNC_BUILD_DEPS $LICSYNC_TEST_DEPS || exit 1

# ---- build (make is incremental: a checkout that moved on is rebuilt) ----
build="$top/build/demo"
mkdir -p "$build" || exit 1
if [ ! -f "$build/Makefile" ]; then
	echo "== configuring licsync in $build"
	(cd "$top" && autoreconf -fi) >"$build/autoreconf.out" 2>&1 ||
		{ cat "$build/autoreconf.out"; exit 1; }
	(cd "$build" && "$top/configure" --disable-unit-tests) \
		>"$build/configure.out" 2>&1 ||
		{ cat "$build/configure.out"; exit 1; }
fi
echo "== building licsync in $build"
# the compiler's and ar's chatter goes to make.out, shown only on failure
make -C "$build" -j"$(nproc 2>/dev/null || echo 2)" >"$build/make.out" 2>&1 ||
	{ tail -n 60 "$build/make.out"; exit 1; }
LICSYNC="$build/src/licsync"

# ---- the servers, in a temporary directory ----
export LDAPNOINIT=1	# never read this machine's ldap.conf or ~/.ldaprc
# licsync sends the diagnostics of plan, apply and explain to syslog when
# its output is not a terminal (as under cron).  Keep them in the demo's
# output, piped or not, so that a warning would be seen, and out of this
# machine's system log.
export LICSYNC_LOG_STDERR=1
T=$(mktemp -d "${TMPDIR:-/tmp}/licsync-demo.XXXXXX") || exit 1
GRAPH_PID=""
. "$top/tests/slapd.sh"
# shellcheck disable=SC2034 # read by slapd_start: our cleanup stops slapd
SLAPD_NO_TRAP=1
cleanup() {
	cd / || :
	if [ -n "$GRAPH_PID" ]; then
		kill "$GRAPH_PID" 2>/dev/null
		wait "$GRAPH_PID" 2>/dev/null
	fi
	slapd_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "== starting a throwaway slapd with tests/data/directory.ldif (StartTLS, test CA)"
# SLAPD_TLS=1: slapd gets a throwaway CA and certificate, so licsync binds
# over StartTLS, as it should in production, instead of in clear text.
SLAPD_TLS=1 slapd_start "$T/slapd" "$top/tests/data/base.ldif" \
	"$top/tests/data/directory.ldif" || exit 1

# The tenant: 250 CRM seats; bob holds the CRM license (assigned by hand,
# not by licsync), heidi gets it through an Entra group, carol has no usage
# location.
SKU=6fd2c87f-b296-42f0-b197-1e91e994b900
python3 "$top/tests/integration/mkstate.py" --sku "acme_crm:$SKU:250" \
	--hold acme_crm:bob --hold acme_crm:heidi:sales-licensing-group \
	--noloc carol >"$T/tenant.json" || exit 1
echo "== starting the Graph test server on loopback"
python3 "$top/tests/graph_server.py" --state "$T/tenant.json" \
	--port-file "$T/graph.port" 2>"$T/graph.err" &
GRAPH_PID=$!
for _ in $(seq 100); do [ -s "$T/graph.port" ] && break; sleep 0.1; done
[ -s "$T/graph.port" ] || { cat "$T/graph.err"; exit 1; }
port=$(cat "$T/graph.port")

# ---- licsync's configuration: the files an administrator writes ----
printf '%s\n' "$SLAPD_BIND_PW" >"$T/ldap.secret"
printf 'test-secret-value\n' >"$T/graph.secret"
chmod 600 "$T/ldap.secret" "$T/graph.secret"
cp "$top/conf/policy.yaml" "$T/policy.yaml"
cat >"$T/licsync.conf" <<CONF
ldap:
  uri: $SLAPD_URI
  starttls: true
  ca_file: $SLAPD_CA_FILE
  bind_dn: $SLAPD_BIND_DN
  bind_password_file: ldap.secret
  base_dn: $SLAPD_SUFFIX
backend:
  tenant_id: contoso.onmicrosoft.com
  client_id: 11111111-1111-1111-1111-111111111111
  client_secret_file: graph.secret
  graph_url: http://127.0.0.1:$port/v1.0
  token_url: http://127.0.0.1:$port/{tenant_id}/oauth2/v2.0/token
database: licsync.db
policy: policy.yaml
lock_file: licsync.lock
CONF
cd "$T" || exit 1

echo
echo "== the sample policy (conf/policy.yaml, comments left out)"
grep -v -e '^ *#' -e '^$' policy.yaml

# step HEADING ARGS...: print the heading, run licsync ARGS with the demo's
# configuration; a step that fails ends the demo with its exit status.
step() {
	echo
	echo "== $1"
	shift
	echo "\$ licsync -c licsync.conf $*"
	"$LICSYNC" -c licsync.conf "$@" | tee "$T/step.out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "demo: 'licsync $*' failed with exit status $rc" >&2
		exit "$rc"
	fi
}

# Both files are valid, and the secret files safe; nothing is contacted.
step "check: validate the configuration and the policy (no network)" check

# Reads the directory and Graph, prints what would change; changes nothing.
step "plan: what licsync would change (nothing is changed yet)" plan

# Carries the plan out through Graph; the report shows each result.
step "apply: carry out the plan through Microsoft Graph (the test server)" apply

# The directory and the tenant now agree with the policy.  carol is still
# listed, skipped: a skip is not a change.
step "plan again: nothing is left to do" plan
if ! grep -q '^Plan: 0 to assign, 0 to unassign,' "$T/step.out"; then
	echo "demo: the second plan still has changes to make" >&2
	exit 1
fi

# The changes of the last run that made any (the apply), with their
# reasons and results, as recorded in the audit database.
step "audit: the changes apply just made, from the audit database" \
	audit --run last

# carol rather than alice: alice's story (member of sales, assigned) is
# already in the plan and the audit, while carol is the user a new
# administrator asks about: entitled, yet every plan skips her.  explain
# shows the nested groups that entitle her (emea-sales-uk -> emea-sales ->
# sales) and that the backend knows her without a usage location, which is
# why she gets no seat.
step "explain: why carol, entitled through nested groups, gets no license" \
	explain carol@example.com

# Seats per app as the last run (the second plan) left them; reads only
# the database.
step "status: seats per app, as the last run left them" status

echo
echo "== done: the servers are stopped and $T is removed"
exit 0
