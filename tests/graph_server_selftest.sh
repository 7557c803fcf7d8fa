#!/bin/bash
# tests/graph_server_selftest.sh - exercise tests/graph_server.py with curl.
#
# Starts the Graph test server on loopback (several times, with different
# knobs), talks to it with curl and prints TAP: "ok N - ...",
# "not ok N - ..." and a final "1..N".  Exits 0 when every check passed,
# 1 otherwise.  Needs bash, python3 and curl; the certificate (client
# assertion) checks also need openssl and are skipped without it.

set -u

for prog in python3 curl; do
	if ! command -v "$prog" >/dev/null 2>&1; then
		echo "1..0 # SKIP $prog not found"
		exit 0
	fi
done

here=$(cd "$(dirname "$0")" && pwd)
server="$here/graph_server.py"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/graph_selftest.XXXXXX") || exit 1
pids=()

cleanup() {
	local p
	for p in ${pids[@]+"${pids[@]}"}; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- TAP

TAP_OUT=$tmp/check.out
. "$here/tap.sh"
# Every failure shows the last response.
last_response() {
	echo "last status: ${status:-none}; body: $(head -c 400 "$tmp/body" 2>/dev/null)"
}
TAP_DIAG=last_response

# ------------------------------------------------------------ helpers

# req METHOD URL [CURL-ARGS...]: body in $tmp/body, headers in
# $tmp/headers, HTTP status in $status.
req() {
	local method=$1 url=$2; shift 2
	: >"$tmp/body"; : >"$tmp/headers"
	status=$(curl -s -S -X "$method" -o "$tmp/body" -D "$tmp/headers" \
		-w '%{http_code}' "$@" "$url" 2>"$tmp/curl.err")
}

# js EXPR: a Python expression over the last response: s (status), d (JSON
# body or None), h (headers, lower-case names), E (environment).
js() {
	python3 - "$tmp/body" "$tmp/headers" "${status:-0}" "$1" <<'PY'
import json, os, sys
body, hfile, s, expr = sys.argv[1], sys.argv[2], int(sys.argv[3] or 0), sys.argv[4]
try:
    d = json.load(open(body))
except Exception:
    d = None
h = {}
for line in open(hfile, errors="replace"):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
try:
    ok = bool(eval(expr, {"d": d, "s": s, "h": h, "E": os.environ, "json": json}))
except Exception as e:
    print(f"# {expr}: {type(e).__name__}: {e}")
    ok = False
sys.exit(0 if ok else 1)
PY
}

# jv EXPR: print a Python expression over the last JSON body (d).
jv() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print(v if v is not None else "")' \
		"$tmp/body" "$1" 2>/dev/null
}

# start_server [-d DESC] DIR ARGS...: start graph_server.py with
# --port-file DIR/port and --log DIR/log; sets port, spid and base.  A
# test (DESC) that fails, as start_server does, if no port appears.
start_server() {
	local desc="" dir
	if [ "$1" = -d ]; then
		desc=$2
		shift 2
	fi
	dir=$1
	shift
	: "${desc:=server ${dir##*/} starts and writes its port file}"
	mkdir -p "$dir"
	python3 "$server" --port-file "$dir/port" --log "$dir/log" "$@" \
		2>"$dir/stderr" &
	spid=$!
	pids+=("$spid")
	port=
	wait_for "$desc" 10 test -s "$dir/port"
	port=$(cat "$dir/port" 2>/dev/null)
	base="http://127.0.0.1:$port"
	[ -n "$port" ]
}

# stop_server PID: SIGTERM and wait; sets rc to the exit status.
stop_server() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
}

# token_req TENANT ARGS...: POST to the token endpoint of $base.
token_req() {
	local tenant=$1; shift
	req POST "$base/$tenant/oauth2/v2.0/token" "$@"
}

# get_token: a fresh access token from $base, in $tok.
get_token() {
	token_req "$TENANT" -d grant_type=client_credentials \
		--data-urlencode "scope=$SCOPE" -d "client_id=$CLIENT" \
		--data-urlencode "client_secret=$SECRET"
	tok=$(jv 'd["access_token"]')
	auth="Authorization: Bearer $tok"
}

# count_log EXPR FILE: how many log lines (as e) satisfy a Python expression.
count_log() {
	python3 -c '
import json, sys
print(sum(1 for line in open(sys.argv[2]) if eval(sys.argv[1], {"e": json.loads(line)})))' "$1" "$2"
}

# -------------------------------------------------------------- state

export TENANT=contoso.onmicrosoft.com
export CLIENT=11111111-1111-1111-1111-111111111111
export SECRET=test-secret-value
export SCOPE=https://graph.microsoft.com/.default
export CRM=6fd2c87f-b296-42f0-b197-1e91e994b900
export BETA=7ad8e2b1-2f26-4f3c-9c59-0d3c3b2f1a01
export BI=9a1c5e44-3f0e-4f5a-8a8e-5c0b7d6e2f02
export NOSKU=00000000-0000-0000-0000-00000000dead
export PLAN1=aaaaaaaa-0000-4000-8000-000000000001

have_openssl=no
if command -v openssl >/dev/null 2>&1 &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
		-out "$tmp/cert.pem" -days 2 -subj /CN=licsync-test >/dev/null 2>&1 &&
	openssl genrsa -out "$tmp/other.pem" 2048 >/dev/null 2>&1; then
	have_openssl=yes
fi
cert_line=
[ "$have_openssl" = yes ] && cert_line='"certificate": "cert.pem",'

cat >"$tmp/state.json" <<EOF
{
  "tenant_id": "$TENANT",
  "client_id": "$CLIENT",
  "client_secret": "$SECRET",
  $cert_line
  "skus": [
    {"skuId": "$CRM", "skuPartNumber": "ACME_CRM", "enabled": 5,
     "servicePlans": [{"servicePlanId": "$PLAN1", "servicePlanName": "CRM_CORE"}]},
    {"skuId": "$BETA", "skuPartNumber": "ACME_BETA", "enabled": 1},
    {"skuId": "$BI", "skuPartNumber": "ACME_BI", "enabled": 10}
  ],
  "users": [
    {"userPrincipalName": "alice@example.com", "usageLocation": "US",
     "licenses": [{"skuId": "$CRM", "group": null, "disabledPlans": []}]},
    {"userPrincipalName": "bob@example.com", "usageLocation": "US"},
    {"userPrincipalName": "carol@example.com", "usageLocation": null},
    {"userPrincipalName": "dave@example.com", "usageLocation": "FR",
     "licenses": [{"skuId": "$CRM", "group": "g-sales", "disabledPlans": []},
                  {"skuId": "$CRM", "group": null, "disabledPlans": []}]},
    {"userPrincipalName": "erin@example.com", "usageLocation": "DE",
     "licenses": [{"skuId": "$CRM", "group": "g-sales", "disabledPlans": []}]},
    {"userPrincipalName": "frank@example.com", "usageLocation": "US",
     "licenses": [{"skuId": "$BETA", "group": null, "disabledPlans": []}]}
  ]
}
EOF

