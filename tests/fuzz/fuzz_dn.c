/*
 * fuzz_dn.c - DN normalisation on any string: the normal form is a
 * fixed point (normalising it again changes nothing), and stripping a
 * uniqueMember's optional uid never lengthens a value.
 */
#include <stdlib.h>
#include <string.h>

#include "directory/dn.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *n, *again, *stripped;

	if (memchr(data, '\0', size) != NULL)
		return 0;       /* DNs come from C strings */
	s = fuzz_string(data, size);
	n = dn_normalize(s);
	if (n != NULL) {
		again = dn_normalize(n);
		FUZZ_ASSERT(again != NULL);
		FUZZ_ASSERT(strcmp(n, again) == 0);
		free(again);
	}
	stripped = dn_strip_uid(s);
	FUZZ_ASSERT(stripped != NULL && strlen(stripped) <= size);
	free(stripped);
	free(n);
	free(s);
	return 0;
}
