/* policy.c - license policies (YAML), edited by admins */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/policy.h"
#include "conf/yamlwalk.h"

/* What handlers see of the load in progress, through y->user. */
struct pctx {
	struct policy *p;
	const char *file;
};

const char *
remove_mode_name(enum remove_mode m)
{
	switch (m) {
	case REMOVE_OWNED:
		return "owned";
	case REMOVE_ALL:
		return "all";
	case REMOVE_NEVER:
		return "never";
	}
	return "?";
}

/* ---- values ---- */

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hexadecimal digits. */
static bool
guid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!is_hex(s[i])) {
			return false;
		}
	}
	return true;
}

static int
sku_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const struct pctx *ctx = y->user;
	struct app_policy *a = obj;
	char *sku;
	size_t i;

	if (!guid_ok(yw_str(v)))
		return yw_error(y, v->start_mark, e, "'%s' must be a GUID",
		    k->name);
	sku = xstrdup(yw_str(v));
	str_lower(sku);
	for (i = 0; i < ctx->p->napps; i++) {
		if (ctx->p->apps[i].sku == NULL ||
		    strcmp(ctx->p->apps[i].sku, sku) != 0)
			continue;
		free(sku);
		return yw_error(y, v->start_mark, e,
		    "app '%s' uses the same sku as app '%s'",
		    a->name, ctx->p->apps[i].name);
	}
	a->sku = sku;
	return EXIT_OK;
}

static int
part_number_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	const struct pctx *ctx = y->user;
	struct app_policy *a = obj;
	const char *s = yw_str(v);
	size_t i;

	for (i = 0; i < ctx->p->napps; i++) {
		if (ctx->p->apps[i].sku_part_number == NULL ||
		    !str_ieq(ctx->p->apps[i].sku_part_number, s))
			continue;
		return yw_error(y, v->start_mark, e,
		    "app '%s' uses the same %s as app '%s'",
		    a->name, k->name, ctx->p->apps[i].name);
	}
	a->sku_part_number = xstrdup(s);
	return EXIT_OK;
}

static int
dn_item(struct yw *y, const struct yw_key *k, yaml_node_t *item,
    struct err *e)
{
	(void)k;
	return yw_check_dn(y, item, e);
}

static int
dns_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	return yw_strings(y, k, v, dn_item, YW_FIELD(obj, k, struct strv), e);
}

static int
groups_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (v->data.sequence.items.start == v->data.sequence.items.top)
		return yw_error(y, v->start_mark, e, "'%s' must not be empty",
		    k->name);
	return dns_key(y, k, v, obj, e);
}

static int
strings_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	return yw_strings(y, k, v, NULL, YW_FIELD(obj, k, struct strv), e);
}

static int
guid_item(struct yw *y, const struct yw_key *k, yaml_node_t *item,
    struct err *e)
{
	if (!guid_ok(yw_str(item)))
		return yw_error(y, item->start_mark, e,
		    "'%s' must be a list of GUIDs", k->name);
	return EXIT_OK;
}

static int
guids_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	struct strv *sv = YW_FIELD(obj, k, struct strv);
	size_t i;
	int r;

	r = yw_strings(y, k, v, guid_item, sv, e);
	for (i = 0; i < sv->n; i++)
		str_lower(sv->v[i]);
	return r;
}

static int
seats_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	struct app_policy *a = obj;
	long n;

	if (v->type != YAML_SCALAR_NODE)
		return yw_error(y, v->start_mark, e, "'%s' must be an integer "
		    "or 'unlimited'", k->name);
	if (strcmp(yw_str(v), "unlimited") == 0)
		n = -1;
	else if (!yw_long(v, &n))
		return yw_error(y, v->start_mark, e, "'%s' must be an integer "
		    "or 'unlimited'", k->name);
	else if (n < 0)
		return yw_error(y, v->start_mark, e, "'%s' must be 0 or more",
		    k->name);
	*YW_FIELD(obj, k, long) = n;
	a->seats_set = true;
	return EXIT_OK;
}

/* A name of licsync.conf's backends: */
static int
backend_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	const char *s = yw_str(v);

	if (!yw_name_ok(s))
		return yw_error(y, v->start_mark, e, "'%s' must name a backend "
		    "of licsync.conf", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(s);
	return EXIT_OK;
}

static int
remove_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	enum remove_mode *m = YW_FIELD(obj, k, enum remove_mode);
	const char *s = yw_str(v);

	if (strcmp(s, "owned") == 0)
		*m = REMOVE_OWNED;
	else if (strcmp(s, "all") == 0)
		*m = REMOVE_ALL;
	else if (strcmp(s, "never") == 0)
		*m = REMOVE_NEVER;
	else
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'owned', 'all' or 'never'", k->name);
	return EXIT_OK;
}

