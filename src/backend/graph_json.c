/* graph_json.c - Microsoft Graph's answers, read without I/O */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backend/graph_json.h"
#include "conf/config.h"

#define MAX_COUNT 2147483647LL  /* Graph's counts are 32-bit */
#define MAX_LIFETIME 86400      /* no token lives longer than a day */

/* PREFIX and at most MAX bytes of a server's S, control characters
 * blanked (see xstrdup_printable()). */
static void
add_printable(struct buf *out, const char *prefix, const char *s, int max)
{
	char *clean = xstrdup_printable(s);

	if (clean != NULL)
		buf_printf(out, "%s%.*s", prefix, max, clean);
	free(clean);
}

void
graph_describe_error(long status, const char *body, size_t len,
    const char *request_id, struct buf *out)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	json_t *err = json_object_get(root, "error");
	const char *code = NULL, *msg = NULL;

	if (json_is_object(err)) {
		code = json_string_value(json_object_get(err, "code"));
		msg = json_string_value(json_object_get(err, "message"));
	} else if (json_is_string(err)) {
		code = json_string_value(err);
		msg = json_string_value(json_object_get(root,
		    "error_description"));
	}
	buf_printf(out, "HTTP %ld", status);
	add_printable(out, ": ", code, 200);
	add_printable(out, ": ", msg, 400);
	add_printable(out, " (request-id ", request_id, 100);
	if (request_id != NULL)
		buf_addstr(out, ")");
	json_decref(root);
}

/* expires_in: a number, or a string holding one (older endpoints). */
static long
expires_in(json_t *v)
{
	json_int_t n = 0;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v))
		n = strtoll(json_string_value(v), NULL, 10);
	if (n <= 0)
		return 3599;
	return n < MAX_LIFETIME ? (long)n : MAX_LIFETIME;
}

int
graph_read_token(const char *body, size_t len, char **token,
    long *lifetime, struct err *e)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	const char *tok = json_string_value(json_object_get(root,
	    "access_token"));
	int r = EXIT_BACKEND;

	*token = NULL;
	*lifetime = 0;
	/* a token goes into a header line: no line breaks, no NUL */
	if (tok == NULL || *tok == '\0' || strcspn(tok, "\r\n") !=
	    strlen(tok) || strlen(tok) != json_string_length(json_object_get(
	    root, "access_token"))) {
		err_set(e, "token answer without a usable access_token");
		goto out;
	}
	*token = xstrdup(tok);
	*lifetime = expires_in(json_object_get(root, "expires_in"));
	r = EXIT_OK;
out:
	/* jansson frees without clearing: clear its copy of the token */
	if (tok != NULL)
		explicit_bzero((char *)(uintptr_t)tok, strlen(tok));
	json_decref(root);
	return r;
}

static char *
lower_dup(const char *s)
{
	char *p = xstrdup(s);

	str_lower(p);
	return p;
}

/* A count of the SKU, 0 when absent; false when it is not a count. */
static bool
count_field(json_t *o, const char *key, long *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_integer(v))
		return false;
	n = json_integer_value(v);
	if (n < 0 || n > MAX_COUNT)
		return false;
	*out = (long)n;
	return true;
}

static int
read_sku(json_t *it, const char *id, struct backend_sku *s, struct err *e)
{
	static const struct {
		const char *key;
		bool prepaid;
		size_t offset;
	} counts[] = {
		{ "enabled", true, offsetof(struct backend_sku, enabled) },
		{ "warning", true, offsetof(struct backend_sku, warning) },
		{ "consumedUnits", false,
		    offsetof(struct backend_sku, consumed) },
	};
	const char *pn = json_string_value(json_object_get(it,
	    "skuPartNumber"));
	const char *st = json_string_value(json_object_get(it,
	    "capabilityStatus"));
	json_t *pre = json_object_get(it, "prepaidUnits");
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		long *field = (long *)(void *)((char *)s + counts[i].offset);

		if (!count_field(counts[i].prepaid ? pre : it, counts[i].key,
		    field)) {
			err_set(e, "subscribedSkus: SKU %.40s: %s%s is not a "
			    "count from 0 to %lld", id, counts[i].prepaid ?
			    "prepaidUnits." : "", counts[i].key, MAX_COUNT);
			return EXIT_BACKEND;
		}
	}
	s->id = lower_dup(id);
	s->part_number = xstrdup(pn != NULL ? pn : "");
	s->status = xstrdup(st != NULL ? st : "");
	return EXIT_OK;
}

int
graph_read_skus(const char *body, size_t len, struct backend_sku **skus,
    size_t *n, struct err *e)
{
	json_t *root = json_loadb(body, len, 0, NULL), *val, *it;
	size_t i;
	int r = EXIT_BACKEND;

	*skus = NULL;
	*n = 0;
	val = json_object_get(root, "value");
	if (!json_is_array(val)) {
		err_set(e, "subscribedSkus: the answer has no 'value' array");
		goto out;
	}
	*skus = xcalloc(json_array_size(val), sizeof(**skus));
	json_array_foreach(val, i, it) {
		const char *id = json_string_value(json_object_get(it,
		    "skuId"));

		if (id == NULL)
			continue;
		if (read_sku(it, id, &(*skus)[*n], e) != EXIT_OK)
			goto out;
		(*n)++;
	}
	r = EXIT_OK;
out:
	if (r != EXIT_OK) {
		backend_skus_free(*skus, *n);
		*skus = NULL;
		*n = 0;
	}
	json_decref(root);
	return r;
}

struct lic_vec {
	struct backend_license *v;
	size_t n, cap;
};

static void
lic_push(struct lic_vec *lv, const char *sku, const char *group)
{
	if (lv->n == lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 8;
		lv->v = xreallocarray(lv->v, lv->cap, sizeof(*lv->v));
	}
	lv->v[lv->n].sku = sku;
	lv->v[lv->n].group = group;
	lv->n++;
}

