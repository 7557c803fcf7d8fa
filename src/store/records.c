/*
 * records.c - what one run records for the next: who licsync assigned a
 * license (ownership), since when users have been entitled and since when
 * holders have not been (the grace clocks), the size of each policy group
 * for the directory guard, the seats each app was left with, and the key
 * that signs saved plans.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

/* ---- ownership and entitlement ---- */

/* Rows of (user, time) for SKU from statement S, users interned. */
static int
user_times(struct audit *a, enum stmt s, const char *sku, struct intern *keys,
    struct rc_seen **rows, size_t *n, const char *what, struct err *e)
{
	sqlite3_stmt *st = a->st[s];
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	bind_text(st, 1, sku);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 0);

		if (u == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		(*rows)[*n].user = intern_add(keys, u);
		(*rows)[*n].first = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return db_err(a, e, what);
	}
	return EXIT_OK;
}

int
audit_owned(struct audit *a, const char *sku, struct intern *keys,
    uint32_t **ids, size_t *n, struct err *e)
{
	struct rc_seen *rows;
	size_t i;
	int r;

	*ids = NULL;
	r = user_times(a, ST_OWNED, sku, keys, &rows, n, "cannot read "
	    "ownership", e);
	if (r != EXIT_OK)
		return r;
	*ids = xcalloc(*n, sizeof(**ids));
	for (i = 0; i < *n; i++)
		(*ids)[i] = rows[i].user;
	free(rows);
	if (*n > 0)
		qsort(*ids, *n, sizeof(**ids), u32_cmp);
	return EXIT_OK;
}

int
audit_seen(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **seen, size_t *n, struct err *e)
{
	return user_times(a, ST_SEEN, sku, keys, seen, n, "cannot read "
	    "entitlement history", e);
}

/*
 * Make the rows of SKU in one (sku, user, time) table be exactly CUR: rows
 * of OLD (what the table holds) not in CUR go, rows of CUR not in OLD come
 * with their time; rows in both keep their old time.
 */
static int
sync_set(struct audit *a, enum stmt add, enum stmt del, const char *sku,
    const struct intern *keys, const struct rc_seen *cur, size_t ncur,
    const struct rc_seen *old, size_t nold, struct err *e)
{
	uint32_t *o = xcalloc(nold, sizeof(*o)), *c = xcalloc(ncur, sizeof(*c));
	size_t i;
	bool own;
	int r;

	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		goto out;
	for (i = 0; i < nold; i++)
		o[i] = old[i].user;
	for (i = 0; i < ncur; i++)
		c[i] = cur[i].user;
	qsort(o, nold, sizeof(*o), u32_cmp);
	qsort(c, ncur, sizeof(*c), u32_cmp);
	for (i = 0; i < nold && r == EXIT_OK; i++) {
		if (u32_in_sorted(c, ncur, old[i].user))
			continue;
		bind_text(a->st[del], 1, sku);
		bind_text(a->st[del], 2, intern_str(keys, old[i].user));
		r = step_done(a, del, e);
	}
	for (i = 0; i < ncur && r == EXIT_OK; i++) {
		if (u32_in_sorted(o, nold, cur[i].user))
			continue;
		bind_text(a->st[add], 1, sku);
		bind_text(a->st[add], 2, intern_str(keys, cur[i].user));
		sqlite3_bind_int64(a->st[add], 3, cur[i].first);
		r = step_done(a, add, e);
	}
	r = tx_end(a, own, r, e);
out:
	free(o);
	free(c);
	return r;
}

int
audit_record_entitled(struct audit *a, const char *sku,
    const struct intern *keys, const uint32_t *ids, size_t n,
    const struct rc_seen *seen, size_t nseen, int64_t now, struct err *e)
{
	struct rc_seen *cur = xcalloc(n, sizeof(*cur));
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		cur[i].user = ids[i];
		cur[i].first = now;
	}
	r = sync_set(a, ST_SEEN_ADD, ST_SEEN_DEL, sku, keys, cur, n, seen,
	    nseen, e);
	free(cur);
	return r;
}

int
audit_unentitled(struct audit *a, const char *sku, struct intern *keys,
    struct rc_seen **rows, size_t *n, struct err *e)
{
	return user_times(a, ST_UNENT, sku, keys, rows, n, "cannot read "
	    "the grace clocks", e);
}

