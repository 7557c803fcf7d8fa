#!/bin/bash
# html.sh - `licsync plan --format html`, `apply --format html` and
# `status --format html` against a throwaway slapd and the Graph test
# server: the page's text, that it is self-contained and well formed, and
# that headless Chromium renders it (a screenshot, and the text of the DOM
# it built).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || tap_skip_all "python3 not available"

G="ou=groups,dc=example,dc=com"
NOW=1000000             # 1970-01-12T13:46:40Z

slapd_up "$top_srcdir/tests/data/directory.ldif"
# A key that is markup; unknown to the tenant, so listed as skipped.
EVIL='eve<script>alert(1)</script>@example.com'
ldapmodify -x -H "$SLAPD_URI" -D "$SLAPD_ROOT_DN" -w "$SLAPD_ROOT_PW" \
	>"$T/ldapmodify.out" 2>&1 <<EOF_LDIF ||
dn: cn=Eve,ou=people,dc=example,dc=com
changetype: add
objectClass: inetOrgPerson
cn: Eve
sn: Eve
mail: $EVIL

dn: cn=dangling,$G
changetype: modify
add: member
member: cn=Eve,ou=people,dc=example,dc=com
EOF_LDIF
	{ echo "Bail out! ldapmodify: $(cat "$T/ldapmodify.out")"; exit 1; }

# acme-crm: 5 seats, bob (no longer entitled, grace 2d) and breakglass
# (protected) hold two; support's 4 users want the other 3: oscar waits.
# acme-wiki: mallory holds it without licsync (remove: owned: kept); judy
# and eve are unknown to the tenant (skipped).
mkstate \
	--sku crm:$SKU_CRM:5 --sku wiki:$SKU_WIKI:10 \
	--hold crm:bob --hold crm:breakglass --hold wiki:mallory \
	--unknown judy
graph_start "$T/state.json"
write_config
cat >"$T/policy.yaml" <<EOF_POLICY
protected_users: [breakglass@example.com]
apps:
  acme-crm:
    sku: $SKU_CRM
    remove: all
    grace: 2d
    groups:
      - cn=support,$G
  acme-wiki:
    sku: $SKU_WIKI
    remove: owned
    groups:
      - cn=engineering,$G
      - cn=dangling,$G
EOF_POLICY

# ---- the page as written ----
LICSYNC_TEST_NOW=$NOW run_licsync plan --format html
is "plan --format html: exit 0" "$RC" 0
cp "$T/out" "$T/plan.html"
page=$OUT
LICSYNC_TEST_NOW=$NOW run_licsync plan --format html
check "two runs on the same state write the same bytes" \
	cmp "$T/out" "$T/plan.html"

case $page in
'<!DOCTYPE html>'*) ok "starts with the HTML5 doctype" ;;
*) not_ok "starts with the HTML5 doctype" "$(printf '%s' "$page" | head -3)" ;;
esac
contains "lang and charset" "$page" '<html lang="en">'
contains "utf-8" "$page" '<meta charset="utf-8">'
contains "totals" "$page" \
	"Plan: 5 to assign, 0 to unassign, 1 waiting for a seat."
contains "state time in UTC" "$page" \
	'<time datetime="1970-01-12T13:46:40Z">1970-01-12T13:46:40Z</time>'
contains "crm bars: 5 purchased" "$page" \
	'<th scope="row">Purchased</th><td class="num">5</td>'
contains "crm bars: 2 in use" "$page" \
	'<th scope="row">In use</th><td class="num">2</td>'
contains "crm bars: 4 entitled" "$page" \
	'<th scope="row">Entitled</th><td class="num">4</td>'
contains "a change with its reason" "$page" \
	"<td class=\"nw\">acme-crm</td><td>heidi@example.com</td><td>member of cn=support,$G</td>"
contains "waiting, in seat order" "$page" \
	'<h3>acme-crm: 1 waiting</h3>
<ol class="users">
<li>oscar@example.com</li>'
contains "pending removal with its due time" "$page" \
	'<td>bob@example.com</td><td class="nw"><time datetime="1970-01-14T13:46:40Z">'
contains "pending removal reason" "$page" "removal due in 2d</td>"
contains "kept: protected" "$page" \
	"<td>breakglass@example.com</td><td>protected user;"
contains "kept: not owned" "$page" \
	"<td>mallory@example.com</td><td>not in any group of the app; not assigned by licsync (remove: owned)</td>"
contains "skipped: markup in a key is escaped" "$page" \
	"<td>eve&lt;script&gt;alert(1)&lt;/script&gt;@example.com</td><td>unknown to the backend</td>"
contains "skipped" "$page" \
	"<td class=\"nw\">acme-wiki</td><td>judy@example.com</td><td>unknown to the backend</td>"
contains "footer: directory" "$page" "<dt>Directory</dt><dd>"
contains "footer: backend" "$page" "<dt>Backend</dt><dd>"

