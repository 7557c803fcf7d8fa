/*
 * test_html.c - the HTML report: a small plan filled in by hand, rendered
 * to memory; its structure, its escaping, that it loads nothing from
 * elsewhere, and that the same plan gives the same bytes.  Then the same
 * for the status page, from two apps' seat counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "report/html.h"

#define NOW   1764306439        /* 2025-11-28T05:07:19Z */
#define LATER (NOW + 2 * 86400 + 3 * 3600)

/* A plan of two apps, in the shapes the reconciler produces. */
struct fixture {
	struct policy *pol;
	struct intern *keys;
	struct rc_plan plan;
	struct dir_stats dir;
	const char *skus[2];
	struct change_outcome results[4];
	struct report_ctx rc;
};

static void
app(struct app_policy *ap, const char *name, const char *group,
    enum remove_mode rm, long seats)
{
	ap->name = xstrdup(name);
	strv_push(&ap->groups, group);
	strv_push(&ap->exclude_groups, "cn=R&D \"old\",ou=groups,dc=ex");
	ap->seats = seats;
	ap->remove = rm;
}

static uint32_t
key(struct fixture *f, const char *k)
{
	return intern_add(f->keys, k);
}

static void
fill_plan(struct fixture *f)
{
	struct rc_plan *p = &f->plan;
	struct rc_app_summary *s;

	p->napps = 2;
	p->apps = xcalloc(2, sizeof(*p->apps));
	s = &p->apps[0];        /* acme-crm: 10 seats, 5 used, 12 entitled */
	s->capacity = 10;
	s->in_use = 5;
	s->entitled = 12;
	s->holding = 5;
	s->assign = 2;
	s->unassign = 1;
	s->unfulfilled = 2;
	s->kept = 3;
	s->waiting = xcalloc(2, sizeof(*s->waiting));
	/* seat order, not key order */
	s->waiting[0] = key(f, "zoe@example.com");
	s->waiting[1] = key(f, "adam@example.com");
	s = &p->apps[1];        /* wiki: no seats used */
	s->capacity = 3;
	s->entitled = 1;
	s->assign = 1;
	s->skipped = 1;

	p->nchanges = 4;
	p->changes = xcalloc(4, sizeof(*p->changes));
	p->changes[0] = (struct rc_change){ 0, RC_UNASSIGN,
	    key(f, "bob@example.com"), RC_EXCLUDED_GROUP, 0 };
	p->changes[1] = (struct rc_change){ 0, RC_ASSIGN,
	    key(f, "<script>alert('x')</script>@example.com"),
	    RC_NOT_IN_GROUPS, 0 };
	p->changes[2] = (struct rc_change){ 0, RC_ASSIGN,
	    key(f, "carol@example.com"), RC_NOT_IN_GROUPS, 0 };
	p->changes[3] = (struct rc_change){ 1, RC_ASSIGN,
	    key(f, "dave@example.com"), RC_NOT_IN_GROUPS, 0 };

	p->nkept = 3;
	p->kept = xcalloc(3, sizeof(*p->kept));
	p->kept[0] = (struct rc_kept){ .app = 0,
	    .user = key(f, "breakglass@example.com"),
	    .reason = RC_KEEP_PROTECTED, .cause = RC_NOT_IN_GROUPS };
	p->kept[1] = (struct rc_kept){ .app = 0,
	    .user = key(f, "grace@example.com"), .reason = RC_KEEP_GRACE,
	    .cause = RC_NOT_IN_GROUPS, .due = LATER };
	p->kept[2] = (struct rc_kept){ .app = 0,
	    .user = key(f, "inherit@example.com"),
	    .reason = RC_KEEP_INHERITED, .cause = RC_NOT_IN_GROUPS,
	    .group = "g-<1>" };

	p->nskipped = 1;
	p->skipped = xcalloc(1, sizeof(*p->skipped));
	p->skipped[0] = (struct rc_skip){ 1, key(f, "judy@example.com"),
	    RC_SKIP_NO_LOCATION };
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->pol = xcalloc(1, sizeof(*f->pol));
	f->pol->napps = 2;
	f->pol->apps = xcalloc(2, sizeof(*f->pol->apps));
	app(&f->pol->apps[0], "acme-crm", "cn=sales,ou=groups,dc=ex",
	    REMOVE_ALL, -1);
	app(&f->pol->apps[1], "wiki & docs", "cn=<staff>,ou=groups,dc=ex",
	    REMOVE_OWNED, 3);
	strv_push(&f->pol->files, "/etc/licsync/policy.d/crm.yaml");
	memset(f->pol->sha256, 'a', 64);
	f->keys = intern_new();
	fill_plan(f);
	f->dir = (struct dir_stats){ .users = 1216, .users_without_key = 2,
	    .groups = 14, .not_users = 3, .members_without_key = 1 };
	f->skus[0] = "6fd2c87f-b296-42f0-b197-1e91e994b900";
	f->skus[1] = "3a0a4a1e-5f4b-4a55-9c1e-0c3f4ad5e001";
	f->rc.policy = f->pol;
	f->rc.skus = f->skus;
	f->rc.keys = f->keys;
	f->rc.plan = &f->plan;
	f->rc.dir = &f->dir;
	f->rc.user_key = "mail";
	f->rc.backend_users = 42;
	f->rc.now = NOW;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	rc_plan_free(&f->plan);
	intern_free(f->keys);
	policy_free(f->pol);
	free(f);
	return 0;
}

