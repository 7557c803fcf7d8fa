/* log.c - diagnostics to stderr */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;

void
log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_LVL_ERROR] = "error: ",
		[LOG_LVL_WARNING] = "warning: ",
		[LOG_LVL_INFO] = "",
		[LOG_LVL_DEBUG] = "debug: ",
	};
	va_list ap;

	if (lvl > cur_level)
		return;
	fprintf(stderr, "licsync: %s", prefix[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
