/*
 * ldap_session.c - libldap: connect (TLS, StartTLS), bind, the paged
 * search, continuation references, base searches in flight, and the one
 * shape of an LDAP error.  With ldap_values.c (reading entries), the only
 * code of licsync that calls libldap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>

#include "directory/dn.h"
#include "directory/ldap_session.h"
#include "directory/session_int.h"
#include "util/log.h"

/* The one shape of an LDAP error (session_int.h).  WHAT is kept short
 * (callers shorten long DNs), so the reason always fits. */
void
ldap_error(struct err *e, const char *what, int rc, LDAP *ld,
    const char *diag)
{
	char *hdiag = NULL;

	if (ld != NULL) {
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &hdiag);
		diag = hdiag;
	}
	if (diag != NULL && *diag != '\0')
		err_set(e, "%s: %s (%.1500s)", what, ldap_err2string(rc), diag);
	else
		err_set(e, "%s: %s", what, ldap_err2string(rc));
	ldap_memfree(hdiag);
}

/* ---- connecting ---- */

static int
set_opt(struct session *s, int opt, const void *val, const char *name,
    struct err *e)
{
	int rc = ldap_set_option(s->ld, opt, val);

	if (rc != LDAP_OPT_SUCCESS) {
		ldap_error(e, name, rc, s->ld, NULL);
		return EXIT_DIRECTORY;
	}
	log_debug("ldap option %s set", name);
	return EXIT_OK;
}

/*
 * TLS options go on the handle and take effect in a new TLS context.  A
 * new context starts empty, so the CA that libldap read from ldap.conf
 * (TLS_CACERT, TLS_CACERTDIR) is copied over when ca_file is not set.
 * Certificate checking is demand unless tls_reqcert says never, whatever
 * ldap.conf says.
 */
static int
setup_tls(struct session *s, struct err *e)
{
	static const struct { int opt; const char *name; } ca_opts[] = {
		{ LDAP_OPT_X_TLS_CACERTFILE, "LDAP_OPT_X_TLS_CACERTFILE" },
		{ LDAP_OPT_X_TLS_CACERTDIR, "LDAP_OPT_X_TLS_CACERTDIR" },
	};
	const struct config_ldap *c = s->cfg;
	int reqcert = c->tls_reqcert == TLS_REQCERT_NEVER ?
	    LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND;
	int zero = 0, r = EXIT_OK;
	size_t i;

	if (c->ca_file != NULL)
		r = set_opt(s, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file,
		    "LDAP_OPT_X_TLS_CACERTFILE", e);
	for (i = 0; c->ca_file == NULL && r == EXIT_OK && i < 2; i++) {
		char *v = NULL;

		ldap_get_option(NULL, ca_opts[i].opt, &v);
		if (v != NULL)
			r = set_opt(s, ca_opts[i].opt, v, ca_opts[i].name, e);
		ldap_memfree(v);
	}
	if (r != EXIT_OK)
		return r;
	r = set_opt(s, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert,
	    "LDAP_OPT_X_TLS_REQUIRE_CERT", e);
	if (r != EXIT_OK)
		return r;
	return set_opt(s, LDAP_OPT_X_TLS_NEWCTX, &zero,
	    "LDAP_OPT_X_TLS_NEWCTX", e);
}

static int
setup_options(struct session *s, struct err *e)
{
	int version = LDAP_VERSION3, r;
	struct timeval net = s->tv;

	if ((r = set_opt(s, LDAP_OPT_PROTOCOL_VERSION, &version,
	    "LDAP_OPT_PROTOCOL_VERSION", e)) != EXIT_OK)
		return r;
	/* Referrals would silently widen or narrow what is read. */
	if ((r = set_opt(s, LDAP_OPT_REFERRALS, LDAP_OPT_OFF,
	    "LDAP_OPT_REFERRALS", e)) != EXIT_OK)
		return r;
	if ((r = set_opt(s, LDAP_OPT_NETWORK_TIMEOUT, &net,
	    "LDAP_OPT_NETWORK_TIMEOUT", e)) != EXIT_OK)
		return r;
	if ((r = set_opt(s, LDAP_OPT_TIMEOUT, &net, "LDAP_OPT_TIMEOUT",
	    e)) != EXIT_OK)
		return r;
	return setup_tls(s, e);
}

static bool
uri_is_ldapi(const char *uri)
{
	return uri != NULL && strncasecmp(uri, "ldapi://", 8) == 0;
}

