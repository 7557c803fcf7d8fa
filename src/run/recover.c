/*
 * recover.c - changes a killed run left pending get their true outcome
 * from what the backend holds now, before this run plans.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/policy.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/log.h"

struct recovery {
	struct plan_run *pr;
	struct err *e;
	size_t resolved;
};

/* Does the backend show USER holding SKU directly, as read this run? */
static bool
holds_direct(struct plan_run *pr, const struct app_state *as, uint32_t user)
{
	size_t i;

	(void)pr;
	for (i = 0; i < as->nh; i++)
		if (as->h[i].user == user)
			return as->h[i].direct;
	return false;
}

static int
resolve_pending(void *ctx, int64_t id, const char *action, const char *sku,
    const char *user)
{
	struct recovery *rv = ctx;
	struct plan_run *pr = rv->pr;
	struct change_result cr;
	bool assign = strcmp(action, "assign") == 0, done;
	const struct app_state *as = NULL;
	uint32_t u = 0;
	size_t a;
	int r;

	for (a = 0; a < pr->base.pol->napps; a++)
		if (str_ieq(pr->apps[a].sku, sku))
			as = &pr->apps[a];
	memset(&cr, 0, sizeof(cr));
	cr.finished = pr->base.now;
	if (as == NULL) {
		cr.result = "failed";
		cr.outcome = "unknown";
		cr.error_message = "interrupted run; the SKU is no longer in "
		    "the policy, so the outcome was not checked";
		return audit_result(pr->base.db, id, &cr, rv->e);
	}
	done = intern_find(pr->keys, user, &u) && holds_direct(pr, as, u);
	if (!assign)
		done = !done;
	cr.result = done ? "ok" : "failed";
	cr.outcome = done ? "recovered" : "not_applied";
	cr.error_message = done ? NULL : "interrupted run; the backend shows "
	    "the change was not made";
	if ((r = audit_result(pr->base.db, id, &cr, rv->e)) != EXIT_OK)
		return r;
	rv->resolved++;
	if (done && assign)
		return audit_own(pr->base.db, as->sku, user, pr->base.now,
		    pr->base.run_id, rv->e);
	if (done)
		return audit_disown(pr->base.db, as->sku, user, rv->e);
	return EXIT_OK;
}

/* Changes a killed run left pending get their true outcome from what the
 * backend holds now, before ownership is read for this run's plan. */
int
run_recover(struct plan_run *pr, struct err *e)
{
	struct recovery rv = { pr, e, 0 };
	int r;

	if ((r = audit_begin(pr->base.db, e)) != EXIT_OK)
		return r;
	r = audit_unresolved(pr->base.db, pr->base.run_id, resolve_pending, &rv,
	    e);
	if (r != EXIT_OK) {
		audit_rollback(pr->base.db);
		return r;
	}
	if (rv.resolved > 0)
		log_warning("resolved %zu change%s left pending by an "
		    "interrupted run", rv.resolved, rv.resolved == 1 ? "" :
		    "s");
	return audit_commit(pr->base.db, e);
}
