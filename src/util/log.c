/* log.c - diagnostics to stderr, or to syslog when run unattended */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"

static enum log_level cur_level = LOG_LVL_INFO;
static bool to_syslog;
/* In syslog mode, errors are printed on stderr too (cron mails them)
 * unless stderr is the journal, which has them from syslog already. */
static bool errors_to_stderr;

/* systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the journal stream
 * given as stdout or stderr. */
static bool
stderr_is_journal(void)
{
	const char *s = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (s == NULL || fstat(STDERR_FILENO, &st) != 0)
		return false;
	if (sscanf(s, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return dev == (unsigned long long)st.st_dev &&
	    ino == (unsigned long long)st.st_ino;
}

void
log_open(bool use_syslog, int facility)
{
	if (to_syslog)
		closelog();
	to_syslog = use_syslog;
	errors_to_stderr = use_syslog && !stderr_is_journal();
	if (use_syslog)
		openlog("licsync", LOG_PID, facility);
}

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
	static const int priority[] = {
		[LOG_LVL_ERROR] = LOG_ERR,
		[LOG_LVL_WARNING] = LOG_WARNING,
		[LOG_LVL_INFO] = LOG_INFO,
		[LOG_LVL_DEBUG] = LOG_DEBUG,
	};
	va_list ap;

	if (lvl > cur_level)
		return;
	if (to_syslog) {
		/* The priority says the level; the ident, the program. */
		va_start(ap, fmt);
		vsyslog(priority[lvl], fmt, ap);
		va_end(ap);
		if (lvl != LOG_LVL_ERROR || !errors_to_stderr)
			return;
	}
	fprintf(stderr, "licsync: %s", prefix[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
log_summary(const char *fmt, ...)
{
	va_list ap;

	if (!to_syslog)
		return;
	va_start(ap, fmt);
	vsyslog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_err(const struct err *e)
{
	log_error("%s", e->msg);
}
