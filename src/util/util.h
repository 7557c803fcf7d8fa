/* util.h - small pieces shared by every stage: errors, memory, interned keys */
#ifndef LICSYNC_UTIL_H
#define LICSYNC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes of the licsync command; documented in licsync(8). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_CONFIG = 2,
	EXIT_DIRECTORY = 3,
	EXIT_BACKEND = 4,
	EXIT_SAFETY = 5,
	EXIT_PARTIAL = 6,
	EXIT_LOCKED = 7,
	EXIT_DATABASE = 8,
	EXIT_TAMPERED = 9,
};

/*
 * What a run is recorded as having ended with (the runs table, the
 * metrics): the outcome of exit code R, "error" for codes without one of
 * their own; and the Ith of all outcomes, "interrupted" (a killed run, so
 * marked by the next) among them, NULL past the last.
 */
const char *run_outcome(int r);
const char *run_outcome_name(size_t i);

/* An error message filled in by the stage that failed. Never holds secrets. */
struct err {
	char msg[4096];
};

void err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the current message: "prefix: old message". */
void err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable array of strings (owned). */
struct strv {
	char **v;
	size_t n, cap;
};
void strv_push(struct strv *sv, const char *s);
void strv_free(struct strv *sv);

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

/*
 * Interned, case-folded user keys.  Every stage names users by the id
 * returned here, so a million users cost one copy of each key and the
 * reconciler works on integers.  Ids are dense, starting at 0.
 */
struct intern;
struct intern *intern_new(void);
void intern_free(struct intern *in);
/* Fold (ASCII lower-case) and add; returns the id. */
uint32_t intern_add(struct intern *in, const char *key);
/* Fold and look up; returns true and sets *id when present. */
bool intern_find(const struct intern *in, const char *key, uint32_t *id);
const char *intern_str(const struct intern *in, uint32_t id);
uint32_t intern_count(const struct intern *in);

/* qsort/bsearch order of uint32_t (key ids). */
int u32_cmp(const void *a, const void *b);
/* Is ID among the N sorted IDS? */
bool u32_in_sorted(const uint32_t *ids, size_t n, uint32_t id);

/*
 * S for a message: itself when it has at most MAX bytes, else its first
 * bytes (cut between characters), "...", and its length, in BUF of SIZE
 * bytes (at least MAX + 40), so that what follows it (a server's reason)
 * is never cut off instead.
 */
const char *str_brief(const char *s, size_t max, char *buf, size_t size);

/*
 * A copy of a server's text (an error message, a code, a request id) fit
 * for a log line, a report or the audit trail: each control character
 * (below 0x20, and 0x7f) becomes a space, so that no answer can forge a
 * log line or send escape sequences to a terminal.  NULL for NULL.
 */
char *xstrdup_printable(const char *s);

/* ASCII lower-case in place. */
void str_lower(char *s);
bool str_ieq(const char *a, const char *b);

/* The most licsync reads of its own files (licsync(8), LIMITS). */
#define MAX_YAML_FILE (16u << 20)       /* licsync.conf, a policy file */
#define MAX_SECRET_FILE (64u << 10)     /* a secret file */
#define MAX_PEM_FILE (1u << 20)         /* a certificate or key file */
#define MAX_PLAN_FILE (1u << 30)        /* a saved plan */

#define RF_PRIVATE 0x1u  /* a secret: no symbolic link, nothing for group
                            or others */

/*
 * Read the whole of PATH, at most MAX bytes, into *DATA (NUL-terminated,
 * *LEN bytes without the NUL; free it, and with RF_PRIVATE clear it
 * first).  PATH must be a regular file: it is opened without blocking
 * and checked before anything is read, so a FIFO or a device never hangs
 * or floods the run.  WHAT names the file in messages ("secret file":
 * "PATH: cannot open secret file: ..."); NULL gives "PATH: reason".
 * Returns EXIT_OK, or EXIT_CONFIG with the reason in E.
 */
int read_file(const char *path, const char *what, size_t max, unsigned flags,
    char **data, size_t *len, struct err *e);

/*
 * Read a secret from a file: the first line, without its newline.  The file
 * must not be readable by group or others, nor larger than
 * MAX_SECRET_FILE, and the secret must not hold a NUL byte.  Messages name
 * the file, never its content.
 */
int read_secret_file(const char *path, char **out, struct err *e);

/* N bytes as 2N lower-case hex digits and a NUL into HEX[2N + 1]. */
void hex_encode(const void *p, size_t n, char *hex);
/* SHA-256 of a buffer, as 64 lower-case hex digits into hex[65]. */
void sha256_hex(const void *p, size_t n, char hex[65]);

/* A safety limit: a count, or a percentage of an app's current holders. */
struct limit {
	bool set;
	bool percent;
	long value;
};

/* The limit's value for an app that has HOLDERS holders now. */
long limit_value(const struct limit *l, size_t holders);

/*
 * Replace PATH atomically: WRITE_FN writes into a temporary file in the
 * same directory (PATH.tmpXXXXXX, mode MODE), which is flushed, synced and
 * renamed onto PATH.  WRITE_FN returns non-zero when it failed.  On any
 * failure the temporary file is removed and PATH is left as it was;
 * returns EXIT_USAGE with the reason, naming PATH, in E.
 */
int atomic_write(const char *path, mode_t mode,
    int (*write_fn)(FILE *fp, void *ctx), void *ctx, struct err *e);

/* Seconds on the monotonic clock, for durations and waits. */
double mono_seconds(void);

/*
 * The current time, seconds since the epoch: what audit rows, grace clocks
 * and saved plans are stamped with.  Not in liblicsync.a: licsync links
 * src/clock.c, the wall clock, which nothing can set; the test programs
 * link tests/clock_test.c, which LICSYNC_TEST_NOW can set, so a trail meant
 * to be tamper-evident cannot be backdated with an environment variable.
 */
int64_t now_seconds(void);
/* "2026-11-28T05:07:19Z" into out[21]. */
void format_utc(int64_t t, char out[21]);

#endif
