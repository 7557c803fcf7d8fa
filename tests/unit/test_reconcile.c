/*
 * test_reconcile.c - the reconciler as a table: each row describes the
 * directory, the backend and the database in a few words, and the plan
 * it must produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reconcile/reconcile.h"

struct row {
	const char *name;
	enum remove_mode remove;
	long seats;             /* -1: no cap */
	long purchased;
	long consumed;          /* -1: the number of holders */
	const char *group0;     /* space-separated users */
	const char *group1;
	const char *excl_group;
	const char *excl_users;
	const char *holders;    /* "a" direct, "a:g" inherited, "a+g" both */
	const char *owned;
	const char *seen;       /* "a=100" */
	const char *protected;
	const char *unknown;    /* not known to the backend */
	const char *noloc;      /* known, without usage location */
	/* expected */
	const char *changes;    /* "-a +b" in plan order */
	const char *kept;       /* "a=protected b=inherited c=not_owned
	                           d=never" */
	const char *skipped;    /* "a=unknown b=noloc" */
	const char *waiting;    /* in seat order */
	const char *disabled;   /* input: disabled in the directory */
};

static const struct row rows[] = {
	{ .name = "assign entitled", .remove = REMOVE_OWNED, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice bob",
	  .holders = "alice", .changes = "+bob", .kept = "", .skipped = "",
	  .waiting = "" },
	{ .name = "nothing to do", .remove = REMOVE_ALL, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice bob",
	  .holders = "alice bob", .changes = "", .kept = "", .skipped = "",
	  .waiting = "" },
	{ .name = "remove all unassigns", .remove = REMOVE_ALL, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice",
	  .holders = "alice bob carol", .changes = "-bob -carol", .kept = "",
	  .skipped = "", .waiting = "" },
	{ .name = "remove owned: only what licsync assigned",
	  .remove = REMOVE_OWNED, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice", .holders = "alice bob carol", .owned = "carol",
	  .changes = "-carol", .kept = "bob=not_owned", .skipped = "",
	  .waiting = "" },
	{ .name = "remove never", .remove = REMOVE_NEVER, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice",
	  .holders = "alice bob", .owned = "bob", .changes = "",
	  .kept = "bob=never", .skipped = "", .waiting = "" },
	{ .name = "exclude group wins over groups", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 10, .consumed = -1, .group0 = "alice bob",
	  .excl_group = "bob", .holders = "bob", .changes = "-bob +alice",
	  .kept = "", .skipped = "", .waiting = "" },
	{ .name = "exclude users", .remove = REMOVE_ALL, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice bob",
	  .excl_users = "alice", .holders = "", .changes = "+bob", .kept = "",
	  .skipped = "", .waiting = "" },
	{ .name = "second group entitles too", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 10, .consumed = -1, .group0 = "alice",
	  .group1 = "bob", .holders = "", .changes = "+alice +bob", .kept = "",
	  .skipped = "", .waiting = "" },
	{ .name = "protected never assigned nor unassigned",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice", .holders = "bob", .protected = "alice bob",
	  .changes = "", .kept = "alice=protected bob=protected",
	  .skipped = "", .waiting = "" },
	{ .name = "inherited never unassigned", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 10, .consumed = -1, .group0 = "alice",
	  .holders = "alice bob:g1", .changes = "", .kept = "bob=inherited",
	  .skipped = "", .waiting = "" },
	{ .name = "inherited and entitled is fine", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 10, .consumed = -1, .group0 = "alice",
	  .holders = "alice:g1", .changes = "", .kept = "", .skipped = "",
	  .waiting = "" },
	{ .name = "direct plus inherited: direct removed",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "", .holders = "bob+g1", .changes = "-bob", .kept = "",
	  .skipped = "", .waiting = "" },
	{ .name = "unknown user skipped", .remove = REMOVE_ALL, .seats = -1,
	  .purchased = 10, .consumed = -1, .group0 = "alice bob carol",
	  .holders = "", .unknown = "bob", .noloc = "carol",
	  .changes = "+alice", .kept = "",
	  .skipped = "bob=unknown carol=noloc", .waiting = "" },
	{ .name = "seats short: earliest entitlement first",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 3, .consumed = -1,
	  .group0 = "alice bob carol dave erin", .holders = "alice",
	  .seen = "erin=100 dave=200", .changes = "+dave +erin", .kept = "",
	  .skipped = "", .waiting = "bob carol" },
	{ .name = "unassigns free seats for assigns", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 2, .consumed = -1, .group0 = "alice bob",
	  .holders = "carol dave", .changes = "-carol -dave +alice +bob",
	  .kept = "", .skipped = "", .waiting = "" },
	{ .name = "seats cap below purchased", .remove = REMOVE_ALL,
	  .seats = 1, .purchased = 10, .consumed = -1, .group0 = "alice bob",
	  .holders = "", .changes = "+alice", .kept = "", .skipped = "",
	  .waiting = "bob" },
	{ .name = "consumed above holders counts", .remove = REMOVE_ALL,
	  .seats = -1, .purchased = 5, .consumed = 5, .group0 = "alice bob",
	  .holders = "carol", .changes = "-carol +alice", .kept = "",
	  .skipped = "", .waiting = "bob" },
	{ .name = "overcommitted tenant assigns nothing",
	  .remove = REMOVE_OWNED, .seats = -1, .purchased = 1, .consumed = 4,
	  .group0 = "alice", .holders = "bob carol", .changes = "",
	  .kept = "bob=not_owned carol=not_owned", .skipped = "",
	  .waiting = "alice" },
	{ .name = "unassign of inherited holder frees no seat",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 1, .consumed = -1,
	  .group0 = "alice", .holders = "bob+g1", .changes = "-bob",
	  .kept = "", .skipped = "", .waiting = "alice" },
	{ .name = "disabled member: seat removed, none assigned",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice bob carol", .holders = "bob",
	  .disabled = "bob carol", .changes = "-bob +alice", .kept = "",
	  .skipped = "", .waiting = "" },
	{ .name = "disabled member: remove owned keeps what it did not assign",
	  .remove = REMOVE_OWNED, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice bob", .holders = "alice bob", .disabled = "bob",
	  .changes = "", .kept = "bob=not_owned", .skipped = "",
	  .waiting = "" },
	{ .name = "disabled member: protected stays",
	  .remove = REMOVE_ALL, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice", .holders = "alice", .disabled = "alice",
	  .protected = "alice", .changes = "", .kept = "alice=protected",
	  .skipped = "", .waiting = "" },
	{ .name = "user who left the directory is unassigned",
	  .remove = REMOVE_OWNED, .seats = -1, .purchased = 10, .consumed = -1,
	  .group0 = "alice", .holders = "alice gone", .owned = "gone",
	  .unknown = "gone", .changes = "-gone", .kept = "", .skipped = "",
	  .waiting = "" },
};

