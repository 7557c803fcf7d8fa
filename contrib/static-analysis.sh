#!/bin/sh
# contrib/static-analysis.sh [BUILD_DIR] - static analysis with zero
# reports allowed: clang's scan-build over an out-of-tree build of the
# whole project (the program, its library and the unit tests), then
# cppcheck over src/, tests/unit/ and tests/fuzz/ with the committed
# suppression list (contrib/cppcheck-suppressions.txt, each entry
# justified there).
# Prints "  PASS: ..." or "  FAIL: ..." for each tool, as contrib/test.sh
# counts them, and exits non-zero when either failed.
#
# Needs: clang-tools (scan-build), cppcheck, and the build dependencies
# of contrib/deps.sh.  BUILD_DIR defaults to build/scan; scan-build's HTML
# reports go to BUILD_DIR/report.
set -u
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
dir=${1:-$top/build/scan}
status=0

for tool in scan-build cppcheck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "  FAIL: $tool: not installed"
		exit 1
	fi
done
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
	{ echo "  FAIL: scan-build: autoreconf failed"; exit 1; }

# ---- scan-build: the analyzer's default checkers (core, unix, deadcode,
# security, nullability ...) over every compilation, unit tests included
# (`make check TESTS=` builds them without running them).
rm -rf "$dir"
mkdir -p "$dir" || exit 1
if ! (cd "$dir" && scan-build "$top/configure" --enable-werror \
    >configure.out 2>&1); then
	echo "  FAIL: scan-build: configure failed (see $dir/configure.out)"
	status=1
elif (cd "$dir" && scan-build -o "$dir/report" --status-bugs \
    -enable-checker security.insecureAPI.strcpy \
    -enable-checker security.FloatLoopCounter \
    -enable-checker unix.cstring.BadSizeArg \
    make -j"$(nproc 2>/dev/null || echo 2)" check TESTS= >make.out 2>&1); then
	n=$(grep -c -E '^ *CC ' "$dir/make.out")
	echo "  PASS: scan-build ($n files analysed)"
else
	grep -E 'warning: .*\[' "$dir/make.out" | sed 's/^/    /'
	n=$(grep -c -E 'warning: .*\[' "$dir/make.out")
	echo "  FAIL: scan-build: $n report(s) (see $dir/report)"
	status=1
fi

# ---- cppcheck: warnings, style, performance and portability; only the
# committed suppressions, never inline ones.
out=$dir/cppcheck.out
if cppcheck --std=c11 --language=c --library=posix \
    --enable=warning,style,performance,portability \
    --suppressions-list="$top/contrib/cppcheck-suppressions.txt" \
    --error-exitcode=1 --quiet \
    -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' -DLOCALSTATEDIR='"/var"' \
    -DRUNSTATEDIR='"/run"' -DPACKAGE_VERSION='"0"' -I "$top/src" \
    --template='{file}:{line}: {severity}: {message} [{id}]' \
    "$top/src" "$top/tests/unit" "$top/tests/fuzz" >"$out" 2>&1; then
	echo "  PASS: cppcheck"
else
	grep -E '^[^ ].*: .*\[' "$out" | sed 's/^/    /'
	echo "  FAIL: cppcheck: $(grep -c -E '^[^ ].*: .*\[' "$out") report(s)"
	status=1
fi
exit $status
