/*
 * cmd_plan.c - `licsync plan` and `licsync apply`: prepare a run, then
 * report its plan, or carry it out and report what became of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "run/run.h"

int
run_plan(const struct plan_opts *o)
{
	struct plan_run pr;
	struct err e;
	int r;

	r = run_prepare(&pr, o, RUN_PLAN, &e);
	if (r == EXIT_OK)
		r = run_output(&pr, o, &e);
	r = run_finish(&pr, o, "plan", r, &e);
	run_free(&pr);
	return r;
}

int
run_apply(const struct plan_opts *o)
{
	struct plan_run pr;
	struct err e;
	int r, ro;

	r = run_prepare(&pr, o, RUN_APPLY, &e);
	if (r == EXIT_OK)
		r = run_execute(&pr, &e);
	/* A safety stop shows the plan it refused to apply. */
	if (r == EXIT_SAFETY && pr.sf.stopped)
		run_output(&pr, o, NULL);
	/* Once changes were sent, report them, whatever stopped the run. */
	if (pr.ap.results != NULL) {
		struct err eo;

		ro = run_output(&pr, o, &eo);
		if (ro != EXIT_OK && (r == EXIT_OK || r == EXIT_PARTIAL)) {
			r = ro;
			e = eo;
		}
	}
	if (pr.ap.results != NULL && r != EXIT_OK && r != EXIT_PARTIAL)
		err_prefix(&e, "apply stopped (see `licsync audit --run %lld` "
		    "for what was done)", (long long)pr.base.run_id);
	r = run_finish(&pr, o, "apply", r, &e);
	run_free(&pr);
	return r;
}
