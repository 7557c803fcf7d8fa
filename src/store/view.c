/*
 * view.c - the tenant's users as a backend's reads left them, so that a
 * run can read only what changed since (Graph's delta query) and still
 * hand on every user.  A user's licenses are kept as lines "SKU TAB
 * GROUP" (GROUP empty: direct).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/audit.h"
#include "store/store_int.h"

int
audit_view_sync(struct audit *a, const char *backend, struct view_sync *s,
    struct err *e)
{
	sqlite3_stmt *st = a->st[ST_VIEW_SYNC];
	int rc;

	memset(s, 0, sizeof(*s));
	bind_text(st, 1, backend);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *link = col_text(st, 0);

		s->link = link != NULL ? xstrdup(link) : NULL;
		s->full_read = sqlite3_column_int64(st, 1);
		s->stale = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(a, e, "cannot read the tenant view's sync state");
	return EXIT_OK;
}

int
audit_view_set_sync(struct audit *a, const char *backend, const char *link,
    int64_t full_read, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_VIEW_SYNC_SET];

	bind_text(st, 1, backend);
	bind_text(st, 2, link);
	sqlite3_bind_int64(st, 3, full_read);
	return step_done(a, ST_VIEW_SYNC_SET, e);
}

int
audit_view_stale(struct audit *a, const char *backend, struct err *e)
{
	bind_text(a->st[ST_VIEW_STALE], 1, backend);
	return step_done(a, ST_VIEW_STALE, e);
}

int
audit_view_clear(struct audit *a, const char *backend, struct err *e)
{
	bind_text(a->st[ST_VIEW_CLEAR], 1, backend);
	return step_done(a, ST_VIEW_CLEAR, e);
}

static int
put(struct audit *a, const char *backend, const char *id, const char *user,
    const char *unlicensable, const char *licenses, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_VIEW_PUT];

	bind_text(st, 1, backend);
	bind_text(st, 2, id);
	bind_text(st, 3, user);
	bind_text(st, 4, unlicensable);
	bind_text(st, 5, licenses);
	return step_done(a, ST_VIEW_PUT, e);
}

int
audit_view_put(struct audit *a, const char *backend,
    const struct backend_user *u, struct err *e)
{
	struct buf lic = { 0 };
	size_t i;
	int r;

	buf_add(&lic, "", 0);
	for (i = 0; i < u->nlicenses; i++)
		buf_printf(&lic, "%s\t%s\n", u->licenses[i].sku,
		    u->licenses[i].group != NULL ? u->licenses[i].group : "");
	r = put(a, backend, u->id, u->key, u->unlicensable, lic.data, e);
	buf_free(&lic);
	return r;
}

int
audit_view_remove(struct audit *a, const char *backend, const char *id,
    struct err *e)
{
	bind_text(a->st[ST_VIEW_DEL], 1, backend);
	bind_text(a->st[ST_VIEW_DEL], 2, id);
	return step_done(a, ST_VIEW_DEL, e);
}

/* LICENSES without the direct line of SKU, and with it when ADD. */
static char *
with_license(const char *licenses, const char *sku, bool add)
{
	struct buf b = { 0 };
	const char *p = licenses, *nl;
	size_t n = strlen(sku);

	buf_add(&b, "", 0);
	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (!(strncmp(p, sku, n) == 0 && p[n] == '\t' &&
		    p[n + 1] == '\n'))
			buf_add(&b, p, (size_t)(nl - p) + 1);
	}
	if (add)
		buf_printf(&b, "%s\t\n", sku);
	return b.data;
}

int
audit_view_license(struct audit *a, const char *backend, const char *id,
    const char *sku, bool add, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_VIEW_GET];
	char *user = NULL, *unlic = NULL, *lic = NULL;
	int rc, r = EXIT_OK;

	bind_text(st, 1, backend);
	bind_text(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		user = xstrdup(col_text(st, 0) != NULL ? col_text(st, 0) : "");
		unlic = col_text(st, 1) != NULL ? xstrdup(col_text(st, 1)) :
		    NULL;
		lic = with_license(col_text(st, 2) != NULL ? col_text(st, 2) :
		    "", sku, add);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_err(a, e, "cannot read the tenant view");
	else if (rc == SQLITE_ROW)
		r = put(a, backend, id, user, unlic, lic, e);
	free(user);
	free(unlic);
	free(lic);
	return r;
}

/* The lines of LIC as licenses, pointing into LIC (changed in place). */
static size_t
parse_licenses(char *lic, struct backend_license **v, size_t *cap)
{
	char *p = lic, *nl, *tab;
	size_t n = 0;

	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if ((tab = strchr(p, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (n == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[n].sku = p;
		(*v)[n++].group = tab[1] != '\0' ? tab + 1 : NULL;
	}
	return n;
}

int
audit_view_each(struct audit *a, const char *backend, backend_user_fn fn,
    void *ctx, struct err *e)
{
	sqlite3_stmt *st = a->st[ST_VIEW_EACH];
	struct backend_license *lv = NULL;
	struct backend_user u;
	size_t cap = 0;
	char *lic = NULL;
	int rc, r = EXIT_OK;

	bind_text(st, 1, backend);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&u, 0, sizeof(u));
		u.id = col_text(st, 0);
		u.key = col_text(st, 1);
		u.unlicensable = col_text(st, 2);
		free(lic);
		lic = xstrdup(col_text(st, 3) != NULL ? col_text(st, 3) : "");
		u.nlicenses = parse_licenses(lic, &lv, &cap);
		u.licenses = lv;
		if (u.id == NULL || u.key == NULL)
			continue;
		if ((r = fn(ctx, &u, e)) != EXIT_OK)
			break;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(lic);
	free(lv);
	if (r == EXIT_OK && rc != SQLITE_DONE)
		r = db_err(a, e, "cannot read the tenant view");
	return r;
}
