/* dirstate.c - what directory.c, inchain.c and query.c all ask of the
 * directory's state and of an entry */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "directory/dirstate.h"
#include "directory/ldap_session.h"

void
dir_read_what(char *what, size_t size, const char *dn)
{
	char brief[300];

	snprintf(what, size, "LDAP read of '%s'",
	    str_brief(dn, 240, brief, sizeof(brief)));
}

struct has_class {
	const char *const *classes;
	bool yes;
};

static bool
class_value(void *ctx, const char *v, size_t len)
{
	struct has_class *h = ctx;
	size_t j;

	for (j = 0; h->classes[j] != NULL; j++)
		if (len == strlen(h->classes[j]) &&
		    strncasecmp(v, h->classes[j], len) == 0)
			h->yes = true;
	return !h->yes;
}

int
dir_has_class(const struct directory *d, const struct session_entry *en,
    const char *const *classes, bool *yes, struct err *e)
{
	struct has_class h = { classes, false };
	int r;

	r = session_values(en, d->fl->class_attr, class_value, &h, NULL, e);
	*yes = h.yes;
	return r;
}

void
dir_push(uint32_t **arr, size_t *n, uint32_t v)
{
	/* grow at powers of two */
	if ((*n & (*n - 1)) == 0 && (*n == 0 || *n >= 8))
		*arr = xreallocarray(*arr, *n ? *n * 2 : 8, sizeof(**arr));
	(*arr)[(*n)++] = v;
}

void
dir_primary_members(const struct directory *d, uint32_t rid, uint32_t **ids,
    size_t *n)
{
	size_t lo = 0, hi = d->nprimary, mid;

	/* the first entry with this rid */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->primary[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->nprimary && d->primary[lo].rid == rid; lo++)
		dir_push(ids, n, d->primary[lo].key);
}

struct first {
	const struct flavour *fl;
	const char *attr;
	char *v;
};

static bool
take_first(void *ctx, const char *v, size_t len)
{
	struct first *f = ctx;

	if (len > 0)
		f->v = flavour_value(f->fl, f->attr, v, len);
	return false;
}

int
dir_first_value(const struct directory *d, const struct session_entry *en,
    const char *attr, char **out, struct err *e)
{
	struct first f = { d->fl, attr, NULL };
	int r;

	*out = NULL;
	if (attr == NULL)
		return EXIT_OK;
	r = session_values(en, attr, take_first, &f, NULL, e);
	*out = f.v;
	return r;
}

bool
dir_parse_rid(const char *s, uint32_t *rid)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX)
		return false;
	*rid = (uint32_t)v;
	return true;
}
