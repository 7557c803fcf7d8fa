/* test_config.c - licsync.conf: values, defaults, the dump, every error */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"
#include "yamltest.h"

/* Four lines: the smallest valid configuration. */
#define BACKEND "backend:\n  tenant_id: t\n  client_id: c\n" \
	"  client_secret_file: s\n"
/* The same with certificate credentials. */
#define CERT_BACKEND "backend:\n  tenant_id: t\n  client_id: c\n" \
	"  client_certificate_file: certs/graph.pem\n" \
	"  client_key_file: /etc/licsync/graph.key\n"

/* Load PATH for the shared error helpers: nothing may come back. */
static int
try_load(const char *path, struct err *e)
{
	struct config *x = (struct config *)&x;
	int r = config_load(path, &x, e);

	assert_null(x);
	return r;
}

static void
check_error_at(const char *path, const char *msg)
{
	yt_error_at(try_load, path, msg);
}

static void
check_error(const char *yaml, const char *msg)
{
	yt_error(try_load, "config", yaml, msg);
}

static void
check_cases(const struct ecase *cases, size_t n)
{
	yt_cases(try_load, "config", cases, n);
}

static struct config *
load_ok(const char *yaml, char **pathp)
{
	char *path = yt_write_tmp("config", yaml);
	struct config *c = NULL;
	struct err e = { "" };
	int r;

	r = config_load(path, &c, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_non_null(c);
	if (pathp != NULL) {
		*pathp = path;
	} else {
		unlink(path);
		free(path);
	}
	return c;
}

static char *
dirname_of(const char *path)
{
	return xstrndup(path, (size_t)(strrchr(path, '/') - path));
}

static char *
dump_string(const struct config *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	assert_non_null(fp);
	config_dump(c, fp);
	fclose(fp);
	return s;
}

/* The source tree: $top_srcdir, else found from this file's name. */
static char *
source_file(const char *rel)
{
	const char *top = getenv("top_srcdir");
	const char *me = __FILE__, *end = strstr(me, "tests/unit/");

	if (top != NULL && *top != '\0')
		return xasprintf("%s/%s", top, rel);
	if (end == NULL || end == me)
		return xstrdup(rel);
	return xasprintf("%.*s%s", (int)(end - me), me, rel);
}

/* ---- successful loads ---- */

static void
test_defaults(void **state)
{
	struct config *c;
	char *path, *dir, *want;

	(void)state;
	c = load_ok(BACKEND, &path);
	dir = dirname_of(path);
	assert_string_equal(c->path, path);
	assert_null(c->ldap.uri);
	assert_false(c->ldap.starttls);
	assert_null(c->ldap.ca_file);
	assert_int_equal(c->ldap.tls_reqcert, TLS_REQCERT_DEMAND);
	assert_null(c->ldap.bind_dn);
	assert_null(c->ldap.bind_password_file);
	assert_null(c->ldap.base_dn);
	/* the schema's defaults, known once the directory is read */
	assert_null(c->ldap.user_filter);
	assert_null(c->ldap.user_key);
	assert_null(c->ldap.disabled_filter);
	assert_int_equal(c->ldap.schema, SCHEMA_AUTO);
	assert_int_equal(c->ldap.nesting, NESTING_WALK);
	assert_int_equal(c->ldap.page_size, 500);
	assert_int_equal(c->ldap.timeout, 30);
	assert_string_equal(c->backend.type, "graph");
	assert_string_equal(c->backend.tenant_id, "t");
	assert_string_equal(c->backend.client_id, "c");
	want = xasprintf("%s/s", dir);
	assert_string_equal(c->backend.client_secret_file, want);
	free(want);
	assert_string_equal(c->backend.graph_url,
	    "https://graph.microsoft.com/v1.0");
	assert_string_equal(c->backend.token_url,
	    "https://login.microsoftonline.com/t/oauth2/v2.0/token");
	assert_null(c->backend.client_certificate_file);
	assert_null(c->backend.client_key_file);
	assert_null(c->backend.proxy);
	assert_int_equal(c->backend.concurrency, 4);
	assert_int_equal(c->backend.max_retries, 8);
	assert_int_equal(c->backend.max_retry_time, 600);
	assert_int_equal(c->backend.write_budget, 3000);
	assert_int_equal(c->backend.write_window, 150);
	assert_string_equal(c->database,
	    LOCALSTATEDIR "/lib/licsync/licsync.db");
	assert_string_equal(c->policy, SYSCONFDIR "/licsync/policy.yaml");
	assert_string_equal(c->lock_file, RUNSTATEDIR "/licsync/licsync.lock");
	assert_false(c->safety.max_unassign.set);
	assert_int_equal(c->log.facility, LOG_DAEMON);
	config_free(c);
	unlink(path);
	free(path);
	free(dir);
}

static const char full_yaml[] =
    "# every key\n"
    "ldap:\n"
    "  uri: ldap://ldap1.example.com  ldaps://ldap2.example.com:636 "
    "ldapi://%2Frun%2Fslapd%2Fldapi\n"
    "  starttls: true\n"
    "  ca_file: /etc/ssl/certs/corp-ca.pem\n"
    "  tls_reqcert: never\n"
    "  bind_dn: cn=licsync,ou=services,dc=example,dc=com\n"
    "  bind_password_file: /etc/licsync/ldap.secret\n"
    "  base_dn: \"dc=example, dc=com\"\n"
    "  user_filter: (&(objectClass=inetOrgPerson)(!(ou=gone)))\n"
    "  user_key: userPrincipalName\n"
    "  page_size: 100\n"
    "  timeout: 3600\n"
    "backend:\n"
    "  type: graph\n"
    "  tenant_id: contoso.onmicrosoft.com\n"
    "  client_id: 00000000-0000-0000-0000-000000000000\n"
    "  client_secret_file: /etc/licsync/graph.secret\n"
    "  graph_url: http://127.0.0.1:8080/v1.0//\n"
    "  token_url: http://localhost:8080/{tenant_id}/token?t={tenant_id}\n"
    "  proxy: http://proxy.example.com:3128/\n"
    "  concurrency: 64\n"
    "  max_retries: 0\n"
    "  max_retry_time: 1h30m\n"
    "  write_budget: 1000000/1d\n"
    "database: /var/db/l.db\n"
    "policy: /etc/licsync/policy.d\n"
    "lock_file: /run/l.lock\n"
    "safety:\n"
    "  max_unassign: 10%\n"
    "log:\n"
    "  facility: local3\n";

static void
test_full(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok(full_yaml, NULL);
	assert_string_equal(c->ldap.uri, "ldap://ldap1.example.com "
	    "ldaps://ldap2.example.com:636 ldapi://%2Frun%2Fslapd%2Fldapi");
	assert_true(c->ldap.starttls);
	assert_string_equal(c->ldap.ca_file, "/etc/ssl/certs/corp-ca.pem");
	assert_int_equal(c->ldap.tls_reqcert, TLS_REQCERT_NEVER);
	assert_string_equal(c->ldap.bind_dn,
	    "cn=licsync,ou=services,dc=example,dc=com");
	assert_string_equal(c->ldap.bind_password_file,
	    "/etc/licsync/ldap.secret");
	assert_string_equal(c->ldap.base_dn, "dc=example, dc=com");
	assert_string_equal(c->ldap.user_filter,
	    "(&(objectClass=inetOrgPerson)(!(ou=gone)))");
	assert_string_equal(c->ldap.user_key, "userPrincipalName");
	assert_int_equal(c->ldap.page_size, 100);
	assert_int_equal(c->ldap.timeout, 3600);
	assert_string_equal(c->backend.tenant_id, "contoso.onmicrosoft.com");
	assert_string_equal(c->backend.client_id,
	    "00000000-0000-0000-0000-000000000000");
	assert_string_equal(c->backend.client_secret_file,
	    "/etc/licsync/graph.secret");
	assert_string_equal(c->backend.graph_url, "http://127.0.0.1:8080/v1.0");
	assert_string_equal(c->backend.token_url, "http://localhost:8080/"
	    "contoso.onmicrosoft.com/token?t=contoso.onmicrosoft.com");
	assert_null(c->backend.client_certificate_file);
	assert_null(c->backend.client_key_file);
	assert_string_equal(c->backend.proxy,
	    "http://proxy.example.com:3128/");
	assert_int_equal(c->backend.concurrency, 64);
	assert_int_equal(c->backend.max_retries, 0);
	assert_int_equal(c->backend.max_retry_time, 5400);
	assert_int_equal(c->backend.write_budget, 1000000);
	assert_int_equal(c->backend.write_window, 86400);
	assert_string_equal(c->database, "/var/db/l.db");
	assert_string_equal(c->policy, "/etc/licsync/policy.d");
	assert_string_equal(c->lock_file, "/run/l.lock");
	assert_true(c->safety.max_unassign.set);
	assert_true(c->safety.max_unassign.percent);
	assert_int_equal(c->safety.max_unassign.value, 10);
	assert_int_equal(c->log.facility, LOG_LOCAL3);
	config_free(c);
}

/* Active Directory's bind names: a UPN and DOMAIN\user are kept as
 * written, a DN is still checked as one. */
static void
test_bind_names(void **state)
{
	static const char *const names[] = {
		"licsync@example.com",
		"EXAMPLE\\\\licsync",
		"CN=licsync,CN=Users,DC=example,DC=test",
	};
	static const char *const want[] = {
		"licsync@example.com",
		"EXAMPLE\\licsync",
		"CN=licsync,CN=Users,DC=example,DC=test",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *yaml = xasprintf(BACKEND "ldap:\n  bind_dn: \"%s\"\n"
		    "  bind_password_file: p\n", names[i]);
		struct config *c = load_ok(yaml, NULL);

		assert_string_equal(c->ldap.bind_dn, want[i]);
		config_free(c);
		free(yaml);
	}
}

static void
test_schema_keys(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok(BACKEND "ldap:\n  schema: ad\n  nesting: in-chain\n"
	    "  disabled_filter: (nsAccountLock=TRUE)\n", NULL);
	assert_int_equal(c->ldap.schema, SCHEMA_AD);
	assert_int_equal(c->ldap.nesting, NESTING_IN_CHAIN);
	assert_string_equal(c->ldap.disabled_filter, "(nsAccountLock=TRUE)");
	config_free(c);
	c = load_ok(BACKEND "ldap:\n  schema: rfc\n  nesting: walk\n"
	    "  disabled_filter: none\n", NULL);
	assert_int_equal(c->ldap.schema, SCHEMA_RFC);
	assert_int_equal(c->ldap.nesting, NESTING_WALK);
	/* none: no user is disabled, not the schema's default */
	assert_string_equal(c->ldap.disabled_filter, "");
	config_free(c);
	c = load_ok(BACKEND "ldap:\n  sasl_mech: GSSAPI\n  keytab: /k\n",
	    NULL);
	assert_string_equal(c->ldap.sasl_mech, "GSSAPI");
	assert_string_equal(c->ldap.keytab, "/k");
	config_free(c);
}

static void
test_relative_paths(void **state)
{
	static const char yaml[] =
	    "ldap:\n"
	    "  ca_file: ca.pem\n"
	    "  bind_dn: cn=x\n"
	    "  bind_password_file: secrets/ldap.secret\n"
	    "backend:\n"
	    "  tenant_id: 11111111-2222-3333-4444-555555555555\n"
	    "  client_id: c\n"
	    "  client_secret_file: ../graph.secret\n"
	    "database: db/licsync.db\n"
	    "policy: policy.d\n"
	    "lock_file: run/licsync.lock\n";
	struct config *c;
	char *path, *dir, *s;

	(void)state;
	c = load_ok(yaml, &path);
	dir = dirname_of(path);
	s = xasprintf("%s/ca.pem", dir);
	assert_string_equal(c->ldap.ca_file, s);
	free(s);
	s = xasprintf("%s/secrets/ldap.secret", dir);
	assert_string_equal(c->ldap.bind_password_file, s);
	free(s);
	s = xasprintf("%s/../graph.secret", dir);
	assert_string_equal(c->backend.client_secret_file, s);
	free(s);
	s = xasprintf("%s/db/licsync.db", dir);
	assert_string_equal(c->database, s);
	free(s);
	s = xasprintf("%s/policy.d", dir);
	assert_string_equal(c->policy, s);
	free(s);
	s = xasprintf("%s/run/licsync.lock", dir);
	assert_string_equal(c->lock_file, s);
	free(s);
	assert_string_equal(c->backend.token_url, "https://login."
	    "microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/"
	    "v2.0/token");
	config_free(c);
	unlink(path);
	free(path);
	free(dir);
}

static const char cert_yaml[] = CERT_BACKEND;

/* Certificate credentials: both files, resolved like the others. */
static void
test_certificate(void **state)
{
	struct config *c;
	char *path, *dir, *s;

	(void)state;
	c = load_ok(cert_yaml, &path);
	dir = dirname_of(path);
	assert_null(c->backend.client_secret_file);
	s = xasprintf("%s/certs/graph.pem", dir);
	assert_string_equal(c->backend.client_certificate_file, s);
	free(s);
	assert_string_equal(c->backend.client_key_file,
	    "/etc/licsync/graph.key");
	config_free(c);
	unlink(path);
	free(path);
	free(dir);
}

/* A configuration named relatively: resolved paths are still absolute. */
static void
test_relative_config_path(void **state)
{
	struct config *c = NULL;
	struct err e = { "" };
	char *path, *dir, *old, *cwd, *want, *rel;

	(void)state;
	path = yt_write_tmp("config", BACKEND "policy: p.yaml\n");
	dir = dirname_of(path);
	old = getcwd(NULL, 0);
	assert_non_null(old);
	assert_int_equal(chdir(dir), 0);
	cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	assert_int_equal(config_load(strrchr(path, '/') + 1, &c, &e), EXIT_OK);
	assert_string_equal(c->path, strrchr(path, '/') + 1);
	want = xasprintf("%s/p.yaml", cwd);
	assert_string_equal(c->policy, want);
	config_free(c);
	rel = xasprintf(".//./%s", strrchr(path, '/') + 1);
	assert_int_equal(config_load(rel, &c, &e), EXIT_OK);
	assert_string_equal(c->policy, want);
	config_free(c);
	free(rel);
	rel = xasprintf("../%s/%s", strrchr(cwd, '/') + 1,
	    strrchr(path, '/') + 1);
	assert_int_equal(config_load(rel, &c, &e), EXIT_OK);
	free(want);
	want = xasprintf("%s/../%s/p.yaml", cwd, strrchr(cwd, '/') + 1);
	assert_string_equal(c->policy, want);
	assert_int_equal(chdir(old), 0);
	config_free(c);
	free(rel);
	free(want);
	unlink(path);
	free(path);
	free(dir);
	free(old);
	free(cwd);
}

static void
test_urls_ok(void **state)
{
	static const char *const ok[] = {
		"https://graph.example.com", "https://x:8443/v1.0",
		"HTTPS://graph.example.com/", "http://127.0.0.1",
		"http://127.1.2.3:8080/x", "http://localhost:1/",
		"http://LocalHost", "http://[::1]:8080/v1.0", "http://[::1]",
		"http://localhost?x=1",
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "  graph_url: %s\n  token_url: %s\n",
		    ok[i], ok[i]);
		c = load_ok(yaml, NULL);
		assert_non_null(c->backend.graph_url);
		assert_string_equal(c->backend.token_url, ok[i]);
		config_free(c);
		free(yaml);
	}
}

