#!/bin/bash
# samba_selftest.sh - the throwaway Samba AD DC of tests/samba.sh: it
# starts, answers over LDAPS and StartTLS verified with its own CA, takes
# the bind names AD takes, says it is AD, serves the global catalog, and
# stops with nothing left running.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/licsync-samba.XXXXXX") || exit 1
TAP_OUT=$T/tap.out
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/samba.sh"
trap 'samba_stop; rm -rf "$T"' EXIT
export LDAPNOINIT=1

samba_available || tap_skip_all "no Samba AD DC here (needs root, samba, samba-ad-dc, port 389 free)"
samba_start "$T/samba" || { echo "Bail out! the Samba DC did not start"; exit 1; }
ok "the DC starts"

q() {           # q URI BIND-NAME BASE SCOPE FILTER ATTR...: ldapsearch
	local uri=$1 who=$2 base=$3 scope=$4
	shift 4
	env -u LDAPNOINIT LDAPTLS_CACERT="$SAMBA_CA" \
		ldapsearch -LLL -o ldif-wrap=no -H "$uri" \
		${ZZ:+-ZZ} -x -D "$who" -w "$SAMBA_ADMIN_PASSWORD" -b "$base" \
		-s "$scope" "$@"
}

check "LDAPS verified with the test CA, bound by UPN" \
	q "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "" base "(objectClass=*)" dnsHostName
ZZ=1 check "StartTLS verified with the test CA, bound as DOMAIN\\user" \
	q "$SAMBA_LDAP" "$SAMBA_ADMIN_DOWNLEVEL" "" base "(objectClass=*)" dnsHostName
check "bound by DN" q "$SAMBA_LDAPS" \
	"CN=Administrator,CN=Users,$SAMBA_BASE" "" base "(objectClass=*)" dnsHostName
contains "the rootDSE says Active Directory (1.2.840.113556.1.4.800)" \
	"$(q "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "" base "(objectClass=*)" supportedCapabilities)" \
	"1.2.840.113556.1.4.800"
contains "Domain Users is a group" \
	"$(q "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN" "CN=Users,$SAMBA_BASE" one "(cn=Domain Users)" objectClass primaryGroupToken)" \
	"primaryGroupToken: 513"
ZZ=1 check "the global catalog answers on 3268 (StartTLS)" \
	q "$SAMBA_GC" "$SAMBA_ADMIN_UPN" "$SAMBA_BASE" base "(objectClass=*)" dn
# Samba, unlike Windows by default, refuses simple binds without TLS.
if q "$SAMBA_LDAP" "$SAMBA_ADMIN_UPN" "" base "(objectClass=*)" dn \
    >"$T/plain.out" 2>&1; then
	not_ok "a simple bind without TLS is refused"
else
	contains "a simple bind without TLS is refused" "$(cat "$T/plain.out")" \
		"Transport encryption required"
fi
if env -u LDAPNOINIT LDAPTLS_REQCERT=demand \
    LDAPTLS_CACERT=/etc/ssl/certs/ca-certificates.crt ldapsearch -LLL -H "$SAMBA_LDAPS" -x -D "$SAMBA_ADMIN_UPN" \
    -w "$SAMBA_ADMIN_PASSWORD" -b "" -s base dn >/dev/null 2>&1; then
	not_ok "a client without the test CA is refused"
else
	ok "a client without the test CA is refused"
fi

# The KDC: a user's keytab gets a ticket with the DC's krb5.conf.
check "samba_keytab: a user and its keytab" samba_keytab kt-user "$T/kt"
is "samba_keytab: the keytab is private (mode 600)" \
	"$(stat -c %a "$T/kt")" 600
check "the KDC gives a ticket for the keytab" env \
	KRB5_CONFIG="$SAMBA_KRB5_CONF" KRB5CCNAME="FILE:$T/cc" \
	kinit -k -t "$T/kt" "kt-user@$SAMBA_REALM"
check "... and one for the DC's LDAP service, ldap/127.0.0.1" env \
	KRB5_CONFIG="$SAMBA_KRB5_CONF" KRB5CCNAME="FILE:$T/cc" \
	kvno "ldap/127.0.0.1@$SAMBA_REALM"

pid=$SAMBA_PID
samba_stop
wait_for "stopped: nothing listens on 636" 10 \
	sh -c '! (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null'
wait_for "stopped: no samba process of this DC is left" 10 \
	sh -c "! pgrep -f '$T/samba/dc/etc/smb[.]conf' >/dev/null"
tap_done
