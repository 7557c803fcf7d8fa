/*
 * html.c - the plan as one HTML5 page for license managers: seats per app
 * as bars, the changes, who waits for a seat, pending removals, what is
 * kept or skipped, and where it all came from.  And `licsync status` as
 * another such page: the seats of each app, counted every way.
 *
 * The page stands alone: CSS in one <style> element, no scripts, no
 * images, fonts or links to anything outside the page, so it can be
 * mailed or archived as is.  Without CSS it is still headings, lists and
 * tables.  Text from the data (keys, DNs, names, errors) is always
 * escaped; it is never put in an attribute.  Like the other reports, the
 * output depends on nothing but its input.
 */
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/reason.h"
#include "util/util.h"

static const char style[] =
	":root{color-scheme:light}\n"
	"body{margin:0 auto;max-width:76rem;padding:1rem 1.5rem 2rem;"
	"font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Noto Sans\",\"DejaVu Sans\",sans-serif;color:#1b1f24;"
	"background:#fff}\n"
	"h1{font-size:1.6rem;margin:.5rem 0 .25rem}\n"
	"h2{font-size:1.25rem;margin:2rem 0 .5rem;padding-bottom:.2rem;"
	"border-bottom:2px solid #d0d7de}\n"
	"h3{font-size:1.05rem;margin:0 0 .25rem}\n"
	"code{font:.9em/1.3 ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
	".totals{font-size:1.1rem;margin:.25rem 0 .75rem}\n"
	".prov{display:grid;grid-template-columns:max-content 1fr;"
	"gap:.15rem 1rem;margin:0;padding:.6rem .9rem;background:#f6f8fa;"
	"border:1px solid #d0d7de;border-radius:6px}\n"
	".prov div{display:contents}\n"
	".prov dt{font-weight:600;color:#57606a}\n"
	".prov dd{margin:0;overflow-wrap:anywhere}\n"
	"nav ul{list-style:none;padding:0;margin:.75rem 0 0;display:flex;"
	"flex-wrap:wrap;gap:.25rem 1.25rem}\n"
	"a{color:#0550ae}\n"
	".apps{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(22rem,1fr));gap:1rem}\n"
	".app{border:1px solid #d0d7de;border-radius:6px;padding:.75rem 1rem}\n"
	".sku{margin:0 0 .5rem;color:#57606a;font-size:.85rem;"
	"overflow-wrap:anywhere}\n"
	".bars{width:100%;border-collapse:collapse;table-layout:fixed}\n"
	".bars th{text-align:left;font-weight:normal;width:7.5rem;"
	"padding:.15rem .5rem .15rem 0}\n"
	".bars td{padding:.15rem 0}\n"
	".bars td.num{width:4.5rem;padding-right:.6rem}\n"
	".track{display:block;background:#eaeef2;border-radius:3px}\n"
	".fill{display:block;height:1.1rem;border-radius:3px;min-width:0}\n"
	".purchased .fill{background:#57606a}\n"
	".in-use .fill{background:#0969da}\n"
	".entitled .fill{background:#bc4c00}\n"
	".counts{margin:.5rem 0 0;font-size:.9rem;color:#3d444d}\n"
	".kinds{display:grid;grid-template-columns:1fr max-content;"
	"gap:.1rem 1rem;margin:.5rem 0 0;font-size:.9rem;color:#3d444d}\n"
	".kinds div{display:contents}\n"
	".kinds dd{margin:0}\n"
	".short{color:#a40e26;font-weight:600}\n"
	".free{color:#7d4e00;font-weight:600}\n"
	".num{text-align:right;font-variant-numeric:tabular-nums}\n"
	".list{border-collapse:collapse;width:100%;font-size:.92rem}\n"
	".list caption{text-align:left;color:#57606a;padding:.25rem 0}\n"
	".list th,.list td{border:1px solid #d0d7de;padding:.3rem .5rem;"
	"text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
	".list thead th{background:#f6f8fa}\n"
	".list th,.list .nw{white-space:nowrap;overflow-wrap:normal}\n"
	".list tbody tr:nth-child(even){background:#fafbfc}\n"
	".list .num{text-align:right}\n"
	".sum thead th{white-space:normal;vertical-align:bottom}\n"
	".wide{overflow-x:auto}\n"
	".assign .act{color:#116329;font-weight:600}\n"
	".unassign .act{color:#a40e26;font-weight:600}\n"
	".res{display:inline-block;padding:0 .4rem;border-radius:3px}\n"
	".res-ok{background:#dafbe1;color:#116329}\n"
	".res-failed{background:#ffebe9;color:#a40e26}\n"
	".res-skipped{background:#fff8c5;color:#7d4e00}\n"
	".res-pending{background:#eaeef2;color:#3d444d}\n"
	".none{color:#57606a;font-style:italic}\n"
	"ol.users{columns:16rem;margin:.25rem 0 1rem;"
	"padding-left:2.5rem}\n"
	"footer{margin-top:2.5rem;padding-top:.5rem;"
	"border-top:1px solid #d0d7de;color:#3d444d;font-size:.9rem}\n"
	"footer dl{margin:0}\n"
	"footer dt{font-weight:600}\n"
	"footer dd{margin:0 0 .4rem}\n"
	".vh{position:absolute;width:1px;height:1px;overflow:hidden;"
	"clip:rect(0 0 0 0);white-space:nowrap}\n"
	"@media print{nav{display:none}"
	"body{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	".app,tr{break-inside:avoid}}\n";

