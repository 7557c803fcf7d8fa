/*
 * fuzz_config.c - licsync.conf: config_load() on any bytes.  Either a
 * configuration that config_dump() can print, or an error that names
 * the file.
 */
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "fuzz.h"
#include "util/util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct config *c = NULL;
	struct err e;
	const char *path;
	int r;

	if (null == NULL) {
		fuzz_quiet();
		if ((null = fopen("/dev/null", "w")) == NULL)
			fuzz_fail(__FILE__, __LINE__, "/dev/null");
	}
	path = fuzz_file(data, size, ".conf");
	memset(&e, 0, sizeof(e));
	r = config_load(path, &c, &e);
	if (r == EXIT_OK) {
		FUZZ_ASSERT(c != NULL);
		config_dump(c, null);
		config_free(c);
	} else {
		FUZZ_ASSERT(r == EXIT_CONFIG);
		FUZZ_ASSERT(c == NULL);
		FUZZ_ASSERT(strstr(e.msg, path) != NULL);
	}
	return 0;
}
