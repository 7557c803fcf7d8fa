#!/bin/bash
# tests/scimserver_selftest.sh - the SCIM test server of
# tests/scimserver.sh against curl: bearer tokens, the discovery
# endpoints, the seed, filters, paging (and --max-count), creating and
# uniqueness, a user hidden from lists, PATCH of members and of active,
# DELETE, the fault injection (429, 503, writes only, the seeded
# generator), the test control endpoints, the request log, TLS, and start
# and stop.  Prints TAP; skips without node or curl (fails when node is
# there but the modules cannot be installed).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_builddir

. "$top_srcdir/tests/scimserver.sh"

for prog in curl python3; do
	command -v "$prog" >/dev/null 2>&1 ||
		{ echo "1..0 # SKIP $prog not installed"; exit 0; }
done
scimserver_available
case $? in
0) ;;
1) echo "1..0 # SKIP node not installed"; exit 0 ;;
*)
	echo "Bail out! node is installed but scimmy could not be installed"
	exit 1
	;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/scimserver_selftest.XXXXXX") || exit 1
trap 'scimserver_stop; rm -rf "$T"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TAP_OUT=$T/check.out
. "$top_srcdir/tests/tap.sh"
# Every failure shows the last answer.
last_response() {
	echo "last: ${status:-none} $(head -c 600 "$T/body" 2>/dev/null)"
}
TAP_DIAG=last_response

# ---- the seed -------------------------------------------------------------
#
# user001..user300 (user001 with a name, e-mail, externalId and
# displayName; user002 inactive) and ghost, whom the first instance hides
# from lists; groups "App users" (user001, user002) and "Empty".
python3 - >"$T/seed.json" <<'EOF'
import json

users = [{"userName": "user%03d" % i} for i in range(1, 301)]
users[0].update({"externalId": "ext-001", "displayName": "User One",
                 "name": {"givenName": "User", "familyName": "One"},
                 "emails": [{"value": "user001@example.test",
                             "type": "work", "primary": True}]})
users[1]["active"] = False
users.append({"userName": "ghost", "externalId": "ext-ghost"})
print(json.dumps({"users": users, "groups": [
    {"displayName": "App users", "members": ["user001", "USER002"]},
    {"displayName": "Empty"}]}))
EOF
is "the seed is generated (301 users)" \
	"$(grep -o '"userName"' "$T/seed.json" | wc -l)" 301

# ---- helpers --------------------------------------------------------------

