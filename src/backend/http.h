/* http.h - HTTP requests over libcurl, with retries for throttling */
#ifndef LICSYNC_HTTP_H
#define LICSYNC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/retry.h"
#include "util/util.h"

/* The largest answer read (licsync(8), LIMITS): a bigger one is an
 * error, never buffered whole. */
#define HTTP_MAX_BODY (64u << 20)

struct http_response {
	long status;
	struct buf body;
	char *request_id;       /* the request-id header, or NULL */
	long retry_after;       /* seconds from Retry-After, or -1 */
	long throttle_percent;  /* x-ms-throttle-limit-percentage, or -1 */
	bool too_large;         /* the body passed HTTP_MAX_BODY */
	/* 429, 503 or 504 returned because retrying stopped: why, or NULL */
	const char *not_retried;
};

struct http_options {
	long timeout;           /* seconds for a whole request */
	int max_retries;        /* for 429, 503 and 504 */
	/* the run's retry time, shared with other handles; NULL: no limit
	 * but max_retries */
	struct retry_budget *budget;
	const char *proxy;      /* NULL: libcurl's *_proxy variables */
};

struct http;

struct http *http_new(const struct http_options *opt);
void http_free(struct http *h);

/*
 * Send one request (BODY may be NULL) with HEADERS (NULL-terminated, may
 * be NULL).  429, 503 and 504 are retried after Retry-After, or after an
 * exponential backoff with jitter (retry_backoff), up to max_retries and
 * as long as the retry budget allows; the last answer is returned, with
 * not_retried saying why.  Transport failures and an answer larger than
 * HTTP_MAX_BODY return EXIT_BACKEND with e set; any HTTP status is
 * EXIT_OK with resp filled in.  URLs are logged at debug level; headers
 * and bodies never are (they carry tokens and secrets).  Header lines and
 * bodies of requests are cleared before they are freed.
 */
int http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const char *body, struct http_response *resp,
    struct err *e);
void http_response_free(struct http_response *r);

/*
 * Several requests in flight over one connection pool (libcurl multi).
 * Requests are not retried here: the caller decides per item.
 */
struct http_multi;

struct http_done {
	void *tag;              /* as given to http_multi_add */
	bool failed;            /* a transport failure or too large; see msg */
	char msg[1024];
	struct http_response resp;
};

struct http_multi *http_multi_new(const struct http_options *opt);
void http_multi_free(struct http_multi *m);
/* Start a request; METHOD, URL, HEADERS and BODY are copied. */
void http_multi_add(struct http_multi *m, const char *method,
    const char *url, const char *const *headers, const char *body, void *tag);
size_t http_multi_running(const struct http_multi *m);
/* Wait up to TIMEOUT_MS for requests to finish; *DONE (to be freed with
 * http_done_free) lists those that did. */
void http_multi_wait(struct http_multi *m, long timeout_ms,
    struct http_done **done, size_t *ndone);
void http_done_free(struct http_done *d, size_t n);

/* Percent-encode for application/x-www-form-urlencoded. */
char *http_escape(struct http *h, const char *s);

#endif
