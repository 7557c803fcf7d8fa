#!/usr/bin/env python3
"""A loopback stand-in for Microsoft Graph's licensing API, for licsync's tests.

It mimics what ../shared/GRAPH.md documents: the OAuth2 client-credentials
token endpoint (client secret or certificate-signed client assertion),
GET /v1.0/subscribedSkus, GET /v1.0/users ($select, $top, $filter on
assignedLicenses, @odata.nextLink paging), GET /v1.0/users/delta (below),
PATCH /v1.0/users/{id}
(usageLocation only), POST /v1.0/users/{id}/assignLicense and
POST /v1.0/$batch (dependsOn in serial batches), with optional latency,
injected 429/503 faults and hostile answers (see below).
Test-control endpoints under /_test/ read and replace the state and counters.

Usage:
  graph_server.py --state STATE.json --port-file FILE [--log FILE]
      [--latency-ms N] [--fault-429 P] [--fault-503 P] [--retry-after S]
      [--seed N] [--token-lifetime S] [--max-requests N]

State file (JSON; also the body of PUT /_test/state):
  {"tenant_id": "contoso.onmicrosoft.com", "client_id": GUID,
   "client_secret": "...",
   "certificate": path relative to the state file, or inline PEM (optional),
   "skus": [{"skuId", "skuPartNumber", "enabled", "warning", "suspended",
             "lockedOut", "capabilityStatus", "appliesTo",
             "servicePlans": [{"servicePlanId", "servicePlanName"}],
             "consumedUnits": fixed value instead of counting holders,
             "mutuallyExclusiveWith": [skuId], "dependsOn": [skuId]}],
   "users": [{"userPrincipalName", "id" (default uuid5(NAMESPACE_DNS,
              lower(upn))), "usageLocation", "displayName", "mail",
              "accountEnabled",
              "licenses": [{"skuId", "group": null | group id,
                            "disabledPlans": [], "state", "error",
                            "lastUpdatedDateTime"}]}]}
  tenant_id and client_id are required; in skus, skuId and skuPartNumber;
  in users, userPrincipalName.  Counts default to 0.  mutuallyExclusiveWith / dependsOn make assignLicense fail with
  Graph's service-plan messages.  Licenses whose state is not Active or
  ActiveWithError are listed in licenseAssignmentStates only: they are not
  in assignedLicenses and use no seat.
Other keys are kept and returned by GET /_test/state.

Test control (no authentication, not counted in the stats):
  GET  /_test/state          the state (users sorted by UPN)
  PUT  /_test/state          replace it (tokens stay valid)
  GET  /_test/stats          counters; POST /_test/reset-stats zeroes them
  POST /_test/expire-tokens  every issued token now gets 401
  GET|PUT /_test/config      latency_ms, fault_429, fault_503, retry_after,
                             faults_on_writes_only (0/1: fault only writes),
                             token_lifetime, and the hostile knobs below;
                             PUT changes them, seed re-seeds

Hostile knobs (PUT /_test/config; all off by default):
  batch_ids          null | suffix ("0" answered as "0garbage") |
                     leading_zero ("07") | space (" 7") | number (7) |
                     missing (no id) | unknown (an id no request had) |
                     duplicate (every answer twice): the ids of a $batch's
                     answers; the items still run unless batch_fake_status
  batch_fake_status  null | 100..599: $batch items are not run, each is
                     answered with this status (no body for 204); logged
                     with "faked": true
  batch_whole        null | {"status", "retry_after" (null: no header),
                     "times" (-1: always)}: the outer POST /$batch is
                     answered so, nothing inside runs; counted in
                     batch_whole_faults
  throttle_percent   null | number: every /v1.0 answer carries
                     x-ms-throttle-limit-percentage with it, as given
  next_link          null | self (each users page links to itself) |
                     cycle (page 1 -> an empty page 2 -> page 1) | endless (the real
                     pages, then empty pages, each linking to a new URL) |
                     outside (a link to another host)
  duplicate_users    0 | 1: each users page lists its first user again
  delta_expired      0 | 1: a $deltatoken is answered 410 resyncRequired,
                     as Graph answers one it no longer keeps

GET /v1.0/users/delta ($select, Prefer: odata.maxpagesize=N, default
100, at most 999): the first round pages through every user, in id
order, and its last page carries @odata.deltaLink ($deltatoken); that
link then returns only the users whose userPrincipalName, usageLocation
or assignedLicenses changed since (through the API or PUT /_test/state)
with every selected property, and those deleted as {"id", "@removed":
{"reason": "deleted"}}, then a new deltaLink.  As in Graph, a change of
licenseAssignmentStates alone is not tracked.
  oversized_body_mb  0 | N: each users answer is padded to N MiB more
                     (a valid object, streamed in 64 KiB chunks)
A $batch with dependsOn must be serial (each request depends on the one
before), else 400 "Batch should be either fully sequential or fully
parallel", as Graph answers.
PATCH /users/{id} takes only usageLocation, an ISO 3166-1 alpha-2 code in
upper case (400 otherwise), answers 204, and counts in patch_calls.

The --log file has one JSON line per request: time, method, path, status,
ms, request_id (Graph), fault (injected status), add/remove (assignLicense
skuIds), and for $batch batch_items (statuses in request order) and batch
(per item: id, method, url, status, request_id, fault, add, remove).

Standard library only; certificate assertions are verified with `openssl`.
Exit status: 0 after SIGTERM/SIGINT, 2 on a bad command line or state file,
3 when --max-requests stopped the server.
"""

import argparse
import base64
import bisect
import copy
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
FILTER_RE = re.compile(r"^\s*assignedLicenses/any\(\s*([A-Za-z_]\w*)\s*:"
                       r"\s*\1/skuId\s+eq\s+(\S+?)\s*\)\s*$", re.IGNORECASE)

GRAPH_JSON = ("application/json;odata.metadata=minimal;odata.streaming=true;"
              "IEEE754Compatible=false;charset=utf-8")
PLAIN_JSON = "application/json; charset=utf-8"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

USER_FIELDS = ("id", "displayName", "userPrincipalName", "mail",
               "usageLocation", "accountEnabled", "assignedLicenses",
               "licenseAssignmentStates")
DEFAULT_USER_SELECT = ("id", "userPrincipalName", "displayName")
USERS_QUERY_OPTIONS = ("$select", "$top", "$filter", "$skiptoken")
DELTA_QUERY_OPTIONS = ("$select", "$skiptoken", "$deltatoken")
# what a delta round tracks of a user
TRACKED_FIELDS = ("userPrincipalName", "usageLocation", "assignedLicenses")
LICENSE_STATES = ("Active", "ActiveWithError", "Disabled", "Error")
LICENSE_ERRORS = ("None", "CountViolation", "MutuallyExclusiveViolation",
                  "DependencyViolation", "ProhibitedInUsageLocationViolation",
                  "UniquenessViolation", "Other")
DEFAULT_UPDATED = "2024-01-01T00:00:00Z"
MAX_BATCH = 20
# usageLocation must be one of these (ISO 3166-1 alpha-2, upper case)
ISO_3166 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH
BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL
CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE
KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC
MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC
NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR
SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA
UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
BATCH_ID_MODES = ("suffix", "leading_zero", "space", "number", "missing",
                  "unknown", "duplicate")
NEXT_LINK_MODES = ("self", "cycle", "endless", "outside")
CLOCK_SKEW = 300            # seconds tolerated on nbf/exp, as Entra does
MAX_ASSERTION_LIFETIME = 600
SKIPTOKEN_PREFIX = "RFNwdAIA"


# ---------------------------------------------------------------- helpers

def utcnow():
    return datetime.now(timezone.utc)


def iso_now():
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def is_guid(value):
    return isinstance(value, str) and GUID_RE.match(value) is not None


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_id():
    return str(uuid.uuid4())


class StateError(ValueError):
    """The state document is malformed."""


class GraphError(Exception):
    """A Graph error answer: status, error code and message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.log = {}


class TokenError(Exception):
    """A token endpoint error answer (AADSTS code and description)."""

    def __init__(self, status, error, aadsts, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description


def bad_request(message, code="Request_BadRequest"):
    return GraphError(400, code, message)


def graph_error_body(code, message, request_id, client_request_id):
    return {"error": {"code": code, "message": message, "innerError": {
        "date": utcnow().strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id}}}


def token_error_body(err):
    trace, corr = new_id(), new_id()
    stamp = utcnow().strftime("%Y-%m-%d %H:%M:%SZ")
    description = (f"AADSTS{err.aadsts}: {err.description}\r\n"
                   f"Trace ID: {trace}\r\nCorrelation ID: {corr}\r\n"
                   f"Timestamp: {stamp}")
    return {"error": err.error, "error_description": description,
            "error_codes": [err.aadsts], "timestamp": stamp,
            "trace_id": trace, "correlation_id": corr}


@dataclass
class Reply:
    """What a handler answers; `log` adds fields to the request's log line."""
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)
    content_type: str = GRAPH_JSON
    log: dict = field(default_factory=dict)
    stop_after: bool = False
    pad_bytes: int = 0      # oversized_body_mb: stream this much padding


