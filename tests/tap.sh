# tests/tap.sh - TAP output for the shell tests (sourced, POSIX sh).
#
# ok DESC, not_ok DESC [DETAIL...], skip DESC REASON, check DESC CMD...,
# is DESC GOT WANT, contains DESC HAYSTACK NEEDLE, diag TEXT...,
# tap_skip_all REASON and tap_done (prints the plan; exits 0 when
# nothing failed).  TAP_OUT is where check keeps a command's output.

TAP_N=0
TAP_FAILED=0
: "${TAP_OUT:=${TMPDIR:-/tmp}/tap.$$.out}"

ok() {          # ok DESC
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

not_ok() {      # not_ok DESC [DETAIL...]
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

skip() {        # skip DESC REASON
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

diag() {        # diag TEXT...: comment lines
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

check() {       # check DESC CMD...: passes when CMD exits 0
	_desc=$1
	shift
	if "$@" >"$TAP_OUT" 2>&1; then
		ok "$_desc"
	else
		not_ok "$_desc" "command failed: $*" "$(head -c 4000 "$TAP_OUT")"
	fi
	rm -f "$TAP_OUT"
}

is() {          # is DESC GOT WANT
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got:  $2" "want: $3"
	fi
}

contains() {    # contains DESC HAYSTACK NEEDLE
	case $2 in
	*"$3"*) ok "$1" ;;
	*) not_ok "$1" "missing: $3" "in: $(printf '%s' "$2" | head -c 3000)" ;;
	esac
}

tap_skip_all() {        # tap_skip_all REASON
	echo "1..0 # SKIP $1"
	exit 0
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
