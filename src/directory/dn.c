/* dn.c - distinguished name normalisation through libldap's DN parser */
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "directory/dn.h"
#include "util/util.h"

static void
fold_bv(struct berval *bv)
{
	ber_len_t i;

	for (i = 0; i < bv->bv_len; i++) {
		char c = bv->bv_val[i];

		if (c >= 'A' && c <= 'Z')
			bv->bv_val[i] = (char)(c - 'A' + 'a');
	}
}

static int
bv_cmp(const struct berval *a, const struct berval *b)
{
	ber_len_t n = a->bv_len < b->bv_len ? a->bv_len : b->bv_len;
	/* an empty value ("cn=") may have no buffer at all */
	int c = n > 0 ? memcmp(a->bv_val, b->bv_val, n) : 0;

	if (c != 0)
		return c;
	return (a->bv_len > b->bv_len) - (a->bv_len < b->bv_len);
}

static int
ava_cmp(const void *pa, const void *pb)
{
	const LDAPAVA *a = *(const LDAPAVA *const *)pa;
	const LDAPAVA *b = *(const LDAPAVA *const *)pb;
	int c = bv_cmp(&a->la_attr, &b->la_attr);

	return c != 0 ? c : bv_cmp(&a->la_value, &b->la_value);
}

char *
dn_normalize(const char *dn)
{
	LDAPDN ldn = NULL;
	char *out = NULL, *res;
	size_t i, j;

	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	if (ldn == NULL)        /* the empty (root) DN */
		return xstrdup("");
	for (i = 0; ldn[i] != NULL; i++) {
		LDAPRDN rdn = ldn[i];

		for (j = 0; rdn[j] != NULL; j++) {
			/* "cn=#" is no BER encoding, though libldap takes it
			 * before a '+' or ',': a DN it cannot read back */
			if ((rdn[j]->la_flags & LDAP_AVA_BINARY) &&
			    rdn[j]->la_value.bv_len == 0) {
				ldap_dnfree(ldn);
				return NULL;
			}
			fold_bv(&rdn[j]->la_attr);
			if (!(rdn[j]->la_flags & LDAP_AVA_BINARY))
				fold_bv(&rdn[j]->la_value);
		}
		qsort(rdn, j, sizeof(*rdn), ava_cmp);
	}
	if (ldap_dn2str(ldn, &out, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		out = NULL;
	ldap_dnfree(ldn);
	if (out == NULL)
		return NULL;
	res = xstrdup(out);
	ldap_memfree(out);
	return res;
}

char *
dn_strip_uid(const char *value)
{
	size_t n = strlen(value);
	const char *hash;

	/* NameAndOptionalUID: dn "#'" bits "'B" */
	if (n >= 4 && value[n - 1] == 'B' && value[n - 2] == '\'') {
		hash = strstr(value, "#'");
		if (hash != NULL && hash > value) {
			const char *p;

			for (p = hash + 2; p < value + n - 2; p++)
				if (*p != '0' && *p != '1')
					break;
			if (p == value + n - 2)
				return xstrndup(value, (size_t)(hash - value));
		}
	}
	return xstrdup(value);
}