@dataclass
class Call:
    """One Graph call, from the wire or from a $batch item.

    `body` is raw bytes for a wire request and the decoded JSON value for a
    batch item; None when there is no body.  Header names are lower case.
    """
    method: str
    segments: list
    query: str
    headers: dict
    body: object
    base_url: str
    in_batch: bool = False


# ------------------------------------------------------------------ state

@dataclass
class Certificate:
    der: bytes
    pubkey_path: str

    @property
    def x5t_s256(self):
        return b64url_encode(hashlib.sha256(self.der).digest())

    @property
    def x5t(self):
        return b64url_encode(hashlib.sha1(self.der).digest())


def load_certificate(value, base_dir, tmpdir):
    """Read a PEM certificate (path relative to the state file, or inline
    PEM) and extract its public key with openssl for signature checks."""
    if not isinstance(value, str) or not value:
        raise StateError("certificate: must be a path or PEM text")
    if value.lstrip().startswith("-----BEGIN"):
        pem = value
    else:
        path = value if os.path.isabs(value) else os.path.join(base_dir, value)
        try:
            with open(path, encoding="ascii") as f:
                pem = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise StateError(f"certificate: cannot read {path}: {e}") from e
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  pem, re.S)
    if not m:
        raise StateError("certificate: no PEM CERTIFICATE block")
    try:
        der = base64.b64decode("".join(m.group(1).split()), validate=True)
    except ValueError as e:
        raise StateError(f"certificate: bad PEM data: {e}") from e
    try:
        r = subprocess.run(["openssl", "x509", "-pubkey", "-noout"],
                           input=m.group(0).encode("ascii"),
                           capture_output=True, check=False)
    except FileNotFoundError as e:
        raise StateError("certificate: the openssl command is needed") from e
    if r.returncode != 0:
        raise StateError("certificate: openssl cannot read it: "
                         + r.stderr.decode(errors="replace").strip())
    pubkey_path = os.path.join(tmpdir,
                               hashlib.sha256(der).hexdigest() + ".pub.pem")
    with open(pubkey_path, "wb") as f:
        f.write(r.stdout)
    return Certificate(der, pubkey_path)


def _int_field(obj, key, where, default=0):
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise StateError(f"{where}.{key}: must be a non-negative integer")
    return value


def _guid_field(value, where):
    if not is_guid(value):
        raise StateError(f"{where}: not a GUID: {value!r}")
    return value.lower()


def _guid_list(value, where):
    if value is None:
        return []
    if not isinstance(value, list):
        raise StateError(f"{where}: must be a list of GUIDs")
    return [_guid_field(v, f"{where}[{i}]") for i, v in enumerate(value)]


def license_active(lic):
    """Licenses in these states appear in assignedLicenses and use a seat."""
    return lic.get("state", "Active") in ("Active", "ActiveWithError")


