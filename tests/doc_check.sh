#!/bin/bash
# tests/doc_check.sh - the man pages document what the code has, and only
# that: every configuration key (src/conf/config.c and config_backend.c),
# policy key (src/conf/policy.c),
# command and option (src/cli/main.c), exit code (src/util/util.h), metric name
# (src/report/metrics.c) and seat kind (src/reconcile/seats.c) appears in its man page
# (exit codes in README.md too), and everything those pages list exists
# in the code.  Also runs
# mandoc's linter and man(1) with --warnings on every page and checks `licsync --help` against the
# command table.  Prints TAP; exits 0 when every test passed.
#
# Environment: top_srcdir (default: this script's ..), LICSYNC (the built
# program; its tests are skipped without it).
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/..}
man8=$top/man/licsync.8
conf5=$top/man/licsync.conf.5
policy5=$top/man/licsync-policy.5

. "$here/tap.sh"

# in_list WORD LIST: LIST is newline-separated.
in_list() {
	printf '%s\n' "$2" | grep -qxF -- "$1"
}

# count LIST: the number of non-empty lines.
count() {
	printf '%s\n' "$1" | grep -c .
}

# both_ways NOUN CODE-LIST DOC-LIST PLACE: every item of the code is
# documented in PLACE, and every item PLACE documents is in the code.
both_ways() {
	for w in $2; do
		check "$1 '$w' documented in $4" in_list "$w" "$3"
	done
	for w in $3; do
		check "$4 item '$w' is a $1" in_list "$w" "$2"
	done
}

# ---- what the code has ----

# Table keys: lines like `	{ "key", YW_STRING, ...` in the FILEs.
table_keys() {
	sed -n -E 's/^[[:space:]]*\{ "([a-z_]+)",.*/\1/p' "$@" | sort -u
}

