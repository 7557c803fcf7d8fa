#!/bin/bash
# ad.sh - licsync against a real Active Directory domain controller (the
# throwaway Samba DC of tests/samba.sh): the bind names AD takes for a
# simple bind, over LDAPS and StartTLS verified with the test CA.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/samba.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"
samba_available ||
	tap_skip_all "no Samba AD DC here (needs root, samba, samba-ad-dc, port 389 free)"
trap 'samba_stop; cleanup' EXIT
samba_start "$T/samba" || { echo "Bail out! the Samba DC did not start"; exit 1; }

mkstate --sku crm:$SKU_CRM:10
graph_start "$T/state.json"
G="CN=Users,$SAMBA_BASE"
policy_begin
policy_app acme-crm "$SKU_CRM" "remove: all" "groups:" \
	"  - \"CN=Domain Admins,$G\""

# ad_config URI BIND-NAME [EXTRA-LDAP-YAML]: licsync.conf for the DC
ad_config() {
	LDAP_URI=$1 write_config
	printf '%s\n' "$SAMBA_ADMIN_PASSWORD" >"$T/ldap.secret"
	python3 - "$T/licsync.conf" "$1" "$2" "$SAMBA_CA" "$SAMBA_BASE" \
	    "${3:-}" <<'PY'
import sys
path, uri, who, ca, base, extra = sys.argv[1:]
out = []
for line in open(path):
    if line.startswith("  uri:"):
        line = "  uri: %s\n  ca_file: %s\n" % (uri, ca)
        if extra:
            line += extra + "\n"
    elif line.startswith("  bind_dn:"):
        line = '  bind_dn: "%s"\n' % who.replace("\\", "\\\\")
    elif line.startswith("  base_dn:"):
        line = '  base_dn: "CN=Users,%s"\n' % base
    elif line.startswith("  user_filter:"):
        line = "  user_filter: (objectClass=user)\n"
    elif line.startswith("  user_key:"):
        line = "  user_key: userPrincipalName\n"
    out.append(line)
open(path, "w").write("".join(out))
PY
}

# bound DESC URI BIND-NAME [EXTRA]: check --online binds as BIND-NAME
bound() {
	ad_config "$2" "$3" "${4:-}"
	run_licsync check --online
	contains "$1: bound" "$OUT" "directory $2: bound as $3"
	case $ERR in
	*"bind failed"*|*"TLS"*) not_ok "$1: no bind or TLS error" "$ERR" ;;
	*) ok "$1: no bind or TLS error" ;;
	esac
}

bound "LDAPS, bound by user principal name" "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
bound "LDAPS, bound by down-level name" "$SAMBA_LDAPS" "$SAMBA_ADMIN_DOWNLEVEL"
bound "LDAPS, bound by DN" "$SAMBA_LDAPS" "CN=Administrator,$G"
bound "StartTLS, bound by user principal name" "$SAMBA_LDAP" \
	"$SAMBA_ADMIN_UPN" "  starttls: true"

ad_config "$SAMBA_LDAPS" "nobody@example.test"
run_licsync check --online
is "an unknown user principal name: exit 3" "$RC" 3
contains "an unknown user principal name: the bind is what failed" "$ERR" \
	"LDAP bind failed"

ad_config "$SAMBA_LDAPS" "$SAMBA_ADMIN_UPN"
sed -i "s|^  ca_file: .*|  ca_file: /etc/ssl/certs/ca-certificates.crt|" \
	"$T/licsync.conf"
run_licsync check --online
is "a DC whose CA is not trusted: exit 3" "$RC" 3

if grep -a -q -e "$SAMBA_ADMIN_PASSWORD" -e "$GRAPH_SECRET" \
    "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi
tap_done