# ===================================================== main server

if ! start_server -d "server starts and writes its port file" \
	"$tmp/s1" --state "$tmp/state.json" --seed 1; then
	cat "$tmp/s1/stderr" >&2
	tap_done
fi
main_pid=$spid
main_base=$base
main_port=$port
export PORT=$port BASE=$base

# ------------------------------------------------------------- token

get_token
check "token: client secret accepted" js \
	's == 200 and d["token_type"] == "Bearer" and d["expires_in"] == 3599 and d["ext_expires_in"] == 3599 and len(d["access_token"]) > 20'
check "token: JSON content type" js 'h["content-type"].startswith("application/json")'
export TOKEN=$tok

token_req "$TENANT" -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
	-d "client_id=$CLIENT" -d client_secret=wrong-secret
check "token: bad secret is 401 invalid_client AADSTS7000215" js \
	's == 401 and d["error"] == "invalid_client" and d["error_description"].startswith("AADSTS7000215: Invalid client secret provided.") and d["error_codes"] == [7000215] and all(k in d for k in ("timestamp", "trace_id", "correlation_id"))'

token_req nowhere.example -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
	-d "client_id=$CLIENT" --data-urlencode "client_secret=$SECRET"
check "token: unknown tenant is 400 AADSTS90002" js \
	's == 400 and d["error"] == "invalid_request" and d["error_description"].startswith("AADSTS90002:")'

token_req "$TENANT" -d grant_type=client_credentials -d scope=User.Read \
	-d "client_id=$CLIENT" --data-urlencode "client_secret=$SECRET"
check "token: wrong scope is 400 invalid_scope" js 's == 400 and d["error"] == "invalid_scope"'

token_req "$TENANT" -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
	-d client_id=22222222-2222-2222-2222-222222222222 --data-urlencode "client_secret=$SECRET"
check "token: unknown client is 400 unauthorized_client AADSTS700016" js \
	's == 400 and d["error"] == "unauthorized_client" and d["error_description"].startswith("AADSTS700016:")'

token_req "$TENANT" -d grant_type=password --data-urlencode "scope=$SCOPE" \
	-d "client_id=$CLIENT" --data-urlencode "client_secret=$SECRET"
check "token: other grant types are refused" js 's == 400 and d["error"] == "unsupported_grant_type"'

# -------------------------------------------------------------- auth

req GET "$base/v1.0/subscribedSkus"
check "auth: no token is 401 InvalidAuthenticationToken (empty)" js \
	's == 401 and d["error"]["code"] == "InvalidAuthenticationToken" and d["error"]["message"] == "Access token is empty."'
check "auth: request-id header matches innerError" js \
	'h["request-id"] == d["error"]["innerError"]["request-id"] and "date" in d["error"]["innerError"] and "client-request-id" in d["error"]["innerError"]'

req GET "$base/v1.0/subscribedSkus" -H "Authorization: Bearer not-a-token"
check "auth: unknown token is 401 (expired or not yet valid)" js \
	's == 401 and d["error"]["message"] == "Access token has expired or is not yet valid."'

req GET "$base/v1.0/subscribedSkus" -H "$auth" -H "client-request-id: my-id-1"
check "auth: client-request-id is echoed" js 's == 200 and h["client-request-id"] == "my-id-1" and len(h["request-id"]) == 36'

# ----------------------------------------------------- subscribedSkus

check "subscribedSkus: consumedUnits counts direct and group holders once" js \
	'{v["skuPartNumber"]: v["consumedUnits"] for v in d["value"]} == {"ACME_CRM": 3, "ACME_BETA": 1, "ACME_BI": 0}'
check "subscribedSkus: prepaidUnits and servicePlans" js \
	'd["value"][0]["prepaidUnits"] == {"enabled": 5, "suspended": 0, "warning": 0, "lockedOut": 0} and d["value"][0]["servicePlans"][0]["servicePlanId"] == E["PLAN1"] and d["value"][0]["capabilityStatus"] == "Enabled" and d["value"][0]["appliesTo"] == "User"'

# -------------------------------------------------------------- users

req GET "$base/v1.0/users" -H "$auth"
check "users: default fields id, userPrincipalName, displayName" js \
	's == 200 and len(d["value"]) == 6 and all(set(u) == {"id", "userPrincipalName", "displayName"} for u in d["value"]) and "@odata.nextLink" not in d'

url="$base/v1.0/users?\$select=id,userPrincipalName&\$top=2"
pages=0 links_ok=yes
: >"$tmp/ids"
while [ -n "$url" ] && [ "$pages" -lt 10 ]; do
	req GET "$url" -H "$auth"
	[ "$status" = 200 ] || break
	pages=$((pages + 1))
	jv '"\n".join(u["id"] for u in d["value"])' >>"$tmp/ids"
	url=$(jv 'd.get("@odata.nextLink")')
	case $url in "" | "$base/v1.0/users?"*'$skiptoken='*) ;; *) links_ok=no ;; esac
done
check "users: \$top=2 pages by absolute @odata.nextLink, last page has none" \
	test "$pages" = 3 -a "$links_ok" = yes -a "$status" = 200
check "users: paging returns every user once, sorted by id" \
	sh -c 'test "$(grep -c . "$1")" = 6 && sort -c "$1" && test "$(sort -u "$1" | grep -c .)" = 6' sh "$tmp/ids"

filter="assignedLicenses/any(x:x/skuId%20eq%20$CRM)"
req GET "$base/v1.0/users?\$filter=$filter&\$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates&\$top=999" -H "$auth"
check "users: \$filter on assignedLicenses returns holders incl. group-inherited" js \
	's == 200 and sorted(u["userPrincipalName"] for u in d["value"]) == ["alice@example.com", "dave@example.com", "erin@example.com"]'
check "users: only selected fields are returned" js \
	'all(set(u) == {"id", "userPrincipalName", "assignedLicenses", "licenseAssignmentStates"} for u in d["value"])'
