/*
 * fuzz_users.c - a page of Graph's GET /users: every user handed on has
 * an id and a key, every license a SKU id; a page that is refused
 * leaves no next link behind.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/graph_json.h"
#include "fuzz.h"

static int
on_user(void *ctx, const struct backend_user *u, struct err *e)
{
	size_t i;

	(void)e;
	FUZZ_ASSERT(u->id != NULL && u->key != NULL);
	FUZZ_ASSERT(u->nlicenses == 0 || u->licenses != NULL);
	for (i = 0; i < u->nlicenses; i++)
		FUZZ_ASSERT(u->licenses[i].sku != NULL);
	(*(size_t *)ctx)++;
	return EXIT_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	char *next = NULL;
	size_t n = 0;
	int r;

	fuzz_quiet();
	memset(&e, 0, sizeof(e));
	r = graph_read_users((const char *)data, size, on_user, &n, &next, &e);
	if (r != EXIT_OK)
		FUZZ_ASSERT(next == NULL);
	free(next);
	return 0;
}
