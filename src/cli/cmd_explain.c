/*
 * cmd_explain.c - `licsync explain USER`: for every app of the policy,
 * why the user has it or not, from the live view (read as plan reads it,
 * nothing recorded) and the audit trail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "directory/directory.h"
#include "report/audit_rows.h"
#include "report/csv.h"
#include "report/reason.h"
#include "run/run.h"
#include "store/audit.h"
#include "util/log.h"

#define ARROW " \xe2\x86\x92 "        /* U+2192 between the groups of a path */

/* One recorded change of the user. */
struct event {
	int64_t run, time;
	char *app, *action, *result, *reason, *error;
};

/* How the user is a member of one group: the groups from the nearest to
 * the policy's. */
struct membership {
	const char *group;      /* as written in the policy */
	const char **path;      /* normalised DNs; the last is GROUP's */
	size_t n;
};

enum decision { D_NONE, D_ASSIGN, D_UNASSIGN, D_WAITING, D_KEEP, D_SKIP };

static const char *const decision_names[] = {
	[D_NONE] = "none", [D_ASSIGN] = "assign", [D_UNASSIGN] = "unassign",
	[D_WAITING] = "waiting", [D_KEEP] = "keep", [D_SKIP] = "skip",
};

struct app_why {
	const struct app_policy *ap;
	const char *sku;
	struct membership *in, *out;    /* policy groups, exclude groups */
	size_t nin, nout;
	bool excluded_user, entitled;
	bool direct, owned;
	const char *inherited;  /* through this backend group, or NULL */
	int64_t seen;           /* first entitled, as recorded; 0: not */
	enum decision decision;
	char *reason;           /* in words, or NULL */
	size_t position, waiting;
	int64_t due;            /* grace: removal due; 0: none */
	size_t first_event, nevents;
	const char *backend;    /* the app's backend, by name */
	enum rc_backend_user backend_user;      /* the user there */
};

struct explanation {
	const char *user;
	bool known;             /* interned: someone names this key */
	uint32_t id;
	const char *dn;         /* in the directory, or NULL */
	bool disabled;          /* ... and disabled there */
	enum rc_backend_user backend;   /* at the first backend */
	size_t nbackends;       /* the policy's apps use */
	const char *location;   /* set before assigning, or NULL */
	const char *bad_location;       /* the directory's, not a code */
	const char *location_attribute;
	bool protected;
	struct app_why *apps;
	size_t napps;
	struct event *events;   /* oldest first */
	size_t nevents;
	int64_t now;
};

/* The policy's groups (FIRST .. FIRST + N) that have the user. */
static size_t
memberships(struct plan_run *pr, uint32_t u, size_t first,
    const struct strv *groups, struct membership **out)
{
	size_t i, n = 0;

	*out = xcalloc(groups->n + 1, sizeof(**out));
	for (i = 0; i < groups->n; i++) {
		const struct dir_members *m = &pr->dv.members[first + i];

		if (!u32_in_sorted(m->ids, m->n, u))
			continue;
		(*out)[n].group = groups->v[i];
		(*out)[n].n = directory_path(pr->dv.dir, groups->v[i], u,
		    &(*out)[n].path);
		n++;
	}
	return n;
}

/* What the plan does about the user, from its lists. */
static void
decide(struct plan_run *pr, const struct report_ctx *rc, uint32_t a,
    uint32_t u, struct app_why *w)
{
	const struct rc_plan *p = &pr->plan;
	const struct rc_app_summary *s = &p->apps[a];
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].app == a && p->changes[i].user == u) {
			w->decision = p->changes[i].action == RC_ASSIGN ?
			    D_ASSIGN : D_UNASSIGN;
			w->reason = report_reason(rc, &p->changes[i]);
			return;
		}
	for (i = 0; i < p->nkept; i++)
		if (p->kept[i].app == a && p->kept[i].user == u) {
			w->decision = D_KEEP;
			w->reason = report_kept_reason(rc, &p->kept[i]);
			if (p->kept[i].reason == RC_KEEP_GRACE)
				w->due = p->kept[i].due;
			return;
		}
	for (i = 0; i < p->nskipped; i++)
		if (p->skipped[i].app == a && p->skipped[i].user == u) {
			w->decision = D_SKIP;
			w->reason = xstrdup(report_skip_reason(
			    p->skipped[i].reason));
			return;
		}
	for (i = 0; i < s->unfulfilled; i++)
		if (s->waiting[i] == u) {
			w->decision = D_WAITING;
			w->position = i + 1;
			w->waiting = s->unfulfilled;
			w->reason = report_waiting_reason(i + 1,
			    s->unfulfilled);
			return;
		}
	w->decision = D_NONE;
	w->reason = xstrdup(report_settled_reason(w->entitled,
	    w->direct || w->inherited != NULL));
}

