/* test_lock.c - lock_file: taking, releasing, refusing, waiting */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/lock.h"

/* A private directory per test, with the lock file's name in it. */
struct fixture {
	char *dir;
	char *path;
};

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = xcalloc(1, sizeof(*f));

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	f->dir = xasprintf("%s/licsync-lock-XXXXXX", tmp);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->path = xasprintf("%s/licsync.lock", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
read_all(const char *path)
{
	char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return xstrdup(buf);
}

static void
assert_holds_pid(const char *path, pid_t pid)
{
	char *got = read_all(path), *want = xasprintf("%ld\n", (long)pid);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

/*
 * In a child: lock_take(PATH, WAIT), its message written to a pipe, its
 * result as the exit status.  Gives the status and the message, and the
 * milliseconds the child took in *MS when not NULL.
 */
static int
take_in_child(const char *path, int wait_seconds, char **msg, int64_t *ms)
{
	struct err e = { "" };
	char buf[sizeof(e.msg)];
	int64_t start = now_ms();
	int p[2], fd, status, r;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		r = lock_take(path, wait_seconds, &fd, &e);
		if (write(p[1], e.msg, strlen(e.msg)) < 0)
			_exit(100);
		lock_release(fd);
		_exit(r);
	}
	close(p[1]);
	for (;;) {
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (ms != NULL)
		*ms = now_ms() - start;
	assert_true(WIFEXITED(status));
	*msg = xstrdup(buf);
	return WEXITSTATUS(status);
}

static void
test_take_release(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	struct stat st;
	int fd = -2, r;
	char *s;

	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_true(fd > 2);
	assert_holds_pid(f->path, getpid());
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0133, 0);   /* never more than 0644 */
	lock_release(fd);
	/* Released: the file stays, empty, and can be taken again. */
	s = read_all(f->path);
	assert_string_equal(s, "");
	free(s);
	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_holds_pid(f->path, getpid());
	lock_release(fd);
	lock_release(-1);
}

/* A stale pid in the file of a lock nobody holds is no obstacle. */
static void
test_stale_file(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	FILE *fp;
	int fd, r;

	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("999999999\nmore text that is longer than a pid\n", fp);
	fclose(fp);
	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_holds_pid(f->path, getpid());
	lock_release(fd);
}

static void
test_held(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *msg, *want;
	int fd, r;

	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	r = take_in_child(f->path, 0, &msg, NULL);
	assert_int_equal(r, EXIT_LOCKED);
	assert_int_equal(r, 7);
	want = xasprintf("%s: another licsync (pid %ld) holds the lock",
	    f->path, (long)getpid());
	assert_string_equal(msg, want);
	free(want);
	free(msg);
	/* The child's failed attempt left our pid in place. */
	assert_holds_pid(f->path, getpid());
	lock_release(fd);
	/* Released: the child gets it. */
	r = take_in_child(f->path, 0, &msg, NULL);
	assert_int_equal(r, EXIT_OK);
	assert_string_equal(msg, "");
	free(msg);
}

/* The holder's pid cannot be read: the message goes without it. */
static void
test_held_no_pid(void **state)
{
	static const char *const contents[] = {
		"", "x\n", "12x\n", "0\n", "-5\n", "99999999999999999999\n",
		"12\n13\n",
	};
	struct fixture *f = *state;
	struct err e = { "" };
	char *msg, *want;
	FILE *fp;
	size_t i;
	int fd, r;

	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	want = xasprintf("%s: another licsync holds the lock", f->path);
	for (i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		fp = fopen(f->path, "w");
		assert_non_null(fp);
		fputs(contents[i], fp);
		fclose(fp);
		r = take_in_child(f->path, 0, &msg, NULL);
		assert_int_equal(r, EXIT_LOCKED);
		assert_string_equal(msg, want);
		free(msg);
	}
	free(want);
	lock_release(fd);
}

/* A child holds the lock for 300 ms; we wait up to 5 s and get it. */
static void
test_wait_succeeds(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	int p[2], fd, r, status;
	int64_t start, ms;
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		r = lock_take(f->path, 0, &fd, &e);
		c = r == EXIT_OK ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(100);
		close(p[1]);
		nanosleep(&(struct timespec){ 0, 300 * 1000 * 1000 }, NULL);
		lock_release(fd);
		_exit(r);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(c, 'y');
	/* Held by the child: no wait, no lock. */
	r = lock_take(f->path, 0, &fd, &e);
	assert_int_equal(r, EXIT_LOCKED);
	start = now_ms();
	r = lock_take(f->path, 5, &fd, &e);
	ms = now_ms() - start;
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_true(ms >= 100);
	assert_true(ms < 4000);
	assert_holds_pid(f->path, getpid());
	lock_release(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_OK);
}

/* A holder that does not let go: waiting 1 s fails after 1 s. */
static void
test_wait_times_out(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *msg, *want;
	int64_t ms;
	int fd, r;

	r = lock_take(f->path, 0, &fd, &e);
	if (r != EXIT_OK)
		fail_msg("%s", e.msg);
	r = take_in_child(f->path, 1, &msg, &ms);
	assert_int_equal(r, EXIT_LOCKED);
	want = xasprintf("%s: another licsync (pid %ld) holds the lock "
	    "after waiting 1 s", f->path, (long)getpid());
	assert_string_equal(msg, want);
	assert_true(ms >= 1000);
	assert_true(ms < 3000);
	free(want);
	free(msg);
	lock_release(fd);
}

static void
test_bad_paths(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *path, *want, *target;
	int fd = -2, r;
	FILE *fp;

	/* A missing directory. */
	path = xasprintf("%s/nowhere/licsync.lock", f->dir);
	r = lock_take(path, 0, &fd, &e);
	assert_int_equal(r, EXIT_CONFIG);
	assert_int_equal(fd, -1);
	want = xasprintf("%s: cannot create the lock file: No such file or "
	    "directory", path);
	assert_string_equal(e.msg, want);
	free(want);
	free(path);

	/* A directory. */
	r = lock_take(f->dir, 0, &fd, &e);
	assert_int_equal(r, EXIT_CONFIG);
	want = xasprintf("%s: cannot open the lock file: Is a directory",
	    f->dir);
	assert_string_equal(e.msg, want);
	free(want);

	/* A symbolic link, even to a file that would do. */
	target = xasprintf("%s/target", f->dir);
	fp = fopen(target, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(symlink(target, f->path), 0);
	r = lock_take(f->path, 0, &fd, &e);
	assert_int_equal(r, EXIT_CONFIG);
	want = xasprintf("%s: cannot open the lock file: it is a symbolic "
	    "link", f->path);
	assert_string_equal(e.msg, want);
	free(want);
	unlink(f->path);
	unlink(target);
	free(target);

	/* Not a regular file. */
	assert_int_equal(mkfifo(f->path, 0600), 0);
	r = lock_take(f->path, 0, &fd, &e);
	assert_int_equal(r, EXIT_CONFIG);
	want = xasprintf("%s: cannot open the lock file: not a regular file",
	    f->path);
	assert_string_equal(e.msg, want);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_release, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_no_pid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wait_succeeds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wait_times_out, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup,
		    teardown),
	};

	/* make check runs these under the TAP driver. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "TAP", 0);
	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
