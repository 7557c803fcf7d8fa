/*
 * flavour.c - the schema flavours and how one is picked.  Every
 * attribute and class name that differs between RFC 4519 directories
 * (OpenLDAP, 389-ds) and Active Directory ([MS-ADTS]) is in the two
 * tables below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "directory/dn.h"
#include "directory/flavour.h"
#include "directory/ldap_session.h"
#include "util/log.h"

/* LDAP_CAP_ACTIVE_DIRECTORY_OID: Samba's AD DC announces it too. */
#define CAP_ACTIVE_DIRECTORY "1.2.840.113556.1.4.800"

static const char *const rfc_group_classes[] = {
	"groupOfNames", "groupOfUniqueNames", "posixGroup", "groupOfMembers",
	NULL
};
static const char *const rfc_dn_attrs[] = { "member", "uniqueMember", NULL };
static const char *const rfc_group_attrs[] = {
	"objectClass", "member", "uniqueMember", "memberUid", NULL
};
static const char *const none[] = { NULL };
static const struct binary_attr no_binary[] = { { NULL, BINARY_GUID } };

static const struct flavour flavour_rfc = {
	.name = "rfc",
	.user_filter = "(objectClass=inetOrgPerson)",
	.user_key = "mail",
	.disabled_filter = NULL,
	.uid_attr = "uid",
	.primary_group_id = NULL,
	.class_attr = "objectClass",
	.group_classes = rfc_group_classes,
	.dn_member_attrs = rfc_dn_attrs,
	.uid_member_attr = "memberUid",
	.primary_group_token = NULL,
	.group_attrs = rfc_group_attrs,
	.foreign_class = NULL,
	.in_chain_attr = NULL,
	.rid_attr = NULL,
	.skip_partition_attrs = none,
	.skip_partition_rdns = none,
	.binary = no_binary,
};

static const char *const ad_group_classes[] = { "group", NULL };
static const char *const ad_dn_attrs[] = { "member", NULL };
static const char *const ad_group_attrs[] = {
	"objectClass", "member", "primaryGroupToken", NULL
};
static const char *const ad_partition_attrs[] = {
	"configurationNamingContext", "schemaNamingContext", NULL
};
static const char *const ad_partition_rdns[] = {
	"dc=domaindnszones", "dc=forestdnszones", NULL
};
static const struct binary_attr ad_binary[] = {
	{ "objectGUID", BINARY_GUID },
	{ "objectSid", BINARY_SID },
	{ NULL, BINARY_GUID }
};

static const struct flavour flavour_ad = {
	.name = "ad",
	/* objectClass=user alone also matches computer accounts */
	.user_filter = "(&(objectCategory=person)(objectClass=user))",
	.user_key = "userPrincipalName",
	/* userAccountControl bit 0x2, ACCOUNTDISABLE, by the bitwise-AND
	 * matching rule */
	.disabled_filter = "(userAccountControl:1.2.840.113556.1.4.803:=2)",
	.uid_attr = NULL,
	.primary_group_id = "primaryGroupID",
	.class_attr = "objectClass",
	.group_classes = ad_group_classes,
	.dn_member_attrs = ad_dn_attrs,
	.uid_member_attr = NULL,
	/* constructed: returned only when asked for by name */
	.primary_group_token = "primaryGroupToken",
	.group_attrs = ad_group_attrs,
	.foreign_class = "foreignSecurityPrincipal",
	/* LDAP_MATCHING_RULE_IN_CHAIN */
	.in_chain_attr = "memberOf:1.2.840.113556.1.4.1941:",
	.rid_attr = "objectSid",
	.skip_partition_attrs = ad_partition_attrs,
	.skip_partition_rdns = ad_partition_rdns,
	.binary = ad_binary,
};

const struct flavour *
flavour_of(enum ldap_schema schema)
{
	return schema == SCHEMA_AD ? &flavour_ad : &flavour_rfc;
}

/* ---- the rootDSE ---- */

struct root_dse {
	bool ad;
	struct strv contexts;           /* namingContexts */
	struct strv partitions;         /* configuration and schema */
	const char *const *partition_attrs;
};

static bool
has_ad_cap(void *ctx, const char *v, size_t len)
{
	struct root_dse *r = ctx;

	if (len == strlen(CAP_ACTIVE_DIRECTORY) &&
	    memcmp(v, CAP_ACTIVE_DIRECTORY, len) == 0)
		r->ad = true;
	return !r->ad;
}

static bool
add_value(void *ctx, const char *v, size_t len)
{
	char *s = xstrndup(v, len);

	strv_push(ctx, s);
	free(s);
	return true;
}

static int
root_entry(void *ctx, const struct session_entry *en, struct err *e)
{
	struct root_dse *r = ctx;
	size_t i;

	if (session_values(en, "supportedCapabilities", has_ad_cap, r, NULL,
	    e) != EXIT_OK ||
	    session_values(en, "namingContexts", add_value, &r->contexts,
	    NULL, e) != EXIT_OK)
		return EXIT_DIRECTORY;
	for (i = 0; r->partition_attrs[i] != NULL; i++)
		if (session_values(en, r->partition_attrs[i], add_value,
		    &r->partitions, NULL, e) != EXIT_OK)
			return EXIT_DIRECTORY;
	return EXIT_OK;
}

