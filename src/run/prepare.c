/*
 * prepare.c - a run up to its reconciled plan: config, policy, the lock
 * and the run's record, the reads, crash recovery, what was recorded
 * before, reconcile, a reviewed plan, the safety checks; and its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "conf/policy.h"
#include "directory/directory.h"
#include "reconcile/reconcile.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/lock.h"
#include "util/log.h"

int
run_load_records(struct plan_run *pr, struct err *e)
{
	size_t a;
	int r;

	if (pr->base.db == NULL)     /* inspect, before any recorded run */
		return EXIT_OK;
	for (a = 0; a < pr->base.pol->napps; a++) {
		struct app_state *as = &pr->apps[a];

		if ((r = audit_owned(pr->base.db, as->sku, pr->keys, &as->owned,
		    &as->nowned, e)) != EXIT_OK)
			return r;
		if ((r = audit_seen(pr->base.db, as->sku, pr->keys, &as->seen,
		    &as->nseen, e)) != EXIT_OK)
			return r;
		if ((r = audit_unentitled(pr->base.db, as->sku, pr->keys,
		    &as->unentitled, &as->nunentitled, e)) != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

void
run_intern_policy_users(struct plan_run *pr)
{
	const struct policy *p = pr->base.pol;
	size_t a, i;

	pr->protected_ids = xcalloc(p->protected_users.n,
	    sizeof(*pr->protected_ids));
	for (i = 0; i < p->protected_users.n; i++)
		pr->protected_ids[i] = intern_add(pr->keys,
		    p->protected_users.v[i]);
	for (a = 0; a < p->napps; a++) {
		const struct strv *x = &p->apps[a].exclude_users;
		struct app_state *as = &pr->apps[a];

		as->exclude_users = xcalloc(x->n, sizeof(uint32_t));
		for (i = 0; i < x->n; i++)
			as->exclude_users[as->nexclude_users++] =
			    intern_add(pr->keys, x->v[i]);
	}
}

void
run_reconcile(struct plan_run *pr)
{
	size_t napps = pr->base.pol->napps, a, i;
	struct rc_app_input *in = xcalloc(napps, sizeof(*in));
	const uint32_t **gm = xcalloc(pr->dv.ngdns, sizeof(*gm));
	size_t *gn = xcalloc(pr->dv.ngdns, sizeof(*gn));
	struct rc_input rin;

	for (i = 0; i < pr->dv.ngdns; i++) {
		gm[i] = pr->dv.members[i].ids;
		gn[i] = pr->dv.members[i].n;
	}
	/* Every key needs a backend state, unknown by default. */
	for (i = 0; i < pr->nbv; i++)
		run_set_backend_user(&pr->bv[i], intern_count(pr->keys), 0);
	for (a = 0; a < napps; a++) {
		struct app_state *as = &pr->apps[a];
		const struct backend_view *bv = &pr->bv[as->backend];

		as->holders = xcalloc(as->nh, sizeof(*as->holders));
		for (i = 0; i < as->nh; i++) {
			as->holders[i].user = as->h[i].user;
			as->holders[i].direct = as->h[i].direct;
			as->holders[i].group = as->h[i].group == 0 ? NULL :
			    intern_str(bv->bgroups, as->h[i].group - 1);
		}
		in[a].backend_user = bv->bu;
		in[a].policy = &pr->base.pol->apps[a];
		in[a].sku = as->sku;
		in[a].purchased = as->purchased;
		in[a].consumed = as->consumed;
		in[a].groups = gm + as->first_group;
		in[a].ngroups = gn + as->first_group;
		in[a].excl_groups = gm + as->first_excl;
		in[a].nexcl_groups = gn + as->first_excl;
		in[a].exclude_users = as->exclude_users;
		in[a].nexclude_users = as->nexclude_users;
		in[a].holders = as->holders;
		in[a].nholders = as->nh;
		in[a].owned = as->owned;
		in[a].nowned = as->nowned;
		in[a].seen = as->seen;
		in[a].nseen = as->nseen;
		in[a].unentitled = as->unentitled;
		in[a].nunentitled = as->nunentitled;
	}
	memset(&rin, 0, sizeof(rin));
	rin.keys = pr->keys;
	rin.protected_users = pr->protected_ids;
	rin.nprotected = pr->base.pol->protected_users.n;
	rin.disabled_users = pr->dv.disabled.ids;
	rin.ndisabled = pr->dv.disabled.n;
	rin.apps = in;
	rin.napps = napps;
	rin.now = pr->base.now;
	reconcile(&rin, &pr->plan);
	free(in);
	free(gm);
	free(gn);
}

const char **
run_app_skus(struct plan_run *pr)
{
	const char **skus = xcalloc(pr->base.pol->napps, sizeof(*skus));
	size_t a;

	for (a = 0; a < pr->base.pol->napps; a++)
		skus[a] = pr->apps[a].sku;
	return skus;
}

/* The usage location a change sets first (report_ctx.change_location). */
static const char *
report_change_location(const void *ctx, const struct rc_change *c)
{
	return run_change_location(ctx, c);
}

void
run_report_context(struct plan_run *pr, const char **skus, struct report_ctx *rc)
{
	size_t a;

	memset(rc, 0, sizeof(*rc));
	rc->policy = pr->base.pol;
	rc->skus = skus;
	rc->keys = pr->keys;
	rc->plan = &pr->plan;
	rc->dir = &pr->dv.dst;
	rc->user_key = pr->dv.dst.user_key;
	for (a = 0; a < pr->nbv; a++)
		rc->backend_users += pr->bv[a].backend_users;
	rc->results = pr->ap.results;
	rc->now = pr->base.now;
	rc->change_location = report_change_location;
	rc->change_location_ctx = pr;
}

void
run_free(struct plan_run *pr)
{
	size_t a;

	if (pr->apps != NULL)
		for (a = 0; a < pr->base.pol->napps; a++) {
			free(pr->apps[a].h);
			free(pr->apps[a].holders);
			free(pr->apps[a].owned);
			free(pr->apps[a].seen);
			free(pr->apps[a].unentitled);
			free(pr->apps[a].exclude_users);
		}
	free(pr->apps);
	if (pr->ap.results != NULL)
		for (a = 0; a < pr->plan.nchanges; a++) {
			free(pr->ap.results[a].error);
			free(pr->ap.results[a].request_id);
		}
	free(pr->ap.results);
	rc_plan_free(&pr->plan);
	dir_members_free(pr->dv.members, pr->dv.ngdns);
	dir_members_free(&pr->dv.disabled, 1);
	free(pr->dv.members);
	free(pr->dv.gdns);
	free(pr->protected_ids);
	free(pr->dv.loc.dir);
	free(pr->dv.loc.bad);
	for (a = 0; a < pr->dv.loc.nbad; a++)
		free(pr->dv.loc.bad_value[a]);
	free(pr->dv.loc.bad_value);
	free(pr->dv.attrs);
	free(pr->dv.targets);
	run_free_backends(pr);
	directory_close(pr->dv.dir);
	intern_free(pr->keys);
	audit_close(pr->base.db);
	lock_release(pr->base.lock_fd);
	policy_free(pr->base.pol);
	config_free(pr->base.cfg);
}

/* explain and status --live read what was recorded, if anything was. */
static int
open_records(struct plan_run *pr, struct err *e)
{
	if (!audit_exists(pr->base.cfg->database)) {
		log_info("%s: no database yet; nothing recorded to read",
		    pr->base.cfg->database);
		return EXIT_OK;
	}
	return audit_open_readonly(pr->base.cfg->database, &pr->base.db, e);
}

/* Config and policy, logging, and the lock (not for inspect). */
static int
start(struct plan_run *pr, const struct plan_opts *o, enum run_mode mode,
    struct err *e)
{
	int r;

	memset(pr, 0, sizeof(*pr));
	pr->base.t0 = mono_seconds();
	pr->base.started = now_seconds();
	pr->base.now = pr->base.started;
	pr->base.lock_fd = -1;
	pr->base.inspect = mode == RUN_INSPECT;
	pr->base.full_read = o->full_read;
	if ((r = config_load(o->config_path, &pr->base.cfg, e)) != EXIT_OK)
		return r;
	/* Unattended (stdout not a terminal, as under cron or systemd):
	 * diagnostics go to syslog.  LICSYNC_LOG_STDERR keeps them here. */
	log_open(!isatty(STDOUT_FILENO) && getenv("LICSYNC_LOG_STDERR") == NULL,
	    pr->base.cfg->log.facility);
	if ((r = policy_load(pr->base.cfg->policy, &pr->base.pol, e)) != EXIT_OK)
		return r;
	if (pr->base.inspect)
		return open_records(pr, e);
	/* One run at a time: both write the database. */
	if ((r = lock_take(pr->base.cfg->lock_file, o->wait,
	    &pr->base.lock_fd, e)) != EXIT_OK)
		return r;
	return run_begin(pr, mode == RUN_APPLY ? "apply" : "plan", e);
}

int
run_prepare(struct plan_run *pr, const struct plan_opts *o,
    enum run_mode mode, struct err *e)
{
	bool apply = mode == RUN_APPLY;
	int r;

	if ((r = start(pr, o, mode, e)) != EXIT_OK)
		return r;
	pr->keys = intern_new();
	pr->apps = xcalloc(pr->base.pol->napps, sizeof(*pr->apps));
	run_intern_policy_users(pr);
	if ((r = run_plan_backends(pr, e)) != EXIT_OK)
		return r;
	if ((r = run_read(pr, e)) != EXIT_OK)
		return r;
	if (!pr->base.inspect && (r = run_recover(pr, e)) != EXIT_OK)
		return r;
	if ((r = run_load_records(pr, e)) != EXIT_OK)
		return r;
	run_resolve_locations(pr);
	run_reconcile(pr);
	if (pr->base.inspect)
		return EXIT_OK;
	if ((r = run_check_locations(pr, e)) != EXIT_OK)
		return r;
	if (apply && o->plan_file != NULL &&
	    (r = run_reviewed(pr, o, e)) != EXIT_OK)
		return r;
	if ((r = run_safety(pr, o, apply, e)) != EXIT_OK)
		return r;
	return run_record_plan(pr, e);
}