/* True when a URI of the list is plain ldap:// (or, unset, ldap.conf's). */
static bool
cleartext_uri(const char *uris)
{
	const char *p;

	if (uris == NULL)
		return false;
	for (p = uris; p != NULL && *p != '\0'; p = strchr(p, ' ')) {
		p += strspn(p, " ");
		if (strncasecmp(p, "ldap://", 7) == 0)
			return true;
	}
	return false;
}

/*
 * SASL's questions during a GSSAPI bind: the authorisation identity,
 * optional, is left unset (the keytab's principal), as ldapsearch -Q
 * does; nothing is ever prompted for.
 */
static int
sasl_quiet(LDAP *ld, unsigned flags, void *defaults, void *interact)
{
	(void)ld;
	(void)flags;
	(void)defaults;
	(void)interact;
	return LDAP_SUCCESS;
}

/*
 * SASL GSSAPI, the way sssd and nslcd bind to Active Directory: the
 * Kerberos credentials come from the keytab (KRB5_CLIENT_KTNAME) into a
 * credential cache in this process's memory, so the host's tickets are
 * neither used nor touched.  Over TLS no SASL security layer is asked
 * for (AD refuses one on top of TLS); without TLS one is required, so
 * nothing goes in clear.
 */
static int
gssapi_bind(struct session *s, struct err *e)
{
	const struct config_ldap *c = s->cfg;
	bool tls = c->starttls || (c->uri != NULL &&
	    strncasecmp(c->uri, "ldaps://", 8) == 0);
	char *data = NULL;
	size_t len = 0;
	int rc, r;

	if (c->keytab != NULL) {
		/* readable by licsync only, like a secret file */
		r = read_file(c->keytab, "keytab", MAX_PEM_FILE, RF_PRIVATE,
		    &data, &len, e);
		if (r != EXIT_OK)
			return r;
		explicit_bzero(data, len);
		free(data);
		if (setenv("KRB5_CLIENT_KTNAME", c->keytab, 1) != 0) {
			err_set(e, "cannot set KRB5_CLIENT_KTNAME: %s",
			    strerror(errno));
			return EXIT_DIRECTORY;
		}
	}
	if (setenv("KRB5CCNAME", "MEMORY:licsync", 1) != 0) {
		err_set(e, "cannot set KRB5CCNAME: %s", strerror(errno));
		return EXIT_DIRECTORY;
	}
	if ((r = set_opt(s, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON,
	    "LDAP_OPT_X_SASL_NOCANON", e)) != EXIT_OK)
		return r;
	if ((r = set_opt(s, LDAP_OPT_X_SASL_SECPROPS, tls ? "maxssf=0" :
	    "minssf=56", "LDAP_OPT_X_SASL_SECPROPS", e)) != EXIT_OK)
		return r;
	rc = ldap_sasl_interactive_bind_s(s->ld, NULL, "GSSAPI", NULL, NULL,
	    LDAP_SASL_QUIET, sasl_quiet, NULL);
	log_debug("SASL GSSAPI bind%s%s", c->keytab ? " with the keytab " :
	    "", c->keytab ? c->keytab : "");
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, "LDAP bind failed (SASL GSSAPI)", rc, s->ld,
		    NULL);
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

