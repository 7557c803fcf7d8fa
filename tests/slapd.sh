# tests/slapd.sh - a throwaway OpenLDAP slapd for the test suite.
#
# Source it from a bash test script:
#
#   . "$top_srcdir/tests/slapd.sh"
#   slapd_available || exit 77     # (a TAP script prints "1..0 # SKIP")
#   slapd_start "$tmp/slapd" "$top_srcdir/tests/data/base.ldif" more.ldif
#   ldapsearch -x -H "$SLAPD_URI" -D "$SLAPD_BIND_DN" -w "$SLAPD_BIND_PW" ...
#   slapd_stop
#
# slapd_start DIR LDIF...
#   DIR must not exist or be empty; it is created with mode 700 and removed
#   again by slapd_stop.  It holds slapd.conf, the back_mdb database (loaded
#   from the LDIF files with slapadd before slapd starts), slapd.log (slapd's
#   stderr), slapd.pid and the ldapi socket.  slapd listens on a free
#   loopback port and runs as the calling user (no root needed).  Exports:
#     SLAPD_PORT SLAPD_URI        ldap://127.0.0.1:PORT
#     SLAPD_LDAPI_URI             ldapi://<socket>; SASL EXTERNAL from the
#                                 calling user binds as the service account
#     SLAPD_PID SLAPD_DIR
#   With SLAPD_TLS=1 in the environment it also creates a throwaway CA and a
#   server certificate for IP:127.0.0.1 and DNS:localhost, enables StartTLS
#   on SLAPD_URI and listens on ldaps:// as well.  Exports in addition:
#     SLAPD_LDAPS_PORT SLAPD_LDAPS_URI SLAPD_CA_FILE
#   Returns non-zero (with slapd's log on stderr) if slapd does not start.
#
# slapd_stop         SIGTERM, wait up to 10 s, then SIGKILL; remove DIR and
#                    unset the SLAPD_* instance variables.  Safe to repeat.
# slapd_pause        SIGSTOP: connections hang (for timeout tests).
# slapd_resume       SIGCONT.
# slapd_with_ca [VAR=VALUE...] CMD [ARG...]
#                    Run an OpenLDAP client tool trusting SLAPD_CA_FILE.
#                    LDAPNOINIT=1 makes libldap ignore LDAPTLS_* variables,
#                    so this unsets it (ldap.conf and ~/.ldaprc are read
#                    again, LDAPTLS_CACERT/LDAPTLS_REQCERT=demand override
#                    them).  Set LDAPTLS_CACERT= (empty) in the arguments
#                    to trust nothing.
# slapd_available    0 if slapd, slapadd, ldapsearch, python3, back_mdb and
#                    the schemas are present (tests exit 77 otherwise).
#
# Constants (exported): SLAPD_SUFFIX SLAPD_ROOT_DN SLAPD_ROOT_PW
#   SLAPD_BIND_DN SLAPD_BIND_PW (the service account from base.ldif).
#
# Directory policy: size.soft and size.hard are 500, so a search without
# the paged results control that matches more than 500 entries fails with
# sizeLimitExceeded (ldapsearch exit 4); a paged search returns everything.
# The rootdn is exempt from limits; tests should bind as the service account
# or anonymously.  Everyone may read everything except userPassword, which
# is only usable for authentication.
#
# Knobs (environment): SLAPD_TLS=1; SLAPD_DEBUG=<level> (slapd -d; the
# default "none" logs start, stop and fatal errors to DIR/slapd.log);
# SLAPD_KEEP=1 (slapd_stop leaves DIR); SLAPD_NO_TRAP=1 (see below);
# SLAPD_MAXSIZE (mdb map size, default 4 GiB, a sparse file); SLAPD_BIN
# SLAPADD_BIN SLAPD_MODULEPATH SLAPD_SCHEMADIR.
#
# Unless SLAPD_NO_TRAP=1, slapd_start installs `trap slapd_stop EXIT` (and
# INT/TERM/HUP traps that exit) when the shell has no such trap yet, so an
# aborted test does not leave slapd behind.  A script with its own EXIT trap
# must call slapd_stop from it.
#
# Only one instance per shell.  Works with `set -u` and `set -e`.

