/*
 * backends.c - the backends' part of a run: which backend each policy
 * app goes to, opening them, each app's license among the backend's,
 * and each backend's users with what they hold.  Every backend is read
 * before anything is changed; one that fails stops the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "conf/policy.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"
#include "util/log.h"

/* "FILE:LINE:COL: app 'NAME': " */
static void
app_where(const struct app_policy *ap, struct buf *b)
{
	buf_printf(b, "%s:%u:%u: app '%s': ", ap->file, ap->line, ap->col,
	    ap->name);
}

static const struct backend_license_key *
license_key_of(const struct backend_ops *ops, const char *key)
{
	const struct backend_license_key *k;

	for (k = ops->license_keys; k->key != NULL; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

/* The policy keys OPS takes, "'sku' or 'sku_part_number'". */
static void
license_keys_text(const struct backend_ops *ops, struct buf *b)
{
	const struct backend_license_key *k;

	for (k = ops->license_keys; k->key != NULL; k++)
		buf_printf(b, "%s'%s'", k == ops->license_keys ? "" :
		    k[1].key == NULL ? " or " : ", ", k->key);
}

static int
check_app(const struct config *cfg, const struct app_policy *ap,
    struct err *e)
{
	const struct config_backend *b = config_backend_named(cfg,
	    ap->backend);
	const struct backend_ops *ops;
	const char *key, *value;
	struct buf m = { 0 };
	int r = EXIT_CONFIG;

	app_where(ap, &m);
	if (b == NULL && ap->backend != NULL) {
		buf_printf(&m, "no backend '%s' in %s", ap->backend, cfg->path);
		goto out;
	}
	if (b == NULL) {
		buf_printf(&m, "%s has several backends: say which with "
		    "'backend'", cfg->path);
		goto out;
	}
	if ((ops = backend_find(b->type)) == NULL) {
		buf_printf(&m, "backend '%s' has unknown type '%s'", b->name,
		    b->type);
		goto out;
	}
	key = policy_license_key(ap, &value);
	if (key != NULL && license_key_of(ops, key) == NULL) {
		buf_printf(&m, "'%s' names no license of backend '%s' (type "
		    "%s): use ", key, b->name, b->type);
		license_keys_text(ops, &m);
		goto out;
	}
	r = EXIT_OK;
out:
	if (r != EXIT_OK)
		err_set(e, "%s", m.data);
	buf_free(&m);
	return r;
}

int
run_check_policy(const struct config *cfg, const struct policy *pol,
    struct err *e)
{
	size_t a;
	int r;

	for (a = 0; a < pol->napps; a++)
		if ((r = check_app(cfg, &pol->apps[a], e)) != EXIT_OK)
			return r;
	return EXIT_OK;
}

int
run_plan_backends(struct plan_run *pr, struct err *e)
{
	const struct config *cfg = pr->base.cfg;
	size_t a, v;
	int r;

	if ((r = run_check_policy(cfg, pr->base.pol, e)) != EXIT_OK)
		return r;
	pr->bv = xcalloc(config_backend_count(cfg), sizeof(*pr->bv));
	pr->bkeys = intern_new();
	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct config_backend *b = config_backend_named(cfg,
		    pr->base.pol->apps[a].backend);

		for (v = 0; v < pr->nbv; v++)
			if (pr->bv[v].cfg == b)
				break;
		if (v == pr->nbv) {
			struct backend_view *bv = &pr->bv[pr->nbv++];

			bv->cfg = b;
			bv->ops = backend_find(b->type);
			bv->bgroups = intern_new();
			bv->bids = intern_new();
			bv->names = intern_new();
		}
		pr->apps[a].backend = v;
	}
	return EXIT_OK;
}

static bool
sku_matches(const struct backend_sku *s, enum backend_match m,
    const char *value)
{
	switch (m) {
	case MATCH_ID:
		return str_ieq(s->id, value);
	case MATCH_NAME:
		return s->part_number != NULL && str_ieq(s->part_number, value);
	case MATCH_ID_OR_NAME:
		return (s->vendor_id != NULL && strcmp(s->vendor_id, value) ==
		    0) || (s->part_number != NULL && str_ieq(s->part_number,
		    value));
	}
	return false;
}

const struct backend_sku *
run_match_license(const struct backend_ops *ops, const struct app_policy *ap,
    const struct backend_sku *skus, size_t nskus, size_t *n)
{
	const char *key, *value;
	const struct backend_sku *hit = NULL;
	size_t s;

	key = policy_license_key(ap, &value);
	*n = 0;
	for (s = 0; s < nskus; s++) {
		if (key != NULL && !sku_matches(&skus[s],
		    license_key_of(ops, key)->match, value))
			continue;
		if ((*n)++ == 0)
			hit = &skus[s];
	}
	return hit;
}

/* App A's license among its backend's. */
static int
resolve_sku(struct plan_run *pr, size_t a, struct err *e)
{
	const struct app_policy *ap = &pr->base.pol->apps[a];
	struct app_state *as = &pr->apps[a];
	const struct backend_view *bv = &pr->bv[as->backend];
	const char *key, *value;
	const struct backend_sku *hit;
	size_t n;

	key = policy_license_key(ap, &value);
	hit = run_match_license(bv->ops, ap, bv->skus, bv->nskus, &n);
	if (key == NULL && n != 1) {
		err_set(e, "%s:%u:%u: app '%s': backend '%s' has %zu licenses: "
		    "name one with '%s'", ap->file, ap->line, ap->col, ap->name,
		    bv->cfg->name, n, bv->ops->license_keys[0].key);
		return EXIT_CONFIG;
	}
	if (hit == NULL) {
		/* the words of a Graph tenant without the SKU */
		if (key == NULL || strcmp(key, "sku") == 0 ||
		    strcmp(key, "sku_part_number") == 0)
			err_set(e, "app '%s': %s %s is not among the tenant's "
			    "subscribed SKUs", ap->name, key, value);
		else
			err_set(e, "app '%s': backend '%s' has no %s '%s'",
			    ap->name, bv->cfg->name, key, value);
		return EXIT_BACKEND;
	}
	if (n > 1) {
		err_set(e, "app '%s': %s '%s' names %zu licenses of backend "
		    "'%s'; name it by id", ap->name, key, value, n,
		    bv->cfg->name);
		return EXIT_BACKEND;
	}
	if (hit->enabled < 0 && !ap->seats_set) {
		err_set(e, "%s:%u:%u: app '%s': backend '%s' counts no seats: "
		    "give the seats bought ('seats: N', or 'seats: "
		    "unlimited')", ap->file, ap->line, ap->col, ap->name,
		    bv->cfg->name);
		return EXIT_CONFIG;
	}
	as->sku = hit->id;
	as->purchased = hit->enabled;
	as->consumed = hit->consumed;
	return EXIT_OK;
}

static int
resolve_skus(struct plan_run *pr, struct err *e)
{
	size_t a, b;
	int r;

	for (a = 0; a < pr->base.pol->napps; a++) {
		struct app_state *as = &pr->apps[a];

		if ((r = resolve_sku(pr, a, e)) != EXIT_OK)
			return r;
		for (b = 0; b < a; b++)
			if (strcmp(pr->apps[b].sku, as->sku) == 0) {
				err_set(e, "apps '%s' and '%s' name the same "
				    "SKU %s", pr->base.pol->apps[b].name,
				    pr->base.pol->apps[a].name, as->sku);
				return EXIT_CONFIG;
			}
	}
	return EXIT_OK;
}

static void
grow_u8(uint8_t **v, size_t *n, size_t id)
{
	size_t m;

	if (id < *n)
		return;
	m = *n ? *n : 1024;
	while (m <= id)
		m *= 2;
	*v = xreallocarray(*v, m, 1);
	memset(*v + *n, 0, m - *n);
	*n = m;
}

void
run_set_backend_user(struct backend_view *bv, uint32_t id, uint8_t v)
{
	grow_u8(&bv->bu, &bv->nbu, id);
	bv->bu[id] = v;
}

static void
set_backend_id(struct backend_view *bv, uint32_t key, uint32_t bid)
{
	if (key >= bv->nbid_of) {
		size_t n = bv->nbid_of ? bv->nbid_of : 1024;

		while (n <= key)
			n *= 2;
		bv->bid_of = xreallocarray(bv->bid_of, n, sizeof(*bv->bid_of));
		memset(bv->bid_of + bv->nbid_of, 0,
		    (n - bv->nbid_of) * sizeof(*bv->bid_of));
		bv->nbid_of = n;
	}
	bv->bid_of[key] = bid + 1;
}

static void
add_holding(struct backend_view *bv, struct app_state *as, uint32_t user,
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
		h->group = intern_add(bv->bgroups, group) + 1;
}

struct user_ctx {
	struct plan_run *pr;
	size_t view;
};

/* One user as the backend lists it, keyed in pr->bkeys: the read runs
 * beside the directory's, so the run's keys are not known yet. */
static int
on_user(void *ctx, const struct backend_user *u, struct err *e)
{
	struct user_ctx *uc = ctx;
	struct plan_run *pr = uc->pr;
	struct backend_view *bv = &pr->bv[uc->view];
	uint32_t id = intern_add(pr->bkeys, u->key), bid;
	uint32_t nbids = intern_count(bv->bids);
	size_t i, a;

	/* A list that names a user twice is not a list to count seats
	 * from: its paging is broken, and it may miss others. */
	if (id < bv->nbid_of && bv->bid_of[id] != 0) {
		err_set(e, "the backend listed user %s twice; refusing an "
		    "inconsistent list of users", u->key);
		return EXIT_BACKEND;
	}
	bid = intern_add(bv->bids, u->id);
	if (intern_count(bv->bids) == nbids) {
		err_set(e, "the backend listed the id %s for two users (%s is "
		    "the second); refusing an inconsistent list of users",
		    u->id, u->key);
		return EXIT_BACKEND;
	}
	bv->backend_users++;
	run_set_backend_user(bv, id, u->unlicensable == NULL ? RC_USER_OK :
	    RC_USER_NO_LOCATION);
	set_backend_id(bv, id, bid);
	for (i = 0; i < u->nlicenses; i++)
		for (a = 0; a < pr->base.pol->napps; a++)
			if (pr->apps[a].backend == uc->view &&
			    str_ieq(u->licenses[i].sku, pr->apps[a].sku))
				add_holding(bv, &pr->apps[a], id,
				    u->licenses[i].group);
	return EXIT_OK;
}

/* The run's key of backend user KEY: with user_name, the directory user
 * whose attribute has it (compared folded); else KEY itself. */
static uint32_t
user_key_id(struct plan_run *pr, const struct backend_view *bv,
    const char *key)
{
	uint32_t id;

	if (bv->cfg->user_name != NULL && intern_find(bv->names, key, &id) &&
	    id < bv->nname_key && bv->name_key[id] != 0)
		return bv->name_key[id] - 1;
	return intern_add(pr->keys, key);
}

/* BV's users from pr->bkeys to the run's keys, now that the directory
 * is read: what the view holds by user, and each app's holders. */
static int
merge_view(struct plan_run *pr, size_t view, struct err *e)
{
	struct backend_view *bv = &pr->bv[view];
	uint32_t nb = intern_count(pr->bkeys), b, k;
	uint32_t *map = xcalloc(nb + 1, sizeof(*map));
	uint8_t *bu = bv->bu;
	uint32_t *bid_of = bv->bid_of;
	size_t nbu = bv->nbu, nbid_of = bv->nbid_of, a, i;
	int r = EXIT_OK;

	bv->bu = NULL;
	bv->bid_of = NULL;
	bv->nbu = bv->nbid_of = 0;
	for (b = 0; b < nb; b++) {
		if (b >= nbid_of || bid_of[b] == 0)
			continue;
		k = map[b] = user_key_id(pr, bv, intern_str(pr->bkeys, b));
		if (k < bv->nbid_of && bv->bid_of[k] != 0) {
			err_set(e, "backend '%s' lists %s and another user for "
			    "the directory's %s; refusing an inconsistent list "
			    "of users", bv->cfg->name,
			    intern_str(pr->bkeys, b), intern_str(pr->keys, k));
			r = EXIT_BACKEND;
			goto out;
		}
		run_set_backend_user(bv, k, b < nbu ? bu[b] : 0);
		set_backend_id(bv, k, bid_of[b] - 1);
	}
	for (a = 0; a < pr->base.pol->napps; a++)
		if (pr->apps[a].backend == view)
			for (i = 0; i < pr->apps[a].nh; i++)
				pr->apps[a].h[i].user =
				    map[pr->apps[a].h[i].user];
out:
	free(map);
	free(bu);
	free(bid_of);
	return r;
}

/* A backend that creates users: every user it does not know can be
 * given a license (and is created first), unless user_name names an
 * attribute the user lacks; only directory users are ever entitled. */
static void
mark_creatable(struct plan_run *pr, struct backend_view *bv)
{
	uint32_t n = intern_count(pr->keys), k;

	if (!bv->ops->creates_users || !bv->cfg->create_users)
		return;
	run_set_backend_user(bv, n, 0);
	for (k = 0; k < n; k++)
		if (bv->bu[k] == RC_USER_UNKNOWN && (bv->cfg->user_name ==
		    NULL || (k < bv->nua && bv->ua[UA_USER_NAME][k] != NULL)))
			bv->bu[k] = RC_USER_CREATE;
}

/* The licenses of BV's apps, for list_users. */
static const char **
view_skus(struct plan_run *pr, size_t view, size_t *n)
{
	const char **v = xcalloc(pr->base.pol->napps + 1, sizeof(*v));
	size_t a;

	*n = 0;
	for (a = 0; a < pr->base.pol->napps; a++)
		if (pr->apps[a].backend == view)
			v[(*n)++] = pr->apps[a].sku;
	return v;
}

/* ---- the tenant's view, kept up to date by reading changes ---- */

struct view_read {
	struct plan_run *pr;
	const char *backend;
	/* a full read: every id once, or the paging is broken */
	struct intern *seen;
};

static int
view_changed(void *ctx, const struct backend_user *u, struct err *e)
{
	struct view_read *vr = ctx;
	uint32_t n;

	if (vr->seen != NULL) {
		n = intern_count(vr->seen);
		if (intern_add(vr->seen, u->id) < n) {
			err_set(e, "the backend listed user %s twice; refusing "
			    "an inconsistent list of users", u->key);
			return EXIT_BACKEND;
		}
	}
	return audit_view_put(vr->pr->base.db, vr->backend, u, e);
}

static int
view_removed(void *ctx, const char *id, struct err *e)
{
	struct view_read *vr = ctx;

	return audit_view_remove(vr->pr->base.db, vr->backend, id, e);
}

/* Why the view must be read whole this run, or NULL. */
static const char *
full_read_reason(const struct plan_run *pr, const struct backend_view *bv,
    const struct view_sync *vs)
{
	if (pr->base.full_read)
		return "--full-read";
	if (vs->link == NULL)
		return "no view of the users kept yet";
	if (vs->stale > 0)
		return "changes failed in ways the kept view did not foresee";
	if (pr->base.now - vs->full_read >= bv->cfg->full_read_every)
		return "the last full read is older than full_read_every";
	return NULL;
}

/*
 * A backend that reads changes: the kept view brought up to date with
 * the changes since its link, or, when that cannot be trusted, read
 * whole; in one transaction with the new link, then every user of it
 * handed on as list_users would.
 */
static int
read_view(struct plan_run *pr, size_t view, struct err *e)
{
	struct backend_view *bv = &pr->bv[view];
	struct audit *db = pr->base.db;
	struct user_ctx uc = { pr, view };
	struct view_read vr = { pr, bv->cfg->name, NULL };
	struct backend_changes ch = { view_changed, view_removed, &vr };
	struct view_sync vs;
	const char *why;
	char *next = NULL;
	bool refused = false;
	int r;

	if ((r = audit_view_sync(db, bv->cfg->name, &vs, e)) != EXIT_OK)
		return r;
	why = full_read_reason(pr, bv, &vs);
	if (why == NULL) {
		if ((r = audit_begin(db, e)) != EXIT_OK)
			goto out;
		r = bv->ops->read_changes(bv->be, vs.link, &ch, &next,
		    &refused, e);
		if (r == EXIT_OK && !refused)
			r = audit_view_set_sync(db, bv->cfg->name, next,
			    vs.full_read, e);
		if (r == EXIT_OK && !refused)
			r = audit_commit(db, e);
		else
			audit_rollback(db);
		if (r != EXIT_OK)
			goto out;
		why = refused ? "the backend refused the delta link" : NULL;
	}
	if (why != NULL) {
		log_info("backend %s: reading every user: %s", bv->cfg->name,
		    why);
		free(next);
		next = NULL;
		if ((r = audit_begin(db, e)) != EXIT_OK)
			goto out;
		r = audit_view_clear(db, bv->cfg->name, e);
		vr.seen = intern_new();
		if (r == EXIT_OK)
			r = bv->ops->read_changes(bv->be, NULL, &ch, &next,
			    &refused, e);
		intern_free(vr.seen);
		vr.seen = NULL;
		if (r == EXIT_OK && refused) {
			err_set(e, "backend %s refused a read of every user",
			    bv->cfg->name);
			r = EXIT_BACKEND;
		}
		if (r == EXIT_OK)
			r = audit_view_set_sync(db, bv->cfg->name, next,
			    pr->base.now, e);
		if (r == EXIT_OK)
			r = audit_commit(db, e);
		else
			audit_rollback(db);
		if (r != EXIT_OK)
			goto out;
	}
	r = audit_view_each(db, bv->cfg->name, on_user, &uc, e);
out:
	free(vs.link);
	free(next);
	return r;
}

/* Open every backend (kept open for apply), then read each one's
 * licenses and users, keyed in pr->bkeys (run_merge_backends). */
int
run_read_backend(struct plan_run *pr, struct err *e)
{
	size_t v, n;
	int r;

	for (v = 0; v < pr->nbv; v++) {
		struct backend_view *bv = &pr->bv[v];

		if ((r = bv->ops->open(bv->cfg, &bv->be, e)) != EXIT_OK)
			return r;
		if ((r = bv->ops->list_skus(bv->be, &bv->skus, &bv->nskus,
		    e)) != EXIT_OK)
			return r;
	}
	if ((r = resolve_skus(pr, e)) != EXIT_OK)
		return r;
	for (v = 0; v < pr->nbv; v++) {
		struct user_ctx uc = { pr, v };
		const char **skus;

		/* a kept view needs a database to keep it in */
		if (pr->bv[v].ops->read_changes != NULL &&
		    pr->base.db != NULL && !pr->base.inspect) {
			if ((r = read_view(pr, v, e)) != EXIT_OK)
				return r;
			continue;
		}
		skus = view_skus(pr, v, &n);
		r = pr->bv[v].ops->list_users(pr->bv[v].be, skus, n, on_user,
		    &uc, e);
		free(skus);
		if (r != EXIT_OK)
			return r;
	}
	return EXIT_OK;
}

int
run_merge_backends(struct plan_run *pr, struct err *e)
{
	size_t v;
	int r;

	for (v = 0; v < pr->nbv; v++) {
		if ((r = merge_view(pr, v, e)) != EXIT_OK)
			return r;
		mark_creatable(pr, &pr->bv[v]);
	}
	intern_free(pr->bkeys);
	pr->bkeys = NULL;
	return EXIT_OK;
}

const struct backend_person *
run_person(const struct backend_view *bv, uint32_t id,
    struct backend_person *out)
{
	memset(out, 0, sizeof(*out));
	if (!bv->ops->creates_users || !bv->cfg->create_users)
		return NULL;
	if (id < bv->nua) {
		out->user_name = bv->ua[UA_USER_NAME][id];
		out->given_name = bv->ua[UA_GIVEN_NAME][id];
		out->family_name = bv->ua[UA_FAMILY_NAME][id];
		out->display_name = bv->ua[UA_DISPLAY_NAME][id];
		out->email = bv->ua[UA_EMAIL][id];
		out->external_id = bv->ua[UA_EXTERNAL_ID][id];
	}
	return out;
}

void
run_free_backends(struct plan_run *pr)
{
	size_t v, i, k;

	for (v = 0; v < pr->nbv; v++) {
		struct backend_view *bv = &pr->bv[v];

		if (bv->be != NULL)
			bv->ops->close(bv->be);
		backend_skus_free(bv->skus, bv->nskus);
		intern_free(bv->bgroups);
		intern_free(bv->bids);
		intern_free(bv->names);
		free(bv->bu);
		free(bv->bid_of);
		free(bv->set);
		free(bv->name_key);
		for (i = 0; i < UA_COUNT; i++) {
			for (k = 0; k < bv->nua; k++)
				free(bv->ua[i][k]);
			free(bv->ua[i]);
		}
	}
	free(pr->bv);
	pr->bv = NULL;
	pr->nbv = 0;
	intern_free(pr->bkeys);
	pr->bkeys = NULL;
}
