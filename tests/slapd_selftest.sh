#!/bin/bash
# tests/slapd_selftest.sh - checks tests/slapd.sh and the LDAP test data
# against a real throwaway slapd.  Prints TAP; exits 0 if all passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/slapd.sh"
data=$here/data

if ! slapd_available; then
	echo "1..0 # SKIP slapd, slapadd, ldapsearch or python3 not installed"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/slapd_selftest.XXXXXX") || exit 1
holder=
cleanup() {
	slapd_stop
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TAP_OUT=$tmp/check.out
. "$here/tap.sh"

# result STATUS DESCRIPTION: passes when STATUS is 0; on failure the
# command's output (in $tmp/out) as diagnostics.
result() {
	if [ "$1" = 0 ]; then
		ok "$2"
	elif [ -s "$tmp/out" ]; then
		not_ok "$2" "$(cat "$tmp/out")"
	else
		not_ok "$2"
	fi
	: >"$tmp/out"
}

svc() {
	"$@" -x -D "$SLAPD_BIND_DN" -w "$SLAPD_BIND_PW"
}

# count_dn CMD...: number of entries a search prints.
count_dn() {
	"$@" 1.1 2>"$tmp/err" | grep -c '^dn:'
}

users='(objectClass=inetOrgPerson)'

# ---- gen_ldif.py ----------------------------------------------------------

gen=$data/gen_ldif.py
python3 "$gen" --users 1200 --big-group bigteam:1200 >"$tmp/big.ldif"
result $? "gen_ldif.py writes 1200 users and a 1200-member group"
is "gen_ldif.py: bigteam has 1200 direct members" \
	"$(grep -c '^member: cn=user' "$tmp/big.ldif")" 1200

python3 "$gen" --users 50 --groups 30 --members-per-group 4 --seed 7 \
	>"$tmp/g1.ldif" &&
	python3 "$gen" --users 50 --groups 30 --members-per-group 4 --seed 7 \
		>"$tmp/g2.ldif"
cmp "$tmp/g1.ldif" "$tmp/g2.ldif" >"$tmp/out" 2>&1
result $? "gen_ldif.py: same seed, same output"
is "gen_ldif.py: group0025 nests group0024 and group0020" \
	"$(sed -n '/^dn: cn=group0025,/,/^$/p' "$tmp/g1.ldif" |
		grep -c '^member: cn=group00\(24\|20\),')" 2

python3 "$gen" --users 3 --big-group x:4 >/dev/null 2>"$tmp/out"
rc=$?
[ "$rc" = 2 ] && grep -q 'exceeds --users' "$tmp/out"
result $? "gen_ldif.py rejects a big group larger than --users"

# ---- main instance ------------------------------------------------------

want_users=$(cat "$data/directory.ldif" "$tmp/big.ldif" |
	grep -c '^objectClass: inetOrgPerson$')

check "slapd_start with base, directory and a 1200-member group" \
	slapd_start "$tmp/slapd" "$data/base.ldif" "$data/directory.ldif" \
	"$tmp/big.ldif"
if [ -z "${SLAPD_PID:-}" ]; then
	echo "Bail out! slapd did not start"
	exit 1
fi

is "SLAPD_DIR is private (mode 700)" "$(stat -c %a "$SLAPD_DIR")" 700
is "SLAPD_URI matches SLAPD_PORT" "$SLAPD_URI" \
	"ldap://127.0.0.1:$SLAPD_PORT"
is "SLAPD_PID is slapd's pid file" "$(cat "$SLAPD_DIR/slapd.pid")" \
	"$SLAPD_PID"
is "LDAPNOINIT is exported" "${LDAPNOINIT:-}" 1

is "simple bind as the service account" \
	"$(svc ldapwhoami -H "$SLAPD_URI" 2>&1)" "dn:$SLAPD_BIND_DN"
check_rc 49 "wrong password: invalidCredentials (49)" \
	ldapwhoami -x -H "$SLAPD_URI" -D "$SLAPD_BIND_DN" -w wrong-password
check_rc 49 "rootdn with the service password: invalidCredentials" \
	ldapwhoami -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_BIND_PW"
is "rootdn bind" \
	"$(ldapwhoami -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" \
		-w "$SLAPD_ROOT_PW" 2>&1)" "dn:$SLAPD_ROOT_DN"

check_rc 4 "non-paged search for $want_users users: sizeLimitExceeded (4)" \
	svc ldapsearch -H "$SLAPD_URI" -b "$SLAPD_SUFFIX" "$users" 1.1