static int
read_root_dse(struct session *s, struct root_dse *r, struct err *e)
{
	static const char *const attrs[] = { "supportedCapabilities",
		"namingContexts", "configurationNamingContext",
		"schemaNamingContext", NULL };
	const char *what = "LDAP read of the rootDSE";
	bool missing, timed_out;
	int msgid, rc;

	r->partition_attrs = ad_partition_attrs;
	if ((rc = session_send_base(s, "", attrs, what, &msgid, e)) !=
	    EXIT_OK)
		return rc;
	rc = session_wait_base(s, msgid, what, root_entry, r, &missing,
	    &timed_out, e);
	if (timed_out)
		session_abandon(s, msgid);
	/* A server that hides its rootDSE is not Active Directory. */
	if (rc == EXIT_OK && missing)
		log_debug("%s: no entry", what);
	return rc;
}

/* Whether the normalised DN starts with one of the RDNS. */
static bool
first_rdn_in(const char *ndn, const char *const *rdns)
{
	size_t i, n;

	for (i = 0; rdns[i] != NULL; i++) {
		n = strlen(rdns[i]);
		if (strncmp(ndn, rdns[i], n) == 0 &&
		    (ndn[n] == ',' || ndn[n] == '\0'))
			return true;
	}
	return false;
}

static void
add_skip(struct dir_schema *out, const char *dn)
{
	char *ndn = dn_normalize(dn);

	if (ndn == NULL)
		return;
	out->skip_refs = xreallocarray(out->skip_refs, out->nskip_refs + 1,
	    sizeof(*out->skip_refs));
	out->skip_refs[out->nskip_refs++] = ndn;
}

/* The partitions of R without users, by FL's rules. */
static void
skipped_partitions(const struct flavour *fl, const struct root_dse *r,
    struct dir_schema *out)
{
	size_t i;

	if (fl->skip_partition_attrs[0] != NULL)
		for (i = 0; i < r->partitions.n; i++)
			add_skip(out, r->partitions.v[i]);
	for (i = 0; i < r->contexts.n; i++) {
		char *ndn = dn_normalize(r->contexts.v[i]);

		if (ndn != NULL && first_rdn_in(ndn, fl->skip_partition_rdns))
			add_skip(out, ndn);
		free(ndn);
	}
}

int
flavour_select(struct session *s, const struct config_ldap *cfg,
    struct dir_schema *out, struct err *e)
{
	struct root_dse r = { 0 };
	const char *how = "configured";
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = read_root_dse(s, &r, e)) != EXIT_OK)
		goto out;
	out->fl = flavour_of(cfg->schema);
	if (cfg->schema == SCHEMA_AUTO) {
		out->fl = flavour_of(r.ad ? SCHEMA_AD : SCHEMA_RFC);
		how = r.ad ? "the rootDSE announces Active Directory" :
		    "the rootDSE does not announce Active Directory";
	}
	log_debug("schema %s (%s)", out->fl->name, how);
	if (cfg->nesting == NESTING_IN_CHAIN && out->fl->in_chain_attr ==
	    NULL) {
		err_set(e, "nesting: in-chain needs Active Directory's "
		    "LDAP_MATCHING_RULE_IN_CHAIN, and this directory's "
		    "schema is %s (%s); use nesting: walk", out->fl->name, how);
		rc = EXIT_CONFIG;
		goto out;
	}
	skipped_partitions(out->fl, &r, out);
	session_skip_references(s, out->skip_refs, out->nskip_refs);
out:
	strv_free(&r.contexts);
	strv_free(&r.partitions);
	if (rc != EXIT_OK)
		dir_schema_free(out);
	return rc;
}

void
dir_schema_free(struct dir_schema *sc)
{
	size_t i;

	for (i = 0; i < sc->nskip_refs; i++)
		free(sc->skip_refs[i]);
	free(sc->skip_refs);
	sc->skip_refs = NULL;
	sc->nskip_refs = 0;
}

/* ---- defaults ---- */

const char *
flavour_user_filter(const struct flavour *fl, const struct config_ldap *cfg)
{
	return cfg->user_filter != NULL ? cfg->user_filter : fl->user_filter;
}

const char *
flavour_user_key(const struct flavour *fl, const struct config_ldap *cfg)
{
	return cfg->user_key != NULL ? cfg->user_key : fl->user_key;
}

const char *
flavour_disabled_filter(const struct flavour *fl,
    const struct config_ldap *cfg)
{
	const char *f = cfg->disabled_filter != NULL ? cfg->disabled_filter :
	    fl->disabled_filter;

	return f != NULL && *f != '\0' ? f : NULL;
}

/* ---- values ---- */

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* A GUID as Windows writes it: the first three fields little-endian. */
static char *
guid_text(const unsigned char *p, size_t len)
{
	if (len != 16)
		return NULL;
	return xasprintf("%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    le32(p), (unsigned)(p[4] | p[5] << 8), (unsigned)(p[6] | p[7] << 8),
	    p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
}

/* A SID ([MS-DTYP] 2.4.2): S-REVISION-AUTHORITY-SUBAUTHORITY... */
static char *
sid_text(const unsigned char *p, size_t len)
{
	struct buf b = { 0 };
	uint64_t auth = 0;
	size_t i, n;

	if (len < 8 || p[0] != 1)
		return NULL;
	n = p[1];
	if (len != 8 + 4 * n)
		return NULL;
	for (i = 2; i < 8; i++)
		auth = auth << 8 | p[i];
	buf_printf(&b, "S-%u-%llu", p[0], (unsigned long long)auth);
	for (i = 0; i < n; i++)
		buf_printf(&b, "-%u", (unsigned)le32(p + 8 + 4 * i));
	return b.data;
}

char *
flavour_value(const struct flavour *fl, const char *attr, const char *v,
    size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i;

	for (i = 0; fl->binary[i].name != NULL; i++)
		if (strcasecmp(attr, fl->binary[i].name) == 0)
			return fl->binary[i].form == BINARY_GUID ?
			    guid_text(p, len) : sid_text(p, len);
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return NULL;
	return xstrndup(v, len);
}