# req METHOD PATH [CURL-ARGS...]: a SCIM request with the token; body in
# $T/body, headers in $T/headers, the HTTP status in $status.  rawreq: the
# same without the token.
rawreq() {
	local method=$1 path=$2
	shift 2
	: >"$T/body"
	: >"$T/headers"
	status=$(curl -s -S --noproxy '*' -X "$method" -o "$T/body" \
		-D "$T/headers" -w '%{http_code}' \
		${SCIMSERVER_CA_FILE:+--cacert "$SCIMSERVER_CA_FILE"} \
		"$@" "$SCIMSERVER_URL$path" 2>"$T/curl.err")
}
req() {
	rawreq "$@" -H "Authorization: Bearer $SCIMSERVER_TOKEN"
}
# send METHOD PATH JSON: req with a SCIM JSON body.
send() {
	req "$1" "$2" -H 'Content-Type: application/scim+json' \
		--data-binary "$3"
}
# get PATH [QUERY-PARAMETER...]: GET with the parameters URL-encoded.
get() {
	local path=$1 p
	local args=()
	shift
	for p in "$@"; do
		args+=(--data-urlencode "$p")
	done
	req GET "$path" -G ${args[@]+"${args[@]}"}
}
# jv EXPR: a Python expression over the last answer, printed (strings as
# they are, anything else as JSON, keys sorted): d (the JSON body, or
# None), r (its first resource), h (the headers, lower-case names), s (the
# status).
jv() {
	python3 - "$T/body" "$T/headers" "${status:-0}" "$1" <<'EOF'
import json, sys
body, hfile, s, expr = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    d = json.load(open(body))
except Exception:
    d = None
r = (d.get("Resources") or [None])[0] if isinstance(d, dict) else None
h = {}
for line in open(hfile, errors="replace"):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
try:
    v = eval(expr, {"d": d, "r": r, "h": h, "s": int(s or 0)})
except Exception as e:
    v = "%s: %s" % (type(e).__name__, e)
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
EOF
}
# sv EXPR: a Python expression over GET /_test/state (d), printed like
# jv's; user(NAME) and group(NAME) find one in it (None: none).
sv() {
	scimserver_state >"$T/state.json" 2>"$T/state.err" ||
		{ echo "no state: $(cat "$T/state.err")"; return; }
	python3 - "$T/state.json" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def user(name):
    return next((u for u in d["users"] if u["userName"] == name), None)
def group(name):
    return next((g for g in d["groups"] if g["displayName"] == name), None)
try:
    v = eval(sys.argv[2], {"d": d, "user": user, "group": group})
except Exception as e:
    v = "%s: %s" % (type(e).__name__, e)
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
EOF
}
# uid NAME, gid NAME: a user's or group's id, from the state.
uid() {
	sv "user('$1')['id']"
}
gid() {
	sv "group('$1')['id']"
}
# n PATTERN: how many lines of the request log match PATTERN.
n() {
	scimserver_requests "$1"
}
# patch OP...: a PatchOp body of the operations (JSON objects) OP.
patch() {
	local IFS=,
	printf '{"schemas":["%s"],"Operations":[%s]}' \
		urn:ietf:params:scim:api:messages:2.0:PatchOp "$*"
}
# add_members ID...: a PatchOp adding these members.
add_members() {
	local id ops=
	for id in "$@"; do
		ops="$ops${ops:+,}{\"value\":\"$id\"}"
	done
	patch "{\"op\":\"add\",\"path\":\"members\",\"value\":[$ops]}"
}
# user_body NAME [MORE-JSON]: a User to POST.
user_body() {
	printf '{"schemas":["%s"],"userName":"%s"%s}' \
		urn:ietf:params:scim:schemas:core:2.0:User "$1" "${2:+,$2}"
}
# search MORE-JSON: POST /Users/.search with a SearchRequest.
search() {
	send POST /Users/.search "$(printf '{"schemas":["%s"],%s}' \
		urn:ietf:params:scim:api:messages:2.0:SearchRequest "$1")"
}
# names: the userNames of a list answer, on one line.
names() {
	jv '" ".join(x["userName"] for x in d["Resources"])'
}
# page: "totalResults startIndex itemsPerPage resources" of a list answer.
page() {
	jv '"%s %s %s %s" % (d["totalResults"], d["startIndex"],
		d["itemsPerPage"], len(d["Resources"]))'
}
# users FROM TO: userFROM..userTO, on one line.
users() {
	printf 'user%03d ' $(seq "$1" "$2") | sed 's/ $//'
}
ERROR=urn:ietf:params:scim:api:messages:2.0:Error
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# ---- start ----------------------------------------------------------------

start=$(date +%s%N)
check "scimserver_start with --seed and --hide-from-list ghost" \
	scimserver_start "$T/scim" --seed "$T/seed.json" --hide-from-list ghost
if [ -z "${SCIMSERVER_PID:-}" ]; then
	echo "Bail out! the server did not start"
	exit 1
fi
ms=$((($(date +%s%N) - start) / 1000000))
diag "answering $ms ms after scimserver_start"
is "SCIMSERVER_URL names SCIMSERVER_PORT and /scim/v2" "$SCIMSERVER_URL" \
	"http://127.0.0.1:$SCIMSERVER_PORT/scim/v2"
is "SCIMSERVER_DIR is private (mode 700)" \
	"$(stat -c %a "$SCIMSERVER_DIR")" 700
is "the port file holds the port" "$(cat "$SCIMSERVER_DIR/port")" \
	"$SCIMSERVER_PORT"
is "SCIMSERVER_TOKEN_FILE: DIR/token, mode 600, the token" \
	"$SCIMSERVER_TOKEN_FILE $(stat -c %a "$SCIMSERVER_TOKEN_FILE")
$(cat "$SCIMSERVER_TOKEN_FILE")" \
	"$SCIMSERVER_DIR/token 600
$SCIMSERVER_TOKEN"
is "SCIMSERVER_LOG is DIR/scimserver.log" "$SCIMSERVER_LOG" \
	"$SCIMSERVER_DIR/scimserver.log"

