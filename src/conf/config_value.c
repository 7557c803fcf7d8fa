/*
 * config_value.c - licsync.conf's values, one key at a time: URIs, DNs,
 * filters, attribute names, numbers in range, durations, URLs, proxies,
 * the tenant, the country and the syslog facility, each checked and
 * stored in its field.  The key tables using them are in config.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <ldap.h>

#include "conf/config_value.h"
#include "conf/country.h"
#include "conf/yamlwalk.h"

#define MAX_WRITE_BUDGET 1000000
#define MAX_DURATION 86400              /* one day */

/* FILE resolved against the directory of the configuration file. */
int
path_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const char *dir = y->user, *s = yw_str(v);
	char **field = YW_FIELD(obj, k, char *);

	(void)e;
	free(*field);
	if (s[0] == '/' || dir == NULL)
		*field = xstrdup(s);
	else
		*field = xasprintf("%s/%s", dir, s);
	return EXIT_OK;
}

static bool
ldap_url_ok(const char *s)
{
	LDAPURLDesc *lud = NULL;
	bool ok;

	if (ldap_url_parse(s, &lud) != LDAP_URL_SUCCESS)
		return false;
	ok = (strcasecmp(lud->lud_scheme, "ldap") == 0 ||
	    strcasecmp(lud->lud_scheme, "ldaps") == 0 ||
	    strcasecmp(lud->lud_scheme, "ldapi") == 0) &&
	    lud->lud_port >= 0 && lud->lud_port <= 65535;
	ldap_free_urldesc(lud);
	return ok;
}

/* A space-separated list of LDAP URLs, stored one space apart. */
int
uri_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	char *copy = xstrdup(yw_str(v)), *tok, *save = NULL;
	struct buf b = { 0 };
	int r = EXIT_OK;

	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (!ldap_url_ok(tok)) {
			r = yw_error(y, v->start_mark, e, "invalid URI '%s': "
			    "use ldap://, ldaps:// or ldapi://", tok);
			goto out;
		}
		if (b.len > 0)
			buf_addstr(&b, " ");
		buf_addstr(&b, tok);
	}
	if (b.len == 0) {
		r = yw_error(y, v->start_mark, e, "'%s' must not be empty",
		    k->name);
		goto out;
	}
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(b.data);
out:
	buf_free(&b);
	free(copy);
	return r;
}

int
dn_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	int r = yw_check_dn(y, v, e);

	if (r != EXIT_OK)
		return r;
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(yw_str(v));
	return EXIT_OK;
}

/* NAME@DOMAIN or DOMAIN\NAME: one separator, something on each side,
 * no blank. */
static bool
bind_name_ok(const char *s, char sep)
{
	const char *p = strchr(s, sep);

	return p != NULL && p != s && p[1] != '\0' &&
	    strchr(p + 1, sep) == NULL && strpbrk(s, " \t") == NULL;
}

int
bind_name_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	const char *s = yw_str(v);

	/* A DN has an '='; a UPN or a down-level name has none. */
	if (strchr(s, '=') != NULL)
		return dn_key(y, k, v, obj, e);
	if (!bind_name_ok(s, '@') && !bind_name_ok(s, '\\'))
		return yw_error(y, v->start_mark, e, "'%s' is not a DN "
		    "(cn=licsync,ou=services,dc=example,dc=com), a user "
		    "principal name (licsync@example.com) or a down-level "
		    "name (EXAMPLE\\licsync)", s);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(s);
	return EXIT_OK;
}

/* One filter in parentheses, balanced; the server checks the rest. */
static bool
filter_ok(const char *s)
{
	size_t i;
	int depth = 0;

	if (s[0] != '(')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')')
			depth--;
		if (depth < 0 || (depth == 0 && s[i + 1] != '\0'))
			return false;
	}
	return depth == 0;
}

int
filter_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (!filter_ok(yw_str(v)))
		return yw_error(y, v->start_mark, e,
		    "'%s' must be an LDAP filter in parentheses", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(yw_str(v));
	return EXIT_OK;
}

