# tests/adserver.sh - a throwaway LDAP server that behaves like Active
# Directory where Samba does not (MaxValRange, MaxPageSize, continuation
# references): tests/adserver/adserver.js on ldapjs (sourced, bash).
#
#   . "$top_srcdir/tests/adserver.sh"
#   adserver_available; case $? in 0) ;; 1) skip ;; *) fail ;; esac
#   adserver_start "$T/ad" "$T/ad.ldif" --max-val-range 1500 ...
#   ldapsearch -x -H "$ADSERVER_URI" -D "$ADSERVER_BIND_DN" \
#       -w "$ADSERVER_BIND_PW" -b "$ADSERVER_BASE" ...
#   adserver_stop
#
# adserver_available  0: node and the pinned ldapjs are there (installed
#                     now if need be); 1: no node on this machine (skip
#                     the test); 2: node is there but installing ldapjs
#                     failed, with npm's words on stderr (fail the test).
#                     ldapjs is installed with `npm ci` from
#                     tests/adserver/package-lock.json into ADSERVER_MODULES
#                     (default $top_builddir/tests/adserver-modules, never
#                     the source tree), once: parallel tests wait on a lock,
#                     and a later run reuses the install while the lockfile
#                     is unchanged.
# adserver_start DIR LDIF [SERVER-OPTION...]
#                     DIR must not exist or be empty; it is created with
#                     mode 700 and removed by adserver_stop.  The server
#                     listens on a free loopback port (it picks it and writes
#                     it to DIR/port), with --base ADSERVER_BASE and the bind
#                     account below; further options go to adserver.js (see
#                     its header; a later --bind-dn wins).  Returns when it
#                     answers a rootDSE search; non-zero, with the log on
#                     stderr, if it does not start.  Exports ADSERVER_PORT,
#                     ADSERVER_URI (ldap://127.0.0.1:PORT), ADSERVER_PID,
#                     ADSERVER_DIR and ADSERVER_LOG (DIR/adserver.log: one
#                     line per request, see adserver.js, and its stderr).
#                     With ADSERVER_TLS=1 it serves ldaps:// with a
#                     certificate of tests/testca.sh and exports
#                     ADSERVER_CA_FILE as well.
# adserver_stop       SIGTERM, wait up to 10 s, then SIGKILL; remove DIR
#                     (unless ADSERVER_KEEP=1) and unset the instance
#                     variables.  Safe to repeat.
# adserver_requests PATTERN
#                     how many lines of the request log match the extended
#                     regular expression PATTERN.
#
# Constants (exported): ADSERVER_BASE ADSERVER_BIND_DN ADSERVER_BIND_PW.
# Unless ADSERVER_NO_TRAP=1, adserver_start installs `trap adserver_stop
# EXIT` when the shell has none.  One instance per shell; works with
# `set -u`.  Needs node; the start-up check also needs ldapsearch.

. "$(dirname "${BASH_SOURCE[0]}")/testca.sh"
. "$(dirname "${BASH_SOURCE[0]}")/npm_modules.sh"

export LDAPNOINIT=1
export ADSERVER_BASE='DC=example,DC=test'
export ADSERVER_BIND_DN="CN=svc-licsync,CN=Users,$ADSERVER_BASE"
export ADSERVER_BIND_PW='ad-bind-secret-7'

_adserver_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/adserver" && pwd)

_adserver_err() {
	printf 'adserver.sh: %s\n' "$*" >&2
}

_adserver_cache() {
	local dir=${top_builddir:-$PWD}/tests/adserver-modules
	printf '%s\n' "${ADSERVER_MODULES:-$dir}"
}

adserver_available() {
	local cache
	command -v node >/dev/null 2>&1 || return 1
	cache=$(_adserver_cache)
	npm_modules "$_adserver_src" "$cache" ldapjs || return 2
	_adserver_node_path=$cache/node_modules
	return 0
}

_adserver_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		stat=${stat##*) }
		[ "${stat%% *}" != Z ] || return 1
	fi
	return 0
}