check "users: direct+group sku listed once in assignedLicenses, twice in states" js \
	'[(len(u["assignedLicenses"]), sorted(str(s["assignedByGroup"]) for s in u["licenseAssignmentStates"])) for u in d["value"] if u["userPrincipalName"] == "dave@example.com"] == [(1, ["None", "g-sales"])]'
check "users: licenseAssignmentStates shape" js \
	'[s for u in d["value"] if u["userPrincipalName"] == "erin@example.com" for s in u["licenseAssignmentStates"]][0].keys() >= {"skuId", "assignedByGroup", "state", "error", "disabledPlans", "lastUpdatedDateTime"} and all(s["state"] == "Active" and s["error"] == "None" for u in d["value"] for s in u["licenseAssignmentStates"])'

url="$base/v1.0/users?\$filter=assignedLicenses/any(lic:lic/skuId%20eq%20$CRM)&\$top=1"
pages=0
: >"$tmp/upns"
while [ -n "$url" ] && [ "$pages" -lt 10 ]; do
	req GET "$url" -H "$auth"
	[ "$status" = 200 ] || break
	pages=$((pages + 1))
	jv '"\n".join(u["userPrincipalName"] for u in d["value"])' >>"$tmp/upns"
	url=$(jv 'd.get("@odata.nextLink")')
done
check "users: nextLink keeps the filter (any variable name, \$top=1)" \
	test "$pages" = 3 -a "$(sort "$tmp/upns" | tr '\n' ' ')" = "alice@example.com dave@example.com erin@example.com "

# frank, the only ACME_BETA holder, is not last by id: a full page must
# still come without a nextLink when no later user matches.
req GET "$base/v1.0/users?\$filter=assignedLicenses/any(x:x/skuId%20eq%20$BETA)&\$top=1" -H "$auth"
check "users: no nextLink when no further user matches" js \
	's == 200 and [u["userPrincipalName"] for u in d["value"]] == ["frank@example.com"] and "@odata.nextLink" not in d'

req GET "$base/v1.0/users?\$filter=usageLocation%20eq%20'US'" -H "$auth"
check "users: other filters are 400 Request_UnsupportedQuery" js 's == 400 and d["error"]["code"] == "Request_UnsupportedQuery"'

req GET "$base/v1.0/users?\$top=1000" -H "$auth"
check "users: \$top=1000 is 400 Invalid page size" js \
	's == 400 and d["error"]["code"] == "Request_BadRequest" and d["error"]["message"] == "Invalid page size specified: '"'1000'"'. Must be between 1 and 999 inclusive."'
req GET "$base/v1.0/users?\$top=0" -H "$auth"
check "users: \$top=0 is 400" js 's == 400 and d["error"]["message"].startswith("Invalid page size specified")'

req GET "$base/v1.0/users?\$select=id,nosuchfield" -H "$auth"
check "users: unknown \$select property is 400" js 's == 400 and "nosuchfield" in d["error"]["message"]'

req GET "$base/v1.0/users?\$skiptoken=garbage" -H "$auth"
check "users: invalid \$skiptoken is 400" js 's == 400'

# ------------------------------------------------------- assignLicense

# assign USER BODY [CURL-ARGS...]
assign() {
	local user=$1 body=$2; shift 2
	req POST "$base/v1.0/users/$user/assignLicense" -H "$auth" \
		-H "Content-Type: application/json" --data-binary "$body" "$@"
}
consumed() {
	req GET "$base/v1.0/subscribedSkus" -H "$auth"
	jv "{v['skuPartNumber']: v['consumedUnits'] for v in d['value']}['$1']"
}

assign bob@example.com "{\"addLicenses\": [{\"skuId\": \"$CRM\", \"disabledPlans\": [\"$PLAN1\"]}], \"removeLicenses\": []}"
check "assignLicense: success returns the user with the license" js \
	's == 200 and d["userPrincipalName"] == "bob@example.com" and {"skuId": E["CRM"], "disabledPlans": [E["PLAN1"]]} in d["assignedLicenses"] and "request-id" in h'
check "assignLicense: consumedUnits follows" test "$(consumed ACME_CRM)" = 4

assign bob@example.com "{\"addLicenses\": [{\"skuId\": \"$CRM\", \"disabledPlans\": []}], \"removeLicenses\": []}"
check "assignLicense: re-adding a held sku updates disabledPlans, no new seat" \
	sh -c '[ "$1" = 200 ] && [ "$2" = 4 ]' sh "$status" "$(consumed ACME_CRM)"

assign bob@example.com "{\"addLicenses\": []}"
check "assignLicense: missing removeLicenses is 400 with Graph's message" js \
	's == 400 and d["error"]["code"] == "Request_BadRequest" and d["error"]["message"] == "One or more parameters of the operation '"'assignLicense'"' are missing from the request payload. The missing parameters are: removeLicenses."'
assign bob@example.com "{\"removeLicenses\": []}"
check "assignLicense: missing addLicenses names addLicenses" js \
	's == 400 and d["error"]["message"].endswith("The missing parameters are: addLicenses.")'

assign nobody@example.com "{\"addLicenses\": [], \"removeLicenses\": [\"$CRM\"]}"
check "assignLicense: unknown user is 404 Request_ResourceNotFound" js \
	's == 404 and d["error"]["code"] == "Request_ResourceNotFound" and d["error"]["message"] == "Resource '"'nobody@example.com'"' does not exist or one of its queried reference-property objects are not present."'

assign bob@example.com "{\"addLicenses\": [{\"skuId\": \"$NOSKU\", \"disabledPlans\": []}], \"removeLicenses\": []}"
check "assignLicense: unknown sku is 400" js \
	's == 400 and d["error"]["message"] == "License " + E["NOSKU"] + " does not correspond to a valid company License."'

assign bob@example.com "{\"addLicenses\": [{\"skuId\": \"$BETA\", \"disabledPlans\": []}], \"removeLicenses\": []}"
check "assignLicense: no free seat is 400 (does not have any available licenses)" js \
	's == 400 and d["error"]["message"] == "Subscription with SKU " + E["BETA"] + " does not have any available licenses."'

assign carol@example.com "{\"addLicenses\": [{\"skuId\": \"$CRM\", \"disabledPlans\": []}], \"removeLicenses\": []}"
check "assignLicense: no usageLocation is 400" js \
	's == 400 and d["error"]["message"] == "License assignment cannot be done for user with invalid usage location."'

assign erin@example.com "{\"addLicenses\": [], \"removeLicenses\": [\"$CRM\"]}"
check "assignLicense: removing a group-inherited license is 400" js \
	's == 400 and d["error"]["message"] == "User license is inherited from a group membership and it cannot be removed directly from the user."'

