# tests/tap.sh - TAP output for the shell tests (sourced, POSIX sh).
#
# ok DESC, not_ok DESC [DETAIL...], skip DESC REASON, check DESC CMD...,
# check_rc WANT DESC CMD..., is DESC GOT WANT, contains DESC HAYSTACK
# NEEDLE, wait_for DESC SECONDS CMD..., diag [TEXT...], tap_skip_all
# REASON and tap_done (prints the plan; exits 0 when nothing failed).
# TAP_OUT is where check keeps a command's output.  TAP_DIAG, when set,
# is a command whose output every failure adds to its diagnostics (the
# state a test's failures have in common, such as the last response).
# The helpers' own variables all start with _tap_.

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
	[ $# -eq 0 ] || diag "$@"
	if [ -n "${TAP_DIAG:-}" ]; then
		diag "$($TAP_DIAG 2>&1)"
	fi
}

skip() {        # skip DESC REASON
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

diag() {        # diag [TEXT...]: comment lines; no TEXT: stdin's lines
	if [ $# -eq 0 ]; then
		sed 's/^/# /'
		return
	fi
	for _tap_line in "$@"; do
		printf '%s\n' "$_tap_line" | sed 's/^/# /'
	done
}

check() {       # check DESC CMD...: passes when CMD exits 0
	_tap_desc=$1
	shift
	if "$@" >"$TAP_OUT" 2>&1; then
		ok "$_tap_desc"
	else
		not_ok "$_tap_desc" "command failed: $*" "$(head -c 4000 "$TAP_OUT")"
	fi
	rm -f "$TAP_OUT"
}

check_rc() {    # check_rc WANT DESC CMD...: passes when CMD exits WANT
	_tap_want=$1
	_tap_desc=$2
	shift 2
	"$@" >"$TAP_OUT" 2>&1
	_tap_rc=$?
	if [ "$_tap_rc" = "$_tap_want" ]; then
		ok "$_tap_desc"
	else
		not_ok "$_tap_desc" "$(head -c 4000 "$TAP_OUT")" \
			"command: $*" "exit status $_tap_rc, expected $_tap_want"
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

# wait_for DESC SECONDS CMD...: runs CMD every 0.1 s until it exits 0
# (passes) or SECONDS (a whole number) have gone by (fails, naming CMD and
# showing its last output).  Returns CMD's last status, so a test can stop
# when what it waited for never came.
wait_for() {
	_tap_desc=$1
	_tap_tries=$(($2 * 10))
	shift 2
	while ! "$@" >"$TAP_OUT" 2>&1; do
		_tap_tries=$((_tap_tries - 1))
		if [ "$_tap_tries" -le 0 ]; then
			not_ok "$_tap_desc" \
				"timed out waiting for: $*" "$(head -c 4000 "$TAP_OUT")"
			rm -f "$TAP_OUT"
			return 1
		fi
		sleep 0.1
	done
	rm -f "$TAP_OUT"
	ok "$_tap_desc"
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
