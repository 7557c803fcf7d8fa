#!/bin/sh
# tests/fuzz/build.sh [DIR] - build the libFuzzer targets into DIR
# (default build/fuzz): licsync's library configured with clang and
# -fsanitize=fuzzer-no-link,address,undefined, each fuzz_*.c linked
# with -fsanitize=fuzzer.  Needs clang and its runtime (Debian clang,
# libclang-rt-dev) and the build dependencies of contrib/deps.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
dir=${1:-$top/build/fuzz}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link"
jobs=$(nproc 2>/dev/null || echo 2)

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang not installed" >&2; exit 1; }
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
	{ echo "fuzz: autoreconf failed" >&2; exit 1; }
mkdir -p "$dir/obj" || exit 1
if [ ! -f "$dir/obj/Makefile" ]; then
	(cd "$dir/obj" && "$top/configure" --enable-werror CC=clang \
	    CFLAGS="$cflags" >configure.out 2>&1) ||
		{ cat "$dir/obj/configure.out" >&2; exit 1; }
fi
make -C "$dir/obj" -j"$jobs" src/liblicsync.a >"$dir/obj/make.out" 2>&1 ||
	{ cat "$dir/obj/make.out" >&2; exit 1; }

pkgs="ldap lber yaml-0.1 sqlite3 libcurl jansson libcrypto"
# shellcheck disable=SC2086
libs=$(pkg-config --libs $pkgs) || exit 1
# shellcheck disable=SC2086
incs=$(pkg-config --cflags $pkgs) || exit 1
for src in "$top"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	clang -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $cflags $incs \
	    -I"$top/src" -I"$top/tests/fuzz" -fsanitize=fuzzer \
	    -o "$dir/$name" "$src" "$top/tests/fuzz/fuzz.c" \
	    "$top/src/util/clock.c" "$dir/obj/src/liblicsync.a" $libs -lm -pthread ||
		{ echo "fuzz: $name did not build" >&2; exit 1; }
done
