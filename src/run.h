/* run.h - the commands, wiring the stages together */
#ifndef LICSYNC_RUN_H
#define LICSYNC_RUN_H

#include <stdbool.h>

#include "report.h"

struct plan_opts {
	const char *config_path;
	enum report_format format;
	const char *out_file;   /* -o: also write the JSON plan here */
};

int run_check(const char *config_path, bool dump);
int run_plan(const struct plan_opts *o);

#endif