/* ---- text ---- */

/* TEXT with & < > " ' escaped; NULL writes nothing. */
static void
esc(FILE *fp, const char *text)
{
	const char *p = text;
	size_t n;

	if (p == NULL)
		return;
	while (*p != '\0') {
		n = strcspn(p, "&<>\"'");
		fwrite(p, 1, n, fp);
		p += n;
		switch (*p) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			return;     /* the end */
		}
		p++;
	}
}

/* <TAG>text</TAG>, TAG with its attributes (which are never data). */
static void
el(FILE *fp, const char *tag, const char *attrs, const char *text)
{
	fprintf(fp, "<%s%s%s>", tag, attrs != NULL ? " " : "",
	    attrs != NULL ? attrs : "");
	esc(fp, text);
	fprintf(fp, "</%s>", tag);
}

static void
td(FILE *fp, const char *text)
{
	el(fp, "td", NULL, text);
}

/* A cell that does not wrap: app names, actions, results, times. */
static void
td_nw(FILE *fp, const char *text)
{
	el(fp, "td", "class=\"nw\"", text);
}

static void
time_el(FILE *fp, int64_t t)
{
	char when[21];

	format_utc(t, when);
	fprintf(fp, "<time datetime=\"%s\">%s</time>", when, when);
}

static const char *
app_name(const struct report_ctx *c, uint32_t app)
{
	return c->policy->apps[app].name;
}

static const char *
user_key(const struct report_ctx *c, uint32_t user)
{
	return intern_str(c->keys, user);
}

static const char *
key_attr(const struct report_ctx *c)
{
	return c->user_key != NULL ? c->user_key : "key";
}

/* ---- header ---- */

struct totals {
	size_t assign, unassign, waiting, grace;
	size_t ok, failed, skipped, pending;
};

static void
count(const struct report_ctx *c, struct totals *t)
{
	const struct rc_plan *p = c->plan;
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < p->napps; i++) {
		t->assign += p->apps[i].assign;
		t->unassign += p->apps[i].unassign;
		t->waiting += p->apps[i].unfulfilled;
	}
	for (i = 0; i < p->nkept; i++)
		if (p->kept[i].reason == RC_KEEP_GRACE)
			t->grace++;
	for (i = 0; c->results != NULL && i < p->nchanges; i++) {
		const char *r = c->results[i].result;

		if (r == NULL)
			t->pending++;
		else if (strcmp(r, "ok") == 0)
			t->ok++;
		else if (strcmp(r, "failed") == 0)
			t->failed++;
		else
			t->skipped++;
	}
}