static void
test_proxies_ok(void **state)
{
	static const char *const ok[] = {
		"http://proxy", "http://proxy.example.com:3128",
		"HTTP://proxy:8080/", "https://proxy.example.com",
		"socks5://127.0.0.1:1080", "http://[2001:db8::1]:3128",
		"http://10.0.0.1:3128/?x=1",
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "  proxy: \"%s\"\n", ok[i]);
		c = load_ok(yaml, NULL);
		assert_string_equal(c->backend.proxy, ok[i]);
		config_free(c);
		free(yaml);
	}
}

static void
test_limits_ok(void **state)
{
	static const struct {
		const char *yaml;
		int concurrency, max_retries;
		int64_t max_retry_time;
		long write_budget;
		int64_t write_window;
	} ok[] = {
		{ "  concurrency: 1\n  max_retries: 100\n"
		  "  max_retry_time: 1s\n  write_budget: 1/1s\n",
		  1, 100, 1, 1, 1 },
		{ "  concurrency: 64\n  max_retries: 0\n"
		  "  max_retry_time: 1d\n  write_budget: 0003000/2m30s\n",
		  64, 0, 86400, 3000, 150 },
		{ "  max_retry_time: 23h59m60s\n"
		  "  write_budget: \"1000000/24h\"\n",
		  4, 8, 86400, 1000000, 86400 },
		{ "  max_retry_time: 90s\n  write_budget: 20/10m\n",
		  4, 8, 90, 20, 600 },
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "%s", ok[i].yaml);
		c = load_ok(yaml, NULL);
		assert_int_equal(c->backend.concurrency, ok[i].concurrency);
		assert_int_equal(c->backend.max_retries, ok[i].max_retries);
		assert_int_equal(c->backend.max_retry_time,
		    ok[i].max_retry_time);
		assert_int_equal(c->backend.write_budget, ok[i].write_budget);
		assert_int_equal(c->backend.write_window, ok[i].write_window);
		config_free(c);
		free(yaml);
	}
}