static int
do_bind(struct session *s, struct err *e)
{
	const struct config_ldap *c = s->cfg;
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	int rc, r;

	if (c->sasl_mech != NULL)
		return gssapi_bind(s, e);
	if (c->bind_dn != NULL) {
		if (!c->starttls && cleartext_uri(c->uri))
			log_warning("the bind password goes to %s without "
			    "TLS; use ldaps://, ldapi:// or starttls: true",
			    c->uri);
		r = read_secret_file(c->bind_password_file, &pw, e);
		if (r != EXIT_OK)
			return r;
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(s->ld, c->bind_dn, LDAP_SASL_SIMPLE,
		    &cred, NULL, NULL, NULL);
		explicit_bzero(pw, cred.bv_len);
		free(pw);
		log_debug("simple bind as %s", c->bind_dn);
	} else if (uri_is_ldapi(c->uri)) {
		rc = ldap_sasl_bind_s(s->ld, NULL, "EXTERNAL", &cred, NULL,
		    NULL, NULL);
		log_debug("SASL EXTERNAL bind");
	} else {
		rc = ldap_sasl_bind_s(s->ld, "", LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
		log_debug("anonymous bind");
	}
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, c->bind_dn != NULL ? "LDAP bind failed" :
		    "LDAP bind failed (no bind_dn)", rc, s->ld, NULL);
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

static int
find_base(struct session *s, struct err *e)
{
	char *base = NULL, *nbase;

	if (s->cfg->base_dn != NULL) {
		s->base = xstrdup(s->cfg->base_dn);
	} else {
		ldap_get_option(s->ld, LDAP_OPT_DEFBASE, &base);
		if (base == NULL || *base == '\0') {
			ldap_memfree(base);
			err_set(e, "no base_dn in the configuration and no "
			    "BASE in ldap.conf");
			return EXIT_CONFIG;
		}
		s->base = xstrdup(base);
		ldap_memfree(base);
	}
	nbase = dn_normalize(s->base);
	if (nbase == NULL) {
		err_set(e, "invalid base DN '%s'", s->base);
		return EXIT_CONFIG;
	}
	free(nbase);
	return EXIT_OK;
}

int
session_new(const struct config_ldap *cfg, struct session **out,
    struct err *e)
{
	struct session *s = xcalloc(1, sizeof(*s));
	int rc;

	s->cfg = cfg;
	s->tv.tv_sec = cfg->timeout;
	rc = ldap_initialize(&s->ld, cfg->uri);
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, "cannot initialise LDAP", rc, s->ld, NULL);
		session_close(s);
		*out = NULL;
		return EXIT_DIRECTORY;
	}
	*out = s;
	return EXIT_OK;
}

int
session_connect(struct session *s, struct err *e)
{
	int rc, r;

	if ((r = setup_options(s, e)) != EXIT_OK)
		return r;
	if ((r = find_base(s, e)) != EXIT_OK)
		return r;
	if (s->cfg->starttls) {
		rc = ldap_start_tls_s(s->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			ldap_error(e, "StartTLS failed", rc, s->ld, NULL);
			return EXIT_DIRECTORY;
		}
		log_debug("StartTLS done");
	}
	return do_bind(s, e);
}

const char *
session_base(const struct session *s)
{
	return s->base;
}

void
session_skip_references(struct session *s, char *const *dns, size_t n)
{
	size_t i;

	s->skip_refs = xreallocarray(s->skip_refs, s->nskip_refs + n,
	    sizeof(*s->skip_refs));
	for (i = 0; i < n; i++)
		s->skip_refs[s->nskip_refs++] = xstrdup(dns[i]);
}

void
session_close(struct session *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->ld != NULL)
		ldap_unbind_ext_s(s->ld, NULL, NULL);
	for (i = 0; i < s->nskip_refs; i++)
		free(s->skip_refs[i]);
	free(s->skip_refs);
	free(s->base);
	free(s);
}

/* ---- continuation references ---- */

/* Whether the LDAP URL REF names a partition passed over. */
static bool
skipped_reference(const struct session *s, const char *ref)
{
	LDAPURLDesc *lud = NULL;
	char *ndn;
	bool skip = false;
	size_t i;

	if (ldap_url_parse(ref, &lud) != LDAP_URL_SUCCESS)
		return false;
	ndn = dn_normalize(lud->lud_dn != NULL ? lud->lud_dn : "");
	for (i = 0; ndn != NULL && *ndn != '\0' && i < s->nskip_refs; i++)
		if (strcmp(ndn, s->skip_refs[i]) == 0)
			skip = true;
	free(ndn);
	ldap_free_urldesc(lud);
	return skip;
}

/*
 * A SearchResultReference: EXIT_OK when each of its URLs points to a
 * partition without users (Active Directory's DNS zones, configuration
 * and schema), else EXIT_DIRECTORY: what it points to would be missing.
 */
static int
check_reference(struct session *s, LDAPMessage *msg, const char *what,
    struct err *e)
{
	char **refs = NULL, brief[300];
	int rc, r = EXIT_OK;
	size_t i;

	rc = ldap_parse_reference(s->ld, msg, &refs, NULL, 0);
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, what, rc, s->ld, NULL);
		return EXIT_DIRECTORY;
	}
	for (i = 0; r == EXIT_OK && refs != NULL && refs[i] != NULL; i++) {
		if (skipped_reference(s, refs[i])) {
			log_debug("%s: passed over the reference to %s "
			    "(a partition without users)", what, refs[i]);
			continue;
		}
		err_set(e, "%s: the server returned a continuation "
		    "reference to %s; refusing a partial result (set a "
		    "narrower base_dn, or for a forest of several domains "
		    "read the global catalog, port 3268)", what,
		    str_brief(refs[i], 240, brief, sizeof(brief)));
		r = EXIT_DIRECTORY;
	}
	if (refs == NULL || refs[0] == NULL) {
		err_set(e, "%s: the server returned an empty continuation "
		    "reference; refusing a partial result", what);
		r = EXIT_DIRECTORY;
	}
	ber_memvfree((void **)refs);
	return r;
}

