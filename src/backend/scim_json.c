/* scim_json.c - SCIM 2.0 answers read and requests written, without I/O */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backend/scim_json.h"

#define LIST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define PATCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define MAX_DETAIL 400

/* A string value cleaned of control characters, cut at MAX; to free. */
static char *
printable(json_t *v, int max)
{
	char *s = xstrdup_printable(json_string_value(v));

	if (s != NULL && strlen(s) > (size_t)max)
		s[max] = '\0';
	return s;
}

static json_t *
load(const char *body, size_t len, const char *what, struct err *e)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);

	if (root == NULL) {
		err_set(e, "%s: not JSON: %s", what, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		err_set(e, "%s: not a JSON object", what);
		json_decref(root);
		return NULL;
	}
	return root;
}

int
scim_read_page(const char *body, size_t len, bool users,
    scim_resource_fn fn, void *ctx, long *total, size_t *count,
    size_t *skipped, struct err *e)
{
	json_t *root = load(body, len, "ListResponse", e), *res, *r, *t, *a;
	size_t i;
	int rv = EXIT_BACKEND;

	*total = -1;
	*count = 0;
	if (root == NULL)
		return EXIT_BACKEND;
	t = json_object_get(root, "totalResults");
	if (t != NULL && (!json_is_integer(t) || json_integer_value(t) < 0)) {
		err_set(e, "ListResponse: totalResults is not a count");
		goto out;
	}
	if (t != NULL)
		*total = (long)json_integer_value(t);
	res = json_object_get(root, "Resources");
	/* RFC 7644 3.4.2: Resources may be left out of an empty page */
	if (res == NULL && *total >= 0) {
		rv = EXIT_OK;
		goto out;
	}
	if (!json_is_array(res)) {
		err_set(e, "ListResponse has no 'Resources' array");
		goto out;
	}
	*count = json_array_size(res);
	json_array_foreach(res, i, r) {
		struct scim_resource sr;

		sr.id = json_string_value(json_object_get(r, "id"));
		sr.name = json_string_value(json_object_get(r, users ?
		    "userName" : "displayName"));
		sr.active = true;
		a = json_object_get(r, "active");
		if (users && a != NULL && !json_is_boolean(a)) {
			err_set(e, "user %.100s: 'active' is not a boolean",
			    sr.id != NULL ? sr.id : "?");
			goto out;
		}
		if (a != NULL)
			sr.active = json_is_true(a);
		if (sr.id == NULL || *sr.id == '\0' || sr.name == NULL ||
		    *sr.name == '\0') {
			(*skipped)++;
			continue;
		}
		if ((rv = fn(ctx, &sr, e)) != EXIT_OK)
			goto out;
	}
	rv = EXIT_OK;
out:
	json_decref(root);
	return rv;
}

int
scim_read_members(const char *body, size_t len, struct strv *ids,
    struct err *e)
{
	json_t *root = load(body, len, "group", e), *m, *v;
	size_t i;
	int rv = EXIT_BACKEND;

	if (root == NULL)
		return EXIT_BACKEND;
	m = json_object_get(root, "members");
	if (m != NULL && !json_is_array(m)) {
		err_set(e, "group: 'members' is not an array");
		goto out;
	}
	json_array_foreach(m, i, v) {
		const char *id = json_string_value(json_object_get(v,
		    "value"));

		if (id == NULL || *id == '\0') {
			err_set(e, "group: a member without a 'value'");
			goto out;
		}
		strv_push(ids, id);
	}
	rv = EXIT_OK;
out:
	json_decref(root);
	return rv;
}

int
scim_read_id(const char *body, size_t len, char **id, struct err *e)
{
	json_t *root = load(body, len, "user", e);
	const char *s;

	*id = NULL;
	if (root == NULL)
		return EXIT_BACKEND;
	s = json_string_value(json_object_get(root, "id"));
	if (s != NULL && *s != '\0')
		*id = xstrdup(s);
	json_decref(root);
	if (*id != NULL)
		return EXIT_OK;
	err_set(e, "the user's answer has no 'id'");
	return EXIT_BACKEND;
}

