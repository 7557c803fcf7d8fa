/*
 * retry.h - how long to wait before trying a request again, the one
 * run-wide budget of time for retrying that every request shares, and
 * the pace of writes.  Pure: callers pass the time in.
 */
#ifndef LICSYNC_RETRY_H
#define LICSYNC_RETRY_H

#include <stdbool.h>
#include <stddef.h>

/* The longest wait a server can ask for and get, in seconds. */
#define RETRY_MAX_WAIT 300.0

/*
 * Seconds to wait before attempt ATTEMPT + 1 (ATTEMPT counts from 0):
 * RETRY_AFTER when the server gave one (>= 0), else 1, 2, 4 ... seconds
 * scaled by a jitter factor from JITTER01 in [0, 1) to between half and
 * 1.5 times; never more than RETRY_MAX_WAIT.
 */
double retry_backoff(int attempt, long retry_after, double jitter01);

/*
 * max_retry_time: the clock starts at the run's first retry, of a read,
 * the token or a change; from then on a retry is made only if its wait
 * ends within LIMIT seconds of that start.  So however a server answers,
 * a run spends at most LIMIT seconds (and one wait) retrying.
 */
struct retry_budget {
	double limit;           /* seconds */
	double started;         /* monotonic seconds; 0: no retry yet */
};

/* May a retry wait WAIT seconds from NOW?  The first call starts the
 * clock. */
bool retry_budget_allows(struct retry_budget *b, double now, double wait);

/*
 * Pacing writes: at most CAPACITY writes in any WINDOW seconds (Graph:
 * 3,000 per 150 s per app and tenant; Slack: 600 a minute), kept as the send times of the last
 * CAPACITY writes, so no window ever holds more.
 */
struct write_budget {
	double *times;          /* ring of send times, oldest at head */
	size_t cap, head, n;
	double window;
};

void budget_init(struct write_budget *b, long capacity, double window);
void budget_free(struct write_budget *b);
/* Take WANT writes at NOW if all fit in the budget: true; else none. */
bool budget_take(struct write_budget *b, size_t want, double now);
/* Seconds until WANT (at most the capacity) writes fit. */
double budget_wait(struct write_budget *b, size_t want, double now);

#endif