static void
test_user_keys_ok(void **state)
{
	static const char *const ok[] = {
		"mail", "userPrincipalName", "x-custom-1", "2.5.4.3",
		"0.9.2342.19200300.100.1.3",
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "ldap:\n  user_key: %s\n", ok[i]);
		c = load_ok(yaml, NULL);
		assert_string_equal(c->ldap.user_key, ok[i]);
		config_free(c);
		free(yaml);
	}
}

static void
test_max_unassign(void **state)
{
	static const struct {
		const char *text;
		bool percent;
		long value;
	} ok[] = {
		{ "0", false, 0 },
		{ "50", false, 50 },
		{ "\"7\"", false, 7 },
		{ "0%", true, 0 },
		{ "10%", true, 10 },
		{ "\"100%\"", true, 100 },
	};
	struct config *c;
	char *yaml;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "safety:\n  max_unassign: %s\n",
		    ok[i].text);
		c = load_ok(yaml, NULL);
		assert_true(c->safety.max_unassign.set);
		assert_int_equal(c->safety.max_unassign.percent,
		    ok[i].percent);
		assert_int_equal(c->safety.max_unassign.value, ok[i].value);
		config_free(c);
		free(yaml);
	}
}

static void
round_trip(const char *yaml)
{
	struct config *c, *c2 = NULL;
	struct err e = { "" };
	char *d1, *d2, *path;

	c = load_ok(yaml, NULL);
	d1 = dump_string(c);
	path = yt_write_tmp("config", d1);
	if (config_load(path, &c2, &e) != EXIT_OK)
		fail_msg("%s\nin:\n%s", e.msg, d1);
	d2 = dump_string(c2);
	assert_string_equal(d1, d2);
	config_free(c);
	config_free(c2);
	free(d1);
	free(d2);
	unlink(path);
	free(path);
}

/* Every facility, read and dumped by name. */
static void
test_log_facility(void **state)
{
	static const struct {
		const char *name;
		int value;
	} ok[] = {
		{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};
	struct config *c;
	char *yaml, *d, *want;
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(ok); i++) {
		yaml = xasprintf(BACKEND "log:\n  facility: %s\n",
		    ok[i].name);
		c = load_ok(yaml, NULL);
		assert_int_equal(c->log.facility, ok[i].value);
		d = dump_string(c);
		want = xasprintf("\nlog:\n  facility: %s\n", ok[i].name);
		if (strstr(d, want) == NULL)
			fail_msg("dump:\n%s", d);
		round_trip(yaml);
		free(want);
		free(d);
		free(yaml);
		config_free(c);
	}
	/* An empty section keeps the default. */
	c = load_ok(BACKEND "log: {}\n", NULL);
	assert_int_equal(c->log.facility, LOG_DAEMON);
	config_free(c);
}

static void
test_usage_location(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "  usage_location:\n    default: Germany\n",
		  "FILE:6:14: 'default' must be an ISO 3166 two-letter country "
		  "code, like DE or US: 'Germany'\n"
		  "    default: Germany\n"
		  "             ^" },
		{ BACKEND "  usage_location:\n    default: XK\n",
		  "FILE:6:14: 'default' must be an ISO 3166 two-letter country "
		  "code, like DE or US: 'XK'\n"
		  "    default: XK\n"
		  "             ^" },
		{ BACKEND "  usage_location:\n    default: \"D\"\n",
		  "FILE:6:14: 'default' must be an ISO 3166 two-letter country "
		  "code, like DE or US: 'D'\n"
		  "    default: \"D\"\n"
		  "             ^" },
		{ BACKEND "  usage_location:\n    attribute: \"c;x\"\n",
		  "FILE:6:16: 'attribute' must be an attribute name\n"
		  "    attribute: \"c;x\"\n"
		  "               ^" },
		{ BACKEND "  usage_location: {}\n",
		  "FILE:5:19: 'usage_location' needs 'attribute', 'default' or "
		  "both\n"
		  "  usage_location: {}\n"
		  "                  ^" },
		{ BACKEND "  usage_location:\n    atribute: c\n",
		  "FILE:6:5: unknown key 'atribute' (did you mean "
		  "'attribute'?)\n"
		  "    atribute: c\n"
		  "    ^" },
		{ BACKEND "  usage_location: DE\n",
		  "FILE:5:19: 'usage_location' must be a mapping\n"
		  "  usage_location: DE\n"
		  "                  ^" },
	};
	struct config *c;

	(void)state;
	c = load_ok(BACKEND, NULL);
	assert_null(c->backend.location_attribute);
	assert_string_equal(c->backend.location_default, "");
	config_free(c);
	c = load_ok(BACKEND "  usage_location:\n    attribute: "
	    "msExchUsageLocation\n    default: de\n", NULL);
	assert_string_equal(c->backend.location_attribute,
	    "msExchUsageLocation");
	assert_string_equal(c->backend.location_default, "DE");
	config_free(c);
	c = load_ok(BACKEND "  usage_location:\n    default: NO\n", NULL);
	assert_string_equal(c->backend.location_default, "NO");
	config_free(c);
	check_cases(cases, NCASES(cases));
}

static void
test_dump_round_trip(void **state)
{
	(void)state;
	round_trip(BACKEND);
	round_trip(BACKEND "  usage_location:\n    attribute: c\n");
	round_trip(BACKEND "  usage_location:\n    default: NO\n");
	round_trip(BACKEND "  usage_location:\n    attribute: "
	    "msExchUsageLocation\n    default: us\n");
	round_trip(full_yaml);
	round_trip(BACKEND "safety:\n  max_unassign: 0\n");
	round_trip(BACKEND "safety:\n  max_assign: 20%\n  max_unassign: 7\n");
	round_trip(cert_yaml);
	round_trip(CERT_BACKEND "  proxy: \"socks5://[::1]:1080\"\n"
	    "  max_retry_time: 1h30m\n  write_budget: 1/1s\n");
	round_trip(BACKEND "  max_retry_time: 59s\n  write_budget: 7/12h\n");
	round_trip(BACKEND "  max_retry_time: 61m\n  write_budget: 9/3600s\n");
	/* Values that need quoting. */
	round_trip("backend:\n"
	    "  tenant_id: \"123\"\n"
	    "  client_id: \"id: with \\\"quotes\\\" # and \\\\ \\t tab\"\n"
	    "  client_secret_file: \"/etc/lic sync/true\"\n"
	    "database: \"null\"\n"
	    "policy: \"-x\"\n"
	    "lock_file: \"[a]\"\n"
	    "ldap:\n"
	    "  user_filter: \"(cn=a: b)\"\n"
	    "  disabled_filter: none\n"
	    "  sasl_mech: GSSAPI\n"
	    "  keytab: k.tab\n"
	    "  schema: ad\n"
	    "  nesting: in-chain\n"
	    "  ca_file: \"ca:\"\n"
	    "  base_dn: \"cn=\\u00e9t\\u00e9,dc=example\"\n");
}

