/* config.c - licsync.conf, the operator's file (YAML): its key tables,
 * sections, defaults, loading and the dump; the values are checked in
 * config_value.c */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/config_value.h"
#include "conf/yamlwalk.h"

#define DEFAULT_PAGE_SIZE 500
#define DEFAULT_TIMEOUT 30
#define DEFAULT_BACKEND "graph"
#define DEFAULT_GRAPH_URL "https://graph.microsoft.com/v1.0"
#define DEFAULT_TOKEN_URL \
	"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
#define DEFAULT_DATABASE LOCALSTATEDIR "/lib/licsync/licsync.db"
#define DEFAULT_POLICY SYSCONFDIR "/licsync/policy.yaml"
#define DEFAULT_LOCK_FILE RUNSTATEDIR "/licsync/licsync.lock"
#define DEFAULT_CONCURRENCY 4
#define DEFAULT_MAX_RETRIES 8
#define DEFAULT_MAX_RETRY_TIME 600      /* seconds */
#define DEFAULT_WRITE_BUDGET 3000       /* Graph's limit per app and tenant */
#define DEFAULT_WRITE_WINDOW 150        /* seconds */

/* ---- values needing the configuration's types ---- */

static int
reqcert_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const char *s = yw_str(v);

	if (strcmp(s, "demand") == 0)
		*YW_FIELD(obj, k, enum tls_reqcert) = TLS_REQCERT_DEMAND;
	else if (strcmp(s, "never") == 0)
		*YW_FIELD(obj, k, enum tls_reqcert) = TLS_REQCERT_NEVER;
	else
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'demand' or 'never'", k->name);
	return EXIT_OK;
}

static int
schema_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	static const char *const names[] = { "auto", "rfc", "ad" };
	const char *s = yw_str(v);
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*YW_FIELD(obj, k, enum ldap_schema) =
			    (enum ldap_schema)i;
			return EXIT_OK;
		}
	return yw_error(y, v->start_mark, e,
	    "'%s' must be 'auto', 'rfc' or 'ad'", k->name);
}

static int
nesting_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const char *s = yw_str(v);

	if (strcmp(s, "walk") == 0)
		*YW_FIELD(obj, k, enum ldap_nesting) = NESTING_WALK;
	else if (strcmp(s, "in-chain") == 0)
		*YW_FIELD(obj, k, enum ldap_nesting) = NESTING_IN_CHAIN;
	else
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'walk' or 'in-chain'", k->name);
	return EXIT_OK;
}

/* The SASL mechanisms licsync binds with besides simple and EXTERNAL. */
static int
sasl_mech_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	if (strcmp(yw_str(v), "GSSAPI") != 0)
		return yw_error(y, v->start_mark, e,
		    "'%s' must be 'GSSAPI' (Kerberos)", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(yw_str(v));
	return EXIT_OK;
}

/* An LDAP filter, or "none": kept as "". */
static int
disabled_filter_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	if (strcmp(yw_str(v), "none") != 0)
		return filter_key(y, k, v, obj, e);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup("");
	return EXIT_OK;
}

/* "N/DURATION": at most N writes in any window of DURATION. */
static int
write_budget_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	struct config_backend *b = obj;

	return write_budget_value(y, k, v, &b->write_budget, &b->write_window,
	    e);
}

/* ---- sections ---- */

static int ldap_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int backend_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int safety_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int location_section(struct yw *, const struct yw_key *,
    yaml_node_t *, void *, struct err *);
static int log_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);

