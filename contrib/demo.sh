#!/bin/bash
# contrib/demo.sh - see licsync work end to end on this machine: install
# what is missing, build, start a throwaway slapd holding a sample
# directory and the project's Microsoft Graph test server on loopback, then
# run `licsync plan` with the sample policy (conf/policy.yaml) and show the
# report, the seats status and why one user has what she has.  Nothing outside a temporary directory is touched; both servers
# are stopped at the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/contrib/deps.sh"
# shellcheck disable=SC2086
install_missing $LICSYNC_BUILD_DEPS $LICSYNC_TEST_DEPS || exit 1

build="$top/build/demo"
if [ ! -f "$build/Makefile" ]; then
	echo "== configuring licsync in $build"
	(cd "$top" && autoreconf -fi >/dev/null 2>&1) || exit 1
	mkdir -p "$build"
	(cd "$build" && "$top/configure" --disable-unit-tests >/dev/null) ||
		exit 1
fi
# make is incremental: a checkout that moved on is rebuilt
(cd "$build" && make -j"$(nproc)" >/dev/null) || exit 1
LICSYNC="$build/src/licsync"

export LDAPNOINIT=1
T=$(mktemp -d /tmp/licsync-demo.XXXXXX)
GRAPH_PID=""
. "$top/tests/slapd.sh"
SLAPD_NO_TRAP=1
cleanup() {
	[ -n "$GRAPH_PID" ] && kill "$GRAPH_PID" 2>/dev/null && wait "$GRAPH_PID" 2>/dev/null
	slapd_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "== starting a throwaway slapd with tests/data/directory.ldif"
slapd_start "$T/slapd" "$top/tests/data/base.ldif" \
	"$top/tests/data/directory.ldif" || exit 1

# The tenant: bob holds the CRM license (assigned by hand, not by licsync),
# heidi gets it through an Entra group, carol has no usage location.
SKU=6fd2c87f-b296-42f0-b197-1e91e994b900
python3 "$top/tests/integration/mkstate.py" --sku "acme_crm:$SKU:250" \
	--hold acme_crm:bob --hold acme_crm:heidi:sales-licensing-group \
	--noloc carol >"$T/tenant.json"
echo "== starting the Graph test server"
python3 "$top/tests/graph_server.py" --state "$T/tenant.json" \
	--port-file "$T/graph.port" 2>"$T/graph.err" &
GRAPH_PID=$!
for _ in $(seq 50); do [ -s "$T/graph.port" ] && break; sleep 0.1; done
[ -s "$T/graph.port" ] || { cat "$T/graph.err"; exit 1; }
port=$(cat "$T/graph.port")

printf 'bind-secret-42\n' >"$T/ldap.secret"
printf 'test-secret-value\n' >"$T/graph.secret"
chmod 600 "$T/ldap.secret" "$T/graph.secret"
cp "$top/conf/policy.yaml" "$T/policy.yaml"
cat >"$T/licsync.conf" <<CONF
ldap:
  uri: $SLAPD_URI
  bind_dn: cn=licsync,ou=services,dc=example,dc=com
  bind_password_file: ldap.secret
  base_dn: dc=example,dc=com
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

echo "== the sample policy (conf/policy.yaml)"
grep -v '^ *#' "$T/policy.yaml" | grep -v '^$'
echo
echo "== licsync -c licsync.conf check"
"$LICSYNC" -c "$T/licsync.conf" check || exit $?
echo
echo "== licsync -c licsync.conf plan"
LICSYNC_LOG_STDERR=1 "$LICSYNC" -c "$T/licsync.conf" plan
rc=$?
echo
echo "== licsync -c licsync.conf status (the seats the plan counted)"
"$LICSYNC" -c "$T/licsync.conf" status
echo
echo "== licsync -c licsync.conf explain carol@example.com"
LICSYNC_LOG_STDERR=1 "$LICSYNC" -c "$T/licsync.conf" explain carol@example.com
echo
echo "== the run as recorded in the audit database"
sqlite3 -header -column "$T/licsync.db" \
	"SELECT id, command, outcome, assigns, unassigns, unfulfilled, skipped FROM runs"
exit $rc