/* ---- building the input ---- */

struct built {
	struct intern *keys;
	struct strv groups, excl;
	struct app_policy ap;
	uint32_t *g[2], *x[1], *xu, *owned, *prot, *dis;
	size_t ng[2], nx[1], nxu, nowned, nprot, ndis;
	const uint32_t *gm[2], *xm[1];
	struct rc_holder *holders;
	size_t nholders;
	struct rc_seen *seen;
	size_t nseen;
	uint8_t *bu;
	struct rc_app_input app;
	struct rc_input in;
};

/* Split WORDS at spaces and call FN on each. */
static void
each_word(const char *words, void (*fn)(void *, const char *), void *ctx)
{
	char *copy, *w, *save = NULL;

	if (words == NULL)
		return;
	copy = strdup(words);
	for (w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save))
		fn(ctx, w);
	free(copy);
}

struct idlist {
	struct intern *keys;
	uint32_t *v;
	size_t n;
};

static void
add_id(void *ctx, const char *w)
{
	struct idlist *l = ctx;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = intern_add(l->keys, w);
}

static uint32_t *
ids(struct intern *keys, const char *words, size_t *n)
{
	struct idlist l = { keys, NULL, 0 };

	each_word(words, add_id, &l);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), u32_cmp);
	*n = l.n;
	return l.v;
}

