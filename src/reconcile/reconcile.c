/*
 * reconcile.c - the plan, computed from the policy's entitlements, the
 * backend's holders and what the database records.  Works on interned key
 * ids with per-key arrays, so a million users cost a few linear passes.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/reconcile.h"

#define EXCL_USER UINT32_MAX

enum { F_PROTECTED = 1, F_OWNED = 2, F_DISABLED = 4 };

/* Per-key scratch arrays, reused for each app. */
struct scratch {
	uint32_t n;
	uint32_t *via;          /* policy group index + 1 */
	uint32_t *excl;         /* exclude group index + 1, or EXCL_USER */
	uint32_t *hidx;         /* holder index + 1 */
	uint8_t *flags;
	int64_t *seen;          /* 0: not recorded */
	int64_t *since;         /* not entitled since; 0: not recorded */
};

struct growing {
	void *v;
	size_t n, cap, size;
};

static void *
grow(struct growing *g)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->v = xreallocarray(g->v, g->cap, g->size);
	}
	return (char *)g->v + g->size * g->n++;
}

static int
cmp_key(uint32_t a, uint32_t b, const struct intern *keys)
{
	return strcmp(intern_str(keys, a), intern_str(keys, b));
}

static int
cmp_change(const void *pa, const void *pb, void *keys)
{
	const struct rc_change *a = pa, *b = pb;

	if (a->action != b->action)
		return a->action == RC_UNASSIGN ? -1 : 1;
	return cmp_key(a->user, b->user, keys);
}

static int
cmp_kept(const void *pa, const void *pb, void *keys)
{
	return cmp_key(((const struct rc_kept *)pa)->user,
	    ((const struct rc_kept *)pb)->user, keys);
}

static int
cmp_skip(const void *pa, const void *pb, void *keys)
{
	return cmp_key(((const struct rc_skip *)pa)->user,
	    ((const struct rc_skip *)pb)->user, keys);
}

struct cand {
	int64_t first;
	uint32_t user;
	uint32_t via;
};

static int
cmp_cand(const void *pa, const void *pb, void *keys)
{
	const struct cand *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return cmp_key(a->user, b->user, keys);
}

static void
mark_app(struct scratch *s, const struct rc_input *in,
    const struct rc_app_input *a)
{
	size_t g, i;

	memset(s->via, 0, s->n * sizeof(*s->via));
	memset(s->excl, 0, s->n * sizeof(*s->excl));
	memset(s->hidx, 0, s->n * sizeof(*s->hidx));
	memset(s->seen, 0, s->n * sizeof(*s->seen));
	memset(s->since, 0, s->n * sizeof(*s->since));
	memset(s->flags, 0, s->n);
	for (g = a->policy->groups.n; g-- > 0;)
		for (i = 0; i < a->ngroups[g]; i++)
			s->via[a->groups[g][i]] = (uint32_t)g + 1;
	for (i = 0; i < a->nexclude_users; i++)
		s->excl[a->exclude_users[i]] = EXCL_USER;
	for (g = a->policy->exclude_groups.n; g-- > 0;)
		for (i = 0; i < a->nexcl_groups[g]; i++)
			s->excl[a->excl_groups[g][i]] = (uint32_t)g + 1;
	for (i = 0; i < a->nholders; i++)
		s->hidx[a->holders[i].user] = (uint32_t)i + 1;
	for (i = 0; i < in->nprotected; i++)
		s->flags[in->protected_users[i]] |= F_PROTECTED;
	for (i = 0; i < in->ndisabled; i++)
		s->flags[in->disabled_users[i]] |= F_DISABLED;
	for (i = 0; i < a->nowned; i++)
		s->flags[a->owned[i]] |= F_OWNED;
	for (i = 0; i < a->nseen; i++)
		s->seen[a->seen[i].user] = a->seen[i].first;
	for (i = 0; i < a->nunentitled; i++)
		s->since[a->unentitled[i].user] = a->unentitled[i].first;
}

static bool
is_entitled(const struct scratch *s, uint32_t u)
{
	return s->via[u] != 0 && s->excl[u] == 0 &&
	    !(s->flags[u] & F_DISABLED);
}

static void
not_entitled_cause(const struct scratch *s, uint32_t u, enum rc_cause *cause,
    uint32_t *arg)
{
	*arg = 0;
	if (s->flags[u] & F_DISABLED)
		*cause = RC_DISABLED;
	else if (s->via[u] == 0)
		*cause = RC_NOT_IN_GROUPS;
	else if (s->excl[u] == EXCL_USER)
		*cause = RC_EXCLUDED_USER;
	else {
		*cause = RC_EXCLUDED_GROUP;
		*arg = s->excl[u] - 1;
	}
}

struct app_out {
	struct growing changes, kept, skipped, cands, entitled, unentitled;
};