static void
totals_line(FILE *fp, const struct report_ctx *c, const struct totals *t)
{
	fprintf(fp, "<p class=\"totals\">Plan: %zu to assign, %zu to "
	    "unassign, %zu waiting for a seat.", t->assign, t->unassign,
	    t->waiting);
	if (c->results != NULL) {
		fprintf(fp, "<br>Applied: %zu ok, %zu failed, %zu skipped",
		    t->ok, t->failed, t->skipped);
		if (t->pending > 0)
			fprintf(fp, ", %zu not known", t->pending);
		fputc('.', fp);
	}
	fputs("</p>\n", fp);
}

static void
prov_begin(FILE *fp, const char *term)
{
	fputs("<div><dt>", fp);
	esc(fp, term);
	fputs("</dt><dd>", fp);
}

static void
prov_end(FILE *fp)
{
	fputs("</dd></div>\n", fp);
}

static void
provenance(FILE *fp, const struct report_ctx *c, int64_t generated)
{
	const struct policy *pol = c->policy;
	size_t i;

	fputs("<dl class=\"prov\" aria-label=\"Provenance\">\n", fp);
	prov_begin(fp, "Generated (UTC)");
	time_el(fp, generated);
	prov_end(fp);
	prov_begin(fp, "State as of (UTC)");
	time_el(fp, c->now);
	prov_end(fp);
	prov_begin(fp, "Report");
	fputs(c->results != NULL ? "apply: the plan and the result of each "
	    "change" : "plan: nothing was changed", fp);
	prov_end(fp);
	if (pol->files.n > 0) {
		prov_begin(fp, pol->files.n > 1 ? "Policy files" :
		    "Policy file");
		for (i = 0; i < pol->files.n; i++) {
			fputs(i > 0 ? ", <code>" : "<code>", fp);
			esc(fp, pol->files.v[i]);
			fputs("</code>", fp);
		}
		prov_end(fp);
	}
	if (pol->sha256[0] != '\0') {
		prov_begin(fp, "Policy SHA-256");
		el(fp, "code", NULL, pol->sha256);
		prov_end(fp);
	}
	prov_begin(fp, "User key");
	el(fp, "code", NULL, key_attr(c));
	prov_end(fp);
	fputs("</dl>\n", fp);
}

static void
head(FILE *fp, const char *title)
{
	int i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"generator\" content=\"licsync\">\n", fp);
	el(fp, "title", NULL, title);
	fputs("\n<style>\n", fp);
	fputs(style, fp);
	/* bar lengths in whole percent, as classes: no style attributes */
	for (i = 0; i <= 100; i++)
		fprintf(fp, ".w%d{width:%d%%}%s", i, i,
		    i % 10 == 9 || i == 100 ? "\n" : "");
	fputs("</style>\n</head>\n<body>\n", fp);
}

static void
header(FILE *fp, const struct report_ctx *c, const char *title,
    int64_t generated, const struct totals *t)
{
	fputs("<header>\n", fp);
	el(fp, "h1", NULL, title);
	fputc('\n', fp);
	totals_line(fp, c, t);
	provenance(fp, c, generated);
	fputs("<nav aria-label=\"Sections\"><ul>"
	    "<li><a href=\"#seats\">Seats</a></li>"
	    "<li><a href=\"#changes\">Changes</a></li>"
	    "<li><a href=\"#waiting\">Waiting</a></li>"
	    "<li><a href=\"#removals\">Pending removals</a></li>"
	    "<li><a href=\"#kept\">Kept</a></li>"
	    "<li><a href=\"#skipped\">Skipped</a></li>"
	    "<li><a href=\"#sources\">Sources</a></li>"
	    "</ul></nav>\n</header>\n", fp);
}

/* ---- seats ---- */