/* ---- the paged search ---- */

/* Check a search's final result; anything but success is an error.
 * *COOKIE gets the server's paged results cookie, NULL when done. */
static int
check_result(struct session *s, LDAPMessage *res, const char *what,
    struct berval **cookie, struct err *e)
{
	LDAPControl **sctrls = NULL, *pctrl;
	char *errmsg = NULL;
	int rc, err = LDAP_SUCCESS, r = EXIT_DIRECTORY;
	ber_int_t count;
	struct berval ck = { 0, NULL };

	rc = ldap_parse_result(s->ld, res, &err, NULL, &errmsg, NULL,
	    &sctrls, 0);
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, what, rc, s->ld, NULL);
		goto out;
	}
	if (err != LDAP_SUCCESS) {
		ldap_error(e, what, err, NULL, errmsg);
		goto out;
	}
	pctrl = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL);
	if (pctrl == NULL) {
		err_set(e, "%s: the server ignored the paged results "
		    "control", what);
		goto out;
	}
	rc = ldap_parse_pageresponse_control(s->ld, pctrl, &count, &ck);
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, what, rc, s->ld, NULL);
		goto out;
	}
	ber_bvfree(*cookie);
	*cookie = NULL;
	if (ck.bv_len > 0)
		*cookie = ber_bvdup(&ck);
	ber_memfree(ck.bv_val);
	r = EXIT_OK;
out:
	ldap_memfree(errmsg);
	ldap_controls_free(sctrls);
	return r;
}

/*
 * The messages of one page of search MSGID: FN per entry, until the
 * final result, which goes to *RES.  Search references make the view
 * partial, so they are errors unless they point to partitions passed
 * over.
 */
static int
page_results(struct session *s, int msgid, const char *what,
    session_search_fn fn, void *ctx, LDAPMessage **res, struct err *e)
{
	struct session_entry en = { s, NULL };
	struct timeval tv;
	int rc, r;

	for (;;) {
		tv = s->tv;
		rc = ldap_result(s->ld, msgid, LDAP_MSG_ONE, &tv, res);
		if (rc == 0) {
			ldap_abandon_ext(s->ld, msgid, NULL, NULL);
			err_set(e, "%s: timed out after %d s", what,
			    s->cfg->timeout);
			return EXIT_DIRECTORY;
		}
		if (rc < 0) {
			ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &rc);
			ldap_error(e, what, rc, s->ld, NULL);
			return EXIT_DIRECTORY;
		}
		if (rc == LDAP_RES_SEARCH_ENTRY) {
			en.msg = *res;
			r = fn(ctx, &en, e);
			ldap_msgfree(*res);
			*res = NULL;
			if (r != EXIT_OK) {
				ldap_abandon_ext(s->ld, msgid, NULL, NULL);
				return r;
			}
			continue;
		}
		if (rc == LDAP_RES_SEARCH_REFERENCE) {
			r = check_reference(s, *res, what, e);
			ldap_msgfree(*res);
			*res = NULL;
			if (r != EXIT_OK) {
				ldap_abandon_ext(s->ld, msgid, NULL, NULL);
				return r;
			}
			continue;
		}
		if (rc == LDAP_RES_SEARCH_RESULT)
			return EXIT_OK;
		ldap_msgfree(*res);
		*res = NULL;
	}
}

/* Repeat the search with the server's cookie until it is empty. */
int
session_search(struct session *s, const char *base, const char *filter,
    const char *const *attrs, session_search_fn fn, void *ctx,
    struct err *e)
{
	struct berval *cookie = NULL;
	LDAPControl *ctrls[2] = { NULL, NULL };
	LDAPMessage *res = NULL;
	struct timeval tv;
	char what[512], brief[300];
	int rc, msgid, r = EXIT_DIRECTORY;

