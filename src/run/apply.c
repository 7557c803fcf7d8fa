/*
 * apply.c - carrying out a plan through the backend: every change pending
 * in the audit trail before it is sent, each outcome recorded as it
 * arrives and committed once per answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/policy.h"
#include "report/report.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"

struct exec {
	struct plan_run *pr;
	const size_t *plan_index;   /* backend change -> plan change */
	const int64_t *row;         /* plan change -> audit row id */
	size_t uncommitted;
	int db_r;                   /* first database error */
	struct err db_e;
};

static const char *
result_of(enum outcome o)
{
	if (o == OUTCOME_OK)
		return "ok";
	/* nothing to do: only the group can remove it, or it is gone */
	if (o == OUTCOME_INHERITED || o == OUTCOME_NOT_HELD)
		return "skipped";
	return "failed";
}

/*
 * A backend whose users are kept in the database (a delta-read view):
 * what it confirmed is written into the view at once, since a delta
 * read may not say (Graph tracks no change of licenseAssignmentStates);
 * a change that finds the license inherited, or gone already, shows the
 * view wrong, so the next run reads every user.
 */
static int
update_view(struct plan_run *pr, const struct rc_change *ch, enum outcome o,
    struct err *e)
{
	const struct backend_view *bv = &pr->bv[pr->apps[ch->app].backend];

	if (bv->ops->read_changes == NULL || ch->user >= bv->nbid_of ||
	    bv->bid_of[ch->user] == 0)
		return EXIT_OK;
	if (o == OUTCOME_OK)
		return audit_view_license(pr->base.db, bv->cfg->name,
		    intern_str(bv->bids, bv->bid_of[ch->user] - 1),
		    pr->apps[ch->app].sku, ch->action == RC_ASSIGN, e);
	if (o == OUTCOME_INHERITED || o == OUTCOME_NOT_HELD)
		return audit_view_stale(pr->base.db, bv->cfg->name, e);
	return EXIT_OK;
}

/* Record one outcome; on_checkpoint commits them per answer, so a run
 * fsyncs once per $batch answer, not per change. */
static void
on_done(void *ctx, size_t idx, const struct backend_outcome *o)
{
	struct exec *x = ctx;
	struct plan_run *pr = x->pr;
	size_t pi = x->plan_index[idx];
	const struct rc_change *ch = &pr->plan.changes[pi];
	const char *sku = pr->apps[ch->app].sku;
	const char *user = intern_str(pr->keys, ch->user);
	struct change_outcome *co = &pr->ap.results[pi];
	struct change_result cr;
	char *noted = NULL;
	const char *msg = o->message;

	/* a refused assignment may leave the location set: say so */
	if (o->outcome != OUTCOME_OK && o->location_set) {
		noted = xasprintf("%s (the usage location was set to %s)",
		    msg != NULL ? msg : "refused",
		    run_change_location(pr, ch));
		msg = noted;
	}
	co->result = result_of(o->outcome);
	co->outcome = outcome_name(o->outcome);
	co->attempts = o->attempts;
	if (o->outcome != OUTCOME_OK)
		co->error = xasprintf("%s%s%s", o->code != NULL ? o->code : "",
		    o->code != NULL && msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	co->request_id = o->request_id != NULL ? xstrdup(o->request_id) :
	    NULL;
	if (strcmp(co->result, "failed") == 0)
		pr->ap.failed++;
	if (x->db_r != EXIT_OK) {
		free(noted);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	cr.result = co->result;
	cr.outcome = co->outcome;
	cr.error_code = o->code;
	cr.error_message = msg;
	cr.request_id = o->request_id;
	cr.attempts = o->attempts;
	cr.finished = now_seconds();
	x->db_r = audit_result(pr->base.db, x->row[pi], &cr, &x->db_e);
	if (x->db_r == EXIT_OK && (o->outcome == OUTCOME_OK ||
	    o->outcome == OUTCOME_NOT_HELD))
		x->db_r = ch->action == RC_ASSIGN ?
		    audit_own(pr->base.db, sku, user, cr.finished,
		    pr->base.run_id, &x->db_e) :
		    audit_disown(pr->base.db, sku, user, &x->db_e);
	if (x->db_r == EXIT_OK)
		x->db_r = update_view(pr, ch, o->outcome, &x->db_e);
	if (x->db_r == EXIT_OK)
		x->uncommitted++;
	free(noted);
}

/* The outcomes of one answer are durable before more is sent. */
static void
on_checkpoint(void *ctx)
{
	struct exec *x = ctx;

	if (x->db_r != EXIT_OK || x->uncommitted == 0)
		return;
	x->db_r = audit_commit(x->pr->base.db, &x->db_e);
	if (x->db_r == EXIT_OK)
		x->db_r = audit_begin(x->pr->base.db, &x->db_e);
	x->uncommitted = 0;
}

/* Every change of the plan as pending audit rows, before any is sent. */
static int
record_pending(struct plan_run *pr, int64_t *rows, struct err *e)
{
	const struct rc_plan *p = &pr->plan;
	struct change_row *cr = xcalloc(p->nchanges, sizeof(*cr));
	char **why = xcalloc(p->nchanges, sizeof(*why));
	const char **skus = run_app_skus(pr);
	struct report_ctx rc;
	size_t i;
	int r;

	run_report_context(pr, skus, &rc);
	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];

		why[i] = report_reason(&rc, ch);
		cr[i].action = ch->action == RC_ASSIGN ? "assign" : "unassign";
		cr[i].app = pr->base.pol->apps[ch->app].name;
		cr[i].sku = pr->apps[ch->app].sku;
		cr[i].user = intern_str(pr->keys, ch->user);
		cr[i].reason = why[i];
	}
	r = audit_pending(pr->base.db, pr->base.run_id, cr, p->nchanges,
	    now_seconds(), rows, e);
	for (i = 0; i < p->nchanges; i++)
		free(why[i]);
	free(why);
	free(cr);
	free(skus);
	return r;
}

