/*
 * config_backend.c - the backend sections of licsync.conf: `backend:`
 * and each entry of `backends:`.  A section's type picks its key table,
 * so a key of another type is an unknown key with its position; the
 * defaults and the dump follow the type too.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_backend.h"
#include "conf/config_value.h"
#include "conf/yamlwalk.h"

#define DEFAULT_GRAPH_URL "https://graph.microsoft.com/v1.0"
#define DEFAULT_TOKEN_URL \
	"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
#define DEFAULT_CONCURRENCY 4
#define DEFAULT_MAX_RETRIES 8
#define DEFAULT_MAX_RETRY_TIME 600      /* seconds */
#define GRAPH_WRITE_BUDGET 3000         /* Graph's limit per app and tenant */
#define GRAPH_WRITE_WINDOW 150          /* seconds */
#define SCIM_WRITE_BUDGET 600           /* Slack's, the lowest seen */
#define SCIM_WRITE_WINDOW 60
#define FULL_READ_EVERY 86400          /* a day */
#define SCIM_PAGE_SIZE 100
#define SCIM_PATCH_MEMBERS 100          /* AWS Identity Center's cap */

/* ---- values ---- */

/* "N/DURATION": at most N writes in any window of DURATION. */
static int
write_budget_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	struct config_backend *b = obj;

	return write_budget_value(y, k, v, &b->write_budget, &b->write_window,
	    e);
}

/* A duration, 0 (every run) to 30 days. */
static int
full_read_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	int64_t t;

	if (!yw_duration(yw_str(v), &t) || t > 30 * 86400)
		return yw_error(y, v->start_mark, e, "'%s' must be a duration "
		    "from 0 to 30d, like 12h or 1d", k->name);
	*YW_FIELD(obj, k, int64_t) = t;
	return EXIT_OK;
}

/* Read already (it chose the table); only checked here. */
static int
type_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	(void)y;
	(void)k;
	(void)v;
	(void)obj;
	(void)e;
	return EXIT_OK;
}

static int
seat_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const char *s = yw_str(v);

	if (strcmp(s, "group") == 0)
		*YW_FIELD(obj, k, enum scim_seat) = SEAT_GROUP;
	else if (strcmp(s, "active") == 0)
		*YW_FIELD(obj, k, enum scim_seat) = SEAT_ACTIVE;
	else
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'group' or 'active'", k->name);
	return EXIT_OK;
}

static int
deprovision_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	const char *s = yw_str(v);

	if (strcmp(s, "disable") == 0)
		*YW_FIELD(obj, k, bool) = false;
	else if (strcmp(s, "delete") == 0)
		*YW_FIELD(obj, k, bool) = true;
	else
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'disable' or 'delete'", k->name);
	return EXIT_OK;
}

/* SCIM's count and a PATCH's members: 1 to 1000. */
static int
count_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	long n;

	if (!yw_long(v, &n) || n < 1 || n > 1000)
		return yw_error(y, v->start_mark, e,
		    "'%s' must be from 1 to 1000", k->name);
	*YW_FIELD(obj, k, int) = (int)n;
	return EXIT_OK;
}

/* ---- tables ---- */

static int location_section(struct yw *, const struct yw_key *,
    yaml_node_t *, void *, struct err *);
static int attributes_section(struct yw *, const struct yw_key *,
    yaml_node_t *, void *, struct err *);

#define COMMON_KEYS \
	{ "type", YW_STRING, type_key, 0, 0 }, \
	{ "proxy", YW_STRING, proxy_key, \
	    offsetof(struct config_backend, proxy), 0 }, \
	{ "concurrency", YW_INT, concurrency_key, \
	    offsetof(struct config_backend, concurrency), 0 }, \
	{ "max_retries", YW_INT, max_retries_key, \
	    offsetof(struct config_backend, max_retries), 0 }, \
	{ "max_retry_time", YW_STRING, retry_time_key, \
	    offsetof(struct config_backend, max_retry_time), 0 }, \
	{ "write_budget", YW_STRING, write_budget_key, \
	    offsetof(struct config_backend, write_budget), 0 }

