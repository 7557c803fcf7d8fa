#!/bin/bash
# hostile.sh - a Graph that lies, stalls or floods.  licsync must record as
# done only what the server confirmed, wait only as long as max_retry_time
# and its caps allow, page only so far, count each user once, and read
# only so much of an answer.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
python3 "$top_srcdir/tests/data/gen_ldif.py" --users 45 \
	--big-group team:10 --big-group crowd:45 >"$T/team.ldif"
slapd_up "$top_srcdir/tests/data/directory.ldif" "$T/team.ldif"



holders() {     # how many users hold the CRM license at the server
	curl -sf "$GRAPH_BASE/_test/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for u in s["users"]
          if any(l["skuId"] == sys.argv[1] for l in u["licenses"])))' "$SKU_CRM"
}

ok_rows() {     # audit rows recorded ok in the last run
	sqlite3 "$T/licsync.db" "SELECT count(*) FROM changes WHERE result = 'ok' AND run_id = (SELECT max(id) FROM runs)"
}

# timed CMD...: run licsync, setting RC, OUT, ERR and SECS (wall time).
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	run_licsync "$@"
	t1=$(date +%s.%N)
	SECS=$(python3 -c "import sys; print(int(float(sys.argv[2]) - float(sys.argv[1]) + 0.999))" "$t0" "$t1")
}

tenant=(--sku crm:$SKU_CRM:100 --bulk user:45)   # nobody holding
mkstate "${tenant[@]}"
graph_start "$T/state.json" --seed 3
write_config
# fast writes, two retries, and half a minute of retrying in all
sed -i 's|^  token_url:|  write_budget: 100000/1s\n  max_retries: 2\n  max_retry_time: 30s\n  token_url:|' \
	"$T/licsync.conf"
policy all team

# ---- answers that confirm nothing: no audit row says ok ----
# The server claims success (204) for writes it never makes, under ids
# that are not the requests' ("0garbage", "07", " 7", 7, none, others,
# or every answer twice).
for mode in suffix leading_zero space number missing unknown duplicate; do
	state "${tenant[@]}"
	graph_config "{\"batch_ids\": \"$mode\", \"batch_fake_status\": 204}"
	calls=$(graph_stat assign_calls)
	timed apply --format json
	is "ids $mode, faked: exit 6" "$RC" 6
	is "ids $mode, faked: no change recorded ok" "$(ok_rows)" 0
	is "ids $mode, faked: no write at the server" "$(graph_stat assign_calls)" "$calls"
	printf '%s\n' "$OUT" >"$T/ids.json"
	check "ids $mode, faked: every change failed, unconfirmed, after its retries" \
		python3 - "$T/ids.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert len(p["changes"]) == 10, p["changes"]
for c in p["changes"]:
    assert c["result"] == "failed", c
    assert "no answer for this item" in c["error"], c
    assert c["attempts"] == 3, c
PY
done
# Writes made, ids garbled: the audit trail still records none as ok,
# and the next run finds them made.
state "${tenant[@]}"
graph_config '{"batch_ids": "suffix", "batch_fake_status": null}'
timed apply
is "ids garbled, writes made: exit 6" "$RC" 6
is "ids garbled, writes made: no change recorded ok" "$(ok_rows)" 0
is "ids garbled, writes made: the server has them" "$(holders)" 10
graph_config '{"batch_ids": null}'
run_licsync plan
contains "ids garbled: the next plan finds nothing left to do" "$OUT" \
	"Plan: 0 to assign, 0 to unassign"
# The same exact ids, answered properly: all confirmed.
state "${tenant[@]}"
timed apply
is "proper answers: exit 0" "$RC" 0
is "proper answers: every change recorded ok" "$(ok_rows)" 10

# ---- a whole \$batch answered 429 with Retry-After: 100000 ----
state "${tenant[@]}"
graph_config '{"batch_whole": {"status": 429, "retry_after": 100000, "times": -1}}'
timed apply --format json
is "whole-batch 429, Retry-After 100000: exit 6" "$RC" 6
check "whole-batch 429, Retry-After 100000: over within the retry time ($SECS s)" \
	test "$SECS" -lt 20