static bool
is_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* An attribute descriptor (RFC 4512): a name or a numeric OID. */
static bool
attr_ok(const char *s)
{
	static const char alpha[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	static const char keychar[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-";
	const char *dot;

	if (s[0] != '\0' && strchr(alpha, s[0]) != NULL)
		return strspn(s, keychar) == strlen(s);
	dot = strchr(s, '.');
	if (dot == NULL)
		return false;
	for (; dot != NULL; s = dot + 1, dot = strchr(s, '.'))
		if (!is_digits(s, (size_t)(dot - s)))
			return false;
	return is_digits(s, strlen(s));
}

int
attr_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (!attr_ok(yw_str(v)))
		return yw_error(y, v->start_mark, e,
		    "'%s' must be an attribute name", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(yw_str(v));
	return EXIT_OK;
}

static int
int_range(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    long min, long max, struct err *e)
{
	long n;

	if (!yw_long(v, &n) || n < min || n > max)
		return yw_error(y, v->start_mark, e,
		    "'%s' must be between %ld and %ld", k->name, min, max);
	*YW_FIELD(obj, k, int) = (int)n;
	return EXIT_OK;
}

int
page_size_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return int_range(y, k, v, obj, 1, 100000, e);
}

int
timeout_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	return int_range(y, k, v, obj, 1, 3600, e);
}

int
concurrency_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return int_range(y, k, v, obj, 1, 64, e);
}

int
max_retries_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	return int_range(y, k, v, obj, 0, 100, e);
}

/* A duration from 1 second to MAX_DURATION. */
static bool
period_ok(const char *s, int64_t *out)
{
	int64_t t;

	if (!yw_duration(s, &t) || t <= 0 || t > MAX_DURATION)
		return false;
	*out = t;
	return true;
}

int
retry_time_key(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    void *obj, struct err *e)
{
	if (!period_ok(yw_str(v), YW_FIELD(obj, k, int64_t)))
		return yw_error(y, v->start_mark, e, "'%s' must be a duration "
		    "from 1s to 1d, like 10m or 1h30m", k->name);
	return EXIT_OK;
}

/* "N/DURATION": at most *WRITES writes in any *WINDOW seconds. */
int
write_budget_value(struct yw *y, const struct yw_key *k, yaml_node_t *v,
    long *writes, int64_t *window, struct err *e)
{
	const char *s = yw_str(v), *slash = strchr(s, '/');
	int64_t t;
	long n;

	if (slash == NULL || !is_digits(s, (size_t)(slash - s)) ||
	    slash - s > 7 || !period_ok(slash + 1, &t))
		goto bad;
	n = strtol(s, NULL, 10);
	if (n < 1 || n > MAX_WRITE_BUDGET)
		goto bad;
	*writes = n;
	*window = t;
	return EXIT_OK;
bad:
	return yw_error(y, v->start_mark, e, "'%s' must be writes per "
	    "duration like 3000/150s (1 to %d writes, 1s to 1d)", k->name,
	    MAX_WRITE_BUDGET);
}

int
country_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (!country_code(yw_str(v), YW_FIELD(obj, k, char)))
		return yw_error(y, v->start_mark, e, "'%s' must be an ISO 3166 "
		    "two-letter country code, like DE or US: '%s'", k->name,
		    yw_str(v));
	return EXIT_OK;
}

/* Substituted into the token URL: a GUID or a domain name. */
int
tenant_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	const char *s = yw_str(v);

	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != strlen(s))
		return yw_error(y, v->start_mark, e,
		    "'%s' must be a GUID or a domain name", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(s);
	return EXIT_OK;
}

static bool
ipv4_loopback(const char *h, size_t n)
{
	size_t i = 0, len;
	int part;
	long v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || h[i] != '.')
				return false;
			i++;
		}
		len = 0;
		v = 0;
		while (i + len < n && h[i + len] >= '0' && h[i + len] <= '9' &&
		    len < 4)
			v = v * 10 + (h[i + len++] - '0');
		if (len == 0 || len > 3 || v > 255 || (part == 0 && v != 127))
			return false;
		i += len;
	}
	return i == n;
}

