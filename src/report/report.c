/*
 * report.c - the plan, and with apply the result of each change, as text
 * for people and as JSON or CSV for tools.  The words of the reasons come
 * from reason.c; the HTML page is html_plan.c's.  Output depends on
 * nothing but the plan, so two runs on the same state print the same
 * bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "report/csv.h"
#include "report/reason.h"
#include "report/report.h"
#include "util/util.h"

int
report_parse_format(const char *s, enum report_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = REPORT_TEXT;
	else if (strcmp(s, "json") == 0)
		*f = REPORT_JSON;
	else if (strcmp(s, "csv") == 0)
		*f = REPORT_CSV;
	else if (strcmp(s, "html") == 0)
		*f = REPORT_HTML;
	else
		return -1;
	return 0;
}

static const char *
action_name(enum rc_action a)
{
	return a == RC_ASSIGN ? "assign" : "unassign";
}

/*
 * JSON is streamed: one element of each array per line, so a plan of a
 * million changes never exists as a tree in memory, and stays greppable.
 */
typedef json_t *(*element_fn)(const struct report_ctx *c, size_t i);

static void
json_array_lines(FILE *fp, const char *indent, const char *name, size_t n,
    element_fn fn, const struct report_ctx *c, bool last)
{
	size_t i;

	fprintf(fp, "%s\"%s\": [", indent, name);
	for (i = 0; i < n; i++) {
		json_t *el = fn(c, i);
		/* json_dumps then one write: json_dumpf writes token by token */
		char *text = json_dumps(el, JSON_PRESERVE_ORDER);

		fprintf(fp, "%s\n%s  %s", i == 0 ? "" : ",", indent,
		    text != NULL ? text : "null");
		free(text);
		json_decref(el);
	}
	fprintf(fp, "%s%s]%s\n", n > 0 ? "\n" : "", n > 0 ? indent : "",
	    last ? "" : ",");
}

static json_t *
change_el(const struct report_ctx *c, size_t i)
{
	const struct rc_change *ch = &c->plan->changes[i];
	char *why = report_reason(c, ch);
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "action", action_name(ch->action),
	    "app", c->policy->apps[ch->app].name, "sku", c->skus[ch->app],
	    "user", intern_str(c->keys, ch->user), "reason", why);
	free(why);
	if (ch->action == RC_ASSIGN && report_location(c, ch) != NULL)
		json_object_set_new(o, "usage_location",
		    json_string(report_location(c, ch)));
	if (c->results != NULL) {
		const struct change_outcome *r = &c->results[i];

		json_object_set_new(o, "result", r->result != NULL ?
		    json_string(r->result) : json_string("pending"));
		json_object_set_new(o, "outcome", r->outcome != NULL ?
		    json_string(r->outcome) : json_null());
		json_object_set_new(o, "error", r->error != NULL ?
		    json_string(r->error) : json_null());
		json_object_set_new(o, "request-id", r->request_id != NULL ?
		    json_string(r->request_id) : json_null());
		json_object_set_new(o, "attempts", json_integer(r->attempts));
	}
	return o;
}

static json_t *
row(const struct report_ctx *c, uint32_t app, uint32_t user, const char *why)
{
	return json_pack("{s:s, s:s, s:s, s:s}",
	    "app", c->policy->apps[app].name, "sku", c->skus[app],
	    "user", intern_str(c->keys, user), "reason", why);
}

static json_t *
skipped_el(const struct report_ctx *c, size_t i)
{
	const struct rc_skip *k = &c->plan->skipped[i];

	return row(c, k->app, k->user, report_skip_reason(k->reason));
}

static json_t *
kept_el(const struct report_ctx *c, size_t i)
{
	const struct rc_kept *k = &c->plan->kept[i];
	char *why = report_kept_reason(c, k);
	json_t *o;

	o = row(c, k->app, k->user, why);
	free(why);
	return o;
}

/* The apps that have users waiting, in policy order. */
static size_t
waiting_app(const struct report_ctx *c, size_t i)
{
	size_t a;

	for (a = 0; a < c->plan->napps; a++)
		if (c->plan->apps[a].unfulfilled > 0 && i-- == 0)
			return a;
	return c->plan->napps;
}

static json_t *
unfulfilled_el(const struct report_ctx *c, size_t i)
{
	size_t a = waiting_app(c, i), u;
	const struct rc_app_summary *s = &c->plan->apps[a];
	json_t *users = json_array();

	for (u = 0; u < s->unfulfilled; u++)
		json_array_append_new(users,
		    json_string(intern_str(c->keys, s->waiting[u])));
	return json_pack("{s:s, s:s, s:I, s:o}",
	    "app", c->policy->apps[a].name, "sku", c->skus[a],
	    "count", (json_int_t)s->unfulfilled, "users", users);
}

