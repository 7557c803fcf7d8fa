# tests/samba.sh - a throwaway Samba Active Directory domain controller
# for the tests (sourced, bash).  Needs root and Debian's samba and
# samba-ad-dc packages.
#
#   samba_available          0 when a DC can be started here (and then
#                            this shell's turn to start one)
#   samba_start DIR          provision EXAMPLE.TEST into DIR and start its
#                            LDAP service on 127.0.0.1 (389, 636, 3268,
#                            3269: Samba's ports cannot be moved, so one DC
#                            serves every AD test of a run)
#   samba_stop               stop it
#   samba_keytab NAME KEYTAB [--no-user]
#                            a user NAME and its keytab, for SASL GSSAPI
#                            against the DC's KDC (SAMBA_KRB5_CONF)
#   samba_load LDIF          add LDIF's records (add and modify) to the
#                            DC's database directly, through Samba's own
#                            modules, while it runs: about 500 entries a
#                            second (LDAP adds slow down as the domain
#                            grows: 150 a second at first, 40 at 10,000)
#
# Samba refuses simple binds without TLS ("Transport encryption
# required"): use LDAPS, or StartTLS, also on the global catalog (3268).
#
# After samba_start: SAMBA_CA (the CA that signed the DC's certificate,
# with IP:127.0.0.1 in its SAN), SAMBA_LDAP (ldap://127.0.0.1),
# SAMBA_LDAPS (ldaps://127.0.0.1), SAMBA_GC (ldap://127.0.0.1:3268),
# SAMBA_BASE (DC=example,DC=test), SAMBA_ADMIN_UPN, SAMBA_ADMIN_DOWNLEVEL,
# SAMBA_ADMIN_PASSWORD and SAMBA_KRB5_CONF (a krb5.conf for its realm,
# EXAMPLE.TEST, whose KDC is on 127.0.0.1:88).

SAMBA_REALM=EXAMPLE.TEST
SAMBA_DOMAIN=EXAMPLE
SAMBA_BASE="DC=example,DC=test"
SAMBA_ADMIN_PASSWORD="Adm1n-licsync-test"
SAMBA_ADMIN_UPN="Administrator@example.test"
SAMBA_ADMIN_DOWNLEVEL='EXAMPLE\Administrator'
SAMBA_LDAP=ldap://127.0.0.1
SAMBA_LDAPS=ldaps://127.0.0.1
SAMBA_GC=ldap://127.0.0.1:3268
SAMBA_PID=""
SAMBA_DIR=""
_samba_spn=""
# The DC's NetBIOS name, so its account is known (not the host's name,
# which may be longer than NetBIOS allows).
_samba_netbios=LICSYNCDC

. "$(dirname "${BASH_SOURCE[0]}")/testca.sh"

_samba_err() { echo "samba.sh: $*" >&2; }

# samba_available: 0 when a DC can be started here.  Samba's ports are
# fixed, so the tests that start one (make check runs tests in parallel)
# take turns: this waits for the others' DCs, holding a lock until the
# calling shell exits.
samba_available() {
	[ "$(id -u)" = 0 ] || return 1
	command -v samba >/dev/null 2>&1 || return 1
	command -v samba-tool >/dev/null 2>&1 || return 1
	command -v flock >/dev/null 2>&1 || return 1
	exec {_samba_lock}>"${TMPDIR:-/tmp}/licsync-samba.lock" || return 1
	flock -w 600 "$_samba_lock" || return 1
	# a DC of our own needs Samba's ports free of anything else
	! (exec 3<>/dev/tcp/127.0.0.1/389) 2>/dev/null &&
		! (exec 3<>/dev/tcp/127.0.0.1/88) 2>/dev/null
}

