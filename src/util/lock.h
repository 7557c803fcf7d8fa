/* lock.h - one licsync at a time: an flock(2) on lock_file */
#ifndef LICSYNC_LOCK_H
#define LICSYNC_LOCK_H

#include "util/util.h"

/*
 * Take an exclusive lock on PATH (created 0644 if missing; our pid is
 * written into it).  WAIT_SECONDS 0 fails at once, more waits up to that
 * long.  Returns EXIT_OK with *FD set, EXIT_LOCKED ("another licsync, pid
 * N, holds PATH") or EXIT_CONFIG for a path that cannot be used.
 */
int lock_take(const char *path, int wait_seconds, int *fd, struct err *e);
/* Release and close; FD -1 is fine. */
void lock_release(int fd);

#endif