# Self-contained, escaped, every header cell scoped, tags balanced.
well_formed() {  # well_formed DESC FILE
	check "$1" python3 - "$2" <<'PY'
import html.parser, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
for bad in ("http:", "https:", "//", "src=", "url(", "@import", "<link",
            "<img", "<script", "<iframe", "<object", "<embed", "<base",
            "style=\"", "javascript:", "@font-face"):
    assert bad not in page.lower(), bad
VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.th = [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        assert not any(k.startswith("on") for k in a), (tag, a)
        if tag == "a":
            assert a["href"].startswith("#"), a
        if tag == "th":
            assert a.get("scope") in ("row", "col"), a
            self.th += 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()
p = P()
p.feed(page)
p.close()
assert p.stack == [], p.stack
assert p.th > 10, p.th
PY
}
well_formed "self-contained and well formed" "$T/plan.html"

# ---- apply: the result columns ----
LICSYNC_TEST_NOW=$NOW run_licsync apply --format html
is "apply --format html: exit 0" "$RC" 0
cp "$T/out" "$T/apply.html"
contains "apply: result columns" "$OUT" \
	'<th scope="col">Result</th><th scope="col">Error</th><th scope="col">Request ID</th>'
contains "apply: applied line" "$OUT" "Applied: 5 ok, 0 failed, 0 skipped."
contains "apply: each change's result" "$OUT" \
	'<td>ivan@example.com</td><td>member of cn=support,'"$G"'</td><td class="nw"><span class="res res-ok">ok</span>'

# ---- status --format html: the seats the apply left ----
LICSYNC_TEST_NOW=$NOW run_licsync status --format html
is "status --format html: exit 0" "$RC" 0
cp "$T/out" "$T/status.html"
contains "status: where the numbers come from" "$OUT" "As of run "
contains "status: crm purchased bar" "$OUT" \
	'<th scope="row">Purchased</th><td class="num">5</td>'
contains "status: crm consumed after the apply" "$OUT" \
	'<th scope="row">Consumed</th><td class="num">5</td>'
contains "status: every kind labelled" "$OUT" "Held, assigned by licsync"
contains "status: waiting flagged" "$OUT" "Waiting for a seat"
well_formed "status: self-contained and well formed" "$T/status.html"

# ---- rendered by headless Chromium ----
# CHROMIUM= (empty) runs the test as if it were not installed.
: "${CHROMIUM=$(command -v chromium || command -v chromium-browser || true)}"
chromium_run() {        # chromium_run ARGS...: stdout to $T/chromium.out
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chromium-profile" --no-first-run \
		--disable-extensions --disable-background-networking \
		"$@" >"$T/chromium.out" 2>>"$T/chromium.err"
}
if [ -z "$CHROMIUM" ]; then
	for d in "screenshot" "screenshot is not blank" \
	    "DOM text: apps, users, waiting" "DOM text: escaped key" \
	    "apply: DOM text" "status: screenshot" \
	    "status: screenshot is not blank" "status: DOM text"; do
		ok "chromium: $d # SKIP chromium not installed"
	done
	tap_done
fi

screenshot() {  # screenshot WHAT HTML PNG: rendered, and not blank
	rm -f "$3"
	chromium_run --screenshot="$3" --window-size=1200,1600 "file://$2"
	if [ -f "$3" ]; then
		ok "chromium: ${1}screenshot"
	else
		not_ok "chromium: ${1}screenshot" "$(tail -20 "$T/chromium.err")"
	fi
	size=$(stat -c %s "$3" 2>/dev/null || echo 0)
	if [ "$size" -gt 10240 ]; then
		ok "chromium: ${1}screenshot is not blank ($size bytes)"
	else
		not_ok "chromium: ${1}screenshot is not blank" "size $size" \
			"$(tail -20 "$T/chromium.err")"
	fi
}
screenshot "" "$T/plan.html" "$T/page.png"
screenshot "status: " "$T/status.html" "$T/status.png"
# The DOM Chromium built, as text: what a reader sees.
dom_text() {            # dom_text FILE: sets TEXT
	chromium_run --dump-dom "file://$1"
	TEXT=$(python3 -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    skip = 0
    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "title")
    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "title")
    def handle_data(self, d):
        if not self.skip:
            sys.stdout.write(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
' "$T/chromium.out")
	printf '%s\n' "$TEXT" >"$T/dom.txt"
}
dom_text "$T/plan.html"
contains "chromium: DOM text: apps" "$TEXT" "acme-crm"
contains "chromium: DOM text: apps (2)" "$TEXT" "acme-wiki"
contains "chromium: DOM text: a user" "$TEXT" "heidi@example.com"
contains "chromium: DOM text: waiting" "$TEXT" "acme-crm: 1 waiting"
contains "chromium: DOM text: waiting user" "$TEXT" "oscar@example.com"
contains "chromium: DOM text: pending removal" "$TEXT" "removal due in 2d"
contains "chromium: DOM text: a key with markup stays text" "$TEXT" "$EVIL"
case $(cat "$T/chromium.out") in
*"<script"*) not_ok "chromium: no script element in the DOM" ;;
*) ok "chromium: no script element in the DOM" ;;
esac
dom_text "$T/apply.html"
contains "chromium: apply: DOM text" "$TEXT" "Applied: 5 ok, 0 failed, 0 skipped."
dom_text "$T/status.html"
contains "chromium: status: DOM text" "$TEXT" "Held, assigned by licsync"

# HTML_KEEP=DIR keeps the pages and the screenshot, to look at them.
if [ -n "${HTML_KEEP:-}" ]; then
	mkdir -p "$HTML_KEEP" &&
		cp "$T/plan.html" "$T/apply.html" "$T/status.html" \
		    "$T/page.png" "$T/status.png" "$HTML_KEEP"
fi

tap_done
