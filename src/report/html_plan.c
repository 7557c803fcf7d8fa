/*
 * html_plan.c - the plan as one HTML5 page for license managers: the
 * totals and where the plan came from, seats per app as bars, then the
 * lists (html_lists.c: the changes, who waits for a seat, pending
 * removals, what is kept or skipped), and the sources.
 */
#include <string.h>

#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "report/context.h"
#include "report/html.h"
#include "report/html_page.h"
#include "util/util.h"

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
	html_esc(fp, term);
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
	html_time(fp, generated);
	prov_end(fp);
	prov_begin(fp, "State as of (UTC)");
	html_time(fp, c->now);
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
			html_esc(fp, pol->files.v[i]);
			fputs("</code>", fp);
		}
		prov_end(fp);
	}
	if (pol->sha256[0] != '\0') {
		prov_begin(fp, "Policy SHA-256");
		html_el(fp, "code", NULL, pol->sha256);
		prov_end(fp);
	}
	prov_begin(fp, "User key");
	html_el(fp, "code", NULL, key_attr(c));
	prov_end(fp);
	fputs("</dl>\n", fp);
}

static void
header(FILE *fp, const struct report_ctx *c, const char *title,
    int64_t generated, const struct totals *t)
{
	fputs("<header>\n", fp);
	html_el(fp, "h1", NULL, title);
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
	html_app_open(fp, a, ap->name, c->skus != NULL ? c->skus[a] : NULL);
	/* no limit: a full bar, as wide as what is needed */
	if (s->capacity < 0)
		html_bar(fp, "purchased", "Seats (unlimited)", max, max);
	else
		html_bar(fp, "purchased", capped ? "Seats (policy)" :
		    "Purchased", s->capacity, max);
	html_bar(fp, "in-use", "In use", s->in_use, max);
	html_bar(fp, "entitled", "Entitled", entitled, max);
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
		html_esc(fp, key_attr(c));
		fprintf(fp, "), %llu groups read; member values skipped: %llu "
		    "not users, %llu without ", (unsigned long long)d->groups,
		    (unsigned long long)d->not_users,
		    (unsigned long long)d->members_without_key);
		html_esc(fp, key_attr(c));
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
	html_head(fp, title);
	header(fp, c, title, generated, &t);
	fputs("<main>\n", fp);
	seats(fp, c);
	html_changes(fp, c);
	html_waiting(fp, c);
	html_kept(fp, c, t.grace);
	html_skipped(fp, c);
	fputs("</main>\n", fp);
	footer(fp, c);
	fputs("</body>\n</html>\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