samba_start() {
	local dir=$1 i
	SAMBA_DIR=$dir
	_samba_spn=""
	mkdir -p "$dir" || return 1
	test_ca_make "$dir" ||
		{ _samba_err "creating the test certificates failed"; return 1; }
	samba-tool domain provision --realm="$SAMBA_REALM" \
		--domain="$SAMBA_DOMAIN" --server-role=dc --dns-backend=NONE \
		--adminpass="$SAMBA_ADMIN_PASSWORD" --targetdir="$dir/dc" \
		--option="netbios name=$_samba_netbios" \
		--option="interfaces=127.0.0.1/8" \
		--option="bind interfaces only=yes" \
		--option="server services=ldap kdc" \
		--option="tls enabled=yes" \
		--option="tls keyfile=$dir/server.key" \
		--option="tls certfile=$dir/server.pem" \
		--option="tls cafile=$dir/ca.pem" \
		--option="log file=$dir/log.%m" \
		>"$dir/provision.log" 2>&1 || {
		_samba_err "provisioning failed:"
		tail -n 20 "$dir/provision.log" >&2
		return 1
	}
	samba -s "$dir/dc/etc/smb.conf" --foreground --no-process-group \
		--debug-stdout -d 1 >"$dir/samba.log" 2>&1 &
	SAMBA_PID=$!
	for i in $(seq 1 300); do
		# (LDAPNOINIT would make ldapsearch ignore LDAPTLS_CACERT)
		if env -u LDAPNOINIT LDAPTLS_CACERT="$dir/ca.pem" \
		    ldapsearch -LLL -H "$SAMBA_LDAPS" \
		    -x -D "$SAMBA_ADMIN_UPN" -w "$SAMBA_ADMIN_PASSWORD" \
		    -b "" -s base dnsHostName >/dev/null 2>&1; then
			SAMBA_CA=$dir/ca.pem
			_samba_krb5_conf "$dir"
			return 0
		fi
		kill -0 "$SAMBA_PID" 2>/dev/null || break
		sleep 0.1
	done
	_samba_err "the DC did not answer over LDAPS:"
	tail -n 20 "$dir/samba.log" >&2
	samba_stop
	return 1
}

# The DC's realm for Kerberos clients: its KDC on 127.0.0.1, no DNS.
_samba_krb5_conf() {
	SAMBA_KRB5_CONF=$1/krb5.conf
	cat >"$SAMBA_KRB5_CONF" <<KRB5
[libdefaults]
	default_realm = $SAMBA_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$SAMBA_REALM = {
		kdc = 127.0.0.1
	}
KRB5
}

# samba_keytab NAME KEYTAB [--no-user]: a user NAME with a random
# password and its keytab (mode 600); with --no-user the user is deleted
# afterwards, so that the KDC does not know the keytab's principal.  The
# first call also gives the DC the service principal ldap/127.0.0.1, the
# name a client that does not canonicalise host names asks for.
samba_keytab() {
	local name=$1 keytab=$2 conf="$SAMBA_DIR/dc/etc/smb.conf" dc
	local pw
	pw="K-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')-1a"
	samba-tool user create "$name" "$pw" -s "$conf" \
		>"$SAMBA_DIR/keytab.log" 2>&1 &&
	samba-tool domain exportkeytab "$keytab" --principal="$name@$SAMBA_REALM" \
		-s "$conf" >>"$SAMBA_DIR/keytab.log" 2>&1 &&
	chmod 600 "$keytab" || {
		_samba_err "samba_keytab $name failed:"
		tail -n 5 "$SAMBA_DIR/keytab.log" >&2
		return 1
	}
	if [ "${3:-}" = --no-user ]; then
		samba-tool user delete "$name" -s "$conf" \
			>>"$SAMBA_DIR/keytab.log" 2>&1 || return 1
	fi
	[ -n "${_samba_spn:-}" ] && return 0
	dc="$_samba_netbios\$"
	samba-tool spn add ldap/127.0.0.1 "$dc" -s "$conf" \
		>>"$SAMBA_DIR/keytab.log" 2>&1 || {
		_samba_err "adding the SPN ldap/127.0.0.1 to '$dc' failed:"
		tail -n 5 "$SAMBA_DIR/keytab.log" >&2
		return 1
	}
	_samba_spn=1
}

