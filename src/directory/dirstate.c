/* dirstate.c - what directory.c, inchain.c and query.c all ask of the
 * directory's state and of an entry */
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