int
audit_record_unentitled(struct audit *a, const char *sku,
    const struct intern *keys, const struct rc_seen *cur, size_t ncur,
    const struct rc_seen *old, size_t nold, struct err *e)
{
	return sync_set(a, ST_UNENT_ADD, ST_UNENT_DEL, sku, keys, cur, ncur,
	    old, nold, e);
}

int
audit_own(struct audit *a, const char *sku, const char *user, int64_t since,
    int64_t run_id, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_OWN];

	bind_text(st, 1, sku);
	bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int64(st, 4, run_id);
	return step_done(a, ST_OWN, e);
}

int
audit_disown(struct audit *a, const char *sku, const char *user,
    struct err *e)
{
	bind_text(a->st[ST_DISOWN], 1, sku);
	bind_text(a->st[ST_DISOWN], 2, user);
	return step_done(a, ST_DISOWN, e);
}

/* ---- the directory guard ---- */

int
audit_group_size(struct audit *a, const char *dn, long *users, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_GROUP_SIZE];
	int rc;

	*users = -1;
	bind_text(st, 1, dn);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*users = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read group sizes");
	return EXIT_OK;
}

int
audit_set_group_size(struct audit *a, const char *dn, long users,
    int64_t run_id, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_GROUP_SIZE_SET];

	bind_text(st, 1, dn);
	sqlite3_bind_int64(st, 2, users);
	sqlite3_bind_int64(st, 3, run_id);
	return step_done(a, ST_GROUP_SIZE_SET, e);
}

/* ---- seats ---- */

int
audit_record_seats(struct audit *a, int64_t run_id,
    const struct app_status *apps, size_t n, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_SEATS_ADD];
	size_t i, k;
	bool own;
	int r;

	if ((r = tx_begin(a, &own, e)) != EXIT_OK)
		return r;
	for (i = 0; i < n && r == EXIT_OK; i++)
		for (k = 0; k < SEAT_NKINDS && r == EXIT_OK; k++) {
			sqlite3_bind_int64(st, 1, run_id);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
			bind_text(st, 3, apps[i].app);
			bind_text(st, 4, apps[i].sku);
			bind_text(st, 5, seat_kind_names[k]);
			sqlite3_bind_int64(st, 6, apps[i].seats[k]);
			r = step_done(a, ST_SEATS_ADD, e);
		}
	return tx_end(a, own, r, e);
}

static int
seat_kind(const char *name)
{
	int k;

	for (k = 0; k < SEAT_NKINDS; k++)
		if (strcmp(name, seat_kind_names[k]) == 0)
			return k;
	return -1;
}

int
audit_last_seats(struct audit *a, int64_t *run_id, struct app_status **apps,
    size_t *n, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_SEATS_RUN];
	struct app_status *v = NULL;
	size_t nv = 0;
	int rc, k;

	*run_id = 0;
	*apps = NULL;
	*n = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*run_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read seats");
	if (*run_id == 0)
		return EXIT_OK;
	st = a->st[ST_SEATS_GET];
	sqlite3_bind_int64(st, 1, *run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t pos = (size_t)sqlite3_column_int64(st, 0);

		if (pos >= nv) {
			v = xreallocarray(v, pos + 1, sizeof(*v));
			memset(v + nv, 0, (pos + 1 - nv) * sizeof(*v));
			nv = pos + 1;
		}
		if (v[pos].app == NULL) {
			v[pos].app = xstrdup(col_text(st, 1));
			v[pos].sku = xstrdup(col_text(st, 2));
		}
		if ((k = seat_kind(col_text(st, 3))) >= 0)
			v[pos].seats[k] = (long)sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		app_status_free(v, nv);
		return db_err(a, e, "cannot read seats");
	}
	*apps = v;
	*n = nv;
	return EXIT_OK;
}

/* ---- the plan key ---- */

int
audit_plan_key(struct audit *a, unsigned char *key, size_t len, struct err *e)
{
	sqlite3_stmt *get = a->st[ST_KEY_GET], *set = a->st[ST_KEY_SET];
	int rc, r;

	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(get, 0) == len) {
		memcpy(key, sqlite3_column_blob(get, 0), len);
		sqlite3_reset(get);
		return EXIT_OK;
	}
	sqlite3_reset(get);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read the plan key");
	if (RAND_bytes(key, (int)len) != 1) {
		err_set(e, "cannot make a plan key: no randomness");
		return EXIT_DATABASE;
	}
	sqlite3_bind_blob(set, 1, key, (int)len, SQLITE_TRANSIENT);
	r = step_done(a, ST_KEY_SET, e);
	return r;
}
