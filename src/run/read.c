/*
 * read.c - the read stages of a run: the directory's members of every
 * policy group, the backend's SKUs and users with what they hold, and
 * the usage locations to set before assigning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
on_location(void *ctx, uint32_t key, size_t attr, const char *value)
{
	struct locations *l = ctx;
	char code[3];

	(void)attr;
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

int
run_read_directory(struct plan_run *pr, struct err *e)
{
	const char *loc_attr = pr->base.cfg->backend.location_attribute;
	struct dir_user_attrs extra = { &loc_attr, 1, on_location, &pr->dv.loc };
	struct directory *d = NULL;
	int r;

	flatten_groups(pr);
	if ((r = directory_open(&pr->base.cfg->ldap, &d, e)) != EXIT_OK)
		return r;
	r = directory_read(d, pr->keys, pr->dv.gdns, pr->dv.ngdns,
	    loc_attr != NULL ? &extra : NULL, pr->dv.members, &pr->dv.disabled,
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

static int
resolve_skus(struct plan_run *pr, struct err *e)
{
	size_t a, s, b;

	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct app_policy *ap = &pr->base.pol->apps[a];
		struct app_state *as = &pr->apps[a];

		for (s = 0; s < pr->bv.nskus; s++)
			if (ap->sku != NULL ? strcmp(pr->bv.skus[s].id,
			    ap->sku) == 0 : str_ieq(pr->bv.skus[s].part_number,
			    ap->sku_part_number))
				break;
		if (s == pr->bv.nskus) {
			err_set(e, "app '%s': %s %s is not among the tenant's "
			    "subscribed SKUs", ap->name, ap->sku != NULL ?
			    "sku" : "sku_part_number", ap->sku != NULL ?
			    ap->sku : ap->sku_part_number);
			return EXIT_BACKEND;
		}
		as->sku = pr->bv.skus[s].id;
		as->purchased = pr->bv.skus[s].enabled;
		as->consumed = pr->bv.skus[s].consumed;
		for (b = 0; b < a; b++)
			if (strcmp(pr->apps[b].sku, as->sku) == 0) {
				err_set(e, "apps '%s' and '%s' name the same "
				    "SKU %s", pr->base.pol->apps[b].name,
				    ap->name, as->sku);
				return EXIT_CONFIG;
			}
	}
	return EXIT_OK;
}

void
run_set_backend_user(struct plan_run *pr, uint32_t id, uint8_t v)
{
	if (id >= pr->bv.nbu) {
		size_t n = pr->bv.nbu ? pr->bv.nbu : 1024;

		while (n <= id)
			n *= 2;
		pr->bv.bu = xreallocarray(pr->bv.bu, n, 1);
		memset(pr->bv.bu + pr->bv.nbu, 0, n - pr->bv.nbu);
		pr->bv.nbu = n;
	}
	pr->bv.bu[id] = v;
}

static void
set_backend_id(struct plan_run *pr, uint32_t key, uint32_t bid)
{
	if (key >= pr->bv.nbid_of) {
		size_t n = pr->bv.nbid_of ? pr->bv.nbid_of : 1024;

		while (n <= key)
			n *= 2;
		pr->bv.bid_of = xreallocarray(pr->bv.bid_of, n,
		    sizeof(*pr->bv.bid_of));
		memset(pr->bv.bid_of + pr->bv.nbid_of, 0,
		    (n - pr->bv.nbid_of) * sizeof(*pr->bv.bid_of));
		pr->bv.nbid_of = n;
	}
	pr->bv.bid_of[key] = bid + 1;
}

static void
add_holding(struct plan_run *pr, struct app_state *as, uint32_t user,
    const char *group)
{
	struct holder_tmp *h;

	/* One user's licenses arrive together: merge with the last one. */
	if (as->nh > 0 && as->h[as->nh - 1].user == user)
		h = &as->h[as->nh - 1];
	else {
		if (as->nh == as->caph) {
			as->caph = as->caph ? as->caph * 2 : 64;
			as->h = xreallocarray(as->h, as->caph, sizeof(*as->h));
		}
		h = &as->h[as->nh++];
		memset(h, 0, sizeof(*h));
		h->user = user;
	}
	if (group == NULL)
		h->direct = true;
	else if (h->group == 0)
		h->group = intern_add(pr->bv.bgroups, group) + 1;
}

