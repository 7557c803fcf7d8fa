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

#include "util/util.h"

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

/* FMT with AP formatted into new memory; its length into *LEN. */
static char *xvasprintf(size_t *len, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static char *
xvasprintf(size_t *len, const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	*len = (size_t)n;
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(&n, fmt, ap);
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
	size_t n;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(&n, fmt, ap);
	va_end(ap);
	buf_add(b, s, n);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
xstrdup_printable(const char *s)
{
	char *d, *p;

	if (s == NULL)
		return NULL;
	d = xstrdup(s);
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return d;
}

const char *
str_brief(const char *s, size_t max, char *buf, size_t size)
{
	size_t n = strlen(s), keep;

	if (n <= max)
		return s;
	keep = max > 20 ? max - 20 : max;
	if (keep + 40 > size)
		keep = size > 40 ? size - 40 : 0;
	/* not inside a UTF-8 sequence */
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--;
	snprintf(buf, size, "%.*s... (%zu characters)", (int)keep, s, n);
	return buf;
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
 * Interned keys: an open-addressing table (linear probing) into an array
 * of offsets into one string arena.  Strings are stored folded.  Each
 * slot holds the id and 32 bits of the key's mixed hash, so a probe
 * compares strings only when those bits match, and the table grows
 * without hashing any string again.
 */
struct intern {
	char *arena;
	size_t alen, acap;
	size_t *off;            /* id -> offset in arena */
	uint32_t n, ncap;
	uint64_t *slots;        /* hash << 32 | (id + 1); 0 = empty */
	uint32_t nslots;        /* power of two */
};

#define SLOT_ID(v) ((uint32_t)(v))
#define SLOT_HASH(v) ((uint32_t)((v) >> 32))

/* FNV-1a over the folded key, then a 64-bit finalizer (MurmurHash3's
 * fmix64) so that the bits the table uses depend on every byte; the
 * high 32 bits are the ones kept. */
static uint32_t
hash_folded(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; s[i]; i++) {
		h ^= (unsigned char)lower_c((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	*len = i;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)(h >> 32);
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

static uint64_t *
intern_slot(const struct intern *in, const char *key, size_t *lenp,
    uint32_t *hp)
{
	uint32_t h = hash_folded(key, lenp);
	uint32_t mask = in->nslots - 1, i = h & mask;

	*hp = h;
	for (;; i = (i + 1) & mask) {
		uint64_t v = in->slots[i];

		if (v == 0 || (SLOT_HASH(v) == h && folded_eq(in->arena +
		    in->off[SLOT_ID(v) - 1], key, *lenp)))
			return &in->slots[i];
	}
}

static void
intern_grow(struct intern *in)
{
	uint64_t *old = in->slots;
	uint32_t oldn = in->nslots, i, j, mask;

	in->nslots *= 2;
	mask = in->nslots - 1;
	in->slots = xcalloc(in->nslots, sizeof(*in->slots));
	for (i = 0; i < oldn; i++) {
		if (old[i] == 0)
			continue;
		for (j = SLOT_HASH(old[i]) & mask; in->slots[j] != 0;
		    j = (j + 1) & mask)
			;
		in->slots[j] = old[i];
	}
	free(old);
}

uint32_t
intern_add(struct intern *in, const char *key)
{
	size_t len, i;
	uint64_t *slot;
	uint32_t h;

	if ((uint64_t)(in->n + 1) * 4 > (uint64_t)in->nslots * 3)
		intern_grow(in);
	slot = intern_slot(in, key, &len, &h);
	if (*slot != 0)
		return SLOT_ID(*slot) - 1;
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
	*slot = (uint64_t)h << 32 | ++in->n;
	return in->n - 1;
}

bool
intern_find(const struct intern *in, const char *key, uint32_t *id)
{
	size_t len;
	uint32_t h;
	uint64_t v = *intern_slot(in, key, &len, &h);

	if (v == 0)
		return false;
	*id = SLOT_ID(v) - 1;
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

/* Grow *DATA from CAP to NEWCAP bytes; a private buffer is copied and the
 * old one cleared, so no copy of a secret is left behind in free memory. */
static char *
grow_file_buf(char *data, size_t len, size_t newcap, bool private)
{
	char *p;

	if (!private)
		return xreallocarray(data, newcap, 1);
	p = xmalloc(newcap);
	memcpy(p, data, len);
	explicit_bzero(data, len);
	free(data);
	return p;
}

static void
file_error(struct err *e, const char *path, const char *what,
    const char *reason)
{
	if (what != NULL)
		err_set(e, "%s: cannot open %s: %s", path, what, reason);
	else
		err_set(e, "%s: %s", path, reason);
}

/* Open PATH for reading without blocking and make sure it is a regular
 * file (and, RF_PRIVATE, a private one) before anything is read. */
static int
open_regular(const char *path, const char *what, unsigned flags,
    struct stat *st, struct err *e)
{
	int fd, fl;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    ((flags & RF_PRIVATE) != 0 ? O_NOFOLLOW : 0));
	if (fd < 0) {
		file_error(e, path, what, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		err_set(e, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((flags & RF_PRIVATE) != 0 && (st->st_mode & 077) != 0) {
		err_set(e, "%s: %s is accessible by group or others (mode "
		    "%04o); chmod 600 it", path, what != NULL ? what : "file",
		    (unsigned)(st->st_mode & 07777));
		close(fd);
		return -1;
	}
	/* a regular file: reads block as usual from here */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int
read_file(const char *path, const char *what, size_t max, unsigned flags,
    char **datap, size_t *lenp, struct err *e)
{
	bool private = (flags & RF_PRIVATE) != 0;
	struct stat st;
	char *data = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd, r = EXIT_CONFIG;

	*datap = NULL;
	*lenp = 0;
	if ((fd = open_regular(path, what, flags, &st, e)) < 0)
		return EXIT_CONFIG;
	if (st.st_size < 0 || (uintmax_t)st.st_size > max)
		goto too_large;
	/* the size fstat gave, and room to see that the file ends there */
	cap = (size_t)st.st_size + 1;
	data = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				goto too_large;
			data = grow_file_buf(data, len, cap * 2 + 1, private);
			cap = cap * 2;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		goto too_large;
	data[len] = '\0';
	*datap = data;
	*lenp = len;
	data = NULL;
	r = EXIT_OK;
	goto out;
too_large:
	err_set(e, "%s: larger than %zu bytes, the most licsync reads of %s",
	    path, max, what != NULL ? what : "it");
out:
	if (data != NULL) {
		if (private)
			explicit_bzero(data, len);
		free(data);
	}
	close(fd);
	return r;
}

int
read_secret_file(const char *path, char **out, struct err *e)
{
	char *data = NULL;
	size_t len = 0, line;
	int r;

	*out = NULL;
	r = read_file(path, "secret file", MAX_SECRET_FILE, RF_PRIVATE, &data,
	    &len, e);
	if (r != EXIT_OK)
		return r;
	r = EXIT_CONFIG;
	line = strcspn(data, "\r\n");
	/* strcspn stops at a NUL too: one before the line's end is in it */
	if (line < len && data[line] == '\0') {
		err_set(e, "%s: the secret holds a NUL byte", path);
		goto out;
	}
	if (line == 0) {
		err_set(e, "%s: secret file is empty", path);
		goto out;
	}
	*out = xstrndup(data, line);
	r = EXIT_OK;
out:
	explicit_bzero(data, len);
	free(data);
	return r;
}

void
hex_encode(const void *p, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *md = p;
	size_t i;

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
	hex_encode(md, mdlen < 32 ? mdlen : 32, hex);
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

double
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
