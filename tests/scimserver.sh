# tests/scimserver.sh - a throwaway SCIM 2.0 service provider with users
# and groups in memory, bearer tokens, paging and vendors' faults
# (throttling, outages, capped pages, lagging lists):
# tests/scimserver/scimserver.js on scimmy and scimmy-routers (sourced,
# bash).
#
#   . "$top_srcdir/tests/scimserver.sh"
#   scimserver_available; case $? in 0) ;; 1) skip ;; *) fail ;; esac
#   scimserver_start "$T/scim" --seed "$T/seed.json" --max-count 100 ...
#   curl -H "Authorization: Bearer $SCIMSERVER_TOKEN" \
#       "$SCIMSERVER_URL/Users?startIndex=1&count=100"
#   scimserver_state | python3 -c '...'
#   scimserver_stop
#
# scimserver_available
#                     0: node and the pinned express, scimmy and
#                     scimmy-routers are there (installed now if need be);
#                     1: no node, or no curl, on this machine (skip the
#                     test); 2: node is there but installing the modules
#                     failed, with npm's words on stderr (fail the test).
#                     They are installed with `npm ci` from
#                     tests/scimserver/package-lock.json into
#                     SCIMSERVER_MODULES (default
#                     $top_builddir/tests/scimserver-modules, never the
#                     source tree), once: parallel tests wait on a lock, and
#                     a later run reuses the install while the lockfile is
#                     unchanged.
# scimserver_start DIR [SERVER-OPTION...]
#                     DIR must not exist or be empty; it is created with
#                     mode 700 and removed by scimserver_stop.  DIR/token
#                     (mode 600) holds SCIMSERVER_TOKEN, which the server
#                     wants as "Authorization: Bearer ..." (it reads the
#                     file on every request: a test may rewrite it).  The
#                     server listens on a free loopback port (it picks it
#                     and writes it to DIR/port); further options go to
#                     scimserver.js (see its header: --seed FILE,
#                     --throttle P, --unavailable P, --retry-after S,
#                     --random-seed N, --max-count N, --refuse-user USERNAME, --hide-from-list
#                     USERNAME, --fault-writes-only; a later --token-file
#                     or --log wins).  Returns when it answers; non-zero,
#                     with the log on stderr, if it does not start.
#                     Exports SCIMSERVER_PORT, SCIMSERVER_URL
#                     (http://127.0.0.1:PORT/scim/v2, the SCIM base),
#                     SCIMSERVER_TOKEN_FILE (DIR/token), SCIMSERVER_PID,
#                     SCIMSERVER_DIR and SCIMSERVER_LOG (DIR/scimserver.log:
#                     one line per SCIM request, see scimserver.js, and its
#                     stderr).  With SCIMSERVER_TLS=1 it serves https:// with
#                     a certificate of tests/testca.sh and exports
#                     SCIMSERVER_CA_FILE as well.
# scimserver_stop     SIGTERM, wait up to 10 s, then SIGKILL; remove DIR
#                     (unless SCIMSERVER_KEEP=1) and unset the instance
#                     variables.  Safe to repeat.
# scimserver_requests PATTERN
#                     how many lines of the request log match the extended
#                     regular expression PATTERN, e.g.
#                     '^POST /scim/v2/Users 201 ' or ' fault=429$'.
# scimserver_state    prints GET /_test/state: the users, the groups (their
#                     members by userName), and the counters writes,
#                     requests and faults, as JSON.
# scimserver_put_state FILE
#                     replaces the users and groups with the seed document
#                     FILE (PUT /_test/state); the counters and the log carry
#                     on.
# scimserver_faults JSON
#                     changes fault settings at run time (POST
#                     /_test/faults), e.g. '{"throttle": 0.5}',
#                     '{"max-count": null}', '{"hide-from-list": ["x"]}'.
#                     The last three print nothing and return 0 when the
#                     server took it, or print its answer on stderr and
#                     return 1.
#
# Constants (exported): SCIMSERVER_TOKEN.  Unless SCIMSERVER_NO_TRAP=1,
# scimserver_start installs `trap scimserver_stop EXIT` when the shell has
# none.  One instance per shell; works with `set -u`.  Needs node and
# curl.

