/* fuzz.c - see fuzz.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/log.h"
#include "util/util.h"

void
fuzz_quiet(void)
{
	log_set_level(LOG_LVL_ERROR);
}

static char path[256];

static void
remove_file(void)
{
	unlink(path);
}

/* One file per process, removed at exit. */
const char *
fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
	static int fd = -1;
	size_t off = 0;

	if (fd < 0) {
		const char *tmp = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/licsync-fuzz-%ld%s",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", (long)getpid(),
		    suffix);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(path);
			abort();
		}
		atexit(remove_file);
	}
	if (ftruncate(fd, 0) != 0) {
		perror(path);
		abort();
	}
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(path);
			abort();
		}
		off += (size_t)n;
	}
	return path;
}

char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}
