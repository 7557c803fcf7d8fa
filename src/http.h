/* http.h - HTTP requests over libcurl, with retries for throttling */
#ifndef LICSYNC_HTTP_H
#define LICSYNC_HTTP_H

#include "util.h"

struct http_response {
	long status;
	struct buf body;
	char *request_id;       /* the request-id header, or NULL */
	long retry_after;       /* seconds from Retry-After, or -1 */
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

/* Percent-encode for application/x-www-form-urlencoded. */
char *http_escape(struct http *h, const char *s);

#endif
