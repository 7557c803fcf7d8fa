/*
 * status.c - seats per app: computed from a run's view, recorded with
 * the run, read back by `licsync status`, and written as metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "reconcile/seats.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/status.h"
#include "run/runstate.h"
#include "store/audit.h"
#include "util/log.h"

/* Holder flags, per key id, of the app being counted. */
#define H_DIRECT        0x1
#define H_GROUP         0x2
#define H_OWNED         0x4

static void
mark_holders(const struct app_state *as, uint8_t *h, size_t n)
{
	size_t i;

	memset(h, 0, n);
	for (i = 0; i < as->nh; i++)
		h[as->h[i].user] |= (as->h[i].direct ? H_DIRECT : 0) |
		    (as->h[i].group != 0 ? H_GROUP : 0);
	for (i = 0; i < as->nowned; i++)
		h[as->owned[i]] |= H_OWNED;
}

/* A change carried out moves a user from one count to another. */
static void
count_done(long *v, const struct rc_change *c, uint8_t h)
{
	if (c->action == RC_ASSIGN) {
		v[SEAT_TO_ASSIGN]--;
		v[SEAT_OWNED]++;
		v[SEAT_CONSUMED]++;
		return;
	}
	v[SEAT_TO_UNASSIGN]--;
	if ((h & (H_DIRECT | H_OWNED)) == (H_DIRECT | H_OWNED))
		v[SEAT_OWNED]--;
	else
		v[SEAT_OTHERS]--;
	if (h & H_GROUP)                /* still held, through the group */
		v[SEAT_OTHERS]++;
	else
		v[SEAT_CONSUMED]--;
}

static void
app_seats(struct plan_run *pr, size_t a, uint8_t *h, struct app_status *st)
{
	const struct rc_app_summary *s = &pr->plan.apps[a];
	const struct app_state *as = &pr->apps[a];
	long *v = st->seats;
	size_t i;

	st->app = xstrdup(pr->pol->apps[a].name);
	st->sku = xstrdup(as->sku != NULL ? as->sku : "");
	v[SEAT_PURCHASED] = as->purchased;
	v[SEAT_CONSUMED] = as->consumed;
	v[SEAT_ENTITLED] = (long)s->entitled;
	v[SEAT_WAITING] = (long)s->unfulfilled;
	v[SEAT_TO_ASSIGN] = (long)s->assign;
	v[SEAT_TO_UNASSIGN] = (long)s->unassign;
	for (i = 0; i < as->nh; i++)
		if ((h[as->h[i].user] & (H_DIRECT | H_OWNED)) ==
		    (H_DIRECT | H_OWNED))
			v[SEAT_OWNED]++;
		else
			v[SEAT_OTHERS]++;
	for (i = 0; i < pr->plan.nkept; i++) {
		const struct rc_kept *k = &pr->plan.kept[i];

		if (k->app != a)
			continue;
		if (k->reason == RC_KEEP_GRACE)
			v[SEAT_PENDING_REMOVAL]++;
		else if (k->reason == RC_KEEP_NOT_OWNED ||
		    k->reason == RC_KEEP_REMOVE_NEVER)
			v[SEAT_FREEABLE]++;
	}
	for (i = 0; pr->results != NULL && i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];

		if (c->app == a && pr->results[i].result != NULL &&
		    strcmp(pr->results[i].result, "ok") == 0)
			count_done(v, c, h[c->user]);
	}
}

void
run_seats(struct plan_run *pr, struct app_status *out)
{
	size_t n = intern_count(pr->keys) + 1, a;
	uint8_t *h = xcalloc(n, 1);

	for (a = 0; a < pr->pol->napps; a++) {
		memset(&out[a], 0, sizeof(out[a]));
		mark_holders(&pr->apps[a], h, n);
		app_seats(pr, a, h, &out[a]);
	}
	free(h);
}

int
run_record_seats(struct plan_run *pr, struct err *e)
{
	struct app_status *st = xcalloc(pr->pol->napps + 1, sizeof(*st));
	int r;

	run_seats(pr, st);
	r = audit_record_seats(pr->db, pr->run_id, st, pr->pol->napps, e);
	app_status_free(st, pr->pol->napps);
	return r;
}

/* ---- metrics ---- */