# ---- tokens and discovery -------------------------------------------------

rawreq GET /Users
is "no token: 401, a SCIM Error, WWW-Authenticate: Bearer" \
	"$status $(jv '[d["schemas"], d["status"]]')
$(jv 'h.get("www-authenticate", "").split()[0]')" \
	"401 [[\"$ERROR\"], \"401\"]
Bearer"
rawreq GET /Users -H "Authorization: Bearer wrong-$SCIMSERVER_TOKEN"
is "a wrong token: 401, a SCIM Error" "$status $(jv 'd["status"]')" \
	"401 401"
rawreq GET /Users -H "Authorization: Basic $SCIMSERVER_TOKEN"
is "the token as another scheme: 401" "$status" 401
printf 'another-token\n' >"$SCIMSERVER_TOKEN_FILE"
req GET /ServiceProviderConfig
rawreq GET /ServiceProviderConfig -H "Authorization: Bearer another-token"
is "the token file is read on every request: the old token 401, the new 200" \
	"$(n '^GET /scim/v2/ServiceProviderConfig 401$') $status" "1 200"
printf '%s\n' "$SCIMSERVER_TOKEN" >"$SCIMSERVER_TOKEN_FILE"
req GET /ServiceProviderConfig
is "ServiceProviderConfig: patch, filter and sort, no bulk, bearer tokens" \
	"$status $(jv '[d[k]["supported"] for k in ("patch", "filter", "sort",
		"bulk")] + [[a["type"] for a in d["authenticationSchemes"]]]')" \
	'200 [true, true, true, false, ["oauthbearertoken"]]'
req GET /ResourceTypes
is "ResourceTypes: User at /Users, Group at /Groups" \
	"$status $(jv 'sorted(x["id"] + x["endpoint"] for x in d["Resources"])')" \
	'200 ["Group/Groups", "User/Users"]'
req GET /Schemas
contains "Schemas: the core User schema" \
	"$status $(jv '[x["id"] for x in d["Resources"]]')" \
	'"urn:ietf:params:scim:schemas:core:2.0:User"'
req GET /Nonsense
is "an unknown endpoint: 404, a SCIM Error" "$status $(jv 'd["status"]')" \
	"404 404"

# ---- the seed, filters ----------------------------------------------------

get /Users 'filter=userName eq "user001"'
want='["user001", true, "ext-001", "User One", "User",'
is "filter userName eq: the seeded user with its attributes" \
	"$status $(page) $(jv '[r[k] for k in ("userName", "active",
		"externalId", "displayName")] + [r["name"]["givenName"],
		r["emails"][0]["value"]]')" \
	"200 1 1 1 1 $want \"user001@example.test\"]"
U1=$(uid user001)
is "... its id is a UUID, its meta.location absolute" \
	"$(jv 'r["id"]' | grep -c -E "$UUID_RE") $(jv 'r["meta"]["location"]')" \
	"1 $SCIMSERVER_URL/Users/$U1"
get /Users 'filter=userName eq "USER002"'
is "userName compares ignoring case; user002 is inactive" \
	"$(names) $(jv 'r["active"]')" "user002 false"
get /Users 'filter=userName eq "nobody"'
is "a filter that matches nothing: an empty list" "$status $(page)" \
	"200 0 1 0 0"
get /Users 'filter=userName sw "user02" and active eq true' count=100
is "filter sw ... and active eq true: user020..user029" \
	"$(jv 'd["totalResults"]') $(names)" "10 $(users 20 29)"
get /Users 'filter=userName xx "a"'
is "a filter that does not parse: 400 invalidFilter, a SCIM Error" \
	"$status $(jv '[d["schemas"], d["scimType"]]')" \
	"400 [[\"$ERROR\"], \"invalidFilter\"]"
get /Users 'filter=userName eq'
is "... one without a value too" "$status $(jv 'd["scimType"]')" \
	"400 invalidFilter"
get /Groups 'filter=displayName eq "app USERS"'
is "filter displayName eq (ignoring case): the group, its members' display" \
	"$status $(jv '[d["totalResults"], r["displayName"],
		[m["display"] for m in r["members"]]]')" \
	'200 [1, "App users", ["user001", "user002"]]'