. "$(dirname "${BASH_SOURCE[0]}")/testca.sh"
. "$(dirname "${BASH_SOURCE[0]}")/npm_modules.sh"

export SCIMSERVER_TOKEN='scim-test-token-4f1d9c2e7b'

_scimserver_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/scimserver" && pwd)

_scimserver_err() {
	printf 'scimserver.sh: %s\n' "$*" >&2
}

_scimserver_cache() {
	local dir=${top_builddir:-$PWD}/tests/scimserver-modules
	printf '%s\n' "${SCIMSERVER_MODULES:-$dir}"
}

scimserver_available() {
	local cache
	command -v node >/dev/null 2>&1 || return 1
	command -v curl >/dev/null 2>&1 || return 1
	cache=$(_scimserver_cache)
	npm_modules "$_scimserver_src" "$cache" express scimmy scimmy-routers ||
		return 2
	_scimserver_node_path=$cache/node_modules
	return 0
}

_scimserver_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
		stat=${stat##*) }
		[ "${stat%% *}" != Z ] || return 1
	fi
	return 0
}

# _scimserver_curl URL [CURL-ARGS...]: curl for the test server: no proxy,
# its CA when it serves TLS, a short timeout.
_scimserver_curl() {
	local url=$1
	shift
	local ca=()
	[ -z "${SCIMSERVER_CA_FILE:-}" ] || ca=(--cacert "$SCIMSERVER_CA_FILE")
	curl -s -S --noproxy '*' --max-time 30 ${ca[@]+"${ca[@]}"} "$@" "$url"
}

_scimserver_ready() {
	_scimserver_curl "$1/_test/faults" --max-time 3 -f -o /dev/null \
		2>/dev/null
}

# _scimserver_control METHOD PATH [CURL-ARGS...]: a request to the test
# control endpoints; the answer on stdout when it is 200, else on stderr
# (and status 1).
_scimserver_control() {
	local method=$1 path=$2 out code
	shift 2
	if [ -z "${SCIMSERVER_URL:-}" ] || [ -z "${SCIMSERVER_DIR:-}" ]; then
		_scimserver_err "the server does not run (scimserver_start)"
		return 1
	fi
	out=$SCIMSERVER_DIR/control.out
	code=$(_scimserver_curl "${SCIMSERVER_URL%/scim/v2}$path" -X "$method" \
		-o "$out" -w '%{http_code}' "$@") || {
		_scimserver_err "$method $path: curl failed"
		return 1
	}
	if [ "$code" != 200 ]; then
		_scimserver_err "$method $path: $code $(cat "$out")"
		rm -f "$out"
		return 1
	fi
	printf '%s\n' "$(cat "$out")"
	rm -f "$out"
}