check_rc 4 "anonymous non-paged search: sizeLimitExceeded (4)" \
	ldapsearch -x -H "$SLAPD_URI" -b "$SLAPD_SUFFIX" "$users" 1.1
is "paged search (pr=100) as the service account returns all users" \
	"$(count_dn svc ldapsearch -H "$SLAPD_URI" -E pr=100/noprompt \
		-b "$SLAPD_SUFFIX" "$users")" "$want_users"
is "anonymous paged search (pr=500) returns all users" \
	"$(count_dn ldapsearch -x -H "$SLAPD_URI" -E pr=500/noprompt \
		-b "$SLAPD_SUFFIX" "$users")" "$want_users"
is "paged search reads the 1200 members of bigteam" \
	"$(svc ldapsearch -H "$SLAPD_URI" -E pr=100/noprompt -LLL \
		-o ldif-wrap=no -b "cn=bigteam,ou=groups,$SLAPD_SUFFIX" \
		-s base member 2>&1 | grep -c '^member:')" 1200

is "userPassword is not readable by the service account" \
	"$(svc ldapsearch -H "$SLAPD_URI" -LLL -b "$SLAPD_BIND_DN" -s base \
		userPassword 2>&1)" "dn: $SLAPD_BIND_DN"
is "userPassword is not readable anonymously" \
	"$(ldapsearch -x -H "$SLAPD_URI" -LLL -b "$SLAPD_BIND_DN" -s base \
		userPassword 2>&1)" "dn: $SLAPD_BIND_DN"

is "ldapi:// SASL EXTERNAL maps to the service account" \
	"$(ldapwhoami -Q -Y EXTERNAL -H "$SLAPD_LDAPI_URI" 2>&1)" \
	"dn:$SLAPD_BIND_DN"
is "ldapi:// SASL EXTERNAL paged search returns all users" \
	"$(count_dn ldapsearch -Q -Y EXTERNAL -H "$SLAPD_LDAPI_URI" \
		-E pr=100/noprompt -b "$SLAPD_SUFFIX" "$users")" "$want_users"
check_rc 4 "ldapi:// SASL EXTERNAL non-paged search: sizeLimitExceeded" \
	ldapsearch -Q -Y EXTERNAL -H "$SLAPD_LDAPI_URI" -b "$SLAPD_SUFFIX" \
	"$users" 1.1

# The scenario directory as its header describes it.
is "directory.ldif: 16 users" \
	"$(count_dn ldapsearch -x -H "$SLAPD_URI" \
		-b "ou=people,$SLAPD_SUFFIX" "(&$users(!(cn=user*)))")" 16
is "directory.ldif: 11 groups besides bigteam" \
	"$(count_dn ldapsearch -x -H "$SLAPD_URI" \
		-b "ou=groups,$SLAPD_SUFFIX" -s one '(!(cn=bigteam))')" 11
is "member values come back exactly as written" \
	"$(ldapsearch -x -H "$SLAPD_URI" -LLL -o ldif-wrap=no \
		-b "cn=support,ou=groups,$SLAPD_SUFFIX" -s base member |
		grep -c -F -x \
		-e 'member: CN=Heidi , OU=People,DC=Example, DC=com' \
		-e 'member: cn=Smith\, John,ou=people,dc=example,dc=com')" 2
is "noemail has no mail; Oscar's mail keeps its case" \
	"$(ldapsearch -x -H "$SLAPD_URI" -LLL -o ldif-wrap=no \
		-b "ou=people,$SLAPD_SUFFIX" '(|(uid=noemail)(uid=oscar))' \
		mail | grep '^mail:')" "mail: Oscar@Example.com"
is "memberUid ghost matches no user" \
	"$(count_dn ldapsearch -x -H "$SLAPD_URI" -b "$SLAPD_SUFFIX" \
		'(uid=ghost)')" 0

check "slapd_pause" slapd_pause
check_rc 124 "a paused slapd does not answer" \
	timeout 2 ldapsearch -x -H "$SLAPD_URI" -b "$SLAPD_SUFFIX" -s base 1.1
check "slapd_resume" slapd_resume
check "a resumed slapd answers" \
	ldapsearch -x -H "$SLAPD_URI" -o nettimeout=5 -l 5 \
	-b "$SLAPD_SUFFIX" -s base 1.1