/* The page, NUL-terminated; free it. */
static char *
render(const struct report_ctx *rc, const char *title)
{
	char *page = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&page, &len);

	assert_non_null(fp);
	assert_int_equal(report_html(fp, rc, title, NOW + 60), 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(strlen(page), len);
	return page;
}

static void
has(const char *page, const char *needle)
{
	if (strstr(page, needle) == NULL)
		fail_msg("missing: %s", needle);
}

static void
lacks(const char *page, const char *needle)
{
	const char *p;
	size_t n = strlen(needle);

	for (p = page; *p != '\0'; p++)
		if (strncasecmp(p, needle, n) == 0)
			fail_msg("unexpected: %s at \"%.60s\"", needle, p);
}

/* NEEDLE must appear after *FROM; moves *FROM past it. */
static void
then(const char **from, const char *needle)
{
	const char *p = strstr(*from, needle);

	if (p == NULL)
		fail_msg("missing, or out of order: %s", needle);
	*from = p + strlen(needle);
}

static void
test_document(void **state)
{
	struct fixture *f = *state;
	char *page = render(&f->rc, "Licenses & seats");
	const char *p = page;
	size_t n = strlen(page);

	assert_true(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">\n",
	    33) == 0);
	assert_string_equal(page + n - 8, "</html>\n");
	then(&p, "<meta charset=\"utf-8\">");
	then(&p, "<title>Licenses &amp; seats</title>");
	then(&p, "<style>");
	then(&p, "</style>");
	then(&p, "<h1>Licenses &amp; seats</h1>");
	then(&p, "Plan: 3 to assign, 1 to unassign, 2 waiting for a seat.");
	then(&p, "<time datetime=\"2025-11-28T05:08:19Z\">");
	then(&p, "<time datetime=\"2025-11-28T05:07:19Z\">");
	then(&p, "<code>/etc/licsync/policy.d/crm.yaml</code>");
	then(&p, "<code>mail</code>");
	then(&p, "<main>");
	then(&p, "<h2 id=\"seats-h\">Seats</h2>");
	then(&p, "<h2 id=\"changes-h\">Changes</h2>");
	then(&p, "<h2 id=\"waiting-h\">Waiting for a seat</h2>");
	then(&p, "<h2 id=\"removals-h\">Pending removals</h2>");
	then(&p, "<h2 id=\"kept-h\">Kept</h2>");
	then(&p, "<h2 id=\"skipped-h\">Skipped</h2>");
	then(&p, "</main>");
	then(&p, "<footer id=\"sources\">");
	then(&p, "<dt>Directory</dt><dd>1216 users (2 without mail), 14 "
	    "groups read; member values skipped: 3 not users, 1 without "
	    "mail.</dd>");
	then(&p, "<dt>Backend</dt><dd>42 users.</dd>");
	/* one <style>, and it is the only CSS */
	p = strstr(page, "<style>");
	assert_null(strstr(p + 1, "<style"));
	lacks(page, "style=\"");
	free(page);
}