/* V as a whole percentage of MAX; never 0 for a V above 0. */
static int
percent(long v, long max)
{
	long long p;

	if (v <= 0 || max <= 0)
		return 0;
	p = ((long long)v * 200 + max) / (2 * (long long)max);
	if (p < 1)
		p = 1;
	return p > 100 ? 100 : (int)p;
}

static void
bar(FILE *fp, const char *cls, const char *label, long v, long max)
{
	fprintf(fp, "<tr class=\"%s\"><th scope=\"row\">%s</th>"
	    "<td class=\"num\">%ld</td><td><span class=\"track\" "
	    "aria-hidden=\"true\"><span class=\"fill w%d\"></span></span>"
	    "</td></tr>\n", cls, label, v, percent(v, max));
}

static void
app_counts(FILE *fp, const struct rc_app_summary *s)
{
	fprintf(fp, "<p class=\"counts\">%zu holding, %zu to assign, "
	    "%zu to unassign, %zu kept, %zu skipped", s->holding, s->assign,
	    s->unassign, s->kept, s->skipped);
	if (s->unfulfilled > 0)
		fprintf(fp, "; <span class=\"short\">%zu waiting for a "
		    "seat</span>", s->unfulfilled);
	fputs(".</p>\n", fp);
}

/* The app numbered A, up to the rows of its bars: name, SKU if known. */
static void
app_open(FILE *fp, size_t a, const char *name, const char *sku)
{
	fprintf(fp, "<article class=\"app\" aria-labelledby=\"app-%zu\">\n"
	    "<h3 id=\"app-%zu\">", a, a);
	esc(fp, name);
	fputs("</h3>\n", fp);
	if (sku != NULL) {
		fputs("<p class=\"sku\">SKU <code>", fp);
		esc(fp, sku);
		fputs("</code></p>\n", fp);
	}
	fputs("<table class=\"bars\">\n<caption class=\"vh\">Seats of ", fp);
	esc(fp, name);
	fputs("</caption>\n", fp);
}

static void
app_seats(FILE *fp, const struct report_ctx *c, size_t a)
{
	const struct rc_app_summary *s = &c->plan->apps[a];
	const struct app_policy *ap = &c->policy->apps[a];
	long entitled = (long)s->entitled, max = s->capacity;
	bool capped = ap->seats >= 0 && ap->seats == s->capacity;

	if (s->in_use > max)
		max = s->in_use;
	if (entitled > max)
		max = entitled;
	app_open(fp, a, ap->name, c->skus != NULL ? c->skus[a] : NULL);
	bar(fp, "purchased", capped ? "Seats (policy)" : "Purchased",
	    s->capacity, max);
	bar(fp, "in-use", "In use", s->in_use, max);
	bar(fp, "entitled", "Entitled", entitled, max);
	fputs("</table>\n", fp);
	app_counts(fp, s);
	fputs("</article>\n", fp);
}

static void
seats(FILE *fp, const struct report_ctx *c)
{
	size_t a;

	fputs("<section id=\"seats\" aria-labelledby=\"seats-h\">\n"
	    "<h2 id=\"seats-h\">Seats</h2>\n"
	    "<p>Per app: the seats purchased (or the policy's "
	    "<code>seats:</code> when lower), the seats in use, and the "
	    "users entitled by the policy.</p>\n", fp);
	if (c->plan->napps == 0)
		fputs("<p class=\"none\">No apps in the policy.</p>\n", fp);
	else
		fputs("<div class=\"apps\">\n", fp);
	for (a = 0; a < c->plan->napps; a++)
		app_seats(fp, c, a);
	if (c->plan->napps > 0)
		fputs("</div>\n", fp);
	fputs("</section>\n", fp);
}

/* ---- changes ---- */

static void
thead(FILE *fp, const char *const *cols, size_t n)
{
	size_t i;

	fputs("<thead><tr>", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "<th scope=\"col\">%s</th>", cols[i]);
	fputs("</tr></thead>\n<tbody>\n", fp);
}

static const char *
result_class(const char *r)
{
	if (r == NULL)
		return "res-pending";
	if (strcmp(r, "ok") == 0)
		return "res-ok";
	if (strcmp(r, "failed") == 0)
		return "res-failed";
	return "res-skipped";
}