static int
grace_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (!yw_duration(yw_str(v), YW_FIELD(obj, k, int64_t)))
		return yw_error(y, v->start_mark, e,
		    "'%s' must be a duration like 72h, 7d or 1d12h", k->name);
	return EXIT_OK;
}

/* ---- tables ---- */

static int protected_key(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int apps_key(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);

static const struct yw_key policy_keys[] = {
	{ "protected_users", YW_LIST, protected_key,
	    offsetof(struct policy, protected_users), 0 },
	{ "apps", YW_MAP, apps_key, 0, 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key app_keys[] = {
	{ "backend", YW_STRING, backend_key,
	    offsetof(struct app_policy, backend), 0 },
	{ "sku", YW_STRING, sku_key, offsetof(struct app_policy, sku), 0 },
	{ "scim_group", YW_STRING, NULL,
	    offsetof(struct app_policy, scim_group), 0 },
	{ "sku_part_number", YW_STRING, part_number_key,
	    offsetof(struct app_policy, sku_part_number), 0 },
	{ "groups", YW_LIST, groups_key,
	    offsetof(struct app_policy, groups), YW_REQUIRED },
	{ "exclude_groups", YW_LIST, dns_key,
	    offsetof(struct app_policy, exclude_groups), 0 },
	{ "exclude_users", YW_LIST, strings_key,
	    offsetof(struct app_policy, exclude_users), 0 },
	{ "seats", YW_ANY, seats_key, offsetof(struct app_policy, seats), 0 },
	{ "remove", YW_STRING, remove_key,
	    offsetof(struct app_policy, remove), 0 },
	{ "grace", YW_STRING, grace_key,
	    offsetof(struct app_policy, grace), 0 },
	{ "disabled_plans", YW_LIST, guids_key,
	    offsetof(struct app_policy, disabled_plans), 0 },
	{ "max_assign", YW_ANY, yw_limit,
	    offsetof(struct app_policy, max_assign), 0 },
	{ "max_unassign", YW_ANY, yw_limit,
	    offsetof(struct app_policy, max_unassign), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

/* ---- apps ---- */

static void
app_clear(struct app_policy *a)
{
	free(a->name);
	free(a->backend);
	free(a->sku);
	free(a->sku_part_number);
	free(a->scim_group);
	strv_free(&a->groups);
	strv_free(&a->exclude_groups);
	strv_free(&a->exclude_users);
	strv_free(&a->disabled_plans);
	free(a->file);
}

static const struct app_policy *
find_app(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->napps; i++)
		if (strcmp(p->apps[i].name, name) == 0)
			return &p->apps[i];
	return NULL;
}

static int
check_app(struct yw *y, yaml_node_t *v, const struct app_policy *a,
    struct err *e)
{
	int n = (a->sku != NULL) + (a->sku_part_number != NULL) +
	    (a->scim_group != NULL);

	/* Only a named backend can have a license nobody names. */
	if (n == 0 && a->backend == NULL)
		return yw_error(y, v->start_mark, e,
		    "app '%s' needs 'sku' or 'sku_part_number'", a->name);
	if (a->sku != NULL && a->sku_part_number != NULL)
		return yw_error(y, v->start_mark, e,
		    "app '%s' has both 'sku' and 'sku_part_number'", a->name);
	if (n > 1)
		return yw_error(y, v->start_mark, e, "app '%s' names its "
		    "license twice: give one of 'sku', 'sku_part_number' and "
		    "'scim_group'", a->name);
	return EXIT_OK;
}

static int
app_pair(struct yw *y, yaml_node_t *key, yaml_node_t *v, void *arg,
    struct err *e)
{
	const struct pctx *ctx = y->user;
	struct policy *p = arg;
	const struct app_policy *prev;
	const char *name = yw_str(key);
	struct app_policy a = { 0 };
	int r;

	if (!yw_name_ok(name))
		return yw_error(y, key->start_mark, e, "invalid app name "
		    "'%s': use lower-case letters, digits, '.', '_' and '-'",
		    name);
	prev = find_app(p, name);
	if (prev != NULL)
		return yw_error(y, key->start_mark, e,
		    "app '%s' already defined at %s:%u", name, prev->file,
		    prev->line);
	if (v->type != YAML_MAPPING_NODE)
		return yw_error(y, v->start_mark, e, "'%s' must be a mapping",
		    name);
	a.name = xstrdup(name);
	a.seats = -1;
	a.remove = REMOVE_OWNED;
	a.file = xstrdup(ctx->file);
	a.line = (unsigned)key->start_mark.line + 1;
	a.col = (unsigned)key->start_mark.column + 1;
	r = yw_walk(y, v, app_keys, &a, name, e);
	if (r == EXIT_OK)
		r = check_app(y, v, &a, e);
	if (r != EXIT_OK) {
		app_clear(&a);
		return r;
	}
	p->apps = xreallocarray(p->apps, p->napps + 1, sizeof(*p->apps));
	p->apps[p->napps++] = a;
	return EXIT_OK;
}

static int
apps_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	(void)k;
	return yw_pairs(y, v, app_pair, obj, e);
}

static int
protected_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return yw_strings(y, k, v, NULL, YW_FIELD(obj, k, struct strv), e);
}

/* ---- files ---- */

/* A policy of one file without apps: said where they would go. */
static int
no_apps(struct yw *y, struct err *e)
{
	yaml_node_t *root = yw_root(y), *apps = yw_lookup(y, root, "apps");

	if (apps != NULL)
		return yw_error(y, apps->start_mark, e, "no apps defined");
	return yw_error(y, root->start_mark, e,
	    "no apps defined: the file has no 'apps'");
}

/* Load FILE into P; ALONE: it is the whole policy. */
static int
load_file(struct policy *p, const char *file, bool alone, struct buf *hashed,
    struct err *e)
{
	struct pctx ctx = { p, file };
	struct yw y = { 0 };
	const char *base = strrchr(file, '/');
	int r;

	strv_push(&p->files, file);
	y.user = &ctx;
	r = yw_open(&y, file, e);
	base = base != NULL ? base + 1 : file;
	buf_add(hashed, base, strlen(base) + 1);
	if (y.text != NULL)
		buf_add(hashed, y.text, y.len);
	if (r == EXIT_OK)
		r = yw_walk(&y, yw_root(&y), policy_keys, p, NULL, e);
	if (r == EXIT_OK && alone && p->napps == 0)
		r = no_apps(&y, e);
	yw_close(&y);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_policy_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* The *.yaml files of DIR (not dot-files, not directories), sorted. */
static int
list_dir(const char *dir, struct strv *out, struct err *e)
{
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	struct dirent *de;
	struct stat st;
	char *full;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		err_set(e, "%s: %s", dir, strerror(errno));
		return EXIT_CONFIG;
	}
	for (de = readdir(d); de != NULL; de = readdir(d)) {
		if (!is_policy_name(de->d_name))
			continue;
		full = xasprintf("%s%s%s", dir, sep, de->d_name);
		if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode))
			strv_push(out, full);
		free(full);
	}
	closedir(d);
	if (out->n == 0) {
		err_set(e, "%s: no *.yaml policy files", dir);
		return EXIT_CONFIG;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return EXIT_OK;
}

static int
load_path(struct policy *p, const char *path, struct buf *hashed,
    struct err *e)
{
	struct strv files = { 0 };
	struct stat st;
	size_t i;
	int r;

	if (stat(path, &st) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		return EXIT_CONFIG;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(p, path, true, hashed, e);
	r = list_dir(path, &files, e);
	for (i = 0; r == EXIT_OK && i < files.n; i++)
		r = load_file(p, files.v[i], false, hashed, e);
	if (r == EXIT_OK && p->napps == 0) {
		err_set(e, "%s: no apps defined in any of its %zu policy "
		    "file%s", path, files.n, files.n == 1 ? "" : "s");
		r = EXIT_CONFIG;
	}
	strv_free(&files);
	return r;
}

int
policy_load(const char *path, struct policy **out, struct err *e)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	struct buf hashed = { 0 };
	int r;

	*out = NULL;
	buf_add(&hashed, "", 0);
	r = load_path(p, path, &hashed, e);
	sha256_hex(hashed.data, hashed.len, p->sha256);
	buf_free(&hashed);
	if (r != EXIT_OK) {
		policy_free(p);
		return r;
	}
	*out = p;
	return EXIT_OK;
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->napps; i++)
		app_clear(&p->apps[i]);
	free(p->apps);
	strv_free(&p->protected_users);
	strv_free(&p->files);
	free(p);
}

int
policy_hash(const struct policy *p, char hex[65], struct err *e)
{
	(void)e;
	memcpy(hex, p->sha256, sizeof(p->sha256));
	return EXIT_OK;
}

const char *
policy_license_key(const struct app_policy *a, const char **value)
{
	const char *key = NULL;

	*value = NULL;
	if (a->sku != NULL) {
		key = "sku";
		*value = a->sku;
	} else if (a->sku_part_number != NULL) {
		key = "sku_part_number";
		*value = a->sku_part_number;
	} else if (a->scim_group != NULL) {
		key = "scim_group";
		*value = a->scim_group;
	}
	return key;
}