static const struct yw_key graph_keys[] = {
	COMMON_KEYS,
	{ "tenant_id", YW_STRING, tenant_key,
	    offsetof(struct config_backend, tenant_id), YW_REQUIRED },
	{ "client_id", YW_STRING, NULL,
	    offsetof(struct config_backend, client_id), YW_REQUIRED },
	{ "client_secret_file", YW_STRING, path_key,
	    offsetof(struct config_backend, client_secret_file), 0 },
	{ "client_certificate_file", YW_STRING, path_key,
	    offsetof(struct config_backend, client_certificate_file), 0 },
	{ "client_key_file", YW_STRING, path_key,
	    offsetof(struct config_backend, client_key_file), 0 },
	{ "graph_url", YW_STRING, url_key,
	    offsetof(struct config_backend, graph_url), 0 },
	{ "token_url", YW_STRING, url_key,
	    offsetof(struct config_backend, token_url), 0 },
	{ "full_read_every", YW_STRING, full_read_key,
	    offsetof(struct config_backend, full_read_every), 0 },
	{ "usage_location", YW_MAP, location_section, 0, 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key location_keys[] = {
	{ "attribute", YW_STRING, attr_key,
	    offsetof(struct config_backend, location_attribute), 0 },
	{ "default", YW_STRING, country_key,
	    offsetof(struct config_backend, location_default), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key scim_keys[] = {
	COMMON_KEYS,
	{ "url", YW_STRING, url_key,
	    offsetof(struct config_backend, url), YW_REQUIRED },
	{ "token_file", YW_STRING, path_key,
	    offsetof(struct config_backend, token_file), YW_REQUIRED },
	{ "seat", YW_STRING, seat_key,
	    offsetof(struct config_backend, seat), 0 },
	{ "user_name", YW_STRING, attr_key,
	    offsetof(struct config_backend, user_name), 0 },
	{ "create_users", YW_BOOL, NULL,
	    offsetof(struct config_backend, create_users), 0 },
	{ "deprovision", YW_STRING, deprovision_key,
	    offsetof(struct config_backend, deprovision_delete), 0 },
	{ "page_size", YW_INT, count_key,
	    offsetof(struct config_backend, page_size), 0 },
	{ "patch_members", YW_INT, count_key,
	    offsetof(struct config_backend, patch_members), 0 },
	{ "attributes", YW_MAP, attributes_section, 0, 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key attribute_keys[] = {
	{ "given_name", YW_STRING, attr_key,
	    offsetof(struct config_backend, attrs.given_name), 0 },
	{ "family_name", YW_STRING, attr_key,
	    offsetof(struct config_backend, attrs.family_name), 0 },
	{ "display_name", YW_STRING, attr_key,
	    offsetof(struct config_backend, attrs.display_name), 0 },
	{ "email", YW_STRING, attr_key,
	    offsetof(struct config_backend, attrs.email), 0 },
	{ "external_id", YW_STRING, attr_key,
	    offsetof(struct config_backend, attrs.external_id), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

/* At least one of attribute and default. */
static int
location_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	struct config_backend *b = obj;
	int r;

	r = yw_walk(y, v, location_keys, b, k->name, e);
	if (r == EXIT_OK && b->location_attribute == NULL &&
	    b->location_default[0] == '\0')
		return yw_error(y, v->start_mark, e, "'%s' needs 'attribute', "
		    "'default' or both", k->name);
	return r;
}

static int
attributes_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return yw_walk(y, v, attribute_keys, obj, k->name, e);
}

/* ---- the types ---- */

static int graph_check(struct yw *, yaml_node_t *, struct config_backend *,
    struct err *);
static void graph_defaults(struct config_backend *);
static void graph_dump(const struct config_backend *, FILE *, const char *);
static void scim_defaults(struct config_backend *);
static void scim_dump(const struct config_backend *, FILE *, const char *);

static const struct backend_type {
	const char *name;
	const struct yw_key *keys;
	long write_budget;
	int64_t write_window;
	/* what the keys together must be, or NULL */
	int (*check)(struct yw *, yaml_node_t *, struct config_backend *,
	    struct err *);
	void (*defaults)(struct config_backend *);
	void (*dump)(const struct config_backend *, FILE *, const char *);
} types[] = {
	{ .name = "graph", .keys = graph_keys,
	    .write_budget = GRAPH_WRITE_BUDGET,
	    .write_window = GRAPH_WRITE_WINDOW, .check = graph_check,
	    .defaults = graph_defaults, .dump = graph_dump },
	{ .name = "scim", .keys = scim_keys,
	    .write_budget = SCIM_WRITE_BUDGET,
	    .write_window = SCIM_WRITE_WINDOW, .check = NULL,
	    .defaults = scim_defaults, .dump = scim_dump },
};

static const struct backend_type *
find_type(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

/* Exactly one credential: a secret, or a certificate and its key. */
static int
graph_check(struct yw *y, yaml_node_t *v, struct config_backend *b,
    struct err *e)
{
	const char *msg = NULL;

	if (b->client_secret_file != NULL && b->client_certificate_file != NULL)
		msg = "'client_secret_file' and 'client_certificate_file' "
		    "exclude each other";
	else if (b->client_secret_file != NULL && b->client_key_file != NULL)
		msg = "'client_secret_file' and 'client_key_file' "
		    "exclude each other";
	else if (b->client_certificate_file != NULL &&
	    b->client_key_file == NULL)
		msg = "'client_certificate_file' needs 'client_key_file'";
	else if (b->client_key_file != NULL &&
	    b->client_certificate_file == NULL)
		msg = "'client_key_file' needs 'client_certificate_file'";
	else if (b->client_secret_file == NULL &&
	    b->client_certificate_file == NULL)
		msg = "'backend' needs 'client_secret_file' or "
		    "'client_certificate_file'";
	if (msg != NULL)
		return yw_error(y, v->start_mark, e, "%s", msg);
	return EXIT_OK;
}

static void
set_default(char **field, const char *value)
{
	if (*field == NULL)
		*field = xstrdup(value);
}

/* Replace every "{tenant_id}" in *URL. */
static void
substitute_tenant(char **url, const char *tenant)
{
	static const char var[] = "{tenant_id}";
	struct buf b = { 0 };
	const char *p = *url, *hit;

	buf_add(&b, "", 0);
	for (hit = strstr(p, var); hit != NULL; hit = strstr(p, var)) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_addstr(&b, tenant);
		p = hit + sizeof(var) - 1;
	}
	buf_addstr(&b, p);
	free(*url);
	*url = b.data;
}

static void
strip_slashes(char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
}

static void
graph_defaults(struct config_backend *b)
{
	set_default(&b->graph_url, DEFAULT_GRAPH_URL);
	strip_slashes(b->graph_url);
	set_default(&b->token_url, DEFAULT_TOKEN_URL);
	substitute_tenant(&b->token_url, b->tenant_id);
}

static void
scim_defaults(struct config_backend *b)
{
	strip_slashes(b->url);
	set_default(&b->attrs.given_name, "givenName");
	set_default(&b->attrs.family_name, "sn");
	set_default(&b->attrs.display_name, "displayName");
	set_default(&b->attrs.email, "mail");
}

/* ---- reading ---- */

void
config_backend_init(struct config_backend *b)
{
	memset(b, 0, sizeof(*b));
	/* Set before reading: 0 is a valid max_retries. */
	b->concurrency = DEFAULT_CONCURRENCY;
	b->max_retries = DEFAULT_MAX_RETRIES;
	b->max_retry_time = DEFAULT_MAX_RETRY_TIME;
	b->write_budget = -1;
	b->create_users = true;
	b->page_size = SCIM_PAGE_SIZE;
	b->patch_members = SCIM_PATCH_MEMBERS;
	b->full_read_every = FULL_READ_EVERY;
}

int
config_backend_read(struct yw *y, yaml_node_t *v, const char *name,
    const char *where, struct config_backend *b, struct err *e)
{
	const struct backend_type *t;
	yaml_node_t *tv = yw_lookup(y, v, "type");
	const char *type = "graph";
	int r;

	if (tv != NULL) {
		if (tv->type != YAML_SCALAR_NODE || yw_is_null(tv) ||
		    *yw_str(tv) == '\0')
			return yw_error(y, tv->start_mark, e,
			    "'type' must be a string");
		type = yw_str(tv);
	}
	if ((t = find_type(type)) == NULL)
		return yw_error(y, (tv != NULL ? tv : v)->start_mark, e,
		    "unknown backend type '%s' (known: graph, scim)", type);
	b->name = xstrdup(name);
	b->type = xstrdup(t->name);
	if ((r = yw_walk(y, v, t->keys, b, where, e)) != EXIT_OK)
		return r;
	if (t->check != NULL && (r = t->check(y, v, b, e)) != EXIT_OK)
		return r;
	if (b->write_budget < 0) {
		b->write_budget = t->write_budget;
		b->write_window = t->write_window;
	}
	t->defaults(b);
	return EXIT_OK;
}

void
config_backend_clear(struct config_backend *b)
{
	free(b->name);
	free(b->type);
	free(b->proxy);
	free(b->tenant_id);
	free(b->client_id);
	free(b->client_secret_file);
	free(b->client_certificate_file);
	free(b->client_key_file);
	free(b->graph_url);
	free(b->token_url);
	free(b->location_attribute);
	free(b->url);
	free(b->token_file);
	free(b->user_name);
	free(b->attrs.given_name);
	free(b->attrs.family_name);
	free(b->attrs.display_name);
	free(b->attrs.email);
	free(b->attrs.external_id);
}

/* ---- dump ---- */

static void
graph_dump(const struct config_backend *b, FILE *fp, const char *in)
{
	config_put_str(fp, in, "tenant_id", b->tenant_id);
	config_put_str(fp, in, "client_id", b->client_id);
	config_put_str(fp, in, "client_secret_file", b->client_secret_file);
	config_put_str(fp, in, "client_certificate_file",
	    b->client_certificate_file);
	config_put_str(fp, in, "client_key_file", b->client_key_file);
	config_put_str(fp, in, "graph_url", b->graph_url);
	config_put_str(fp, in, "token_url", b->token_url);
	if (b->full_read_every == 0)
		fprintf(fp, "%sfull_read_every: 0\n", in);
	else {
		char d[32];

		config_format_duration(b->full_read_every, d, sizeof(d));
		fprintf(fp, "%sfull_read_every: %s\n", in, d);
	}
}

static void
graph_dump_location(const struct config_backend *b, FILE *fp,
    const char *in)
{
	char deeper[16];

	if (b->location_attribute == NULL && b->location_default[0] == '\0')
		return;
	snprintf(deeper, sizeof(deeper), "%s  ", in);
	fprintf(fp, "%susage_location:\n", in);
	config_put_str(fp, deeper, "attribute", b->location_attribute);
	if (b->location_default[0] != '\0')
		config_put_str(fp, deeper, "default", b->location_default);
}

static void
scim_dump(const struct config_backend *b, FILE *fp, const char *in)
{
	char deeper[16];

	config_put_str(fp, in, "url", b->url);
	config_put_str(fp, in, "token_file", b->token_file);
	fprintf(fp, "%sseat: %s\n", in, b->seat == SEAT_ACTIVE ? "active" :
	    "group");
	config_put_str(fp, in, "user_name", b->user_name);
	fprintf(fp, "%screate_users: %s\n", in, b->create_users ? "true" :
	    "false");
	fprintf(fp, "%sdeprovision: %s\n", in, b->deprovision_delete ?
	    "delete" : "disable");
	fprintf(fp, "%spage_size: %d\n", in, b->page_size);
	fprintf(fp, "%spatch_members: %d\n", in, b->patch_members);
	snprintf(deeper, sizeof(deeper), "%s  ", in);
	fprintf(fp, "%sattributes:\n", in);
	config_put_str(fp, deeper, "given_name", b->attrs.given_name);
	config_put_str(fp, deeper, "family_name", b->attrs.family_name);
	config_put_str(fp, deeper, "display_name", b->attrs.display_name);
	config_put_str(fp, deeper, "email", b->attrs.email);
	config_put_str(fp, deeper, "external_id", b->attrs.external_id);
}

void
config_backend_dump(const struct config_backend *b, FILE *fp,
    const char *in)
{
	const struct backend_type *t = find_type(b->type);
	char d[32];

	config_put_str(fp, in, "type", b->type);
	if (t != NULL)
		t->dump(b, fp, in);
	config_put_str(fp, in, "proxy", b->proxy);
	fprintf(fp, "%sconcurrency: %d\n", in, b->concurrency);
	fprintf(fp, "%smax_retries: %d\n", in, b->max_retries);
	config_format_duration(b->max_retry_time, d, sizeof(d));
	fprintf(fp, "%smax_retry_time: %s\n", in, d);
	config_format_duration(b->write_window, d, sizeof(d));
	fprintf(fp, "%swrite_budget: %ld/%s\n", in, b->write_budget, d);
	if (t != NULL && t->dump == graph_dump)
		graph_dump_location(b, fp, in);
}