static void
result_cells(FILE *fp, const struct change_outcome *r)
{
	fprintf(fp, "<td class=\"nw\"><span class=\"res %s\">",
	    result_class(r->result));
	esc(fp, r->result != NULL ? r->result : "pending");
	fputs("</span>", fp);
	if (r->outcome != NULL && (r->result == NULL ||
	    strcmp(r->outcome, r->result) != 0)) {
		fputs(" (", fp);
		esc(fp, r->outcome);
		fputc(')', fp);
	}
	if (r->attempts > 1)
		fprintf(fp, "; %d attempts", r->attempts);
	fputs("</td>", fp);
	td(fp, r->error);
	if (r->request_id != NULL) {
		fputs("<td><code>", fp);
		esc(fp, r->request_id);
		fputs("</code></td>", fp);
	} else {
		fputs("<td></td>", fp);
	}
}

static void
change_row(FILE *fp, const struct report_ctx *c, size_t i)
{
	const struct rc_change *ch = &c->plan->changes[i];
	bool assign = ch->action == RC_ASSIGN;
	char *why = report_reason(c, ch);

	fprintf(fp, "<tr class=\"%s\"><td class=\"act nw\">%s</td>",
	    assign ? "assign" : "unassign", assign ? "assign" : "unassign");
	td_nw(fp, app_name(c, ch->app));
	td(fp, user_key(c, ch->user));
	td(fp, why);
	free(why);
	if (c->results != NULL)
		result_cells(fp, &c->results[i]);
	fputs("</tr>\n", fp);
}

static void
changes(FILE *fp, const struct report_ctx *c)
{
	static const char *const cols[] = {
		"Action", "App", "User", "Reason", "Result", "Error",
		"Request ID",
	};
	const struct rc_plan *p = c->plan;
	size_t i;

	fputs("<section id=\"changes\" aria-labelledby=\"changes-h\">\n"
	    "<h2 id=\"changes-h\">Changes</h2>\n", fp);
	if (p->nchanges == 0) {
		fputs("<p class=\"none\">No changes.</p>\n</section>\n", fp);
		return;
	}
	fprintf(fp, "<table class=\"list\">\n<caption>%zu %s, by app, "
	    "removals first</caption>\n", p->nchanges,
	    p->nchanges == 1 ? "change" : "changes");
	thead(fp, cols, c->results != NULL ? 7 : 4);
	for (i = 0; i < p->nchanges; i++)
		change_row(fp, c, i);
	fputs("</tbody>\n</table>\n</section>\n", fp);
}

/* ---- waiting ---- */

static void
waiting(FILE *fp, const struct report_ctx *c)
{
	const struct rc_plan *p = c->plan;
	size_t a, i, napps = 0;

	fputs("<section id=\"waiting\" aria-labelledby=\"waiting-h\">\n"
	    "<h2 id=\"waiting-h\">Waiting for a seat</h2>\n", fp);
	for (a = 0; a < p->napps; a++) {
		const struct rc_app_summary *s = &p->apps[a];

		if (s->unfulfilled == 0)
			continue;
		if (napps++ == 0)
			fputs("<p>Users entitled to an app that has no seat "
			    "left for them, in the order they will get "
			    "one.</p>\n", fp);
		fputs("<h3>", fp);
		esc(fp, app_name(c, (uint32_t)a));
		fprintf(fp, ": %zu waiting</h3>\n<ol class=\"users\">\n",
		    s->unfulfilled);
		for (i = 0; i < s->unfulfilled; i++) {
			el(fp, "li", NULL, user_key(c, s->waiting[i]));
			fputc('\n', fp);
		}
		fputs("</ol>\n", fp);
	}
	if (napps == 0)
		fputs("<p class=\"none\">No one is waiting for a seat.</p>\n",
		    fp);
	fputs("</section>\n", fp);
}

/* ---- kept, pending removals, skipped ---- */

