/* lock.c - one licsync at a time: an flock(2) on lock_file */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/lock.h"
#include "util/log.h"

#define RETRY_MS 100

static int64_t
monotonic_ms(void)
{
	return (int64_t)(mono_seconds() * 1000.0);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	/* Interrupted: the caller's loop checks the clock again. */
	(void)nanosleep(&ts, NULL);
}

/* The pid the holder wrote: "PID\n" alone in the file.  0 when there is
 * none yet (the holder writes it just after taking the lock) or the file
 * holds something else. */
static long
holder_pid(int fd)
{
	char buf[32], *end;
	ssize_t n;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || pid <= 0 || pid > INT_MAX)
		return 0;
	if (*end != '\0' && strcmp(end, "\n") != 0)
		return 0;
	return pid;
}

static int
locked_error(const char *path, int fd, int wait_seconds, struct err *e)
{
	long pid = holder_pid(fd);
	char who[48] = "";
	char waited[48] = "";

	if (pid > 0)
		snprintf(who, sizeof(who), " (pid %ld)", pid);
	if (wait_seconds > 0)
		snprintf(waited, sizeof(waited), " after waiting %d s",
		    wait_seconds);
	err_set(e, "%s: another licsync%s holds the lock%s", path, who,
	    waited);
	return EXIT_LOCKED;
}

static int
open_lock_file(const char *path, int *fdp, struct err *e)
{
	struct stat st;
	int fd, r;

	*fdp = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1) {
		if (errno == ELOOP)
			err_set(e, "%s: cannot open the lock file: it is a "
			    "symbolic link", path);
		else if (errno == ENOENT)
			err_set(e, "%s: cannot create the lock file: %s",
			    path, strerror(errno));
		else
			err_set(e, "%s: cannot open the lock file: %s", path,
			    strerror(errno));
		r = EXIT_CONFIG;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		err_set(e, "%s: cannot open the lock file: %s", path,
		    strerror(errno));
		r = EXIT_CONFIG;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s: cannot open the lock file: not a regular "
		    "file", path);
		r = EXIT_CONFIG;
		goto out;
	}
	*fdp = fd;
	fd = -1;
	r = EXIT_OK;
out:
	if (fd != -1)
		close(fd);
	return r;
}

/* Replace the file's content with our pid.  The lock is what counts: a
 * pid that cannot be written (a full file system) is only a warning. */
static void
write_pid(const char *path, int fd)
{
	char buf[32];
	int n;
	ssize_t w;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0) {
		log_warning("%s: cannot write the pid into the lock file: %s",
		    path, strerror(errno));
		return;
	}
	w = pwrite(fd, buf, (size_t)n, 0);
	if (w != (ssize_t)n)
		log_warning("%s: cannot write the pid into the lock file: %s",
		    path, w < 0 ? strerror(errno) : "short write");
}

int
lock_take(const char *path, int wait_seconds, int *fd, struct err *e)
{
	int64_t deadline = 0, left;
	bool told = false;
	int lfd = -1, r;

	*fd = -1;
	if (wait_seconds < 0)
		wait_seconds = 0;
	if ((r = open_lock_file(path, &lfd, e)) != EXIT_OK)
		goto out;
	if (wait_seconds > 0)
		deadline = monotonic_ms() + (int64_t)wait_seconds * 1000;
	for (;;) {
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err_set(e, "%s: cannot lock the lock file: %s", path,
			    strerror(errno));
			r = EXIT_CONFIG;
			goto out;
		}
		left = deadline - monotonic_ms();
		if (wait_seconds == 0 || left <= 0) {
			r = locked_error(path, lfd, wait_seconds, e);
			goto out;
		}
		if (!told) {
			log_debug("%s: another licsync holds the lock, "
			    "waiting up to %d s", path, wait_seconds);
			told = true;
		}
		sleep_ms(left < RETRY_MS ? left : RETRY_MS);
	}
	write_pid(path, lfd);
	log_debug("%s: locked", path);
	*fd = lfd;
	lfd = -1;
	r = EXIT_OK;
out:
	if (lfd != -1)
		close(lfd);
	return r;
}

/* Empty the file first, so that it names no pid once nobody holds it;
 * closing the last descriptor releases the lock.  The file stays: removing
 * it would let two runs lock two different files. */
void
lock_release(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) != 0)
		log_debug("cannot empty the lock file: %s", strerror(errno));
	close(fd);
}