class Tenant:
    """Everything the server knows: credentials, SKUs and users.

    Internal dicts keep the state file's keys (normalised, defaults filled
    in); keys starting with "_" are private and never exported.
    """

    TOP_KEYS = ("tenant_id", "client_id", "client_secret", "certificate",
                "skus", "users")

    def __init__(self, data, base_dir, tmpdir):
        if not isinstance(data, dict):
            raise StateError("state: must be a JSON object")
        for key in ("tenant_id", "client_id"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise StateError(f"{key}: must be a non-empty string")
        secret = data.get("client_secret")
        if secret is not None and not isinstance(secret, str):
            raise StateError("client_secret: must be a string")
        self.tenant_id = data["tenant_id"]
        self.client_id = data["client_id"]
        self.client_secret = secret
        self.certificate = data.get("certificate")
        self.cert = (load_certificate(self.certificate, base_dir, tmpdir)
                     if self.certificate is not None else None)
        self.extra = {k: copy.deepcopy(v) for k, v in data.items()
                      if k not in self.TOP_KEYS}
        self.skus = {}
        for i, raw in enumerate(self._list(data, "skus")):
            sku = self._load_sku(raw, f"skus[{i}]")
            if sku["skuId"] in self.skus:
                raise StateError(f"skus[{i}].skuId: duplicate {sku['skuId']}")
            self.skus[sku["skuId"]] = sku
        for sku_id, sku in self.skus.items():
            for key in ("mutuallyExclusiveWith", "dependsOn"):
                for other in sku.get(key, []):
                    if other not in self.skus:
                        raise StateError(f"sku {sku_id}: {key}: unknown sku "
                                         f"{other}")
        self.by_id, self.by_upn = {}, {}
        for i, raw in enumerate(self._list(data, "users")):
            user = self._load_user(raw, f"users[{i}]")
            if user["id"] in self.by_id:
                raise StateError(f"users[{i}].id: duplicate {user['id']}")
            if user["userPrincipalName"].lower() in self.by_upn:
                raise StateError(f"users[{i}].userPrincipalName: duplicate "
                                 f"{user['userPrincipalName']}")
            self.by_id[user["id"]] = user
            self.by_upn[user["userPrincipalName"].lower()] = user
        self.sorted_users = sorted(self.by_id.values(), key=lambda u: u["id"])
        self.sorted_ids = [u["id"] for u in self.sorted_users]
        self.holders = {sku_id: 0 for sku_id in self.skus}
        for user in self.sorted_users:
            for sku_id in self.held(user):
                self.holders[sku_id] += 1

    @staticmethod
    def _list(data, key):
        value = data.get(key, [])
        if not isinstance(value, list):
            raise StateError(f"{key}: must be a list")
        return value

    @staticmethod
    def _load_sku(raw, where):
        if not isinstance(raw, dict):
            raise StateError(f"{where}: must be an object")
        sku = copy.deepcopy(raw)
        sku["skuId"] = _guid_field(raw.get("skuId"), f"{where}.skuId")
        if not isinstance(raw.get("skuPartNumber"), str):
            raise StateError(f"{where}.skuPartNumber: must be a string")
        for key in ("enabled", "warning", "suspended", "lockedOut"):
            sku[key] = _int_field(raw, key, where)
        if "consumedUnits" in raw:
            sku["consumedUnits"] = _int_field(raw, "consumedUnits", where)
        sku.setdefault("capabilityStatus", "Enabled")
        sku.setdefault("appliesTo", "User")
        plans = sku.get("servicePlans", [])
        if not isinstance(plans, list):
            raise StateError(f"{where}.servicePlans: must be a list")
        for j, plan in enumerate(plans):
            w = f"{where}.servicePlans[{j}]"
            if not isinstance(plan, dict):
                raise StateError(f"{w}: must be an object")
            plan["servicePlanId"] = _guid_field(plan.get("servicePlanId"),
                                                f"{w}.servicePlanId")
            if not isinstance(plan.get("servicePlanName"), str):
                raise StateError(f"{w}.servicePlanName: must be a string")
        sku["servicePlans"] = plans
        for key in ("mutuallyExclusiveWith", "dependsOn"):
            if key in raw:
                sku[key] = _guid_list(raw[key], f"{where}.{key}")
        return sku

    def _load_user(self, raw, where):
        if not isinstance(raw, dict):
            raise StateError(f"{where}: must be an object")
        user = copy.deepcopy(raw)
        upn = raw.get("userPrincipalName")
        if not isinstance(upn, str) or not upn:
            raise StateError(f"{where}.userPrincipalName: must be a string")
        if raw.get("id") is None:
            user["id"] = str(uuid.uuid5(uuid.NAMESPACE_DNS, upn.lower()))
        else:
            user["id"] = _guid_field(raw["id"], f"{where}.id")
        loc = raw.get("usageLocation")
        if loc is not None and not isinstance(loc, str):
            raise StateError(f"{where}.usageLocation: must be a string or null")
        licenses, seen = [], set()
        for j, lic in enumerate(self._list(raw, "licenses")):
            w = f"{where}.licenses[{j}]"
            if not isinstance(lic, dict):
                raise StateError(f"{w}: must be an object")
            lic = copy.deepcopy(lic)
            lic["skuId"] = _guid_field(lic.get("skuId"), f"{w}.skuId")
            if lic["skuId"] not in self.skus:
                raise StateError(f"{w}.skuId: unknown sku {lic['skuId']}")
            group = lic.get("group")
            if group is not None and (not isinstance(group, str) or not group):
                raise StateError(f"{w}.group: must be null or a group id")
            lic["group"] = group
            lic["disabledPlans"] = _guid_list(lic.get("disabledPlans"),
                                              f"{w}.disabledPlans")
            if lic.get("state", "Active") not in LICENSE_STATES:
                raise StateError(f"{w}.state: one of {', '.join(LICENSE_STATES)}")
            if lic.get("error", "None") not in LICENSE_ERRORS:
                raise StateError(f"{w}.error: one of {', '.join(LICENSE_ERRORS)}")
            if (lic["skuId"], group) in seen:
                raise StateError(f"{w}: duplicate license {lic['skuId']}"
                                 + (f" from group {group}" if group else ""))
            seen.add((lic["skuId"], group))
            licenses.append(lic)
        user["licenses"] = licenses
        return user

    # -- queries

    def find_user(self, key):
        """A user by object id or userPrincipalName (case-insensitive)."""
        key = key.lower()
        return self.by_id.get(key) or self.by_upn.get(key)

    @staticmethod
    def held(user):
        """skuIds the user holds (directly or via a group) that use a seat."""
        return {lic["skuId"] for lic in user["licenses"] if license_active(lic)}

    def consumed(self, sku_id):
        sku = self.skus[sku_id]
        return sku.get("consumedUnits", self.holders[sku_id])

    def free_seats(self, sku_id):
        sku = self.skus[sku_id]
        return sku["enabled"] + sku["warning"] - self.consumed(sku_id)

    def plan_label(self, sku_id):
        """How Graph names a SKU in plan-level errors: its first plan id."""
        plans = self.skus[sku_id]["servicePlans"]
        return plans[0]["servicePlanId"] if plans else sku_id

    # -- views

    def sku_view(self, sku):
        return {
            "accountName": self.tenant_id.split(".")[0],
            "appliesTo": sku["appliesTo"],
            "capabilityStatus": sku["capabilityStatus"],
            "consumedUnits": self.consumed(sku["skuId"]),
            "id": f"{self.tenant_id}_{sku['skuId']}",
            "skuId": sku["skuId"],
            "skuPartNumber": sku["skuPartNumber"],
            "subscriptionIds": [],
            "prepaidUnits": {k: sku[k] for k in
                             ("enabled", "suspended", "warning", "lockedOut")},
            "servicePlans": [{"servicePlanId": p["servicePlanId"],
                              "servicePlanName": p["servicePlanName"],
                              "provisioningStatus": "Success",
                              "appliesTo": p.get("appliesTo", sku["appliesTo"])}
                             for p in sku["servicePlans"]],
        }

    @staticmethod
    def _sorted_licenses(user):
        return sorted(user["licenses"],
                      key=lambda l: (l["skuId"], l["group"] is not None,
                                     l["group"] or ""))

    def assigned_licenses(self, user):
        """One entry per SKU; a plan is disabled only if every assignment
        disables it."""
        merged = {}
        for lic in self._sorted_licenses(user):
            if not license_active(lic):
                continue
            plans = merged.get(lic["skuId"])
            if plans is None:
                merged[lic["skuId"]] = list(lic["disabledPlans"])
            else:
                merged[lic["skuId"]] = [p for p in plans
                                        if p in lic["disabledPlans"]]
        return [{"disabledPlans": plans, "skuId": sku_id}
                for sku_id, plans in merged.items()]

    def license_states(self, user):
        return [{"assignedByGroup": lic["group"],
                 "disabledPlans": list(lic["disabledPlans"]),
                 "error": lic.get("error", "None"),
                 "lastUpdatedDateTime": (lic.get("_updated")
                                         or lic.get("lastUpdatedDateTime")
                                         or DEFAULT_UPDATED),
                 "skuId": lic["skuId"],
                 "state": lic.get("state", "Active")}
                for lic in self._sorted_licenses(user)]

    def user_view(self, user, fields=USER_FIELDS):
        values = {
            "id": lambda: user["id"],
            "displayName": lambda: user.get(
                "displayName", user["userPrincipalName"].split("@")[0]),
            "userPrincipalName": lambda: user["userPrincipalName"],
            "mail": lambda: user.get("mail"),
            "usageLocation": lambda: user.get("usageLocation"),
            "accountEnabled": lambda: user.get("accountEnabled", True),
            "assignedLicenses": lambda: self.assigned_licenses(user),
            "licenseAssignmentStates": lambda: self.license_states(user),
        }
        return {name: values[name]() for name in USER_FIELDS if name in fields}

    def export(self):
        """The state in the state file's format (users sorted by UPN)."""
        def public(obj):
            return {k: copy.deepcopy(v) for k, v in obj.items()
                    if not k.startswith("_")}
        out = {"tenant_id": self.tenant_id, "client_id": self.client_id}
        if self.client_secret is not None:
            out["client_secret"] = self.client_secret
        if self.certificate is not None:
            out["certificate"] = self.certificate
        out.update(copy.deepcopy(self.extra))
        out["skus"] = [public(s) for s in self.skus.values()]
        users = []
        for user in sorted(self.by_id.values(),
                           key=lambda u: u["userPrincipalName"].lower()):
            u = public(user)
            u["licenses"] = [public(l) for l in self._sorted_licenses(user)]
            users.append(u)
        out["users"] = users
        return out

    # -- changes

    def assign(self, user, adds, removes):
        """Validate a whole assignLicense call, then apply it (atomic).

        adds: {skuId: disabledPlans}; removes: [skuId].  Raises GraphError.
        """
        for sku_id in list(adds) + removes:
            if sku_id not in self.skus:
                raise bad_request(f"License {sku_id} does not correspond to a "
                                  "valid company License.")
        both = [s for s in removes if s in adds]
        if both:
            raise bad_request(f"License {both[0]} cannot be added and removed "
                              "in the same request.")
        if adds and not user.get("usageLocation"):
            raise bad_request("License assignment cannot be done for user with "
                              "invalid usage location.")
        direct = {l["skuId"]: l for l in user["licenses"] if l["group"] is None}
        held_before = self.held(user)
        for sku_id in removes:
            if sku_id in direct:
                continue
            if any(l["skuId"] == sku_id for l in user["licenses"]):
                raise bad_request("User license is inherited from a group "
                                  "membership and it cannot be removed "
                                  "directly from the user.")
            raise bad_request("User does not have a corresponding license.")
        for sku_id, plans in adds.items():
            known = {p["servicePlanId"] for p in self.skus[sku_id]["servicePlans"]}
            for plan in plans:
                if plan not in known:
                    raise bad_request(f"Service plan {plan} is not part of "
                                      f"license {sku_id}.")
        for sku_id in adds:
            if sku_id not in held_before and self.free_seats(sku_id) < 1:
                raise bad_request(f"Subscription with SKU {sku_id} does not "
                                  "have any available licenses.")
        now = iso_now()
        licenses = [l for l in user["licenses"]
                    if not (l["group"] is None and l["skuId"] in removes)]
        for sku_id, plans in adds.items():
            lic = direct.get(sku_id)
            if lic is None:
                licenses.append({"skuId": sku_id, "group": None,
                                 "disabledPlans": plans, "_updated": now})
            else:
                lic["disabledPlans"] = plans
                lic["_updated"] = now
        held_after = {l["skuId"] for l in licenses if license_active(l)}
        self._check_plan_rules(held_after, set(adds), set(removes))
        user["licenses"] = licenses
        for sku_id in held_before - held_after:
            self.holders[sku_id] -= 1
        for sku_id in held_after - held_before:
            self.holders[sku_id] += 1

    def _check_plan_rules(self, held, added, removed):
        """Optional per-SKU rules: mutuallyExclusiveWith and dependsOn."""
        for sku_id in sorted(added):
            for other in sorted(held - {sku_id}):
                if (other in self.skus[sku_id].get("mutuallyExclusiveWith", [])
                        or sku_id in self.skus[other].get(
                            "mutuallyExclusiveWith", [])):
                    raise bad_request(
                        "License assignment failed because service plans "
                        f"{self.plan_label(sku_id)}, {self.plan_label(other)} "
                        "are mutually exclusive.")
        for sku_id in sorted(held):
            missing = [d for d in self.skus[sku_id].get("dependsOn", [])
                       if d not in held]
            if missing and (sku_id in added or set(missing) & removed):
                raise bad_request(
                    "License assignment failed because service plan "
                    f"{self.plan_label(sku_id)} depends on the service plan(s) "
                    + ", ".join(self.plan_label(d) for d in missing) + ".")


def read_state_file(path, tmpdir):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise StateError(f"cannot read: {e}") from e
    return Tenant(data, os.path.dirname(os.path.abspath(path)), tmpdir)


# ----------------------------------------------------------- client assertion

def verify_assertion(assertion, tenant, audiences, tmpdir):
    """Check a client_assertion JWT as Entra does; raise TokenError."""
    def fail(reason, aadsts=700027):
        raise TokenError(401, "invalid_client", aadsts, reason)

    parts = assertion.split(".")
    if len(parts) != 3:
        fail("Client assertion failed signature validation. "
             "[Reason - The assertion is not a well formed JWT.]")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        fail("Client assertion failed signature validation. "
             "[Reason - The assertion is not a well formed JWT.]")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        fail("Client assertion failed signature validation. "
             "[Reason - The assertion is not a well formed JWT.]")
    alg = header.get("alg")
    if alg not in ("RS256", "PS256"):
        fail(f"Client assertion contains an invalid signature. [Reason - "
             f"The algorithm '{alg}' is not supported.]")
    if header.get("typ") != "JWT":
        fail("Client assertion failed signature validation. "
             "[Reason - The header typ must be 'JWT'.]")
    if tenant.cert is None:
        fail("Client assertion contains an invalid signature. [Reason - "
             "The key was not found.]")
    thumb = header.get("x5t#S256")
    if thumb != tenant.cert.x5t_s256 or (
            "x5t" in header and header["x5t"] != tenant.cert.x5t):
        fail("Client assertion contains an invalid signature. [Reason - "
             f"The key was not found., Thumbprint of key used by client: "
             f"'{thumb}']")
    aud = claims.get("aud")
    if isinstance(aud, list):
        aud_ok = any(a in audiences for a in aud)
    else:
        aud_ok = aud in audiences
    if not aud_ok:
        fail(f"The audience claim value '{aud}' is invalid. Expected "
             f"'{audiences[0]}'.", 700021)
    client_id = tenant.client_id.lower()
    if not all(isinstance(claims.get(c), str) and claims[c].lower() == client_id
               for c in ("iss", "sub")):
        fail("Client assertion contains an invalid signature. [Reason - "
             "iss and sub must both be the client id.]", 700023)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        fail("Client assertion is missing the jti claim.", 700023)
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
               for v in (nbf, exp)):
        fail("Client assertion must carry numeric nbf and exp claims.", 700024)
    now = time.time()
    if not (nbf - CLOCK_SKEW <= now <= exp + CLOCK_SKEW):
        fail(f"Client assertion is not within its valid time range. Current "
             f"time: {int(now)}, assertion valid from {nbf}, expiry time of "
             f"assertion {exp}.", 700024)
    if exp - nbf > MAX_ASSERTION_LIFETIME + 60 or exp < nbf:
        fail("Client assertion lifetime exceeds 10 minutes "
             f"(nbf {nbf}, exp {exp}).", 700024)
    if not openssl_verify(tenant.cert.pubkey_path,
                          f"{parts[0]}.{parts[1]}".encode("ascii"),
                          signature, alg == "PS256", tmpdir):
        fail("Client assertion contains an invalid signature. [Reason - The "
             "provided signature value did not match the expected signature "
             "value.]")


