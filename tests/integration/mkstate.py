#!/usr/bin/env python3
"""Write a Graph test server state for the integration tests.

The tenant knows every user of tests/data/directory.ldif that has a mail
address (userPrincipalName = mail), with usageLocation US, unless told
otherwise:

  mkstate.py [--sku NAME:GUID:ENABLED[:CONSUMED]]
             [--hold NAME:USER[:GROUP[:STATE]]]
             [--unknown USER] [--noloc USER] [--user USER] [--bulk PREFIX:N]

--hold gives USER the SKU directly, or through GROUP (a group object id;
empty for direct); give it twice, once with a group, for both.  STATE is
the assignment's state (Active by default; Error: it failed, CountViolation).  --user adds a tenant user,
--bulk adds PREFIX0000001@example.com... users.
"""
import argparse
import json
import sys

DIRECTORY_USERS = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    "ivan", "judy", "mallory", "oscar", "john.smith", "breakglass", "ceo",
]

p = argparse.ArgumentParser()
p.add_argument("--sku", action="append", default=[])
p.add_argument("--hold", action="append", default=[])
p.add_argument("--unknown", action="append", default=[])
p.add_argument("--noloc", action="append", default=[])
p.add_argument("--user", action="append", default=[])
p.add_argument("--bulk", action="append", default=[])
a = p.parse_args()

def upn(name):
    return name if "@" in name else name + "@example.com"

skus, by_name = [], {}
for spec in a.sku:
    parts = spec.split(":")
    sku = {"skuId": parts[1], "skuPartNumber": parts[0].upper(),
           "enabled": int(parts[2]), "warning": 0, "suspended": 0,
           "lockedOut": 0, "capabilityStatus": "Enabled", "appliesTo": "User",
           "servicePlans": []}
    if len(parts) > 3:
        sku["consumedUnits"] = int(parts[3])
    skus.append(sku)
    by_name[parts[0]] = parts[1]

names = [n for n in DIRECTORY_USERS if n not in a.unknown] + a.user
for spec in a.bulk:
    prefix, n = spec.split(":")
    names += ["%s%07d" % (prefix, i) for i in range(1, int(n) + 1)]
users = {}
for n in names:
    users[upn(n)] = {"userPrincipalName": upn(n),
                     "usageLocation": None if n in a.noloc else "US",
                     "licenses": []}
for spec in a.hold:
    parts = spec.split(":")
    u = users[upn(parts[1])]
    lic = {"skuId": by_name[parts[0]],
           "group": parts[2] if len(parts) > 2 and parts[2] else None,
           "disabledPlans": []}
    if len(parts) > 3:
        lic["state"] = parts[3]
        lic["error"] = "None" if parts[3] == "Active" else "CountViolation"
    u["licenses"].append(lic)

json.dump({"tenant_id": "contoso.onmicrosoft.com",
           "client_id": "11111111-1111-1111-1111-111111111111",
           "client_secret": "test-secret-value",
           "skus": skus, "users": list(users.values())},
          sys.stdout, indent=1)