# Stop the DC and the workers it forked, and wait until they are gone.
samba_stop() {
	local i
	if [ -n "$SAMBA_PID" ]; then
		kill "$SAMBA_PID" 2>/dev/null
		wait "$SAMBA_PID" 2>/dev/null
		SAMBA_PID=""
	fi
	[ -n "$SAMBA_DIR" ] || return 0
	pkill -f "$SAMBA_DIR/dc/etc/smb.conf" 2>/dev/null
	for i in $(seq 1 100); do
		pgrep -f "$SAMBA_DIR/dc/etc/smb.conf" >/dev/null || return 0
		sleep 0.1
	done
	pkill -KILL -f "$SAMBA_DIR/dc/etc/smb.conf" 2>/dev/null
}

# samba_load LDIF: add the records of LDIF (records without a changetype
# and "changetype: add" are added, "changetype: modify" applied) to the
# running DC's sam.ldb, as ldbadd would, through the samba_dsdb module
# stack (so objectSid, primaryGroupID, memberOf and the rest are made as
# for an LDAP add, and members are resolved: they must exist).  The DC
# serves them at once.  Batch mode (no sub-transaction per record) and a
# commit every 1,000 records keep it linear; LDAP adds, one transaction
# each, or one transaction for the whole file, grow with the size of the
# domain.  On the first failing record it prints the record's DN and
# Samba's words and returns 1; the records committed before stay.
samba_load() {
	local ldif=$1 py
	[ -n "$SAMBA_DIR" ] || { _samba_err "samba_load: no DC (samba_start)"; return 1; }
	[ -r "$ldif" ] || { _samba_err "samba_load: cannot read $ldif"; return 1; }
	# Samba's Python modules belong to the system's interpreter.
	for py in /usr/bin/python3 python3 ""; do
		[ -n "$py" ] || { _samba_err "samba_load: no python3 with samba"; return 1; }
		"$py" -c 'import samba.samdb' 2>/dev/null && break
	done
	"$py" - "$SAMBA_DIR/dc/etc/smb.conf" "$SAMBA_DIR/dc/private/sam.ldb" \
	    "$ldif" <<'PY'
import sys
import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

conf, url, path = sys.argv[1:]
lp = LoadParm()
lp.load(conf)
db = SamDB(url=url, lp=lp, session_info=system_session(),
           options=["batch_mode"])
with open(path) as f:
    text = f.read()
# parse_ldif stops quietly at a record it cannot parse: count them
want = sum(1 for line in text.splitlines() if line[:3].lower() == "dn:")
n = 0
msg = None
db.transaction_start()
try:
    for changetype, msg in db.parse_ldif(text):
        if changetype in (ldb.CHANGETYPE_NONE, ldb.CHANGETYPE_ADD):
            db.add(msg)
        elif changetype == ldb.CHANGETYPE_MODIFY:
            db.modify(msg)
        else:
            raise ldb.LdbError(ldb.ERR_UNWILLING_TO_PERFORM,
                               "only add and modify records are loaded")
        n += 1
        if n % 1000 == 0:
            db.transaction_commit()
            db.transaction_start()
    db.transaction_commit()
except (ldb.LdbError, ValueError) as err:
    try:
        db.transaction_cancel()
    except ldb.LdbError:
        pass            # batch mode has rolled it back already
    if isinstance(err, ValueError):     # parse_ldif: a malformed record
        why = str(err)
    else:
        why = "record %d, %s: %s (%d)" % (n + 1, msg.dn, err.args[1],
                                          err.args[0])
    sys.stderr.write("samba.sh: samba_load: %s: %s\n" % (path, why))
    sys.exit(1)
if n != want:
    sys.stderr.write("samba.sh: samba_load: %s: record %d does not parse "
                     "(%d loaded)\n" % (path, n + 1, n))
    sys.exit(1)
PY
}