static void
add_holder(void *ctx, const char *w)
{
	struct built *b = ctx;
	struct rc_holder *h;
	char name[64];
	const char *mark = strpbrk(w, ":+");
	size_t len = mark != NULL ? (size_t)(mark - w) : strlen(w);

	snprintf(name, sizeof(name), "%.*s", (int)len, w);
	b->holders = realloc(b->holders, (b->nholders + 1) * sizeof(*h));
	h = &b->holders[b->nholders++];
	h->user = intern_add(b->keys, name);
	h->direct = mark == NULL || *mark == '+';
	h->group = mark != NULL ? mark + 1 : NULL;
}

static void
add_seen(void *ctx, const char *w)
{
	struct built *b = ctx;
	char name[64];
	const char *eq = strchr(w, '=');

	snprintf(name, sizeof(name), "%.*s", (int)(eq - w), w);
	b->seen = realloc(b->seen, (b->nseen + 1) * sizeof(*b->seen));
	b->seen[b->nseen].user = intern_add(b->keys, name);
	b->seen[b->nseen].first = strtoll(eq + 1, NULL, 10);
	b->nseen++;
}

static void
set_bu(struct built *b, const char *words, uint8_t v)
{
	size_t n, i;
	uint32_t *l = ids(b->keys, words, &n);

	for (i = 0; i < n; i++)
		b->bu[l[i]] = v;
	free(l);
}

static void
build(const struct row *r, struct built *b)
{
	uint32_t i, n;

	memset(b, 0, sizeof(*b));
	b->keys = intern_new();
	strv_push(&b->groups, "cn=g0");
	strv_push(&b->groups, "cn=g1");
	strv_push(&b->excl, "cn=x0");
	b->g[0] = ids(b->keys, r->group0, &b->ng[0]);
	b->g[1] = ids(b->keys, r->group1, &b->ng[1]);
	b->x[0] = ids(b->keys, r->excl_group, &b->nx[0]);
	b->xu = ids(b->keys, r->excl_users, &b->nxu);
	b->owned = ids(b->keys, r->owned, &b->nowned);
	b->prot = ids(b->keys, r->protected, &b->nprot);
	b->dis = ids(b->keys, r->disabled, &b->ndis);
	each_word(r->holders, add_holder, b);
	each_word(r->seen, add_seen, b);
	/* every name known to the backend unless listed otherwise */
	free(ids(b->keys, r->unknown, &b->nowned));
	free(ids(b->keys, r->noloc, &b->nowned));
	free(b->owned);
	b->owned = ids(b->keys, r->owned, &b->nowned);
	n = intern_count(b->keys);
	b->bu = calloc(n + 1, 1);
	for (i = 0; i < n; i++)
		b->bu[i] = RC_USER_OK;
	set_bu(b, r->unknown, RC_USER_UNKNOWN);
	set_bu(b, r->noloc, RC_USER_NO_LOCATION);

	b->ap.name = "app";
	b->ap.groups = b->groups;
	b->ap.exclude_groups = b->excl;
	b->ap.seats = r->seats;
	b->ap.remove = r->remove;
	b->gm[0] = b->g[0];
	b->gm[1] = b->g[1];
	b->xm[0] = b->x[0];
	b->app.policy = &b->ap;
	b->app.sku = "6fd2c87f-b296-42f0-b197-1e91e994b900";
	b->app.purchased = r->purchased;
	b->app.consumed = r->consumed >= 0 ? r->consumed :
	    (long)b->nholders;
	b->app.groups = b->gm;
	b->app.ngroups = b->ng;
	b->app.excl_groups = b->xm;
	b->app.nexcl_groups = b->nx;
	b->app.exclude_users = b->xu;
	b->app.nexclude_users = b->nxu;
	b->app.holders = b->holders;
	b->app.nholders = b->nholders;
	b->app.owned = b->owned;
	b->app.nowned = b->nowned;
	b->app.seen = b->seen;
	b->app.nseen = b->nseen;
	b->in.keys = b->keys;
	b->in.backend_user = b->bu;
	b->in.protected_users = b->prot;
	b->in.nprotected = b->nprot;
	b->in.disabled_users = b->dis;
	b->in.ndisabled = b->ndis;
	b->in.apps = &b->app;
	b->in.napps = 1;
	b->in.now = 1000;
}

