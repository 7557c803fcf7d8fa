#!/bin/bash
# tests/readme_check.sh - every command README.md tells a user to run from
# the source tree can be run as written: each line of a ```sh code block
# whose first word (after any VAR=value) is a relative path inside the tree,
# such as contrib/demo.sh, names a file that exists and is executable.  In
# a git checkout, a tracked file must have mode 100755 in the index (what a
# fresh clone gets, whatever this work tree's mode bits say); otherwise (a
# release tarball, or a file git does not track) the file on disk must be
# executable.  The README must name at least contrib/demo.sh and
# contrib/test.sh, so a rewritten README cannot make this pass by naming
# nothing.  Prints TAP; exits 0 when every test passed.
#
# Environment: top_srcdir (default: this script's ..); README_MD (default:
# $top_srcdir/README.md), to check another copy of the README against the
# tree.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$here/..}
readme=${README_MD:-$top/README.md}
# The commands the README must name, whatever else it says.
required="contrib/demo.sh contrib/test.sh"

. "$here/tap.sh"

if [ ! -r "$readme" ]; then
	not_ok "README.md readable ($readme)"
	tap_done
fi

# The first word of each command line of the ```sh blocks that is a path
# inside the tree, once each, "./" removed.  Continuation lines (after a
# trailing backslash) and comments are not commands; leading VAR=value
# assignments are skipped.
readme_commands() {
	awk '
	/^[[:space:]]*```/ {
		if (!inside) {
			lang = $0
			sub(/^[[:space:]]*```[[:space:]]*/, "", lang)
			sub(/[[:space:]].*/, "", lang)
			inside = 1
			shell = (lang == "sh" || lang == "bash" || lang == "shell")
		} else
			inside = 0
		cont = 0
		next
	}
	!inside || !shell { next }
	{
		was_cont = cont
		cont = /\\$/
		if (was_cont)
			next
		i = 1
		while (i <= NF && $i ~ /^[A-Za-z_][A-Za-z0-9_]*=/)
			i++
		if (i > NF)
			next
		w = $i
		if (w !~ /\// || w ~ /^[\/~$#-]/ || w ~ /(^|\/)\.\.(\/|$)/)
			next
		sub(/^(\.\/)+/, "", w)
		if (!(w in seen)) {
			seen[w] = 1
			print w
		}
	}' "$1"
}

cmds=$(readme_commands "$readme")

for r in $required; do
	if printf '%s\n' "$cmds" | grep -qxF -- "$r"; then
		ok "README.md tells users to run $r"
	else
		not_ok "README.md tells users to run $r"
		echo "commands found: $(printf '%s\n' "$cmds" | tr '\n' ' ')" | diag
	fi
done

in_git=0
if command -v git >/dev/null 2>&1 &&
    git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	in_git=1
fi

for c in $cmds; do
	entry=""
	if [ $in_git = 1 ]; then
		# "MODE OBJECT STAGE\tPATH"; empty when git does not track it
		entry=$(git -C "$top" ls-files -s -- "$c" 2>/dev/null | head -n 1)
	fi
	if [ -n "$entry" ]; then
		mode=${entry%% *}
		if [ "$mode" = 100755 ]; then
			ok "README command $c is executable (git index mode $mode)"
		else
			not_ok "README command $c is executable (git index mode $mode, want 100755)"
			echo "fix: git update-index --chmod=+x $c" | diag
		fi
	elif [ ! -e "$top/$c" ]; then
		not_ok "README command $c exists"
	elif [ -f "$top/$c" ] && [ -x "$top/$c" ]; then
		ok "README command $c is executable (on disk)"
	else
		not_ok "README command $c is executable (on disk)"
		ls -l "$top/$c" 2>&1 | diag
	fi
done

tap_done
