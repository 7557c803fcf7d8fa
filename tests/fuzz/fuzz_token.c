/*
 * fuzz_token.c - a token answer: graph_read_token() gives a token that
 * can go into a header line (no CR, LF or NUL) with a lifetime from 1 s
 * to a day, or nothing.  graph_describe_error() reads the same bytes as
 * an error body and never writes an unbounded message nor a control
 * character.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/graph_json.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = { 0 };
	struct err e;
	char *token = NULL;
	long lifetime = 0;
	size_t i;

	fuzz_quiet();
	memset(&e, 0, sizeof(e));
	if (graph_read_token((const char *)data, size, &token, &lifetime,
	    &e) == EXIT_OK) {
		FUZZ_ASSERT(token != NULL && *token != '\0');
		FUZZ_ASSERT(strcspn(token, "\r\n") == strlen(token));
		FUZZ_ASSERT(lifetime >= 1 && lifetime <= 86400);
		explicit_bzero(token, strlen(token));
		free(token);
	} else
		FUZZ_ASSERT(token == NULL);

	graph_describe_error(400, (const char *)data, size, "rid", &b);
	FUZZ_ASSERT(b.len < 2048);
	for (i = 0; i < b.len; i++)
		FUZZ_ASSERT((unsigned char)b.data[i] >= 0x20 &&
		    b.data[i] != 0x7f);
	buf_free(&b);
	return 0;
}
