# contrib/deps.sh - sourced by test.sh and demo.sh: install missing Debian
# packages (as root, with apt-get) needed to build and test licsync.

LICSYNC_BUILD_DEPS="gcc make autoconf automake pkg-config
libldap2-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev libjansson-dev
libssl-dev libcmocka-dev"
LICSYNC_TEST_DEPS="slapd ldap-utils samba samba-ad-dc samba-ad-provision winbind
libsasl2-modules-gssapi-mit krb5-user python3 sqlite3 openssl curl mandoc
man-db time git clang clang-tools libclang-rt-dev cppcheck"
# Node.js runs the AD-behaviour LDAP test server (tests/adserver/, ldapjs)
# and the SCIM test server (tests/scimserver/, express, scimmy and
# scimmy-routers), pinned by their package-lock.json files; any node with
# npm will do.
LICSYNC_NODE_DEPS="nodejs npm"
# Renders the HTML report in tests; its tests skip where it cannot be had.
LICSYNC_OPTIONAL_DEPS="chromium"

install_missing() {
	missing=""
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "missing packages:$missing (install them as root)" >&2
		return 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || return 1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		return 1
}

# install_node: Debian's nodejs and npm, unless a node with npm is there
# (one from elsewhere would conflict with Debian's npm).
install_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	# shellcheck disable=SC2086
	install_missing $LICSYNC_NODE_DEPS
}
