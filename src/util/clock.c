/*
 * clock.c - the current time for licsync itself: the wall clock, and
 * nothing else (see now_seconds() in util.h).  The test programs link
 * tests/clock_test.c instead.
 */
#include <stdint.h>
#include <time.h>

#include "util/util.h"

int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
}
