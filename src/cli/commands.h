/*
 * commands.h - the commands of licsync, one file each in cli/: main.c
 * parses the command line into these options and calls one of them; each
 * returns the exit code.  Layer: cli, the top; a command may call every
 * layer below (src/LAYERS), and nothing calls it.
 */
#ifndef LICSYNC_COMMANDS_H
#define LICSYNC_COMMANDS_H

#include <stdbool.h>

#include "report/report.h"
#include "run/run.h"



/* Validate offline; ONLINE also binds, gets a token and looks up every
 * policy group and SKU. */
int run_check(const char *config_path, bool dump, bool online);

struct audit_opts {
	const char *config_path;
	enum report_format format;
	const char *run;        /* NULL, "last" or a run id */
	const char *since;      /* NULL, ISO 8601, or a duration ago (7d) */
	const char *user;
	const char *app;
	const char *result;     /* NULL, ok, failed, skipped or pending */
	const char *until;      /* NULL, or like since: before this */
	const char *action;     /* NULL, assign or unassign */
	bool runs;              /* list runs instead of changes */
	bool verify;            /* check the hash chain */
	const char *prune_before; /* remove rows finalised before this */
	int wait;               /* --wait: seconds to wait for the lock */
};

/* List recorded changes; exit 1 for a bad filter. */
int run_audit(const struct audit_opts *o);
int run_plan(const struct plan_opts *o);
/* plan, then carry it out through the backend */
int run_apply(const struct plan_opts *o);

struct status_opts {
	const char *config_path;
	enum report_format format;
	bool live;              /* read the directory and backend now */
	const char *metrics_file;
};

/* Seats per app, from the last run that saw a whole view, or live. */
int run_status(const struct status_opts *o);

struct explain_opts {
	const char *config_path;
	enum report_format format;  /* text, json or csv */
	const char *user;       /* the user key */
	int events;             /* audit events to show per app */
};

/* Why USER has, or has not, each app; reads live, changes nothing. */
int run_explain(const struct explain_opts *o);

#endif
