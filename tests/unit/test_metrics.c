/*
 * test_metrics.c - the Prometheus exposition of a run: its exact text for
 * a small run, label escaping, the outcome's one-hot lines, what is left
 * out; and writing it atomically with atomic_write.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/metrics.h"


/* A run of two apps, and a private directory to write into. */
struct fixture {
	char *dir;
	char *path;             /* dir/licsync.prom */
	struct metrics_change changes[3];
	struct app_status apps[2];
	struct metrics m;
};

static char crm[] = "acme-crm";
static char wiki[] = "wiki";

static const char expected[] =
    "# HELP licsync_last_run_timestamp_seconds Unix time the last licsync "
    "run ended.\n"
    "# TYPE licsync_last_run_timestamp_seconds gauge\n"
    "licsync_last_run_timestamp_seconds{command=\"apply\"} 1764306439.250\n"
    "# HELP licsync_last_run_duration_seconds How long the last licsync "
    "run took, in seconds.\n"
    "# TYPE licsync_last_run_duration_seconds gauge\n"
    "licsync_last_run_duration_seconds{command=\"apply\"} 12.500\n"
    "# HELP licsync_last_run_exit_code Exit code of the last licsync run.\n"
    "# TYPE licsync_last_run_exit_code gauge\n"
    "licsync_last_run_exit_code{command=\"apply\"} 6\n"
    "# HELP licsync_last_run_success Whether the last licsync run exited "
    "with code 0.\n"
    "# TYPE licsync_last_run_success gauge\n"
    "licsync_last_run_success{command=\"apply\"} 0\n"
    "# HELP licsync_last_run_outcome Outcome of the last licsync run: 1 "
    "for its outcome, 0 for the others.\n"
    "# TYPE licsync_last_run_outcome gauge\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"ok\"} 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"config error\"} 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"directory error\"}"
    " 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"backend error\"}"
    " 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"database error\"}"
    " 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"partial\"} 1\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"safety stop\"} 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"locked\"} 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"interrupted\"} 0\n"
    "licsync_last_run_outcome{command=\"apply\",outcome=\"error\"} 0\n"
    "# HELP licsync_last_run_id Id of the last licsync run in the audit "
    "trail.\n"
    "# TYPE licsync_last_run_id gauge\n"
    "licsync_last_run_id{command=\"apply\"} 42\n"
    "# HELP licsync_last_run_changes Changes of the last licsync run by "
    "app, action and result.\n"
    "# TYPE licsync_last_run_changes gauge\n"
    "licsync_last_run_changes{command=\"apply\",app=\"acme-crm\","
    "action=\"assign\",result=\"ok\"} 3\n"
    "licsync_last_run_changes{command=\"apply\",app=\"acme-crm\","
    "action=\"unassign\",result=\"failed\"} 1\n"
    "licsync_last_run_changes{command=\"apply\",app=\"wiki\","
    "action=\"assign\",result=\"skipped\"} 2\n"
    "# HELP licsync_seats Seats of each app by kind, as counted by the "
    "last licsync run that saw them.\n"
    "# TYPE licsync_seats gauge\n"
    "licsync_seats{app=\"acme-crm\",kind=\"purchased\"} 10\n"
    "licsync_seats{app=\"acme-crm\",kind=\"consumed\"} 5\n"
    "licsync_seats{app=\"acme-crm\",kind=\"entitled\"} 12\n"
    "licsync_seats{app=\"acme-crm\",kind=\"owned\"} 4\n"
    "licsync_seats{app=\"acme-crm\",kind=\"held_by_others\"} 1\n"
    "licsync_seats{app=\"acme-crm\",kind=\"waiting\"} 2\n"
    "licsync_seats{app=\"acme-crm\",kind=\"pending_removal\"} 1\n"
    "licsync_seats{app=\"acme-crm\",kind=\"freeable\"} 0\n"
    "licsync_seats{app=\"acme-crm\",kind=\"to_assign\"} 0\n"
    "licsync_seats{app=\"acme-crm\",kind=\"to_unassign\"} 1\n"
    "licsync_seats{app=\"wiki\",kind=\"purchased\"} 3\n"
    "licsync_seats{app=\"wiki\",kind=\"consumed\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"entitled\"} 1\n"
    "licsync_seats{app=\"wiki\",kind=\"owned\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"held_by_others\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"waiting\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"pending_removal\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"freeable\"} 0\n"
    "licsync_seats{app=\"wiki\",kind=\"to_assign\"} 1\n"
    "licsync_seats{app=\"wiki\",kind=\"to_unassign\"} 0\n";