static void
test_bars(void **state)
{
	struct fixture *f = *state;
	char *page = render(&f->rc, "t");
	const char *p = page;

	/* acme-crm: widths relative to the largest, 12 entitled */
	then(&p, "<h3 id=\"app-0\">acme-crm</h3>");
	then(&p, "<code>6fd2c87f-b296-42f0-b197-1e91e994b900</code>");
	then(&p, "<th scope=\"row\">Purchased</th><td class=\"num\">10</td>");
	then(&p, "fill w83");
	then(&p, "<th scope=\"row\">In use</th><td class=\"num\">5</td>");
	then(&p, "fill w42");
	then(&p, "<th scope=\"row\">Entitled</th><td class=\"num\">12</td>");
	then(&p, "fill w100");
	then(&p, "5 holding, 2 to assign, 1 to unassign, 3 kept, 0 skipped; "
	    "<span class=\"short\">2 waiting for a seat</span>.");
	/* wiki: capped by the policy; nothing in use is an empty bar */
	then(&p, "<h3 id=\"app-1\">wiki &amp; docs</h3>");
	then(&p, "<th scope=\"row\">Seats (policy)</th>"
	    "<td class=\"num\">3</td>");
	then(&p, "fill w100");
	then(&p, "<td class=\"num\">0</td>");
	then(&p, "fill w0\"");
	then(&p, "<td class=\"num\">1</td>");
	then(&p, "fill w33\"");
	has(page, ".w83{width:83%}");
	free(page);
}

static void
test_sections(void **state)
{
	struct fixture *f = *state;
	char *page = render(&f->rc, "t");
	const char *p = page;

	then(&p, "<caption>4 changes, by app, removals first</caption>");
	then(&p, "<th scope=\"col\">Action</th><th scope=\"col\">App</th>"
	    "<th scope=\"col\">User</th><th scope=\"col\">Reason</th>"
	    "</tr></thead>");
	then(&p, "<tr class=\"unassign\"><td class=\"act nw\">unassign</td>"
	    "<td class=\"nw\">acme-crm</td><td>bob@example.com</td>"
	    "<td>excluded by group cn=R&amp;D &quot;old&quot;,ou=groups,"
	    "dc=ex; remove: all</td></tr>");
	then(&p, "<td>carol@example.com</td><td>member of "
	    "cn=sales,ou=groups,dc=ex</td>");
	then(&p, "<td class=\"nw\">wiki &amp; docs</td>"
	    "<td>dave@example.com</td><td>member of "
	    "cn=&lt;staff&gt;,ou=groups,dc=ex</td>");
	/* waiting: seat order, not key order */
	then(&p, "<h3>acme-crm: 2 waiting</h3>\n<ol class=\"users\">\n"
	    "<li>zoe@example.com</li>\n<li>adam@example.com</li>\n</ol>");
	/* pending removals: the grace row, with its due time */
	then(&p, "<th scope=\"col\">Due (UTC)</th>");
	then(&p, "<tr><td class=\"nw\">acme-crm</td><td>grace@example.com</td>"
	    "<td class=\"nw\"><time "
	    "datetime=\"2025-11-30T08:07:19Z\">2025-11-30T08:07:19Z</time>"
	    "</td><td>not in any group of the app; removal due in 2d 3h"
	    "</td></tr>");
	/* kept: the others */
	then(&p, "<caption>2 users kept</caption>");
	then(&p, "<td>breakglass@example.com</td><td>protected user; not in "
	    "any group of the app</td>");
	then(&p, "<td>inherit@example.com</td><td>inherited from group "
	    "g-&lt;1&gt;; not in any group of the app</td>");
	then(&p, "<td class=\"nw\">wiki &amp; docs</td>"
	    "<td>judy@example.com</td><td>no usage location</td>");
	/* a plan has no result columns */
	lacks(page, "Request ID");
	free(page);
}

