/* metrics.h - Prometheus text exposition for node_exporter's textfile
 * collector */
#ifndef LICSYNC_METRICS_H
#define LICSYNC_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reconcile/seats.h"
#include "util/util.h"

/* How many changes of one app, action and result the run had. */
struct metrics_change {
	const char *app;
	const char *action;     /* "assign" or "unassign" */
	const char *result;     /* "ok", "failed", "skipped", "pending",
	                           or "planned" for a plan */
	long n;
};

struct metrics {
	const char *command;    /* the run's: "plan", "apply"; NULL: no
	                           run, so only the seats */
	int64_t run;            /* its id in the audit trail; 0: none */
	const char *outcome;    /* "ok", "directory error", ... */
	int exit_code;
	double ended;           /* seconds since the epoch */
	double duration;        /* seconds */
	const struct metrics_change *changes;
	size_t nchanges;
	/* seats by app; NULL when the run did not see a whole view */
	const struct app_status *apps;
	size_t napps;
};

/* The exposition of M into FP; returns -1 when writing failed. */
int metrics_format(FILE *fp, const struct metrics *m);
/* Write it to PATH atomically (a temporary file in the same directory,
 * fsync, rename), mode 0644.  EXIT_USAGE with the reason in E. */
int metrics_write(const char *path, const struct metrics *m, struct err *e);

/* Count one change of APP (ACTION, RESULT) in *M (*N of them); the
 * strings are kept, not copied. */
void metrics_count_change(struct metrics_change **m, size_t *n,
    const char *app, const char *action, const char *result);

#endif
