#!/bin/bash
# tls.sh - LDAPS and StartTLS: certificate checking is on by default and
# ca_file is what makes a private CA trusted.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || tap_skip_all "openssl not available"

export SLAPD_TLS=1
slapd_up "$top_srcdir/tests/data/directory.ldif"
mkstate \
	--sku crm:$SKU_CRM:10
graph_start "$T/state.json"
cat >"$T/policy.yaml" <<EOF_POLICY
apps:
  acme-crm:
    sku: $SKU_CRM
    groups:
      - cn=engineering,ou=groups,dc=example,dc=com
EOF_POLICY

plan_with() {   # plan_with DESC WANT-RC URI [EXTRA-LDAP-YAML]
	LDAP_URI=$3 write_config "${4:-}"
	run_licsync plan --format json
	if [ "$RC" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "rc=$RC, want $2" "$ERR"
	fi
}

plan_with "ldaps with ca_file" 0 "$SLAPD_LDAPS_URI" "  ca_file: $SLAPD_CA_FILE"
contains "ldaps with ca_file: users read" "$OUT" '"user": "dave@example.com"'
plan_with "ldaps without the CA: refused (exit 3)" 3 "$SLAPD_LDAPS_URI"
plan_with "StartTLS with ca_file" 0 "$SLAPD_URI" \
	"$(printf '  starttls: true\n  ca_file: %s' "$SLAPD_CA_FILE")"
plan_with "StartTLS without the CA: refused (exit 3)" 3 "$SLAPD_URI" \
	"  starttls: true"
contains "StartTLS refusal names StartTLS" "$ERR" "StartTLS failed"
plan_with "tls_reqcert: never skips the check" 0 "$SLAPD_LDAPS_URI" \
	"  tls_reqcert: never"
# the list of URIs is tried in order: a dead one first is skipped
plan_with "second URI used when the first is down" 0 \
	"ldap://127.0.0.1:1 $SLAPD_LDAPS_URI" "  ca_file: $SLAPD_CA_FILE"

# without ca_file, ldap.conf's TLS_CACERT is the trust anchor (libldap)
LDAP_URI=$SLAPD_LDAPS_URI write_config
printf 'TLS_CACERT %s\n' "$SLAPD_CA_FILE" >"$T/ldap.conf"
env -u LDAPNOINIT LDAPCONF="$T/ldap.conf" HOME="$T" LDAPRC=none \
	"$LICSYNC" -c "$T/licsync.conf" plan --format json >"$T/out" 2>"$T/err"
is "ldap.conf TLS_CACERT trusted when ca_file is unset" "$?" 0
printf 'TLS_REQCERT never\n' >"$T/ldap.conf"
env -u LDAPNOINIT LDAPCONF="$T/ldap.conf" HOME="$T" LDAPRC=none \
	"$LICSYNC" -c "$T/licsync.conf" plan --format json >"$T/out" 2>"$T/err"
is "ldap.conf TLS_REQCERT never does not turn checking off" "$?" 3

tap_done