get /Groups excludedAttributes=members
is "excludedAttributes=members: the groups without members" \
	"$(jv '[(g["displayName"], "members" in g) for g in d["Resources"]]')" \
	'[["App users", false], ["Empty", false]]'
req GET "/Users/$U1"
is "GET /Users/ID: the user, its groups" \
	"$status $(jv '[d["userName"], [g["display"] for g in d["groups"]]]')" \
	'200 ["user001", ["App users"]]'
req GET /Users/no-such-id
is "GET /Users/ID of no user: 404" "$status $(jv 'd["status"]')" "404 404"
search '"filter":"userName sw \"user1\"","startIndex":11,"count":5'
is "POST /Users/.search: filter and paging" "$status $(page) $(names)" \
	"200 100 11 5 5 $(users 110 114)"

# ---- paging ---------------------------------------------------------------

: >"$T/pages"
: >"$T/listed"
for start in 1 101 201; do
	get /Users startIndex=$start count=100
	printf '%s\n' "$(page)" >>"$T/pages"
	jv '"\n".join(x["userName"] for x in d["Resources"])' >>"$T/listed"
done
is "300 listed users, count=100: three full pages, totalResults 300" \
	"$(tr '\n' ' ' <"$T/pages")" \
	"300 1 100 100 300 101 100 100 300 201 100 100 "
is "... 300 distinct users, user001..user300 in order, no ghost" \
	"$(sort -u "$T/listed" | wc -l) $(head -n 1 "$T/listed")
$(tail -n 1 "$T/listed") $(grep -c ghost "$T/listed")" \
	"300 user001
user300 0"
get /Users startIndex=301 count=100
is "startIndex=301: an empty fourth page, totalResults 300" \
	"$status $(page)" "200 300 301 0 0"
get /Users startIndex=299 count=100
is "startIndex=299: the last two, itemsPerPage 2" "$(page) $(names)" \
	"300 299 2 2 user299 user300"
get /Users startIndex=2 count=3
is "startIndex=2 count=3" "$(page) $(names)" "300 2 3 3 $(users 2 4)"
get /Users count=0
is "count=0: no resources, totalResults 300" "$(page)" "300 1 0 0"
get /Users
is "no count: scimmy's 20" "$(page)" "300 1 20 20"
get /Users sortBy=userName sortOrder=descending count=2 startIndex=3
is "sortBy=userName descending, startIndex=3" "$(names)" "user298 user297"

# ---- the hidden user ------------------------------------------------------

get /Users 'filter=userName eq "ghost"'
is "--hide-from-list: a filter finds the hidden user" \
	"$(jv 'd["totalResults"]') $(names)" "1 ghost"
req GET "/Users/$(uid ghost)"
is "... GET by id reads it" "$status $(jv 'd["userName"]')" "200 ghost"
send POST /Users "$(user_body ghost)"
is "... creating it again: 409 uniqueness" \
	"$status $(jv '[d["schemas"], d["scimType"]]')" \
	"409 [[\"$ERROR\"], \"uniqueness\"]"

# ---- a refused user -------------------------------------------------------

scimserver_faults '{"refuse-user": ["ghost"]}'
w0=$(sv 'd["writes"]')
send PATCH "/Users/$(uid ghost)" "$(patch '{"op":"replace","path":"active","value":false}')"
is "--refuse-user: a write of the user: 400 invalidValue" \
	"$status $(jv 'd["scimType"]')" "400 invalidValue"
send POST /Users "$(user_body GHOST)"
is "... a create of it too" "$status $(jv 'd["detail"]')" \
	"400 user GHOST may not be changed here"
g=$(sv 'd["groups"][0]["id"]')
send PATCH "/Groups/$g" "$(add_members "$(uid ghost)")"
is "... and a group PATCH naming its id" "$status" 400
is "... nothing was written" "$(sv 'd["writes"]')" "$w0"
scimserver_faults '{"refuse-user": []}'
send PATCH "/Users/$(uid ghost)" "$(patch '{"op":"replace","path":"active","value":true}')"
is "... and without it the write goes through (changing nothing)" \
	"$status" 204

# ---- creating -------------------------------------------------------------

