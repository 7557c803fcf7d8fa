/*
 * seat_count.c - the seats of each app after a run, computed from the
 * run's view with its successful changes counted in; recorded with the
 * run and written as --metrics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/policy.h"
#include "reconcile/seats.h"
#include "report/metrics.h"
#include "run/run.h"
#include "store/audit.h"

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

	st->app = xstrdup(pr->base.pol->apps[a].name);
	st->sku = xstrdup(as->sku != NULL ? as->sku : "");
	/* a backend that counts no seats: those the policy says were
	 * bought, -1 for unlimited */
	v[SEAT_PURCHASED] = as->purchased >= 0 ? as->purchased :
	    pr->base.pol->apps[a].seats;
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
	for (i = 0; pr->ap.results != NULL && i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];

		if (c->app == a && pr->ap.results[i].result != NULL &&
		    strcmp(pr->ap.results[i].result, "ok") == 0)
			count_done(v, c, h[c->user]);
	}
}

void
run_seats(struct plan_run *pr, struct app_status *out)
{
	size_t n = intern_count(pr->keys) + 1, a;
	uint8_t *h = xcalloc(n, 1);

	for (a = 0; a < pr->base.pol->napps; a++) {
		memset(&out[a], 0, sizeof(out[a]));
		mark_holders(&pr->apps[a], h, n);
		app_seats(pr, a, h, &out[a]);
	}
	free(h);
}

int
run_record_seats(struct plan_run *pr, struct err *e)
{
	struct app_status *st = xcalloc(pr->base.pol->napps + 1, sizeof(*st));
	int r;

	run_seats(pr, st);
	r = audit_record_seats(pr->base.db, pr->base.run_id, st,
	    pr->base.pol->napps, e);
	app_status_free(st, pr->base.pol->napps);
	return r;
}

/* Count changes by app, action and result into M (grown as needed). */
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
	m.run = pr->base.run_id;
	m.outcome = run_outcome(r);
	m.exit_code = r;
	m.ended = (double)now_seconds();
	m.duration = mono_seconds() - pr->base.t0;
	for (i = 0; pr->plan.apps != NULL && i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];
		const char *res = "planned";

		if (pr->ap.results != NULL)
			res = pr->ap.results[i].result != NULL ?
			    pr->ap.results[i].result : "pending";
		metrics_count_change(&ch, &nch, pr->base.pol->apps[c->app].name,
		    c->action == RC_ASSIGN ? "assign" : "unassign", res);
	}
	/* seats only from a whole view the guard trusts */
	if (pr->plan.apps != NULL && (!pr->sf.guard || pr->sf.forced)) {
		napps = pr->base.pol->napps;
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