static void
kept_row(FILE *fp, const struct report_ctx *c, const struct rc_kept *k)
{
	char *why = report_kept_reason(c, k);

	fputs("<tr>", fp);
	td_nw(fp, app_name(c, k->app));
	td(fp, user_key(c, k->user));
	if (k->reason == RC_KEEP_GRACE) {
		fputs("<td class=\"nw\">", fp);
		time_el(fp, k->due);
		fputs("</td>", fp);
	}
	td(fp, why);
	fputs("</tr>\n", fp);
	free(why);
}

/* The kept rows with GRACE (pending removals) or all the others. */
static void
kept_table(FILE *fp, const struct report_ctx *c, bool grace, size_t n)
{
	static const char *const kcols[] = { "App", "User", "Reason" };
	static const char *const gcols[] = {
		"App", "User", "Due (UTC)", "Reason",
	};
	const struct rc_plan *p = c->plan;
	size_t i;

	fprintf(fp, "<table class=\"list\">\n<caption>%zu %s</caption>\n", n,
	    grace ? (n == 1 ? "removal waiting for the end of its grace "
	    "period" : "removals waiting for the end of their grace period") :
	    (n == 1 ? "user kept" : "users kept"));
	if (grace)
		thead(fp, gcols, 4);
	else
		thead(fp, kcols, 3);
	for (i = 0; i < p->nkept; i++)
		if ((p->kept[i].reason == RC_KEEP_GRACE) == grace)
			kept_row(fp, c, &p->kept[i]);
	fputs("</tbody>\n</table>\n", fp);
}

static void
kept(FILE *fp, const struct report_ctx *c, const struct totals *t)
{
	size_t others = c->plan->nkept - t->grace;

	fputs("<section id=\"removals\" aria-labelledby=\"removals-h\">\n"
	    "<h2 id=\"removals-h\">Pending removals</h2>\n", fp);
	if (t->grace > 0)
		kept_table(fp, c, true, t->grace);
	else
		fputs("<p class=\"none\">No removal is waiting for a grace "
		    "period.</p>\n", fp);
	fputs("</section>\n"
	    "<section id=\"kept\" aria-labelledby=\"kept-h\">\n"
	    "<h2 id=\"kept-h\">Kept</h2>\n"
	    "<p>Users holding a license the policy would not give them, "
	    "left alone.</p>\n", fp);
	if (others > 0)
		kept_table(fp, c, false, others);
	else
		fputs("<p class=\"none\">No one.</p>\n", fp);
	fputs("</section>\n", fp);
}