assign frank@example.com "{\"addLicenses\": [], \"removeLicenses\": [\"$CRM\"]}"
check "assignLicense: removing a license not held is 400" js \
	's == 400 and d["error"]["message"] == "User does not have a corresponding license."'

assign frank@example.com "{\"addLicenses\": [{\"skuId\": \"$BI\", \"disabledPlans\": []}], \"removeLicenses\": [\"$CRM\"]}"
check "assignLicense: a failing call changes nothing (atomic)" \
	sh -c '[ "$1" = 400 ] && [ "$2" = 0 ]' sh "$status" "$(consumed ACME_BI)"

req POST "$base/v1.0/users/frank@example.com/assignLicense" -H "$auth" \
	--data-binary "{\"addLicenses\": [], \"removeLicenses\": []}"
check "assignLicense: a body without JSON Content-Type is 400" js 's == 400 and "Content-Type" in d["error"]["message"]'

frank_id=$(python3 -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, "frank@example.com"))')
assign "$frank_id" "{\"addLicenses\": [{\"skuId\": \"$BI\"}], \"removeLicenses\": [\"$BETA\"]}"
check "assignLicense: swap in one call, user addressed by id" \
	sh -c '[ "$1" = 200 ] && [ "$2" = 0 ] && [ "$3" = 1 ]' sh "$status" "$(consumed ACME_BETA)" "$(consumed ACME_BI)"

req GET "$base/v1.0/users/FRANK@example.com?\$select=id,assignedLicenses" -H "$auth"
check "users/{upn}: case-insensitive lookup, selected fields" js \
	's == 200 and d["id"] == "'"$frank_id"'" and [l["skuId"] for l in d["assignedLicenses"]] == [E["BI"]] and "userPrincipalName" not in d'

req GET "$base/_test/stats"
check "stats: assign_calls counts successful assignLicense calls" js 's == 200 and d["assign_calls"] == 3'

# -------------------------------------------------------------- $batch

python3 - "$tmp" <<'PY'
import json, os, sys
tmp = sys.argv[1]
crm = os.environ["CRM"]
items = [{"id": "a1", "method": "POST", "url": "/users/bob@example.com/assignLicense",
          "headers": {"Content-Type": "application/json"},
          "body": {"addLicenses": [], "removeLicenses": [crm]}},
         {"id": "a2", "method": "POST", "url": "/users/carol@example.com/assignLicense",
          "headers": {"Content-Type": "application/json"},
          "body": {"addLicenses": [{"skuId": crm, "disabledPlans": []}], "removeLicenses": []}},
         {"id": "a3", "method": "POST", "url": "/users/alice@example.com/assignLicense",
          "body": {"addLicenses": [], "removeLicenses": []}},
         {"id": "a4", "method": "GET", "url": "/users?$top=2&$select=id"}]
items += [{"id": str(i), "method": "GET", "url": "/users/alice@example.com?$select=id"}
          for i in range(1, 17)]
json.dump({"requests": items}, open(f"{tmp}/batch20.json", "w"))
json.dump({"requests": items + [{"id": "x", "method": "GET", "url": "/users"}]},
          open(f"{tmp}/batch21.json", "w"))
json.dump({"requests": items[3:5] + [dict(items[4])]}, open(f"{tmp}/batchdup.json", "w"))
PY

batch() {
	req POST "$base/v1.0/\$batch" -H "$auth" -H "Content-Type: application/json" \
		--data-binary "@$1" "${@:2}"
}
batch "$tmp/batch20.json"
check "batch: 20 items answered 200 with one response per id" js \
	's == 200 and sorted(r["id"] for r in d["responses"]) == sorted(["a1", "a2", "a3", "a4"] + [str(i) for i in range(1, 17)])'
check "batch: responses come back shuffled" js \
	'[r["id"] for r in d["responses"]] != ["a1", "a2", "a3", "a4"] + [str(i) for i in range(1, 17)]'
check "batch: per-item status (ok, no usage location, missing Content-Type)" js \
	'(lambda r: r["a1"]["status"] == 200 and r["a2"]["status"] == 400 and "usage location" in r["a2"]["body"]["error"]["message"] and r["a3"]["status"] == 400 and r["16"]["status"] == 200 and r["16"]["body"]["id"])({r["id"]: r for r in d["responses"]})'
check "batch: items carry headers, request-id and an absolute nextLink" js \
	'(lambda r: r["a4"]["body"]["@odata.nextLink"].startswith(E["BASE"] + "/v1.0/users?") and all(x["headers"]["request-id"] for x in r.values()) and r["a2"]["body"]["error"]["innerError"]["request-id"] == r["a2"]["headers"]["request-id"])({r["id"]: r for r in d["responses"]})'

batch "$tmp/batch21.json"
check "batch: more than 20 requests is 400" js 's == 400 and d["error"]["code"] == "BadRequest"'
batch "$tmp/batchdup.json"
check "batch: duplicate ids are 400" js 's == 400'

batch "$tmp/batch20.json" -H "Expect: 100-continue"
check "batch: Expect: 100-continue is honoured" js 's == 200 and len(d["responses"]) == 20'

req GET "$base/_test/stats"
check "stats: batch items and assign calls counted" js \
	'd["batch_items"] == 40 and d["assign_calls"] == 4 and d["by_path"]["/v1.0/$batch"] == 4 and d["batch_items_by_path"]["/v1.0/users/{id}/assignLicense"] == 6'

# ------------------------------------------------------------ keep-alive

connects=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' -H "$auth" \
	"$base/v1.0/subscribedSkus" "$base/v1.0/users?\$top=1")
check "HTTP/1.1 keep-alive: curl reuses the connection" test "$connects" = "1 0 "

# ------------------------------------------------------------ control

req GET "$base/_test/state"
check "_test/state: users sorted by upn, licenses sorted, changes applied" js \
	's == 200 and [u["userPrincipalName"] for u in d["users"]] == sorted(u["userPrincipalName"] for u in d["users"]) and [l["skuId"] for u in d["users"] if u["userPrincipalName"] == "frank@example.com" for l in u["licenses"]] == [E["BI"]] and [l for u in d["users"] if u["userPrincipalName"] == "bob@example.com" for l in u["licenses"]] == [] and [(l["skuId"], l["group"]) for u in d["users"] if u["userPrincipalName"] == "dave@example.com" for l in u["licenses"]] == [(E["CRM"], None), (E["CRM"], "g-sales")]'
