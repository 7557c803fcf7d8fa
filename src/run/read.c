/*
 * read.c - the directory's part of a run: the members of every policy
 * group, the user attributes the backends need (usage location,
 * userName, who to create), and the usage locations to set before
 * assigning.  The backends' part is backends.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "conf/country.h"
#include "conf/policy.h"
#include "directory/directory.h"
#include "run/run.h"
#include "run/stages.h"

static void
flatten_groups(struct plan_run *pr)
{
	size_t a, i, n = 0;

	for (a = 0; a < pr->base.pol->napps; a++)
		n += pr->base.pol->apps[a].groups.n +
		    pr->base.pol->apps[a].exclude_groups.n;
	pr->dv.gdns = xcalloc(n, sizeof(*pr->dv.gdns));
	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct app_policy *ap = &pr->base.pol->apps[a];

		pr->apps[a].first_group = pr->dv.ngdns;
		for (i = 0; i < ap->groups.n; i++)
			pr->dv.gdns[pr->dv.ngdns++] = ap->groups.v[i];
		pr->apps[a].first_excl = pr->dv.ngdns;
		for (i = 0; i < ap->exclude_groups.n; i++)
			pr->dv.gdns[pr->dv.ngdns++] = ap->exclude_groups.v[i];
	}
	pr->dv.members = xcalloc(n, sizeof(*pr->dv.members));
}

/* The directory's usage location of user KEY: a code, or a value that
 * is none, kept to be named if it is ever needed. */
static void
on_location(struct locations *l, uint32_t key, const char *value)
{
	char code[3];

	if (key >= l->ndir) {
		size_t n = l->ndir ? l->ndir : 1024;

		while (n <= key)
			n *= 2;
		l->dir = xreallocarray(l->dir, n, sizeof(*l->dir));
		memset(l->dir + l->ndir, 0, (n - l->ndir) * sizeof(*l->dir));
		l->ndir = n;
	}
	if (country_code(value, code)) {
		memcpy(l->dir[key], code, sizeof(code));
		return;
	}
	l->bad = xreallocarray(l->bad, l->nbad + 1, sizeof(*l->bad));
	l->bad_value = xreallocarray(l->bad_value, l->nbad + 1,
	    sizeof(*l->bad_value));
	l->bad[l->nbad] = key;
	l->bad_value[l->nbad++] = xstrdup(value);
}

/* One of a backend's user attributes: the first value is kept, and a
 * userName is also looked up by. */
static void
on_backend_attr(struct backend_view *bv, int slot, uint32_t key,
    const char *value)
{
	size_t i;

	if (key >= bv->nua) {
		size_t n = bv->nua ? bv->nua : 1024;

		while (n <= key)
			n *= 2;
		for (i = 0; i < UA_COUNT; i++) {
			bv->ua[i] = xreallocarray(bv->ua[i], n,
			    sizeof(*bv->ua[i]));
			memset(bv->ua[i] + bv->nua, 0,
			    (n - bv->nua) * sizeof(*bv->ua[i]));
		}
		bv->nua = n;
	}
	if (bv->ua[slot][key] != NULL)
		return;
	bv->ua[slot][key] = xstrdup(value);
	if (slot == UA_USER_NAME) {
		uint32_t id = intern_add(bv->names, value);

		if (id >= bv->nname_key) {
			size_t n = bv->nname_key ? bv->nname_key : 1024;

			while (n <= id)
				n *= 2;
			bv->name_key = xreallocarray(bv->name_key, n,
			    sizeof(*bv->name_key));
			memset(bv->name_key + bv->nname_key, 0,
			    (n - bv->nname_key) * sizeof(*bv->name_key));
			bv->nname_key = n;
		}
		/* two users with one userName: the first keeps it */
		if (bv->name_key[id] == 0)
			bv->name_key[id] = key + 1;
	}
}

static void
on_attr(void *ctx, uint32_t key, size_t attr, const char *value)
{
	struct plan_run *pr = ctx;
	const struct attr_target *t = &pr->dv.targets[attr];

	if (t->slot < 0)
		on_location(&pr->dv.loc, key, value);
	else
		on_backend_attr(&pr->bv[t->view], t->slot, key, value);
}

