/* http.c - libcurl easy handle, kept alive across requests */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"

struct http {
	CURL *curl;
	struct http_options opt;
	unsigned seed;
};

struct http *
http_new(const struct http_options *opt)
{
	struct http *h = xcalloc(1, sizeof(*h));
	static bool global_done;

	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = true;
	}
	h->opt = *opt;
	h->curl = curl_easy_init();
	h->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)h;
	if (h->curl == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void
http_response_free(struct http_response *r)
{
	if (r == NULL)
		return;
	buf_free(&r->body);
	free(r->request_id);
	r->request_id = NULL;
}

char *
http_escape(struct http *h, const char *s)
{
	char *c = curl_easy_escape(h->curl, s, 0), *r;

	r = xstrdup(c != NULL ? c : "");
	curl_free(c);
	return r;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	buf_add(ud, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_response *r = ud;
	size_t len = size * n, klen;
	const char *colon = memchr(p, ':', len);
	char *val;

	if (colon == NULL)
		return len;
	klen = (size_t)(colon - p);
	val = xstrndup(colon + 1, len - klen - 1);
	val[strcspn(val, "\r\n")] = '\0';
	memmove(val, val + strspn(val, " \t"), strlen(val + strspn(val,
	    " \t")) + 1);
	if (klen == 10 && strncasecmp(p, "request-id", klen) == 0) {
		free(r->request_id);
		r->request_id = val;
		return len;
	}
	if (klen == 11 && strncasecmp(p, "retry-after", klen) == 0) {
		char *end;
		long v = strtol(val, &end, 10);

		if (end != val && *end == '\0' && v >= 0)
			r->retry_after = v;
	}
	free(val);
	return len;
}

static void
reset_response(struct http_response *r)
{
	http_response_free(r);
	r->status = 0;
	r->retry_after = -1;
	buf_free(&r->body);
	buf_add(&r->body, "", 0);
}

static int
perform(struct http *h, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body, struct http_response *r,
    struct err *e)
{
	CURL *c = h->curl;
	CURLcode cc;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->opt.timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "licsync/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (h->opt.proxy != NULL)
		curl_easy_setopt(c, CURLOPT_PROXY, h->opt.proxy);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		err_set(e, "%s %s: %s", method, url, curl_easy_strerror(cc));
		return EXIT_BACKEND;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	log_debug("%s %s -> %ld", method, url, r->status);
	return EXIT_OK;
}

static void
sleep_seconds(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Retry-After when given, else 1, 2, 4 ... seconds with +-50 % jitter. */
static double
backoff(struct http *h, const struct http_response *r, int attempt)
{
	double base;

	if (r->retry_after >= 0)
		base = (double)r->retry_after;
	else {
		base = (double)(1L << (attempt < 10 ? attempt : 10));
		base *= 0.5 + (double)(rand_r(&h->seed) % 1000) / 1000.0;
	}
	if (base > (double)h->opt.max_backoff)
		base = (double)h->opt.max_backoff;
	return base;
}

int
http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const char *body, struct http_response *resp,
    struct err *e)
{
	struct curl_slist *hdrs = NULL;
	int attempt, r;
	size_t i;

	memset(resp, 0, sizeof(*resp));
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	for (attempt = 0;; attempt++) {
		reset_response(resp);
		r = perform(h, method, url, hdrs, body, resp, e);
		if (r != EXIT_OK)
			break;
		if (resp->status != 429 && resp->status != 503 &&
		    resp->status != 504)
			break;
		if (attempt >= h->opt.max_retries) {
			log_warning("%s %s: still %ld after %d retries", method,
			    url, resp->status, attempt);
			break;
		}
		log_info("%s %s: %ld, retrying", method, url, resp->status);
		sleep_seconds(backoff(h, resp, attempt));
	}
	curl_slist_free_all(hdrs);
	return r;
}
