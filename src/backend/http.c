/* http.c - libcurl easy handle, kept alive across requests */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "backend/http.h"
#include "util/log.h"

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
	/* it may be the client secret */
	if (c != NULL)
		explicit_bzero(c, strlen(c));
	curl_free(c);
	return r;
}

/* Keep the body, up to HTTP_MAX_BODY; past it, stop the transfer. */
static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_response *r = ud;

	if (r->body.len + size * n > HTTP_MAX_BODY) {
		r->too_large = true;
		return 0;
	}
	buf_add(&r->body, p, size * n);
	return size * n;
}

/* Clear, then free, a list of header lines: one of them is the token. */
static void
slist_clear_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
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
		r->request_id = xstrdup_printable(val);
		free(val);
		return len;
	}
	if (klen == 30 &&
	    strncasecmp(p, "x-ms-throttle-limit-percentage", klen) == 0) {
		char *end;
		long v = strtol(val, &end, 10);

		if (end != val && v >= 0)
			r->throttle_percent = v;
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
	r->throttle_percent = -1;
	r->too_large = false;
	r->not_retried = NULL;
	buf_free(&r->body);
	buf_add(&r->body, "", 0);
}

/* Every request, single or multi, is set up here: TLS checks, no
 * redirects, http(s) only, timeouts, proxy. */
static void
setup_easy(CURL *c, const struct http_options *opt, const char *method,
    const char *url, struct curl_slist *hdrs, const char *body,
    struct http_response *r)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, opt->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "licsync/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (opt->proxy != NULL)
		curl_easy_setopt(c, CURLOPT_PROXY, opt->proxy);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	/* an answer announced as too large is refused before it comes */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_MAX_BODY);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
}

static int
perform(struct http *h, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body, struct http_response *r,
    struct err *e)
{
	CURL *c = h->curl;
	CURLcode cc;

	curl_easy_reset(c);
	setup_easy(c, &h->opt, method, url, hdrs, body, r);
	cc = curl_easy_perform(c);
	if (r->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		err_set(e, "%s %s: the answer is larger than %u bytes, the most "
		    "licsync reads", method, url, HTTP_MAX_BODY);
		return EXIT_BACKEND;
	}
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

int
http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const char *body, struct http_response *resp,
    struct err *e)
{
	struct curl_slist *hdrs = NULL;
	double wait;
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
		wait = retry_backoff(attempt, resp->retry_after,
		    (double)(rand_r(&h->seed) % 1000) / 1000.0);
		if (h->opt.budget != NULL &&
		    !retry_budget_allows(h->opt.budget, mono_seconds(), wait)) {
			resp->not_retried = "waiting would pass max_retry_time";
			break;
		}
		log_info("%s %s: %ld, retrying in %.0f s", method, url,
		    resp->status, wait);
		sleep_seconds(wait);
	}
	if (resp->not_retried != NULL)
		log_warning("%s %s: %ld; not retried: %s", method, url,
		    resp->status, resp->not_retried);
	slist_clear_free(hdrs);
	return r;
}

/* ---- several requests at once ---- */

struct multi_req {
	struct multi_req *prev, *next;
	CURL *easy;
	struct curl_slist *hdrs;
	char *method, *url, *body;
	void *tag;
	char errbuf[CURL_ERROR_SIZE];
	struct http_response resp;
};

struct http_multi {
	CURLM *multi;
	struct http_options opt;
	size_t running;
	struct multi_req *head;     /* in flight */
};

static void
unlink_req(struct http_multi *m, struct multi_req *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		m->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	curl_multi_remove_handle(m->multi, q->easy);
	m->running--;
}

struct http_multi *
http_multi_new(const struct http_options *opt)
{
	struct http_multi *m = xcalloc(1, sizeof(*m));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	m->multi = curl_multi_init();
	m->opt = *opt;
	if (m->multi == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

static void
req_free(struct multi_req *q)
{
	slist_clear_free(q->hdrs);
	curl_easy_cleanup(q->easy);
	free(q->method);
	free(q->url);
	if (q->body != NULL) {
		explicit_bzero(q->body, strlen(q->body));
		free(q->body);
	}
	http_response_free(&q->resp);
	free(q);
}

void
http_multi_free(struct http_multi *m)
{
	if (m == NULL)
		return;
	while (m->head != NULL) {
		struct multi_req *q = m->head;

		m->head = q->next;
		curl_multi_remove_handle(m->multi, q->easy);
		req_free(q);
	}
	m->running = 0;
	curl_multi_cleanup(m->multi);
	free(m);
}

void
http_multi_add(struct http_multi *m, const char *method, const char *url,
    const char *const *headers, const char *body, void *tag)
{
	struct multi_req *q = xcalloc(1, sizeof(*q));
	size_t i;

	q->easy = curl_easy_init();
	q->method = xstrdup(method);
	q->url = xstrdup(url);
	q->body = body != NULL ? xstrdup(body) : NULL;
	q->tag = tag;
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		q->hdrs = curl_slist_append(q->hdrs, headers[i]);
	reset_response(&q->resp);
	setup_easy(q->easy, &m->opt, q->method, q->url, q->hdrs, q->body,
	    &q->resp);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_multi_add_handle(m->multi, q->easy);
	q->next = m->head;
	if (m->head != NULL)
		m->head->prev = q;
	m->head = q;
	m->running++;
	log_debug("%s %s (queued)", method, url);
}

size_t
http_multi_running(const struct http_multi *m)
{
	return m->running;
}

static void
finish(struct http_multi *m, CURLMsg *msg, struct http_done *d)
{
	struct multi_req *q;

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
	memset(d, 0, sizeof(*d));
	d->tag = q->tag;
	if (q->resp.too_large ||
	    msg->data.result == CURLE_FILESIZE_EXCEEDED) {
		d->failed = true;
		snprintf(d->msg, sizeof(d->msg), "%.16s %.600s: the answer is "
		    "larger than %u bytes, the most licsync reads", q->method,
		    q->url, HTTP_MAX_BODY);
	} else if (msg->data.result != CURLE_OK) {
		d->failed = true;
		snprintf(d->msg, sizeof(d->msg), "%.16s %.600s: %.300s",
		    q->method, q->url, q->errbuf[0] != '\0' ? q->errbuf :
		    curl_easy_strerror(msg->data.result));
	}
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->resp.status);
	log_debug("%s %s -> %ld", q->method, q->url, q->resp.status);
	d->resp = q->resp;
	memset(&q->resp, 0, sizeof(q->resp));
	unlink_req(m, q);
	req_free(q);
}

void
http_multi_wait(struct http_multi *m, long timeout_ms, struct http_done **done,
    size_t *ndone)
{
	CURLMsg *msg;
	int still, left;

	*done = NULL;
	*ndone = 0;
	curl_multi_perform(m->multi, &still);
	if (timeout_ms > 0)
		curl_multi_poll(m->multi, NULL, 0, (int)timeout_ms, NULL);
	curl_multi_perform(m->multi, &still);
	for (msg = curl_multi_info_read(m->multi, &left); msg != NULL;
	    msg = curl_multi_info_read(m->multi, &left)) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		*done = xreallocarray(*done, *ndone + 1, sizeof(**done));
		finish(m, msg, &(*done)[(*ndone)++]);
	}
}

void
http_done_free(struct http_done *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		http_response_free(&d[i].resp);
	free(d);
}