w0=$(sv 'd["writes"]')
send POST /Users "$(user_body newuser '"externalId":"ext-new",
"name":{"givenName":"New","familyName":"User"},
"emails":[{"value":"new@example.test","primary":true}]')"
NEW=$(jv 'd["id"]')
is "create: 201, a UUID, active by default" \
	"$status $(printf '%s' "$NEW" | grep -c -E "$UUID_RE") $(jv 'd["active"]')" \
	"201 1 true"
is "... in the state with its attributes" \
	"$(sv "[user('newuser')[k] for k in ('id', 'active', 'externalId',
		'name', 'emails')]")" \
	"[\"$NEW\", true, \"ext-new\", {\"familyName\": \"User\", \
\"givenName\": \"New\"}, [{\"primary\": true, \
\"value\": \"new@example.test\"}]]"
send POST /Users "$(user_body NewUser)"
is "a duplicate create (other case): 409 uniqueness, a SCIM Error" \
	"$status $(jv '[d["schemas"], d["status"], d["scimType"]]')" \
	"409 [[\"$ERROR\"], \"409\", \"uniqueness\"]"
is "... and no second user" \
	"$(sv 'len([u for u in d["users"] if u["userName"].lower() == "newuser"])')" 1
send POST /Users "$(user_body bad '"active":"yes"')"
is "create with active \"yes\": 400 invalidValue" \
	"$status $(jv 'd["scimType"]')" "400 invalidValue"
send PUT "/Users/$NEW" "$(user_body user003)"
is "renaming to a taken userName (PUT): 409 uniqueness" \
	"$status $(jv 'd["scimType"]') $(sv "user('newuser')['id']")" \
	"409 uniqueness $NEW"
send POST /Groups '{"displayName":"EMPTY"}'
is "a group's displayName is unique too: 409" \
	"$status $(jv 'd["scimType"]')" "409 uniqueness"

# ---- PATCH ----------------------------------------------------------------

G=$(gid 'App users')
U3=$(uid user003) U4=$(uid user004) U5=$(uid user005) U6=$(uid user006)
app_users() {
	sv "group('App users')['members']"
}
send PATCH "/Groups/$G" "$(add_members "$U3" "$U4")"
is "PATCH add two members: 200, the members" \
	"$status $(jv '[m["display"] for m in d["members"]]')" \
	'200 ["user001", "user002", "user003", "user004"]'
is "... the state has them" "$(app_users)" \
	'["user001", "user002", "user003", "user004"]'
send PATCH "/Groups/$G" \
	"$(patch "{\"op\":\"remove\",\"path\":\"members[value eq \\\"$U1\\\"]\"}")"
is "PATCH remove members[value eq \"ID\"]: 200, the state lost user001" \
	"$status $(app_users)" '200 ["user002", "user003", "user004"]'
send PATCH "/Groups/$G" "$(add_members no-such-user)"
is "PATCH add a member that is no user: 400 invalidValue, nothing changes" \
	"$status $(jv 'd["scimType"]') $(app_users)" \
	'400 invalidValue ["user002", "user003", "user004"]'
send PATCH "/Groups/$G" "$(add_members "$U3")"
is "PATCH add a member it has: nothing changes (204)" \
	"$status $(app_users)" '204 ["user002", "user003", "user004"]'

send PATCH "/Users/$U5" \
	"$(patch '{"op":"replace","path":"active","value":false}')"
is "PATCH replace active false: 200, active false, in the state" \
	"$status $(jv 'd["active"]') $(sv "user('user005')['active']")" \
	"200 false false"
send PATCH "/Users/$U6" \
	"$(patch '{"op":"replace","path":"active","value":"False"}')"
is "PATCH active \"False\" (a string): 400 invalidValue, still active" \
	"$status $(jv 'd["scimType"]') $(sv "user('user006')['active']")" \
	"400 invalidValue true"
send PATCH "/Users/$U6" \
	"$(patch '{"op":"replace","value":{"active":false,"displayName":"Six"}}')"
is "PATCH replace without a path" \
	"$status $(sv "[user('user006')[k] for k in ('active', 'displayName')]")" \
	'200 [false, "Six"]'
get "/Groups/$G" excludedAttributes=members
is "GET /Groups/ID?excludedAttributes=members" \
	"$status $(jv '[d["displayName"], "members" in d]')" \
	'200 ["App users", false]'

