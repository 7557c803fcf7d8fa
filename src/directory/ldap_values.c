/*
 * ldap_values.c - reading the entries of the session's searches: DNs,
 * values, and Active Directory's ranged retrieval, so that every caller
 * gets whole value lists.  Part of the session layer (session_int.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "directory/ldap_session.h"
#include "directory/session_int.h"
#include "util/log.h"

char *
session_filter_value(const char *v)
{
	struct berval in = { strlen(v), (char *)(uintptr_t)v }, out = { 0,
	    NULL };
	char *copy;

	if (ldap_bv2escaped_filter_value(&in, &out) != 0 || out.bv_val ==
	    NULL)
		abort();        /* only out of memory */
	copy = xstrdup(out.bv_val);
	ber_memfree(out.bv_val);
	return copy;
}

char *
session_entry_dn(const struct session_entry *en)
{
	char *dn = ldap_get_dn(en->s->ld, en->msg), *copy;

	if (dn == NULL)
		return NULL;
	copy = xstrdup(dn);
	ldap_memfree(dn);
	return copy;
}

/* One ranged part of ATTR: its values and the range of the reply. */
struct range {
	struct berval **vals;
	long low, high;         /* high -1: "*", the last part */
	bool found;
};

/* Parse "LOW-HIGH" or "LOW-*". */
static bool
parse_range(const char *p, long *low, long *high)
{
	char *end;

	errno = 0;
	*low = strtol(p, &end, 10);
	if (errno != 0 || end == p || *low < 0 || *end != '-')
		return false;
	p = end + 1;
	if (strcmp(p, "*") == 0) {
		*high = -1;
		return true;
	}
	*high = strtol(p, &end, 10);
	return errno == 0 && end != p && *end == '\0' && *high >= *low;
}

/* The attribute "ATTR;range=LOW-HIGH" of MSG, if it has one. */
static void
find_range(LDAP *ld, LDAPMessage *msg, const char *attr, struct range *r)
{
	BerElement *ber = NULL;
	size_t alen = strlen(attr);
	char *a;

	memset(r, 0, sizeof(*r));
	for (a = ldap_first_attribute(ld, msg, &ber); a != NULL;
	    a = ldap_next_attribute(ld, msg, ber)) {
		if (!r->found && strncasecmp(a, attr, alen) == 0 &&
		    strncasecmp(a + alen, ";range=", 7) == 0) {
			r->found = true;
			if (parse_range(a + alen + 7, &r->low, &r->high))
				r->vals = ldap_get_values_len(ld, msg, a);
		}
		ldap_memfree(a);
	}
	ber_free(ber, 0);
}

/* Read the part of ATTR of DN that starts at LOW, with a base search. */
static int
read_range(struct session *s, const char *dn, const char *attr, long low,
    struct range *r, const char *what, struct err *e)
{
	char name[256];
	char *attrs[2] = { name, NULL };
	struct timeval tv = s->tv;
	LDAPMessage *res = NULL, *m;
	int rc, msgid;

	memset(r, 0, sizeof(*r));
	snprintf(name, sizeof(name), "%s;range=%ld-*", attr, low);
	rc = ldap_search_ext(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT, &msgid);
	if (rc == LDAP_SUCCESS) {
		tv = s->tv;
		rc = ldap_result(s->ld, msgid, LDAP_MSG_ALL, &tv, &res);
		if (rc == 0) {
			ldap_abandon_ext(s->ld, msgid, NULL, NULL);
			err_set(e, "%s (%s): timed out after %d s", what, name,
			    s->cfg->timeout);
			return EXIT_DIRECTORY;
		}
		rc = rc < 0 ? LDAP_SERVER_DOWN : LDAP_SUCCESS;
	}
	if (rc == LDAP_SUCCESS) {
		char *errmsg = NULL;
		int err = LDAP_OTHER;

		for (m = ldap_first_message(s->ld, res); m != NULL;
		    m = ldap_next_message(s->ld, m))
			if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY &&
			    !r->found)
				find_range(s->ld, m, attr, r);
			else if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT)
				ldap_parse_result(s->ld, m, &err, NULL,
				    &errmsg, NULL, NULL, 0);
		if (err != LDAP_SUCCESS) {
			char where[700];

			snprintf(where, sizeof(where), "%s (%s)", what, name);
			ldap_error(e, where, err, NULL, errmsg);
		}
		ldap_memfree(errmsg);
		ldap_msgfree(res);
		if (err != LDAP_SUCCESS) {
			ldap_value_free_len(r->vals);
			r->vals = NULL;
			return EXIT_DIRECTORY;
		}
		return EXIT_OK;
	}
	ldap_error(e, what, rc, s->ld, NULL);
	return EXIT_DIRECTORY;
}

/*
 * The ranged values of ATTR: the first part is in EN, the others are
 * read until a part ends in "*".  Each part must start where the last
 * ended; anything else means the server broke the list off.
 */
static int
ranged_values(const struct session_entry *en, const char *attr,
    struct range *r, session_value_fn fn, void *ctx, size_t *n,
    struct err *e)
{
	char *dn = session_entry_dn(en), what[400], brief[300];
	long expect = 0;
	size_t i, k;
	int rv = EXIT_DIRECTORY;
	bool more = true;

	snprintf(what, sizeof(what), "LDAP read of '%s'",
	    str_brief(dn != NULL ? dn : "", 240, brief, sizeof(brief)));
	for (;;) {
		k = (size_t)ldap_count_values_len(r->vals);
		if (!r->found || r->vals == NULL || r->low != expect ||
		    (r->high >= 0 && (size_t)(r->high - r->low + 1) != k)) {
			err_set(e, "%s: the server broke off the values of "
			    "%s at %ld (ranged retrieval); refusing a short "
			    "list", what, attr, expect);
			break;
		}
		for (i = 0; more && i < k; i++) {
			(*n)++;
			if (fn != NULL)
				more = fn(ctx, r->vals[i]->bv_val,
				    r->vals[i]->bv_len);
		}
		if (r->high < 0 || !more) {
			rv = EXIT_OK;
			break;
		}
		expect = r->high + 1;
		ldap_value_free_len(r->vals);
		r->vals = NULL;
		log_debug("%s: %s in ranges, reading from %ld", what, attr,
		    expect);
		if (dn == NULL || read_range(en->s, dn, attr, expect, r, what,
		    e) != EXIT_OK)
			break;
	}
	ldap_value_free_len(r->vals);
	r->vals = NULL;
	free(dn);
	return rv;
}

int
session_values(const struct session_entry *en, const char *attr,
    session_value_fn fn, void *ctx, size_t *n, struct err *e)
{
	LDAP *ld = en->s->ld;
	struct berval **vals = ldap_get_values_len(ld, en->msg, attr);
	size_t count = (size_t)ldap_count_values_len(vals), i, got = 0;
	struct range r;

	if (n != NULL)
		*n = 0;
	if (vals == NULL) {
		find_range(ld, en->msg, attr, &r);
		if (!r.found)
			return EXIT_OK;
		if (ranged_values(en, attr, &r, fn, ctx, &got, e) != EXIT_OK)
			return EXIT_DIRECTORY;
		if (n != NULL)
			*n = got;
		return EXIT_OK;
	}
	for (i = 0; fn != NULL && i < count; i++)
		if (!fn(ctx, vals[i]->bv_val, vals[i]->bv_len))
			break;
	ldap_value_free_len(vals);
	if (n != NULL)
		*n = count;
	return EXIT_OK;
}
