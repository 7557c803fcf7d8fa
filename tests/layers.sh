#!/bin/sh
# layers.sh - the layering of src/: every #include of every module obeys
# src/LAYERS, and no include cycle exists (tests/layers.py).  It first
# shows that the checker catches what it should, on small made-up trees.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/licsync-layers.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
TAP_OUT=$T/tap.out
. "$top_srcdir/tests/tap.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

# tree NAME LAYER... : an empty made-up src/ with these layers
tree() {
	d=$T/$1
	shift
	mkdir -p "$d"
	: >"$d/LAYERS"
	for l in "$@"; do
		printf '%s  the %s layer\n' "$l" "$l" >>"$d/LAYERS"
		mkdir -p "$d/$l"
	done
}
# file TREE PATH INCLUDE... : PATH includes these headers
file() {
	f=$T/$1/$2
	shift 2
	: >"$f"
	for i in "$@"; do
		printf '#include "%s"\n' "$i" >>"$f"
	done
}
# verdict DESC WANT TREE [NEEDLE]: the checker's exit status on TREE,
# and a line of its output containing NEEDLE
verdict() {
	python3 "$top_srcdir/tests/layers.py" "$T/$3" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$2" ]; then
		not_ok "$1" "exit $rc, want $2" "$(cat "$T/out")"
	elif [ -n "${4:-}" ] && ! grep -q -F -- "$4" "$T/out"; then
		not_ok "$1" "missing: $4" "$(cat "$T/out")"
	else
		ok "$1"
	fi
}

tree good low high
file good low/a.h
file good low/a.c low/a.h
file good high/b.h low/a.h
file good high/b.c high/b.h low/a.h
verdict "checker: a sound tree passes" 0 good

tree up low high
file up low/a.h high/b.h
file up high/b.h
verdict "checker: an include of a higher layer fails" 1 up \
	'low/a.h:1: "high/b.h" belongs to high, a layer above low'

tree cycle low
file cycle low/a.h low/b.h
file cycle low/b.c low/c.h
file cycle low/b.h
file cycle low/c.h low/a.h
verdict "checker: a cycle within a layer fails" 1 cycle \
	'cycle: low/a -> low/b -> low/c -> low/a'

tree bare low
file bare low/a.c a.h
file bare low/a.h
verdict "checker: an include without its folder fails" 1 bare \
	'"a.h" is not a header of src/ named by its folder'

tree twice low high
file twice low/a.c
file twice high/a.h
verdict "checker: two modules of one file name fail" 1 twice \
	"a: high/a low/a"

tree big low
python3 -c 'print("int x;\n" * 801, end="")' >"$T/big/low/a.c"
{
	echo "static int"
	echo "f(void)"
	echo "{"
	i=0
	while [ $i -lt 80 ]; do echo "	;"; i=$((i + 1)); done
	echo "}"
} >"$T/big/low/b.c"
verdict "checker: a file over 800 lines fails" 1 big \
	"a.c: 801 lines, more than 800"
verdict "checker: a function over 80 lines fails" 1 big \
	"b.c:2: f() is 84 lines, more than 80"

tree extra low
mkdir -p "$T/extra/stray"
verdict "checker: a folder missing from LAYERS fails" 1 extra \
	"the folders of src/ are the layers of src/LAYERS"

# The real tree: one line per module, numbered after the ones above.
python3 "$top_srcdir/tests/layers.py" "$top_srcdir/src" "$TAP_N" >"$T/real"
rc=$?
cat "$T/real"
n=$(grep -c '^ok\|^not ok' "$T/real")
f=$(grep -c '^not ok' "$T/real")
TAP_N=$((TAP_N + n))
TAP_FAILED=$((TAP_FAILED + f))
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
	not_ok "layers.py ran" "exit $rc"
fi
tap_done
