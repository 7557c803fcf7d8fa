/*
 * clock_test.c - the current time for the test programs only (the unit
 * tests and tests/licsync-test, the licsync the integration tests run):
 * LICSYNC_TEST_NOW, seconds since the epoch, sets it, so tests can run at
 * fixed times and let grace periods expire.  Never linked into the
 * installed licsync, whose src/clock.c reads the wall clock only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/util.h"

int64_t
now_seconds(void)
{
	const char *t = getenv("LICSYNC_TEST_NOW");

	if (t != NULL && *t != '\0') {
		char *end;
		long long v = strtoll(t, &end, 10);

		if (*end == '\0')
			return v;
	}
	return (int64_t)time(NULL);
}