static void
want_attr(struct dir_view *dv, const char *name, size_t view, int slot)
{
	if (name == NULL)
		return;
	dv->attrs = xreallocarray(dv->attrs, dv->nattrs + 1,
	    sizeof(*dv->attrs));
	dv->targets = xreallocarray(dv->targets, dv->nattrs + 1,
	    sizeof(*dv->targets));
	dv->attrs[dv->nattrs] = name;
	dv->targets[dv->nattrs].view = view;
	dv->targets[dv->nattrs++].slot = slot;
}

/*
 * The user attributes to read: one usage location attribute for every
 * backend that sets locations, and each backend's userName and, if it
 * creates users, who they are.
 */
static int
collect_attrs(struct plan_run *pr, struct err *e)
{
	struct dir_view *dv = &pr->dv;
	size_t v;

	for (v = 0; v < pr->nbv; v++) {
		const struct config_backend *b = pr->bv[v].cfg;
		const struct scim_attributes *a = &b->attrs;

		if (b->location_attribute != NULL) {
			if (dv->loc.attribute == NULL) {
				dv->loc.attribute = b->location_attribute;
				want_attr(dv, b->location_attribute, v, -1);
			} else if (strcasecmp(dv->loc.attribute,
			    b->location_attribute) != 0) {
				err_set(e, "%s: backends '%s' and '%s' read "
				    "the usage location from different "
				    "directory attributes", pr->base.cfg->path,
				    pr->bv[0].cfg->name, b->name);
				return EXIT_CONFIG;
			}
		}
		want_attr(dv, b->user_name, v, UA_USER_NAME);
		if (!pr->bv[v].ops->creates_users || !b->create_users)
			continue;
		want_attr(dv, a->given_name, v, UA_GIVEN_NAME);
		want_attr(dv, a->family_name, v, UA_FAMILY_NAME);
		want_attr(dv, a->display_name, v, UA_DISPLAY_NAME);
		want_attr(dv, a->email, v, UA_EMAIL);
		want_attr(dv, a->external_id, v, UA_EXTERNAL_ID);
	}
	return EXIT_OK;
}

static int
read_directory(struct plan_run *pr, struct err *e)
{
	struct dir_user_attrs extra = { NULL, 0, on_attr, pr };
	struct directory *d = NULL;
	int r;

	extra.names = pr->dv.attrs;
	extra.n = pr->dv.nattrs;
	if ((r = directory_open(&pr->base.cfg->ldap, &d, e)) != EXIT_OK)
		return r;
	r = directory_read(d, pr->keys, pr->dv.gdns, pr->dv.ngdns,
	    extra.n > 0 ? &extra : NULL, pr->dv.members, &pr->dv.disabled,
	    &pr->dv.dst, e);
	/* explain follows group paths through what was read (with nesting:
	 * in-chain, read for it now) */
	if (r == EXIT_OK && pr->base.inspect)
		r = directory_walk_groups(d, pr->dv.gdns, pr->dv.ngdns, e);
	if (pr->base.inspect)
		pr->dv.dir = d;
	else
		directory_close(d);
	return r;
}

struct backend_job {
	struct plan_run *pr;
	struct err e;
	int r;
};

static void *
backend_job(void *arg)
{
	struct backend_job *j = arg;

	j->r = run_read_backend(j->pr, &j->e);
	return NULL;
}

/*
 * The directory here, the backends in a second thread: a run costs the
 * slower of the two reads, not their sum.  They share nothing while they
 * run (the backends key their users apart, pr->bkeys); a directory
 * failure is reported first, as it would have been read first, and
 * nothing is changed either way.
 */
int
run_read(struct plan_run *pr, struct err *e)
{
	struct backend_job job;
	struct err de = { "" };
	pthread_t t;
	bool threaded;
	int rd;

	flatten_groups(pr);
	if ((rd = collect_attrs(pr, e)) != EXIT_OK)
		return rd;
	memset(&job, 0, sizeof(job));
	job.pr = pr;
	threaded = pthread_create(&t, NULL, backend_job, &job) == 0;
	rd = read_directory(pr, &de);
	if (threaded)
		pthread_join(t, NULL);
	else if (rd == EXIT_OK)
		job.r = run_read_backend(pr, &job.e);
	if (rd != EXIT_OK) {
		*e = de;
		return rd;
	}
	if (job.r != EXIT_OK) {
		*e = job.e;
		return job.r;
	}
	return run_merge_backends(pr, e);
}

