/*
 * cmd_status.c - `licsync status`: the seats of each app as the last run
 * that saw a whole view recorded them, or read live (--live), with
 * --metrics; the seats themselves are counted by run/seat_count.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "conf/config.h"
#include "reconcile/seats.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/status.h"
#include "run/run.h"
#include "store/audit.h"
#include "util/log.h"

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

	metrics_count_change(&cc->m, &cc->n, keep_name(cc, c->app),
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
	napps = pr.base.pol->napps;
	st = xcalloc(napps + 1, sizeof(*st));
	run_seats(&pr, st);
	memset(&src, 0, sizeof(src));
	src.live = true;
	src.started = pr.base.started;
	src.ended = now_seconds();
	if ((r = show(o, st, napps, &src, e)) != EXIT_OK)
		goto out;
	if (o->metrics_file != NULL)
		r = status_metrics(o->metrics_file, pr.base.db, st, napps, e);
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