static void
holding(struct plan_run *pr, const struct app_state *as, uint32_t u,
    struct app_why *w)
{
	size_t i;

	for (i = 0; i < as->nh; i++)
		if (as->h[i].user == u) {
			w->direct = as->h[i].direct;
			w->inherited = as->h[i].group == 0 ? NULL :
			    intern_str(pr->bv[as->backend].bgroups,
			    as->h[i].group - 1);
		}
	w->owned = u32_in_sorted(as->owned, as->nowned, u);
	for (i = 0; i < as->nseen; i++)
		if (as->seen[i].user == u)
			w->seen = as->seen[i].first;
}

static void
explain_app(struct plan_run *pr, const struct report_ctx *rc, uint32_t a,
    struct explanation *x)
{
	const struct app_policy *ap = &pr->base.pol->apps[a];
	struct app_state *as = &pr->apps[a];
	struct app_why *w = &x->apps[a];
	const struct backend_view *bv = &pr->bv[as->backend];
	size_t i;

	w->ap = ap;
	w->sku = as->sku;
	w->backend = bv->cfg->name;
	w->backend_user = x->known && x->id < bv->nbu ? bv->bu[x->id] :
	    RC_USER_UNKNOWN;
	for (i = 0; i < ap->exclude_users.n; i++)
		if (str_ieq(ap->exclude_users.v[i], x->user))
			w->excluded_user = true;
	if (!x->known) {
		w->in = xcalloc(1, sizeof(*w->in));
		w->out = xcalloc(1, sizeof(*w->out));
		w->reason = xstrdup(report_unknown_reason());
		return;
	}
	w->nin = memberships(pr, x->id, as->first_group, &ap->groups, &w->in);
	w->nout = memberships(pr, x->id, as->first_excl, &ap->exclude_groups,
	    &w->out);
	w->entitled = w->nin > 0 && w->nout == 0 && !w->excluded_user &&
	    !x->disabled;
	holding(pr, as, x->id, w);
	decide(pr, rc, a, x->id, w);
}

/* ---- the audit trail ---- */

static int
on_event(void *ctx, const struct audit_change *c)
{
	struct explanation *x = ctx;
	struct event *ev;
	struct buf err = { 0 };

	x->events = xreallocarray(x->events, x->nevents + 1,
	    sizeof(*x->events));
	ev = &x->events[x->nevents++];
	ev->run = c->run;
	ev->time = c->time;
	ev->app = xstrdup(c->app);
	ev->action = xstrdup(c->action);
	ev->result = xstrdup(c->result);
	ev->reason = xstrdup(c->reason);
	report_audit_error(c, &err);
	ev->error = err.data;
	return EXIT_OK;
}

/* The last LIMIT events of each app, oldest first. */
static void
pick_events(struct explanation *x, int limit)
{
	size_t a, i, n;

	for (a = 0; a < x->napps; a++) {
		struct app_why *w = &x->apps[a];

		n = 0;
		for (i = x->nevents; i > 0 && n < (size_t)limit; i--)
			if (strcmp(x->events[i - 1].app, w->ap->name) == 0) {
				w->first_event = i - 1;
				n++;
			}
		w->nevents = n;
	}
}

/* ---- output ---- */

static void
backend_text(FILE *fp, const struct explanation *x, enum rc_backend_user b)
{
	switch (b) {
	case RC_USER_OK:
		fputs("known", fp);
		break;
	case RC_USER_NO_LOCATION:
		fputs("known, without a usage location", fp);
		break;
	case RC_USER_SET_LOCATION:
		fprintf(fp, "known, without a usage location; licsync sets %s "
		    "before assigning", x->location);
		break;
	case RC_USER_BAD_LOCATION:
		fprintf(fp, "known, without a usage location; the directory's "
		    "(%s: '%s') is not an ISO 3166 code",
		    x->location_attribute, x->bad_location);
		break;
	case RC_USER_CREATE:
		fputs("unknown; created when a license is assigned", fp);
		break;
	default:
		fputs("unknown", fp);
	}
}

