/*
 * fuzz_scim.c - what licsync reads of a SCIM service: a ListResponse page
 * of users or of groups, a group's members, a created user's id, an error
 * body and /ServiceProviderConfig.  Every resource handed on has an id
 * and a name, a page never holds fewer resources than it hands on and
 * skips, and a refused page says why.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/scim_json.h"
#include "fuzz.h"

static int
on_resource(void *ctx, const struct scim_resource *r, struct err *e)
{
	(void)e;
	FUZZ_ASSERT(r->id != NULL && *r->id != '\0');
	FUZZ_ASSERT(r->name != NULL && *r->name != '\0');
	(*(size_t *)ctx)++;
	return EXIT_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct strv ids = { 0 };
	struct buf b = { 0 };
	struct err e;
	char *id = NULL, *type = NULL, *detail = NULL;
	size_t seen, n, skipped;
	long total;
	int pass, r;

	fuzz_quiet();
	for (pass = 0; pass < 2; pass++) {
		memset(&e, 0, sizeof(e));
		seen = skipped = 0;
		r = scim_read_page(body, size, pass == 0, on_resource, &seen,
		    &total, &n, &skipped, &e);
		if (r == EXIT_OK)
			FUZZ_ASSERT(seen + skipped <= n && total >= -1);
		else
			FUZZ_ASSERT(e.msg[0] != '\0');
	}
	if (scim_read_members(body, size, &ids, &e) == EXIT_OK)
		for (n = 0; n < ids.n; n++)
			FUZZ_ASSERT(ids.v[n] != NULL && *ids.v[n] != '\0');
	strv_free(&ids);
	if (scim_read_id(body, size, &id, &e) == EXIT_OK)
		FUZZ_ASSERT(id != NULL && *id != '\0');
	else
		FUZZ_ASSERT(id == NULL);
	free(id);
	scim_read_error(body, size, &type, &detail);
	FUZZ_ASSERT(detail == NULL || strlen(detail) <= 400);
	free(type);
	free(detail);
	scim_describe_config(body, size, &b);
	FUZZ_ASSERT(b.data != NULL);
	buf_free(&b);
	return 0;
}