static void
test_dump_content(void **state)
{
	static const char want[] =
	    "ldap:\n"
	    "  starttls: false\n"
	    "  tls_reqcert: demand\n"
	    "  schema: auto\n"
	    "  nesting: walk\n"
	    "  page_size: 500\n"
	    "  timeout: 30\n"
	    "backend:\n"
	    "  type: graph\n"
	    "  tenant_id: t\n"
	    "  client_id: c\n"
	    "  client_secret_file: /etc/s\n"
	    "  graph_url: https://graph.microsoft.com/v1.0\n"
	    "  token_url: https://login.microsoftonline.com/t/oauth2/v2.0/"
	    "token\n"
	    "  full_read_every: 1d\n"
	    "  concurrency: 4\n"
	    "  max_retries: 8\n"
	    "  max_retry_time: 10m\n"
	    "  write_budget: 3000/150s\n"
	    "database: /d\n"
	    "policy: /p\n"
	    "lock_file: /l\n"
	    "log:\n"
	    "  facility: daemon\n"
	    "safety:\n"
	    "  max_unassign: \"5%\"\n";
	struct config *c;
	char *d;

	(void)state;
	c = load_ok("backend:\n  tenant_id: t\n  client_id: c\n"
	    "  client_secret_file: /etc/s\ndatabase: /d\npolicy: /p\n"
	    "lock_file: /l\nsafety:\n  max_unassign: 5%\n", NULL);
	d = dump_string(c);
	assert_string_equal(d, want);
	free(d);
	config_free(c);
}

/* Certificate credentials and the limits, in their dumped form. */
static void
test_dump_certificate(void **state)
{
	static const char want[] =
	    "  client_id: c\n"
	    "  client_certificate_file: /etc/c.pem\n"
	    "  client_key_file: \"/etc/k: key\"\n"
	    "  graph_url: https://graph.microsoft.com/v1.0\n"
	    "  token_url: https://login.microsoftonline.com/t/oauth2/v2.0/"
	    "token\n"
	    "  full_read_every: 1d\n"
	    "  proxy: socks5://proxy:1080\n"
	    "  concurrency: 1\n"
	    "  max_retries: 0\n"
	    "  max_retry_time: 90m\n"
	    "  write_budget: 100/1d\n"
	    "database: ";
	struct config *c;
	char *d;

	(void)state;
	c = load_ok("backend:\n  tenant_id: t\n  client_id: c\n"
	    "  client_key_file: \"/etc/k: key\"\n"
	    "  client_certificate_file: /etc/c.pem\n"
	    "  proxy: socks5://proxy:1080\n  concurrency: 1\n"
	    "  max_retries: 0\n  max_retry_time: 1h30m\n"
	    "  write_budget: 100/24h\n", NULL);
	d = dump_string(c);
	if (strstr(d, want) == NULL)
		fail_msg("dump:\n%s", d);
	assert_null(strstr(d, "client_secret_file"));
	free(d);
	config_free(c);
}