static const char *
backend_name(enum rc_backend_user b)
{
	switch (b) {
	case RC_USER_OK:
		return "ok";
	case RC_USER_NO_LOCATION:
		return "no_usage_location";
	case RC_USER_SET_LOCATION:
		return "sets_usage_location";
	case RC_USER_BAD_LOCATION:
		return "invalid_usage_location";
	case RC_USER_CREATE:
		return "created_on_assign";
	default:
		return "unknown";
	}
}

static const char *
holding_name(const struct app_why *w)
{
	if (w->direct && w->inherited != NULL)
		return "direct and inherited";
	if (w->direct)
		return "direct";
	return w->inherited != NULL ? "inherited" : "none";
}

static void
text_path(FILE *fp, const struct membership *m, const char *what)
{
	size_t i;

	/* the last DN is the policy's group: shown as written there */
	for (i = 0; i + 1 < m->n; i++)
		fprintf(fp, "%s" ARROW, m->path[i]);
	fprintf(fp, "%s (%s)", m->group, what);
}

static void
text_memberships(FILE *fp, const struct app_why *w)
{
	size_t i;

	fprintf(fp, "  entitled:  %s\n  member:    ", w->entitled ? "yes" :
	    "no");
	for (i = 0; i < w->nin; i++) {
		if (i > 0)
			fputs("\n             and ", fp);
		text_path(fp, &w->in[i], "policy group");
	}
	if (w->nin == 0)
		fputs("of none of the app's groups", fp);
	fputs("\n  excluded:  ", fp);
	for (i = 0; i < w->nout; i++) {
		fputs(i == 0 ? "by " : "\n             and by ", fp);
		text_path(fp, &w->out[i], "exclude group");
	}
	if (w->excluded_user)
		fprintf(fp, "%sby exclude_users", w->nout > 0 ?
		    "\n             and " : "");
	if (w->nout == 0 && !w->excluded_user)
		fputs("no", fp);
	fputc('\n', fp);
}

static void
text_event(FILE *fp, const struct event *ev)
{
	char when[21];

	format_utc(ev->time, when);
	fprintf(fp, "    %s run %lld: %s %s", when, (long long)ev->run,
	    ev->action, ev->result);
	if (*ev->error != '\0')
		fprintf(fp, " (%s)", ev->error);
	fprintf(fp, ": %s\n", ev->reason);
}

static void
text_app(FILE *fp, const struct explanation *x, const struct app_why *w)
{
	char when[21];
	size_t i, n;

	fprintf(fp, "\n%s (sku %s, remove: %s)\n", w->ap->name,
	    w->sku != NULL ? w->sku : "?", remove_mode_name(w->ap->remove));
	text_memberships(fp, w);
	/* with several backends: the user at this app's */
	if (x->nbackends > 1) {
		fprintf(fp, "  at:        backend %s, user ", w->backend);
		backend_text(fp, x, w->backend_user);
		fputc('\n', fp);
	}
	fputs("  backend:   ", fp);
	if (w->direct)
		fprintf(fp, "holds it directly, %s", w->owned ?
		    "assigned by licsync" : "not assigned by licsync");
	if (w->inherited != NULL)
		fprintf(fp, "%sholds it through group %s", w->direct ?
		    "; also " : "", w->inherited);
	if (!w->direct && w->inherited == NULL)
		fputs("does not hold it", fp);
	fputc('\n', fp);
	if (w->seen > 0) {
		format_utc(w->seen, when);
		fprintf(fp, "  queue:     entitled since %s\n", when);
	}
	fprintf(fp, "  decision:  %s: %s\n", decision_names[w->decision],
	    w->reason);
	if (w->due > 0) {
		format_utc(w->due, when);
		fprintf(fp, "  removal:   due %s\n", when);
	}
	if (w->nevents == 0) {
		fputs("  events:    none recorded\n", fp);
		return;
	}
	fputs("  events:\n", fp);
	for (i = w->first_event, n = 0; n < w->nevents; i++)
		if (strcmp(x->events[i].app, w->ap->name) == 0) {
			text_event(fp, &x->events[i]);
			n++;
		}
}

static void
explain_text(FILE *fp, const struct explanation *x)
{
	size_t a;

	fprintf(fp, "%s\n  directory: %s%s\n  backend:   ", x->user,
	    x->dn != NULL ? x->dn : "not a user there", x->disabled ?
	    " (disabled in the directory: entitled to nothing)" : "");
	backend_text(fp, x, x->backend);
	fprintf(fp, "\n  protected: %s\n", x->protected ? "yes (licsync never "
	    "assigns or removes their licenses)" : "no");
	for (a = 0; a < x->napps; a++)
		text_app(fp, x, &x->apps[a]);
}