# ---- DELETE ---------------------------------------------------------------

req DELETE "/Users/$U3"
is "DELETE a user: 204" "$status" 204
req GET "/Users/$U3"
is "... then GET: 404" "$status" 404
is "... and its group lost it" "$(app_users)" '["user002", "user004"]'
req DELETE "/Users/$U3"
is "DELETE it again: 404" "$status" 404

# ---- the counters and the log ---------------------------------------------

# Since w0: POST newuser, 2 PATCHes of members, the no-op PATCH, 2
# PATCHes of active, DELETE: 7 answered 2xx.
is "/_test/state counts the successful writes" \
	"$(($(sv 'd["writes"]') - w0))" 7
is "... as the log does (not the POSTs to .search)" \
	"$(n '^(POST|PUT|PATCH|DELETE) /scim/v2/(Users|Groups)(/[^ .][^ ]*)? 2')" \
	"$(sv 'd["writes"]')"
is "... and counts every SCIM request" "$(sv 'd["requests"]')" \
	"$(n '^[A-Z]+ /scim/v2')"
is "the log: a create with its userName and active" \
	"$(n '^POST /scim/v2/Users 201 userName=newuser active=true$')" 1
is "the log: refused creates name the userName" \
	"$(n '^POST /scim/v2/Users 409 userName=(ghost|NewUser)$')" 2
grp="^PATCH /scim/v2/Groups/$G 200 displayName=\"App users\""
is "the log: PATCH of members says how many were added and removed" \
	"$(n "$grp add=2 remove=0\$") $(n "$grp add=0 remove=1\$")" "1 1"
is "the log: PATCH of active, and the refused one" \
	"$(n "^PATCH /scim/v2/Users/$U5 200 userName=user005 active=false\$")
$(n "^PATCH /scim/v2/Users/$U6 400 userName=user006\$")" "1
1"
is "the log: DELETE names the user" \
	"$(n "^DELETE /scim/v2/Users/$U3 204 userName=user003\$")" 1
is "the log: the query as sent, 401s too" \
	"$(n '^GET /scim/v2/Users\?startIndex=301&count=100 200$')
$(n '^GET /scim/v2/Users 401$')" "1
3"
is "the log: no line for the test control GETs" \
	"$(($(n '_test/') - $(n '^control POST /_test/faults ')))" 0

# ---- faults at run time ---------------------------------------------------

check "scimserver_faults '{\"max-count\": 50}'" \
	scimserver_faults '{"max-count": 50}'
get /Users startIndex=1 count=1000
is "max-count 50: count=1000 gets 50, itemsPerPage 50, totalResults 300" \
	"$(page)" "300 1 50 50"
get /Users startIndex=201 count=100
is "... startIndex=201 count=100: 50" "$(page) $(jv 'r["userName"]')" \
	"300 201 50 50 user202"
req GET /ServiceProviderConfig
is "... ServiceProviderConfig's filter.maxResults says 50" \
	"$(jv 'd["filter"]["maxResults"]')" 50
scimserver_faults '{"max-count": null}'
get /Users count=1000
is "max-count null: no cap again" "$(page)" "300 1 300 300"

counters() {
	sv '[len(d["users"]), d["writes"], d["faults"]]'
}
before=$(counters)
check "scimserver_faults '{\"throttle\": 1, \"retry-after\": 3}'" \
	scimserver_faults '{"throttle": 1, "retry-after": 3}'
send POST /Users "$(user_body throttled)"
is "throttle 1: 429, Retry-After: 3, a SCIM Error" \
	"$status $(jv '[h.get("retry-after"), d["schemas"], d["status"]]')" \
	"429 [\"3\", [\"$ERROR\"], \"429\"]"
req GET /ServiceProviderConfig
is "... reads too" "$status" 429
rawreq GET /Users
is "... before the token is checked" "$status" 429
scimserver_faults '{"throttle": 0}'
is "... the write was not carried out; no write counted, three faults" \
	"$(sv 'user("throttled")') $(counters)" \
	"null $(printf '%s' "$before" | python3 -c 'import json, sys
n = json.load(sys.stdin)
print(json.dumps([n[0], n[1], n[2] + 3]))')"
is "... logged as fault=429, nothing more" \
	"$(n '^POST /scim/v2/Users 429 fault=429$') $(n 'fault=429')" "1 3"