static void
unbuild(struct built *b)
{
	free(b->g[0]);
	free(b->g[1]);
	free(b->x[0]);
	free(b->xu);
	free(b->owned);
	free(b->prot);
	free(b->dis);
	free(b->holders);
	free(b->seen);
	free(b->bu);
	strv_free(&b->groups);
	strv_free(&b->excl);
	intern_free(b->keys);
}

/* ---- rendering the plan in the table's words ---- */

static const char *const keep_names[] = {
	[RC_KEEP_PROTECTED] = "protected",
	[RC_KEEP_INHERITED] = "inherited",
	[RC_KEEP_NOT_OWNED] = "not_owned",
	[RC_KEEP_REMOVE_NEVER] = "never",
	[RC_KEEP_GRACE] = "grace",
};

static void
sep(struct buf *s)
{
	if (s->len > 0)
		buf_addstr(s, " ");
}

static void
render(const struct built *b, const struct rc_plan *p, struct buf *ch,
    struct buf *kept, struct buf *skip, struct buf *wait)
{
	size_t i;

	buf_addstr(ch, "");
	buf_addstr(kept, "");
	buf_addstr(skip, "");
	buf_addstr(wait, "");
	for (i = 0; i < p->nchanges; i++) {
		sep(ch);
		buf_printf(ch, "%c%s",
		    p->changes[i].action == RC_ASSIGN ? '+' : '-',
		    intern_str(b->keys, p->changes[i].user));
	}
	for (i = 0; i < p->nkept; i++) {
		sep(kept);
		buf_printf(kept, "%s=%s", intern_str(b->keys, p->kept[i].user),
		    keep_names[p->kept[i].reason]);
	}
	for (i = 0; i < p->nskipped; i++) {
		sep(skip);
		buf_printf(skip, "%s=%s",
		    intern_str(b->keys, p->skipped[i].user),
		    p->skipped[i].reason == RC_SKIP_UNKNOWN_USER ? "unknown" :
		    p->skipped[i].reason == RC_SKIP_NO_LOCATION ? "noloc" :
		    "badloc");
	}
	for (i = 0; i < p->apps[0].unfulfilled; i++) {
		sep(wait);
		buf_addstr(wait, intern_str(b->keys, p->apps[0].waiting[i]));
	}
}

/* One table row; the row comes in as the test's state. */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct buf ch = { 0 }, kept = { 0 }, skip = { 0 }, wait = { 0 };
	struct built b;
	struct rc_plan p;

	build(r, &b);
	reconcile(&b.in, &p);
	render(&b, &p, &ch, &kept, &skip, &wait);
	assert_string_equal(ch.data, r->changes);
	assert_string_equal(kept.data, r->kept);
	assert_string_equal(skip.data, r->skipped);
	assert_string_equal(wait.data, r->waiting);
	assert_int_equal(p.apps[0].assign + p.apps[0].unassign, p.nchanges);
	buf_free(&ch);
	buf_free(&kept);
	buf_free(&skip);
	buf_free(&wait);
	rc_plan_free(&p);
	unbuild(&b);
}

