#!/bin/bash
# directory.sh - directory shapes that must never shrink a group silently:
# groups outside base_dn, member values spelled unlike the entry's DN,
# ambiguous uids, several missing policy groups.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
# A group with a member DN of 60,000 characters, which slapd stores but
# will not search for (invalidDNSyntax).
python3 - "$T/longdn.ldif" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("dn: cn=longdn,ou=groups,dc=example,dc=com\n"
            "objectClass: groupOfNames\ncn: longdn\n"
            "member: cn=%s,ou=people,dc=example,dc=com\n"
            "member: cn=Alice,ou=people,dc=example,dc=com\n" % ("x" * 60000))
PY
slapd_up "$top_srcdir/tests/data/directory.ldif" \
	"$top_srcdir/tests/data/aliases.ldif" "$T/longdn.ldif"
mkstate --sku crm:$SKU_CRM:10 \
	--user aerger --user twin.one --user twin.two \
	--hold crm:dave::Error --hold crm:erin:grp-7:Error
graph_start "$T/state.json"
write_config

assigns() {     # the users the plan assigns, space-separated
	grep '^assign,' "$T/out" | cut -d, -f4 | tr '\n' ' '
}

# Groups live outside a base_dn that holds only the users: nested groups
# are still followed (base_dn scopes the user search, not group nesting).
policy all sales
sed -i 's/^  base_dn: .*/  base_dn: ou=people,dc=example,dc=com/' "$T/licsync.conf"
run_licsync plan --format csv
is "base_dn = people OU: plan exits 0" "$RC" 0
is "base_dn = people OU: nested groups outside it are followed" "$(assigns)" \
	"alice@example.com bob@example.com carol@example.com ceo@example.com "
write_config

# Attribute aliases, OIDs and non-ASCII case: the entry decides.
policy all aliases
run_licsync plan --format json
is "aliases: plan exits 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/plan.json"
check "aliases: alice, bob and aerger entitled, nothing skipped" \
	python3 - "$T/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
got = sorted(c["user"] for c in p["changes"] if c["action"] == "assign")
assert got == ["aerger@example.com", "alice@example.com",
               "bob@example.com"], got
assert p["summary"]["directory"]["not_users"] == 0, p["summary"]
PY

# A uid two users share names neither of them.
policy all twins
run_licsync plan --format csv
is "ambiguous uid: only the unambiguous member" "$(assigns)" "frank@example.com "
contains "ambiguous uid: warned" "$ERR" "uid 'twin' belongs to more than one user"

# Group assignments in state Error hold no license: entitled users get one.
policy all engineering
run_licsync plan --format csv
is "license in state Error: not held, so assigned" "$(assigns)" \
	"dave@example.com erin@example.com "

# Several missing policy groups: exit 3, never a crash.
policy all "support suport supp0rt"
run_licsync plan
is "second policy group missing: exit 3" "$RC" 3
contains "second policy group missing: named" "$ERR" "policy group 'cn=suport,$G' does not exist"

# A policy group that is a user, not a group.
printf 'apps:\n  acme-crm:\n    sku: %s\n    groups:\n      - cn=Alice,ou=people,dc=example,dc=com\n' "$SKU_CRM" >"$T/policy.yaml"
run_licsync plan
is "policy group that is a user: exit 3" "$RC" 3
contains "policy group that is a user: says so" "$ERR" "is not a group"

# A member DN too long for the server: the error keeps the server's own
# words, and the DN is shortened instead.
policy all longdn
run_licsync plan
is "60,000-character member DN: exit 3" "$RC" 3
contains "60,000-character member DN: libldap's and slapd's words" "$ERR" \
	"Invalid DN syntax (invalid DN)"
contains "60,000-character member DN: the DN shortened, with its length" \
	"$ERR" "xxx... (60031 characters)': Invalid DN syntax"
check "60,000-character member DN: the message stays short" \
	test "${#ERR}" -lt 1000

# Plain ldap:// with a password: warned about.
policy all support
run_licsync plan
contains "bind password without TLS: warned" "$ERR" "without TLS"

# The schema: slapd's rootDSE announces no Active Directory.
write_config "  nesting: in-chain"
run_licsync plan
is "nesting: in-chain on slapd: exit 2" "$RC" 2
contains "nesting: in-chain on slapd: says why" "$ERR" \
	"nesting: in-chain needs Active Directory's LDAP_MATCHING_RULE_IN_CHAIN, and this directory's schema is rfc"
write_config "  schema: ad"
run_licsync plan
is "schema: ad on slapd: no AD groups, exit 3" "$RC" 3
contains "schema: ad on slapd: the policy group is not a group to it" \
	"$ERR" "is not a group"
# Any directory's disabled test: here, alice's mail.
write_config "  disabled_filter: (mail=alice@example.com)"
policy all sales
run_licsync plan --format json
is "disabled_filter on slapd: exit 0" "$RC" 0
printf '%s\n' "$OUT" >"$T/disabled.json"
check "disabled_filter on slapd: alice, in sales, is not assigned" \
	python3 - "$T/disabled.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
users = {c["user"] for c in p["changes"]}
assert "alice@example.com" not in users, users
assert users, "someone else is assigned"
assert p["summary"]["directory"]["disabled"] == 1, p["summary"]
assert p["summary"]["apps"][0]["disabled"] == 1, p["summary"]
PY
write_config

tap_done