req GET /ServiceProviderConfig
is "throttle 0: answered again" "$status" 200
send PUT /Users/x '{'
is "a body that is no JSON: 400, a SCIM Error" \
	"$status $(jv 'd["schemas"]')" "400 [\"$ERROR\"]"
scimserver_faults '{"throttle": 2}' 2>"$T/err"
is "scimserver_faults refuses a throttle of 2, saying why" \
	"$? $(grep -c 'throttle wants a fraction' "$T/err")" "1 1"
scimserver_faults '{"throttle": 0.6, "unavailable": 0.6}' 2>"$T/err"
is "... and fractions adding up to more than 1" "$?" 1
scimserver_faults '{"nonsense": 1}' 2>"$T/err"
is "... and an unknown key" \
	"$? $(grep -c 'unknown fault setting' "$T/err")" "1 1"

# ---- PUT /_test/state -----------------------------------------------------

cat >"$T/small.json" <<'EOF'
{"users": [{"userName": "solo", "id": "id-solo", "active": false},
           {"userName": "duo"}],
 "groups": [{"displayName": "Pair", "members": ["solo", "Duo"]}]}
EOF
check "scimserver_put_state" scimserver_put_state "$T/small.json"
is "... the state is the document's" \
	"$(sv '[[(u["userName"], u["active"]) for u in d["users"]],
		user("solo")["id"], [(g["displayName"], g["members"])
		for g in d["groups"]]]')" \
	'[[["solo", false], ["duo", true]], "id-solo", [["Pair", ["solo", "duo"]]]]'
get /Users
is "... and SCIM answers it" "$(page) $(names)" "2 1 2 2 solo duo"
cat >"$T/bad.json" <<'EOF'
{"users": [{"userName": "a"}],
 "groups": [{"displayName": "g", "members": ["b"]}]}
EOF
scimserver_put_state "$T/bad.json" 2>"$T/err"
is "a member that is no user: refused, saying why, nothing changes" \
	"$? $(grep -c "member 'b' is no user's userName" "$T/err")
$(sv 'len(d["users"])')" "1 1
2"
printf '{"users": [{"userName": "x", "active": "no"}]}' >"$T/bad.json"
scimserver_put_state "$T/bad.json" 2>"$T/err"
is "a user the User schema refuses (active \"no\"): refused, saying why" \
	"$? $(grep -c "users\[0\]: Attribute 'active' expected value type 'boolean'" \
		"$T/err")" "1 1"
sv '[d["users"], d["groups"]]' >"$T/before.json"
sv 'd' >"$T/roundtrip.json"
check "GET /_test/state's answer goes back with PUT" \
	scimserver_put_state "$T/roundtrip.json"
is "... unchanged" "$(sv '[d["users"], d["groups"]]')" \
	"$(cat "$T/before.json")"

# ---- stop -----------------------------------------------------------------

pid=$SCIMSERVER_PID dir=$SCIMSERVER_DIR url=$SCIMSERVER_URL
check "scimserver_stop" scimserver_stop
! kill -0 "$pid" 2>/dev/null && [ ! -e "$dir" ] &&
	[ -z "${SCIMSERVER_PID:-}${SCIMSERVER_URL:-}${SCIMSERVER_DIR:-}" ] &&
	[ -z "${SCIMSERVER_TOKEN_FILE:-}${SCIMSERVER_LOG:-}" ]
is "scimserver_stop: the server, its directory and variables are gone" $? 0
curl -s --noproxy '*' --max-time 5 -o /dev/null "$url/Users"
is "scimserver_stop: the port no longer answers (curl: 7)" $? 7
check "scimserver_stop twice is harmless" scimserver_stop

# ---- options: --max-count, faults, the seeded generator -------------------

check "scimserver_start with --max-count 50 --fault-writes-only --throttle 1" \
	scimserver_start "$T/scim2" --seed "$T/seed.json" --max-count 50 \
	--fault-writes-only --throttle 1 --retry-after 5
get /Users count=100
is "--max-count 50: count=100 gets 50; ghost is listed (not hidden)" \
	"$status $(page)" "200 301 1 50 50"
