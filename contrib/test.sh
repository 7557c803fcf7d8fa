#!/bin/sh
# contrib/test.sh - install what is missing, build with -Werror, run the
# test suite, then run it again under AddressSanitizer and
# UndefinedBehaviorSanitizer; check the release tarball, run static
# analysis, every fuzz target (LICSYNC_FUZZ_SECONDS each, default 30) and
# the README's first command from a fresh clone; end with "N passed, N
# failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/contrib/deps.sh"
# shellcheck disable=SC2086
install_missing $LICSYNC_BUILD_DEPS $LICSYNC_TEST_DEPS || exit 1
install_node || exit 1
# shellcheck disable=SC2086
install_missing $LICSYNC_OPTIONAL_DEPS ||
	echo "note: $LICSYNC_OPTIONAL_DEPS not installed; those tests skip"

jobs=$(nproc 2>/dev/null || echo 2)
cd "$top" || exit 1
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }

status=0
run_suite() {   # NAME CONFIGURE-ARGS...
	name=$1
	shift
	dir="$top/build/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "== $name: configure $*"
	(cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1) ||
		{ cat "$dir/configure.out"; status=1; return; }
	echo "== $name: make"
	make -C "$dir" -j"$jobs" >"$dir/make.out" 2>&1 ||
		{ cat "$dir/make.out"; status=1; return; }
	echo "== $name: make check"
	make -C "$dir" -j"$jobs" check >"$dir/check.out" 2>&1 || status=1
	grep -h -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' "$dir/check.out" |
		sed "s/^/  /"
	for log in $(find "$dir/tests" -name '*.log' ! -name 'test-suite.log'); do
		if grep -q -E '^(FAIL|ERROR|XPASS)' "${log%.log}.trs" 2>/dev/null ||
		    grep -q '^:test-result: \(FAIL\|ERROR\|XPASS\)' "${log%.log}.trs" 2>/dev/null; then
			echo "---- $log"
			tail -n 60 "$log"
		fi
	done
}

run_suite werror
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_suite sanitize \
	CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	LDFLAGS="-fsanitize=address,undefined"

# The release tarball must build and pass its own tests.
passed=0
failed=0
skipped=0
if [ -f "$top/build/werror/Makefile" ]; then
	echo "== make distcheck"
	if make -C "$top/build/werror" distcheck >"$top/build/distcheck.out" 2>&1; then
		echo "  PASS: make distcheck"
		passed=1
	else
		tail -n 40 "$top/build/distcheck.out"
		echo "  FAIL: make distcheck"
		failed=1
		status=1
	fi
fi

# Steps that print "  PASS: ..." / "  FAIL: ..." lines of their own:
# each line counts; a step that fails without one counts as one failure.
step() {        # NAME COMMAND...
	name=$1
	shift
	echo "== $name"
	"$@" >"$top/build/$name.out" 2>&1
	rc=$?
	grep -E '^  (PASS|FAIL|SKIP):|^    ' "$top/build/$name.out"
	p=$(grep -c '^  PASS:' "$top/build/$name.out")
	f=$(grep -c '^  FAIL:' "$top/build/$name.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		tail -n 40 "$top/build/$name.out"
		echo "  FAIL: $name: exit $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || status=1
}

# Zero reports from scan-build and cppcheck.
step static-analysis sh "$top/contrib/static-analysis.sh" "$top/build/scan"
# Every fuzz target for a bounded time, from the committed seeds.
step fuzz env FUZZ_DIR="$top/build/fuzz" \
	sh "$top/tests/fuzz/run.sh" "${LICSYNC_FUZZ_SECONDS:-30}"
# The README's first command, in a fresh clone of what is committed.
if git -C "$top" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	step fresh-clone bash "$top/contrib/fresh-clone.sh"
else
	echo "== fresh-clone"
	echo "  SKIP: not a git checkout, nothing committed to clone"
	skipped=$((skipped + 1))
fi

# No test secret may show in anything a test run printed or logged (the
# integration tests also grep their own outputs and databases).
secrets_seen=$(grep -r -l -a -e 'bind-secret-42' -e 'test-secret-value' \
	--include='*.log' --include='*.out' "$top/build/werror" \
	"$top/build/sanitize" 2>/dev/null | grep -v '/config.log$' || true)
if [ -z "$secrets_seen" ]; then
	echo "  PASS: no test secret in any test output"
	passed=$((passed + 1))
else
	echo "  FAIL: test secrets found in: $secrets_seen"
	failed=$((failed + 1))
	status=1
fi

# Count every TAP result of both suites.
for trs in $(find "$top/build/werror" "$top/build/sanitize" -name '*.trs' 2>/dev/null); do
	p=$(grep -c '^:test-result: PASS' "$trs")
	f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs")
	s=$(grep -c '^:test-result: SKIP' "$trs")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done
[ "$passed" -gt 0 ] || status=1
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