static int
setup(void **state)
{
	static const long crm_seats[SEAT_NKINDS] = {
		10, 5, 12, 4, 1, 2, 1, 0, 0, 1
	};
	static const long wiki_seats[SEAT_NKINDS] = {
		3, 0, 1, 0, 0, 0, 0, 0, 1, 0
	};
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	f->dir = xasprintf("%s/licsync-metrics-XXXXXX", tmp);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->path = xasprintf("%s/licsync.prom", f->dir);
	f->changes[0] = (struct metrics_change){ crm, "assign", "ok", 3 };
	f->changes[1] = (struct metrics_change){ crm, "unassign", "failed",
	    1 };
	f->changes[2] = (struct metrics_change){ wiki, "assign", "skipped",
	    2 };
	f->apps[0].app = crm;
	memcpy(f->apps[0].seats, crm_seats, sizeof(crm_seats));
	f->apps[1].app = wiki;
	memcpy(f->apps[1].seats, wiki_seats, sizeof(wiki_seats));
	f->m.command = "apply";
	f->m.run = 42;
	f->m.outcome = "partial";
	f->m.exit_code = EXIT_PARTIAL;
	f->m.ended = 1764306439.25;
	f->m.duration = 12.5;
	f->m.changes = f->changes;
	f->m.nchanges = 3;
	f->m.apps = f->apps;
	f->m.napps = 2;
	*state = f;
	return 0;
}

/* The names in DIR but . and .., newline-terminated, in no set order. */
static char *
listing(const char *dir)
{
	struct buf b = { 0 };
	struct dirent *d;
	DIR *dp = opendir(dir);

	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		buf_printf(&b, "%s\n", d->d_name);
	}
	closedir(dp);
	buf_addstr(&b, "");
	return b.data;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *d;
	DIR *dp = opendir(f->dir);

	while (dp != NULL && (d = readdir(dp)) != NULL) {
		char *p = xasprintf("%s/%s", f->dir, d->d_name);

		if (d->d_name[0] != '.')
			unlink(p);
		free(p);
	}
	if (dp != NULL)
		closedir(dp);
	rmdir(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

/* metrics_format into memory. */
static char *
render(const struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	assert_int_equal(metrics_format(fp, m), 0);
	fclose(fp);
	return text;
}

static char *
slurp(const char *path)
{
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, n);
	assert_false(ferror(fp));
	fclose(fp);
	buf_addstr(&b, "");
	return b.data;
}

static void
spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
has(const char *text, const char *what)
{
	if (strstr(text, what) == NULL)
		fail_msg("missing: %s", what);
}

static void
lacks(const char *text, const char *what)
{
	if (strstr(text, what) != NULL)
		fail_msg("unexpected: %s", what);
}

/* How many lines of TEXT start with PREFIX. */
static int
lines_starting(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;
	int n = 0;

	for (p = text; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, prefix, len) == 0)
			n++;
	}
	return n;
}

static void
test_format(void **state)
{
	struct fixture *f = *state;
	char *text = render(&f->m);

	assert_string_equal(text, expected);
	free(text);
}