/* Count changes by app, action and result into M (grown as needed). */
static void
count_change(struct metrics_change **m, size_t *n, const char *app,
    const char *action, const char *result)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*m)[i].app, app) == 0 &&
		    strcmp((*m)[i].action, action) == 0 &&
		    strcmp((*m)[i].result, result) == 0) {
			(*m)[i].n++;
			return;
		}
	*m = xreallocarray(*m, *n + 1, sizeof(**m));
	(*m)[*n].app = app;
	(*m)[*n].action = action;
	(*m)[*n].result = result;
	(*m)[(*n)++].n = 1;
}

int
run_write_metrics(struct plan_run *pr, const char *path, const char *command,
    int r, struct err *e)
{
	struct metrics m;
	struct metrics_change *ch = NULL;
	struct app_status *st = NULL;
	size_t nch = 0, i, napps = 0;
	int rw;

	memset(&m, 0, sizeof(m));
	m.command = command;
	m.run = pr->run_id;
	m.outcome = run_outcome(r);
	m.exit_code = r;
	m.ended = (double)now_seconds();
	m.duration = mono_seconds() - pr->t0;
	for (i = 0; pr->plan.apps != NULL && i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];
		const char *res = "planned";

		if (pr->results != NULL)
			res = pr->results[i].result != NULL ?
			    pr->results[i].result : "pending";
		count_change(&ch, &nch, pr->pol->apps[c->app].name,
		    c->action == RC_ASSIGN ? "assign" : "unassign", res);
	}
	/* seats only from a whole view the guard trusts */
	if (pr->plan.apps != NULL && (!pr->guard || pr->forced)) {
		napps = pr->pol->napps;
		st = xcalloc(napps + 1, sizeof(*st));
		run_seats(pr, st);
		m.apps = st;
		m.napps = napps;
	}
	m.changes = ch;
	m.nchanges = nch;
	rw = metrics_write(path, &m, e);
	free(ch);
	app_status_free(st, napps);
	return rw;
}

/* ---- licsync status ---- */

struct last_run {
	struct audit_run run;
	char *command, *outcome, *message;
	bool found;
};

static int
copy_run(void *ctx, const struct audit_run *run)
{
	struct last_run *l = ctx;

	free(l->command);
	free(l->outcome);
	free(l->message);
	l->run = *run;
	l->command = xstrdup(run->command);
	l->outcome = xstrdup(run->outcome);
	l->message = run->message != NULL && *run->message != '\0' ?
	    xstrdup(run->message) : NULL;
	l->run.command = l->command;
	l->run.outcome = l->outcome;
	l->run.message = l->message;
	l->run.host = NULL;
	l->found = true;
	return EXIT_OK;
}

static void
last_run_free(struct last_run *l)
{
	free(l->command);
	free(l->outcome);
	free(l->message);
}

/* The run RUN (-1: the last one) into L. */
static int
read_run(struct audit *db, int64_t run, struct last_run *l, struct err *e)
{
	struct audit_filter f;

	memset(&f, 0, sizeof(f));
	f.run = run;
	return audit_runs(db, &f, copy_run, l, e);
}

struct change_count {
	struct metrics_change *m;
	size_t n;
	struct strv names;      /* owns the strings M points to */
};

static const char *
keep_name(struct change_count *cc, const char *s)
{
	size_t i;

	for (i = 0; i < cc->names.n; i++)
		if (strcmp(cc->names.v[i], s) == 0)
			return cc->names.v[i];
	strv_push(&cc->names, s);
	return cc->names.v[cc->names.n - 1];
}

static int
on_change(void *ctx, const struct audit_change *c)
{
	struct change_count *cc = ctx;

	count_change(&cc->m, &cc->n, keep_name(cc, c->app),
	    keep_name(cc, c->action), keep_name(cc, c->result));
	return EXIT_OK;
}

/* status --metrics: the last recorded run, and the seats shown. */
static int
status_metrics(const char *path, struct audit *db,
    const struct app_status *apps, size_t napps, struct err *e)
{
	struct last_run l;
	struct change_count cc;
	struct audit_filter f;
	struct metrics m;
	int r = EXIT_OK;

	memset(&l, 0, sizeof(l));
	memset(&cc, 0, sizeof(cc));
	memset(&m, 0, sizeof(m));
	if (db != NULL && (r = read_run(db, -1, &l, e)) != EXIT_OK)
		goto out;
	if (l.found) {
		memset(&f, 0, sizeof(f));
		f.run = l.run.id;
		if ((r = audit_changes(db, &f, on_change, &cc, e)) != EXIT_OK)
			goto out;
		m.command = l.run.command;
		m.run = l.run.id;
		m.outcome = l.run.outcome;
		m.exit_code = l.run.exit_code;
		m.ended = (double)(l.run.ended > 0 ? l.run.ended :
		    l.run.started);
		m.duration = l.run.ended > l.run.started ?
		    (double)(l.run.ended - l.run.started) : 0;
		m.changes = cc.m;
		m.nchanges = cc.n;
	}
	m.apps = apps;
	m.napps = napps;
	r = metrics_write(path, &m, e);
out:
	free(cc.m);
	strv_free(&cc.names);
	last_run_free(&l);
	return r;
}

