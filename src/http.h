/* http.h - HTTP requests over libcurl, with retries for throttling */
#ifndef LICSYNC_HTTP_H
#define LICSYNC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct http_response {
	long status;
	struct buf body;
	char *request_id;       /* the request-id header, or NULL */
	long retry_after;       /* seconds from Retry-After, or -1 */
	long throttle_percent;  /* x-ms-throttle-limit-percentage, or -1 */
};

struct http_options {
	long timeout;           /* seconds for a whole request */
	int max_retries;        /* for 429, 503 and 504 */
	long max_backoff;       /* seconds; cap on one wait */
	const char *proxy;      /* NULL: libcurl's *_proxy variables */
};

struct http;

struct http *http_new(const struct http_options *opt);
void http_free(struct http *h);

/*
 * Send one request (BODY may be NULL) with HEADERS (NULL-terminated, may
 * be NULL).  429, 503 and 504 are retried after Retry-After, or after an
 * exponential backoff with jitter, up to max_retries; the last answer is
 * returned.  Transport failures return EXIT_BACKEND with e set; any HTTP
 * status is EXIT_OK with resp filled in.  URLs are logged at debug level;
 * headers and bodies never are (they carry tokens and secrets).
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
	bool failed;            /* a transport failure; see msg */
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
