/*
 * ldap_session.h - the libldap session of directory/: connect, bind,
 * searches and reading values.  The one place of licsync that talks to
 * a directory server; the rest of directory/ sees no libldap type.
 */
#ifndef LICSYNC_LDAP_SESSION_H
#define LICSYNC_LDAP_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "util/util.h"

struct session;
struct session_entry;           /* one entry of a search's reply */

/* Called per entry of a paged search; anything but EXIT_OK ends it. */
typedef int (*session_search_fn)(void *ctx, const struct session_entry *en,
    struct err *e);
/* Called for the entry of a base search; anything but EXIT_OK is an
 * error of the read. */
typedef int (*session_entry_fn)(void *ctx, const struct session_entry *en,
    struct err *e);
/* Called per value (LEN bytes, not terminated); false stops. */
typedef bool (*session_value_fn)(void *ctx, const char *v, size_t len);

/* A handle for CFG's URIs; nothing is sent yet.  EXIT_OK or
 * EXIT_DIRECTORY. */
int session_new(const struct config_ldap *cfg, struct session **out,
    struct err *e);
/*
 * Options and TLS on the handle, the base DN (configured or ldap.conf's),
 * StartTLS when asked for, then the bind.  Returns EXIT_OK, EXIT_CONFIG
 * (no or an invalid base DN, an unreadable secret) or EXIT_DIRECTORY.
 */
int session_connect(struct session *s, struct err *e);
/* The base DN as given; valid after session_connect. */
const char *session_base(const struct session *s);
/*
 * Continuation references (SearchResultReference) to these N
 * normalised DNs, partitions that hold no users, are passed over; any
 * other reference stops a search with EXIT_DIRECTORY, since what it
 * points to would be missing from the result.  The session keeps a copy.
 */
void session_skip_references(struct session *s, char *const *dns, size_t n);
void session_close(struct session *s);

/*
 * A paged subtree search (RFC 2696) under BASE: FN per entry.  A
 * referral or a reference not passed over, a timeout or any error is
 * EXIT_DIRECTORY; so is whatever FN returns other than EXIT_OK.
 */
int session_search(struct session *s, const char *base, const char *filter,
    const char *const *attrs, session_search_fn fn, void *ctx,
    struct err *e);

/* Send a base search of DN (WHAT names it in errors); *MSGID gets its
 * id for session_wait_base or session_abandon. */
int session_send_base(struct session *s, const char *dn,
    const char *const *attrs, const char *what, int *msgid, struct err *e);
/*
 * Wait for the reply to the base search MSGID and call FN with its
 * entry.  EXIT_OK when the entry was read or does not exist (*MISSING);
 * a timeout (*TIMED_OUT; the search is not abandoned), a referral or any
 * other result is EXIT_DIRECTORY with the server's words.
 */
int session_wait_base(struct session *s, int msgid, const char *what,
    session_entry_fn fn, void *ctx, bool *missing, bool *timed_out,
    struct err *e);
void session_abandon(struct session *s, int msgid);

/* V escaped for an LDAP filter's assertion value (RFC 4515), malloc'd. */
char *session_filter_value(const char *v);
/* The DN of EN as the server wrote it, malloc'd, or NULL. */
char *session_entry_dn(const struct session_entry *en);
/*
 * The values of ATTR in EN to FN (NULL: only count) in order until FN
 * returns false; *N (or NULL) gets how many there were.  Values the
 * server sends in ranges ([MS-ADTS] 3.1.1.3.1.3.3: "member;range=0-1499"
 * and no plain "member", on base and subtree searches alike) are read to
 * the end with base searches of the entry.  EXIT_DIRECTORY when the
 * ranges cannot be completed: a list is never returned short.
 */
int session_values(const struct session_entry *en, const char *attr,
    session_value_fn fn, void *ctx, size_t *n, struct err *e);

#endif