static void
test_escaped(void **state)
{
	struct fixture *f = *state;
	char *page = render(&f->rc, "<script>alert(1)</script>");

	has(page, "<td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
	    "@example.com</td>");
	has(page, "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>");
	lacks(page, "<script");
	lacks(page, "alert('x')");
	lacks(page, "cn=<staff>");
	lacks(page, "R&D");
	free(page);
}

/* Nothing that would make a browser fetch anything, or run anything. */
static void
self_contained(const char *page)
{
	static const char *const banned[] = {
		"http:", "https:", "//", "src=", "url(", "@import", "<link",
		"<img", "<iframe", "<object", "<embed", "<script", "<base",
		"javascript:", "data:", " on", "@font-face",
	};
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++) {
		if (strcmp(banned[i], " on") != 0) {
			lacks(page, banned[i]);
			continue;
		}
		/* no event handler attributes: " on...=" inside a tag */
		for (p = page; (p = strstr(p, " on")) != NULL; p++)
			if (strcspn(p + 3, " =>") < strcspn(p + 3, ">") &&
			    p[3 + strcspn(p + 3, " =>")] == '=')
				fail_msg("handler at \"%.40s\"", p);
	}
	/* links stay on the page */
	for (p = page; (p = strstr(p, "href=\"")) != NULL; p++)
		assert_int_equal(p[6], '#');
	/* and all the CSS is in the one <style> */
	lacks(page, "style=\"");
}

static void
test_self_contained(void **state)
{
	struct fixture *f = *state;
	char *page = render(&f->rc, "t");

	self_contained(page);
	free(page);
}

static void
test_stable(void **state)
{
	struct fixture *f = *state;
	char *a = render(&f->rc, "t");
	char *b = render(&f->rc, "t");

	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void
test_results(void **state)
{
	struct fixture *f = *state;
	char *page;
	const char *p;

	f->results[0] = (struct change_outcome){ "ok", "ok", NULL, NULL, 1 };
	f->results[1] = (struct change_outcome){ "failed", "error",
	    "Request_BadRequest: no <available> licenses", "5f6c-aa", 3 };
	f->results[2] = (struct change_outcome){ "skipped", "no_seats", NULL,
	    NULL, 0 };
	/* results[3]: not known */
	f->rc.results = f->results;
	page = render(&f->rc, "t");
	p = page;
	then(&p, "Applied: 1 ok, 1 failed, 1 skipped, 1 not known.");
	then(&p, "<th scope=\"col\">Reason</th><th scope=\"col\">Result</th>"
	    "<th scope=\"col\">Error</th><th scope=\"col\">Request ID</th>");
	then(&p, "<td class=\"nw\"><span class=\"res res-ok\">ok</span></td>"
	    "<td></td><td></td></tr>");
	then(&p, "<td class=\"nw\"><span class=\"res res-failed\">failed"
	    "</span> (error); 3 attempts</td><td>Request_BadRequest: no "
	    "&lt;available&gt; licenses</td><td><code>5f6c-aa</code></td>"
	    "</tr>");
	then(&p, "<span class=\"res res-skipped\">skipped</span> "
	    "(no_seats)</td>");
	then(&p, "<span class=\"res res-pending\">pending</span></td>");
	free(page);
}

static void
test_empty(void **state)
{
	struct fixture *f = *state;
	struct rc_plan empty = { 0 };
	char *page;

	f->rc.plan = &empty;
	page = render(&f->rc, NULL);
	has(page, "<title>licsync</title>");
	has(page, "Plan: 0 to assign, 0 to unassign, 0 waiting for a seat.");
	has(page, "No apps in the policy.");
	has(page, "No changes.");
	has(page, "No one is waiting for a seat.");
	has(page, "No removal is waiting for a grace period.");
	lacks(page, "<table");
	free(page);
}

static void
test_write_error(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen("/dev/full", "w");

	if (fp == NULL)
		skip();
	assert_int_equal(report_html(fp, &f->rc, "t", NOW), -1);
	fclose(fp);
}

/* ---- the status page ---- */

static char crm[] = "R&D <crm>", crm_sku[] = "6fd2c87f-b296-42f0-b197";
static char wiki[] = "wiki", wiki_sku[] = "3a0a4a1e-5f4b-4a55-9c1e";

/* Two apps: one short of seats, one with seats that could be freed. */
static const struct app_status apps[2] = {
	{ crm, crm_sku, { 10, 8, 12, 6, 2, 3, 1, 0, 4, 5 } },
	{ wiki, wiki_sku, { 20, 13, 11, 9, 4, 0, 0, 7, 0, 2 } },
};
_Static_assert(SEAT_NKINDS == 10, "the fixture has a count of each kind");

static const struct status_source from_run = {
	.run = 42, .command = "apply", .outcome = "partial",
	.started = NOW - 90, .ended = NOW,
};

static const struct status_source from_live = {
	.live = true, .started = NOW, .ended = NOW,
};

/* The status page of the first NAPPS apps, NUL-terminated; free it. */
static char *
render_status(size_t napps, const struct status_source *src)
{
	char *page = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&page, &len);

	assert_non_null(fp);
	assert_int_equal(report_status_html(fp, apps, napps, src, NOW + 60),
	    0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(strlen(page), len);
	return page;
}

static void
test_status_document(void **state)
{
	char *page = render_status(2, &from_run);
	const char *p = page;
	size_t n = strlen(page);

	(void)state;
	assert_true(strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">\n",
	    33) == 0);
	assert_string_equal(page + n - 8, "</html>\n");
	then(&p, "<meta charset=\"utf-8\">");
	then(&p, "<title>licsync status</title>");
	then(&p, "<style>");
	then(&p, ".free{");
	then(&p, "</style>");
	then(&p, "<h1>licsync status</h1>");
	then(&p, "<main>");
	then(&p, "<h2 id=\"seats-h\">Seats</h2>");
	then(&p, "<article class=\"app\" aria-labelledby=\"app-0\">");
	then(&p, "<article class=\"app\" aria-labelledby=\"app-1\">");
	then(&p, "<h2 id=\"summary-h\">Summary</h2>");
	then(&p, "</main>");
	then(&p, "<footer>\n<p>Made by licsync.</p>\n<p>Generated "
	    "<time datetime=\"2025-11-28T05:08:19Z\">2025-11-28T05:08:19Z"
	    "</time>.</p>\n</footer>");
	self_contained(page);
	free(page);
}

