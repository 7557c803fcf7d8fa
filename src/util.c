/* util.c - errors, memory, string helpers, interned keys, hashing */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"

void
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int n;

	if (e == NULL)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %.*s",
		    (int)(sizeof(e->msg) - (size_t)n), old);
}

static void
oom(void)
{
	fputs("licsync: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		oom();
	q = realloc(p, n * size != 0 ? n * size : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void
strv_push(struct strv *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = xstrdup(s);
}

void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, s, (size_t)n);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
lower_c(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool
str_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower_c((unsigned char)*a) != lower_c((unsigned char)*b))
			return false;
	return *a == *b;
}

/*
 * Interned keys: an open-addressing table of ids into an array of offsets
 * into one string arena.  Strings are stored folded.
 */
struct intern {
	char *arena;
	size_t alen, acap;
	size_t *off;            /* id -> offset in arena */
	uint32_t n, ncap;
	uint32_t *slots;        /* id + 1; 0 = empty */
	uint32_t nslots;        /* power of two */
};

static uint64_t
hash_folded(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	size_t i;

	for (i = 0; s[i]; i++) {
		h ^= (unsigned char)lower_c((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	*len = i;
	return h;
}

struct intern *
intern_new(void)
{
	struct intern *in = xcalloc(1, sizeof(*in));

	in->nslots = 1024;
	in->slots = xcalloc(in->nslots, sizeof(*in->slots));
	return in;
}

void
intern_free(struct intern *in)
{
	if (in == NULL)
		return;
	free(in->arena);
	free(in->off);
	free(in->slots);
	free(in);
}

static bool
folded_eq(const char *stored, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (stored[i] != lower_c((unsigned char)key[i]))
			return false;
	return stored[len] == '\0';
}

static uint32_t *
intern_slot(const struct intern *in, const char *key, size_t *lenp)
{
	uint64_t h = hash_folded(key, lenp);
	uint32_t mask = in->nslots - 1, i = (uint32_t)h & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t v = in->slots[i];

		if (v == 0 || folded_eq(in->arena + in->off[v - 1], key, *lenp))
			return &in->slots[i];
	}
}

static void
intern_grow(struct intern *in)
{
	uint32_t *old = in->slots, oldn = in->nslots, i;

	in->nslots *= 2;
	in->slots = xcalloc(in->nslots, sizeof(*in->slots));
	for (i = 0; i < oldn; i++) {
		size_t len;

		if (old[i] != 0)
			*intern_slot(in, in->arena + in->off[old[i] - 1],
			    &len) = old[i];
	}
	free(old);
}

uint32_t
intern_add(struct intern *in, const char *key)
{
	size_t len, i;
	uint32_t *slot;

	if ((uint64_t)(in->n + 1) * 4 > (uint64_t)in->nslots * 3)
		intern_grow(in);
	slot = intern_slot(in, key, &len);
	if (*slot != 0)
		return *slot - 1;
	if (in->alen + len + 1 > in->acap) {
		size_t cap = in->acap ? in->acap : 65536;

		while (cap < in->alen + len + 1)
			cap *= 2;
		in->arena = xreallocarray(in->arena, cap, 1);
		in->acap = cap;
	}
	if (in->n == in->ncap) {
		in->ncap = in->ncap ? in->ncap * 2 : 1024;
		in->off = xreallocarray(in->off, in->ncap, sizeof(*in->off));
	}
	in->off[in->n] = in->alen;
	for (i = 0; i < len; i++)
		in->arena[in->alen + i] = (char)lower_c((unsigned char)key[i]);
	in->arena[in->alen + len] = '\0';
	in->alen += len + 1;
	*slot = ++in->n;
	return in->n - 1;
}

bool
intern_find(const struct intern *in, const char *key, uint32_t *id)
{
	size_t len;
	uint32_t v = *intern_slot(in, key, &len);

	if (v == 0)
		return false;
	*id = v - 1;
	return true;
}

const char *
intern_str(const struct intern *in, uint32_t id)
{
	return in->arena + in->off[id];
}

uint32_t
intern_count(const struct intern *in)
{
	return in->n;
}

int
read_secret_file(const char *path, char **out, struct err *e)
{
	struct stat st;
	char buf[8192];
	size_t n;
	int fd, r = EXIT_CONFIG;
	FILE *fp = NULL;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err_set(e, "%s: cannot open secret file: %s", path,
		    strerror(errno));
		return EXIT_CONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", path);
		close(fd);
		return EXIT_CONFIG;
	}
	if ((st.st_mode & 077) != 0) {
		err_set(e, "%s: secret file is accessible by group or others "
		    "(mode %04o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return EXIT_CONFIG;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		err_set(e, "%s: %s", path, strerror(errno));
		return EXIT_CONFIG;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	if (ferror(fp)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		err_set(e, "%s: secret file is empty", path);
		goto out;
	}
	*out = xstrdup(buf);
	r = EXIT_OK;
out:
	explicit_bzero(buf, sizeof(buf));
	fclose(fp);
	return r;
}

static void
to_hex(const unsigned char *md, unsigned n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void
sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, hex);
}

int
sha256_file(const char *path, char hex[65], struct err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	FILE *fp;
	size_t n;
	int r = EXIT_CONFIG;

	if ((fp = fopen(path, "rb")) == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return EXIT_CONFIG;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err_set(e, "%s: cannot hash", path);
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		EVP_DigestUpdate(ctx, chunk, n);
	if (ferror(fp)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	to_hex(md, mdlen, hex);
	r = EXIT_OK;
out:
	EVP_MD_CTX_free(ctx);
	fclose(fp);
	return r;
}

int
atomic_write(const char *path, mode_t mode,
    int (*write_fn)(FILE *fp, void *ctx), void *ctx, struct err *e)
{
	char *tmp = xasprintf("%s.tmpXXXXXX", path);
	FILE *fp = NULL;
	bool made = false;
	int fd, r = EXIT_USAGE;

	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	made = true;
	if (fchmod(fd, mode) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	errno = 0;
	if (write_fn(fp, ctx) != 0 || ferror(fp) || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		/* a WRITE_FN that failed on its own may leave errno alone */
		err_set(e, "%s: write failed: %s", path,
		    strerror(errno != 0 ? errno : EIO));
		goto out;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = EXIT_OK;
out:
	if (fp != NULL)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (r != EXIT_OK && made)
		unlink(tmp);
	free(tmp);
	return r;
}

static const struct {
	const char *name;
	int exit;               /* -1: none */
} outcomes[] = {
	{ "ok", EXIT_OK },
	{ "config error", EXIT_CONFIG },
	{ "directory error", EXIT_DIRECTORY },
	{ "backend error", EXIT_BACKEND },
	{ "database error", EXIT_DATABASE },
	{ "partial", EXIT_PARTIAL },
	{ "safety stop", EXIT_SAFETY },
	{ "locked", EXIT_LOCKED },
	{ "interrupted", -1 },
	{ "error", -1 },
};

#define NOUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

const char *
run_outcome(int r)
{
	size_t i;

	for (i = 0; i < NOUTCOMES; i++)
		if (outcomes[i].exit >= 0 && outcomes[i].exit == r)
			return outcomes[i].name;
	return "error";
}

const char *
run_outcome_name(size_t i)
{
	return i < NOUTCOMES ? outcomes[i].name : NULL;
}

int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

bool
u32_in_sorted(const uint32_t *ids, size_t n, uint32_t id)
{
	return n > 0 && bsearch(&id, ids, n, sizeof(*ids), u32_cmp) != NULL;
}

int64_t
now_seconds(void)
{
	const char *t = getenv("LICSYNC_TEST_NOW");

	if (t != NULL && *t != '\0') {
		char *end;
		long long v = strtoll(t, &end, 10);

		if (*end == '\0')
			return v;
	}
	return (int64_t)time(NULL);
}

void
format_utc(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long
limit_value(const struct limit *l, size_t holders)
{
	size_t v = holders * (size_t)l->value / 100;

	if (!l->percent)
		return l->value;
	/* a percentage rounds down, but above zero allows one change */
	return v > 0 || l->value == 0 ? (long)v : 1;
}
