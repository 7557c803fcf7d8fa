/*
 * fuzz_skus.c - Graph's GET /subscribedSkus: every SKU read has an id
 * in lower case and seat counts from 0 to 2^31-1, so that arithmetic on
 * seats cannot overflow.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "backend/graph_json.h"
#include "fuzz.h"

static bool
in_range(long v)
{
	return v >= 0 && v <= 2147483647L;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backend_sku *skus = NULL;
	struct err e;
	size_t n = 0, i;
	const char *p;

	fuzz_quiet();
	memset(&e, 0, sizeof(e));
	if (graph_read_skus((const char *)data, size, &skus, &n, &e) ==
	    EXIT_OK) {
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(skus[i].id != NULL);
			for (p = skus[i].id; *p != '\0'; p++)
				FUZZ_ASSERT(!isupper((unsigned char)*p));
			FUZZ_ASSERT(in_range(skus[i].enabled));
			FUZZ_ASSERT(in_range(skus[i].warning));
			FUZZ_ASSERT(in_range(skus[i].consumed));
		}
	} else
		FUZZ_ASSERT(skus == NULL && n == 0);
	backend_skus_free(skus, n);
	return 0;
}
