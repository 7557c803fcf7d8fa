/*
 * fuzz_batch.c - a $batch answer: batch_parse() keeps only items whose
 * status is an HTTP status or 0 and whose Retry-After is -1 or a count
 * of seconds; each classifies to a named outcome, and no code, message
 * or request id keeps a control character.  The error-body reader takes
 * the same bytes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backend/batch.h"
#include "fuzz.h"

/* No control character: a server's words go to logs and terminals. */
static bool
printable(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch_reply *r = NULL;
	struct err e;
	char *code, *message, *rid;
	size_t n = 0, i;

	fuzz_quiet();
	memset(&e, 0, sizeof(e));
	if (batch_parse((const char *)data, size, &r, &n, &e) == EXIT_OK) {
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(r[i].status == 0 ||
			    (r[i].status >= 100 && r[i].status <= 599));
			FUZZ_ASSERT(r[i].retry_after >= -1);
			FUZZ_ASSERT(outcome_name(batch_classify(r[i].status,
			    r[i].message)) != NULL);
			FUZZ_ASSERT(printable(r[i].code));
			FUZZ_ASSERT(printable(r[i].message));
			FUZZ_ASSERT(printable(r[i].request_id));
		}
	} else
		FUZZ_ASSERT(r == NULL && n == 0);
	batch_replies_free(r, n);

	batch_error_body((const char *)data, size, &code, &message, &rid);
	free(code);
	free(message);
	free(rid);
	return 0;
}