static json_t *
json_time(int64_t t)
{
	char when[21];

	if (t <= 0)
		return json_null();
	format_utc(t, when);
	return json_string(when);
}

static json_t *
json_memberships(const struct membership *m, size_t n)
{
	json_t *arr = json_array(), *path;
	size_t i, k;

	for (i = 0; i < n; i++) {
		path = json_array();
		for (k = 0; k + 1 < m[i].n; k++)
			json_array_append_new(path, json_string(m[i].path[k]));
		json_array_append_new(path, json_string(m[i].group));
		json_array_append_new(arr, json_pack("{s:s, s:o}", "group",
		    m[i].group, "path", path));
	}
	return arr;
}

static json_t *
json_events(const struct explanation *x, const struct app_why *w)
{
	json_t *arr = json_array();
	size_t i, n;

	for (i = w->first_event, n = 0; n < w->nevents; i++) {
		const struct event *ev = &x->events[i];

		if (strcmp(ev->app, w->ap->name) != 0)
			continue;
		json_array_append_new(arr, json_pack("{s:o, s:I, s:s, s:s, "
		    "s:o, s:s}", "time", json_time(ev->time), "run",
		    (json_int_t)ev->run, "action", ev->action, "result",
		    ev->result, "error", *ev->error != '\0' ?
		    json_string(ev->error) : json_null(), "reason",
		    ev->reason));
		n++;
	}
	return arr;
}

static json_t *
json_app(const struct explanation *x, const struct app_why *w)
{
	return json_pack("{s:s, s:o, s:s, s:b, s:o, s:o, s:b, s:s, s:b, s:o, "
	    "s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s}", "app", w->ap->name,
	    "sku", w->sku != NULL ? json_string(w->sku) : json_null(),
	    "remove", remove_mode_name(w->ap->remove),
	    "entitled", w->entitled, "through",
	    json_memberships(w->in, w->nin), "excluded_by_groups",
	    json_memberships(w->out, w->nout), "excluded_by_user_list",
	    w->excluded_user, "holding", holding_name(w), "owned", w->owned,
	    "inherited_from", w->inherited != NULL ?
	    json_string(w->inherited) : json_null(),
	    "entitled_since", json_time(w->seen),
	    "decision", decision_names[w->decision], "reason", w->reason,
	    "seat_position", w->position > 0 ? json_integer((json_int_t)
	    w->position) : json_null(), "waiting", w->position > 0 ?
	    json_integer((json_int_t)w->waiting) : json_null(),
	    "removal_due", json_time(w->due), "events", json_events(x, w),
	    "backend", w->backend, "backend_user", backend_name(w->backend_user));
}