static int
on_user(void *ctx, const struct backend_user *u, struct err *e)
{
	struct plan_run *pr = ctx;
	uint32_t id = intern_add(pr->keys, u->key), bid;
	uint32_t nbids = intern_count(pr->bv.bids);
	size_t i, a;

	/* A list that names a user twice is not a list to count seats
	 * from: its paging is broken, and it may miss others. */
	if (id < pr->bv.nbid_of && pr->bv.bid_of[id] != 0) {
		err_set(e, "the backend listed user %s twice; refusing an "
		    "inconsistent list of users", u->key);
		return EXIT_BACKEND;
	}
	bid = intern_add(pr->bv.bids, u->id);
	if (intern_count(pr->bv.bids) == nbids) {
		err_set(e, "the backend listed the id %s for two users (%s is "
		    "the second); refusing an inconsistent list of users",
		    u->id, u->key);
		return EXIT_BACKEND;
	}
	pr->bv.backend_users++;
	run_set_backend_user(pr, id, u->has_location ? RC_USER_OK :
	    RC_USER_NO_LOCATION);
	set_backend_id(pr, id, bid);
	for (i = 0; i < u->nlicenses; i++)
		for (a = 0; a < pr->base.pol->napps; a++)
			if (str_ieq(u->licenses[i].sku, pr->apps[a].sku))
				add_holding(pr, &pr->apps[a], id,
				    u->licenses[i].group);
	return EXIT_OK;
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
 * backend.usage_location: a user the backend knows without a usage
 * location gets the directory's code, else the default, set before the
 * license is assigned; a directory value that is not a code leaves the
 * user without (and named, if it is needed: check_locations).
 */
void
run_resolve_locations(struct plan_run *pr)
{
	const struct config_backend *b = &pr->base.cfg->backend;
	struct locations *l = &pr->dv.loc;
	uint32_t n = intern_count(pr->keys), k;

	if (b->location_attribute == NULL && b->location_default[0] == '\0')
		return;
	run_set_backend_user(pr, n, 0);
	l->set = xcalloc(n + 1, sizeof(*l->set));
	l->nset = n;
	for (k = 0; k < n; k++) {
		if (pr->bv.bu[k] != RC_USER_NO_LOCATION)
			continue;
		if (bad_location(l, k) >= 0) {
			pr->bv.bu[k] = RC_USER_BAD_LOCATION;
			continue;
		}
		if (k < l->ndir && l->dir[k][0] != '\0')
			memcpy(l->set[k], l->dir[k], 3);
		else if (b->location_default[0] != '\0')
			memcpy(l->set[k], b->location_default, 3);
		else
			continue;
		pr->bv.bu[k] = RC_USER_SET_LOCATION;
	}
}

/* The usage location change C sets before assigning, or NULL. */
const char *
run_change_location(const struct plan_run *pr, const struct rc_change *c)
{
	if (c->action != RC_ASSIGN || c->user >= pr->dv.loc.nset ||
	    pr->dv.loc.set[c->user][0] == '\0')
		return NULL;
	return pr->dv.loc.set[c->user];
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
	    "it in the directory", pr->base.cfg->backend.location_attribute, n,
	    n == 1 ? "" : "s", n == 1 ? "s" : "", who.data,
	    n > 5 ? ", ..." : "");
	buf_free(&who);
	return EXIT_DIRECTORY;
}

/* Open the backend (kept open for apply) and read SKUs and users. */
int
run_read_backend(struct plan_run *pr, struct err *e)
{
	int r;

	pr->bv.ops = backend_find(pr->base.cfg->backend.type);
	if (pr->bv.ops == NULL) {
		err_set(e, "unknown backend type '%s'",
		    pr->base.cfg->backend.type);
		return EXIT_CONFIG;
	}
	if ((r = pr->bv.ops->open(&pr->base.cfg->backend, &pr->bv.be, e)) !=
	    EXIT_OK)
		return r;
	if ((r = pr->bv.ops->list_skus(pr->bv.be, &pr->bv.skus,
	    &pr->bv.nskus, e)) != EXIT_OK)
		return r;
	if ((r = resolve_skus(pr, e)) != EXIT_OK)
		return r;
	return pr->bv.ops->list_users(pr->bv.be, on_user, pr, e);
}