/* Seats as the last run that saw a whole view left them. */
static int
recorded(struct audit *db, struct app_status **apps, size_t *napps,
    struct last_run *l, struct err *e)
{
	struct last_run newest;
	int64_t run;
	int r;

	if ((r = audit_last_seats(db, &run, apps, napps, e)) != EXIT_OK)
		return r;
	if (run == 0) {
		err_set(e, "no run has recorded seats yet: run licsync plan "
		    "first, or use status --live");
		return EXIT_DATABASE;
	}
	if ((r = read_run(db, run, l, e)) != EXIT_OK)
		return r;
	memset(&newest, 0, sizeof(newest));
	if ((r = read_run(db, -1, &newest, e)) == EXIT_OK && newest.found &&
	    newest.run.id > run)
		log_warning("showing run %lld: the later run %lld (%s) "
		    "recorded no seats%s%s", (long long)run,
		    (long long)newest.run.id, newest.outcome,
		    newest.message != NULL ? ": " : "",
		    newest.message != NULL ? newest.message : "");
	last_run_free(&newest);
	return r;
}

static int
show(const struct status_opts *o, const struct app_status *apps,
    size_t napps, const struct status_source *src, struct err *e)
{
	int r;

	if (o->format == REPORT_HTML)
		r = report_status_html(stdout, apps, napps, src,
		    now_seconds());
	else
		r = report_status(stdout, o->format, apps, napps, src);
	if (r != 0) {
		err_set(e, "cannot write the report: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int
status_live(const struct status_opts *o, struct err *e)
{
	struct plan_run pr;
	struct plan_opts po;
	struct status_source src;
	struct app_status *st = NULL;
	size_t napps = 0;
	int r;

	memset(&po, 0, sizeof(po));
	po.config_path = o->config_path;
	if ((r = run_prepare(&pr, &po, RUN_INSPECT, e)) != EXIT_OK)
		goto out;
	napps = pr.pol->napps;
	st = xcalloc(napps + 1, sizeof(*st));
	run_seats(&pr, st);
	memset(&src, 0, sizeof(src));
	src.live = true;
	src.started = pr.started;
	src.ended = now_seconds();
	if ((r = show(o, st, napps, &src, e)) != EXIT_OK)
		goto out;
	if (o->metrics_file != NULL)
		r = status_metrics(o->metrics_file, pr.db, st, napps, e);
out:
	app_status_free(st, napps);
	run_free(&pr);
	return r;
}

static int
status_recorded(const struct status_opts *o, struct err *e)
{
	struct config *cfg = NULL;
	struct audit *db = NULL;
	struct app_status *st = NULL;
	struct status_source src;
	struct last_run l;
	size_t napps = 0;
	int r;

	memset(&l, 0, sizeof(l));
	if ((r = config_load(o->config_path, &cfg, e)) != EXIT_OK)
		goto out;
	if (!audit_exists(cfg->database)) {
		err_set(e, "%s: no database yet: run licsync plan first, or "
		    "use status --live", cfg->database);
		r = EXIT_DATABASE;
		goto out;
	}
	if ((r = audit_open_readonly(cfg->database, &db, e)) != EXIT_OK)
		goto out;
	if ((r = recorded(db, &st, &napps, &l, e)) != EXIT_OK)
		goto out;
	memset(&src, 0, sizeof(src));
	src.run = l.run.id;
	src.command = l.run.command;
	src.outcome = l.run.outcome;
	src.started = l.run.started;
	src.ended = l.run.ended;
	if ((r = show(o, st, napps, &src, e)) != EXIT_OK)
		goto out;
	if (o->metrics_file != NULL)
		r = status_metrics(o->metrics_file, db, st, napps, e);
out:
	last_run_free(&l);
	app_status_free(st, napps);
	audit_close(db);
	config_free(cfg);
	return r;
}

int
run_status(const struct status_opts *o)
{
	struct err e;
	int r;

	r = o->live ? status_live(o, &e) : status_recorded(o, &e);
	if (r != EXIT_OK)
		log_error("%s", e.msg);
	return r;
}