/* The label of each kind, in order: in every app, and as columns. */
static void
test_status_labels(void **state)
{
	static const char *const labels[] = {
		"Purchased", "Consumed", "Entitled",
		"Held, assigned by licsync", "Held, assigned by others",
		"Waiting for a seat", "Pending removal (grace)",
		"Could be freed", "To assign", "To unassign",
	};
	char *page = render_status(2, &from_run);
	char want[128];
	const char *p;
	size_t a, k;

	(void)state;
	for (a = 0, p = page; a < 2; a++) {
		for (k = 0; k < SEAT_NKINDS; k++) {
			snprintf(want, sizeof(want), "<dt>%s</dt><dd class="
			    "\"num\">%ld</dd></div>", labels[k],
			    apps[a].seats[k]);
			then(&p, want);
		}
	}
	for (k = 0; k < SEAT_NKINDS; k++) {
		snprintf(want, sizeof(want), "<th scope=\"col\" class=\"num\">"
		    "%s</th>", labels[k]);
		then(&p, want);
	}
	free(page);
}

static void
test_status_apps(void **state)
{
	char *page = render_status(2, &from_run);
	const char *p = page;

	(void)state;
	then(&p, "<h3 id=\"app-0\">R&amp;D &lt;crm&gt;</h3>\n"
	    "<p class=\"sku\">SKU <code>6fd2c87f-b296-42f0-b197</code></p>");
	then(&p, "<caption class=\"vh\">Seats of R&amp;D &lt;crm&gt;"
	    "</caption>");
	/* bars relative to the largest of the three, 12 entitled */
	then(&p, "<th scope=\"row\">Purchased</th><td class=\"num\">10</td>");
	then(&p, "fill w83\"");
	then(&p, "<th scope=\"row\">Consumed</th><td class=\"num\">8</td>");
	then(&p, "fill w67\"");
	then(&p, "<th scope=\"row\">Entitled</th><td class=\"num\">12</td>");
	then(&p, "fill w100\"");
	then(&p, "<div class=\"short\"><dt>Waiting for a seat</dt>");
	then(&p, "<div><dt>Could be freed</dt><dd class=\"num\">0</dd>");
	/* wiki: 20 purchased is the scale */
	then(&p, "<h3 id=\"app-1\">wiki</h3>");
	then(&p, "<code>3a0a4a1e-5f4b-4a55-9c1e</code>");
	then(&p, "fill w100\"");
	then(&p, "fill w65\"");
	then(&p, "fill w55\"");
	then(&p, "<div><dt>Waiting for a seat</dt><dd class=\"num\">0</dd>");
	then(&p, "<div class=\"free\"><dt>Could be freed</dt>"
	    "<dd class=\"num\">7</dd></div>");
	/* the summary: a row per app, a column per kind */
	then(&p, "<table class=\"list sum\">\n<caption>The seats of 2 apps, "
	    "by kind</caption>\n<thead><tr><th scope=\"col\">App</th>");
	then(&p, "<tr><th scope=\"row\">R&amp;D &lt;crm&gt;</th>"
	    "<td class=\"num\">10</td><td class=\"num\">8</td>"
	    "<td class=\"num\">12</td><td class=\"num\">6</td>"
	    "<td class=\"num\">2</td><td class=\"num short\">3</td>"
	    "<td class=\"num\">1</td><td class=\"num\">0</td>"
	    "<td class=\"num\">4</td><td class=\"num\">5</td></tr>\n");
	then(&p, "<tr><th scope=\"row\">wiki</th>"
	    "<td class=\"num\">20</td><td class=\"num\">13</td>"
	    "<td class=\"num\">11</td><td class=\"num\">9</td>"
	    "<td class=\"num\">4</td><td class=\"num\">0</td>"
	    "<td class=\"num\">0</td><td class=\"num free\">7</td>"
	    "<td class=\"num\">0</td><td class=\"num\">2</td></tr>\n"
	    "</tbody>\n</table>");
	/* the name is data: escaped wherever it appears */
	lacks(page, "R&D");
	lacks(page, "<crm>");
	free(page);
}