. "$(dirname "${BASH_SOURCE[0]}")/testca.sh"

# Never read the machine's ldap.conf or ~/.ldaprc in the tests.
export LDAPNOINIT=1

export SLAPD_SUFFIX='dc=example,dc=com'
export SLAPD_ROOT_DN='cn=admin,dc=example,dc=com'
export SLAPD_ROOT_PW='admin-secret'
export SLAPD_BIND_DN='cn=licsync,ou=services,dc=example,dc=com'
export SLAPD_BIND_PW='bind-secret-42'

_slapd_err() {
	printf 'slapd.sh: %s\n' "$*" >&2
}

_slapd_find() {
	# _slapd_find NAME: path of a program, also looking in the sbin
	# directories that a non-root PATH often lacks.
	local p
	p=$(command -v "$1" 2>/dev/null) && { printf '%s\n' "$p"; return 0; }
	for p in /usr/sbin/"$1" /usr/local/sbin/"$1" /sbin/"$1"; do
		if [ -x "$p" ]; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

_slapd_setup_paths() {
	_slapd_bin=${SLAPD_BIN:-$(_slapd_find slapd || echo slapd)}
	_slapadd_bin=${SLAPADD_BIN:-$(_slapd_find slapadd || echo slapadd)}
	_slapd_modulepath=${SLAPD_MODULEPATH:-/usr/lib/ldap}
	_slapd_schemadir=${SLAPD_SCHEMADIR:-/etc/ldap/schema}
}

slapd_available() {
	local s
	_slapd_setup_paths
	[ -x "$_slapd_bin" ] || return 1
	[ -x "$_slapadd_bin" ] || return 1
	command -v ldapsearch >/dev/null 2>&1 || return 1
	command -v python3 >/dev/null 2>&1 || return 1
	[ -e "$_slapd_modulepath/back_mdb.so" ] ||
		[ -e "$_slapd_modulepath/back_mdb.la" ] || return 1
	for s in core cosine inetorgperson nis; do
		[ -r "$_slapd_schemadir/$s.schema" ] || return 1
	done
	return 0
}

_slapd_alive() {
	# Running (or stopped by SIGSTOP), not a zombie.
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		stat=${stat##*) }
		[ "${stat%% *}" != Z ] || return 1
	fi
	return 0
}

_slapd_free_ports() {
	# _slapd_free_ports N: N distinct loopback ports that were free a
	# moment ago, one per line.
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
}

_slapd_urlescape() {
	# Percent-encode everything but unreserved characters (RFC 3986).
	local LC_ALL=C s=$1 out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s\n' "$out"
}

_slapd_write_conf() {
	# _slapd_write_conf DIR
	local dir=$1 s
	{
		printf '# Generated by tests/slapd.sh; removed by slapd_stop.\n'
		for s in core cosine inetorgperson nis; do
			printf 'include %s/%s.schema\n' "$_slapd_schemadir" "$s"
		done
		cat <<EOF
modulepath $_slapd_modulepath
moduleload back_mdb
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
loglevel none

# SASL EXTERNAL over ldapi:// by the user who started slapd reads like
# the service account (and, like it, is subject to the size limits).
authz-regexp "^gidNumber=[0-9]+[+]uidNumber=$(id -u),cn=peercred,cn=external,cn=auth\$"
	"$SLAPD_BIND_DN"
EOF
		if [ "${SLAPD_TLS:-0}" = 1 ]; then
			cat <<EOF

TLSCACertificateFile $dir/ca.pem
TLSCertificateFile $dir/server.pem
TLSCertificateKeyFile $dir/server.key
TLSVerifyClient never
EOF
		fi
		cat <<EOF

database mdb
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ROOT_DN"
rootpw $SLAPD_ROOT_PW
directory $dir/db
maxsize ${SLAPD_MAXSIZE:-4294967296}
index objectClass eq
index cn,uid,mail eq
index member,uniqueMember,memberUid eq

# Non-paged searches stop at 500 entries (sizeLimitExceeded); searches with
# the paged results control may page through any number.
limits * size.soft=500 size.hard=500 size.pr=unlimited size.prtotal=unlimited

access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by dn.exact="$SLAPD_BIND_DN" read
	by * read
EOF
	} >"$dir/slapd.conf"
}

_slapd_install_traps() {
	[ "${SLAPD_NO_TRAP:-0}" = 1 ] && return 0
	[ -n "$(trap -p EXIT)" ] || trap 'slapd_stop' EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
	[ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
	return 0
}

_slapd_ready() {
	# _slapd_ready PORT: does slapd answer a base search?  `timeout`
	# because a port stolen by another program may accept and never answer.
	timeout 3 ldapsearch -x -H "ldap://127.0.0.1:$1" -b "$SLAPD_SUFFIX" \
		-s base -o nettimeout=1 -l 2 1.1 >/dev/null 2>&1
}

slapd_start() {
	local dir ldif sock sockdir="" esc ports port="" port2="" attempt
	local pid="" i ready urls logged

	if [ $# -lt 1 ]; then
		_slapd_err "usage: slapd_start DIR LDIF..."
		return 1
	fi
	if [ -n "${SLAPD_PID:-}" ] && _slapd_alive "$SLAPD_PID"; then
		_slapd_err "slapd already running (pid $SLAPD_PID)"
		return 1
	fi
	_slapd_setup_paths
	if ! slapd_available; then
		_slapd_err "slapd, slapadd, ldapsearch, python3, back_mdb or the schemas are missing"
		return 1
	fi
	dir=$1
	shift
	for ldif in "$@"; do
		if [ ! -r "$ldif" ]; then
			_slapd_err "cannot read LDIF '$ldif'"
			return 1
		fi
	done
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		_slapd_err "'$dir' is not empty (slapd_stop removes it)"
		return 1
	fi
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	mkdir -m 700 "$dir/db" || return 1

	# The instance is ours from here on: slapd_stop cleans up.
	export SLAPD_DIR=$dir
	_slapd_install_traps

	sock=$dir/ldapi
	if [ ${#sock} -gt 100 ]; then
		# sun_path is 108 bytes; deep build trees do not fit.
		sockdir=$(mktemp -d "${TMPDIR:-/tmp}/slapd.XXXXXX") || return 1
		sock=$sockdir/ldapi
	fi
	_slapd_sockdir=$sockdir
	esc=$(_slapd_urlescape "$sock") || return 1
	export SLAPD_LDAPI_URI="ldapi://$esc"

	if [ "${SLAPD_TLS:-0}" = 1 ]; then
		if ! test_ca_make "$dir"; then
			_slapd_err "creating the test certificates failed"
			slapd_stop
			return 1
		fi
	fi
	_slapd_write_conf "$dir" || { slapd_stop; return 1; }

	for ldif in "$@"; do
		if ! "$_slapadd_bin" -f "$dir/slapd.conf" -q -l "$ldif" \
			>"$dir/slapadd.log" 2>&1; then
			_slapd_err "slapadd of '$ldif' failed:"
			tail -n 20 "$dir/slapadd.log" >&2
			slapd_stop
			return 1
		fi
	done

	: >"$dir/slapd.log"
	for attempt in 1 2 3 4 5; do
		ports=$(_slapd_free_ports 2) || { slapd_stop; return 1; }
		port=${ports%%$'\n'*}
		port2=${ports##*$'\n'}
		urls="ldap://127.0.0.1:$port/"
		if [ "${SLAPD_TLS:-0}" = 1 ]; then
			urls="$urls ldaps://127.0.0.1:$port2/"
		fi
		urls="$urls $SLAPD_LDAPI_URI"
		rm -f "$sock"
		logged=$(wc -l <"$dir/slapd.log")
		printf '== attempt %s: %s\n' "$attempt" "$urls" >>"$dir/slapd.log"
		"$_slapd_bin" -d "${SLAPD_DEBUG:-none}" -f "$dir/slapd.conf" \
			-h "$urls" </dev/null >>"$dir/slapd.log" 2>&1 &
		pid=$!
		export SLAPD_PID=$pid
		ready=0
		for i in $(seq 1 100); do
			sleep 0.1
			_slapd_alive "$pid" || break
			if _slapd_ready "$port" && _slapd_alive "$pid"; then
				ready=1
				break
			fi
		done
		[ $ready = 1 ] && break
		if _slapd_alive "$pid"; then
			_slapd_err "slapd (pid $pid) did not answer within 10 s:"
			tail -n 20 "$dir/slapd.log" >&2
			slapd_stop
			return 1
		fi
		wait "$pid" 2>/dev/null || :
		if ! tail -n "+$((logged + 1))" "$dir/slapd.log" |
			grep -q -e 'Address already in use' -e 'bind(.*) failed'; then
			_slapd_err "slapd failed to start:"
			tail -n 20 "$dir/slapd.log" >&2
			slapd_stop
			return 1
		fi
		# Someone took the port between our probe and slapd's bind.
	done
	if [ "$ready" != 1 ]; then
		_slapd_err "no free port after 5 attempts:"
		tail -n 20 "$dir/slapd.log" >&2
		slapd_stop
		return 1
	fi

	export SLAPD_PORT=$port
	export SLAPD_URI="ldap://127.0.0.1:$port"
	if [ "${SLAPD_TLS:-0}" = 1 ]; then
		export SLAPD_LDAPS_PORT=$port2
		export SLAPD_LDAPS_URI="ldaps://127.0.0.1:$port2"
		export SLAPD_CA_FILE=$dir/ca.pem
	else
		unset SLAPD_LDAPS_PORT SLAPD_LDAPS_URI SLAPD_CA_FILE
	fi
	return 0
}

slapd_stop() {
	local pid=${SLAPD_PID:-} dir=${SLAPD_DIR:-} i

	if [ -n "$pid" ] && _slapd_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		kill -CONT "$pid" 2>/dev/null	# in case it was paused
		for i in $(seq 1 100); do
			_slapd_alive "$pid" || break
			sleep 0.1
		done
		if _slapd_alive "$pid"; then
			_slapd_err "slapd (pid $pid) ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
			for i in $(seq 1 50); do
				_slapd_alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	if [ -n "$pid" ]; then
		wait "$pid" 2>/dev/null || :
	fi
	if [ -n "$dir" ] && [ "$dir" != / ] && [ "${SLAPD_KEEP:-0}" != 1 ]; then
		rm -rf -- "$dir"
	fi
	if [ -n "${_slapd_sockdir:-}" ]; then
		rm -rf -- "$_slapd_sockdir"
	fi
	_slapd_sockdir=
	unset SLAPD_PID SLAPD_DIR SLAPD_PORT SLAPD_URI SLAPD_LDAPI_URI \
		SLAPD_LDAPS_PORT SLAPD_LDAPS_URI SLAPD_CA_FILE
	return 0
}

slapd_with_ca() {
	env -u LDAPNOINIT LDAPRC=/nonexistent/ldaprc \
		LDAPTLS_REQCERT=demand LDAPTLS_CACERT="${SLAPD_CA_FILE:-}" "$@"
}

slapd_pause() {
	if [ -z "${SLAPD_PID:-}" ]; then
		_slapd_err "slapd_pause: no slapd running"
		return 1
	fi
	kill -STOP "$SLAPD_PID"
}

slapd_resume() {
	if [ -z "${SLAPD_PID:-}" ]; then
		_slapd_err "slapd_resume: no slapd running"
		return 1
	fi
	kill -CONT "$SLAPD_PID"
}