static void
test_sample(void **state)
{
	struct config *c = NULL;
	struct err e = { "" };
	char *path;

	(void)state;
	path = source_file("conf/licsync.conf");
	if (config_load(path, &c, &e) != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_string_equal(c->ldap.uri,
	    "ldap://ldap1.example.com ldaps://ldap2.example.com");
	assert_string_equal(c->backend.token_url, "https://login."
	    "microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
	assert_string_equal(c->ldap.bind_password_file,
	    "/etc/licsync/ldap.secret");
	assert_int_equal(c->safety.max_unassign.value, 50);
	assert_false(c->safety.max_unassign.percent);
	config_free(c);
	free(path);
}

/* ---- errors ---- */

static void
test_unreadable(void **state)
{
	char *path, *dir, *msg;

	(void)state;
	path = yt_write_tmp("config", "");
	unlink(path);
	msg = xasprintf("%s: No such file or directory", path);
	check_error_at(path, msg);
	free(msg);
	dir = dirname_of(path);
	msg = xasprintf("%s: not a regular file", dir);
	check_error_at(dir, msg);
	free(msg);
	free(dir);
	free(path);
	/* a FIFO or a device is refused before it is read: no hang, no
	 * endless input */
	path = yt_write_tmp("config", "");
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	msg = xasprintf("%s: not a regular file", path);
	check_error_at(path, msg);
	free(msg);
	unlink(path);
	free(path);
	check_error_at("/dev/zero", "/dev/zero: not a regular file");
}

static void
test_syntax_errors(void **state)
{
	static const struct ecase cases[] = {
		{ "ldap: a: b\n",
		  "FILE:1:8: YAML syntax error: mapping values are not allowed "
		  "in this context\n"
		  "ldap: a: b\n"
		  "       ^" },
		{ "ldap:\n  uri: x\n bind_dn: y\n",
		  "FILE:3:2: YAML syntax error: did not find expected key "
		  "(while parsing a block mapping)\n"
		  " bind_dn: y\n"
		  " ^" },
		{ "ldap:\n  uri: [a, b\nbackend: x\n",
		  "FILE:3:8: YAML syntax error: did not find expected ',' or "
		  "']' (while parsing a flow sequence)\n"
		  "backend: x\n"
		  "       ^" },
		{ "ldap:\n\turi: x\n",
		  "FILE:2:1: YAML syntax error: found character that cannot "
		  "start any token (while scanning for the next token)\n"
		  "\turi: x\n"
		  "^" },
		{ "ldap:\n  uri: \"abc\n",
		  "FILE:3:1: YAML syntax error: found unexpected end of stream "
		  "(while scanning a quoted scalar)" },
		{ "a: \xff\n",
		  "FILE:1:4: YAML syntax error: invalid leading UTF-8 octet\n"
		  "a: \xff\n"
		  "   ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_refused_yaml(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "ldap: &l\n  uri: ldap://x\n",
		  "FILE:5:7: anchors are not allowed\n"
		  "ldap: &l\n"
		  "      ^" },
		{ "backend: &b\n  tenant_id: t\n",
		  "FILE:1:10: anchors are not allowed\n"
		  "backend: &b\n"
		  "         ^" },
		{ BACKEND "database: &d x\npolicy: *d\n",
		  "FILE:5:11: anchors are not allowed\n"
		  "database: &d x\n"
		  "          ^" },
		{ BACKEND "policy: *d\n",
		  "FILE:5:9: aliases are not allowed\n"
		  "policy: *d\n"
		  "        ^" },
		{ BACKEND "ldap: !!map\n  uri: ldap://x\n",
		  "FILE:5:7: tags are not allowed\n"
		  "ldap: !!map\n"
		  "      ^" },
		{ BACKEND "policy: !!str p\n",
		  "FILE:5:9: tags are not allowed\n"
		  "policy: !!str p\n"
		  "        ^" },
		{ BACKEND "---\npolicy: p\n",
		  "FILE:5:1: only one YAML document is allowed\n"
		  "---\n"
		  "^" },
		{ BACKEND "policy: \"a\\0b\"\n",
		  "FILE:5:9: NUL characters are not allowed\n"
		  "policy: \"a\\0b\"\n"
		  "        ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_not_mapping(void **state)
{
	static const struct ecase cases[] = {
		{ "", "FILE:1:1: the file must be a mapping" },
		{ "# only a comment\n",
		  "FILE:1:1: the file must be a mapping\n"
		  "# only a comment\n"
		  "^" },
		{ "- ldap\n",
		  "FILE:1:1: the file must be a mapping\n"
		  "- ldap\n"
		  "^" },
		{ "\n  ldap\n",
		  "FILE:2:3: the file must be a mapping\n"
		  "  ldap\n"
		  "  ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_unknown_keys(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "ldpa:\n  uri: ldap://x\n",
		  "FILE:5:1: unknown key 'ldpa' (did you mean 'ldap'?)\n"
		  "ldpa:\n"
		  "^" },
		{ BACKEND "ldap:\n  URI: ldap://x\n",
		  "FILE:6:3: unknown key 'URI' (did you mean 'uri'?)\n"
		  "  URI: ldap://x\n"
		  "  ^" },
		{ BACKEND "ldap:\n  bind_pasword_file: x\n",
		  "FILE:6:3: unknown key 'bind_pasword_file' (did you mean "
		  "'bind_password_file'?)\n"
		  "  bind_pasword_file: x\n"
		  "  ^" },
		{ BACKEND "ldap:\n  Page_Size: 10\n",
		  "FILE:6:3: unknown key 'Page_Size' (did you mean "
		  "'page_size'?)\n"
		  "  Page_Size: 10\n"
		  "  ^" },
		{ BACKEND "  clientid: x\n",
		  "FILE:5:3: unknown key 'clientid' (did you mean "
		  "'client_id'?)\n"
		  "  clientid: x\n"
		  "  ^" },
		{ BACKEND "safety:\n  max_unasign: 1\n",
		  "FILE:6:3: unknown key 'max_unasign' (did you mean "
		  "'max_unassign'?)\n"
		  "  max_unasign: 1\n"
		  "  ^" },
		{ BACKEND "foobar: 1\n",
		  "FILE:5:1: unknown key 'foobar'\n"
		  "foobar: 1\n"
		  "^" },
		{ BACKEND "logs:\n  facility: user\n",
		  "FILE:5:1: unknown key 'logs' (did you mean 'log'?)\n"
		  "logs:\n"
		  "^" },
		{ BACKEND "ldap:\n  server: x\n",
		  "FILE:6:3: unknown key 'server'\n"
		  "  server: x\n"
		  "  ^" },
		{ BACKEND "? [a]\n: b\n",
		  "FILE:5:3: mapping keys must be strings\n"
		  "? [a]\n"
		  "  ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_duplicate_keys(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "ldap:\n  uri: ldap://a\n  timeout: 3\n"
		  "  uri: ldap://b\n",
		  "FILE:8:3: duplicate key 'uri' (first at line 6)\n"
		  "  uri: ldap://b\n"
		  "  ^" },
		{ BACKEND "policy: a\npolicy: b\n",
		  "FILE:6:1: duplicate key 'policy' (first at line 5)\n"
		  "policy: b\n"
		  "^" },
		{ BACKEND "backend: {}\n",
		  "FILE:5:1: duplicate key 'backend' (first at line 1)\n"
		  "backend: {}\n"
		  "^" },
		{ BACKEND "foobar: 1\nfoobar: 2\n",
		  "FILE:5:1: unknown key 'foobar'\n"
		  "foobar: 1\n"
		  "^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_wrong_types(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "ldap: x\n",
		  "FILE:5:7: 'ldap' must be a mapping\n"
		  "ldap: x\n"
		  "      ^" },
		{ BACKEND "ldap:\n",
		  "FILE:5:6: 'ldap' must be a mapping\n"
		  "ldap:\n"
		  "     ^" },
		{ BACKEND "ldap: []\n",
		  "FILE:5:7: 'ldap' must be a mapping\n"
		  "ldap: []\n"
		  "      ^" },
		{ "backend: graph\n",
		  "FILE:1:10: 'backend' must be a mapping\n"
		  "backend: graph\n"
		  "         ^" },
		{ BACKEND "safety: 5\n",
		  "FILE:5:9: 'safety' must be a mapping\n"
		  "safety: 5\n"
		  "        ^" },
		{ BACKEND "ldap:\n  page_size: \"500\"\n",
		  "FILE:6:14: 'page_size' must be an integer\n"
		  "  page_size: \"500\"\n"
		  "             ^" },
		{ BACKEND "ldap:\n  page_size: 5.5\n",
		  "FILE:6:14: 'page_size' must be an integer\n"
		  "  page_size: 5.5\n"
		  "             ^" },
		{ BACKEND "ldap:\n  timeout: 0x10\n",
		  "FILE:6:12: 'timeout' must be an integer\n"
		  "  timeout: 0x10\n"
		  "           ^" },
		{ BACKEND "ldap:\n  timeout: [1]\n",
		  "FILE:6:12: 'timeout' must be an integer\n"
		  "  timeout: [1]\n"
		  "           ^" },
		{ BACKEND "ldap:\n  starttls: yes\n",
		  "FILE:6:13: 'starttls' must be true or false\n"
		  "  starttls: yes\n"
		  "            ^" },
		{ BACKEND "ldap:\n  starttls: \"true\"\n",
		  "FILE:6:13: 'starttls' must be true or false\n"
		  "  starttls: \"true\"\n"
		  "            ^" },
		{ BACKEND "ldap:\n  uri: [ldap://x]\n",
		  "FILE:6:8: 'uri' must be a string\n"
		  "  uri: [ldap://x]\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri:\n  timeout: 1\n",
		  "FILE:6:7: 'uri' must be a string\n"
		  "  uri:\n"
		  "      ^" },
		{ BACKEND "ldap:\n  base_dn: ~\n",
		  "FILE:6:12: 'base_dn' must be a string\n"
		  "  base_dn: ~\n"
		  "           ^" },
		{ BACKEND "ldap:\n  uri: \"\"\n",
		  "FILE:6:8: 'uri' must not be empty\n"
		  "  uri: \"\"\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri: \"  \"\n",
		  "FILE:6:8: 'uri' must not be empty\n"
		  "  uri: \"  \"\n"
		  "       ^" },
		{ BACKEND "  concurrency: \"4\"\n",
		  "FILE:5:16: 'concurrency' must be an integer\n"
		  "  concurrency: \"4\"\n"
		  "               ^" },
		{ BACKEND "  max_retries: 8.0\n",
		  "FILE:5:16: 'max_retries' must be an integer\n"
		  "  max_retries: 8.0\n"
		  "               ^" },
		{ BACKEND "  proxy: \"\"\n",
		  "FILE:5:10: 'proxy' must not be empty\n"
		  "  proxy: \"\"\n"
		  "         ^" },
		{ BACKEND "  client_key_file: ~\n",
		  "FILE:5:20: 'client_key_file' must be a string\n"
		  "  client_key_file: ~\n"
		  "                   ^" },
		{ BACKEND "database: {a: b}\n",
		  "FILE:5:11: 'database' must be a string\n"
		  "database: {a: b}\n"
		  "          ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_missing_keys(void **state)
{
	static const struct ecase cases[] = {
		{ "ldap:\n  uri: ldap://x\n",
		  "FILE:1:1: missing required key 'backend'\n"
		  "ldap:\n"
		  "^" },
		{ "# comment\n\nbackend:\n  client_id: c\n"
		  "  client_secret_file: s\n",
		  "FILE:4:3: missing required key 'tenant_id' in 'backend'\n"
		  "  client_id: c\n"
		  "  ^" },
		{ "backend:\n  tenant_id: t\n  client_secret_file: s\n",
		  "FILE:2:3: missing required key 'client_id' in 'backend'\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ "backend: {tenant_id: t, client_id: c}\n",
		  "FILE:1:10: 'backend' needs 'client_secret_file' or "
		  "'client_certificate_file'\n"
		  "backend: {tenant_id: t, client_id: c}\n"
		  "         ^" },
		{ "# c\nbackend:\n  tenant_id: t\n  client_id: c\n",
		  "FILE:3:3: 'backend' needs 'client_secret_file' or "
		  "'client_certificate_file'\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ BACKEND "  client_certificate_file: c.pem\n"
		  "  client_key_file: k.pem\n",
		  "FILE:2:3: 'client_secret_file' and "
		  "'client_certificate_file' exclude each other\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ BACKEND "  client_certificate_file: c.pem\n",
		  "FILE:2:3: 'client_secret_file' and "
		  "'client_certificate_file' exclude each other\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ BACKEND "  client_key_file: k.pem\n",
		  "FILE:2:3: 'client_secret_file' and 'client_key_file' "
		  "exclude each other\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ "backend:\n  tenant_id: t\n  client_id: c\n"
		  "  client_certificate_file: c.pem\n",
		  "FILE:2:3: 'client_certificate_file' needs "
		  "'client_key_file'\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ "backend: {client_key_file: k, tenant_id: t, client_id: c}\n",
		  "FILE:1:10: 'client_key_file' needs "
		  "'client_certificate_file'\n"
		  "backend: {client_key_file: k, tenant_id: t, client_id: c}\n"
		  "         ^" },
		{ "backend:\n  client_key_file: k\n  client_id: c\n",
		  "FILE:2:3: missing required key 'tenant_id' in 'backend'\n"
		  "  client_key_file: k\n"
		  "  ^" },
		{ "backend: {}\n",
		  "FILE:1:10: missing required key 'tenant_id' in 'backend'\n"
		  "backend: {}\n"
		  "         ^" },
		{ BACKEND "ldap:\n  uri: ldap://x\n  bind_dn: cn=x\n",
		  "FILE:6:3: 'bind_dn' needs 'bind_password_file'\n"
		  "  uri: ldap://x\n"
		  "  ^" },
		{ BACKEND "ldap:\n  sasl_mech: GSSAPI\n  bind_dn: cn=x\n"
		  "  bind_password_file: p\n",
		  "FILE:6:3: 'sasl_mech' and 'bind_dn' exclude each other: "
		  "GSSAPI binds as the keytab's principal\n"
		  "  sasl_mech: GSSAPI\n"
		  "  ^" },
		{ BACKEND "ldap:\n  keytab: k\n",
		  "FILE:6:3: 'keytab' needs 'sasl_mech: GSSAPI'\n"
		  "  keytab: k\n"
		  "  ^" },
		{ BACKEND "ldap:\n  sasl_mech: DIGEST-MD5\n",
		  "FILE:6:14: 'sasl_mech' must be 'GSSAPI' (Kerberos)\n"
		  "  sasl_mech: DIGEST-MD5\n"
		  "             ^" },
		{ BACKEND "ldap:\n  bind_password_file: x\n",
		  "FILE:6:3: 'bind_password_file' needs 'bind_dn'\n"
		  "  bind_password_file: x\n"
		  "  ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_ldap_values(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "ldap:\n  uri: http://x\n",
		  "FILE:6:8: invalid URI 'http://x': use ldap://, ldaps:// or "
		  "ldapi://\n"
		  "  uri: http://x\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri: ldap://a ldap.example.com\n",
		  "FILE:6:8: invalid URI 'ldap.example.com': use ldap://, "
		  "ldaps:// or ldapi://\n"
		  "  uri: ldap://a ldap.example.com\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri: ldap://a:-1\n",
		  "FILE:6:8: invalid URI 'ldap://a:-1': use ldap://, "
		  "ldaps:// or ldapi://\n"
		  "  uri: ldap://a:-1\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri: cldap://a\n",
		  "FILE:6:8: invalid URI 'cldap://a': use ldap://, "
		  "ldaps:// or ldapi://\n"
		  "  uri: cldap://a\n"
		  "       ^" },
		{ BACKEND "ldap:\n  uri: ldap://a:99999999\n",
		  "FILE:6:8: invalid URI 'ldap://a:99999999': use ldap://, "
		  "ldaps:// or ldapi://\n"
		  "  uri: ldap://a:99999999\n"
		  "       ^" },
		{ BACKEND "ldap:\n  schema: openldap\n",
		  "FILE:6:11: 'schema' must be 'auto', 'rfc' or 'ad'\n"
		  "  schema: openldap\n"
		  "          ^" },
		{ BACKEND "ldap:\n  nesting: server\n",
		  "FILE:6:12: 'nesting' must be 'walk' or 'in-chain'\n"
		  "  nesting: server\n"
		  "           ^" },
		{ BACKEND "ldap:\n  disabled_filter: nsAccountLock=TRUE\n",
		  "FILE:6:20: 'disabled_filter' must be an LDAP filter in "
		  "parentheses\n"
		  "  disabled_filter: nsAccountLock=TRUE\n"
		  "                   ^" },
		{ BACKEND "ldap:\n  tls_reqcert: allow\n",
		  "FILE:6:16: 'tls_reqcert' must be 'demand' or 'never'\n"
		  "  tls_reqcert: allow\n"
		  "               ^" },
		{ BACKEND "ldap:\n  bind_dn: licsync\n"
		  "  bind_password_file: p\n",
		  "FILE:6:12: 'licsync' is not a DN "
		  "(cn=licsync,ou=services,dc=example,dc=com), a user "
		  "principal name (licsync@example.com) or a down-level name "
		  "(EXAMPLE\\licsync)\n"
		  "  bind_dn: licsync\n"
		  "           ^" },
		{ BACKEND "ldap:\n  bind_dn: \"a@b@c\"\n"
		  "  bind_password_file: p\n",
		  "FILE:6:12: 'a@b@c' is not a DN "
		  "(cn=licsync,ou=services,dc=example,dc=com), a user "
		  "principal name (licsync@example.com) or a down-level name "
		  "(EXAMPLE\\licsync)\n"
		  "  bind_dn: \"a@b@c\"\n"
		  "           ^" },
		{ BACKEND "ldap:\n  bind_dn: \"cn=x,,\"\n"
		  "  bind_password_file: p\n",
		  "FILE:6:12: invalid DN 'cn=x,,': Decoding error\n"
		  "  bind_dn: \"cn=x,,\"\n"
		  "           ^" },
		{ BACKEND "ldap: {base_dn: dc=example,dc=com}\n",
		  "FILE:5:17: DN split at ',' after 'dc=example': quote DNs "
		  "inside [ ] or { }\n"
		  "ldap: {base_dn: dc=example,dc=com}\n"
		  "                ^" },
		{ BACKEND "ldap: {base_dn: \"dc=example,dc=com\"}\n"
		  "foobar: 1\n",
		  "FILE:6:1: unknown key 'foobar'\n"
		  "foobar: 1\n"
		  "^" },
		{ BACKEND "ldap:\n  base_dn: example.com\n",
		  "FILE:6:12: invalid DN 'example.com': Decoding error\n"
		  "  base_dn: example.com\n"
		  "           ^" },
		{ BACKEND "ldap:\n  user_filter: objectClass=person\n",
		  "FILE:6:16: 'user_filter' must be an LDAP filter in "
		  "parentheses\n"
		  "  user_filter: objectClass=person\n"
		  "               ^" },
		{ BACKEND "ldap:\n  user_filter: (&(a=b)\n",
		  "FILE:6:16: 'user_filter' must be an LDAP filter in "
		  "parentheses\n"
		  "  user_filter: (&(a=b)\n"
		  "               ^" },
		{ BACKEND "ldap:\n  user_filter: (a=b))\n",
		  "FILE:6:16: 'user_filter' must be an LDAP filter in "
		  "parentheses\n"
		  "  user_filter: (a=b))\n"
		  "               ^" },
		{ BACKEND "ldap:\n  user_filter: (a=b)(c=d)\n",
		  "FILE:6:16: 'user_filter' must be an LDAP filter in "
		  "parentheses\n"
		  "  user_filter: (a=b)(c=d)\n"
		  "               ^" },
		{ BACKEND "ldap:\n  user_key: 1mail\n",
		  "FILE:6:13: 'user_key' must be an attribute name\n"
		  "  user_key: 1mail\n"
		  "            ^" },
		{ BACKEND "ldap:\n  user_key: mail;lang-en\n",
		  "FILE:6:13: 'user_key' must be an attribute name\n"
		  "  user_key: mail;lang-en\n"
		  "            ^" },
		{ BACKEND "ldap:\n  user_key: \"2.5..4\"\n",
		  "FILE:6:13: 'user_key' must be an attribute name\n"
		  "  user_key: \"2.5..4\"\n"
		  "            ^" },
		{ BACKEND "ldap:\n  user_key: \"2.5.4.\"\n",
		  "FILE:6:13: 'user_key' must be an attribute name\n"
		  "  user_key: \"2.5.4.\"\n"
		  "            ^" },
		{ BACKEND "ldap:\n  page_size: 0\n",
		  "FILE:6:14: 'page_size' must be between 1 and 100000\n"
		  "  page_size: 0\n"
		  "             ^" },
		{ BACKEND "ldap:\n  page_size: 100001\n",
		  "FILE:6:14: 'page_size' must be between 1 and 100000\n"
		  "  page_size: 100001\n"
		  "             ^" },
		{ BACKEND "ldap:\n  page_size: 99999999999999999999999\n",
		  "FILE:6:14: 'page_size' must be between 1 and 100000\n"
		  "  page_size: 99999999999999999999999\n"
		  "             ^" },
		{ BACKEND "ldap:\n  timeout: -1\n",
		  "FILE:6:12: 'timeout' must be between 1 and 3600\n"
		  "  timeout: -1\n"
		  "           ^" },
		{ BACKEND "ldap:\n  timeout: 3601\n",
		  "FILE:6:12: 'timeout' must be between 1 and 3600\n"
		  "  timeout: 3601\n"
		  "           ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

static void
test_backend_values(void **state)
{
	static const struct ecase cases[] = {
		{ BACKEND "  full_read_every: 31d\n",
		  "FILE:5:20: 'full_read_every' must be a duration from 0 to "
		  "30d, like 12h or 1d\n"
		  "  full_read_every: 31d\n"
		  "                   ^" },
		{ BACKEND "  type: ldif\n",
		  "FILE:5:9: unknown backend type 'ldif' (known: graph, scim)\n"
		  "  type: ldif\n"
		  "        ^" },
		{ BACKEND "  type: scim\n",
		  "FILE:2:3: unknown key 'tenant_id'\n"
		  "  tenant_id: t\n"
		  "  ^" },
		{ "backend:\n  tenant_id: a/b\n",
		  "FILE:2:14: 'tenant_id' must be a GUID or a domain name\n"
		  "  tenant_id: a/b\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://graph.example.com/v1.0\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://graph.example.com/v1.0\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://127.0.0.1.example.com/\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://127.0.0.1.example.com/\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://localhost.example.com\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://localhost.example.com\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://localhost@example.com\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://localhost@example.com\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://[::2]:80/\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://[::2]:80/\n"
		  "             ^" },
		{ BACKEND "  graph_url: http://10.0.0.1/\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: http://10.0.0.1/\n"
		  "             ^" },
		{ BACKEND "  graph_url: https://\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: https://\n"
		  "             ^" },
		{ BACKEND "  graph_url: graph.microsoft.com\n",
		  "FILE:5:14: 'graph_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  graph_url: graph.microsoft.com\n"
		  "             ^" },
		{ BACKEND "  token_url: ftp://127.0.0.1/\n",
		  "FILE:5:14: 'token_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  token_url: ftp://127.0.0.1/\n"
		  "             ^" },
		{ BACKEND "  token_url: \"https://a b\"\n",
		  "FILE:5:14: 'token_url' must be https:// (http:// only to "
		  "loopback)\n"
		  "  token_url: \"https://a b\"\n"
		  "             ^" },
		{ BACKEND "  proxy: proxy.example.com:3128\n",
		  "FILE:5:10: 'proxy' must be an http://, https:// or "
		  "socks5:// URL\n"
		  "  proxy: proxy.example.com:3128\n"
		  "         ^" },
		{ BACKEND "  proxy: socks4://proxy:1080\n",
		  "FILE:5:10: 'proxy' must be an http://, https:// or "
		  "socks5:// URL\n"
		  "  proxy: socks4://proxy:1080\n"
		  "         ^" },
		{ BACKEND "  proxy: http://\n",
		  "FILE:5:10: 'proxy' must be an http://, https:// or "
		  "socks5:// URL\n"
		  "  proxy: http://\n"
		  "         ^" },
		{ BACKEND "  proxy: http://:3128\n",
		  "FILE:5:10: 'proxy' must be an http://, https:// or "
		  "socks5:// URL\n"
		  "  proxy: http://:3128\n"
		  "         ^" },
		{ BACKEND "  proxy: \"http://proxy /\"\n",
		  "FILE:5:10: 'proxy' must be an http://, https:// or "
		  "socks5:// URL\n"
		  "  proxy: \"http://proxy /\"\n"
		  "         ^" },
		{ BACKEND "  proxy: http://user:pw@proxy:3128\n",
		  "FILE:5:10: 'proxy' must not hold a user name or password "
		  "(use https_proxy)\n"
		  "  proxy: http://user:pw@proxy:3128\n"
		  "         ^" },
		{ BACKEND "  concurrency: 0\n",
		  "FILE:5:16: 'concurrency' must be between 1 and 64\n"
		  "  concurrency: 0\n"
		  "               ^" },
		{ BACKEND "  concurrency: 65\n",
		  "FILE:5:16: 'concurrency' must be between 1 and 64\n"
		  "  concurrency: 65\n"
		  "               ^" },
		{ BACKEND "  max_retries: -1\n",
		  "FILE:5:16: 'max_retries' must be between 0 and 100\n"
		  "  max_retries: -1\n"
		  "               ^" },
		{ BACKEND "  max_retries: 101\n",
		  "FILE:5:16: 'max_retries' must be between 0 and 100\n"
		  "  max_retries: 101\n"
		  "               ^" },
	};

	(void)state;
	check_cases(cases, NCASES(cases));
}

/* A SCIM backend: its keys and defaults, a key of Graph refused with
 * its place, and `backends:` beside `backend:`. */
#define SCIM "    type: scim\n    url: https://api.example.com/scim/v2/\n" \
	"    token_file: slack.token\n"

static void
test_scim_backends(void **state)
{
	const struct config_backend *b;
	struct config *c;
	char *path, *want;

	(void)state;
	c = load_ok(BACKEND "backends:\n  slack:\n" SCIM
	    "  jira:\n    type: scim\n    url: http://127.0.0.1:9/scim\n"
	    "    token_file: /etc/licsync/jira.token\n    seat: group\n"
	    "    user_name: mail\n    create_users: false\n"
	    "    deprovision: delete\n    page_size: 50\n"
	    "    patch_members: 10\n    concurrency: 2\n"
	    "    write_budget: 100/1m\n    attributes:\n"
	    "      given_name: gn\n      external_id: entryUUID\n", &path);
	assert_int_equal(config_backend_count(c), 3);
	b = config_backend_at(c, 0);
	assert_string_equal(b->name, "default");
	assert_string_equal(b->type, "graph");
	assert_int_equal(b->write_budget, 3000);
	assert_int_equal(b->full_read_every, 86400);
	b = config_backend_at(c, 1);
	assert_string_equal(b->name, "slack");
	assert_string_equal(b->type, "scim");
	/* no trailing slash; defaults of a SCIM backend */
	assert_string_equal(b->url, "https://api.example.com/scim/v2");
	want = xasprintf("%.*s/slack.token",
	    (int)(strrchr(path, '/') - path), path);
	assert_string_equal(b->token_file, want);
	free(want);
	assert_int_equal(b->seat, SEAT_GROUP);
	assert_null(b->user_name);
	assert_true(b->create_users);
	assert_false(b->deprovision_delete);
	assert_int_equal(b->page_size, 100);
	assert_int_equal(b->patch_members, 100);
	assert_int_equal(b->write_budget, 600);
	assert_int_equal(b->write_window, 60);
	assert_string_equal(b->attrs.given_name, "givenName");
	assert_string_equal(b->attrs.family_name, "sn");
	assert_string_equal(b->attrs.display_name, "displayName");
	assert_string_equal(b->attrs.email, "mail");
	assert_null(b->attrs.external_id);
	b = config_backend_at(c, 2);
	assert_string_equal(b->name, "jira");
	assert_string_equal(b->user_name, "mail");
	assert_false(b->create_users);
	assert_true(b->deprovision_delete);
	assert_int_equal(b->page_size, 50);
	assert_int_equal(b->patch_members, 10);
	assert_int_equal(b->concurrency, 2);
	assert_int_equal(b->write_budget, 100);
	assert_string_equal(b->attrs.given_name, "gn");
	assert_string_equal(b->attrs.external_id, "entryUUID");
	assert_null(config_backend_at(c, 3));
	assert_ptr_equal(config_backend_named(c, NULL), &c->backend);
	assert_ptr_equal(config_backend_named(c, "jira"),
	    config_backend_at(c, 2));
	assert_null(config_backend_named(c, "zoom"));
	config_free(c);
	unlink(path);
	free(path);

	c = load_ok(BACKEND "  full_read_every: 0\n", NULL);
	assert_int_equal(c->backend.full_read_every, 0);
	config_free(c);
	c = load_ok(BACKEND "  full_read_every: 6h\n", NULL);
	assert_int_equal(c->backend.full_read_every, 6 * 3600);
	config_free(c);
	round_trip(BACKEND "  full_read_every: 0\n");

	/* backends: alone; one of them is the default only when alone */
	c = load_ok("backends:\n  slack:\n" SCIM, NULL);
	assert_int_equal(config_backend_count(c), 1);
	assert_string_equal(config_backend_named(c, NULL)->name, "slack");
	config_free(c);
	c = load_ok("backends:\n  slack:\n" SCIM "  zoom:\n" SCIM, NULL);
	assert_null(config_backend_named(c, NULL));
	config_free(c);

	round_trip(BACKEND "backends:\n  slack:\n" SCIM
	    "    seat: active\n    user_name: mail\n"
	    "    attributes:\n      external_id: entryUUID\n");
	round_trip("backends:\n  m365:\n    tenant_id: t\n"
	    "    client_id: c\n    client_secret_file: s\n"
	    "    usage_location:\n      default: DE\n");
}

static void
test_scim_errors(void **state)
{
	static const struct ecase cases[] = {
		{ "backends:\n  slack:\n    type: scim\n"
		  "    token_file: t\n",
		  "FILE:3:5: missing required key 'url' in 'slack'\n"
		  "    type: scim\n"
		  "    ^" },
		{ "backends:\n  slack:\n" SCIM "    tenant_id: t\n",
		  "FILE:6:5: unknown key 'tenant_id'\n"
		  "    tenant_id: t\n"
		  "    ^" },
		{ "backends:\n  slack:\n" SCIM "    seat: seats\n",
		  "FILE:6:11: 'seat' must be 'group' or 'active'\n"
		  "    seat: seats\n"
		  "          ^" },
		{ "backends:\n  slack:\n" SCIM "    deprovision: yes\n",
		  "FILE:6:18: 'deprovision' must be 'disable' or 'delete'\n"
		  "    deprovision: yes\n"
		  "                 ^" },
		{ "backends:\n  slack:\n" SCIM "    page_size: 0\n",
		  "FILE:6:16: 'page_size' must be from 1 to 1000\n"
		  "    page_size: 0\n"
		  "               ^" },
		{ "backends:\n  slack:\n" SCIM "    patch_members: 1001\n",
		  "FILE:6:20: 'patch_members' must be from 1 to 1000\n"
		  "    patch_members: 1001\n"
		  "                   ^" },
		{ "backends:\n  slack:\n    type: scim\n"
		  "    url: http://scim.example.com/v2\n    token_file: t\n",
		  "FILE:4:10: 'url' must be https:// (http:// only to "
		  "loopback)\n"
		  "    url: http://scim.example.com/v2\n"
		  "         ^" },
		{ "backends:\n  slack:\n" SCIM "    attributes:\n"
		  "      mail: x\n",
		  "FILE:7:7: unknown key 'mail' (did you mean 'email'?)\n"
		  "      mail: x\n"
		  "      ^" },
		{ "backends:\n  Slack:\n" SCIM,
		  "FILE:2:3: invalid backend name 'Slack': use lower-case "
		  "letters, digits, '.', '_' and '-'\n"
		  "  Slack:\n"
		  "  ^" },
		{ "backends:\n  default:\n" SCIM,
		  "FILE:2:3: 'default' is the name of 'backend:'; give this "
		  "one another\n"
		  "  default:\n"
		  "  ^" },
		{ "backends: {}\n",
		  "FILE:1:11: 'backends' names no backend\n"
		  "backends: {}\n"
		  "          ^" },
		{ "backends:\n  slack: x\n",
		  "FILE:2:10: 'slack' must be a mapping\n"
		  "  slack: x\n"
		  "         ^" },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_duration_values(void **state)
{
	static const char *const bad_time[] = {
		"0", "0s", "600", "10", "-5m", "10M", "1.5h", "10 m", "m",
		"1d1s", "2d", "1w", "99999999999999999999s", "[10m]", "{}",
	};
	static const char *const bad_budget[] = {
		"3000", "3000/", "/150s", "0/150s", "1000001/150s",
		"99999999/1s", "-1/1s", "3000/0", "3000/150", "3000/1d1s",
		"3000 / 150s", "3000/150s/1", "1e3/150s", "[3000/150s]",
	};
	struct buf yaml = { 0 }, want = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(bad_time); i++) {
		buf_printf(&yaml, "%s  max_retry_time: %s\n", BACKEND,
		    bad_time[i]);
		buf_printf(&want, "FILE:5:19: 'max_retry_time' must be a "
		    "duration from 1s to 1d, like 10m or 1h30m\n"
		    "  max_retry_time: %s\n"
		    "                  ^", bad_time[i]);
		if (bad_time[i][0] == '[' || bad_time[i][0] == '{') {
			buf_free(&want);
			buf_printf(&want, "FILE:5:19: 'max_retry_time' must be "
			    "a string\n  max_retry_time: %s\n"
			    "                  ^", bad_time[i]);
		}
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
	for (i = 0; i < NCASES(bad_budget); i++) {
		buf_printf(&yaml, "%s  write_budget: %s\n", BACKEND,
		    bad_budget[i]);
		buf_printf(&want, "FILE:5:17: 'write_budget' must be writes "
		    "per duration like 3000/150s (1 to 1000000 writes, 1s to "
		    "1d)\n  write_budget: %s\n"
		    "                ^", bad_budget[i]);
		if (bad_budget[i][0] == '[') {
			buf_free(&want);
			buf_printf(&want, "FILE:5:17: 'write_budget' must be "
			    "a string\n  write_budget: %s\n"
			    "                ^", bad_budget[i]);
		}
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
}

static void
test_log_values(void **state)
{
	static const char *const bad[] = {
		"kern", "auth", "authpriv", "mail", "DAEMON", "Local0",
		"local8", "local", "LOG_DAEMON", "3", "\"daemon \"",
	};
	static const struct ecase cases[] = {
		{ BACKEND "log: daemon\n",
		  "FILE:5:6: 'log' must be a mapping\n"
		  "log: daemon\n"
		  "     ^" },
		{ BACKEND "log:\n  facility: [daemon]\n",
		  "FILE:6:13: 'facility' must be a string\n"
		  "  facility: [daemon]\n"
		  "            ^" },
		{ BACKEND "log:\n  facility: \"\"\n",
		  "FILE:6:13: 'facility' must not be empty\n"
		  "  facility: \"\"\n"
		  "            ^" },
		{ BACKEND "log:\n  facilty: daemon\n",
		  "FILE:6:3: unknown key 'facilty' (did you mean "
		  "'facility'?)\n"
		  "  facilty: daemon\n"
		  "  ^" },
		{ BACKEND "log:\n  facility: user\n  facility: daemon\n",
		  "FILE:7:3: duplicate key 'facility' (first at line 6)\n"
		  "  facility: daemon\n"
		  "  ^" },
	};
	struct buf yaml = { 0 }, want = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(bad); i++) {
		buf_printf(&yaml, "%slog:\n  facility: %s\n", BACKEND, bad[i]);
		buf_printf(&want, "FILE:6:13: 'facility' must be one of "
		    "daemon, user, local0 ... local7\n  facility: %s\n"
		    "            ^", bad[i]);
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
	check_cases(cases, NCASES(cases));
}

static void
test_safety_values(void **state)
{
	static const char *const bad[] = {
		"-1", "101%", "abc", "1.5", "\"\"", "\"%\"", "[1]", "{}",
		"10 %", "9999999999",
	};
	struct buf yaml = { 0 }, want = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < NCASES(bad); i++) {
		buf_printf(&yaml, "%ssafety:\n  max_unassign: %s\n", BACKEND,
		    bad[i]);
		buf_printf(&want, "FILE:6:17: 'max_unassign' must be a count "
		    "or a percentage like 10%%\n  max_unassign: %s\n"
		    "                ^", bad[i]);
		check_error(yaml.data, want.data);
		buf_free(&yaml);
		buf_free(&want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_bind_names),
		cmocka_unit_test(test_schema_keys),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_relative_config_path),
		cmocka_unit_test(test_urls_ok),
		cmocka_unit_test(test_proxies_ok),
		cmocka_unit_test(test_limits_ok),
		cmocka_unit_test(test_user_keys_ok),
		cmocka_unit_test(test_max_unassign),
		cmocka_unit_test(test_log_facility),
		cmocka_unit_test(test_usage_location),
		cmocka_unit_test(test_scim_backends),
		cmocka_unit_test(test_scim_errors),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_dump_content),
		cmocka_unit_test(test_dump_certificate),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_refused_yaml),
		cmocka_unit_test(test_not_mapping),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_ldap_values),
		cmocka_unit_test(test_backend_values),
		cmocka_unit_test(test_duration_values),
		cmocka_unit_test(test_safety_values),
		cmocka_unit_test(test_log_values),
	};

	/* make check runs these under the TAP driver. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "TAP", 0);
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
