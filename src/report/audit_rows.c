/*
 * audit_rows.c - the rows of `licsync audit`: recorded changes, or with
 * --runs recorded runs, streamed as text, JSON or CSV as the audit
 * database hands them over.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/audit_rows.h"
#include "report/csv.h"
#include "store/audit.h"
#include "util/util.h"

void
report_audit_error(const struct audit_change *c, struct buf *b)
{
	buf_add(b, "", 0);
	if (c->error_code != NULL)
		buf_addstr(b, c->error_code);
	if (c->error_code != NULL && c->error_message != NULL)
		buf_addstr(b, ": ");
	if (c->error_message != NULL)
		buf_addstr(b, c->error_message);
}

void
report_audit_begin(FILE *fp, enum report_format f)
{
	if (f == REPORT_TEXT)
		fprintf(fp, "%-20s %5s %-8s %-16s %-32s %-8s %s\n", "TIME", "RUN",
		    "ACTION", "APP", "USER", "RESULT", "ERROR / REQUEST-ID");
	else if (f == REPORT_CSV)
		fputs("time,run,action,app,sku,user,result,error,request-id,"
		    "reason\r\n", fp);
}

void
report_audit_row(FILE *fp, enum report_format f, const struct audit_change *c,
    size_t n)
{
	char when[21];
	struct buf err = { 0 };
	json_t *o;
	char *text;

	format_utc(c->time, when);
	report_audit_error(c, &err);
	switch (f) {
	case REPORT_HTML:       /* main.c refuses it */
		break;
	case REPORT_TEXT:
		fprintf(fp, "%-20s %5lld %-8s %-16s %-32s %s", when,
		    (long long)c->run, c->action, c->app, c->user, c->result);
		if (err.len > 0)
			fprintf(fp, "%*s%s%s%s", (int)(9 - strlen(c->result) % 9),
			    "", err.data, c->request_id != NULL ? " / " : "",
			    c->request_id != NULL ? c->request_id : "");
		fputc('\n', fp);
		break;
	case REPORT_CSV:
		fprintf(fp, "%s,%lld,", when, (long long)c->run);
		csv_field(fp, c->action, false);
		csv_field(fp, c->app, false);
		csv_field(fp, c->sku, false);
		csv_field(fp, c->user, false);
		csv_field(fp, c->result, false);
		csv_field(fp, err.data, false);
		csv_field(fp, c->request_id != NULL ? c->request_id : "", false);
		csv_field(fp, c->reason, true);
		break;
	case REPORT_JSON:
		o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, "
		    "s:s, s:o, s:i}", "time", when, "run", (json_int_t)c->run,
		    "action", c->action, "app", c->app, "sku", c->sku,
		    "user", c->user, "result", c->result,
		    "error", err.len > 0 ? json_string(err.data) : json_null(),
		    "request-id", c->request_id != NULL ?
		    json_string(c->request_id) : json_null(),
		    "reason", c->reason,
		    "outcome", c->outcome != NULL ? json_string(c->outcome) :
		    json_null(), "attempts", c->attempts);
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n  %s", n == 0 ? "[" : ",", text);
		free(text);
		json_decref(o);
		break;
	}
	buf_free(&err);
}

int
report_audit_end(FILE *fp, enum report_format f, size_t n)
{
	if (f == REPORT_JSON)
		fputs(n == 0 ? "[]\n" : "\n]\n", fp);
	fflush(fp);
	return ferror(fp) ? -1 : 0;
}

/* ---- runs ---- */

void
report_run_begin(FILE *fp, enum report_format f)
{
	if (f == REPORT_TEXT)
		fprintf(fp, "%5s %-20s %-20s %-8s %-16s %4s %7s %7s %7s %7s %s\n",
		    "RUN", "STARTED", "ENDED", "COMMAND", "OUTCOME", "EXIT",
		    "+ASSIGN", "-REMOVE", "FAILED", "WAITING", "FORCED");
	else if (f == REPORT_CSV)
		fputs("run,started,ended,command,host,outcome,exit,assigns,"
		    "unassigns,failed,unfulfilled,skipped,forced,message\r\n",
		    fp);
}

void
report_run_row(FILE *fp, enum report_format f, const struct audit_run *run,
    size_t n)
{
	char started[21], ended[21] = "";
	char *text;
	json_t *o;

	format_utc(run->started, started);
	if (run->ended > 0)
		format_utc(run->ended, ended);
	switch (f) {
	case REPORT_HTML:       /* main.c refuses it */
		break;
	case REPORT_TEXT:
		fprintf(fp, "%5lld %-20s %-20s %-8s %-16s %4d %7ld %7ld %7ld "
		    "%7ld %s\n", (long long)run->id, started,
		    run->ended > 0 ? ended : "-", run->command, run->outcome,
		    run->exit_code, run->assigns, run->unassigns, run->failed,
		    run->unfulfilled, run->forced ? "yes" : "no");
		break;
	case REPORT_CSV:
		fprintf(fp, "%lld,%s,%s,", (long long)run->id, started, ended);
		csv_field(fp, run->command, false);
		csv_field(fp, run->host, false);
		csv_field(fp, run->outcome, false);
		fprintf(fp, "%d,%ld,%ld,%ld,%ld,%ld,%s,", run->exit_code,
		    run->assigns, run->unassigns, run->failed, run->unfulfilled,
		    run->skipped, run->forced ? "yes" : "no");
		csv_field(fp, run->message != NULL ? run->message : "", true);
		break;
	case REPORT_JSON:
		o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:o, s:I, s:I, "
		    "s:I, s:I, s:I, s:b, s:o}", "run", (json_int_t)run->id,
		    "started", started, "ended", run->ended > 0 ?
		    json_string(ended) : json_null(), "command", run->command,
		    "host", run->host, "outcome", run->outcome,
		    "exit", run->exit_code >= 0 ? json_integer(run->exit_code) :
		    json_null(), "assigns", (json_int_t)run->assigns,
		    "unassigns", (json_int_t)run->unassigns,
		    "failed", (json_int_t)run->failed,
		    "unfulfilled", (json_int_t)run->unfulfilled,
		    "skipped", (json_int_t)run->skipped, "forced", run->forced,
		    "message", run->message != NULL ?
		    json_string(run->message) : json_null());
		text = json_dumps(o, JSON_PRESERVE_ORDER);
		fprintf(fp, "%s\n  %s", n == 0 ? "[" : ",", text);
		free(text);
		json_decref(o);
		break;
	}
}