pid=$SLAPD_PID
dir=$SLAPD_DIR
uri=$SLAPD_URI
check "slapd_stop" slapd_stop
! kill -0 "$pid" 2>/dev/null
result $? "slapd_stop: slapd is gone"
[ ! -e "$dir" ]
result $? "slapd_stop: the directory is removed"
[ -z "${SLAPD_PID:-}${SLAPD_DIR:-}${SLAPD_URI:-}" ]
result $? "slapd_stop: instance variables are unset"
check_rc 255 "slapd_stop: the port no longer answers" \
	ldapsearch -x -H "$uri" -o nettimeout=2 -b "$SLAPD_SUFFIX" -s base 1.1
check "slapd_stop twice is harmless" slapd_stop

# ---- TLS instance ---------------------------------------------------------

SLAPD_TLS=1 slapd_start "$tmp/tls" "$data/base.ldif" >"$tmp/out" 2>&1
result $? "SLAPD_TLS=1 slapd_start"
if [ -z "${SLAPD_PID:-}" ]; then
	echo "Bail out! slapd with TLS did not start"
	exit 1
fi
is "SLAPD_LDAPS_URI matches SLAPD_LDAPS_PORT" "$SLAPD_LDAPS_URI" \
	"ldaps://127.0.0.1:$SLAPD_LDAPS_PORT"
check "SLAPD_CA_FILE is a CA certificate" \
	openssl x509 -in "$SLAPD_CA_FILE" -noout
is "ldaps:// with the CA" \
	"$(svc slapd_with_ca ldapwhoami -H "$SLAPD_LDAPS_URI" 2>&1)" \
	"dn:$SLAPD_BIND_DN"
check_rc 255 "ldaps:// without the CA fails" \
	svc slapd_with_ca LDAPTLS_CACERT= ldapwhoami -H "$SLAPD_LDAPS_URI"
is "StartTLS (-ZZ) on ldap:// with the CA" \
	"$(svc slapd_with_ca ldapwhoami -ZZ -H "$SLAPD_URI" 2>&1)" \
	"dn:$SLAPD_BIND_DN"
check_rc 1 "StartTLS (-ZZ) without the CA fails" \
	svc slapd_with_ca LDAPTLS_CACERT= ldapwhoami -ZZ -H "$SLAPD_URI"
is "plain ldap:// still works" \
	"$(svc ldapwhoami -H "$SLAPD_URI" 2>&1)" "dn:$SLAPD_BIND_DN"

pid=$SLAPD_PID
dir=$SLAPD_DIR
slapd_pause
check "slapd_stop stops a paused slapd" slapd_stop
! kill -0 "$pid" 2>/dev/null && [ ! -e "$dir" ]
result $? "slapd_stop: nothing left of the TLS instance"

# ---- start-up corner cases -----------------------------------------------

# Hand slapd_start a port somebody else listens on: it must try another.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(30)
' >"$tmp/busy" 2>/dev/null &
holder=$!
wait_for "a helper holds a port" 5 test -s "$tmp/busy"
busy=$(cat "$tmp/busy")
eval "orig_$(declare -f _slapd_free_ports)"
_slapd_free_ports() {
	# Runs in $(...): remember the first call in a file.
	if [ ! -e "$tmp/busy.used" ]; then
		: >"$tmp/busy.used"
		printf '%s\n%s\n' "$busy" "$busy"
	else
		orig__slapd_free_ports "$@"
	fi
}
slapd_start "$tmp/retry" "$data/base.ldif" >"$tmp/out" 2>&1
result $? "slapd_start retries when the port is taken"
is "slapd_start: second attempt" \
	"$(grep -c '^== attempt' "$tmp/retry/slapd.log" 2>&1)" 2
check "slapd_stop after a retry" slapd_stop
eval "$(declare -f orig__slapd_free_ports | sed '1s/orig_//')"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=

mkdir "$tmp/full" && : >"$tmp/full/precious"
check_rc 1 "slapd_start refuses a non-empty DIR" \
	slapd_start "$tmp/full" "$data/base.ldif"
[ -e "$tmp/full/precious" ]
result $? "slapd_start leaves a non-empty DIR alone"

printf 'dn: cn=orphan,ou=nowhere,dc=example,dc=com\nobjectClass: device\ncn: orphan\n' \
	>"$tmp/bad.ldif"
check_rc 1 "slapd_start fails on a bad LDIF" \
	slapd_start "$tmp/bad" "$data/base.ldif" "$tmp/bad.ldif"
[ ! -e "$tmp/bad" ] && [ -z "${SLAPD_PID:-}${SLAPD_DIR:-}" ]
result $? "a failed slapd_start cleans up"

tap_done
