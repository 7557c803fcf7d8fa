/* retry.c - backoff and the run's retry budget */
#include "backend/retry.h"

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