static const struct yw_key config_keys[] = {
	{ "ldap", YW_MAP, ldap_section, offsetof(struct config, ldap), 0 },
	{ "backend", YW_MAP, backend_section,
	    offsetof(struct config, backend), YW_REQUIRED },
	{ "database", YW_STRING, path_key,
	    offsetof(struct config, database), 0 },
	{ "policy", YW_STRING, path_key, offsetof(struct config, policy), 0 },
	{ "lock_file", YW_STRING, path_key,
	    offsetof(struct config, lock_file), 0 },
	{ "safety", YW_MAP, safety_section, 0, 0 },
	{ "log", YW_MAP, log_section, 0, 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key ldap_keys[] = {
	{ "uri", YW_STRING, uri_key, offsetof(struct config_ldap, uri), 0 },
	{ "starttls", YW_BOOL, NULL,
	    offsetof(struct config_ldap, starttls), 0 },
	{ "ca_file", YW_STRING, path_key,
	    offsetof(struct config_ldap, ca_file), 0 },
	{ "tls_reqcert", YW_STRING, reqcert_key,
	    offsetof(struct config_ldap, tls_reqcert), 0 },
	{ "bind_dn", YW_STRING, bind_name_key,
	    offsetof(struct config_ldap, bind_dn), 0 },
	{ "bind_password_file", YW_STRING, path_key,
	    offsetof(struct config_ldap, bind_password_file), 0 },
	{ "sasl_mech", YW_STRING, sasl_mech_key,
	    offsetof(struct config_ldap, sasl_mech), 0 },
	{ "keytab", YW_STRING, path_key,
	    offsetof(struct config_ldap, keytab), 0 },
	{ "base_dn", YW_STRING, dn_key,
	    offsetof(struct config_ldap, base_dn), 0 },
	{ "schema", YW_STRING, schema_key,
	    offsetof(struct config_ldap, schema), 0 },
	{ "nesting", YW_STRING, nesting_key,
	    offsetof(struct config_ldap, nesting), 0 },
	{ "user_filter", YW_STRING, filter_key,
	    offsetof(struct config_ldap, user_filter), 0 },
	{ "user_key", YW_STRING, attr_key,
	    offsetof(struct config_ldap, user_key), 0 },
	{ "disabled_filter", YW_STRING, disabled_filter_key,
	    offsetof(struct config_ldap, disabled_filter), 0 },
	{ "page_size", YW_INT, page_size_key,
	    offsetof(struct config_ldap, page_size), 0 },
	{ "timeout", YW_INT, timeout_key,
	    offsetof(struct config_ldap, timeout), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key backend_keys[] = {
	{ "type", YW_STRING, backend_type_key,
	    offsetof(struct config_backend, type), 0 },
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
	{ "proxy", YW_STRING, proxy_key,
	    offsetof(struct config_backend, proxy), 0 },
	{ "concurrency", YW_INT, concurrency_key,
	    offsetof(struct config_backend, concurrency), 0 },
	{ "max_retries", YW_INT, max_retries_key,
	    offsetof(struct config_backend, max_retries), 0 },
	{ "max_retry_time", YW_STRING, retry_time_key,
	    offsetof(struct config_backend, max_retry_time), 0 },
	{ "write_budget", YW_STRING, write_budget_key,
	    offsetof(struct config_backend, write_budget), 0 },
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

static const struct yw_key safety_keys[] = {
	{ "max_assign", YW_ANY, yw_limit,
	    offsetof(struct config, safety.max_assign), 0 },
	{ "max_unassign", YW_ANY, yw_limit,
	    offsetof(struct config, safety.max_unassign), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static const struct yw_key log_keys[] = {
	{ "facility", YW_STRING, facility_key,
	    offsetof(struct config, log.facility), 0 },
	{ NULL, YW_ANY, NULL, 0, 0 }
};

static int
ldap_section(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	struct config_ldap *l = YW_FIELD(obj, k, struct config_ldap);
	int r;

	r = yw_walk(y, v, ldap_keys, l, k->name, e);
	if (r != EXIT_OK)
		return r;
	if (l->bind_dn != NULL && l->bind_password_file == NULL)
		return yw_error(y, v->start_mark, e,
		    "'bind_dn' needs 'bind_password_file'");
	if (l->bind_dn == NULL && l->bind_password_file != NULL)
		return yw_error(y, v->start_mark, e,
		    "'bind_password_file' needs 'bind_dn'");
	if (l->sasl_mech != NULL && l->bind_dn != NULL)
		return yw_error(y, v->start_mark, e,
		    "'sasl_mech' and 'bind_dn' exclude each other: GSSAPI "
		    "binds as the keytab's principal");
	if (l->keytab != NULL && l->sasl_mech == NULL)
		return yw_error(y, v->start_mark, e,
		    "'keytab' needs 'sasl_mech: GSSAPI'");
	return EXIT_OK;
}

/* Exactly one credential: a secret, or a certificate and its key. */
static int
backend_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	struct config_backend *b = YW_FIELD(obj, k, struct config_backend);
	const char *msg = NULL;
	int r;

	r = yw_walk(y, v, backend_keys, b, k->name, e);
	if (r != EXIT_OK)
		return r;
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
safety_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return yw_walk(y, v, safety_keys, obj, k->name, e);
}

static int
log_section(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	return yw_walk(y, v, log_keys, obj, k->name, e);
}

/* ---- loading ---- */

/* The directory of PATH, absolute; relative file names are resolved
 * against it so that they do not depend on the working directory. */
static char *
config_dir(const char *path)
{
	const char *slash;
	char *cwd, *dir;

	while (path[0] == '.' && path[1] == '/') {
		path++;
		path += strspn(path, "/");
	}
	slash = strrchr(path, '/');
	if (path[0] == '/')
		return xstrndup(path, (size_t)(slash - path));
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return slash != NULL ?
		    xstrndup(path, (size_t)(slash - path)) : NULL;
	if (strcmp(cwd, "/") == 0)
		cwd[0] = '\0';
	if (slash == NULL)
		dir = xstrdup(cwd);
	else
		dir = xasprintf("%s/%.*s", cwd, (int)(slash - path), path);
	free(cwd);
	return dir;
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
apply_defaults(struct config *c)
{
	struct config_backend *b = &c->backend;
	size_t n;

	if (c->ldap.page_size == 0)
		c->ldap.page_size = DEFAULT_PAGE_SIZE;
	if (c->ldap.timeout == 0)
		c->ldap.timeout = DEFAULT_TIMEOUT;
	set_default(&b->type, DEFAULT_BACKEND);
	set_default(&b->graph_url, DEFAULT_GRAPH_URL);
	n = strlen(b->graph_url);
	while (n > 0 && b->graph_url[n - 1] == '/')
		b->graph_url[--n] = '\0';
	set_default(&b->token_url, DEFAULT_TOKEN_URL);
	substitute_tenant(&b->token_url, b->tenant_id);
	set_default(&c->database, DEFAULT_DATABASE);
	set_default(&c->policy, DEFAULT_POLICY);
	set_default(&c->lock_file, DEFAULT_LOCK_FILE);
}

int
config_load(const char *path, struct config **out, struct err *e)
{
	struct config *c = xcalloc(1, sizeof(*c));
	struct yw y = { 0 };
	char *dir = config_dir(path);
	int r;

	*out = NULL;
	c->path = xstrdup(path);
	c->ldap.tls_reqcert = TLS_REQCERT_DEMAND;
	/* Set before reading: 0 is a valid max_retries. */
	c->backend.concurrency = DEFAULT_CONCURRENCY;
	c->backend.max_retries = DEFAULT_MAX_RETRIES;
	c->backend.max_retry_time = DEFAULT_MAX_RETRY_TIME;
	c->backend.write_budget = DEFAULT_WRITE_BUDGET;
	c->backend.write_window = DEFAULT_WRITE_WINDOW;
	c->log.facility = LOG_DAEMON;
	y.user = dir;
	r = yw_open(&y, path, e);
	if (y.text != NULL)
		sha256_hex(y.text, y.len, c->sha256);
	if (r == EXIT_OK)
		r = yw_walk(&y, yw_root(&y), config_keys, c, NULL, e);
	yw_close(&y);
	free(dir);
	if (r != EXIT_OK) {
		config_free(c);
		return r;
	}
	apply_defaults(c);
	*out = c;
	return EXIT_OK;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->ldap.uri);
	free(c->ldap.ca_file);
	free(c->ldap.bind_dn);
	free(c->ldap.bind_password_file);
	free(c->ldap.sasl_mech);
	free(c->ldap.keytab);
	free(c->ldap.base_dn);
	free(c->ldap.user_filter);
	free(c->ldap.user_key);
	free(c->ldap.disabled_filter);
	free(c->backend.type);
	free(c->backend.tenant_id);
	free(c->backend.client_id);
	free(c->backend.client_secret_file);
	free(c->backend.client_certificate_file);
	free(c->backend.client_key_file);
	free(c->backend.graph_url);
	free(c->backend.token_url);
	free(c->backend.proxy);
	free(c->backend.location_attribute);
	free(c->database);
	free(c->policy);
	free(c->lock_file);
	free(c);
}

/* ---- dump ---- */

static void
put_str(FILE *fp, const char *indent, const char *key, const char *value)
{
	if (value == NULL)
		return;
	fprintf(fp, "%s%s: ", indent, key);
	yw_print_scalar(fp, value);
	fputc('\n', fp);
}

static void
dump_ldap(const struct config_ldap *l, FILE *fp)
{
	fputs("ldap:\n", fp);
	put_str(fp, "  ", "uri", l->uri);
	fprintf(fp, "  starttls: %s\n", l->starttls ? "true" : "false");
	put_str(fp, "  ", "ca_file", l->ca_file);
	fprintf(fp, "  tls_reqcert: %s\n",
	    l->tls_reqcert == TLS_REQCERT_NEVER ? "never" : "demand");
	put_str(fp, "  ", "bind_dn", l->bind_dn);
	put_str(fp, "  ", "bind_password_file", l->bind_password_file);
	put_str(fp, "  ", "sasl_mech", l->sasl_mech);
	put_str(fp, "  ", "keytab", l->keytab);
	put_str(fp, "  ", "base_dn", l->base_dn);
	fprintf(fp, "  schema: %s\n", l->schema == SCHEMA_AD ? "ad" :
	    l->schema == SCHEMA_RFC ? "rfc" : "auto");
	fprintf(fp, "  nesting: %s\n", l->nesting == NESTING_IN_CHAIN ?
	    "in-chain" : "walk");
	put_str(fp, "  ", "user_filter", l->user_filter);
	put_str(fp, "  ", "user_key", l->user_key);
	if (l->disabled_filter != NULL && *l->disabled_filter == '\0')
		fputs("  disabled_filter: none\n", fp);
	else
		put_str(fp, "  ", "disabled_filter", l->disabled_filter);
	fprintf(fp, "  page_size: %d\n", l->page_size);
	fprintf(fp, "  timeout: %d\n", l->timeout);
}

/* Seconds in the largest unit that divides them: 600 as 10m, 150 as 150s. */
static void
format_duration(int64_t t, char *out, size_t size)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = {
		{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 },
	};
	size_t i;

	for (i = 0; t > 0 && i < sizeof(units) / sizeof(units[0]); i++) {
		if (t % units[i].seconds == 0) {
			snprintf(out, size, "%lld%c",
			    (long long)(t / units[i].seconds), units[i].unit);
			return;
		}
	}
	snprintf(out, size, "%llds", (long long)t);
}

static void
dump_backend(const struct config_backend *b, FILE *fp)
{
	char d[32];

	fputs("backend:\n", fp);
	put_str(fp, "  ", "type", b->type);
	put_str(fp, "  ", "tenant_id", b->tenant_id);
	put_str(fp, "  ", "client_id", b->client_id);
	put_str(fp, "  ", "client_secret_file", b->client_secret_file);
	put_str(fp, "  ", "client_certificate_file",
	    b->client_certificate_file);
	put_str(fp, "  ", "client_key_file", b->client_key_file);
	put_str(fp, "  ", "graph_url", b->graph_url);
	put_str(fp, "  ", "token_url", b->token_url);
	put_str(fp, "  ", "proxy", b->proxy);
	fprintf(fp, "  concurrency: %d\n", b->concurrency);
	fprintf(fp, "  max_retries: %d\n", b->max_retries);
	format_duration(b->max_retry_time, d, sizeof(d));
	fprintf(fp, "  max_retry_time: %s\n", d);
	format_duration(b->write_window, d, sizeof(d));
	fprintf(fp, "  write_budget: %ld/%s\n", b->write_budget, d);
	if (b->location_attribute == NULL && b->location_default[0] == '\0')
		return;
	fputs("  usage_location:\n", fp);
	put_str(fp, "    ", "attribute", b->location_attribute);
	if (b->location_default[0] != '\0')
		put_str(fp, "    ", "default", b->location_default);
}

static void
put_limit(FILE *fp, const char *key, const struct limit *l)
{
	if (!l->set)
		return;
	if (l->percent)
		fprintf(fp, "  %s: \"%ld%%\"\n", key, l->value);
	else
		fprintf(fp, "  %s: %ld\n", key, l->value);
}

void
config_dump(const struct config *c, FILE *fp)
{
	dump_ldap(&c->ldap, fp);
	dump_backend(&c->backend, fp);
	put_str(fp, "", "database", c->database);
	put_str(fp, "", "policy", c->policy);
	put_str(fp, "", "lock_file", c->lock_file);
	fprintf(fp, "log:\n  facility: %s\n", facility_name(c->log.facility));
	if (!c->safety.max_assign.set && !c->safety.max_unassign.set)
		return;
	fputs("safety:\n", fp);
	put_limit(fp, "max_assign", &c->safety.max_assign);
	put_limit(fp, "max_unassign", &c->safety.max_unassign);
}