void
scim_read_error(const char *body, size_t len, char **scim_type,
    char **detail)
{
	json_t *root = json_loadb(body, len, 0, NULL);

	*scim_type = printable(json_object_get(root, "scimType"), 100);
	*detail = printable(json_object_get(root, "detail"), MAX_DETAIL);
	json_decref(root);
}

/* O as compact JSON in key order; NULL only when memory ran out. */
static char *
dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return s;
}

static void
set_str(json_t *o, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_set_new(o, key, json_string(value));
}

char *
scim_user_body(const struct backend_person *p, const char *user_name)
{
	json_t *o = json_pack("{s:[s],s:s,s:b}", "schemas", USER_SCHEMA,
	    "userName", user_name, "active", 1);
	json_t *name = json_object();

	set_str(name, "givenName", p->given_name);
	set_str(name, "familyName", p->family_name);
	if (json_object_size(name) > 0)
		json_object_set(o, "name", name);
	json_decref(name);
	set_str(o, "displayName", p->display_name);
	set_str(o, "externalId", p->external_id);
	if (p->email != NULL && *p->email != '\0')
		json_object_set_new(o, "emails", json_pack("[{s:s,s:s,s:b}]",
		    "value", p->email, "type", "work", "primary", 1));
	return dump(o);
}

char *
scim_active_body(bool active)
{
	return dump(json_pack("{s:[s],s:[{s:s,s:s,s:b}]}", "schemas",
	    PATCH_SCHEMA, "Operations", "op", "replace", "path", "active",
	    "value", active));
}

char *
scim_members_body(const char *const *ids, size_t n, bool add)
{
	json_t *ops = json_array(), *values;
	size_t i;

	if (add) {
		values = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(values, json_pack("{s:s}",
			    "value", ids[i]));
		json_array_append_new(ops, json_pack("{s:s,s:s,s:o}", "op",
		    "add", "path", "members", "value", values));
	} else {
		for (i = 0; i < n; i++) {
			char *q = scim_filter_string(ids[i]);
			char *path = xasprintf("members[value eq %s]", q);

			json_array_append_new(ops, json_pack("{s:s,s:s}", "op",
			    "remove", "path", path));
			free(path);
			free(q);
		}
	}
	return dump(json_pack("{s:[s],s:o}", "schemas", PATCH_SCHEMA,
	    "Operations", ops));
}

char *
scim_filter_string(const char *s)
{
	struct buf b = { 0 };

	buf_addstr(&b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addstr(&b, "\\");
		buf_add(&b, s, 1);
	}
	buf_addstr(&b, "\"");
	return b.data;
}

static void
feature(struct buf *out, json_t *root, const char *name)
{
	json_t *f = json_object_get(root, name);
	json_t *sup = json_object_get(f, "supported");
	json_t *max = json_object_get(f, "maxResults");

	buf_printf(out, "%s%s %s", out->len > 0 ? ", " : "", name,
	    !json_is_boolean(sup) ? "unknown" : json_is_true(sup) ? "yes" :
	    "no");
	if (json_is_true(sup) && json_is_integer(max))
		buf_printf(out, " (at most %lld results)",
		    (long long)json_integer_value(max));
}

void
scim_describe_config(const char *body, size_t len, struct buf *out)
{
	json_t *root = json_loadb(body, len, 0, NULL), *a, *v;
	size_t i;

	buf_add(out, "", 0);
	if (!json_is_object(root)) {
		buf_addstr(out, "not a JSON object");
		json_decref(root);
		return;
	}
	feature(out, root, "patch");
	feature(out, root, "filter");
	feature(out, root, "bulk");
	a = json_object_get(root, "authenticationSchemes");
	json_array_foreach(a, i, v) {
		char *t = printable(json_object_get(v, "type"), 40);

		if (t != NULL)
			buf_printf(out, "%s%s", i == 0 ? ", authentication " :
			    " ", t);
		free(t);
	}
	json_decref(root);
}