static void
test_escaped(void **state)
{
	struct fixture *f = *state;
	static char odd[] = "a\"b\\c\nd";
	char *text;

	f->m.command = "ap\"ply";
	f->changes[0].app = odd;
	f->apps[0].app = odd;
	text = render(&f->m);
	has(text, "licsync_last_run_exit_code{command=\"ap\\\"ply\"} 6\n");
	has(text, "licsync_last_run_changes{command=\"ap\\\"ply\","
	    "app=\"a\\\"b\\\\c\\nd\",action=\"assign\",result=\"ok\"} 3\n");
	has(text, "licsync_seats{app=\"a\\\"b\\\\c\\nd\",kind=\"purchased\"}"
	    " 10\n");
	/* every sample stays on one line: no raw newline inside a value */
	lacks(text, "\"a\"b");
	lacks(text, "c\nd");
	assert_int_equal(lines_starting(text, "licsync_seats{"),
	    2 * SEAT_NKINDS);
	free(text);
}

static void
test_outcomes(void **state)
{
	struct fixture *f = *state;
	size_t i, j;

	for (i = 0; run_outcome_name(i) != NULL; i++) {
		char *text;

		f->m.outcome = run_outcome_name(i);
		text = render(&f->m);
		assert_int_equal(lines_starting(text,
		    "licsync_last_run_outcome{"), 10);
		for (j = 0; run_outcome_name(j) != NULL; j++) {
			char *line = xasprintf("licsync_last_run_outcome{"
			    "command=\"apply\",outcome=\"%s\"} %d\n",
			    run_outcome_name(j), i == j);

			has(text, line);
			free(line);
		}
		free(text);
	}
	assert_int_equal(i, 10);
	/* each exit code's outcome is one of them */
	assert_string_equal(run_outcome(EXIT_OK), "ok");
	assert_string_equal(run_outcome(EXIT_PARTIAL), "partial");
	assert_string_equal(run_outcome(EXIT_LOCKED), "locked");
	assert_string_equal(run_outcome(EXIT_USAGE), "error");
	assert_string_equal(run_outcome(-1), "error");
}

static void
test_unknown_outcome(void **state)
{
	struct fixture *f = *state;
	char *text;
	size_t j;

	f->m.outcome = "on \"fire\"";
	text = render(&f->m);
	assert_int_equal(lines_starting(text, "licsync_last_run_outcome{"),
	    11);
	for (j = 0; run_outcome_name(j) != NULL; j++) {
		char *line = xasprintf("licsync_last_run_outcome{"
		    "command=\"apply\",outcome=\"%s\"} 0\n",
		    run_outcome_name(j));

		has(text, line);
		free(line);
	}
	has(text, "licsync_last_run_outcome{command=\"apply\","
	    "outcome=\"on \\\"fire\\\"\"} 1\n# HELP licsync_last_run_id ");
	free(text);
}

static void
test_success(void **state)
{
	struct fixture *f = *state;
	char *text;

	f->m.exit_code = EXIT_OK;
	f->m.outcome = "ok";
	text = render(&f->m);
	has(text, "licsync_last_run_exit_code{command=\"apply\"} 0\n");
	has(text, "licsync_last_run_success{command=\"apply\"} 1\n");
	free(text);
}

static void
test_no_seats(void **state)
{
	struct fixture *f = *state;
	char *text;

	f->m.apps = NULL;
	f->m.napps = 0;
	text = render(&f->m);
	lacks(text, "licsync_seats");
	/* the rest is as before, up to where the seats began */
	assert_int_equal(strncmp(text, expected, strlen(text)), 0);
	assert_int_equal(strncmp(expected + strlen(text),
	    "# HELP licsync_seats ", strlen("# HELP licsync_seats ")), 0);
	free(text);
}

static void
test_no_run_no_changes(void **state)
{
	struct fixture *f = *state;
	char *text;

	f->m.run = 0;
	f->m.nchanges = 0;
	f->m.changes = NULL;
	text = render(&f->m);
	lacks(text, "licsync_last_run_id");
	/* the family is there, without samples */
	has(text, "# TYPE licsync_last_run_changes gauge\n"
	    "# HELP licsync_seats ");
	assert_int_equal(lines_starting(text, "licsync_last_run_changes{"), 0);
	free(text);
}