check "_test/state: no private fields leak" js \
	'not any(k.startswith("_") for u in d["users"] for l in u["licenses"] for k in l)'
cp "$tmp/body" "$tmp/exported.json"

python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s["skus"][0]["enabled"] = 50
s["users"] = [u for u in s["users"] if u["userPrincipalName"] != "alice@example.com"]
json.dump(s, open(sys.argv[2], "w"))' "$tmp/exported.json" "$tmp/state2.json"
req PUT "$base/_test/state" -H "Content-Type: application/json" --data-binary "@$tmp/state2.json"
put_status=$status
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "_test/state PUT replaces the state" js \
	'"'"$put_status"'" == "204" and s == 200 and [(v["prepaidUnits"]["enabled"], v["consumedUnits"]) for v in d["value"] if v["skuPartNumber"] == "ACME_CRM"] == [(50, 2)]'

req PUT "$base/_test/state" --data-binary '{"tenant_id": "x", "client_id": "y", "skus": [{"skuId": "bad"}]}'
bad_status=$status
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "_test/state PUT of an invalid state is 400 and keeps the old one" js \
	'"'"$bad_status"'" == "400" and [v["prepaidUnits"]["enabled"] for v in d["value"] if v["skuPartNumber"] == "ACME_CRM"] == [50]'

req POST "$base/_test/reset-stats"
reset_status=$status
req GET "$base/_test/stats"
check "_test/reset-stats zeroes the counters" js \
	'"'"$reset_status"'" == "204" and d["requests"] == 0 and d["assign_calls"] == 0 and d["by_path"] == {}'

req POST "$base/_test/expire-tokens"
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "_test/expire-tokens: old tokens get 401 expired" js \
	's == 401 and d["error"]["message"] == "Access token has expired or is not yet valid."'
get_token

# ------------------------------------------------- optional sku rules

cat >"$tmp/rules.json" <<EOF
{"tenant_id": "$TENANT", "client_id": "$CLIENT", "client_secret": "$SECRET",
 "skus": [
   {"skuId": "$CRM", "skuPartNumber": "ACME_CRM", "enabled": 5,
    "mutuallyExclusiveWith": ["$BETA"],
    "servicePlans": [{"servicePlanId": "$PLAN1", "servicePlanName": "CRM_CORE"}]},
   {"skuId": "$BETA", "skuPartNumber": "ACME_BETA", "enabled": 5},
   {"skuId": "$BI", "skuPartNumber": "ACME_BI", "enabled": 5, "dependsOn": ["$CRM"]}],
 "users": [
   {"userPrincipalName": "gina@example.com", "usageLocation": "US",
    "licenses": [{"skuId": "$BETA", "group": null},
                 {"skuId": "$CRM", "group": "g-err", "state": "Error",
                  "error": "CountViolation"}]}]}
EOF
req PUT "$base/_test/state" --data-binary "@$tmp/rules.json"
req GET "$base/v1.0/users?\$select=assignedLicenses,licenseAssignmentStates" -H "$auth"
check "license in Error state: only in licenseAssignmentStates" js \
	's == 200 and [l["skuId"] for l in d["value"][0]["assignedLicenses"]] == [E["BETA"]] and sorted((x["state"], x["error"]) for x in d["value"][0]["licenseAssignmentStates"]) == [("Active", "None"), ("Error", "CountViolation")]'
assign gina@example.com "{\"addLicenses\": [{\"skuId\": \"$CRM\"}], \"removeLicenses\": []}"
check "assignLicense: mutually exclusive skus are 400" js \
	's == 400 and d["error"]["message"] == "License assignment failed because service plans " + E["PLAN1"] + ", " + E["BETA"] + " are mutually exclusive."'
assign gina@example.com "{\"addLicenses\": [{\"skuId\": \"$BI\"}], \"removeLicenses\": []}"
check "assignLicense: a missing dependency is 400" js \
	's == 400 and d["error"]["message"] == "License assignment failed because service plan " + E["BI"] + " depends on the service plan(s) " + E["PLAN1"] + "."'
assign gina@example.com "{\"addLicenses\": [{\"skuId\": \"$CRM\"}, {\"skuId\": \"$BI\"}], \"removeLicenses\": [\"$BETA\"]}"
check "assignLicense: a swap satisfying both rules succeeds" js \
	's == 200 and sorted(l["skuId"] for l in d["assignedLicenses"]) == sorted([E["CRM"], E["BI"]])'
req GET "$base/v1.0/groups" -H "$auth"
check "an unknown Graph resource is 400 BadRequest" js \
	's == 400 and d["error"]["message"] == "Resource not found for the segment " + chr(39) + "groups" + chr(39) + "."'

# ----------------------------------------------------- client assertion

# make_jwt ALG KEY AUD [NBF EXP X5T]: a signed client assertion.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
make_jwt() {
	local alg=$1 key=$2 aud=$3 now
	now=$(date +%s)
	local nbf=${4:-$((now - 5))} exp=${5:-$((now + 300))} x5t=${6:-$X5T}
	local h p s jti sigopts=()
	jti=$(python3 -c 'import uuid; print(uuid.uuid4())')
	h=$(printf '{"alg":"%s","typ":"JWT","x5t#S256":"%s"}' "$alg" "$x5t" | b64url)
	p=$(printf '{"aud":"%s","iss":"%s","sub":"%s","jti":"%s","nbf":%s,"iat":%s,"exp":%s}' \
		"$aud" "$CLIENT" "$CLIENT" "$jti" "$nbf" "$nbf" "$exp" | b64url)
	[ "$alg" = PS256 ] && sigopts=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1)
	s=$(printf '%s.%s' "$h" "$p" |
		openssl dgst -sha256 -sign "$key" ${sigopts[@]+"${sigopts[@]}"} | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}
assertion_req() {
	token_req "$TENANT" -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
		-d "client_id=$CLIENT" \
		--data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
		--data-urlencode "client_assertion=$1"
}

