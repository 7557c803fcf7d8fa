/* dirstate.c - what directory.c and query.c both ask of an entry */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "directory/dirstate.h"
#include "directory/ldap_session.h"

const char *const dir_group_attrs[] = { "objectClass", "member",
	"uniqueMember", "memberUid", NULL };

void
dir_read_what(char *what, size_t size, const char *dn)
{
	char brief[300];

	snprintf(what, size, "LDAP read of '%s'",
	    str_brief(dn, 240, brief, sizeof(brief)));
}

struct is_group {
	const struct flavour *fl;
	bool yes;
};

static bool
group_class(void *ctx, const char *v, size_t len)
{
	struct is_group *g = ctx;
	size_t j;

	for (j = 0; g->fl->group_classes[j] != NULL; j++)
		if (len == strlen(g->fl->group_classes[j]) &&
		    strncasecmp(v, g->fl->group_classes[j], len) == 0)
			g->yes = true;
	return !g->yes;
}

bool
dir_is_group(const struct directory *d, const struct session_entry *en)
{
	struct is_group g = { d->fl, false };

	session_values(en, "objectClass", group_class, &g);
	return g.yes;
}