static ssize_t
bad_location(const struct locations *l, uint32_t key)
{
	size_t i;

	for (i = 0; i < l->nbad; i++)
		if (l->bad[i] == key)
			return (ssize_t)i;
	return -1;
}

/*
 * backend.usage_location: a user a backend knows without a usage
 * location gets the directory's code, else the backend's default, set
 * before the license is assigned; a directory value that is not a code
 * leaves the user without (and named, if it is needed:
 * check_locations).
 */
void
run_resolve_locations(struct plan_run *pr)
{
	struct locations *l = &pr->dv.loc;
	uint32_t n = intern_count(pr->keys), k;
	size_t v;

	for (v = 0; v < pr->nbv; v++) {
		struct backend_view *bv = &pr->bv[v];
		const struct config_backend *b = bv->cfg;

		if (b->location_attribute == NULL &&
		    b->location_default[0] == '\0')
			continue;
		run_set_backend_user(bv, n, 0);
		bv->set = xcalloc(n + 1, sizeof(*bv->set));
		bv->nset = n;
		for (k = 0; k < n; k++) {
			if (bv->bu[k] != RC_USER_NO_LOCATION)
				continue;
			if (bad_location(l, k) >= 0) {
				bv->bu[k] = RC_USER_BAD_LOCATION;
				continue;
			}
			if (b->location_attribute != NULL && k < l->ndir &&
			    l->dir[k][0] != '\0')
				memcpy(bv->set[k], l->dir[k], 3);
			else if (b->location_default[0] != '\0')
				memcpy(bv->set[k], b->location_default, 3);
			else
				continue;
			bv->bu[k] = RC_USER_SET_LOCATION;
		}
	}
}

/* The usage location change C sets before assigning, or NULL. */
const char *
run_change_location(const struct plan_run *pr, const struct rc_change *c)
{
	const struct backend_view *bv = &pr->bv[pr->apps[c->app].backend];

	if (c->action != RC_ASSIGN || c->user >= bv->nset ||
	    bv->set[c->user][0] == '\0')
		return NULL;
	return bv->set[c->user];
}

const char *
run_user_location(const struct plan_run *pr, uint32_t id)
{
	size_t v;

	for (v = 0; v < pr->nbv; v++)
		if (id < pr->bv[v].nset && pr->bv[v].set[id][0] != '\0')
			return pr->bv[v].set[id];
	return NULL;
}

/* A user who needs a usage location whose directory value is not a code
 * stops the run: setting a wrong country, or the default in its place,
 * would be worse than waiting for the directory to be fixed. */
int
run_check_locations(struct plan_run *pr, struct err *e)
{
	struct buf who = { 0 };
	size_t i, n = 0;
	ssize_t j;
	uint32_t last = UINT32_MAX;

	for (i = 0; i < pr->plan.nskipped; i++) {
		const struct rc_skip *k = &pr->plan.skipped[i];

		if (k->reason != RC_SKIP_BAD_LOCATION || k->user == last)
			continue;
		last = k->user;
		if (n++ >= 5)
			continue;
		j = bad_location(&pr->dv.loc, k->user);
		buf_printf(&who, "%s%s '%.40s'", n > 1 ? ", " : "",
		    intern_str(pr->keys, k->user), j >= 0 ?
		    pr->dv.loc.bad_value[j] : "?");
	}
	if (n == 0)
		return EXIT_OK;
	err_set(e, "directory attribute '%s' (backend.usage_location) holds no "
	    "ISO 3166 country code for %zu user%s who need%s one: %s%s; fix "
	    "it in the directory", pr->dv.loc.attribute, n,
	    n == 1 ? "" : "s", n == 1 ? "s" : "", who.data,
	    n > 5 ? ", ..." : "");
	buf_free(&who);
	return EXIT_DIRECTORY;
}
