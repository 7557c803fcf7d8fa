/*
 * reviewed.c - apply --plan: carry out exactly the reviewed changes of a
 * saved plan that are still right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "conf/policy.h"
#include "report/saved.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/log.h"

/* A change as the reviewer saw it: setting another usage location first
 * is another change. */
static char *
change_key(const char *action, const char *app, const char *user,
    const char *location)
{
	return xasprintf("%s\n%s\n%s\n%s", action, app, user,
	    location != NULL ? location : "");
}

/* Keep only the live changes that the reviewed plan has; recount. */
static void
keep_reviewed(struct plan_run *pr, const bool *keep)
{
	struct rc_plan *p = &pr->plan;
	size_t i, n = 0, a;

	for (a = 0; a < p->napps; a++)
		p->apps[a].assign = p->apps[a].unassign = 0;
	for (i = 0; i < p->nchanges; i++) {
		if (!keep[i])
			continue;
		p->changes[n] = p->changes[i];
		if (p->changes[n].action == RC_ASSIGN)
			p->apps[p->changes[n].app].assign++;
		else
			p->apps[p->changes[n].app].unassign++;
		n++;
	}
	p->nchanges = n;
}

/*
 * Match the live plan against the reviewed changes PL (N of them): KEEP
 * marks the live changes that were reviewed; DRIFT lists (the first 20
 * of) the reviewed ones the live state no longer calls for, whose number
 * is returned.
 */
static size_t
match_reviewed(struct plan_run *pr, const struct planned *pl, size_t n,
    bool *keep, struct buf *drift)
{
	struct intern *want = intern_new();
	bool *found = xcalloc(n + 1, sizeof(*found));
	size_t i, ndrift = 0;
	uint32_t id;

	for (i = 0; i < n; i++) {
		char *k = change_key(pl[i].action, pl[i].app, pl[i].user,
		    pl[i].usage_location);

		intern_add(want, k);
		free(k);
	}
	for (i = 0; i < pr->plan.nchanges; i++) {
		const struct rc_change *c = &pr->plan.changes[i];
		char *k = change_key(c->action == RC_ASSIGN ? "assign" :
		    "unassign", pr->base.pol->apps[c->app].name,
		    intern_str(pr->keys, c->user), run_change_location(pr, c));

		if (intern_find(want, k, &id)) {
			keep[i] = true;
			found[id] = true;
		}
		free(k);
	}
	for (i = 0; i < n; i++) {
		char *k = change_key(pl[i].action, pl[i].app, pl[i].user,
		    pl[i].usage_location);
		bool hit = intern_find(want, k, &id) && found[id];

		free(k);
		if (hit)
			continue;
		if (ndrift++ < 20)
			buf_printf(drift, "%s%s %s %s", ndrift > 1 ? ", " : "",
			    pl[i].action, pl[i].app, pl[i].user);
	}
	free(found);
	intern_free(want);
	return ndrift;
}

/*
 * apply --plan: carry out exactly the reviewed changes that are still
 * right.  A planned change the live state no longer calls for is drift:
 * refused (exit 5) unless --prune drops it.  Changes the live state calls
 * for that were not reviewed are left for the next run.
 */
int
run_reviewed(struct plan_run *pr, const struct plan_opts *o, struct err *e)
{
	unsigned char key[PLAN_KEY_LEN];
	struct provenance pv;
	struct planned *pl = NULL;
	struct buf drift = { 0 };
	bool *keep = NULL;
	size_t n = 0, ndrift;
	int r;

	if ((r = audit_plan_key(pr->base.db, key, sizeof(key), e)) != EXIT_OK)
		goto out;
	r = saved_read(o->plan_file, key, &pv, &pl, &n, e);
	OPENSSL_cleanse(key, sizeof(key));
	if (r != EXIT_OK)
		goto out;
	r = EXIT_SAFETY;
	if (strcmp(pv.config, pr->base.pv.config) != 0 ||
	    strcmp(pv.policy, pr->base.pv.policy) != 0) {
		err_set(e, "%s: the %s changed since the plan was saved; make "
		    "and review a new plan", o->plan_file,
		    strcmp(pv.config, pr->base.pv.config) != 0 ?
		    "configuration" : "policy");
		goto out;
	}
	keep = xcalloc(pr->plan.nchanges + 1, sizeof(*keep));
	ndrift = match_reviewed(pr, pl, n, keep, &drift);
	if (ndrift > 0 && !o->prune) {
		err_set(e, "%s: %zu planned change%s no longer right (%s%s); "
		    "nothing applied (--prune applies the rest)", o->plan_file,
		    ndrift, ndrift == 1 ? " is" : "s are", drift.data,
		    ndrift > 20 ? ", ..." : "");
		pr->sf.stopped = true;
		goto out;
	}
	if (ndrift > 0)
		log_warning("%s: pruned %zu change%s no longer right: %s%s",
		    o->plan_file, ndrift, ndrift == 1 ? "" : "s", drift.data,
		    ndrift > 20 ? ", ..." : "");
	keep_reviewed(pr, keep);
	r = EXIT_OK;
out:
	free(keep);
	buf_free(&drift);
	saved_free(pl, n);
	return r;
}
