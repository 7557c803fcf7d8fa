/* log.h - diagnostics to stderr, or to syslog when run unattended */
#ifndef LICSYNC_LOG_H
#define LICSYNC_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * Where messages go: with USE_SYSLOG, to syslog(3) with the ident
 * "licsync", the pid and FACILITY (LOG_DAEMON, ...), errors also to stderr
 * unless stderr is the journal (JOURNAL_STREAM); otherwise to stderr,
 * which is also where they go before log_open() is called.
 */
void log_open(bool use_syslog, int facility);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line per run for the system log, whatever -q says; nothing when
 * diagnostics go to stderr (the report is there). */
void log_summary(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct err;
/* log_error of E's message. */
void log_err(const struct err *e);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
