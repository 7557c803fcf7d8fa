#!/bin/bash
# contrib/fresh-clone.sh - does the README's first command work for someone
# who has just cloned the project?  Clones this tree's HEAD (the committed
# state: uncommitted changes and mode bits of the work tree do not count)
# into a temporary directory, runs the first command of README.md's first
# ```sh block (contrib/demo.sh) from the top of the clone, as the README
# says, with its output saved, and prints one line:
#
#   "  PASS: README's first command runs from a fresh clone", or
#   "  FAIL: README's first command from a fresh clone: <why>"
#
# after the output that explains a failure.  It fails, exiting 1, when the
# command exits non-zero (the end of its output is shown) or when any line
# of its output contains "warning" in any case (those lines are shown).
# The clone is removed at the end.  Run it as root on a machine with git
# and the build dependencies (contrib/deps.sh); the demo installs what else
# it needs.
#
# Environment:
#   FRESH_CLONE_SRC=DIR   clone this git repository's HEAD instead of the
#                         tree this script is in (say, a scratch repository
#                         where a change to the demo was committed).
#   FRESH_CLONE_DEMO=FILE copy FILE over contrib/demo.sh in the clone before
#                         running it, to try an uncommitted demo.sh; the
#                         clone's file mode (from HEAD) is kept.
#   FRESH_CLONE_LOG=FILE  also keep the command's output in FILE.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
src=${FRESH_CLONE_SRC:-$top}
what="README's first command"

fail() {
	echo "  FAIL: $what from a fresh clone: $*"
	exit 1
}

command -v git >/dev/null 2>&1 || fail "git is not installed"
src=$(cd "$src" 2>/dev/null && pwd -P) || fail "no directory $src"
# A checkout owned by another user (a CI volume, root testing someone's
# tree) is refused by git unless trusted; trust it for these commands
# only.  The clone's upload-pack, which checks the .git directory, does not
# inherit -c options: it gets its own.
g() {
	git -c safe.directory="$src" -c safe.directory="$src/.git" "$@"
}
upload_pack="git -c safe.directory=$(printf %q "$src") -c safe.directory=$(printf %q "$src/.git") upload-pack"
rev=$(g -C "$src" rev-parse --verify -q 'HEAD^{commit}') ||
	fail "$src is not a git checkout with a commit"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/licsync-fresh-clone.XXXXXX") ||
	fail "cannot create a temporary directory"
trap 'cd / && rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
clone=$tmp/licsync
out=$tmp/output

if ! g clone --quiet --no-hardlinks --upload-pack="$upload_pack" \
    "$src" "$clone" >"$out" 2>&1; then
	sed 's/^/    /' "$out"
	fail "git clone of $src failed"
fi
# The clone checks out the branch HEAD names; a detached HEAD is taken
# exactly.
if [ "$(git -C "$clone" rev-parse HEAD 2>/dev/null)" != "$rev" ] &&
    ! git -C "$clone" checkout --quiet --detach "$rev" >"$out" 2>&1; then
	sed 's/^/    /' "$out"
	fail "cannot check out $rev in the clone"
fi

if [ -n "${FRESH_CLONE_DEMO:-}" ]; then
	# cp onto the existing file keeps its mode, the one HEAD has
	cp "$FRESH_CLONE_DEMO" "$clone/contrib/demo.sh" ||
		fail "cannot copy FRESH_CLONE_DEMO=$FRESH_CLONE_DEMO"
fi

# The first line of the first ```sh block of the clone's README.
cmd=$(awk '
	/^[[:space:]]*```sh[[:space:]]*$/ { inside = 1; next }
	inside && /^[[:space:]]*```/ { exit }
	inside && NF { print; exit }' "$clone/README.md" 2>/dev/null)
[ -n "$cmd" ] || fail "README.md has no \`\`\`sh block with a command"
case $cmd in
*\\) fail "cannot run a continued line: $cmd" ;;
esac

# As the README says: from the top of the source tree.
(cd "$clone" && exec bash -c "$cmd") </dev/null >"$out" 2>&1
rc=$?
[ -n "${FRESH_CLONE_LOG:-}" ] && cp "$out" "$FRESH_CLONE_LOG"

if [ "$rc" -ne 0 ]; then
	tail -n 40 "$out" | sed 's/^/    /'
	fail "$cmd exited with status $rc"
fi
warnings=$(grep -i -n warning "$out")
if [ -n "$warnings" ]; then
	printf '%s\n' "$warnings" | sed 's/^/    /'
	fail "$cmd printed $(printf '%s\n' "$warnings" | wc -l) line(s) containing \"warning\""
fi
echo "  PASS: $what runs from a fresh clone"
exit 0