	snprintf(what, sizeof(what), "LDAP search of '%s' %s",
	    str_brief(base, 240, brief, sizeof(brief)), filter);
	do {
		rc = ldap_create_page_control(s->ld,
		    (ber_int_t)s->cfg->page_size, cookie, 1, &ctrls[0]);
		if (rc != LDAP_SUCCESS) {
			ldap_error(e, what, rc, s->ld, NULL);
			goto out;
		}
		tv = s->tv;
		rc = ldap_search_ext(s->ld, base, LDAP_SCOPE_SUBTREE, filter,
		    (char **)(uintptr_t)attrs, 0, ctrls, NULL, &tv,
		    LDAP_NO_LIMIT, &msgid);
		ldap_control_free(ctrls[0]);
		ctrls[0] = NULL;
		if (rc != LDAP_SUCCESS) {
			ldap_error(e, what, rc, s->ld, NULL);
			goto out;
		}
		if ((r = page_results(s, msgid, what, fn, ctx, &res, e)) !=
		    EXIT_OK)
			goto out;
		r = EXIT_DIRECTORY;
		if (check_result(s, res, what, &cookie, e) != EXIT_OK)
			goto out;
		ldap_msgfree(res);
		res = NULL;
	} while (cookie != NULL);
	r = EXIT_OK;
out:
	ldap_msgfree(res);
	ber_bvfree(cookie);
	return r;
}

/* ---- base searches ---- */

int
session_send_base(struct session *s, const char *dn,
    const char *const *attrs, const char *what, int *msgid, struct err *e)
{
	struct timeval tv = s->tv;
	int rc;

	rc = ldap_search_ext(s->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (char **)(uintptr_t)attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT,
	    msgid);
	if (rc != LDAP_SUCCESS) {
		ldap_error(e, what, rc, s->ld, NULL);
		return EXIT_DIRECTORY;
	}
	return EXIT_OK;
}

/*
 * The messages of one finished base search: FN for the entry.  EXIT_OK
 * when the entry was read or does not exist (*MISSING); a referral or
 * any other result is EXIT_DIRECTORY with the server's words.
 */
static int
base_reply(struct session *s, LDAPMessage *chain, const char *what,
    session_entry_fn fn, void *ctx, bool *missing, struct err *e)
{
	struct session_entry en = { s, NULL };
	LDAPMessage *m;
	char *errmsg = NULL;
	int err = LDAP_OTHER, rc;

	*missing = false;
	for (m = ldap_first_message(s->ld, chain); m != NULL;
	    m = ldap_next_message(s->ld, m)) {
		switch (ldap_msgtype(m)) {
		case LDAP_RES_SEARCH_ENTRY:
			en.msg = m;
			if (fn(ctx, &en, e) != EXIT_OK) {
				ldap_memfree(errmsg);
				return EXIT_DIRECTORY;
			}
			break;
		case LDAP_RES_SEARCH_REFERENCE:
			ldap_memfree(errmsg);
			err_set(e, "%s: the server returned a referral; "
			    "refusing a partial result", what);
			return EXIT_DIRECTORY;
		case LDAP_RES_SEARCH_RESULT:
			ldap_memfree(errmsg);
			errmsg = NULL;
			rc = ldap_parse_result(s->ld, m, &err, NULL, &errmsg,
			    NULL, NULL, 0);
			if (rc != LDAP_SUCCESS)
				err = rc;
			break;
		}
	}
	if (err == LDAP_NO_SUCH_OBJECT) {
		*missing = true;
		err = LDAP_SUCCESS;
	}
	if (err != LDAP_SUCCESS)
		ldap_error(e, what, err, NULL, errmsg);
	ldap_memfree(errmsg);
	return err == LDAP_SUCCESS ? EXIT_OK : EXIT_DIRECTORY;
}

int
session_wait_base(struct session *s, int msgid, const char *what,
    session_entry_fn fn, void *ctx, bool *missing, bool *timed_out,
    struct err *e)
{
	struct timeval tv = s->tv;
	LDAPMessage *res = NULL;
	int rc, r;

	*missing = false;
	*timed_out = false;
	rc = ldap_result(s->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (rc == 0) {
		*timed_out = true;
		err_set(e, "%s: timed out after %d s", what, s->cfg->timeout);
		return EXIT_DIRECTORY;
	}
	if (rc < 0) {
		ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &rc);
		ldap_error(e, what, rc, s->ld, NULL);
		return EXIT_DIRECTORY;
	}
	r = base_reply(s, res, what, fn, ctx, missing, e);
	ldap_msgfree(res);
	return r;
}

void
session_abandon(struct session *s, int msgid)
{
	ldap_abandon_ext(s->ld, msgid, NULL, NULL);
}
