# tests/samba.sh - a throwaway Samba Active Directory domain controller
# for the tests (sourced, bash).  Needs root and Debian's samba and
# samba-ad-dc packages.
#
#   samba_available          0 when a DC can be started here (and then
#                            this shell's turn to start one)
#   samba_start DIR          provision EXAMPLE.TEST into DIR and start its
#                            LDAP service on 127.0.0.1 (389, 636, 3268,
#                            3269: Samba's ports cannot be moved, so one DC
#                            serves every AD test of a run)
#   samba_stop               stop it
#
# Samba refuses simple binds without TLS ("Transport encryption
# required"): use LDAPS, or StartTLS, also on the global catalog (3268).
#
# After samba_start: SAMBA_CA (the CA that signed the DC's certificate,
# with IP:127.0.0.1 in its SAN), SAMBA_LDAP (ldap://127.0.0.1),
# SAMBA_LDAPS (ldaps://127.0.0.1), SAMBA_GC (ldap://127.0.0.1:3268),
# SAMBA_BASE (DC=example,DC=test), SAMBA_ADMIN_UPN, SAMBA_ADMIN_DOWNLEVEL
# and SAMBA_ADMIN_PASSWORD.

SAMBA_REALM=EXAMPLE.TEST
SAMBA_DOMAIN=EXAMPLE
SAMBA_BASE="DC=example,DC=test"
SAMBA_ADMIN_PASSWORD="Adm1n-licsync-test"
SAMBA_ADMIN_UPN="Administrator@example.test"
SAMBA_ADMIN_DOWNLEVEL='EXAMPLE\Administrator'
SAMBA_LDAP=ldap://127.0.0.1
SAMBA_LDAPS=ldaps://127.0.0.1
SAMBA_GC=ldap://127.0.0.1:3268
SAMBA_PID=""
SAMBA_DIR=""

. "$(dirname "${BASH_SOURCE[0]}")/testca.sh"

_samba_err() { echo "samba.sh: $*" >&2; }

# samba_available: 0 when a DC can be started here.  Samba's ports are
# fixed, so the tests that start one (make check runs tests in parallel)
# take turns: this waits for the others' DCs, holding a lock until the
# calling shell exits.
samba_available() {
	[ "$(id -u)" = 0 ] || return 1
	command -v samba >/dev/null 2>&1 || return 1
	command -v samba-tool >/dev/null 2>&1 || return 1
	command -v flock >/dev/null 2>&1 || return 1
	exec {_samba_lock}>"${TMPDIR:-/tmp}/licsync-samba.lock" || return 1
	flock -w 600 "$_samba_lock" || return 1
	# a DC of our own needs Samba's ports free of anything else
	! (exec 3<>/dev/tcp/127.0.0.1/389) 2>/dev/null
}

samba_start() {
	local dir=$1 i
	SAMBA_DIR=$dir
	mkdir -p "$dir" || return 1
	test_ca_make "$dir" ||
		{ _samba_err "creating the test certificates failed"; return 1; }
	samba-tool domain provision --realm="$SAMBA_REALM" \
		--domain="$SAMBA_DOMAIN" --server-role=dc --dns-backend=NONE \
		--adminpass="$SAMBA_ADMIN_PASSWORD" --targetdir="$dir/dc" \
		--option="interfaces=127.0.0.1/8" \
		--option="bind interfaces only=yes" \
		--option="server services=ldap" \
		--option="tls enabled=yes" \
		--option="tls keyfile=$dir/server.key" \
		--option="tls certfile=$dir/server.pem" \
		--option="tls cafile=$dir/ca.pem" \
		--option="log file=$dir/log.%m" \
		>"$dir/provision.log" 2>&1 || {
		_samba_err "provisioning failed:"
		tail -n 20 "$dir/provision.log" >&2
		return 1
	}
	samba -s "$dir/dc/etc/smb.conf" --foreground --no-process-group \
		--debug-stdout -d 1 >"$dir/samba.log" 2>&1 &
	SAMBA_PID=$!
	for i in $(seq 1 300); do
		# (LDAPNOINIT would make ldapsearch ignore LDAPTLS_CACERT)
		if env -u LDAPNOINIT LDAPTLS_CACERT="$dir/ca.pem" \
		    ldapsearch -LLL -H "$SAMBA_LDAPS" \
		    -x -D "$SAMBA_ADMIN_UPN" -w "$SAMBA_ADMIN_PASSWORD" \
		    -b "" -s base dnsHostName >/dev/null 2>&1; then
			SAMBA_CA=$dir/ca.pem
			return 0
		fi
		kill -0 "$SAMBA_PID" 2>/dev/null || break
		sleep 0.1
	done
	_samba_err "the DC did not answer over LDAPS:"
	tail -n 20 "$dir/samba.log" >&2
	samba_stop
	return 1
}

# Stop the DC and the workers it forked, and wait until they are gone.
samba_stop() {
	local i
	if [ -n "$SAMBA_PID" ]; then
		kill "$SAMBA_PID" 2>/dev/null
		wait "$SAMBA_PID" 2>/dev/null
		SAMBA_PID=""
	fi
	[ -n "$SAMBA_DIR" ] || return 0
	pkill -f "$SAMBA_DIR/dc/etc/smb.conf" 2>/dev/null
	for i in $(seq 1 100); do
		pgrep -f "$SAMBA_DIR/dc/etc/smb.conf" >/dev/null || return 0
		sleep 0.1
	done
	pkill -KILL -f "$SAMBA_DIR/dc/etc/smb.conf" 2>/dev/null
}