/* The host of an http:// URL (after the scheme) is a loopback one. */
static bool
loopback_host(const char *hp)
{
	size_t n = strcspn(hp, "/?#"), hn;

	if (memchr(hp, '@', n) != NULL)
		return false;
	if (hp[0] == '[')
		return n >= 5 && strncmp(hp, "[::1]", 5) == 0 &&
		    (n == 5 || hp[5] == ':');
	hn = strcspn(hp, ":/?#");
	if (hn == 9 && strncasecmp(hp, "localhost", 9) == 0)
		return true;
	return ipv4_loopback(hp, hn);
}

static bool
url_ok(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ')
			return false;
	if (strncasecmp(s, "https://", 8) == 0)
		return strcspn(s + 8, "/?#") > 0;
	if (strncasecmp(s, "http://", 7) == 0)
		return loopback_host(s + 7);
	return false;
}

int
url_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	if (!url_ok(yw_str(v)))
		return yw_error(y, v->start_mark, e,
		    "'%s' must be https:// (http:// only to loopback)",
		    k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(yw_str(v));
	return EXIT_OK;
}

/* A proxy URL, stored as given; libcurl reads the rest.  Credentials
 * would end up in dumps and logs: they belong in https_proxy. */
int
proxy_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	static const char *const schemes[] = {
		"http://", "https://", "socks5://",
	};
	const char *s = yw_str(v), *hp = NULL, *p;
	size_t i, n;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			goto bad;
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i]);
		if (strncasecmp(s, schemes[i], n) == 0) {
			hp = s + n;
			break;
		}
	}
	if (hp == NULL || strcspn(hp, ":/?#") == 0)
		goto bad;
	if (memchr(hp, '@', strcspn(hp, "/?#")) != NULL)
		return yw_error(y, v->start_mark, e, "'%s' must not hold a "
		    "user name or password (use https_proxy)", k->name);
	free(*YW_FIELD(obj, k, char *));
	*YW_FIELD(obj, k, char *) = xstrdup(s);
	return EXIT_OK;
bad:
	return yw_error(y, v->start_mark, e,
	    "'%s' must be an http://, https:// or socks5:// URL", k->name);
}

/* The syslog facilities log.facility may name (value first: a line
 * starting with a quoted name would read as a key to tests/doc_check.sh). */
static const struct {
	int value;
	const char *name;
} facilities[] = {
	{ LOG_DAEMON, "daemon" }, { LOG_USER, "user" },
	{ LOG_LOCAL0, "local0" }, { LOG_LOCAL1, "local1" },
	{ LOG_LOCAL2, "local2" }, { LOG_LOCAL3, "local3" },
	{ LOG_LOCAL4, "local4" }, { LOG_LOCAL5, "local5" },
	{ LOG_LOCAL6, "local6" }, { LOG_LOCAL7, "local7" },
};

#define NFACILITIES (sizeof(facilities) / sizeof(facilities[0]))

int
facility_key(struct yw *y, const struct yw_key *k, yaml_node_t *v, void *obj,
    struct err *e)
{
	size_t i;

	for (i = 0; i < NFACILITIES; i++) {
		if (strcmp(yw_str(v), facilities[i].name) == 0) {
			*YW_FIELD(obj, k, int) = facilities[i].value;
			return EXIT_OK;
		}
	}
	return yw_error(y, v->start_mark, e,
	    "'%s' must be one of daemon, user, local0 ... local7", k->name);
}

const char *
facility_name(int value)
{
	size_t i;

	for (i = 0; i < NFACILITIES; i++)
		if (facilities[i].value == value)
			return facilities[i].name;
	return "daemon";
}

void
config_put_str(FILE *fp, const char *indent, const char *key,
    const char *value)
{
	if (value == NULL)
		return;
	fprintf(fp, "%s%s: ", indent, key);
	yw_print_scalar(fp, value);
	fputc('\n', fp);
}

void
config_format_duration(int64_t t, char *out, size_t size)
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
