/*
 * record.c - what a run writes to the audit database: its beginning and
 * end, the group sizes and entitlement clocks its plan leaves, and the
 * seats; then --metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/policy.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/log.h"

static int
record_group_sizes(struct plan_run *pr, struct err *e)
{
	size_t i;
	int r = EXIT_OK;

	for (i = 0; i < pr->dv.ngdns && r == EXIT_OK; i++)
		r = audit_set_group_size(pr->base.db, pr->dv.gdns[i],
		    (long)pr->dv.members[i].n, pr->base.run_id, e);
	return r;
}

/* Ownership ends when the license is gone, however it went. */
static int
forget_gone(struct plan_run *pr, const struct app_state *as, struct err *e)
{
	uint8_t *held = xcalloc(intern_count(pr->keys), 1);
	size_t i;
	int r = EXIT_OK;

	for (i = 0; i < as->nh; i++)
		if (as->h[i].direct)
			held[as->h[i].user] = 1;
	for (i = 0; i < as->nowned && r == EXIT_OK; i++)
		if (!held[as->owned[i]])
			r = audit_disown(pr->base.db, as->sku,
			    intern_str(pr->keys, as->owned[i]), e);
	free(held);
	return r;
}

int
run_record_plan(struct plan_run *pr, struct err *e)
{
	int64_t now = pr->base.now;
	size_t a;
	int r;

	if (pr->sf.skip_record)
		return EXIT_OK;
	if ((r = audit_begin(pr->base.db, e)) != EXIT_OK)
		return r;
	if ((r = record_group_sizes(pr, e)) != EXIT_OK) {
		audit_rollback(pr->base.db);
		return r;
	}
	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct rc_app_summary *s = &pr->plan.apps[a];
		const struct app_state *as = &pr->apps[a];

		r = audit_record_entitled(pr->base.db, as->sku, pr->keys,
		    s->entitled_ids, s->entitled, as->seen, as->nseen, now, e);
		if (r == EXIT_OK)
			r = audit_record_unentitled(pr->base.db, as->sku,
			    pr->keys, s->unentitled, s->nunentitled,
			    as->unentitled, as->nunentitled, e);
		if (r == EXIT_OK)
			r = forget_gone(pr, as, e);
		if (r != EXIT_OK) {
			audit_rollback(pr->base.db);
			return r;
		}
	}
	return audit_commit(pr->base.db, e);
}

int
run_begin(struct plan_run *pr, const char *command, struct err *e)
{
	char chash[65], phash[65], host[256];
	struct run_info ri;
	int r;

	memcpy(chash, pr->base.cfg->sha256, sizeof(chash));
	if ((r = policy_hash(pr->base.pol, phash, e)) != EXIT_OK)
		return r;
	memcpy(pr->base.pv.config, chash, sizeof(chash));
	memcpy(pr->base.pv.policy, phash, sizeof(phash));
	pr->base.pv.created = pr->base.now;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if ((r = audit_open(pr->base.cfg->database, &pr->base.db, e)) != EXIT_OK)
		return r;
	ri.command = command;
	ri.host = host;
	ri.config_sha256 = chash;
	ri.policy_sha256 = phash;
	ri.started = now_seconds();
	return audit_run_begin(pr->base.db, &ri, &pr->base.run_id, e);
}

void
run_end(struct plan_run *pr, int r, const struct err *e)
{
	struct run_result rr;
	struct err e2;
	size_t a;

	memset(&rr, 0, sizeof(rr));
	rr.outcome = run_outcome(r);
	rr.exit_code = r;
	rr.message = r != EXIT_OK ? e->msg : NULL;
	rr.failed = (long)pr->ap.failed;
	rr.forced = pr->sf.forced;
	rr.ended = now_seconds();
	for (a = 0; pr->plan.apps != NULL && a < pr->plan.napps; a++) {
		rr.assigns += (long)pr->plan.apps[a].assign;
		rr.unassigns += (long)pr->plan.apps[a].unassign;
		rr.unfulfilled += (long)pr->plan.apps[a].unfulfilled;
		rr.skipped += (long)pr->plan.apps[a].skipped;
	}
	if (audit_run_end(pr->base.db, pr->base.run_id, &rr, &e2) != EXIT_OK)
		log_err(&e2);
	log_summary("run %lld: %s (exit %d): %ld to assign, %ld to unassign, "
	    "%ld failed, %ld waiting, %ld skipped%s", (long long)pr->base.run_id,
	    rr.outcome, r, rr.assigns, rr.unassigns, rr.failed, rr.unfulfilled,
	    rr.skipped, rr.forced ? ", forced" : "");
}

/*
 * The end of plan and apply: the seats the run leaves (from a whole view
 * the guard trusts), the run's outcome, then --metrics, which tells the
 * outcome whatever it was.
 */
int
run_finish(struct plan_run *pr, const struct plan_opts *o, const char *command,
    int r, struct err *e)
{
	struct err e2;

	if (pr->base.db != NULL && pr->plan.apps != NULL &&
	    (!pr->sf.guard || pr->sf.forced) &&
	    run_record_seats(pr, &e2) != EXIT_OK) {
		if (r == EXIT_OK) {
			r = EXIT_DATABASE;
			*e = e2;
		} else
			log_err(&e2);
	}
	if (pr->base.db != NULL)
		run_end(pr, r, e);
	if (r != EXIT_OK)
		log_err(e);
	if (o->metrics_file != NULL &&
	    run_write_metrics(pr, o->metrics_file, command, r, &e2) !=
	    EXIT_OK) {
		log_err(&e2);
		if (r == EXIT_OK)
			r = EXIT_USAGE;
	}
	return r;
}
