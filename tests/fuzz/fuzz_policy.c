/*
 * fuzz_policy.c - policy files: policy_load() on any bytes.  Either a
 * policy whose every app has a name and a SKU (id or part number) and
 * whose hash can be taken, or an error located in the file.
 */
#include <string.h>

#include "conf/policy.h"
#include "fuzz.h"
#include "util/util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	struct err e;
	const char *path;
	char hex[65];
	size_t i;
	int r;

	fuzz_quiet();
	path = fuzz_file(data, size, ".yaml");
	memset(&e, 0, sizeof(e));
	r = policy_load(path, &p, &e);
	if (r == EXIT_OK) {
		FUZZ_ASSERT(p != NULL && p->napps > 0);
		for (i = 0; i < p->napps; i++) {
			FUZZ_ASSERT(p->apps[i].name != NULL);
			FUZZ_ASSERT((p->apps[i].sku != NULL) !=
			    (p->apps[i].sku_part_number != NULL));
		}
		FUZZ_ASSERT(policy_hash(p, hex, &e) == EXIT_OK);
		policy_free(p);
	} else {
		FUZZ_ASSERT(r == EXIT_CONFIG);
		FUZZ_ASSERT(p == NULL);
		FUZZ_ASSERT(strncmp(e.msg, path, strlen(path)) == 0);
	}
	return 0;
}