if [ "$have_openssl" = yes ]; then
	# The exported state (with the certificate) back in place.
	req PUT "$base/_test/state" --data-binary "@$tmp/exported.json"
	X5T=$(openssl x509 -in "$tmp/cert.pem" -outform DER | openssl dgst -sha256 -binary | b64url)
	aud="$base/$TENANT/oauth2/v2.0/token"

	assertion_req "$(make_jwt RS256 "$tmp/key.pem" "$aud")"
	check "assertion: RS256 signed with the certificate's key is accepted" js \
		's == 200 and d["token_type"] == "Bearer"'
	req GET "$base/v1.0/users?\$top=1" -H "Authorization: Bearer $(jv 'd["access_token"]')"
	check "assertion: its token works on Graph" js 's == 200'

	assertion_req "$(make_jwt PS256 "$tmp/key.pem" "$aud")"
	check "assertion: PS256 is accepted" js 's == 200'

	assertion_req "$(make_jwt RS256 "$tmp/key.pem" "https://login.microsoftonline.com/$TENANT/oauth2/v2.0/token")"
	check "assertion: wrong aud is 401 invalid_client" js 's == 401 and d["error"] == "invalid_client"'

	assertion_req "$(make_jwt RS256 "$tmp/other.pem" "$aud")"
	check "assertion: signature by another key is 401 AADSTS700027" js \
		's == 401 and d["error"] == "invalid_client" and d["error_description"].startswith("AADSTS700027:")'

	now=$(date +%s)
	assertion_req "$(make_jwt RS256 "$tmp/key.pem" "$aud" $((now - 2000)) $((now - 1500)))"
	check "assertion: expired assertion is 401" js 's == 401 and d["error"] == "invalid_client"'

	assertion_req "$(make_jwt RS256 "$tmp/key.pem" "$aud" $((now - 10)) $((now + 3600)))"
	check "assertion: lifetime over 10 minutes is 401" js 's == 401'

	assertion_req "$(make_jwt RS256 "$tmp/key.pem" "$aud" "" "" "AAAA")"
	check "assertion: wrong x5t#S256 is 401" js 's == 401 and d["error"] == "invalid_client"'

	good=$(make_jwt RS256 "$tmp/key.pem" "$aud")
	assertion_req "${good%.*}.$(printf 'garbage' | b64url)"
	check "assertion: tampered signature is 401" js 's == 401'
else
	for d in "RS256 accepted" "token works" "PS256 accepted" "wrong aud" \
		"other key" "expired" "lifetime" "x5t#S256" "tampered"; do
		skip "assertion: $d" "openssl not available"
	done
fi

# ----------------------------------------------------------------- log

check "log: one JSON object per request with method, path, status" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all({"method", "path", "status"} <= set(e) for e in lines)' "$tmp/s1/log"
check "log: \$batch lines list per-item statuses" test \
	"$(count_log 'e["path"] == "/v1.0/$batch" and e["status"] == 200 and len(e["batch_items"]) == 20' "$tmp/s1/log")" = 2
check "log: failed assignLicense items still record their skuIds" test \
	"$(count_log 'any(b["status"] == 400 and b.get("add") for b in e.get("batch", []))' "$tmp/s1/log")" = 2
check "log: never contains the client secret or a token" \
	sh -c '! grep -q -e "$1" -e "$2" -e "$3" "$4"' sh "$SECRET" "$TOKEN" "$tok" "$tmp/s1/log"

# ---------------------------------------------------------- stop (main)

stop_server "$main_pid"
check "SIGTERM: exits 0 and removes its port file" test "$rc" = 0 -a ! -e "$tmp/s1/port"

# ===================================================== fault injection

# statuses N: N GET /subscribedSkus, their statuses space-separated.
statuses() {
	local i out=
	for i in $(seq "$1"); do
		req GET "$base/v1.0/subscribedSkus" -H "$auth"
		out="$out$status "
	done
	echo "$out"
}

fault_args=(--state "$tmp/state.json" --fault-429 0.3 --fault-503 0.2 --seed 42 --retry-after 2)
start_server "$tmp/f1" "${fault_args[@]}"
f1_pid=$spid
toks_ok=yes
for i in 1 2 3 4 5 6 7 8; do
	get_token
	[ "$status" = 200 ] || toks_ok=no
done
check "faults: token requests are never faulted" test "$toks_ok" = yes
seq1=$(statuses 40)
check "faults: a mix of 200, 429 and 503" sh -c \
	'case "$1" in *200*) ;; *) exit 1;; esac; case "$1" in *429*) ;; *) exit 1;; esac; case "$1" in *503*) ;; *) exit 1;; esac' sh "$seq1"
for i in $(seq 40); do
	req GET "$base/v1.0/subscribedSkus" -H "$auth"
	[ "$status" = 429 ] && break
done
check "faults: 429 TooManyRequests with Retry-After: 2 and a request-id" js \
	's == 429 and d["error"]["code"] == "TooManyRequests" and h.get("retry-after") == "2" and h["request-id"] == d["error"]["innerError"]["request-id"]'
for i in $(seq 40); do
	batch "$tmp/batch20.json"
	[ "$status" = 200 ] && break
done
check "faults: batch items are throttled on their own, with Retry-After" js \
	's == 200 and any(r["status"] == 429 and r["headers"]["Retry-After"] == "2" for r in d["responses"]) and any(r["status"] == 200 for r in d["responses"])'
req GET "$base/_test/stats"
expected=$(count_log 'e.get("fault") is not None' "$tmp/f1/log")
items=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for b in json.loads(l).get("batch", []) if "fault" in b))' "$tmp/f1/log")
check "faults: stats count every injected fault" js "d['throttled'] == $expected + $items and d['throttled'] == d['faults_429'] + d['faults_503']"
stop_server "$f1_pid"

start_server "$tmp/f2" "${fault_args[@]}"
f2_pid=$spid
get_token
seq2=$(statuses 40)
check "faults: same --seed, same sequence" test "$seq1" = "$seq2"
stop_server "$f2_pid"

start_server "$tmp/f3" --state "$tmp/state.json" --fault-429 1 --retry-after 0 --token-lifetime 2
f3_pid=$spid
get_token
check "--token-lifetime: expires_in follows" js 'd["expires_in"] == 2'
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "--retry-after 0: 429 without a Retry-After header" js 's == 429 and "retry-after" not in h'
sleep 2.3
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "--token-lifetime: the token expires" js \
	's == 401 and d["error"]["code"] == "InvalidAuthenticationToken"'
stop_server "$f3_pid"

start_server "$tmp/f4" --state "$tmp/state.json" --latency-ms 700
f4_pid=$spid
t0=$(date +%s%N)
token_req "$TENANT" -d grant_type=client_credentials --data-urlencode "scope=$SCOPE" \
	-d "client_id=$CLIENT" --data-urlencode "client_secret=$SECRET"
t1=$(date +%s%N)
auth="Authorization: Bearer $(jv 'd["access_token"]')"
t2=$(date +%s%N)
req GET "$base/v1.0/subscribedSkus" -H "$auth"
t3=$(date +%s%N)
check "--latency-ms: Graph requests are delayed, token requests are not" \
	test $(((t1 - t0) / 1000000)) -lt 600 -a $(((t3 - t2) / 1000000)) -ge 700
