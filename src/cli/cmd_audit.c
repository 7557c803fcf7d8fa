/*
 * cmd_audit.c - `licsync audit`: the recorded changes and runs, filtered;
 * --verify walks the hash chain, --prune-before drops old rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "conf/config.h"
#include "conf/yamlwalk.h"
#include "report/report.h"
#include "store/audit.h"
#include "util/lock.h"
#include "util/log.h"

/* True when TM names a day that exists (not 2026-02-30). */
static bool
real_date(const struct tm *tm)
{
	struct tm copy = *tm, back;
	time_t t = timegm(&copy);

	return gmtime_r(&t, &back) != NULL && back.tm_mday == tm->tm_mday &&
	    back.tm_mon == tm->tm_mon && back.tm_year == tm->tm_year;
}

/* "2026-11-28", "2026-11-28T05:07:19Z", or a duration ago ("7d"). */
static int
parse_since(const char *opt, const char *s, int64_t *out, struct err *e)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d",
	};
	struct tm tm;
	int64_t ago;
	size_t i;

	if (yw_duration(s, &ago)) {
		*out = now_seconds() - ago;
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end != NULL && *end == '\0' && real_date(&tm)) {
			*out = (int64_t)timegm(&tm);
			return EXIT_OK;
		}
	}
	err_set(e, "%s '%s': use a date (2026-11-28), a UTC time "
	    "(2026-11-28T05:00:00Z) or a duration ago (7d, 12h)", opt, s);
	return EXIT_USAGE;
}

static int
audit_filter_from(const struct audit_opts *o, struct audit_filter *f,
    struct err *e)
{
	static const char *const results[] = { "ok", "failed", "skipped",
		"pending" };
	size_t i;
	char *end;

	memset(f, 0, sizeof(*f));
	if (o->run != NULL && strcmp(o->run, "last") == 0) {
		f->run = -1;
	} else if (o->run != NULL) {
		long long v;

		errno = 0;
		v = strtoll(o->run, &end, 10);
		if (end == o->run || *end != '\0' || v <= 0 || errno != 0) {
			err_set(e, "--run '%s': use a run number or 'last'",
			    o->run);
			return EXIT_USAGE;
		}
		f->run = (int64_t)v;
	}
	if (o->since != NULL &&
	    parse_since("--since", o->since, &f->since, e) != EXIT_OK)
		return EXIT_USAGE;
	if (o->until != NULL &&
	    parse_since("--until", o->until, &f->until, e) != EXIT_OK)
		return EXIT_USAGE;
	if (o->action != NULL && strcmp(o->action, "assign") != 0 &&
	    strcmp(o->action, "unassign") != 0) {
		err_set(e, "--action '%s': use assign or unassign", o->action);
		return EXIT_USAGE;
	}
	if (o->runs && (o->user != NULL || o->app != NULL ||
	    o->result != NULL || o->action != NULL)) {
		err_set(e, "--runs lists runs: --user, --app, --result and "
		    "--action filter changes");
		return EXIT_USAGE;
	}
	f->action = o->action;
	for (i = 0; o->result != NULL && i < 4; i++)
		if (strcmp(o->result, results[i]) == 0)
			break;
	if (i == 4) {
		err_set(e, "--result '%s': use ok, failed, skipped or pending",
		    o->result);
		return EXIT_USAGE;
	}
	f->user = o->user;
	f->app = o->app;
	f->result = o->result;
	return EXIT_OK;
}

struct audit_print {
	enum report_format format;
	size_t n;
};

static int
print_run(void *ctx, const struct audit_run *run)
{
	struct audit_print *p = ctx;

	report_run_row(stdout, p->format, run, p->n++);
	return EXIT_OK;
}

static int
print_change(void *ctx, const struct audit_change *c)
{
	struct audit_print *p = ctx;

	report_audit_row(stdout, p->format, c, p->n++);
	return EXIT_OK;
}

/* --verify: walk the hash chain; exit 9 at the first broken link. */
static int
verify_chain(struct audit *db, struct err *e)
{
	struct chain_report rep;
	int r;

	if ((r = audit_verify(db, &rep, e)) != EXIT_OK)
		return r;
	if (rep.intact) {
		printf("audit trail intact: %lld change rows verified\n",
		    (long long)rep.rows);
		return EXIT_OK;
	}
	printf("audit trail NOT intact after %lld rows: %s\n",
	    (long long)rep.rows, rep.what);
	err_set(e, "audit trail altered: %s", rep.what);
	return EXIT_TAMPERED;
}

/* Pruning writes the database: it takes the run lock first, so it never
 * meets an apply's transaction (and waits for the run with --wait). */
static int
prune(const struct config *cfg, int64_t before, int wait, struct err *e)
{
	struct audit *db = NULL;
	int64_t n = 0;
	char when[21];
	int r, fd = -1;

	if ((r = lock_take(cfg->lock_file, wait, &fd, e)) != EXIT_OK) {
		if (r == EXIT_LOCKED)
			err_prefix(e, "a licsync run is in progress; prune when "
			    "it has ended (or with --wait SECONDS)");
		return r;
	}
	if ((r = audit_open(cfg->database, &db, e)) != EXIT_OK) {
		lock_release(fd);
		return r;
	}
	if ((r = audit_prune(db, before, &n, e)) == EXIT_OK) {
		format_utc(before, when);
		printf("removed %lld change rows finished before %s; the rest "
		    "still verifies from the checkpoint\n", (long long)n, when);
	}
	audit_close(db);
	lock_release(fd);
	return r;
}

int
run_audit(const struct audit_opts *o)
{
	struct config *cfg = NULL;
	struct audit *db = NULL;
	struct audit_filter f;
	struct audit_print p = { o->format, 0 };
	struct err e;
	int r;

	int64_t before;

	if ((r = audit_filter_from(o, &f, &e)) != EXIT_OK)
		goto out;
	if ((r = config_load(o->config_path, &cfg, &e)) != EXIT_OK)
		goto out;
	if (o->prune_before != NULL) {
		if ((r = parse_since("--prune-before", o->prune_before, &before,
		    &e)) != EXIT_OK)
			goto out;
		r = prune(cfg, before, o->wait, &e);
		goto out;
	}
	if ((r = audit_open_readonly(cfg->database, &db, &e)) != EXIT_OK)
		goto out;
	if (o->verify) {
		r = verify_chain(db, &e);
		goto out;
	}
	if (o->runs) {
		report_run_begin(stdout, o->format);
		r = audit_runs(db, &f, print_run, &p, &e);
	} else {
		report_audit_begin(stdout, o->format);
		r = audit_changes(db, &f, print_change, &p, &e);
	}
	if (r == EXIT_OK && report_audit_end(stdout, o->format, p.n) != 0) {
		err_set(&e, "cannot write the report: %s",
		    strerror(errno));
		r = EXIT_USAGE;
	}
out:
	if (r != EXIT_OK)
		log_err(&e);
	audit_close(db);
	config_free(cfg);
	return r;
}