_adserver_ready() {
	local uri=$1
	env -u LDAPNOINIT LDAPRC=/nonexistent/ldaprc LDAPTLS_REQCERT=demand \
		LDAPTLS_CACERT="${ADSERVER_CA_FILE:-}" \
		timeout 3 ldapsearch -x -H "$uri" -b "" -s base \
		-o nettimeout=1 -l 2 supportedCapabilities >/dev/null 2>&1
}

_adserver_install_traps() {
	[ "${ADSERVER_NO_TRAP:-0}" = 1 ] && return 0
	[ -n "$(trap -p EXIT)" ] || trap 'adserver_stop' EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
	[ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
	return 0
}

adserver_start() {
	local dir ldif pid port="" scheme=ldap i
	local tls=()
	if [ $# -lt 2 ]; then
		_adserver_err "usage: adserver_start DIR LDIF [SERVER-OPTION...]"
		return 1
	fi
	if [ -n "${ADSERVER_PID:-}" ] && _adserver_alive "$ADSERVER_PID"; then
		_adserver_err "the server already runs (pid $ADSERVER_PID)"
		return 1
	fi
	dir=$1
	ldif=$2
	shift 2
	if [ -z "${_adserver_node_path:-}" ] && ! adserver_available; then
		_adserver_err "node or ldapjs is missing (see adserver_available)"
		return 1
	fi
	if [ ! -r "$ldif" ]; then
		_adserver_err "cannot read LDIF '$ldif'"
		return 1
	fi
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		_adserver_err "'$dir' is not empty (adserver_stop removes it)"
		return 1
	fi
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	export ADSERVER_DIR=$dir
	export ADSERVER_LOG=$dir/adserver.log
	_adserver_install_traps

	if [ "${ADSERVER_TLS:-0}" = 1 ]; then
		if ! test_ca_make "$dir"; then
			_adserver_err "creating the test certificates failed"
			adserver_stop
			return 1
		fi
		export ADSERVER_CA_FILE=$dir/ca.pem
		tls=(--tls-cert "$dir/server.pem" --tls-key "$dir/server.key")
		scheme=ldaps
	else
		unset ADSERVER_CA_FILE
	fi

	: >"$ADSERVER_LOG"
	NODE_PATH=$_adserver_node_path node "$_adserver_src/adserver.js" \
		--port-file "$dir/port" --log "$ADSERVER_LOG" \
		--base "$ADSERVER_BASE" --bind-dn "$ADSERVER_BIND_DN" \
		--bind-password "$ADSERVER_BIND_PW" ${tls[@]+"${tls[@]}"} \
		"$@" "$ldif" </dev/null 2>>"$ADSERVER_LOG" &
	pid=$!
	export ADSERVER_PID=$pid
	for i in $(seq 1 100); do
		if [ -s "$dir/port" ]; then
			port=$(cat "$dir/port")
			_adserver_ready "$scheme://127.0.0.1:$port" && break
		fi
		_adserver_alive "$pid" || break
		sleep 0.1
		port=""
	done
	if [ -z "$port" ] || ! _adserver_alive "$pid"; then
		_adserver_err "the server did not answer within 10 s:"
		tail -n 20 "$ADSERVER_LOG" >&2
		adserver_stop
		return 1
	fi
	export ADSERVER_PORT=$port
	export ADSERVER_URI=$scheme://127.0.0.1:$port
	return 0
}

adserver_stop() {
	local pid=${ADSERVER_PID:-} dir=${ADSERVER_DIR:-} i
	if [ -n "$pid" ] && _adserver_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 100); do
			_adserver_alive "$pid" || break
			sleep 0.1
		done
		if _adserver_alive "$pid"; then
			_adserver_err "the server (pid $pid) ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	if [ -n "$pid" ]; then
		wait "$pid" 2>/dev/null || :
	fi
	if [ -n "$dir" ] && [ "$dir" != / ] && [ "${ADSERVER_KEEP:-0}" != 1 ]; then
		rm -rf -- "$dir"
	fi
	unset ADSERVER_PID ADSERVER_DIR ADSERVER_PORT ADSERVER_URI ADSERVER_LOG \
		ADSERVER_CA_FILE
	return 0
}

adserver_requests() {
	grep -c -E -e "$1" "${ADSERVER_LOG:-/dev/null}"
}