static void
test_status_source(void **state)
{
	struct status_source unended = from_run;
	char *page;

	(void)state;
	page = render_status(2, &from_run);
	has(page, "<p class=\"totals\">As of run 42 (apply, partial), ended "
	    "<time datetime=\"2025-11-28T05:07:19Z\">2025-11-28T05:07:19Z"
	    "</time>.</p>");
	lacks(page, "Read live");
	free(page);

	unended.ended = 0;
	unended.outcome = NULL;
	page = render_status(2, &unended);
	has(page, "As of run 42 (apply), started <time "
	    "datetime=\"2025-11-28T05:05:49Z\">");
	free(page);

	page = render_status(2, &from_live);
	has(page, "<p class=\"totals\">Read live from the directory and the "
	    "backend at <time datetime=\"2025-11-28T05:07:19Z\">"
	    "2025-11-28T05:07:19Z</time>.</p>");
	lacks(page, "As of run");
	free(page);
}

static void
test_status_empty(void **state)
{
	char *page = render_status(0, &from_live);

	(void)state;
	has(page, "<h1>licsync status</h1>");
	has(page, "<p class=\"none\">No apps.</p>");
	has(page, "Made by licsync.");
	lacks(page, "<table");
	lacks(page, "<article");
	lacks(page, "Summary");
	self_contained(page);
	free(page);
}

static void
test_status_stable(void **state)
{
	char *a = render_status(2, &from_run);
	char *b = render_status(2, &from_run);

	(void)state;
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void
test_status_write_error(void **state)
{
	FILE *fp = fopen("/dev/full", "w");

	(void)state;
	if (fp == NULL)
		skip();
	assert_int_equal(report_status_html(fp, apps, 2, &from_run, NOW), -1);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_contained, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup,
		    teardown),
		cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_status_labels),
		cmocka_unit_test(test_status_apps),
		cmocka_unit_test(test_status_source),
		cmocka_unit_test(test_status_empty),
		cmocka_unit_test(test_status_stable),
		cmocka_unit_test(test_status_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