req PUT "$base/_test/config" --data-binary '{"latency_ms": 0, "fault_503": 1, "retry_after": 3}'
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "_test/config changes knobs at runtime" js 's == 503 and h.get("retry-after") == "3"'
stop_server "$f4_pid"

start_server "$tmp/f5" --state "$tmp/state.json" --max-requests 3
f5_pid=$spid
get_token
req GET "$base/v1.0/subscribedSkus" -H "$auth"
req GET "$base/v1.0/subscribedSkus" -H "$auth"
s3=$status
req GET "$base/v1.0/subscribedSkus" -H "$auth"
s4=$status
gone() {        # gone PID: the process has exited
	! kill -0 "$1" 2>/dev/null
}
wait_for "--max-requests: the server exits after request N+1" 5 gone "$f5_pid" ||
	kill "$f5_pid" 2>/dev/null
wait "$f5_pid" 2>/dev/null
rc=$?
check "--max-requests: request N+1 is 503 and the server exits (status 3)" \
	test "$s3" = 200 -a "$s4" = 503 -a "$rc" = 3

# ===================================================== hostile server

start_server "$tmp/h1" --state "$tmp/state.json" --seed 1
h_pid=$spid
export BASE=$base
get_token
conf() { req PUT "$base/_test/config" --data-binary "$1"; }
ids_of() {      # the response ids of the last $batch answer, sorted, as JSON
	jv 'json.dumps(sorted(str(type(r.get("id")).__name__) + ":" + str(r.get("id")) for r in d["responses"]))'
}
python3 - "$tmp" <<'PY'
import json, os, sys
tmp, crm = sys.argv[1], os.environ["CRM"]
def add(uid, user):
    return {"id": uid, "method": "POST", "url": f"/users/{user}/assignLicense",
            "headers": {"Content-Type": "application/json"},
            "body": {"addLicenses": [{"skuId": crm, "disabledPlans": []}],
                     "removeLicenses": []}}
def patch(uid, user, body):
    return {"id": uid, "method": "PATCH", "url": f"/users/{user}",
            "headers": {"Content-Type": "application/json"}, "body": body}
json.dump({"requests": [add("0", "bob@example.com"), add("7", "frank@example.com")]},
          open(f"{tmp}/two.json", "w"))
pair = lambda code, user="carol@example.com": {"requests": [
    patch("12", user, {"usageLocation": code}),
    dict(add("2", user), dependsOn=["12"])]}
json.dump(pair("DE"), open(f"{tmp}/pair.json", "w"))
json.dump(pair("Germany"), open(f"{tmp}/pairbad.json", "w"))
json.dump(pair("DE", "nobody@example.com"), open(f"{tmp}/pairnobody.json", "w"))
json.dump({"requests": [patch("1", "carol@example.com", {"usageLocation": "FR"}),
                        dict(add("2", "carol@example.com"), dependsOn=["1"]),
                        add("3", "bob@example.com")]},
          open(f"{tmp}/mixed.json", "w"))
PY
state_of() {    # state_of UPN EXPR: a Python expression over the user (u)
	curl -s "$base/_test/state" | python3 -c '
import json, sys
u = [x for x in json.load(sys.stdin)["users"] if x["userPrincipalName"] == sys.argv[1]][0]
print(eval(sys.argv[2]))' "$1" "$2"
}

for mode in suffix leading_zero space number missing unknown duplicate; do
	conf "{\"batch_ids\": \"$mode\"}"
	batch "$tmp/two.json"
	printf -v "ids_$mode" '%s' "$(ids_of)"
done
check "batch_ids suffix: \"0\" is answered as \"0garbage\"" test "$ids_suffix" = '["str:0garbage", "str:7garbage"]'
check "batch_ids leading_zero" test "$ids_leading_zero" = '["str:00", "str:07"]'
check "batch_ids space" test "$ids_space" = '["str: 0", "str: 7"]'
check "batch_ids number" test "$ids_number" = '["int:0", "int:7"]'
check "batch_ids missing" test "$ids_missing" = '["NoneType:None", "NoneType:None"]'
check "batch_ids unknown" test "$ids_unknown" = '["str:9999999999990", "str:9999999999997"]'
check "batch_ids duplicate: every answer twice" test "$ids_duplicate" = '["str:0", "str:0", "str:7", "str:7"]'
check "batch_ids: the items still ran" test "$(state_of bob@example.com 'len(u["licenses"])')" = 1

