/*
 * html_lists.c - the lists of the plan's page (html_plan.c): the changes
 * with their results, who waits for a seat, pending removals and the
 * users kept, and the users skipped; each a table or list of its own
 * section.  The reasons are reason.c's words.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/policy.h"
#include "reconcile/reconcile.h"
#include "report/context.h"
#include "report/html_page.h"
#include "report/reason.h"
#include "util/util.h"

static void
td(FILE *fp, const char *text)
{
	html_el(fp, "td", NULL, text);
}

/* A cell that does not wrap: app names, actions, results, times. */
static void
td_nw(FILE *fp, const char *text)
{
	html_el(fp, "td", "class=\"nw\"", text);
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

static void
thead(FILE *fp, const char *const *cols, size_t n)
{
	size_t i;

	fputs("<thead><tr>", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "<th scope=\"col\">%s</th>", cols[i]);
	fputs("</tr></thead>\n<tbody>\n", fp);
}

/* ---- changes ---- */

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
	html_esc(fp, r->result != NULL ? r->result : "pending");
	fputs("</span>", fp);
	if (r->outcome != NULL && (r->result == NULL ||
	    strcmp(r->outcome, r->result) != 0)) {
		fputs(" (", fp);
		html_esc(fp, r->outcome);
		fputc(')', fp);
	}
	if (r->attempts > 1)
		fprintf(fp, "; %d attempts", r->attempts);
	fputs("</td>", fp);
	td(fp, r->error);
	if (r->request_id != NULL) {
		fputs("<td><code>", fp);
		html_esc(fp, r->request_id);
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

void
html_changes(FILE *fp, const struct report_ctx *c)
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

void
html_waiting(FILE *fp, const struct report_ctx *c)
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
		html_esc(fp, app_name(c, (uint32_t)a));
		fprintf(fp, ": %zu waiting</h3>\n<ol class=\"users\">\n",
		    s->unfulfilled);
		for (i = 0; i < s->unfulfilled; i++) {
			html_el(fp, "li", NULL, user_key(c, s->waiting[i]));
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
		html_time(fp, k->due);
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

void
html_kept(FILE *fp, const struct report_ctx *c, size_t grace)
{
	size_t others = c->plan->nkept - grace;

	fputs("<section id=\"removals\" aria-labelledby=\"removals-h\">\n"
	    "<h2 id=\"removals-h\">Pending removals</h2>\n", fp);
	if (grace > 0)
		kept_table(fp, c, true, grace);
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

/* ---- skipped ---- */

void
html_skipped(FILE *fp, const struct report_ctx *c)
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