static void
add_kept(struct app_out *o, uint32_t app, uint32_t u,
    enum rc_keep_reason why, const struct scratch *s, const char *group)
{
	struct rc_kept *k = grow(&o->kept);

	memset(k, 0, sizeof(*k));
	k->app = app;
	k->user = u;
	k->reason = why;
	k->group = group;
	k->entitled = is_entitled(s, u);
	if (!k->entitled)
		not_entitled_cause(s, u, &k->cause, &k->arg);
}

static enum rc_skip_reason
skip_reason(uint8_t backend_user)
{
	switch (backend_user) {
	case RC_USER_NO_LOCATION:
		return RC_SKIP_NO_LOCATION;
	case RC_USER_BAD_LOCATION:
		return RC_SKIP_BAD_LOCATION;
	default:
		return RC_SKIP_UNKNOWN_USER;
	}
}

/* Decide one user of one app; returns the number of seats it frees. */
static long
decide(const struct rc_input *in, const struct rc_app_input *a, uint32_t app,
    const struct scratch *s, uint32_t u, struct app_out *o)
{
	const uint8_t *bu = a->backend_user != NULL ? a->backend_user :
	    in->backend_user;
	bool entitled = is_entitled(s, u);
	const struct rc_holder *h = s->hidx[u] ? &a->holders[s->hidx[u] - 1] :
	    NULL;
	struct rc_change *c;
	struct rc_seen *un;
	int64_t since;

	if (entitled)
		*(uint32_t *)grow(&o->entitled) = u;
	if (entitled && h != NULL)
		return 0;
	if (entitled) {
		if (s->flags[u] & F_PROTECTED) {
			add_kept(o, app, u, RC_KEEP_PROTECTED, s, NULL);
		} else if (bu[u] != RC_USER_OK &&
		    bu[u] != RC_USER_SET_LOCATION && bu[u] != RC_USER_CREATE) {
			struct rc_skip *k = grow(&o->skipped);

			k->app = app;
			k->user = u;
			k->reason = skip_reason(bu[u]);
		} else {
			struct cand *k = grow(&o->cands);

			k->user = u;
			k->via = s->via[u] - 1;
			k->first = s->seen[u] ? s->seen[u] : in->now;
		}
		return 0;
	}
	if (h == NULL)
		return 0;
	if (!h->direct) {
		add_kept(o, app, u, RC_KEEP_INHERITED, s, h->group);
		return 0;
	}
	if (s->flags[u] & F_PROTECTED) {
		add_kept(o, app, u, RC_KEEP_PROTECTED, s, NULL);
		return 0;
	}
	since = s->since[u] ? s->since[u] : in->now;
	un = grow(&o->unentitled);
	un->user = u;
	un->first = since;
	if (a->policy->remove == REMOVE_NEVER) {
		add_kept(o, app, u, RC_KEEP_REMOVE_NEVER, s, NULL);
		return 0;
	}
	if (a->policy->remove == REMOVE_OWNED && !(s->flags[u] & F_OWNED)) {
		add_kept(o, app, u, RC_KEEP_NOT_OWNED, s, NULL);
		return 0;
	}
	if (in->now < since + a->policy->grace) {
		add_kept(o, app, u, RC_KEEP_GRACE, s, NULL);
		((struct rc_kept *)o->kept.v)[o->kept.n - 1].due = since +
		    a->policy->grace;
		return 0;
	}
	c = grow(&o->changes);
	c->app = app;
	c->action = RC_UNASSIGN;
	c->user = u;
	not_entitled_cause(s, u, &c->cause, &c->arg);
	/* A license also inherited from a group keeps its seat. */
	return h->group == NULL ? 1 : 0;
}

static void
seat_assigns(const struct rc_app_input *a, uint32_t app, long freed,
    struct app_out *o, struct rc_app_summary *sum, void *keys)
{
	struct cand *cands = o->cands.v;
	long capacity = a->purchased, in_use, avail;
	size_t i;

	/* purchased -1: the backend counts no seats; with no cap in the
	 * policy either (seats: unlimited), capacity -1 is no limit */
	if (a->policy->seats >= 0 && (capacity < 0 ||
	    a->policy->seats < capacity))
		capacity = a->policy->seats;
	in_use = a->consumed > (long)a->nholders ? a->consumed :
	    (long)a->nholders;
	avail = capacity < 0 ? LONG_MAX : capacity - in_use + freed;
	if (avail < 0)
		avail = 0;
	sum->capacity = capacity;
	sum->in_use = in_use;
	if (o->cands.n > 0)
		qsort_r(cands, o->cands.n, sizeof(*cands), cmp_cand,
		    keys);
	sum->waiting = xcalloc(o->cands.n, sizeof(*sum->waiting));
	for (i = 0; i < o->cands.n; i++) {
		if ((long)i < avail) {
			struct rc_change *c = grow(&o->changes);

			c->app = app;
			c->action = RC_ASSIGN;
			c->user = cands[i].user;
			c->cause = RC_NOT_IN_GROUPS;
			c->arg = cands[i].via;
			sum->assign++;
		} else {
			sum->waiting[sum->unfulfilled++] = cands[i].user;
		}
	}
}