def openssl_verify(pubkey_path, data, signature, pss, tmpdir):
    """RSA SHA-256 signature check (PKCS#1 v1.5, or PSS with salt = 32)."""
    fd, sig_path = tempfile.mkstemp(dir=tmpdir, suffix=".sig")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(signature)
        cmd = ["openssl", "dgst", "-sha256", "-verify", pubkey_path,
               "-signature", sig_path]
        if pss:
            cmd += ["-sigopt", "rsa_padding_mode:pss",
                    "-sigopt", "rsa_pss_saltlen:-1"]
        r = subprocess.run(cmd, input=data, capture_output=True, check=False)
        return r.returncode == 0
    finally:
        os.unlink(sig_path)


# --------------------------------------------------------------- the server

class App:
    """Request handling, independent of the HTTP plumbing."""

    def __init__(self, tenant, args, tmpdir):
        self.tenant = tenant
        self.state_dir = os.path.dirname(os.path.abspath(args.state))
        self.tmpdir = tmpdir
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.log_file = (open(args.log, "a", encoding="utf-8", buffering=1)
                         if args.log else None)
        self.config = {"latency_ms": args.latency_ms,
                       "fault_429": args.fault_429,
                       "fault_503": args.fault_503,
                       "retry_after": args.retry_after,
                       "token_lifetime": args.token_lifetime,
                       "faults_on_writes_only": 0}
        self.config.update(HOSTILE_DEFAULTS)
        self.max_requests = args.max_requests
        # delta: the sequence number of each user's last tracked change,
        # and of each deletion
        self.delta_seq = 0
        self.user_seq = {}
        self.tombstones = {}
        self.seed(args.seed)
        self.tokens = {}            # access token -> expiry (epoch seconds)
        self.request_count = 0      # for --max-requests
        self.port = 0
        self.stop = threading.Event()
        self.exit_code = 0
        self.reset_stats()

    def seed(self, seed):
        self.fault_rng = random.Random(seed)
        self.shuffle_rng = random.Random(None if seed is None else seed + 1)

    def reset_stats(self):
        with self.lock:
            self.stats = {"requests": 0, "by_path": {}, "by_status": {},
                          "batch_items": 0, "batch_items_by_path": {},
                          "assign_calls": 0, "patch_calls": 0,
                          "throttled": 0, "faults_429": 0, "faults_503": 0,
                          "batch_whole_faults": 0, "tokens_issued": 0}

    def _bump(self, name, key):
        table = self.stats[name]
        table[key] = table.get(key, 0) + 1

    def write_log(self, entry):
        if self.log_file is None:
            return
        line = json.dumps(entry, separators=(",", ":"))
        with self.log_lock:
            self.log_file.write(line + "\n")

    # -- entry point

    def handle(self, method, path, query, headers, body, base_url):
        """Answer one HTTP request; returns a Reply."""
        segments = [unquote(s) for s in path.split("/")[1:]]
        if segments and segments[-1] == "" and len(segments) > 1:
            segments.pop()
        if segments and segments[0] == "_test":
            return self.control(method, segments[1:], body)
        call = Call(method, segments, query, headers, body, base_url)
        with self.lock:
            self.request_count += 1
            over = (self.max_requests is not None
                    and self.request_count > self.max_requests)
            self.stats["requests"] += 1
            self._bump("by_path", self.route_key(segments))
        if over:
            self.exit_code = 3
            return Reply(503, {"error": {"code": "serviceNotAvailable",
                                         "message": "graph_server: "
                                         "--max-requests reached"}},
                         stop_after=True)
        if len(segments) == 4 and segments[1:] == ["oauth2", "v2.0", "token"]:
            reply = self.token(call, segments[0])
        elif segments and segments[0].lower() == "v1.0":
            reply = self.graph(call)
        else:
            reply = Reply(404, {"error": {"code": "NotFound",
                                          "message": f"No such endpoint: {path}"}})
        with self.lock:
            self._bump("by_status", str(reply.status))
        return reply

    @staticmethod
    def route_key(segments):
        """A path with ids replaced, for the by_path counters."""
        low = [s.lower() for s in segments]
        if len(low) == 4 and low[1:] == ["oauth2", "v2.0", "token"]:
            return "/{tenant}/oauth2/v2.0/token"
        match low:
            case ["v1.0", "subscribedskus"]:
                return "/v1.0/subscribedSkus"
            case ["v1.0", "users"]:
                return "/v1.0/users"
            case ["v1.0", "users", "delta"]:
                return "/v1.0/users/delta"
            case ["v1.0", "users", _]:
                return "/v1.0/users/{id}"
            case ["v1.0", "users", _, "assignlicense"]:
                return "/v1.0/users/{id}/assignLicense"
            case ["v1.0", "$batch"]:
                return "/v1.0/$batch"
        return "other"

    # -- token endpoint

    def token(self, call, tenant_name):
        """POST /{tenant}/oauth2/v2.0/token (client credentials)."""
        try:
            token, lifetime = self._issue_token(call, tenant_name)
        except TokenError as e:
            return Reply(e.status, token_error_body(e), content_type=PLAIN_JSON,
                         headers={"Cache-Control": "no-store, no-cache",
                                  "Pragma": "no-cache"})
        return Reply(200, {"token_type": "Bearer", "expires_in": lifetime,
                           "ext_expires_in": lifetime, "access_token": token},
                     content_type=PLAIN_JSON,
                     headers={"Cache-Control": "no-store, no-cache",
                              "Pragma": "no-cache"})

    def _issue_token(self, call, tenant_name):
        if call.method != "POST":
            raise TokenError(400, "invalid_request", 900561,
                             "The endpoint only accepts POST, OPTIONS requests. "
                             f"Received a {call.method} request.")
        form = {}
        ctype = call.headers.get("content-type", "").lower()
        if call.body and ctype.startswith("application/x-www-form-urlencoded"):
            parsed = parse_qs(call.body.decode("utf-8", "replace"),
                              keep_blank_values=True)
            form = {k: v[0] for k, v in parsed.items()}
        with self.lock:
            tenant = self.tenant
            lifetime = self.config["token_lifetime"]
        if tenant_name.lower() != tenant.tenant_id.lower():
            raise TokenError(400, "invalid_request", 90002,
                             f"Tenant '{tenant_name}' not found. Check to make "
                             "sure you have the correct tenant ID and are "
                             "signing into the correct cloud.")
        for name in ("grant_type", "scope", "client_id"):
            if not form.get(name):
                raise TokenError(400, "invalid_request", 900144,
                                 "The request body must contain the following "
                                 f"parameter: '{name}'.")
        if form["grant_type"] != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", 70003,
                             "The app requested an unsupported grant type "
                             f"'{form['grant_type']}'.")
        if form["scope"] != GRAPH_SCOPE:
            raise TokenError(400, "invalid_scope", 1002012,
                             f"The provided value for scope {form['scope']} is "
                             "not valid. Client credential flows must have a "
                             "scope value with /.default suffixed to the "
                             "resource identifier (application ID URI).")
        if form["client_id"].lower() != tenant.client_id.lower():
            raise TokenError(400, "unauthorized_client", 700016,
                             f"Application with identifier '{form['client_id']}' "
                             f"was not found in the directory '{tenant.tenant_id}'.")
        if "client_secret" in form and "client_assertion" in form:
            raise TokenError(400, "invalid_request", 90014,
                             "Only one client credential may be given: "
                             "client_secret or client_assertion.")
        if "client_secret" in form:
            if tenant.client_secret is None or not secrets.compare_digest(
                    form["client_secret"].encode(), tenant.client_secret.encode()):
                raise TokenError(401, "invalid_client", 7000215,
                                 "Invalid client secret provided. Ensure the "
                                 "secret being sent in the request is the client "
                                 "secret value, not the client secret ID, for a "
                                 f"secret added to app '{tenant.client_id}'.")
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise TokenError(400, "invalid_request", 50027,
                                 "client_assertion_type must be "
                                 f"'{ASSERTION_TYPE}'.")
            path = "/" + "/".join(quote(s) for s in call.segments)
            audiences = [f"{call.base_url}{path}",
                         f"http://127.0.0.1:{self.port}{path}"]
            verify_assertion(form["client_assertion"], tenant, audiences,
                             self.tmpdir)
        else:
            raise TokenError(401, "invalid_client", 7000218,
                             "The request body must contain the following "
                             "parameter: 'client_assertion' or 'client_secret'.")
        token = secrets.token_urlsafe(48)
        with self.lock:
            now = time.time()
            self.tokens = {t: e for t, e in self.tokens.items() if e > now}
            self.tokens[token] = now + lifetime
            self.stats["tokens_issued"] += 1
        return token, lifetime

    # -- Graph

    def graph(self, call):
        """A /v1.0 request: latency, authentication, faults, dispatch."""
        request_id = new_id()
        client_request_id = call.headers.get("client-request-id") or request_id
        with self.lock:
            latency = self.config["latency_ms"]
        if latency:
            time.sleep(latency / 1000.0)
        log = {}
        try:
            self._authenticate(call)
            fault = self._draw_fault(write=call.method in ("POST", "PATCH")
                                     and call.segments[-1:] != ["$batch"])
            if fault:
                log["fault"] = fault.status
                raise fault
            if call.segments[-1:] == ["$batch"]:
                self._whole_batch_fault(log)
            reply = self.dispatch(call)
        except GraphError as e:
            reply = Reply(e.status, graph_error_body(e.code, e.message,
                                                     request_id,
                                                     client_request_id),
                          headers=dict(e.headers), log=e.log)
        reply.headers["request-id"] = request_id
        reply.headers["client-request-id"] = client_request_id
        with self.lock:
            percent = self.config["throttle_percent"]
        if percent is not None:
            reply.headers["x-ms-throttle-limit-percentage"] = (
                str(int(percent)) if float(percent).is_integer()
                else str(percent))
        reply.log = {**log, **reply.log, "request_id": request_id}
        return reply

    def _authenticate(self, call):
        auth = call.headers.get("authorization", "")
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip()
        www = {"WWW-Authenticate": 'Bearer realm="", authorization_uri='
               '"https://login.microsoftonline.com/common/oauth2/authorize", '
               'client_id="00000003-0000-0000-c000-000000000000"'}
        if scheme.lower() != "bearer" or not token:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token is empty.", www)
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or expiry <= time.time():
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token has expired or is not yet valid.", www)

    def _draw_fault(self, write=True):
        """None, or the GraphError of an injected 429 / 503.  With the
        faults_on_writes_only knob, reads and the outer $batch request
        are never faulted, only the writes themselves."""
        with self.lock:
            p429, p503 = self.config["fault_429"], self.config["fault_503"]
            if not p429 and not p503:
                return None
            if self.config["faults_on_writes_only"] and not write:
                return None
            r = self.fault_rng.random()
            if r < p429:
                status = 429
            elif r < p429 + p503:
                status = 503
            else:
                return None
            self.stats["throttled"] += 1
            self.stats[f"faults_{status}"] += 1
            retry_after = self.config["retry_after"]
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        if status == 429:
            return GraphError(429, "TooManyRequests",
                              "Too many requests. Please retry again later.",
                              headers)
        return GraphError(503, "serviceNotAvailable",
                          "Service is temporarily unavailable. Please retry "
                          "after some time.", headers)

    def _whole_batch_fault(self, log):
        """The batch_whole knob: answer the outer $batch itself."""
        with self.lock:
            whole = self.config["batch_whole"]
            if not whole or whole.get("times", -1) == 0:
                return
            if whole.get("times", -1) > 0:
                whole["times"] -= 1
            self.stats["batch_whole_faults"] += 1
        status = whole["status"]
        headers = ({"Retry-After": str(whole["retry_after"])}
                   if whole.get("retry_after") is not None else {})
        log["fault"] = status
        if status == 429:
            raise GraphError(429, "TooManyRequests", "Too many requests. "
                             "Please retry again later.", headers)
        if status == 503:
            raise GraphError(503, "serviceNotAvailable", "Service is "
                             "temporarily unavailable. Please retry after "
                             "some time.", headers)
        raise GraphError(status, "generalException", "graph_server: "
                         "batch_whole fault", headers)

    def dispatch(self, call):
        """Route a Graph call (wire or batch item) to its handler."""
        segs = call.segments[1:] if not call.in_batch else call.segments
        low = [s.lower() for s in segs]
        match low:
            case ["subscribedskus"]:
                allowed, handler = "GET", lambda: self.subscribed_skus(call)
            case ["users"]:
                allowed, handler = "GET", lambda: self.list_users(call)
            case ["users", "delta"]:
                allowed, handler = "GET", lambda: self.users_delta(call)
            case ["users", _] if call.method == "PATCH":
                allowed, handler = "PATCH", lambda: self.patch_user(call,
                                                                    segs[1])
            case ["users", _]:
                allowed, handler = "GET", lambda: self.get_user(call, segs[1])
            case ["users", _, "assignlicense"]:
                allowed, handler = "POST", lambda: self.assign_license(call,
                                                                       segs[1])
            case ["$batch"] if not call.in_batch:
                allowed, handler = "POST", lambda: self.batch(call)
            case _:
                known = ("users", "subscribedskus", "$batch")
                bad = segs[0] if low and low[0] not in known else segs[-1]
                raise GraphError(400, "BadRequest",
                                 f"Resource not found for the segment '{bad}'.")
        if call.method != allowed:
            raise GraphError(405, "Request_BadRequest",
                             "Specified HTTP method is not allowed for the "
                             "request target.")
        if call.method == "GET" or low == ["$batch"]:
            return handler()
        with self.lock:
            return handler()

    @staticmethod
    def json_body(call):
        """The request's JSON body (None if there is none)."""
        if call.body is None:
            return None
        ctype = call.headers.get("content-type", "").lower()
        if not ctype.startswith("application/json"):
            raise GraphError(400, "BadRequest", "Entity only allows writes "
                             "with a JSON Content-Type header.")
        if call.in_batch:
            return call.body
        try:
            return json.loads(call.body)
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request "
                             "payload. Please ensure Content-Type header is set "
                             "and payload is of valid JSON format.") from None

    def subscribed_skus(self, call):
        """GET /subscribedSkus."""
        with self.lock:
            value = [self.tenant.sku_view(s) for s in self.tenant.skus.values()]
        return Reply(200, {"@odata.context": f"{call.base_url}/v1.0/$metadata"
                                             "#subscribedSkus",
                           "value": value},
                     headers={"x-ms-resource-unit": "3"})

    @staticmethod
    def _query_options(call, allowed):
        options = {}
        for key, values in parse_qs(call.query, keep_blank_values=True).items():
            if not key.startswith("$"):
                continue
            if key.lower() not in allowed:
                raise bad_request(f"Unrecognized query argument specified: "
                                  f"'{key}'.")
            if len(values) > 1 or key.lower() in options:
                raise bad_request(f"Query option '{key}' was specified more "
                                  "than once, but it must be specified at most "
                                  "once.")
            options[key.lower()] = values[0]
        return options

    @staticmethod
    def _parse_select(text):
        if text is None:
            return list(DEFAULT_USER_SELECT)
        canonical = {f.lower(): f for f in USER_FIELDS}
        fields = []
        for name in text.split(","):
            name = name.strip()
            if name.lower() not in canonical:
                raise bad_request("Parsing OData Select and Expand failed: Could "
                                  f"not find a property named '{name}' on type "
                                  "'microsoft.graph.user'.")
            if canonical[name.lower()] not in fields:
                fields.append(canonical[name.lower()])
        return fields

    @staticmethod
    def _parse_top(text):
        if text is None:
            return 100
        try:
            top = int(text)
        except ValueError:
            top = -1
        if not 1 <= top <= 999:
            raise bad_request(f"Invalid page size specified: '{text}'. Must be "
                              "between 1 and 999 inclusive.")
        return top

    @staticmethod
    def _parse_filter(text):
        """The skuId of `assignedLicenses/any(x:x/skuId eq GUID)`, else 400."""
        if text is None:
            return None
        m = FILTER_RE.match(text)
        if not m:
            raise bad_request("Unsupported or invalid query filter clause "
                              f"specified: '{text}'.", "Request_UnsupportedQuery")
        literal = m.group(2)
        if literal.startswith("'"):
            raise bad_request("A binary operator with incompatible types was "
                              "detected. Found operand types 'Edm.Guid' and "
                              "'Edm.String' for operator kind 'Equal'.")
        if not is_guid(literal):
            raise bad_request(f"Unrecognized 'Edm.Guid' literal '{literal}'.")
        return literal.lower()

    @staticmethod
    def _parse_skiptoken(text):
        if text is None:
            return None
        try:
            if not text.startswith(SKIPTOKEN_PREFIX):
                raise ValueError
            after = b64url_decode(text[len(SKIPTOKEN_PREFIX):]).decode("ascii")
            if not is_guid(after):
                raise ValueError
            return after
        except ValueError:
            raise bad_request("The specified page token value has expired and "
                              "can no longer be included in your request.") \
                from None

    def list_users(self, call):
        """GET /users with $select, $top, $filter and $skiptoken paging."""
        opts = self._query_options(call, USERS_QUERY_OPTIONS)
        fields = self._parse_select(opts.get("$select"))
        top = self._parse_top(opts.get("$top"))
        sku_id = self._parse_filter(opts.get("$filter"))
        after = self._parse_skiptoken(opts.get("$skiptoken"))

        def wanted(user):
            return sku_id is None or sku_id in self.tenant.held(user)

        with self.lock:
            users = self.tenant.sorted_users
            i = (bisect.bisect_right(self.tenant.sorted_ids, after)
                 if after else 0)
            page = []
            while i < len(users) and len(page) < top:
                if wanted(users[i]):
                    page.append(users[i])
                i += 1
            more = any(wanted(u) for u in users[i:])
            value = [self.tenant.user_view(u, fields) for u in page]
        body = {"@odata.context": f"{call.base_url}/v1.0/$metadata#users("
                                  f"{','.join(fields)})"}
        if more and page:
            body["@odata.nextLink"] = self._next_link(call, opts, page[-1]["id"])
        with self.lock:
            mode = self.config["next_link"]
            dup = self.config["duplicate_users"]
            big = self.config["oversized_body_mb"]
        if dup and value:
            value.append(copy.deepcopy(value[0]))
        if mode in ("endless", "cycle") and "hostile" in parse_qs(call.query):
            value = []
        if mode:
            body["@odata.nextLink"] = self._hostile_link(call, mode, body)
        body["value"] = value
        units = "1" if "$select" in opts else "2"
        reply = Reply(200, body, headers={"x-ms-resource-unit": units})
        if big:
            reply.pad_bytes = int(big * 1024 * 1024)
        return reply

    def track(self, uid):
        """A tracked change of user UID (call with the lock held)."""
        self.delta_seq += 1
        self.user_seq[uid] = self.delta_seq
        self.tombstones.pop(uid, None)

    def users_delta(self, call):
        """GET /users/delta: every user, then what changed since a token."""
        opts = self._query_options(call, DELTA_QUERY_OPTIONS)
        fields = self._parse_select(opts.get("$select"))
        top = 100
        m = re.search(r"odata\.maxpagesize=(\d+)",
                      call.headers.get("prefer", "") or "")
        if m:
            top = max(1, min(999, int(m.group(1))))
        with self.lock:
            expired = self.config["delta_expired"]
        if "$deltatoken" in opts:
            if expired:
                raise GraphError(410, "resyncRequired", "The delta token is "
                                 "no longer valid: start again without it.")
            since, upto, after = self._delta_token(opts["$deltatoken"]), None, ""
        elif "$skiptoken" in opts:
            since, upto, after = self._delta_skip(opts["$skiptoken"])
        else:
            since, upto, after = None, None, ""
        with self.lock:
            if upto is None:
                upto = self.delta_seq
            if since is None:
                users = self.tenant.sorted_users
                i = (bisect.bisect_right(self.tenant.sorted_ids, after)
                     if after else 0)
                pool = [(u["id"], u) for u in users[i:i + top + 1]]
                after = ""
            else:
                pool = sorted(
                    [(uid, self.tenant.by_id[uid])
                     for uid, seq in self.user_seq.items()
                     if since < seq <= upto and uid in self.tenant.by_id] +
                    [(uid, None) for uid, seq in self.tombstones.items()
                     if since < seq <= upto], key=lambda x: x[0])
            pool = [x for x in pool if x[0] > after]
            page = pool[:top]
            value = [self.tenant.user_view(u, fields) if u is not None else
                     {"id": uid, "@removed": {"reason": "deleted"}}
                     for uid, u in page]
        base = f"{call.base_url}/v1.0/users/delta?"
        sel = f"$select={quote(','.join(fields), safe=',')}&"
        body = {"@odata.context": f"{call.base_url}/v1.0/$metadata#users("
                                  f"{','.join(fields)})", "value": value}
        if len(pool) > top:
            tok = b64url_encode(json.dumps({"s": since, "u": upto,
                                            "a": page[-1][0]}).encode())
            body["@odata.nextLink"] = base + sel + "$skiptoken=" + tok
        else:
            tok = b64url_encode(json.dumps({"d": upto}).encode())
            body["@odata.deltaLink"] = base + sel + "$deltatoken=" + tok
        # the hostile knobs, as for GET /users
        with self.lock:
            mode = self.config["next_link"]
            dup = self.config["duplicate_users"]
            big = self.config["oversized_body_mb"]
        if dup and value:
            value.append(copy.deepcopy(value[0]))
        if mode in ("endless", "cycle") and "hostile" in parse_qs(call.query):
            body["value"] = []
        if mode:
            body.pop("@odata.deltaLink", None)
            body["@odata.nextLink"] = self._hostile_link(call, mode, body,
                                                         "users/delta")
        reply = Reply(200, body)
        if big:
            reply.pad_bytes = int(big * 1024 * 1024)
        return reply

    @staticmethod
    def _delta_token(text):
        try:
            return int(json.loads(b64url_decode(text))["d"])
        except (ValueError, KeyError, TypeError):
            raise GraphError(400, "BadRequest", "Invalid delta token.") \
                from None

    @staticmethod
    def _delta_skip(text):
        try:
            t = json.loads(b64url_decode(text))
            return t["s"], int(t["u"]), str(t["a"])
        except (ValueError, KeyError, TypeError):
            raise GraphError(400, "BadRequest", "Invalid skip token.") \
                from None

    @staticmethod
    def _hostile_link(call, mode, body, path="users"):
        """The next_link knob: a nextLink that leads nowhere good."""
        parts = [p for p in call.query.split("&") if p]
        plain = [p for p in parts if not p.startswith("hostile=")]
        hostile = [int(p.split("=", 1)[1]) for p in parts
                   if p.startswith("hostile=") and p[8:].isdigit()]
        users = f"{call.base_url}/v1.0/{path}?"
        if mode == "self":
            return users + "&".join(parts)
        if mode == "outside":
            return "http://graph.example.invalid/v1.0/users?$top=999"
        if mode == "cycle":
            # the first page links to a second, which links back
            if hostile:
                return users + "&".join(plain)
            return users + "&".join(parts + ["hostile=2"])
        # endless: the real pages, then empty ones, each with a new link
        if not hostile and body.get("@odata.nextLink") is not None:
            return body["@odata.nextLink"]
        n = hostile[0] if hostile else 0
        return users + "&".join(plain + [f"hostile={n + 1}"])

    @staticmethod
    def _next_link(call, opts, last_id):
        parts = [f"{k}={quote(v, safe=',()/:')}" for k, v in opts.items()
                 if k != "$skiptoken"]
        token = SKIPTOKEN_PREFIX + b64url_encode(last_id.encode("ascii"))
        parts.append(f"$skiptoken={token}")
        return f"{call.base_url}/v1.0/users?" + "&".join(parts)

    def get_user(self, call, key):
        """GET /users/{id | userPrincipalName}."""
        opts = self._query_options(call, ("$select",))
        fields = self._parse_select(opts.get("$select"))
        with self.lock:
            user = self.tenant.find_user(key)
            if user is None:
                raise self._not_found(key)
            body = self.tenant.user_view(user, fields)
        return Reply(200, {"@odata.context": f"{call.base_url}/v1.0/$metadata"
                                             "#users/$entity", **body})

    def patch_user(self, call, key):
        """PATCH /users/{id | userPrincipalName}: usageLocation only."""
        body = self.json_body(call)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        log = {"patch": body}
        try:
            for name in body:
                if name != "usageLocation":
                    raise bad_request(f"Property '{name}' is not supported "
                                      "by graph_server.")
            loc = body.get("usageLocation")
            if not isinstance(loc, str) or loc not in ISO_3166:
                raise bad_request("Invalid value specified for property "
                                  "'usageLocation' of resource 'User'.")
            user = self.tenant.find_user(key)
            if user is None:
                raise self._not_found(key)
        except GraphError as e:
            e.log = log
            raise
        if "usageLocation" in body:
            user["usageLocation"] = loc
            self.track(user["id"])
        self.stats["patch_calls"] += 1
        return Reply(204, log=log)

    @staticmethod
    def _not_found(key):
        return GraphError(404, "Request_ResourceNotFound",
                          f"Resource '{key}' does not exist or one of its "
                          "queried reference-property objects are not present.")

    def assign_license(self, call, key):
        """POST /users/{id | userPrincipalName}/assignLicense (atomic)."""
        body = self.json_body(call)
        if not isinstance(body, dict):
            body = {}
        missing = [name for name in ("addLicenses", "removeLicenses")
                   if body.get(name) is None]
        if missing:
            raise bad_request("One or more parameters of the operation "
                              "'assignLicense' are missing from the request "
                              "payload. The missing parameters are: "
                              + ", ".join(missing) + ".")
        adds, removes = self._license_lists(body)
        log = {"add": list(adds), "remove": removes}
        try:
            user = self.tenant.find_user(key)
            if user is None:
                raise self._not_found(key)
            self.tenant.assign(user, adds, removes)
            self.track(user["id"])
        except GraphError as e:
            e.log = log
            raise
        self.stats["assign_calls"] += 1
        view = self.tenant.user_view(user, ("id", "displayName",
                                            "userPrincipalName", "mail",
                                            "usageLocation", "accountEnabled",
                                            "assignedLicenses"))
        return Reply(200, {"@odata.context": f"{call.base_url}/v1.0/$metadata"
                                             "#users/$entity", **view},
                     log=log)

    @staticmethod
    def _license_lists(body):
        """({skuId: disabledPlans}, [skuId]) from an assignLicense body."""
        add_list, remove_list = body["addLicenses"], body["removeLicenses"]
        if not isinstance(add_list, list) or not isinstance(remove_list, list):
            raise bad_request("addLicenses and removeLicenses must be arrays.")
        adds = {}
        for item in add_list:
            if not isinstance(item, dict) or not is_guid(item.get("skuId")):
                raise bad_request("Invalid value specified for property "
                                  "'skuId' of resource 'AssignedLicense'.")
            plans = item.get("disabledPlans") or []
            if not isinstance(plans, list) or not all(map(is_guid, plans)):
                raise bad_request("Invalid value specified for property "
                                  "'disabledPlans' of resource "
                                  "'AssignedLicense'.")
            adds[item["skuId"].lower()] = sorted({p.lower() for p in plans})
        removes = []
        for sku_id in remove_list:
            if not is_guid(sku_id):
                raise bad_request(f"Cannot convert the literal '{sku_id}' to "
                                  "the expected type 'Edm.Guid'.")
            if sku_id.lower() not in removes:
                removes.append(sku_id.lower())
        return adds, removes

    # -- $batch

    def batch(self, call):
        """POST /$batch: run up to 20 items, answer them in shuffled order."""
        body = self.json_body(call)
        items = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items or not all(
                isinstance(i, dict) and isinstance(i.get("id"), str)
                and isinstance(i.get("method"), str)
                and isinstance(i.get("url"), str) for i in items):
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if len(items) > MAX_BATCH:
            raise GraphError(400, "BadRequest", "Batch request exceeds the "
                             f"maximum of {MAX_BATCH} requests "
                             f"({len(items)} given).")
        ids = [i["id"] for i in items]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise GraphError(400, "BadRequest", "Batch request contains "
                             f"duplicate request id '{dup}'.")
        self._check_sequencing(items)
        with self.lock:
            fake = self.config["batch_fake_status"]
            id_mode = self.config["batch_ids"]
        responses, details, status_by_id = [], [], {}
        for item in items:
            if fake is not None:
                response, detail = self._fake_item(item, fake)
            else:
                response, detail = self._batch_item(call, item,
                                                    status_by_id)
            status_by_id[item["id"]] = response["status"]
            responses.append(response)
            details.append(detail)
        statuses = [d["status"] for d in details]
        if id_mode:
            responses = self._garble_ids(responses, id_mode)
        with self.lock:
            self.shuffle_rng.shuffle(responses)
        return Reply(200, {"responses": responses},
                     log={"batch_items": statuses, "batch": details})

    @staticmethod
    def _check_sequencing(items):
        """Graph runs dependsOn only in a batch that is fully serial:
        every request but the first depends on the one before.  (Its
        SDKs also allow all dependent requests naming the same one;
        Microsoft's answers say sequential or parallel, which is what
        is enforced here.)"""
        deps = []
        for item in items:
            d = item.get("dependsOn") or []
            deps.append([d] if isinstance(d, str) else list(d))
        if not any(deps):
            return
        serial = all(deps[i] == [items[i - 1]["id"]]
                     for i in range(1, len(items))) and not deps[0]
        if not serial:
            raise GraphError(400, "BadRequest", "Batch should be either "
                             "fully sequential or fully parallel")

    def _fake_item(self, item, status):
        """batch_fake_status: answer an item without running it."""
        request_id = new_id()
        with self.lock:
            self.stats["batch_items"] += 1
        response = {"id": item["id"], "status": status,
                    "headers": {"request-id": request_id}}
        if status != 204:
            response["body"] = {}
        detail = {"id": item["id"], "method": str(item.get("method")).upper(),
                  "url": item.get("url"), "status": status,
                  "request_id": request_id, "faked": True}
        return response, detail

    @staticmethod
    def _garble_ids(responses, mode):
        """batch_ids: answers under ids that name no request."""
        out = []
        for r in responses:
            r = copy.deepcopy(r)
            rid = r["id"]
            if mode == "suffix":
                r["id"] = rid + "garbage"
            elif mode == "leading_zero":
                r["id"] = "0" + rid
            elif mode == "space":
                r["id"] = " " + rid
            elif mode == "number":
                r["id"] = int(rid) if rid.isdigit() else rid
            elif mode == "missing":
                del r["id"]
            elif mode == "unknown":
                r["id"] = "9" * 12 + rid
            elif mode == "duplicate":
                out.append(copy.deepcopy(r))
            out.append(r)
        return out

    def _batch_item(self, call, item, status_by_id):
        """Run one batch item; returns (response object, log detail)."""
        request_id = new_id()
        headers = item.get("headers") or {}
        headers = ({str(k).lower(): str(v) for k, v in headers.items()}
                   if isinstance(headers, dict) else {})
        client_request_id = headers.get("client-request-id") or request_id
        url = urlsplit(item["url"])
        segments = [unquote(s) for s in url.path.strip("/").split("/")]
        sub = Call(item["method"].upper(), segments, url.query, headers,
                   item.get("body"), call.base_url, in_batch=True)
        detail = {"id": item["id"], "method": sub.method, "url": item["url"]}
        with self.lock:
            self.stats["batch_items"] += 1
            self._bump("batch_items_by_path",
                       self.route_key(["v1.0"] + segments))
        try:
            depends = item.get("dependsOn") or []
            if isinstance(depends, str):
                depends = [depends]
            failed = [d for d in depends
                      if status_by_id.get(d, 424) >= 400]
            if failed:
                raise GraphError(424, "FailedDependency",
                                 "Dependent request failed or was not run: "
                                 f"{failed[0]}.")
            fault = self._draw_fault(write=sub.method in ("POST", "PATCH"))
            if fault:
                detail["fault"] = fault.status
                raise fault
            if url.scheme or url.netloc:
                raise GraphError(400, "BadRequest", "Batch request URLs must "
                                 "be relative, e.g. /users.")
            if sub.body is not None and "content-type" not in headers:
                raise GraphError(400, "BadRequest", "Entity only allows writes "
                                 "with a JSON Content-Type header.")
            reply = self.dispatch(sub)
        except GraphError as e:
            reply = Reply(e.status, graph_error_body(e.code, e.message,
                                                     request_id,
                                                     client_request_id),
                          headers=dict(e.headers), log=e.log)
        detail.update(reply.log)
        detail["status"] = reply.status
        detail["request_id"] = request_id
        response = {"id": item["id"], "status": reply.status,
                    "headers": {"Content-Type": reply.content_type,
                                "request-id": request_id,
                                "client-request-id": client_request_id,
                                **reply.headers}}
        if reply.body is not None:
            response["body"] = reply.body
        return response, detail

    # -- test control

    def control(self, method, segments, body):
        """/_test/*: state, stats and runtime knobs; no authentication."""
        name = "/".join(segments)
        routes = {("GET", "state"): self._get_state,
                  ("PUT", "state"): self._put_state,
                  ("GET", "stats"): self._get_stats,
                  ("POST", "reset-stats"): self._reset_stats,
                  ("POST", "expire-tokens"): self._expire_tokens,
                  ("GET", "config"): self._get_config,
                  ("PUT", "config"): self._put_config}
        handler = routes.get((method, name))
        if handler is None:
            known = any(n == name for _, n in routes)
            return Reply(405 if known else 404,
                         {"error": f"{method} /_test/{name} is not supported"},
                         content_type=PLAIN_JSON)
        try:
            reply = handler(body)
        except (StateError, ValueError) as e:
            reply = Reply(400, {"error": str(e)})
        reply.content_type = PLAIN_JSON
        return reply

    def _get_state(self, _body):
        with self.lock:
            return Reply(200, self.tenant.export())

    def _put_state(self, body):
        try:
            data = json.loads(body or b"")
        except ValueError as e:
            raise StateError(f"invalid JSON: {e}") from e
        tenant = Tenant(data, self.state_dir, self.tmpdir)
        with self.lock:
            old = self.tenant
            for uid, user in tenant.by_id.items():
                was = old.by_id.get(uid)
                if was is None or (old.user_view(was, TRACKED_FIELDS) !=
                                   tenant.user_view(user, TRACKED_FIELDS)):
                    self.track(uid)
            for uid in old.by_id:
                if uid not in tenant.by_id:
                    self.delta_seq += 1
                    self.tombstones[uid] = self.delta_seq
                    self.user_seq.pop(uid, None)
            self.tenant = tenant
        return Reply(204)

    def _get_stats(self, _body):
        with self.lock:
            return Reply(200, copy.deepcopy(self.stats))

    def _reset_stats(self, _body):
        self.reset_stats()
        return Reply(204)

    def _expire_tokens(self, _body):
        with self.lock:
            self.tokens.clear()
        return Reply(204)

    def _get_config(self, _body):
        with self.lock:
            return Reply(200, dict(self.config))

    def _put_config(self, body):
        """Change knobs at runtime: any of latency_ms, fault_429, fault_503,
        retry_after, token_lifetime, and seed (re-seeds the generators)."""
        try:
            changes = json.loads(body or b"")
        except ValueError as e:
            raise StateError(f"invalid JSON: {e}") from e
        if not isinstance(changes, dict):
            raise StateError("config: must be a JSON object")
        new = dict(self.config)
        for key, value in changes.items():
            if key == "seed":
                if value is not None and not isinstance(value, int):
                    raise StateError("seed: must be an integer or null")
                continue
            if key not in new:
                raise StateError(f"unknown config key '{key}'")
            if key in HOSTILE_DEFAULTS:
                new[key] = copy.deepcopy(value)
                continue
            numeric = (int, float) if key.startswith(("fault", "latency")) \
                else (int,)
            if isinstance(value, bool) or not isinstance(value, numeric):
                raise StateError(f"{key}: must be a "
                                 + ("number" if float in numeric else "integer"))
            new[key] = value
        check_config(new)
        with self.lock:
            self.config = new
            if "seed" in changes:
                self.seed(changes["seed"])
        return Reply(200, dict(new))