printf '%s\n' "$OUT" >"$T/whole.json"
check "whole-batch 429: every change failed as throttled, saying why" \
	python3 - "$T/whole.json" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["changes"]:
    assert c["result"] == "failed" and c["outcome"] == "throttled", c
    assert "would pass max_retry_time" in c["error"], c
PY
is "whole-batch 429: nothing written" "$(holders)" 0
graph_config '{"batch_whole": null}'

# ---- x-ms-throttle-limit-percentage: 100000 on every answer ----
# 45 changes in three batches, one at a time: each answer pauses sending
# for at most five seconds, not (100000 - 75) / 5 of them.
state "${tenant[@]}"
policy all crowd
sed -i 's|^  token_url:|  concurrency: 1\n  token_url:|' "$T/licsync.conf"
graph_config '{"throttle_percent": 100000}'
timed apply
is "throttle percentage 100000: exit 0" "$RC" 0
check "throttle percentage 100000: paused at most 5 s per answer ($SECS s)" \
	test "$SECS" -lt 25
check "throttle percentage 100000: but paused ($SECS s)" test "$SECS" -ge 9
is "throttle percentage 100000: all 45 assigned" "$(holders)" 45
graph_config '{"throttle_percent": null}'
sed -i '/^  concurrency: 1$/d' "$T/licsync.conf"
policy all team

# ---- every read answered 429 with Retry-After: 100000 ----
state "${tenant[@]}"
graph_config '{"fault_429": 1.0, "retry_after": 100000}'
timed plan
is "reads 429, Retry-After 100000: exit 4" "$RC" 4
check "reads 429, Retry-After 100000: over at once ($SECS s)" test "$SECS" -lt 10
contains "reads 429: says why it stopped" "$ERR" \
	"HTTP 429: TooManyRequests"
contains "reads 429: ... and why it did not wait" "$ERR" \
	"not retried: waiting would pass max_retry_time"
graph_config '{"fault_429": 0, "retry_after": 1}'

# ---- paging that never ends ----
for mode in self cycle; do
	graph_config "{\"next_link\": \"$mode\"}"
	timed plan
	is "nextLink $mode: exit 4" "$RC" 4
	contains "nextLink $mode: a link back to a page already read" "$ERR" \
		"leads back to a page already read"
	check "nextLink $mode: stops at once ($SECS s)" test "$SECS" -lt 10
done
graph_config '{"next_link": "outside"}'
run_licsync plan
is "nextLink outside graph_url: exit 4" "$RC" 4
contains "nextLink outside graph_url: refused" "$ERR" \
	"refusing @odata.nextLink outside graph_url"
graph_config '{"next_link": null}'

# ---- a user listed twice (in a read of every user) ----
graph_config '{"duplicate_users": 1}'
run_licsync plan --full-read
is "a user listed twice: exit 4" "$RC" 4
contains "a user listed twice: says so" "$ERR" "twice; refusing an inconsistent list of users"
run_licsync status --live
is "a user listed twice: status --live refuses too (exit 4)" "$RC" 4
graph_config '{"duplicate_users": 0}'

# ---- a 1 GiB answer ----
/usr/bin/time -f %M -o "$T/rss.floor" "$LICSYNC" -c "$T/licsync.conf" \
	plan >/dev/null 2>&1
graph_config '{"oversized_body_mb": 1024}'
/usr/bin/time -f %M -o "$T/rss" "$LICSYNC" -c "$T/licsync.conf" plan \
	>"$T/out" 2>"$T/err"
RC=$?
is "a 1 GiB answer: exit 4" "$RC" 4
contains "a 1 GiB answer: refused as too large" "$(cat "$T/err")" \
	"the answer is larger than 67108864 bytes, the most licsync reads"
floor=$(tail -n 1 "$T/rss.floor")
rss=$(tail -n 1 "$T/rss")
check "a 1 GiB answer: memory stays bounded (${rss} KiB, a plan takes ${floor} KiB)" \
	test "$rss" -lt $((floor + 300 * 1024))
graph_config '{"oversized_body_mb": 0}'

if grep -a -q -e "$LDAP_SECRET" -e "$GRAPH_SECRET" -e "Bearer" \
    "$T/all-output"; then
	not_ok "no secret in any output"
else
	ok "no secret in any output"
fi
tap_done