static bool
in_assigned(json_t *assigned, const char *sku)
{
	json_t *it;
	size_t i;

	json_array_foreach(assigned, i, it) {
		const char *s = json_string_value(json_object_get(it, "skuId"));

		if (s != NULL && str_ieq(s, sku))
			return true;
	}
	return false;
}

/*
 * Licenses of one user.  assignedLicenses says what the user holds (only
 * licenses in effect are there); licenseAssignmentStates tells direct from
 * inherited.  A group assignment in state Error (a CountViolation, say) is
 * not a license the user has.
 */
static void
user_licenses(json_t *u, struct lic_vec *lv)
{
	json_t *assigned = json_object_get(u, "assignedLicenses");
	json_t *states = json_object_get(u, "licenseAssignmentStates");
	json_t *it;
	size_t i;

	lv->n = 0;
	json_array_foreach(states, i, it) {
		const char *sku = json_string_value(json_object_get(it,
		    "skuId"));
		const char *grp = json_string_value(json_object_get(it,
		    "assignedByGroup"));
		const char *state = json_string_value(json_object_get(it,
		    "state"));

		if (sku == NULL || !in_assigned(assigned, sku))
			continue;
		if (state != NULL && strcmp(state, "Active") != 0 &&
		    strcmp(state, "ActiveWithError") != 0)
			continue;
		lic_push(lv, sku, grp);
	}
	if (json_is_array(states) && json_array_size(states) > 0)
		return;
	json_array_foreach(assigned, i, it) {
		const char *sku = json_string_value(json_object_get(it,
		    "skuId"));

		if (sku != NULL)
			lic_push(lv, sku, NULL);
	}
}

/* A page of users, of /users or of /users/delta (REMOVED and DELTA not
 * NULL). */
static int
read_page(const char *body, size_t len, backend_user_fn fn,
    backend_removed_fn removed, void *ctx, char **next, char **delta,
    struct err *e)
{
	json_t *root = json_loadb(body, len, 0, NULL), *val, *u;
	struct lic_vec lv = { 0 };
	const char *link;
	size_t i;
	int r = EXIT_BACKEND;

	*next = NULL;
	if (delta != NULL)
		*delta = NULL;
	val = json_object_get(root, "value");
	if (!json_is_array(val)) {
		err_set(e, "users answer has no 'value' array");
		goto out;
	}
	json_array_foreach(val, i, u) {
		struct backend_user bu;
		const char *loc = json_string_value(json_object_get(u,
		    "usageLocation"));

		bu.key = json_string_value(json_object_get(u,
		    "userPrincipalName"));
		bu.id = json_string_value(json_object_get(u, "id"));
		if (removed != NULL && json_object_get(u, "@removed") != NULL) {
			if (bu.id != NULL && *bu.id != '\0' &&
			    (r = removed(ctx, bu.id, e)) != EXIT_OK)
				goto out;
			continue;
		}
		if (bu.key == NULL || bu.id == NULL || *bu.key == '\0' ||
		    *bu.id == '\0')
			continue;
		bu.unlicensable = loc != NULL && *loc != '\0' ? NULL :
		    "no usage location";
		user_licenses(u, &lv);
		bu.licenses = lv.v;
		bu.nlicenses = lv.n;
		if ((r = fn(ctx, &bu, e)) != EXIT_OK)
			goto out;
	}
	link = json_string_value(json_object_get(root, "@odata.nextLink"));
	if (link != NULL)
		*next = xstrdup(link);
	link = json_string_value(json_object_get(root, "@odata.deltaLink"));
	if (delta != NULL && link != NULL && *next == NULL)
		*delta = xstrdup(link);
	r = EXIT_OK;
out:
	free(lv.v);
	json_decref(root);
	return r;
}

int
graph_read_users(const char *body, size_t len, backend_user_fn fn,
    void *ctx, char **next, struct err *e)
{
	return read_page(body, len, fn, NULL, ctx, next, NULL, e);
}

int
graph_read_delta(const char *body, size_t len,
    const struct backend_changes *c, char **next, char **delta,
    struct err *e)
{
	return read_page(body, len, c->changed, c->removed, c->ctx, next,
	    delta, e);
}

void
page_guard_init(struct page_guard *g, const char *prefix, unsigned max_pages,
    const char *first)
{
	char hex[65];

	g->prefix = prefix;
	g->max_pages = max_pages;
	g->pages = 1;
	g->seen = intern_new();
	sha256_hex(first, strlen(first), hex);
	intern_add(g->seen, hex);
}

int
page_guard_next(struct page_guard *g, const char *link, struct err *e)
{
	char hex[65];
	uint32_t id;

	/* The token goes only where graph_url points. */
	if (strncmp(link, g->prefix, strlen(g->prefix)) != 0) {
		err_set(e, "refusing @odata.nextLink outside graph_url: %.300s",
		    link);
		return EXIT_BACKEND;
	}
	sha256_hex(link, strlen(link), hex);
	if (intern_find(g->seen, hex, &id)) {
		err_set(e, "@odata.nextLink of page %u leads back to a page "
		    "already read (%.300s); refusing to page in a loop",
		    g->pages, link);
		return EXIT_BACKEND;
	}
	if (g->pages >= g->max_pages) {
		err_set(e, "more than %u pages of users; refusing to page on "
		    "(the answer keeps linking to more)", g->max_pages);
		return EXIT_BACKEND;
	}
	intern_add(g->seen, hex);
	g->pages++;
	return EXIT_OK;
}

void
page_guard_free(struct page_guard *g)
{
	intern_free(g->seen);
	g->seen = NULL;
}