static void
test_format_error(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen("/dev/full", "w");

	if (fp == NULL)
		skip();
	assert_int_equal(metrics_format(fp, &f->m), -1);
	fclose(fp);
}

static void
test_write(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct stat st;
	mode_t old = umask(077);
	char *text, *names;
	int r;

	/* the mode is set, not left to the umask */
	r = metrics_write(f->path, &f->m, &e);
	umask(old);
	assert_int_equal(r, EXIT_OK);
	assert_string_equal(e.msg, "");
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	text = slurp(f->path);
	assert_string_equal(text, expected);
	free(text);
	names = listing(f->dir);
	assert_string_equal(names, "licsync.prom\n");
	free(names);
}

static void
test_replace(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct stat before, after;
	char *text, *names;

	spit(f->path, "old content\nlicsync_stale 1\n");
	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal(metrics_write(f->path, &f->m, &e), EXIT_OK);
	assert_int_equal(stat(f->path, &after), 0);
	/* a new file renamed into place, not the old one rewritten */
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0644);
	text = slurp(f->path);
	assert_string_equal(text, expected);
	lacks(text, "old content");
	lacks(text, "licsync_stale");
	free(text);
	names = listing(f->dir);
	assert_string_equal(names, "licsync.prom\n");
	free(names);
}

static void
test_no_directory(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *path = xasprintf("%s/missing/licsync.prom", f->dir);
	char *want = xasprintf("%s: %s", path, strerror(ENOENT));
	char *names;

	assert_int_equal(metrics_write(path, &f->m, &e), EXIT_USAGE);
	assert_string_equal(e.msg, want);
	names = listing(f->dir);
	assert_string_equal(names, "");
	free(names);
	free(want);
	free(path);
}

/* Writes something, then fails, as a WRITE_FN that hit an error would. */
static int
half_then_fail(FILE *fp, void *ctx)
{
	int *called = ctx;

	(*called)++;
	fputs("half of the new content\n", fp);
	return -1;
}

static int
write_text(FILE *fp, void *ctx)
{
	return fputs(ctx, fp) < 0 ? -1 : 0;
}

static void
test_atomic_write_fails(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *text, *names;
	int called = 0;

	spit(f->path, "old content\n");
	assert_int_equal(atomic_write(f->path, 0644, half_then_fail, &called,
	    &e), EXIT_USAGE);
	assert_int_equal(called, 1);
	assert_int_equal(strncmp(e.msg, f->path, strlen(f->path)), 0);
	has(e.msg, ": write failed: ");
	text = slurp(f->path);
	assert_string_equal(text, "old content\n");
	free(text);
	names = listing(f->dir);
	assert_string_equal(names, "licsync.prom\n");
	free(names);
}

static void
test_atomic_write_mode(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct stat st;
	char *text, *names;
	char content[] = "secret\n";

	spit(f->path, "old content\n");
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(atomic_write(f->path, 0600, write_text, content,
	    &e), EXIT_OK);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	text = slurp(f->path);
	assert_string_equal(text, "secret\n");
	free(text);
	names = listing(f->dir);
	assert_string_equal(names, "licsync.prom\n");
	free(names);
}

static void
test_atomic_write_error(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *names;

	/* a directory is in the way: everything works but the rename */
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_equal(metrics_write(f->path, &f->m, &e), EXIT_USAGE);
	assert_int_equal(strncmp(e.msg, f->path, strlen(f->path)), 0);
	names = listing(f->dir);
	assert_string_equal(names, "licsync.prom\n");
	free(names);
	assert_int_equal(rmdir(f->path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_outcome, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_seats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_run_no_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_format_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_error, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