# main.c's functions, with the long options and the getopt strings in
# each: "FUNCTION long NAME" and "FUNCTION short LETTER" lines.  A function
# starts where its name begins a line (return type on the line above).
main_options() {
	awk '
	/^[a-z_][a-z0-9_]*\(/ {
		fn = $0
		sub(/\(.*/, "", fn)
	}
	/\{ "[a-z][a-z-]*", (no|required|optional)_argument/ {
		s = $0
		sub(/^[^"]*"/, "", s)
		sub(/".*/, "", s)
		print fn, "long", s
	}
	/getopt_long\(/ {
		s = $0
		if (match(s, /argv, "[^"]*"/)) {
			s = substr(s, RSTART + 7, RLENGTH - 8)
			gsub(/[+:-]/, "", s)
			for (i = 1; i <= length(s); i++)
				print fn, "short", substr(s, i, 1)
		}
	}' "$top/src/cli/main.c"
}

# ---- what the pages document ----

# The `.It Cm X` items of a page (or of the text on stdin).
cm_items() {
	sed -n -E 's/^\.It Cm ([^ ]+).*/\1/p' "$@" | sort -u
}

# The text of section NAME (from `.Sh NAME` to the next `.Sh`).
section() {     # FILE NAME
	awk -v want="$2" '
	/^\.Sh / {
		name = $0
		sub(/^\.Sh +/, "", name)
		inside = (name == want)
		next
	}
	inside' "$1"
}

# Every flag of a page as it reads when rendered: the word after each Fl
# macro, with Fl's dash in front and "\-" read as "-".
page_flags() {
	grep -v '^\.\\"' "$1" |
	    grep -o -E '(^|[[:space:]])\.?Fl[[:space:]]+[^[:space:]]+' |
	    sed -E 's/.*Fl[[:space:]]+/-/; s/\\-/-/g' | sort -u
}

# Keys whose item does not say what the default is (or that the key is
# required): the text of each `.It Cm KEY` item, up to the next item of its
# list, leaving out nested lists (which have their own items).
keys_without_default() {
	awk '
	function finish(d) {
		if (key[d] != "" && body[d] !~ /[Dd]efault|required/)
			print key[d]
		key[d] = ""
	}
	/^\.Bl/ { key[++depth] = ""; next }
	/^\.El/ { finish(depth); depth--; next }
	/^\.It/ {
		finish(depth)
		if ($2 == "Cm") {
			key[depth] = $3
			body[depth] = ""
		}
		next
	}
	key[depth] != "" { body[depth] = body[depth] " " $0 }
	END { while (depth > 0) finish(depth--) }' "$1"
}

# ---- preconditions ----

for f in src/conf/config.c src/conf/config_backend.c src/conf/policy.c src/cli/main.c src/util/util.h README.md \
    man/licsync.8 man/licsync.conf.5 man/licsync-policy.5; do
	if [ ! -r "$top/$f" ]; then
		not_ok "$f exists (top_srcdir $top)"
		tap_done
	fi
done

# ---- configuration keys ----

code_conf=$(table_keys "$top/src/conf/config.c" \
    "$top/src/conf/config_backend.c")
doc_conf=$(cm_items "$conf5")
check "configuration keys found in src/conf/config*.c ($(count "$code_conf"))" \
    test "$(count "$code_conf")" -gt 0
both_ways "config key" "$code_conf" "$doc_conf" licsync.conf.5
missing=$(keys_without_default "$conf5")
if [ -z "$missing" ]; then
	ok "every licsync.conf.5 key states its default"
else
	not_ok "every licsync.conf.5 key states its default"
	printf '%s\n' "$missing" | diag
fi

# ---- policy keys ----

code_pol=$(table_keys "$top/src/conf/policy.c")
doc_pol=$(cm_items "$policy5")
check "policy keys found in src/conf/policy.c ($(count "$code_pol"))" \
    test "$(count "$code_pol")" -gt 0
both_ways "policy key" "$code_pol" "$doc_pol" licsync-policy.5
missing=$(keys_without_default "$policy5")
if [ -z "$missing" ]; then
	ok "every licsync-policy.5 key states its default"
else
	not_ok "every licsync-policy.5 key states its default"
	printf '%s\n' "$missing" | diag
fi

# ---- commands ----

code_cmds=$(sed -n -E 's/^[[:space:]]*\{ "([a-z]+)", cmd_.*/\1/p' \
    "$top/src/cli/main.c" | sort -u)
doc_cmds=$(section "$man8" COMMANDS | cm_items)
syn_cmds=$(section "$man8" SYNOPSIS | grep -o -E '(^|[[:space:]])\.?Cm [a-z]+' |
    sed -E 's/.*Cm //' | sort -u)
check "commands found in src/cli/main.c ($(count "$code_cmds"))" \
    test "$(count "$code_cmds")" -gt 0
for c in $code_cmds; do
	check "command '$c' documented in licsync.8 COMMANDS" \
	    in_list "$c" "$doc_cmds"
	check "command '$c' in licsync.8 SYNOPSIS" in_list "$c" "$syn_cmds"
done
for c in $doc_cmds; do
	check "licsync.8 COMMANDS item '$c' is a command" \
	    in_list "$c" "$code_cmds"
done
for c in $syn_cmds; do
	check "licsync.8 SYNOPSIS command '$c' is a command" \
	    in_list "$c" "$code_cmds"
done

# ---- options ----

opts=$(main_options)
doc_flags=$(page_flags "$man8")
code_flags=$(printf '%s\n' "$opts" | awk '
	$2 == "long" { print "--" $3 }
	$2 == "short" { print "-" $3 }' | sort -u)
check "options found in src/cli/main.c ($(count "$code_flags"))" \
    test "$(count "$code_flags")" -gt 0
check "main() has long options" \
    grep -q '^main long ' <<<"$opts"
for c in $code_cmds; do
	[ "$c" = help ] && continue
	check "cmd_$c found in src/cli/main.c" \
	    grep -q "^cmd_$c[[:space:]]*(" "$top/src/cli/main.c"
done
for f in $code_flags; do
	check "option '$f' documented in licsync.8" in_list "$f" "$doc_flags"
done
for f in $doc_flags; do
	case $f in
	--sysconfdir | --localstatedir | --runstatedir)
		continue ;;     # configure's, in FILES
	esac
	check "licsync.8 option '$f' exists" in_list "$f" "$code_flags"
done

# ---- exit codes ----

code_exits=$(sed -n -E 's/.*EXIT_[A-Z]+ = ([0-9]+).*/\1/p' \
    "$top/src/util/util.h" | sort -un)
doc_exits=$(section "$man8" "EXIT STATUS" |
    sed -n -E 's/^\.It Sy ([0-9]+).*/\1/p' | sort -un)
check "exit codes found in src/util/util.h ($(count "$code_exits"))" \
    test "$(count "$code_exits")" -gt 0
both_ways "exit code" "$code_exits" "$doc_exits" "licsync.8 EXIT STATUS"

# The README's table ("| 3 | directory error |") agrees.
readme_exits=$(sed -n -E 's/^\| *([0-9]+) *\|.*/\1/p' "$top/README.md" |
    sort -un)
both_ways "exit code" "$code_exits" "$readme_exits" "README.md table"

# ---- metric names and seat kinds ----

code_metrics=$(sed -n -E 's/^#define M_[A-Z]+[[:space:]]+"(licsync_[a-z_]+)".*/\1/p' \
    "$top/src/report/metrics.c" | sort -u)
doc_metrics=$(section "$man8" METRICS |
    sed -n -E 's/^\.It Li (licsync_[a-z_]+).*/\1/p' | sort -u)
check "metric names found in src/report/metrics.c ($(count "$code_metrics"))" \
    test "$(count "$code_metrics")" -gt 0
both_ways metric "$code_metrics" "$doc_metrics" "licsync.8 METRICS"
code_kinds=$(sed -n -E 's/^[[:space:]]*\[SEAT_[A-Z_]+\] = "([a-z_]+)",.*/\1/p' \
    "$top/src/reconcile/seats.c" | sort -u)
doc_kinds=$(section "$man8" "SEAT STATUS" |
    sed -n -E 's/^\.It Li //p' | tr -d ',' | tr ' ' '\n' |
    grep -v -e '^Li$' -e '^$' | sort -u)
check "seat kinds found in src/reconcile/seats.c ($(count "$code_kinds"))" \
    test "$(count "$code_kinds")" -gt 0
both_ways "seat kind" "$code_kinds" "$doc_kinds" "licsync.8 SEAT STATUS"

# ---- mandoc ----

for page in "$man8" "$conf5" "$policy5"; do
	name=man/${page##*/}
	if ! command -v mandoc >/dev/null 2>&1; then
		skip "mandoc lint $name" "mandoc not installed"
		continue
	fi
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "mandoc lint $name"
	else
		not_ok "mandoc lint $name"
		printf '%s\n' "$out" | diag
	fi
done

# ---- groff, as man(1) renders the pages ----

# No "can't break line" or other typesetter warning at the widths people
# read them: a terminal of 80 columns and a wide one.
for page in "$man8" "$conf5" "$policy5"; do
	name=man/${page##*/}
	if ! command -v man >/dev/null 2>&1; then
		skip "man --warnings $name" "man-db not installed"
		continue
	fi
	out=""
	for width in 80 132; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=$width man --warnings -l "$page" \
		    2>&1 >/dev/null)
		[ -n "$w" ] && out="$out${out:+
}width $width: $w"
	done
	if [ -z "$out" ]; then
		ok "man --warnings $name: none"
	else
		not_ok "man --warnings $name: none"
		printf '%s\n' "$out" | diag
	fi
done

# ---- the program's own help ----

if [ -z "${LICSYNC:-}" ] || [ ! -x "${LICSYNC:-}" ]; then
	skip "licsync --help lists the commands" "LICSYNC not set"
else
	help=$("$LICSYNC" --help 2>&1)
	rc=$?
	check "licsync --help exits 0" test $rc -eq 0
	help_cmds=$(printf '%s\n' "$help" |
	    sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p' | sort -u)
	check "licsync --help lists commands" test "$(count "$help_cmds")" -gt 0
	for c in $code_cmds; do
		check "licsync --help lists '$c'" in_list "$c" "$help_cmds"
	done
	for c in $help_cmds; do
		check "licsync --help command '$c' is a command" \
		    in_list "$c" "$code_cmds"
	done
	for c in $code_cmds; do
		usage=$("$LICSYNC" "$c" --help 2>&1)
		rc=$?
		check "licsync $c --help exits 0" test $rc -eq 0
		# Each option of the command shows in its usage, long or short.
		fn=cmd_$c
		for l in $(printf '%s\n' "$opts" | awk -v fn="$fn" \
		    '$1 == fn && $2 == "long" { print $3 }'); do
			s=$(printf '%s\n' "$opts" | awk -v fn="$fn" -v l="$l" '
			    $1 == fn && $2 == "short" && substr(l, 1, 1) == $3 {
				    print $3 }')
			if grep -q -E -- "--$l\\b" <<<"$usage" ||
			    { [ -n "$s" ] && grep -q -E -- "-$s\\b" <<<"$usage"; }
			then
				ok "licsync $c --help shows --$l"
			else
				not_ok "licsync $c --help shows --$l"
			fi
		done
	done
fi

tap_done