static json_t *
summary_el(const struct report_ctx *c, size_t a)
{
	const struct rc_app_summary *s = &c->plan->apps[a];

	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I}",
	    "app", c->policy->apps[a].name, "sku", c->skus[a],
	    "capacity", (json_int_t)s->capacity,
	    "in_use", (json_int_t)s->in_use,
	    "entitled", (json_int_t)s->entitled,
	    "holding", (json_int_t)s->holding,
	    "assign", (json_int_t)s->assign,
	    "unassign", (json_int_t)s->unassign,
	    "unfulfilled", (json_int_t)s->unfulfilled,
	    "skipped", (json_int_t)s->skipped,
	    "kept", (json_int_t)s->kept,
	    "disabled", (json_int_t)s->disabled);
}

static void
report_json(FILE *fp, const struct report_ctx *c)
{
	const struct rc_plan *p = c->plan;
	size_t a, nwaiting = 0;
	json_t *dir, *be;

	for (a = 0; a < p->napps; a++)
		if (p->apps[a].unfulfilled > 0)
			nwaiting++;
	dir = json_pack("{s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "schema", c->dir->schema,
	    "users", (json_int_t)c->dir->users,
	    "users_without_key", (json_int_t)c->dir->users_without_key,
	    "groups", (json_int_t)c->dir->groups,
	    "not_users", (json_int_t)c->dir->not_users,
	    "members_without_key", (json_int_t)c->dir->members_without_key,
	    "disabled", (json_int_t)c->dir->disabled,
	    "foreign", (json_int_t)c->dir->foreign);
	be = json_pack("{s:I}", "users", (json_int_t)c->backend_users);
	fputs("{\n", fp);
	json_array_lines(fp, "  ", "changes", p->nchanges, change_el, c, false);
	json_array_lines(fp, "  ", "unfulfilled", nwaiting, unfulfilled_el, c,
	    false);
	json_array_lines(fp, "  ", "skipped", p->nskipped, skipped_el, c,
	    false);
	json_array_lines(fp, "  ", "kept", p->nkept, kept_el, c, false);
	fputs("  \"summary\": {\n", fp);
	json_array_lines(fp, "    ", "apps", p->napps, summary_el, c, false);
	fputs("    \"directory\": ", fp);
	json_dumpf(dir, fp, JSON_PRESERVE_ORDER);
	fputs(",\n    \"backend\": ", fp);
	json_dumpf(be, fp, JSON_PRESERVE_ORDER);
	fputs("\n  }\n}\n", fp);
	json_decref(dir);
	json_decref(be);
}

static void
report_csv(FILE *fp, const struct report_ctx *c)
{
	const struct rc_plan *p = c->plan;
	size_t i;

	fputs(c->results != NULL ? "action,app,sku,user,reason,result,error,"
	    "request-id\r\n" : "action,app,sku,user,reason\r\n", fp);
	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];
		const struct change_outcome *r = c->results != NULL ?
		    &c->results[i] : NULL;
		char *why = report_reason(c, ch);

		csv_field(fp, action_name(ch->action), false);
		csv_field(fp, c->policy->apps[ch->app].name, false);
		csv_field(fp, c->skus[ch->app], false);
		csv_field(fp, intern_str(c->keys, ch->user), false);
		csv_field(fp, why, r == NULL);
		if (r != NULL) {
			csv_field(fp, r->result != NULL ? r->result : "pending",
			    false);
			csv_field(fp, r->error != NULL ? r->error : "", false);
			csv_field(fp, r->request_id != NULL ? r->request_id :
			    "", true);
		}
		free(why);
	}
}

/* The directory's line: what was read and what was passed over; the
 * disabled and foreign counts where there are any. */
static void
text_directory(FILE *fp, const struct report_ctx *c)
{
	const struct dir_stats *d = c->dir;

	fprintf(fp, "\nDirectory: %llu users (%llu without %s",
	    (unsigned long long)d->users,
	    (unsigned long long)d->users_without_key, c->user_key);
	if (d->disabled > 0)
		fprintf(fp, ", %llu disabled", (unsigned long long)d->disabled);
	fprintf(fp, "), %llu groups read; member values skipped: %llu not "
	    "users, ", (unsigned long long)d->groups,
	    (unsigned long long)d->not_users);
	if (d->foreign > 0)
		fprintf(fp, "%llu from other forests, ",
		    (unsigned long long)d->foreign);
	fprintf(fp, "%llu without %s.\nBackend: %zu users.\n",
	    (unsigned long long)d->members_without_key, c->user_key,
	    c->backend_users);
}

