/*
 * output.c - the plan of a run as a report (text, JSON, CSV, HTML), the
 * one line of -q, and the saved plan of -o with the hashes of its view.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "conf/config.h"
#include "conf/policy.h"
#include "report/html.h"
#include "report/report.h"
#include "report/saved.h"
#include "run/run.h"
#include "run/stages.h"
#include "store/audit.h"

static int
compare_key(const void *pa, const void *pb, void *keys)
{
	return strcmp(intern_str(keys, *(const uint32_t *)pa),
	    intern_str(keys, *(const uint32_t *)pb));
}

/* SHA-256 over what the run saw, in key order: the entitled users of each
 * app (DIRECTORY) and the holders of each app (BACKEND). */
static void
view_hashes(struct plan_run *pr)
{
	struct buf d = { 0 }, b = { 0 };
	uint32_t *ids;
	size_t a, i;

	buf_add(&d, "", 0);
	buf_add(&b, "", 0);
	for (a = 0; a < pr->base.pol->napps; a++) {
		const struct rc_app_summary *s = &pr->plan.apps[a];
		const struct app_state *as = &pr->apps[a];

		ids = xcalloc(s->entitled + 1, sizeof(*ids));
		memcpy(ids, s->entitled_ids, s->entitled * sizeof(*ids));
		qsort_r(ids, s->entitled, sizeof(*ids), compare_key, pr->keys);
		buf_printf(&d, "%s\n", as->sku);
		for (i = 0; i < s->entitled; i++)
			buf_printf(&d, "%s\n", intern_str(pr->keys, ids[i]));
		free(ids);
		ids = xcalloc(as->nh + 1, sizeof(*ids));
		for (i = 0; i < as->nh; i++)
			ids[i] = as->h[i].user;
		qsort_r(ids, as->nh, sizeof(*ids), compare_key, pr->keys);
		buf_printf(&b, "%s\n", as->sku);
		for (i = 0; i < as->nh; i++)
			buf_printf(&b, "%s\n", intern_str(pr->keys, ids[i]));
		free(ids);
	}
	sha256_hex(d.data, d.len, pr->base.pv.directory);
	sha256_hex(b.data, b.len, pr->base.pv.backend);
	buf_free(&d);
	buf_free(&b);
}

static int
save_plan(struct plan_run *pr, const char *path, const struct report_ctx *rc,
    struct err *e)
{
	unsigned char key[PLAN_KEY_LEN];
	int r;

	if ((r = audit_plan_key(pr->base.db, key, sizeof(key), e)) != EXIT_OK)
		return r;
	view_hashes(pr);
	pr->base.pv.run = pr->base.run_id;
	r = saved_write(path, rc, &pr->base.pv, key, e);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* -q: nothing when there is no news, else one line, so that cron mails
 * only when something changed or failed. */
static void
quiet_summary(struct plan_run *pr)
{
	size_t a, assign = 0, unassign = 0, waiting = 0;

	for (a = 0; a < pr->plan.napps; a++) {
		assign += pr->plan.apps[a].assign;
		unassign += pr->plan.apps[a].unassign;
		waiting += pr->plan.apps[a].unfulfilled;
	}
	if (pr->plan.nchanges == 0)
		return;
	if (pr->ap.results == NULL)
		printf("licsync run %lld: %zu to assign, %zu to unassign, %zu "
		    "waiting for a seat%s\n", (long long)pr->base.run_id, assign,
		    unassign, waiting, pr->sf.stopped ? "; safety stop" : "");
	else
		printf("licsync run %lld: %zu assigned or unassigned, %zu "
		    "failed, %zu waiting for a seat\n",
		    (long long)pr->base.run_id,
		    pr->plan.nchanges - pr->ap.failed, pr->ap.failed, waiting);
	fflush(stdout);
}

int
run_output(struct plan_run *pr, const struct plan_opts *o, struct err *e)
{
	const char **skus = run_app_skus(pr);
	struct report_ctx rc;
	int r = EXIT_OK;

	run_report_context(pr, skus, &rc);
	if (o->out_file != NULL)
		r = save_plan(pr, o->out_file, &rc, e);
	if (r == EXIT_OK && o->quiet) {
		quiet_summary(pr);
	} else if (r == EXIT_OK && (o->format == REPORT_HTML ?
	    report_html(stdout, &rc, rc.results != NULL ? "licsync apply" :
	    "licsync plan", now_seconds()) :
	    report_plan(stdout, o->format, &rc)) != 0) {
		err_set(e, "cannot write the report: %s", strerror(errno));
		r = EXIT_USAGE;
	}
	free(skus);
	return r;
}
