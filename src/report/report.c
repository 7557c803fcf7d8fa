/*
 * report.c - renders a plan, audit rows and seats as text, JSON and CSV.
 * The words of the reasons come from reason.c; the HTML pages are
 * html.c's.  Output depends on nothing but the plan, so two runs on the
 * same state print the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "reconcile/seats.h"
#include "report/reason.h"
#include "report/report.h"
#include "store/audit.h"
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
	if (ch->action == RC_ASSIGN && report_location(c, ch->user) != NULL)
		json_object_set_new(o, "usage_location",
		    json_string(report_location(c, ch->user)));
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
	    "s:I}",
	    "app", c->policy->apps[a].name, "sku", c->skus[a],
	    "capacity", (json_int_t)s->capacity,
	    "in_use", (json_int_t)s->in_use,
	    "entitled", (json_int_t)s->entitled,
	    "holding", (json_int_t)s->holding,
	    "assign", (json_int_t)s->assign,
	    "unassign", (json_int_t)s->unassign,
	    "unfulfilled", (json_int_t)s->unfulfilled,
	    "skipped", (json_int_t)s->skipped,
	    "kept", (json_int_t)s->kept);
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
	dir = json_pack("{s:I, s:I, s:I, s:I, s:I}",
	    "users", (json_int_t)c->dir->users,
	    "users_without_key", (json_int_t)c->dir->users_without_key,
	    "groups", (json_int_t)c->dir->groups,
	    "not_users", (json_int_t)c->dir->not_users,
	    "members_without_key", (json_int_t)c->dir->members_without_key);
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

/* RFC 4180: quote fields holding a comma, quote or line break. */
void
csv_field(FILE *fp, const char *s, bool last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
	} else {
		fputc('"', fp);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	}
	fputs(last ? "\r\n" : ",", fp);
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

		fprintf(fp, "%-*s %8ld %8ld %8zu %8zu %8zu %8zu %8zu %8zu "
		    "%8zu\n", (int)w, c->policy->apps[a].name, s->capacity,
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
	fprintf(fp, "\nDirectory: %llu users (%llu without %s), %llu groups "
	    "read; member values skipped: %llu not users, %llu without %s.\n"
	    "Backend: %zu users.\n",
	    (unsigned long long)c->dir->users,
	    (unsigned long long)c->dir->users_without_key, c->user_key,
	    (unsigned long long)c->dir->groups,
	    (unsigned long long)c->dir->not_users,
	    (unsigned long long)c->dir->members_without_key, c->user_key,
	    c->backend_users);
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

/* ---- audit rows ---- */

void
report_audit_error(const struct audit_change *c, struct buf *b)
{
	buf_add(b, "", 0);
	if (c->error_code != NULL)
		buf_addstr(b, c->error_code);
	if (c->error_code != NULL && c->error_message != NULL)
		buf_addstr(b, ": ");
	if (c->error_message != NULL)
		buf_addstr(b, c->error_message);
}

void
report_audit_begin(FILE *fp, enum report_format f)
{
	if (f == REPORT_TEXT)
		fprintf(fp, "%-20s %5s %-8s %-16s %-32s %-8s %s\n", "TIME", "RUN",
		    "ACTION", "APP", "USER", "RESULT", "ERROR / REQUEST-ID");
	else if (f == REPORT_CSV)
		fputs("time,run,action,app,sku,user,result,error,request-id,"
		    "reason\r\n", fp);
}

void
report_audit_row(FILE *fp, enum report_format f, const struct audit_change *c,
    size_t n)
{
	char when[21];
	struct buf err = { 0 };
	json_t *o;
	char *text;

	format_utc(c->time, when);
	report_audit_error(c, &err);
	switch (f) {
	case REPORT_HTML:       /* main.c refuses it */
		break;
	case REPORT_TEXT:
		fprintf(fp, "%-20s %5lld %-8s %-16s %-32s %s", when,
		    (long long)c->run, c->action, c->app, c->user, c->result);
		if (err.len > 0)
			fprintf(fp, "%*s%s%s%s", (int)(9 - strlen(c->result) % 9),
			    "", err.data, c->request_id != NULL ? " / " : "",
			    c->request_id != NULL ? c->request_id : "");
		fputc('\n', fp);
		break;
	case REPORT_CSV:
		fprintf(fp, "%s,%lld,", when, (long long)c->run);
		csv_field(fp, c->action, false);
		csv_field(fp, c->app, false);
		csv_field(fp, c->sku, false);
		csv_field(fp, c->user, false);
		csv_field(fp, c->result, false);
		csv_field(fp, err.data, false);
		csv_field(fp, c->request_id != NULL ? c->request_id : "", false);
		csv_field(fp, c->reason, true);
		break;
	case REPORT_JSON:
		o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
		    "s:s, s:o, s:i}", "time", when, "run", (json_int_t)c->run,
		    "action", c->action, "app", c->app, "sku", c->sku,
		    "user", c->user, "result", c->result,
		    "error", err.len > 0 ? json_string(err.data) : json_null(),
		    "request-id", c->request_id != NULL ?
		    json_string(c->request_id) : json_null(),
		    "reason", c->reason,
		    "outcome", c->outcome != NULL ? json_string(c->outcome) :
		    json_null(), "attempts", c->attempts);
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n  %s", n == 0 ? "[" : ",", text);
		free(text);
		json_decref(o);
		break;
	}
	buf_free(&err);
}

int
report_audit_end(FILE *fp, enum report_format f, size_t n)
{
	if (f == REPORT_JSON)
		fputs(n == 0 ? "[]\n" : "\n]\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}

/* ---- runs ---- */

void
report_run_begin(FILE *fp, enum report_format f)
{
	if (f == REPORT_TEXT)
		fprintf(fp, "%5s %-20s %-20s %-8s %-16s %4s %7s %7s %7s %7s %s\n",
		    "RUN", "STARTED", "ENDED", "COMMAND", "OUTCOME", "EXIT",
		    "+ASSIGN", "-REMOVE", "FAILED", "WAITING", "FORCED");
	else if (f == REPORT_CSV)
		fputs("run,started,ended,command,host,outcome,exit,assigns,"
		    "unassigns,failed,unfulfilled,skipped,forced,message\r\n",
		    fp);
}

void
report_run_row(FILE *fp, enum report_format f, const struct audit_run *run,
    size_t n)
{
	char started[21], ended[21] = "";
	char *text;
	json_t *o;

	format_utc(run->started, started);
	if (run->ended > 0)
		format_utc(run->ended, ended);
	switch (f) {
	case REPORT_HTML:       /* main.c refuses it */
		break;
	case REPORT_TEXT:
		fprintf(fp, "%5lld %-20s %-20s %-8s %-16s %4d %7ld %7ld %7ld "
		    "%7ld %s\n", (long long)run->id, started,
		    run->ended > 0 ? ended : "-", run->command, run->outcome,
		    run->exit_code, run->assigns, run->unassigns, run->failed,
		    run->unfulfilled, run->forced ? "yes" : "no");
		break;
	case REPORT_CSV:
		fprintf(fp, "%lld,%s,%s,", (long long)run->id, started, ended);
		csv_field(fp, run->command, false);
		csv_field(fp, run->host, false);
		csv_field(fp, run->outcome, false);
		fprintf(fp, "%d,%ld,%ld,%ld,%ld,%ld,%s,", run->exit_code,
		    run->assigns, run->unassigns, run->failed, run->unfulfilled,
		    run->skipped, run->forced ? "yes" : "no");
		csv_field(fp, run->message != NULL ? run->message : "", true);
		break;
	case REPORT_JSON:
		o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:o, s:I, s:I, "
		    "s:I, s:I, s:I, s:b, s:o}", "run", (json_int_t)run->id,
		    "started", started, "ended", run->ended > 0 ?
		    json_string(ended) : json_null(), "command", run->command,
		    "host", run->host, "outcome", run->outcome,
		    "exit", run->exit_code >= 0 ? json_integer(run->exit_code) :
		    json_null(), "assigns", (json_int_t)run->assigns,
		    "unassigns", (json_int_t)run->unassigns,
		    "failed", (json_int_t)run->failed,
		    "unfulfilled", (json_int_t)run->unfulfilled,
		    "skipped", (json_int_t)run->skipped, "forced", run->forced,
		    "message", run->message != NULL ?
		    json_string(run->message) : json_null());
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n  %s", n == 0 ? "[" : ",", text);
		free(text);
		json_decref(o);
		break;
	}
}

/* ---- status ---- */

static json_t *
source_json(const struct status_source *src)
{
	char started[21], ended[21];

	format_utc(src->started, started);
	format_utc(src->ended, ended);
	if (src->live)
		return json_pack("{s:b, s:s}", "live", 1, "read", ended);
	return json_pack("{s:b, s:I, s:s, s:s, s:s, s:o}", "live", 0,
	    "run", (json_int_t)src->run, "command", src->command,
	    "outcome", src->outcome, "started", started, "ended",
	    src->ended > 0 ? json_string(ended) : json_null());
}

static void
status_json(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src)
{
	json_t *o;
	char *text;
	size_t i, k;

	o = source_json(src);
	text = json_dumps(o, JSON_PRESERVE_ORDER);
	fprintf(fp, "{\n  \"source\": %s,\n  \"apps\": [", text);
	free(text);
	json_decref(o);
	for (i = 0; i < napps; i++) {
		o = json_pack("{s:s, s:s}", "app", apps[i].app, "sku",
		    apps[i].sku);
		for (k = 0; k < SEAT_NKINDS; k++)
			json_object_set_new(o, seat_kind_names[k],
			    json_integer(apps[i].seats[k]));
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n    %s", i > 0 ? "," : "", text);
		free(text);
		json_decref(o);
	}
	fputs(napps > 0 ? "\n  ]\n}\n" : "]\n}\n", fp);
}

static void
status_csv(FILE *fp, const struct app_status *apps, size_t napps)
{
	size_t i, k;

	fputs("app,sku", fp);
	for (k = 0; k < SEAT_NKINDS; k++)
		fprintf(fp, ",%s", seat_kind_names[k]);
	fputs("\r\n", fp);
	for (i = 0; i < napps; i++) {
		csv_field(fp, apps[i].app, false);
		csv_field(fp, apps[i].sku, false);
		for (k = 0; k < SEAT_NKINDS; k++)
			fprintf(fp, "%ld%s", apps[i].seats[k],
			    k + 1 < SEAT_NKINDS ? "," : "\r\n");
	}
}

/* "held_by_others" as the column head "HELD-BY-OTHERS" */
static void
column_head(char *out, size_t len, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		out[i] = name[i] == '_' ? '-' : (char)(name[i] >= 'a' &&
		    name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
	out[i] = '\0';
}

static void
status_text(FILE *fp, const struct app_status *apps, size_t napps,
    const struct status_source *src)
{
	char when[21], head[SEAT_NKINDS][32];
	int w = 3, cw[SEAT_NKINDS];
	size_t i, k;

	format_utc(src->live ? src->ended : src->ended > 0 ? src->ended :
	    src->started, when);
	if (src->live)
		fprintf(fp, "Seats read live at %s\n\n", when);
	else
		fprintf(fp, "Seats as of run %lld (%s, %s), ended %s\n\n",
		    (long long)src->run, src->command, src->outcome, when);
	for (i = 0; i < napps; i++)
		if ((int)strlen(apps[i].app) > w)
			w = (int)strlen(apps[i].app);
	fprintf(fp, "%-*s", w, "APP");
	for (k = 0; k < SEAT_NKINDS; k++) {
		column_head(head[k], sizeof(head[k]), seat_kind_names[k]);
		cw[k] = strlen(head[k]) > 9 ? (int)strlen(head[k]) : 9;
		fprintf(fp, " %*s", cw[k], head[k]);
	}
	fputc('\n', fp);
	for (i = 0; i < napps; i++) {
		fprintf(fp, "%-*s", w, apps[i].app);
		for (k = 0; k < SEAT_NKINDS; k++)
			fprintf(fp, " %*ld", cw[k], apps[i].seats[k]);
		fputc('\n', fp);
	}
	if (napps == 0)
		fputs("(no apps)\n", fp);
}

int
report_status(FILE *fp, enum report_format f, const struct app_status *apps,
    size_t napps, const struct status_source *src)
{
	switch (f) {
	case REPORT_TEXT:
	case REPORT_HTML:       /* status.c renders it */
		status_text(fp, apps, napps, src);
		break;
	case REPORT_JSON:
		status_json(fp, apps, napps, src);
		break;
	case REPORT_CSV:
		status_csv(fp, apps, napps);
		break;
	}
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}