static void
text_table(FILE *fp, const struct report_ctx *c)
{
	const struct rc_plan *p = c->plan;
	size_t a, w = 3;

	for (a = 0; a < p->napps; a++)
		if (strlen(c->policy->apps[a].name) > w)
			w = strlen(c->policy->apps[a].name);
	fprintf(fp, "%-*s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", (int)w,
	    "APP", "SEATS", "IN-USE", "ENTITLED", "HOLDING", "+ASSIGN",
	    "-REMOVE", "WAITING", "SKIPPED", "KEPT");
	for (a = 0; a < p->napps; a++) {
		const struct rc_app_summary *s = &p->apps[a];

		char seats[24];

		/* -1: no limit (seats: unlimited, seats not counted) */
		if (s->capacity < 0)
			snprintf(seats, sizeof(seats), "-");
		else
			snprintf(seats, sizeof(seats), "%ld", s->capacity);
		fprintf(fp, "%-*s %8s %8ld %8zu %8zu %8zu %8zu %8zu %8zu "
		    "%8zu\n", (int)w, c->policy->apps[a].name, seats,
		    s->in_use, s->entitled, s->holding, s->assign, s->unassign,
		    s->unfulfilled, s->skipped, s->kept);
	}
}

static void
text_result(FILE *fp, const struct change_outcome *r)
{
	if (r->result == NULL)
		fputs(" [pending]", fp);
	else if (r->error == NULL)
		fprintf(fp, " [%s]", r->result);
	else
		fprintf(fp, " [%s: %s%s%s]", r->result, r->error,
		    r->request_id != NULL ? "; request-id " : "",
		    r->request_id != NULL ? r->request_id : "");
}

static void
text_app(FILE *fp, const struct report_ctx *c, uint32_t a)
{
	const struct rc_plan *p = c->plan;
	const struct rc_app_summary *s = &p->apps[a];
	size_t i;

	fprintf(fp, "\n%s (sku %s):\n", c->policy->apps[a].name, c->skus[a]);
	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];
		char *why;

		if (ch->app != a)
			continue;
		why = report_reason(c, ch);
		fprintf(fp, "  %c %-8s %s: %s",
		    ch->action == RC_ASSIGN ? '+' : '-',
		    action_name(ch->action), intern_str(c->keys, ch->user),
		    why);
		if (c->results != NULL)
			text_result(fp, &c->results[i]);
		fputc('\n', fp);
		free(why);
	}
	if (s->unfulfilled > 0) {
		fprintf(fp, "  ! %zu waiting for a seat, in order:",
		    s->unfulfilled);
		for (i = 0; i < s->unfulfilled; i++)
			fprintf(fp, " %s", intern_str(c->keys, s->waiting[i]));
		fputc('\n', fp);
	}
	for (i = 0; i < p->nskipped; i++)
		if (p->skipped[i].app == a)
			fprintf(fp, "  ? skipped  %s: %s\n",
			    intern_str(c->keys, p->skipped[i].user),
			    report_skip_reason(p->skipped[i].reason));
	for (i = 0; i < p->nkept; i++) {
		char *why;

		if (p->kept[i].app != a)
			continue;
		why = report_kept_reason(c, &p->kept[i]);
		fprintf(fp, "  = kept     %s: %s\n",
		    intern_str(c->keys, p->kept[i].user), why);
		free(why);
	}
}

static void
text_applied(FILE *fp, const struct report_ctx *c)
{
	size_t i, ok = 0, failed = 0, skipped = 0, pending = 0;

	for (i = 0; i < c->plan->nchanges; i++) {
		const char *r = c->results[i].result;

		if (r == NULL)
			pending++;
		else if (strcmp(r, "ok") == 0)
			ok++;
		else if (strcmp(r, "failed") == 0)
			failed++;
		else
			skipped++;
	}
	fprintf(fp, "Applied: %zu ok, %zu failed, %zu skipped", ok, failed,
	    skipped);
	if (pending > 0)
		fprintf(fp, ", %zu not known", pending);
	fputs(".\n", fp);
}

static void
report_text(FILE *fp, const struct report_ctx *c)
{
	const struct rc_plan *p = c->plan;
	size_t a, assigns = 0, unassigns = 0, waiting = 0;

	for (a = 0; a < p->napps; a++) {
		assigns += p->apps[a].assign;
		unassigns += p->apps[a].unassign;
		waiting += p->apps[a].unfulfilled;
	}
	fprintf(fp, "Plan: %zu to assign, %zu to unassign, %zu waiting for "
	    "a seat.\n", assigns, unassigns, waiting);
	if (c->results != NULL)
		text_applied(fp, c);
	fputc('\n', fp);
	text_table(fp, c);
	for (a = 0; a < p->napps; a++)
		text_app(fp, c, (uint32_t)a);
	text_directory(fp, c);
}

int
report_plan(FILE *fp, enum report_format f, const struct report_ctx *c)
{
	switch (f) {
	case REPORT_TEXT:
		report_text(fp, c);
		break;
	case REPORT_CSV:
		report_csv(fp, c);
		break;
	case REPORT_JSON:
		report_json(fp, c);
		break;
	case REPORT_HTML:       /* the page is report_html's */
		errno = EINVAL;
		return -1;
	}
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
