/* config.c - licsync.conf, the operator's file (YAML): its key tables,
 * sections, defaults, loading and the dump; the values are checked in
 * config_value.c */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/config_backend.h"
#include "conf/config_value.h"
#include "conf/yamlwalk.h"

#define DEFAULT_PAGE_SIZE 500
#define DEFAULT_TIMEOUT 30
#define DEFAULT_DATABASE LOCALSTATEDIR "/lib/licsync/licsync.db"
#define DEFAULT_POLICY SYSCONFDIR "/licsync/policy.yaml"
#define DEFAULT_LOCK_FILE RUNSTATEDIR "/licsync/licsync.lock"

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

/* ---- sections ---- */

static int ldap_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int backend_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int safety_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);
static int backends_section(struct yw *, const struct yw_key *,
    yaml_node_t *, void *, struct err *);
static int log_section(struct yw *, const struct yw_key *, yaml_node_t *,
    void *, struct err *);

static const struct yw_key config_keys[] = {
	{ "ldap", YW_MAP, ldap_section, offsetof(struct config, ldap), 0 },
	{ "backend", YW_MAP, backend_section,
	    offsetof(struct config, backend), 0 },
	{ "backends", YW_MAP, backends_section, 0, 0 },
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

static int
backend_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return config_backend_read(y, v, "default", k->name,
	    YW_FIELD(obj, k, struct config_backend), e);
}

static int
backend_pair(struct yw *y, yaml_node_t *key, yaml_node_t *v, void *arg,
    struct err *e)
{
	struct config *c = arg;
	const char *name = yw_str(key);
	struct config_backend *b;

	if (!yw_name_ok(name))
		return yw_error(y, key->start_mark, e, "invalid backend name "
		    "'%s': use lower-case letters, digits, '.', '_' and '-'",
		    name);
	if (strcmp(name, "default") == 0)
		return yw_error(y, key->start_mark, e, "'default' is the name "
		    "of 'backend:'; give this one another");
	if (v->type != YAML_MAPPING_NODE)
		return yw_error(y, v->start_mark, e, "'%s' must be a mapping",
		    name);
	c->backends = xreallocarray(c->backends, c->nbackends + 1,
	    sizeof(*c->backends));
	b = &c->backends[c->nbackends++];
	config_backend_init(b);
	return config_backend_read(y, v, name, name, b, e);
}

static int
backends_section(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	(void)k;
	if (v->data.mapping.pairs.start == v->data.mapping.pairs.top)
		return yw_error(y, v->start_mark, e,
		    "'backends' names no backend");
	return yw_pairs(y, v, backend_pair, obj, e);
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

static void
apply_defaults(struct config *c)
{
	if (c->ldap.page_size == 0)
		c->ldap.page_size = DEFAULT_PAGE_SIZE;
	if (c->ldap.timeout == 0)
		c->ldap.timeout = DEFAULT_TIMEOUT;
	set_default(&c->database, DEFAULT_DATABASE);
	set_default(&c->policy, DEFAULT_POLICY);
	set_default(&c->lock_file, DEFAULT_LOCK_FILE);
}

/* At least one backend (names differ: they are keys of one mapping). */
static int
check_backends(struct yw *y, struct config *c, struct err *e)
{
	if (c->backend.type == NULL && c->nbackends == 0)
		return yw_error(y, yw_root(y)->start_mark, e,
		    "missing required key 'backend'");
	return EXIT_OK;
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
	config_backend_init(&c->backend);
	c->log.facility = LOG_DAEMON;
	y.user = dir;
	r = yw_open(&y, path, e);
	if (y.text != NULL)
		sha256_hex(y.text, y.len, c->sha256);
	if (r == EXIT_OK)
		r = yw_walk(&y, yw_root(&y), config_keys, c, NULL, e);
	if (r == EXIT_OK)
		r = check_backends(&y, c, e);
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
	size_t i;

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
	config_backend_clear(&c->backend);
	for (i = 0; i < c->nbackends; i++)
		config_backend_clear(&c->backends[i]);
	free(c->backends);
	free(c->database);
	free(c->policy);
	free(c->lock_file);
	free(c);
}

/* ---- dump ---- */

static void
dump_ldap(const struct config_ldap *l, FILE *fp)
{
	fputs("ldap:\n", fp);
	config_put_str(fp, "  ", "uri", l->uri);
	fprintf(fp, "  starttls: %s\n", l->starttls ? "true" : "false");
	config_put_str(fp, "  ", "ca_file", l->ca_file);
	fprintf(fp, "  tls_reqcert: %s\n",
	    l->tls_reqcert == TLS_REQCERT_NEVER ? "never" : "demand");
	config_put_str(fp, "  ", "bind_dn", l->bind_dn);
	config_put_str(fp, "  ", "bind_password_file", l->bind_password_file);
	config_put_str(fp, "  ", "sasl_mech", l->sasl_mech);
	config_put_str(fp, "  ", "keytab", l->keytab);
	config_put_str(fp, "  ", "base_dn", l->base_dn);
	fprintf(fp, "  schema: %s\n", l->schema == SCHEMA_AD ? "ad" :
	    l->schema == SCHEMA_RFC ? "rfc" : "auto");
	fprintf(fp, "  nesting: %s\n", l->nesting == NESTING_IN_CHAIN ?
	    "in-chain" : "walk");
	config_put_str(fp, "  ", "user_filter", l->user_filter);
	config_put_str(fp, "  ", "user_key", l->user_key);
	if (l->disabled_filter != NULL && *l->disabled_filter == '\0')
		fputs("  disabled_filter: none\n", fp);
	else
		config_put_str(fp, "  ", "disabled_filter", l->disabled_filter);
	fprintf(fp, "  page_size: %d\n", l->page_size);
	fprintf(fp, "  timeout: %d\n", l->timeout);
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
	size_t i;

	if (c->backend.type != NULL) {
		fputs("backend:\n", fp);
		config_backend_dump(&c->backend, fp, "  ");
	}
	if (c->nbackends > 0)
		fputs("backends:\n", fp);
	for (i = 0; i < c->nbackends; i++) {
		fprintf(fp, "  %s:\n", c->backends[i].name);
		config_backend_dump(&c->backends[i], fp, "    ");
	}
	config_put_str(fp, "", "database", c->database);
	config_put_str(fp, "", "policy", c->policy);
	config_put_str(fp, "", "lock_file", c->lock_file);
	fprintf(fp, "log:\n  facility: %s\n", facility_name(c->log.facility));
	if (!c->safety.max_assign.set && !c->safety.max_unassign.set)
		return;
	fputs("safety:\n", fp);
	put_limit(fp, "max_assign", &c->safety.max_assign);
	put_limit(fp, "max_unassign", &c->safety.max_unassign);
}

size_t
config_backend_count(const struct config *c)
{
	return (c->backend.type != NULL ? 1 : 0) + c->nbackends;
}

const struct config_backend *
config_backend_at(const struct config *c, size_t i)
{
	if (c->backend.type != NULL) {
		if (i == 0)
			return &c->backend;
		i--;
	}
	return i < c->nbackends ? &c->backends[i] : NULL;
}

const struct config_backend *
config_backend_named(const struct config *c, const char *name)
{
	size_t i, n = config_backend_count(c);

	if (name == NULL) {
		if (c->backend.type != NULL)
			return &c->backend;
		return c->nbackends == 1 ? &c->backends[0] : NULL;
	}
	for (i = 0; i < n; i++)
		if (strcmp(config_backend_at(c, i)->name, name) == 0)
			return config_backend_at(c, i);
	return NULL;
}