HOSTILE_DEFAULTS = {"batch_ids": None, "batch_fake_status": None,
                    "batch_whole": None, "throttle_percent": None,
                    "next_link": None, "duplicate_users": 0,
                    "oversized_body_mb": 0, "delta_expired": 0}


def check_hostile(key, value):
    """Raise ValueError unless VALUE is right for the hostile knob KEY."""
    if key == "batch_ids":
        if value is not None and value not in BATCH_ID_MODES:
            raise ValueError(f"batch_ids: null or one of "
                             f"{', '.join(BATCH_ID_MODES)}")
    elif key == "batch_fake_status":
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, int) or
                                  not 100 <= value <= 599):
            raise ValueError("batch_fake_status: null or 100..599")
    elif key == "batch_whole":
        if value is None:
            return
        if (not isinstance(value, dict) or
                not isinstance(value.get("status"), int) or
                not 100 <= value["status"] <= 599 or
                set(value) - {"status", "retry_after", "times"} or
                not isinstance(value.get("times", -1), int) or
                (value.get("retry_after") is not None and
                 not isinstance(value["retry_after"], int))):
            raise ValueError("batch_whole: null or {status, retry_after, "
                             "times}")
    elif key == "throttle_percent":
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, (int, float))):
            raise ValueError("throttle_percent: null or a number")
    elif key == "next_link":
        if value is not None and value not in NEXT_LINK_MODES:
            raise ValueError(f"next_link: null or one of "
                             f"{', '.join(NEXT_LINK_MODES)}")
    elif key in ("duplicate_users", "delta_expired"):
        if value not in (0, 1) or isinstance(value, bool):
            raise ValueError(f"{key}: 0 or 1")
    elif key == "oversized_body_mb":
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or value < 0:
            raise ValueError("oversized_body_mb: a number, 0 or more")