curl -s "$base/_test/state" >"$tmp/before.json"
calls0=$(curl -s "$base/_test/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["assign_calls"])')
conf '{"batch_ids": "suffix", "batch_fake_status": 204}'
batch "$tmp/two.json"
check "batch_fake_status 204: claimed, under garbage ids" js \
	'sorted(r["id"] for r in d["responses"]) == ["0garbage", "7garbage"] and all(r["status"] == 204 and "body" not in r for r in d["responses"])'
curl -s "$base/_test/state" >"$tmp/after.json"
calls1=$(curl -s "$base/_test/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["assign_calls"])')
check "batch_fake_status: nothing changed, nothing counted" \
	test "$calls0" = "$calls1" -a "$(cmp -s "$tmp/before.json" "$tmp/after.json" && echo same)" = same
check "batch_fake_status: logged as faked" test \
	"$(count_log '"batch" in e and all(i.get("faked") for i in e["batch"])' "$tmp/h1/log")" -ge 1
conf '{"batch_ids": null, "batch_fake_status": null}'

conf '{"batch_whole": {"status": 429, "retry_after": 100000, "times": 2}}'
batch "$tmp/two.json"
check "batch_whole: the whole \$batch answered 429, Retry-After 100000" js \
	's == 429 and h.get("retry-after") == "100000" and d["error"]["code"] == "TooManyRequests"'
batch "$tmp/two.json"
w2=$status
batch "$tmp/two.json"
check "batch_whole: times runs out" test "$w2" = 429 -a "$status" = 200
req GET "$base/_test/stats"
check "batch_whole: counted" js 'd["batch_whole_faults"] == 2'
conf '{"batch_whole": {"status": 503, "retry_after": null, "times": -1}}'
batch "$tmp/two.json"
check "batch_whole: 503 without Retry-After" js 's == 503 and "retry-after" not in h'
conf '{"batch_whole": null}'
conf '{"batch_whole": {"status": 99}}'
check "batch_whole: a bad status is refused" js 's == 400'

conf '{"throttle_percent": 100000}'
req GET "$base/v1.0/subscribedSkus" -H "$auth"
t1=$(js 'h.get("x-ms-throttle-limit-percentage") == "100000"' && echo y)
batch "$tmp/two.json"
check "throttle_percent: on reads and on \$batch answers, as given" \
	test "$t1" = y -a "$(js 'h.get("x-ms-throttle-limit-percentage") == "100000"' && echo y)" = y
conf '{"throttle_percent": -5.5}'
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "throttle_percent: out of range too" js 'h.get("x-ms-throttle-limit-percentage") == "-5.5"'
conf '{"throttle_percent": null}'
req GET "$base/v1.0/subscribedSkus" -H "$auth"
check "throttle_percent: off again" js '"x-ms-throttle-limit-percentage" not in h'

first="$base/v1.0/users?\$top=2&\$select=id"
conf '{"next_link": "self"}'
req GET "$first" -H "$auth"
check "next_link self: the page links to itself" js 'd["@odata.nextLink"] == E["BASE"] + "/v1.0/users?$top=2&$select=id"'
conf '{"next_link": "cycle"}'
req GET "$first" -H "$auth"
second=$(jv 'd["@odata.nextLink"]')
req GET "$second" -H "$auth"
check "next_link cycle: page 2 links back to page 1" \
	js 'd["@odata.nextLink"] == E["BASE"] + "/v1.0/users?$top=2&$select=id"'
conf '{"next_link": "endless"}'
link=$first
seen=""
for i in 1 2 3 4 5 6; do
	req GET "$link" -H "$auth"
	seen="$seen $(jv 'len(d["value"])')"
	link=$(jv 'd["@odata.nextLink"]')
done
check "next_link endless: the real pages, then empty ones, always a new link ($seen)" \
	test "$seen" = " 2 2 2 0 0 0"
conf '{"next_link": "outside"}'
req GET "$first" -H "$auth"
check "next_link outside: another host" js 'd["@odata.nextLink"].startswith("http://graph.example.invalid/")'
conf '{"next_link": null}'

conf '{"duplicate_users": 1}'
req GET "$first" -H "$auth"
check "duplicate_users: the first user again at the end" js \
	'len(d["value"]) == 3 and d["value"][0] == d["value"][2]'
conf '{"duplicate_users": 0}'

conf '{"oversized_body_mb": 2}'
req GET "$first" -H "$auth"
check "oversized_body_mb 2: a valid JSON answer of more than 2 MiB" js \
	's == 200 and len(d["padding"]) >= 2 * 1024 * 1024 and len(d["value"]) == 2'
# a client hanging up early does not upset the server
conf '{"oversized_body_mb": 64}'
curl -s -H "$auth" --max-filesize 100000 -o /dev/null "$first"
conf '{"oversized_body_mb": 0}'
req GET "$first" -H "$auth"
check "oversized_body_mb: a client hanging up early leaves the server well" js \
	's == 200 and "padding" not in d'
check "oversized_body_mb: no traceback" test ! -s "$tmp/h1/stderr"

req PATCH "$base/v1.0/users/carol@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"usageLocation": "NO"}'
check "PATCH usageLocation: 204, no body" js 's == 204 and d is None'
check "PATCH usageLocation: the user has it" test "$(state_of carol@example.com 'u["usageLocation"]')" = NO
req PATCH "$base/v1.0/users/carol@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"usageLocation": "no"}'
check "PATCH usageLocation: lower case is refused" js \
	's == 400 and d["error"]["message"] == "Invalid value specified for property '"'"'usageLocation'"'"' of resource '"'"'User'"'"'."'
req PATCH "$base/v1.0/users/carol@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"usageLocation": "XK"}'
check "PATCH usageLocation: a code ISO 3166 does not assign is refused" js 's == 400'
req PATCH "$base/v1.0/users/carol@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"city": "Oslo"}'
check "PATCH: other properties are refused" js \
	's == 400 and d["error"]["message"] == "Property '"'"'city'"'"' is not supported by graph_server."'
req PATCH "$base/v1.0/users/nobody@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"usageLocation": "DE"}'
check "PATCH: an unknown user is 404" js 's == 404 and d["error"]["code"] == "Request_ResourceNotFound"'
req PUT "$base/_test/state" -H 'Content-Type: application/json' --data-binary "@$tmp/state.json"
batch "$tmp/pair.json"
check "batch: PATCH then assignLicense that dependsOn it: both done" js \
	'(lambda r: r["12"]["status"] == 204 and r["2"]["status"] == 200)({r["id"]: r for r in d["responses"]})'
check "batch pair: carol has DE and the license" \
	test "$(state_of carol@example.com '(u["usageLocation"], len(u["licenses"]))')" = "('DE', 1)"
req PUT "$base/_test/state" -H 'Content-Type: application/json' --data-binary "@$tmp/state.json"
batch "$tmp/pairbad.json"
check "batch pair, bad code: 400, and the assignment 424, not run" js \
	'(lambda r: r["12"]["status"] == 400 and r["2"]["status"] == 424)({r["id"]: r for r in d["responses"]})'
check "batch pair, bad code: carol has neither" \
	test "$(state_of carol@example.com '(u["usageLocation"], len(u["licenses"]))')" = "(None, 0)"
batch "$tmp/pairnobody.json"
check "batch pair, unknown user: 404, then 424" js \
	'(lambda r: r["12"]["status"] == 404 and r["2"]["status"] == 424)({r["id"]: r for r in d["responses"]})'
batch "$tmp/mixed.json"
check "batch: dependsOn in a batch neither serial nor parallel is 400" js \
	's == 400 and d["error"]["message"] == "Batch should be either fully sequential or fully parallel"'
conf '{"fault_503": 1.0, "retry_after": 0, "faults_on_writes_only": 1}'
req PATCH "$base/v1.0/users/carol@example.com" -H "$auth" \
	-H "Content-Type: application/json" --data-binary '{"usageLocation": "DE"}'
check "PATCH is a write for the fault knobs" js 's == 503'
conf '{"fault_503": 0, "faults_on_writes_only": 0}'
req GET "$base/_test/stats"
check "stats: PATCH calls counted" js 'd["patch_calls"] >= 2 and d["by_path"]["/v1.0/users/{id}"] >= 5'
stop_server "$h_pid"

echo '{"tenant_id": "x"' >"$tmp/broken.json"
python3 "$server" --state "$tmp/broken.json" --port-file "$tmp/never" 2>/dev/null
rc=$?
check "a malformed state file exits 2 without a port file" test "$rc" = 2 -a ! -e "$tmp/never"

tap_done