/* Reasons carry the policy group that entitles and the cause of removal. */
static void
test_reasons(void **state)
{
	const struct row r = { "reasons", REMOVE_ALL, -1, 10, -1,
		"alice carol dave", "bob alice", "carol", "dave",
		"carol dave erin",
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	struct built b;
	struct rc_plan p;
	size_t i;

	(void)state;
	build(&r, &b);
	reconcile(&b.in, &p);
	assert_int_equal(p.nchanges, 5);
	for (i = 0; i < p.nchanges; i++) {
		const struct rc_change *c = &p.changes[i];
		const char *u = intern_str(b.keys, c->user);

		if (strcmp(u, "alice") == 0)
			assert_int_equal(c->arg, 0);
		else if (strcmp(u, "bob") == 0)
			assert_int_equal(c->arg, 1);
		else if (strcmp(u, "carol") == 0)
			assert_int_equal(c->cause, RC_EXCLUDED_GROUP);
		else if (strcmp(u, "dave") == 0)
			assert_int_equal(c->cause, RC_EXCLUDED_USER);
		else if (strcmp(u, "erin") == 0)
			assert_int_equal(c->cause, RC_NOT_IN_GROUPS);
	}
	assert_int_equal(p.apps[0].entitled, 2);
	rc_plan_free(&p);
	unbuild(&b);
}

/* A disabled user's removal says so, before any other cause, and the
 * app counts its disabled members. */
static void
test_disabled(void **state)
{
	const struct row r = { .name = "disabled", .remove = REMOVE_ALL,
		.seats = -1, .purchased = 10, .consumed = -1,
		.group0 = "alice bob", .excl_users = "carol",
		.holders = "bob carol dave", .disabled = "bob carol dave" };
	struct built b;
	struct rc_plan p;
	size_t i;

	(void)state;
	build(&r, &b);
	reconcile(&b.in, &p);
	assert_int_equal(p.nchanges, 4);
	for (i = 0; i < p.nchanges; i++)
		if (p.changes[i].action == RC_UNASSIGN)
			assert_int_equal(p.changes[i].cause, RC_DISABLED);
	assert_int_equal(p.apps[0].entitled, 1);
	/* bob only: carol is excluded anyway, dave in no group */
	assert_int_equal(p.apps[0].disabled, 1);
	rc_plan_free(&p);
	unbuild(&b);
}

/* Two runs on the same input give the same plan whatever the id order. */
static void
test_order_independent_of_ids(void **state)
{
	const struct row r1 = { "a", REMOVE_ALL, -1, 10, -1, "zed amy mo",
		NULL, NULL, NULL, "kim", NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL };
	const struct row r2 = { "b", REMOVE_ALL, -1, 10, -1, "mo amy zed",
		NULL, NULL, NULL, "kim", NULL, NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL };
	struct buf c1 = { 0 }, c2 = { 0 }, k = { 0 }, s = { 0 }, w = { 0 };
	struct built b1, b2;
	struct rc_plan p1, p2;

	(void)state;
	build(&r1, &b1);
	build(&r2, &b2);
	reconcile(&b1.in, &p1);
	reconcile(&b2.in, &p2);
	render(&b1, &p1, &c1, &k, &s, &w);
	render(&b2, &p2, &c2, &k, &s, &w);
	assert_string_equal(c1.data, "-kim +amy +mo +zed");
	assert_string_equal(c1.data, c2.data);
	buf_free(&c1);
	buf_free(&c2);
	buf_free(&k);
	buf_free(&s);
	buf_free(&w);
	rc_plan_free(&p1);
	rc_plan_free(&p2);
	unbuild(&b1);
	unbuild(&b2);
}

/* Grace: removal waits until the user has been unentitled that long. */
static void
test_grace(void **state)
{
	const struct row r = { "grace", REMOVE_ALL, -1, 10, -1, "alice",
		NULL, NULL, NULL, "alice bob carol", NULL, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL };
	struct buf ch = { 0 }, kept = { 0 }, skip = { 0 }, wait = { 0 };
	struct rc_seen since[1];
	struct built b;
	struct rc_plan p;
	size_t i;

	(void)state;
	build(&r, &b);
	b.ap.grace = 3600;
	b.in.now = 5000;
	/* carol has been unentitled since 1000: due at 4600, gone now;
	 * bob is seen unentitled for the first time now */
	intern_find(b.keys, "carol", &since[0].user);
	since[0].first = 1000;
	b.app.unentitled = since;
	b.app.nunentitled = 1;
	reconcile(&b.in, &p);
	render(&b, &p, &ch, &kept, &skip, &wait);
	assert_string_equal(ch.data, "-carol");
	assert_string_equal(kept.data, "bob=grace");
	assert_int_equal(p.kept[0].due, 5000 + 3600);
	/* the grace clock to record: both unentitled holders */
	assert_int_equal(p.apps[0].nunentitled, 2);
	for (i = 0; i < 2; i++) {
		const char *u = intern_str(b.keys, p.apps[0].unentitled[i].user);

		assert_int_equal(p.apps[0].unentitled[i].first,
		    strcmp(u, "carol") == 0 ? 1000 : 5000);
	}
	buf_free(&ch);
	buf_free(&kept);
	buf_free(&skip);
	buf_free(&wait);
	rc_plan_free(&p);
	unbuild(&b);
}

/* A user without a usage location whose location licsync sets first
 * is assigned like any other, and takes a seat; one whose directory
 * value is not a code is skipped as such. */
static void
test_locations(void **state)
{
	const struct row r = { "locations", REMOVE_ALL, -1, 2, -1,
		"alice bob carol dave", NULL, NULL, NULL, "", NULL, NULL,
		NULL, NULL, "bob carol dave", NULL, NULL, NULL, NULL, NULL };
	struct buf ch = { 0 }, kept = { 0 }, skip = { 0 }, wait = { 0 };
	struct built b;
	struct rc_plan p;
	uint32_t id;

	(void)state;
	build(&r, &b);
	assert_true(intern_find(b.keys, "bob", &id));
	b.bu[id] = RC_USER_SET_LOCATION;
	assert_true(intern_find(b.keys, "carol", &id));
	b.bu[id] = RC_USER_BAD_LOCATION;
	reconcile(&b.in, &p);
	render(&b, &p, &ch, &kept, &skip, &wait);
	/* two seats: alice and bob, both queued at the same time */
	assert_string_equal(ch.data, "+alice +bob");
	assert_string_equal(skip.data, "carol=badloc dave=noloc");
	assert_string_equal(wait.data, "");
	assert_int_equal(p.apps[0].skipped, 2);
	buf_free(&ch);
	buf_free(&kept);
	buf_free(&skip);
	buf_free(&wait);
	rc_plan_free(&p);
	unbuild(&b);
}

int
main(void)
{
	const size_t nrows = sizeof(rows) / sizeof(rows[0]);
	struct CMUnitTest tests[sizeof(rows) / sizeof(rows[0]) + 5];
	size_t i;

	for (i = 0; i < nrows; i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = rows[i].name;
		tests[i].test_func = test_row;
		tests[i].initial_state = (void *)(uintptr_t)&rows[i];
	}
	tests[nrows] = (struct CMUnitTest)cmocka_unit_test(test_reasons);
	tests[nrows + 1] = (struct CMUnitTest)
	    cmocka_unit_test(test_order_independent_of_ids);
	tests[nrows + 2] = (struct CMUnitTest)cmocka_unit_test(test_grace);
	tests[nrows + 3] = (struct CMUnitTest)cmocka_unit_test(test_locations);
	tests[nrows + 4] = (struct CMUnitTest)cmocka_unit_test(test_disabled);
	return _cmocka_run_group_tests("reconcile", tests, nrows + 5, NULL,
	    NULL);
}
