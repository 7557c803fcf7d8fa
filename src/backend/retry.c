/* retry.c - backoff, the run's retry budget and the write budget */
#include <stdlib.h>

#include "backend/retry.h"
#include "util/util.h"

double
retry_backoff(int attempt, long retry_after, double jitter01)
{
	double w;

	if (retry_after >= 0)
		w = (double)retry_after;
	else
		w = (double)(1L << (attempt < 16 ? (attempt > 0 ? attempt : 0) :
		    16)) * (0.5 + jitter01);
	return w < RETRY_MAX_WAIT ? w : RETRY_MAX_WAIT;
}

bool
retry_budget_allows(struct retry_budget *b, double now, double wait)
{
	if (b->started == 0)
		b->started = now;
	return now + wait <= b->started + b->limit;
}

void
budget_init(struct write_budget *b, long capacity, double window)
{
	b->cap = capacity > 0 ? (size_t)capacity : 1;
	b->times = xcalloc(b->cap, sizeof(*b->times));
	b->head = b->n = 0;
	b->window = window;
}

void
budget_free(struct write_budget *b)
{
	free(b->times);
	b->times = NULL;
}

/* Forget the writes that left the window. */
static void
expire(struct write_budget *b, double now)
{
	while (b->n > 0 && b->times[b->head] <= now - b->window) {
		b->head = (b->head + 1) % b->cap;
		b->n--;
	}
}

bool
budget_take(struct write_budget *b, size_t want, double now)
{
	size_t i;

	expire(b, now);
	if (want > b->cap - b->n)
		return false;
	for (i = 0; i < want; i++)
		b->times[(b->head + b->n++) % b->cap] = now;
	return true;
}

double
budget_wait(struct write_budget *b, size_t want, double now)
{
	size_t k;
	double w;

	expire(b, now);
	if (want > b->cap)
		want = b->cap;
	if (want <= b->cap - b->n)
		return 0.0;
	/* the k-th oldest write must leave the window first */
	k = b->n - (b->cap - want);
	w = b->times[(b->head + k - 1) % b->cap] + b->window - now;
	return w > 0.0 ? w : 0.0;
}