static void
explain_json(FILE *fp, const struct explanation *x)
{
	json_t *apps = json_array(), *o;
	size_t a;

	for (a = 0; a < x->napps; a++)
		json_array_append_new(apps, json_app(x, &x->apps[a]));
	o = json_pack("{s:s, s:o, s:b, s:s, s:o, s:b, s:o}", "user", x->user,
	    "directory_dn", x->dn != NULL ? json_string(x->dn) : json_null(),
	    "disabled", x->disabled,
	    "backend", backend_name(x->backend), "usage_location",
	    x->location != NULL ? json_string(x->location) : json_null(),
	    "protected", x->protected, "apps", apps);
	json_dumpf(o, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(o);
}

static void
csv_paths(struct buf *b, const struct membership *m, size_t n)
{
	size_t i, k;

	buf_add(b, "", 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(b, "; ");
		for (k = 0; k + 1 < m[i].n; k++)
			buf_printf(b, "%s" ARROW, m[i].path[k]);
		buf_addstr(b, m[i].group);
	}
}

static void
explain_csv(FILE *fp, const struct explanation *x)
{
	struct buf b = { 0 };
	char when[21];
	size_t a;

	fputs("user,app,entitled,through,excluded_by,protected,holding,"
	    "owned,decision,reason,seat_position,removal_due\r\n", fp);
	for (a = 0; a < x->napps; a++) {
		const struct app_why *w = &x->apps[a];

		csv_field(fp, x->user, false);
		csv_field(fp, w->ap->name, false);
		fputs(w->entitled ? "yes," : "no,", fp);
		csv_paths(&b, w->in, w->nin);
		csv_field(fp, b.data, false);
		b.len = 0;
		csv_paths(&b, w->out, w->nout);
		if (w->excluded_user)
			buf_printf(&b, "%sexclude_users", w->nout ? "; " : "");
		csv_field(fp, b.data, false);
		b.len = 0;
		fprintf(fp, "%s,%s,%s,%s,", x->protected ? "yes" : "no",
		    holding_name(w), w->owned ? "yes" : "no",
		    decision_names[w->decision]);
		csv_field(fp, w->reason, false);
		if (w->position > 0)
			fprintf(fp, "%zu", w->position);
		when[0] = '\0';
		if (w->due > 0)
			format_utc(w->due, when);
		fprintf(fp, ",%s\r\n", when);
	}
	buf_free(&b);
}

/* ---- the command ---- */

static void
explanation_free(struct explanation *x)
{
	size_t a, i;

	for (a = 0; a < x->napps; a++) {
		struct app_why *w = &x->apps[a];

		for (i = 0; i < w->nin; i++)
			free(w->in[i].path);
		for (i = 0; i < w->nout; i++)
			free(w->out[i].path);
		free(w->in);
		free(w->out);
		free(w->reason);
	}
	free(x->apps);
	for (i = 0; i < x->nevents; i++) {
		free(x->events[i].app);
		free(x->events[i].action);
		free(x->events[i].result);
		free(x->events[i].reason);
		free(x->events[i].error);
	}
	free(x->events);
}

static int
gather(struct plan_run *pr, const struct explain_opts *o,
    struct explanation *x, struct err *e)
{
	const char **skus = run_app_skus(pr);
	struct report_ctx rc;
	struct audit_filter f;
	size_t a, i;
	int r = EXIT_OK;

	x->user = o->user;
	x->now = pr->base.now;
	x->known = intern_find(pr->keys, o->user, &x->id);
	run_report_context(pr, skus, &rc);
	if (x->known) {
		x->dn = directory_user_dn(pr->dv.dir, x->id);
		x->disabled = u32_in_sorted(pr->dv.disabled.ids,
		    pr->dv.disabled.n, x->id);
		x->backend = x->id < pr->bv[0].nbu ? pr->bv[0].bu[x->id] :
		    RC_USER_UNKNOWN;
		x->location = run_user_location(pr, x->id);
		x->location_attribute = pr->dv.loc.attribute;
		for (i = 0; i < pr->dv.loc.nbad; i++)
			if (pr->dv.loc.bad[i] == x->id)
				x->bad_location = pr->dv.loc.bad_value[i];
	}
	for (i = 0; i < pr->base.pol->protected_users.n; i++)
		if (str_ieq(pr->base.pol->protected_users.v[i], o->user))
			x->protected = true;
	x->napps = pr->base.pol->napps;
	x->nbackends = pr->nbv;
	x->apps = xcalloc(x->napps + 1, sizeof(*x->apps));
	for (a = 0; a < x->napps; a++)
		explain_app(pr, &rc, (uint32_t)a, x);
	free(skus);
	if (pr->base.db != NULL) {
		memset(&f, 0, sizeof(f));
		f.user = o->user;
		r = audit_changes(pr->base.db, &f, on_event, x, e);
	}
	pick_events(x, o->events);
	return r;
}

int
run_explain(const struct explain_opts *o)
{
	struct plan_run pr;
	struct plan_opts po;
	struct explanation x;
	struct err e;
	int r;

	memset(&x, 0, sizeof(x));
	memset(&po, 0, sizeof(po));
	po.config_path = o->config_path;
	if ((r = run_prepare(&pr, &po, RUN_INSPECT, &e)) != EXIT_OK)
		goto out;
	if ((r = gather(&pr, o, &x, &e)) != EXIT_OK)
		goto out;
	if (!x.known && x.nevents == 0) {
		err_set(&e, "no user '%s' in the directory, the backend, the "
		    "policy or the audit trail (%s)", o->user,
		    pr.dv.dst.user_key != NULL ? pr.dv.dst.user_key : "key");
		r = EXIT_USAGE;
		goto out;
	}
	if (o->format == REPORT_JSON)
		explain_json(stdout, &x);
	else if (o->format == REPORT_CSV)
		explain_csv(stdout, &x);
	else
		explain_text(stdout, &x);
	fflush(stdout);
	if (ferror(stdout)) {
		err_set(&e, "cannot write the report");
		r = EXIT_USAGE;
	}
out:
	if (r != EXIT_OK)
		log_error("%s", e.msg);
	explanation_free(&x);
	run_free(&pr);
	return r;
}
