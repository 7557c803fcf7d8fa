/* metrics.c - the last run and the seats, in the Prometheus text
 * exposition format 0.0.4, for node_exporter's textfile collector */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report/metrics.h"

/* The families, in the order they are written. */
#define M_ENDED         "licsync_last_run_timestamp_seconds"
#define M_DURATION      "licsync_last_run_duration_seconds"
#define M_EXIT          "licsync_last_run_exit_code"
#define M_SUCCESS       "licsync_last_run_success"
#define M_OUTCOME       "licsync_last_run_outcome"
#define M_RUN           "licsync_last_run_id"
#define M_CHANGES       "licsync_last_run_changes"
#define M_SEATS         "licsync_seats"

static void
family(FILE *fp, const char *name, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label value: backslash, double quote and newline escaped. */
static void
escaped(FILE *fp, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\\\", fp);
			break;
		case '"':
			fputs("\\\"", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		default:
			putc(*s, fp);
			break;
		}
	}
}

/* SEP NAME="VALUE", SEP being "{" for the first label, "," after. */
static void
label(FILE *fp, const char *sep, const char *name, const char *value)
{
	fprintf(fp, "%s%s=\"", sep, name);
	escaped(fp, value);
	putc('"', fp);
}

/* NAME{command="..." of a sample; the caller closes it. */
static void
sample(FILE *fp, const char *name, const char *command)
{
	fputs(name, fp);
	label(fp, "{", "command", command);
}

/* "} SECONDS\n", in the spellings the format has for what is not finite. */
static void
seconds(FILE *fp, double v)
{
	if (isnan(v))
		fputs("} NaN\n", fp);
	else if (isinf(v))
		fputs(v > 0 ? "} +Inf\n" : "} -Inf\n", fp);
	else
		fprintf(fp, "} %.3f\n", v);
}

static void
outcomes(FILE *fp, const struct metrics *m)
{
	const char *name;
	bool known = false;
	size_t i;

	family(fp, M_OUTCOME, "Outcome of the last licsync run: 1 for "
	    "its outcome, 0 for the others.");
	for (i = 0; (name = run_outcome_name(i)) != NULL; i++) {
		bool is = m->outcome != NULL &&
		    strcmp(m->outcome, name) == 0;

		known = known || is;
		sample(fp, M_OUTCOME, m->command);
		label(fp, ",", "outcome", name);
		fprintf(fp, "} %d\n", is ? 1 : 0);
	}
	if (!known && m->outcome != NULL) {
		sample(fp, M_OUTCOME, m->command);
		label(fp, ",", "outcome", m->outcome);
		fputs("} 1\n", fp);
	}
}

static void
changes(FILE *fp, const struct metrics *m)
{
	const struct metrics_change *c;
	size_t i;

	family(fp, M_CHANGES, "Changes of the last licsync run by app, "
	    "action and result.");
	for (i = 0; i < m->nchanges; i++) {
		c = &m->changes[i];
		sample(fp, M_CHANGES, m->command);
		label(fp, ",", "app", c->app);
		label(fp, ",", "action", c->action);
		label(fp, ",", "result", c->result);
		fprintf(fp, "} %ld\n", c->n);
	}
}

static void
seats(FILE *fp, const struct metrics *m)
{
	const struct app_status *a;
	size_t i, k;

	family(fp, M_SEATS, "Seats of each app by kind, as counted by the "
	    "last licsync run that saw them.");
	for (i = 0; i < m->napps; i++) {
		a = &m->apps[i];
		for (k = 0; k < SEAT_NKINDS; k++) {
			/* -1: no limit, no sample */
			if (a->seats[k] < 0)
				continue;
			fputs(M_SEATS, fp);
			label(fp, "{", "app", a->app);
			label(fp, ",", "kind", seat_kind_names[k]);
			fprintf(fp, "} %ld\n", a->seats[k]);
		}
	}
}

/* The families about the run itself. */
static void
run_families(FILE *fp, const struct metrics *m)
{
	family(fp, M_ENDED, "Unix time the last licsync run ended.");
	sample(fp, M_ENDED, m->command);
	seconds(fp, m->ended);
	family(fp, M_DURATION, "How long the last licsync run took, "
	    "in seconds.");
	sample(fp, M_DURATION, m->command);
	seconds(fp, m->duration);
	family(fp, M_EXIT, "Exit code of the last licsync run.");
	sample(fp, M_EXIT, m->command);
	fprintf(fp, "} %d\n", m->exit_code);
	family(fp, M_SUCCESS, "Whether the last licsync run exited with "
	    "code 0.");
	sample(fp, M_SUCCESS, m->command);
	fprintf(fp, "} %d\n", m->exit_code == 0 ? 1 : 0);
	outcomes(fp, m);
	if (m->run > 0) {
		family(fp, M_RUN, "Id of the last licsync run in the audit "
		    "trail.");
		sample(fp, M_RUN, m->command);
		fprintf(fp, "} %lld\n", (long long)m->run);
	}
	changes(fp, m);
}

int
metrics_format(FILE *fp, const struct metrics *m)
{
	/* status before any run: seats only */
	if (m->command != NULL)
		run_families(fp, m);
	if (m->apps != NULL)
		seats(fp, m);
	if (fflush(fp) != 0 || ferror(fp))
		return -1;
	return 0;
}

/* atomic_write's callback. */
static int
write_metrics(FILE *fp, void *m)
{
	return metrics_format(fp, m);
}

int
metrics_write(const char *path, const struct metrics *m, struct err *e)
{
	return atomic_write(path, 0644, write_metrics, (void *)m, e);
}

void
metrics_count_change(struct metrics_change **m, size_t *n, const char *app,
    const char *action, const char *result)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*m)[i].app, app) == 0 &&
		    strcmp((*m)[i].action, action) == 0 &&
		    strcmp((*m)[i].result, result) == 0) {
			(*m)[i].n++;
			return;
		}
	*m = xreallocarray(*m, *n + 1, sizeof(**m));
	(*m)[*n].app = app;
	(*m)[*n].action = action;
	(*m)[*n].result = result;
	(*m)[(*n)++].n = 1;
}