static void
skipped(FILE *fp, const struct report_ctx *c)
{
	static const char *const cols[] = { "App", "User", "Reason" };
	const struct rc_plan *p = c->plan;
	size_t i;

	fputs("<section id=\"skipped\" aria-labelledby=\"skipped-h\">\n"
	    "<h2 id=\"skipped-h\">Skipped</h2>\n", fp);
	if (p->nskipped == 0) {
		fputs("<p class=\"none\">No one.</p>\n</section>\n", fp);
		return;
	}
	fprintf(fp, "<table class=\"list\">\n<caption>%zu %s the backend "
	    "cannot take</caption>\n", p->nskipped,
	    p->nskipped == 1 ? "entitled user" : "entitled users");
	thead(fp, cols, 3);
	for (i = 0; i < p->nskipped; i++) {
		fputs("<tr>", fp);
		td_nw(fp, app_name(c, p->skipped[i].app));
		td(fp, user_key(c, p->skipped[i].user));
		td(fp, report_skip_reason(p->skipped[i].reason));
		fputs("</tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n</section>\n", fp);
}

/* ---- footer ---- */

static void
footer(FILE *fp, const struct report_ctx *c)
{
	const struct dir_stats *d = c->dir;

	fputs("<footer id=\"sources\">\n<h2>Sources</h2>\n<dl>\n", fp);
	if (d != NULL) {
		fprintf(fp, "<dt>Directory</dt><dd>%llu users (%llu without ",
		    (unsigned long long)d->users,
		    (unsigned long long)d->users_without_key);
		esc(fp, key_attr(c));
		fprintf(fp, "), %llu groups read; member values skipped: %llu "
		    "not users, %llu without ", (unsigned long long)d->groups,
		    (unsigned long long)d->not_users,
		    (unsigned long long)d->members_without_key);
		esc(fp, key_attr(c));
		fputs(".</dd>\n", fp);
	}
	fprintf(fp, "<dt>Backend</dt><dd>%zu users.</dd>\n</dl>\n"
	    "<p>Made by licsync.</p>\n</footer>\n", c->backend_users);
}

int
report_html(FILE *fp, const struct report_ctx *c, const char *title,
    int64_t generated)
{
	struct totals t;

	if (title == NULL)
		title = "licsync";
	count(c, &t);
	head(fp, title);
	header(fp, c, title, generated, &t);
	fputs("<main>\n", fp);
	seats(fp, c);
	changes(fp, c);
	waiting(fp, c);
	kept(fp, c, &t);
	skipped(fp, c);
	fputs("</main>\n", fp);
	footer(fp, c);
	fputs("</body>\n</html>\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}

/* ---- status ---- */

/* What each kind of seat count is called on the page. */
static const char *const seat_labels[] = {
	[SEAT_PURCHASED] = "Purchased",
	[SEAT_CONSUMED] = "Consumed",
	[SEAT_ENTITLED] = "Entitled",
	[SEAT_OWNED] = "Held, assigned by licsync",
	[SEAT_OTHERS] = "Held, assigned by others",
	[SEAT_WAITING] = "Waiting for a seat",
	[SEAT_PENDING_REMOVAL] = "Pending removal (grace)",
	[SEAT_FREEABLE] = "Could be freed",
	[SEAT_TO_ASSIGN] = "To assign",
	[SEAT_TO_UNASSIGN] = "To unassign",
};
_Static_assert(sizeof(seat_labels) / sizeof(seat_labels[0]) == SEAT_NKINDS,
    "a label for every kind of seat count");

/* The label of K; a kind added without one shows its key. */
static const char *
seat_label(size_t k)
{
	return seat_labels[k] != NULL ? seat_labels[k] : seat_kind_names[k];
}

/* The class that flags V seats of kind K, or NULL. */
static const char *
seat_flag(size_t k, long v)
{
	if (v <= 0)
		return NULL;
	if (k == SEAT_WAITING)
		return "short";
	if (k == SEAT_FREEABLE)
		return "free";
	return NULL;
}

/* " (plan, ok)": what the run was and how it ended, as far as known. */
static void
run_what(FILE *fp, const struct status_source *src)
{
	if (src->command == NULL && src->outcome == NULL)
		return;
	fputs(" (", fp);
	esc(fp, src->command);
	if (src->command != NULL && src->outcome != NULL)
		fputs(", ", fp);
	esc(fp, src->outcome);
	fputc(')', fp);
}

static void
status_source_line(FILE *fp, const struct status_source *src)
{
	if (src == NULL)
		return;
	if (src->live) {
		fputs("<p class=\"totals\">Read live from the directory and "
		    "the backend at ", fp);
		time_el(fp, src->ended);
		fputs(".</p>\n", fp);
		return;
	}
	fprintf(fp, "<p class=\"totals\">As of run %lld",
	    (long long)src->run);
	run_what(fp, src);
	/* a run that never ended has only its start */
	fputs(src->ended != 0 ? ", ended " : ", started ", fp);
	time_el(fp, src->ended != 0 ? src->ended : src->started);
	fputs(".</p>\n", fp);
}

/* Every count of S, the ones that need a look flagged. */
static void
seat_kinds(FILE *fp, const struct app_status *s)
{
	const char *flag;
	size_t k;

	fputs("<dl class=\"kinds\">\n", fp);
	for (k = 0; k < SEAT_NKINDS; k++) {
		flag = seat_flag(k, s->seats[k]);
		if (flag != NULL)
			fprintf(fp, "<div class=\"%s\">", flag);
		else
			fputs("<div>", fp);
		fprintf(fp, "<dt>%s</dt><dd class=\"num\">%ld</dd></div>\n",
		    seat_label(k), s->seats[k]);
	}
	fputs("</dl>\n", fp);
}

static void
status_app(FILE *fp, const struct app_status *s, size_t a)
{
	const long *n = s->seats;
	long max = n[SEAT_PURCHASED];

	if (n[SEAT_CONSUMED] > max)
		max = n[SEAT_CONSUMED];
	if (n[SEAT_ENTITLED] > max)
		max = n[SEAT_ENTITLED];
	app_open(fp, a, s->app, s->sku);
	bar(fp, "purchased", seat_label(SEAT_PURCHASED), n[SEAT_PURCHASED],
	    max);
	bar(fp, "in-use", seat_label(SEAT_CONSUMED), n[SEAT_CONSUMED], max);
	bar(fp, "entitled", seat_label(SEAT_ENTITLED), n[SEAT_ENTITLED], max);
	fputs("</table>\n", fp);
	seat_kinds(fp, s);
	fputs("</article>\n", fp);
}

static void
status_seats(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t a;

	fputs("<section id=\"seats\" aria-labelledby=\"seats-h\">\n"
	    "<h2 id=\"seats-h\">Seats</h2>\n", fp);
	if (napps == 0) {
		fputs("<p class=\"none\">No apps.</p>\n</section>\n", fp);
		return;
	}
	fputs("<p>Per app: the seats purchased and consumed, as the backend "
	    "counts them, and the users the policy entitles; then who holds "
	    "the seats and what is left to do.</p>\n"
	    "<div class=\"apps\">\n", fp);
	for (a = 0; a < napps; a++)
		status_app(fp, &apps[a], a);
	fputs("</div>\n</section>\n", fp);
}

static void
summary_row(FILE *fp, const struct app_status *s)
{
	const char *flag;
	size_t k;

	fputs("<tr><th scope=\"row\">", fp);
	esc(fp, s->app);
	fputs("</th>", fp);
	for (k = 0; k < SEAT_NKINDS; k++) {
		flag = seat_flag(k, s->seats[k]);
		fprintf(fp, "<td class=\"num%s%s\">%ld</td>",
		    flag != NULL ? " " : "", flag != NULL ? flag : "",
		    s->seats[k]);
	}
	fputs("</tr>\n", fp);
}

static void
status_summary(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t a, k;

	fprintf(fp, "<section id=\"summary\" aria-labelledby=\"summary-h\">"
	    "\n<h2 id=\"summary-h\">Summary</h2>\n<div class=\"wide\">\n"
	    "<table class=\"list sum\">\n<caption>The seats of %zu %s, by "
	    "kind</caption>\n<thead><tr><th scope=\"col\">App</th>", napps,
	    napps == 1 ? "app" : "apps");
	for (k = 0; k < SEAT_NKINDS; k++)
		fprintf(fp, "<th scope=\"col\" class=\"num\">%s</th>",
		    seat_label(k));
	fputs("</tr></thead>\n<tbody>\n", fp);
	for (a = 0; a < napps; a++)
		summary_row(fp, &apps[a]);
	fputs("</tbody>\n</table>\n</div>\n</section>\n", fp);
}

int
report_status_html(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src, int64_t generated)
{
	static const char title[] = "licsync status";

	head(fp, title);
	fputs("<header>\n", fp);
	el(fp, "h1", NULL, title);
	fputc('\n', fp);
	status_source_line(fp, src);
	fputs("</header>\n<main>\n", fp);
	status_seats(fp, apps, napps);
	if (napps > 0)
		status_summary(fp, apps, napps);
	fputs("</main>\n<footer>\n<p>Made by licsync.</p>\n<p>Generated ",
	    fp);
	time_el(fp, generated);
	fputs(".</p>\n</footer>\n</body>\n</html>\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
