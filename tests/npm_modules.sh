# tests/npm_modules.sh - the pinned npm modules of a test server,
# installed once into the build tree (sourced, bash; by adserver.sh and
# scimserver.sh).
#
# npm_modules SRC CACHE MODULE...
#     Make CACHE/node_modules hold what SRC/package-lock.json pins, with
#     `npm ci` (never in the source tree), unless CACHE/.installed already
#     holds the checksum of SRC's package.json and package-lock.json and
#     every MODULE is there.  Parallel tests wait on CACHE/.lock (flock),
#     so one installs and the others reuse it.  Returns 0 when the modules
#     are there, 2 (npm's words on stderr) when they could not be
#     installed; the caller checks for node first.

_npm_modules_err() {
	printf 'npm_modules.sh: %s\n' "$*" >&2
}

# The install is current when its stamp holds this checksum.
_npm_modules_want() {
	cat "$1/package.json" "$1/package-lock.json" | sha256sum | cut -d' ' -f1
}

_npm_modules_current() {       # CACHE WANT MODULE...
	local cache=$1 want=$2 m
	shift 2
	[ -f "$cache/.installed" ] && [ "$(cat "$cache/.installed")" = "$want" ] ||
		return 1
	for m in "$@"; do
		[ -d "$cache/node_modules/$m" ] || return 1
	done
}

# _npm_modules_ci SRC CACHE WANT MODULE...: npm ci, holding CACHE/.lock.
_npm_modules_ci() {
	local src=$1 cache=$2 want=$3 lock f
	shift 3
	mkdir -p "$cache" || return 1
	if command -v flock >/dev/null 2>&1; then
		exec {lock}>"$cache/.lock" || return 1
		if ! flock -w 600 "$lock"; then
			_npm_modules_err "timed out waiting for $cache/.lock"
			exec {lock}>&-
			return 1
		fi
	fi
	if ! _npm_modules_current "$cache" "$want" "$@"; then
		rm -f "$cache/.installed"
		for f in package.json package-lock.json; do
			# (the copies must stay writable: distcheck's sources are not)
			rm -f "$cache/$f" && cat "$src/$f" >"$cache/$f" ||
				{ [ -z "${lock:-}" ] || exec {lock}>&-; return 1; }
		done
		if ! (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts \
			--loglevel=error) >"$cache/npm-ci.log" 2>&1; then
			_npm_modules_err "npm ci in $cache failed:"
			tail -n 20 "$cache/npm-ci.log" >&2
			[ -z "${lock:-}" ] || exec {lock}>&-
			return 1
		fi
		printf '%s\n' "$want" >"$cache/.installed"
	fi
	[ -z "${lock:-}" ] || exec {lock}>&-
	return 0
}

npm_modules() {
	local src=$1 cache=$2 want
	shift 2
	want=$(_npm_modules_want "$src") || return 2
	_npm_modules_current "$cache" "$want" "$@" && return 0
	if ! command -v npm >/dev/null 2>&1; then
		_npm_modules_err "node is installed but npm is not: cannot install $*"
		return 2
	fi
	_npm_modules_ci "$src" "$cache" "$want" "$@" || return 2
}