def check_config(cfg):
    """Raise ValueError if a knob is out of range."""
    for key in HOSTILE_DEFAULTS:
        if key in cfg:
            check_hostile(key, cfg[key])
    for key in ("fault_429", "fault_503"):
        if not 0 <= cfg[key] <= 1:
            raise ValueError(f"{key}: a probability between 0 and 1")
    if cfg["fault_429"] + cfg["fault_503"] > 1:
        raise ValueError("fault_429 + fault_503 must not exceed 1")
    if cfg["latency_ms"] < 0 or cfg["retry_after"] < 0:
        raise ValueError("latency_ms and retry_after must not be negative")
    if cfg["token_lifetime"] < 1:
        raise ValueError("token_lifetime must be at least 1 second")


# ------------------------------------------------------------- HTTP plumbing

class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every answer has a Content-Length."""
    protocol_version = "HTTP/1.1"
    server_version = "graph-test-server/1.0"
    disable_nagle_algorithm = True

    def do_GET(self):
        app = self.server.app
        started = time.monotonic()
        url = urlsplit(self.path)
        try:
            body = self._read_body()
            headers = {k.lower(): v for k, v in self.headers.items()}
            host = self.headers.get("Host") or f"127.0.0.1:{app.port}"
            reply = app.handle(self.command, url.path, url.query, headers,
                               body, f"http://{host}")
        except Exception:       # a bug here must not kill the connection
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            reply = Reply(500, {"error": {"code": "InternalServerError",
                                          "message": "graph_server crashed; "
                                          "see its stderr"}})
        self._send(reply)
        entry = {"time": iso_now(), "method": self.command, "path": self.path,
                 "status": reply.status,
                 "ms": round((time.monotonic() - started) * 1000, 1)}
        entry.update(reply.log)
        app.write_log(entry)
        if reply.stop_after:
            app.stop.set()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self):
        """The request body, or None; handles Content-Length and chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks) or None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else None

    def _send(self, reply):
        payload = b""
        if reply.body is not None and reply.status != 204:
            payload = json.dumps(reply.body, separators=(",", ":"),
                                 ensure_ascii=False).encode("utf-8")
        head, tail, pad = payload, b"", 0
        if reply.pad_bytes and payload.endswith(b"}"):
            # a valid object still: {..., "padding": "xxx...x"}
            head, tail = payload[:-1] + b',"padding":"', b'"}'
            pad = reply.pad_bytes
        self.send_response(reply.status)
        if payload:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(head) + pad + len(tail)))
        self.end_headers()
        if not payload:
            return
        try:
            self.wfile.write(head)
            chunk = b"x" * 65536
            while pad > 0:
                n = min(pad, len(chunk))
                self.wfile.write(chunk[:n])
                pad -= n
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silence the default access log (see --log)."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """A client that hangs up early is not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Microsoft Graph licensing test "
                                "server (loopback only).")
    p.add_argument("--state", required=True, help="state JSON file")
    p.add_argument("--port-file", required=True,
                   help="written with the port number once listening")
    p.add_argument("--log", help="append one JSON line per request")
    p.add_argument("--latency-ms", type=float, default=0,
                   help="delay added to every Graph request")
    p.add_argument("--fault-429", type=float, default=0,
                   help="probability of a 429 per request and batch item")
    p.add_argument("--fault-503", type=float, default=0,
                   help="probability of a 503 per request and batch item")
    p.add_argument("--retry-after", type=int, default=1,
                   help="Retry-After seconds on faults (0: no header)")
    p.add_argument("--seed", type=int, help="seed for faults and shuffling")
    p.add_argument("--token-lifetime", type=int, default=3599,
                   help="access token lifetime in seconds")
    p.add_argument("--max-requests", type=int,
                   help="after this many requests answer 503 and exit")
    args = p.parse_args(argv)
    try:
        check_config({"latency_ms": args.latency_ms,
                      "fault_429": args.fault_429, "fault_503": args.fault_503,
                      "retry_after": args.retry_after,
                      "token_lifetime": args.token_lifetime})
    except ValueError as e:
        p.error(str(e))
    return args


def write_port_file(path, port):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tmpdir = tempfile.mkdtemp(prefix="graph_server.")
    try:
        try:
            tenant = read_state_file(args.state, tmpdir)
        except StateError as e:
            print(f"graph_server: {args.state}: {e}", file=sys.stderr)
            return 2
        try:
            os.unlink(args.port_file)
        except FileNotFoundError:
            pass
        app = App(tenant, args, tmpdir)
        server = Server(("127.0.0.1", 0), Handler)
        server.app = app
        app.port = server.server_address[1]
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: app.stop.set())
        thread = threading.Thread(target=server.serve_forever,
                                  kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        write_port_file(args.port_file, app.port)
        while not app.stop.wait(0.5):
            pass
        server.shutdown()
        server.server_close()
        try:
            os.unlink(args.port_file)
        except FileNotFoundError:
            pass
        if app.log_file:
            app.log_file.close()
        return app.exit_code
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