static void
append(struct growing *dst, struct growing *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		memcpy(grow(dst), (char *)src->v + i * src->size, src->size);
	src->n = 0;
}

static void
reconcile_app(const struct rc_input *in, uint32_t app, struct scratch *s,
    struct app_out *o, struct rc_app_summary *sum)
{
	const struct rc_app_input *a = &in->apps[app];
	void *keys = (void *)(uintptr_t)in->keys;
	long freed = 0;
	uint32_t u;

	mark_app(s, in, a);
	for (u = 0; u < s->n; u++) {
		freed += decide(in, a, app, s, u, o);
		if ((s->flags[u] & F_DISABLED) && s->via[u] != 0 &&
		    s->excl[u] == 0)
			sum->disabled++;
	}
	sum->unassign = o->changes.n;
	sum->holding = a->nholders;
	sum->entitled = o->entitled.n;
	sum->entitled_ids = o->entitled.v;
	o->entitled.v = NULL;
	o->entitled.n = o->entitled.cap = 0;
	sum->unentitled = o->unentitled.v;
	sum->nunentitled = o->unentitled.n;
	o->unentitled.v = NULL;
	o->unentitled.n = o->unentitled.cap = 0;
	seat_assigns(a, app, freed, o, sum, keys);
	sum->skipped = o->skipped.n;
	sum->kept = o->kept.n;
	if (o->changes.n > 0)
		qsort_r(o->changes.v, o->changes.n, sizeof(struct rc_change),
		    cmp_change, keys);
	if (o->kept.n > 0)
		qsort_r(o->kept.v, o->kept.n, sizeof(struct rc_kept),
		    cmp_kept, keys);
	if (o->skipped.n > 0)
		qsort_r(o->skipped.v, o->skipped.n, sizeof(struct rc_skip),
		    cmp_skip, keys);
}

void
reconcile(const struct rc_input *in, struct rc_plan *plan)
{
	struct scratch s;
	struct app_out o, all;
	uint32_t app;

	memset(plan, 0, sizeof(*plan));
	memset(&o, 0, sizeof(o));
	memset(&all, 0, sizeof(all));
	o.changes.size = all.changes.size = sizeof(struct rc_change);
	o.kept.size = all.kept.size = sizeof(struct rc_kept);
	o.skipped.size = all.skipped.size = sizeof(struct rc_skip);
	o.cands.size = sizeof(struct cand);
	o.entitled.size = sizeof(uint32_t);
	o.unentitled.size = sizeof(struct rc_seen);
	s.n = intern_count(in->keys);
	s.via = xcalloc(s.n, sizeof(*s.via));
	s.excl = xcalloc(s.n, sizeof(*s.excl));
	s.hidx = xcalloc(s.n, sizeof(*s.hidx));
	s.seen = xcalloc(s.n, sizeof(*s.seen));
	s.since = xcalloc(s.n, sizeof(*s.since));
	s.flags = xcalloc(s.n, 1);
	plan->napps = in->napps;
	plan->apps = xcalloc(in->napps, sizeof(*plan->apps));
	for (app = 0; app < in->napps; app++) {
		o.cands.n = 0;
		reconcile_app(in, app, &s, &o, &plan->apps[app]);
		append(&all.changes, &o.changes);
		append(&all.kept, &o.kept);
		append(&all.skipped, &o.skipped);
	}
	plan->changes = all.changes.v;
	plan->nchanges = all.changes.n;
	plan->kept = all.kept.v;
	plan->nkept = all.kept.n;
	plan->skipped = all.skipped.v;
	plan->nskipped = all.skipped.n;
	free(o.changes.v);
	free(o.kept.v);
	free(o.skipped.v);
	free(o.cands.v);
	free(o.entitled.v);
	free(o.unentitled.v);
	free(s.via);
	free(s.excl);
	free(s.hidx);
	free(s.seen);
	free(s.since);
	free(s.flags);
}

void
rc_plan_free(struct rc_plan *plan)
{
	size_t i;

	if (plan == NULL)
		return;
	for (i = 0; i < plan->napps; i++) {
		free(plan->apps[i].entitled_ids);
		free(plan->apps[i].waiting);
		free(plan->apps[i].unentitled);
	}
	free(plan->apps);
	free(plan->changes);
	free(plan->kept);
	free(plan->skipped);
	memset(plan, 0, sizeof(*plan));
}