_scimserver_install_traps() {
	[ "${SCIMSERVER_NO_TRAP:-0}" = 1 ] && return 0
	[ -n "$(trap -p EXIT)" ] || trap 'scimserver_stop' EXIT
	[ -n "$(trap -p INT)" ] || trap 'exit 130' INT
	[ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
	[ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
	return 0
}

scimserver_start() {
	local dir pid port="" scheme=http i
	local tls=()
	if [ $# -lt 1 ]; then
		_scimserver_err "usage: scimserver_start DIR [SERVER-OPTION...]"
		return 1
	fi
	if [ -n "${SCIMSERVER_PID:-}" ] && _scimserver_alive "$SCIMSERVER_PID"; then
		_scimserver_err "the server already runs (pid $SCIMSERVER_PID)"
		return 1
	fi
	dir=$1
	shift
	if [ -z "${_scimserver_node_path:-}" ] && ! scimserver_available; then
		_scimserver_err "node, curl or scimmy is missing (see scimserver_available)"
		return 1
	fi
	if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		_scimserver_err "'$dir' is not empty (scimserver_stop removes it)"
		return 1
	fi
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	export SCIMSERVER_DIR=$dir
	export SCIMSERVER_LOG=$dir/scimserver.log
	export SCIMSERVER_TOKEN_FILE=$dir/token
	_scimserver_install_traps

	(umask 077 && printf '%s\n' "$SCIMSERVER_TOKEN" >"$SCIMSERVER_TOKEN_FILE") &&
		chmod 600 "$SCIMSERVER_TOKEN_FILE" || {
		scimserver_stop
		return 1
	}

	if [ "${SCIMSERVER_TLS:-0}" = 1 ]; then
		if ! test_ca_make "$dir"; then
			_scimserver_err "creating the test certificates failed"
			scimserver_stop
			return 1
		fi
		export SCIMSERVER_CA_FILE=$dir/ca.pem
		tls=(--tls-cert "$dir/server.pem" --tls-key "$dir/server.key")
		scheme=https
	else
		unset SCIMSERVER_CA_FILE
	fi

	: >"$SCIMSERVER_LOG"
	NODE_PATH=$_scimserver_node_path node "$_scimserver_src/scimserver.js" \
		--token-file "$SCIMSERVER_TOKEN_FILE" --port-file "$dir/port" \
		--log "$SCIMSERVER_LOG" ${tls[@]+"${tls[@]}"} \
		"$@" </dev/null 2>>"$SCIMSERVER_LOG" &
	pid=$!
	export SCIMSERVER_PID=$pid
	for i in $(seq 1 100); do
		if [ -s "$dir/port" ]; then
			port=$(cat "$dir/port")
			_scimserver_ready "$scheme://127.0.0.1:$port" && break
		fi
		_scimserver_alive "$pid" || break
		sleep 0.1
		port=""
	done
	if [ -z "$port" ] || ! _scimserver_alive "$pid"; then
		_scimserver_err "the server did not answer within 10 s:"
		tail -n 20 "$SCIMSERVER_LOG" >&2
		scimserver_stop
		return 1
	fi
	export SCIMSERVER_PORT=$port
	export SCIMSERVER_URL=$scheme://127.0.0.1:$port/scim/v2
	return 0
}

scimserver_stop() {
	local pid=${SCIMSERVER_PID:-} dir=${SCIMSERVER_DIR:-} i
	if [ -n "$pid" ] && _scimserver_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 100); do
			_scimserver_alive "$pid" || break
			sleep 0.1
		done
		if _scimserver_alive "$pid"; then
			_scimserver_err "the server (pid $pid) ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	if [ -n "$pid" ]; then
		wait "$pid" 2>/dev/null || :
	fi
	if [ -n "$dir" ] && [ "$dir" != / ] && [ "${SCIMSERVER_KEEP:-0}" != 1 ]; then
		rm -rf -- "$dir"
	fi
	unset SCIMSERVER_PID SCIMSERVER_DIR SCIMSERVER_PORT SCIMSERVER_URL \
		SCIMSERVER_LOG SCIMSERVER_TOKEN_FILE SCIMSERVER_CA_FILE
	return 0
}

scimserver_requests() {
	grep -c -E -e "$1" "${SCIMSERVER_LOG:-/dev/null}"
}

scimserver_state() {
	_scimserver_control GET /_test/state
}

scimserver_put_state() {
	if [ ! -r "${1:-}" ]; then
		_scimserver_err "cannot read the seed '${1:-}'"
		return 1
	fi
	_scimserver_control PUT /_test/state -H 'Content-Type: application/json' \
		--data-binary "@$1" >/dev/null
}

scimserver_faults() {
	_scimserver_control POST /_test/faults -H 'Content-Type: application/json' \
		--data-binary "${1:-}" >/dev/null
}