/* Backend VIEW's part of the changes with ACTION, in plan order; a
 * user the backend does not know is created first, as PERSONS say. */
static size_t
backend_changes(struct plan_run *pr, size_t view, enum rc_action action,
    struct backend_change *bc, struct backend_person *persons,
    size_t *plan_index)
{
	const struct rc_plan *p = &pr->plan;
	const struct backend_view *bv = &pr->bv[view];
	size_t i, n = 0;

	for (i = 0; i < p->nchanges; i++) {
		const struct rc_change *ch = &p->changes[i];
		const struct app_policy *ap = &pr->base.pol->apps[ch->app];

		if (ch->action != action || pr->apps[ch->app].backend != view)
			continue;
		memset(&bc[n], 0, sizeof(bc[n]));
		bc[n].user_key = intern_str(pr->keys, ch->user);
		if (ch->user < bv->nbid_of && bv->bid_of[ch->user] != 0)
			bc[n].user_id = intern_str(bv->bids,
			    bv->bid_of[ch->user] - 1);
		else
			bc[n].person = run_person(bv, ch->user, &persons[n]);
		bc[n].sku = pr->apps[ch->app].sku;
		bc[n].add = action == RC_ASSIGN;
		bc[n].disabled_plans = (const char *const *)ap->disabled_plans.v;
		bc[n].ndisabled = ap->disabled_plans.n;
		bc[n].usage_location = run_change_location(pr, ch);
		plan_index[n++] = i;
	}
	return n;
}

/* Unassigns first: they free the seats that assigns take. */
int
run_execute(struct plan_run *pr, struct err *e)
{
	const struct rc_plan *p = &pr->plan;
	struct backend_change *bc = xcalloc(p->nchanges, sizeof(*bc));
	struct backend_person *persons = xcalloc(p->nchanges,
	    sizeof(*persons));
	size_t *plan_index = xcalloc(p->nchanges, sizeof(*plan_index));
	int64_t *rows = xcalloc(p->nchanges, sizeof(*rows));
	static const enum rc_action order[] = { RC_UNASSIGN, RC_ASSIGN };
	struct exec x;
	struct backend_sink sink = { on_done, on_checkpoint, NULL };
	size_t i, v, n;
	int r;

	pr->ap.results = xcalloc(p->nchanges, sizeof(*pr->ap.results));
	if ((r = record_pending(pr, rows, e)) != EXIT_OK)
		goto out;
	memset(&x, 0, sizeof(x));
	x.pr = pr;
	x.plan_index = plan_index;
	x.row = rows;
	sink.ctx = &x;
	for (i = 0; i < 2 * pr->nbv; i++) {
		v = i / 2;
		n = backend_changes(pr, v, order[i % 2], bc, persons,
		    plan_index);
		if (n == 0)
			continue;
		if ((r = audit_begin(pr->base.db, e)) != EXIT_OK)
			goto out;
		r = pr->bv[v].ops->apply(pr->bv[v].be, bc, n, &sink, e);
		if (x.db_r == EXIT_OK)
			x.db_r = audit_commit(pr->base.db, &x.db_e);
		else
			audit_rollback(pr->base.db);
		x.uncommitted = 0;
		if (x.db_r != EXIT_OK) {
			*e = x.db_e;
			r = x.db_r;
		}
		if (r != EXIT_OK)
			goto out;
	}
	r = pr->ap.failed > 0 ? EXIT_PARTIAL : EXIT_OK;
	if (r == EXIT_PARTIAL)
		err_set(e, "%zu change%s failed; see the report and `licsync "
		    "audit --run %lld --result failed`", pr->ap.failed,
		    pr->ap.failed == 1 ? "" : "s", (long long)pr->base.run_id);
out:
	free(bc);
	free(persons);
	free(plan_index);
	free(rows);
	return r;
}