get /Users startIndex=301 count=100
is "... startIndex=301 is ghost, the last" "$(page) $(names)" \
	"301 301 1 1 ghost"
search '"count":10'
is "--fault-writes-only: a POST to .search is no write" "$status $(page)" \
	"200 301 1 10 10"
send POST /Users "$(user_body writeme)"
is "--fault-writes-only --throttle 1 --retry-after 5: a write gets 429" \
	"$status $(jv 'h.get("retry-after")')" "429 5"
scimserver_stop

check "scimserver_start with --unavailable 1 --retry-after 7" \
	scimserver_start "$T/scim3" --unavailable 1 --retry-after 7
req GET /Users
is "--unavailable 1: 503, Retry-After: 7, a SCIM Error" \
	"$status $(jv '[h.get("retry-after"), d["status"]]')" '503 ["7", "503"]'
is "... logged as fault=503" "$(n '^GET /scim/v2/Users 503 fault=503$')" 1
scimserver_stop

# statuses: 20 GETs, their statuses on one line.
statuses() {
	local i out=
	for i in $(seq 1 20); do
		req GET /ServiceProviderConfig
		out="$out$status "
	done
	printf '%s\n' "$out"
}
faults=(--throttle 0.3 --unavailable 0.2)
scimserver_start "$T/scim4" "${faults[@]}" --random-seed 42
run1=$(statuses)
scimserver_faults '{"random-seed": 42}'
run2=$(statuses)
scimserver_stop
scimserver_start "$T/scim5" "${faults[@]}" --random-seed 42
run3=$(statuses)
scimserver_stop
is "--random-seed 42: the same faults in every run (and after random-seed)" \
	"$run2|$run3" "$run1|$run1"
is "... some 200, some 429, some 503" \
	"$(printf '%s' "$run1" | tr ' ' '\n' | sort -u | tr '\n' ' ')" \
	"200 429 503 "
scimserver_start "$T/scim6" "${faults[@]}" --random-seed 7
run4=$(statuses)
scimserver_stop
check "... another seed, other faults" test "$run4" != "$run1"

# ---- TLS and start-up failures --------------------------------------------

if command -v openssl >/dev/null 2>&1; then
	SCIMSERVER_TLS=1 scimserver_start "$T/tls" --seed "$T/small.json" \
		>"$T/out" 2>&1
	is "SCIMSERVER_TLS=1 scimserver_start: https://" \
		"$?:${SCIMSERVER_URL:-}" \
		"0:https://127.0.0.1:${SCIMSERVER_PORT:-}/scim/v2"
	get /Users
	is "https:// verified with SCIMSERVER_CA_FILE" "$status $(names)" \
		"200 solo duo"
	curl -s --noproxy '*' -o /dev/null \
		-H "Authorization: Bearer $SCIMSERVER_TOKEN" \
		"${SCIMSERVER_URL:-}/Users"
	is "... and not without it (curl: 60)" $? 60
	is "... scimserver_state over https" "$(sv 'len(d["users"])')" 2
	scimserver_stop
else
	skip "SCIMSERVER_TLS=1 scimserver_start: https://" "no openssl"
	skip "https:// verified with SCIMSERVER_CA_FILE" "no openssl"
	skip "... and not without it (curl: 60)" "no openssl"
	skip "... scimserver_state over https" "no openssl"
fi

printf '{"users": [{"userName": "a"}, {"userName": "A"}]}' >"$T/dup.json"
scimserver_start "$T/bad" --seed "$T/dup.json" >"$T/out" 2>&1
is "a duplicate userName in the seed: scimserver_start fails, naming it" \
	"$?:$(grep -c "users\[1\]: userName 'A' is taken" "$T/out")" "1:1"
[ ! -e "$T/bad" ] && [ -z "${SCIMSERVER_PID:-}" ]
is "a failed scimserver_start cleans up" $? 0
scimserver_start "$T/bad" --throttle lots >"$T/out" 2>&1
is "a bad option: scimserver_start fails, naming it" \
	"$?:$(grep -c "throttle wants a fraction 0..1: 'lots'" "$T/out")" "1:1"
mkdir "$T/full" && : >"$T/full/precious"
check_rc 1 "scimserver_start refuses a non-empty DIR" \
	scimserver_start "$T/full"

tap_done
