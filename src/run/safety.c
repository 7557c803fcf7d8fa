/*
 * safety.c - the safety limits and the group guard: the reasons a plan
 * must not be applied without --force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/policy.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/log.h"

static void
limit_text(struct buf *b, const struct limit *l, size_t holders)
{
	if (l->percent)
		buf_printf(b, "%ld%% of %zu holders = %ld", l->value, holders,
		    limit_value(l, holders));
	else
		buf_printf(b, "%ld", l->value);
}

/* One limit of one app; appends to WHY when the plan exceeds it. */
static void
check_limit(const char *app, const char *what, const struct limit *own,
    const struct limit *global, size_t count, size_t holders,
    struct buf *why)
{
	const struct limit *l = own->set ? own : global;

	if (!l->set || (long)count <= limit_value(l, holders))
		return;
	buf_printf(why, "%sapp '%s' would %s %zu users, more than %s",
	    why->len > 0 ? "; " : "", app, what, count, own->set ?
	    "its max_" : "safety.max_");
	buf_addstr(why, strcmp(what, "assign") == 0 ? "assign " : "unassign ");
	limit_text(why, l, holders);
}

/*
 * The reasons this plan must not be applied without --force: safety
 * limits, and policy groups that were populated on the last recorded run
 * and are empty now (an outage or a renamed OU read as empty groups).
 */
static int
safety_reasons(struct plan_run *pr, struct buf *why, bool *guard,
    struct err *e)
{
	size_t a, i;
	long last;
	int r;

	*guard = false;
	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct app_policy *ap = &pr->base.pol->apps[a];
		const struct rc_app_summary *s = &pr->plan.apps[a];

		check_limit(ap->name, "unassign", &ap->max_unassign,
		    &pr->base.cfg->safety.max_unassign, s->unassign, s->holding,
		    why);
		check_limit(ap->name, "assign", &ap->max_assign,
		    &pr->base.cfg->safety.max_assign, s->assign, s->holding,
		    why);
	}
	for (i = 0; i < pr->dv.ngdns; i++) {
		if (pr->dv.members[i].n > 0)
			continue;
		if ((r = audit_group_size(pr->base.db, pr->dv.gdns[i], &last,
		    e)) != EXIT_OK)
			return r;
		if (last <= 0)
			continue;
		*guard = true;
		buf_printf(why, "%spolicy group '%s' had %ld users on the last "
		    "run and has none now", why->len > 0 ? "; " : "",
		    pr->dv.gdns[i], last);
	}
	return EXIT_OK;
}

/*
 * A plan that trips a safety limit or the group guard: apply stops with
 * exit 5 unless forced; plan warns.  Nothing is recorded from a view the
 * guard distrusts, so an outage cannot reset entitlement history.
 */
int
run_safety(struct plan_run *pr, const struct plan_opts *o, bool apply,
    struct err *e)
{
	struct buf why = { 0 };
	bool guard;
	int r;

	if ((r = safety_reasons(pr, &why, &guard, e)) != EXIT_OK)
		goto out;
	pr->sf.guard = guard;
	if (why.len == 0)
		goto out;
	if (o->force) {
		log_warning("safety limits overridden by --force: %s",
		    why.data);
		pr->sf.forced = true;
	} else if (apply) {
		err_set(e, "safety stop, nothing applied: %s (apply --force "
		    "overrides)", why.data);
		pr->sf.stopped = true;
		r = EXIT_SAFETY;
	} else {
		log_warning("apply would stop: %s", why.data);
		pr->sf.skip_record = guard;
	}
out:
	buf_free(&why);
	return r;
}
