/* test_jwt.c - the client assertion: its exact header and claims, its
 * signature, and every refused key or certificate */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "backend/jwt.h"

#define NOW 1700000000
#define AUD "http://127.0.0.1:8080/contoso.onmicrosoft.com/oauth2/v2.0/token"
#define CLIENT "00000000-0000-0000-0000-0000000000c1"

/* Throwaway keys and certificates, made once for every test. */
struct fixture {
	char *dir;
	char *cert;             /* self-signed, for key */
	char *key;              /* RSA, 0600 */
	char *other;            /* another RSA key */
	char *ec_cert, *ec_key; /* P-256 */
	char *encrypted;        /* key, encrypted with a passphrase */
	char *group;            /* key, mode 0640 */
	char *world;            /* key, mode 0604 */
	char *link;             /* a symbolic link to key */
	char *subdir;           /* a directory */
	char *empty;            /* an empty file, 0600 */
	char *combined;         /* cert and key in one file, 0600 */
	char *cert_only;        /* cert, 0600 */
	char *missing;          /* does not exist */
	X509 *x509;
};

static char *
path_in(const struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static X509 *
self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"licsync-test", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static FILE *
create(const char *path, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(chmod(path, mode), 0);
	return fp;
}

static void
write_key(const char *path, EVP_PKEY *key, mode_t mode, bool encrypt)
{
	FILE *fp = create(path, mode);

	if (encrypt)
		assert_int_equal(PEM_write_PrivateKey(fp, key,
		    EVP_aes_256_cbc(), (unsigned char *)"passphrase", 10,
		    NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0,
		    NULL, NULL), 1);
	assert_int_equal(fclose(fp), 0);
}

static void
write_cert(const char *path, X509 *x, mode_t mode)
{
	FILE *fp = create(path, mode);

	assert_int_equal(PEM_write_X509(fp, x), 1);
	assert_int_equal(fclose(fp), 0);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	EVP_PKEY *key, *other, *ec;
	X509 *ec_x509;
	FILE *fp;

	f->dir = xasprintf("%s/licsync-jwt-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	key = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	ec = EVP_EC_gen("P-256");
	assert_non_null(key);
	assert_non_null(other);
	assert_non_null(ec);
	f->x509 = self_signed(key);
	ec_x509 = self_signed(ec);

	f->cert = path_in(f, "cert.pem");
	write_cert(f->cert, f->x509, 0644);
	f->cert_only = path_in(f, "cert-only.pem");
	write_cert(f->cert_only, f->x509, 0600);
	f->key = path_in(f, "key.pem");
	write_key(f->key, key, 0600, false);
	f->other = path_in(f, "other.pem");
	write_key(f->other, other, 0600, false);
	f->ec_cert = path_in(f, "ec-cert.pem");
	write_cert(f->ec_cert, ec_x509, 0644);
	f->ec_key = path_in(f, "ec-key.pem");
	write_key(f->ec_key, ec, 0400, false);
	f->encrypted = path_in(f, "encrypted.pem");
	write_key(f->encrypted, key, 0600, true);
	f->group = path_in(f, "group.pem");
	write_key(f->group, key, 0640, false);
	f->world = path_in(f, "world.pem");
	write_key(f->world, key, 0604, false);
	f->link = path_in(f, "link.pem");
	assert_int_equal(symlink("key.pem", f->link), 0);
	f->subdir = path_in(f, "dir");
	assert_int_equal(mkdir(f->subdir, 0700), 0);
	f->empty = path_in(f, "empty.pem");
	assert_int_equal(fclose(create(f->empty, 0600)), 0);
	f->combined = path_in(f, "combined.pem");
	fp = create(f->combined, 0600);
	assert_int_equal(PEM_write_X509(fp, f->x509), 1);
	assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL,
	    NULL), 1);
	assert_int_equal(fclose(fp), 0);
	f->missing = path_in(f, "missing.pem");

	X509_free(ec_x509);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ec);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *paths[] = {
		f->cert, f->key, f->other, f->ec_cert, f->ec_key,
		f->encrypted, f->group, f->world, f->link, f->empty,
		f->combined, f->cert_only, f->missing,
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	rmdir(f->subdir);
	free(f->subdir);
	rmdir(f->dir);
	free(f->dir);
	X509_free(f->x509);
	free(f);
	return 0;
}

/* ---- decoding ---- */

static int
b64url_value(char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

/* Decode N characters of unpadded base64url; fails the test on anything
 * else (padding, '+', '/'). */
static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *out = xmalloc(n * 3 / 4 + 1);
	unsigned bits = 0;
	int nbits = 0, v;
	size_t i, len = 0;

	assert_int_not_equal(n % 4, 1);
	for (i = 0; i < n; i++) {
		v = b64url_value(s[i]);
		if (v < 0)
			fail_msg("not base64url: '%c' in %.*s", s[i], (int)n,
			    s);
		bits = (bits << 6) | (unsigned)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			out[len++] = (unsigned char)(bits >> nbits);
			bits &= (1u << nbits) - 1;
		}
	}
	assert_int_equal(bits, 0);      /* canonical: no stray bits */
	out[len] = '\0';
	*outlen = len;
	return out;
}

static char *
b64url_encode(const unsigned char *p, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *s = xmalloc(n * 4 / 3 + 4);
	size_t i, len = 0;
	unsigned bits = 0;
	int nbits = 0;

	for (i = 0; i < n; i++) {
		bits = (bits << 8) | p[i];
		nbits += 8;
		while (nbits >= 6) {
			nbits -= 6;
			s[len++] = alphabet[(bits >> nbits) & 63];
		}
	}
	if (nbits > 0)
		s[len++] = alphabet[(bits << (6 - nbits)) & 63];
	s[len] = '\0';
	return s;
}

/* The three parts of a compact JWS. */
struct jws {
	char *header, *claims;  /* decoded JSON text */
	unsigned char *sig;
	size_t siglen;
	size_t signed_len;      /* of "HEADER.CLAIMS" */
};

static void
split(const char *jwt, struct jws *j)
{
	const char *dot1 = strchr(jwt, '.'), *dot2;
	size_t n;

	assert_non_null(dot1);
	dot2 = strchr(dot1 + 1, '.');
	assert_non_null(dot2);
	assert_null(strchr(dot2 + 1, '.'));
	j->header = (char *)b64url_decode(jwt, (size_t)(dot1 - jwt), &n);
	assert_int_equal(strlen(j->header), n);
	j->claims = (char *)b64url_decode(dot1 + 1,
	    (size_t)(dot2 - dot1 - 1), &n);
	assert_int_equal(strlen(j->claims), n);
	j->sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &j->siglen);
	j->signed_len = (size_t)(dot2 - jwt);
}

static void
jws_free(struct jws *j)
{
	free(j->header);
	free(j->claims);
	free(j->sig);
}

/* base64url(SHA-256(DER)), computed another way than jwt.c does. */
static char *
expected_thumbprint(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	return b64url_encode(md, n);
}

static bool
is_guid_v4(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdef", s[i]) == NULL ||
		    s[i] == '\0') {
			return false;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static char *
make(const struct fixture *f, const char *client, const char *aud)
{
	struct err e = { "" };
	char *jwt = NULL;

	if (jwt_client_assertion(f->cert, f->key, client, aud, NOW, &jwt,
	    &e) != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_non_null(jwt);
	return jwt;
}

/* ---- tests ---- */

static void
test_assertion(void **state)
{
	struct fixture *f = *state;
	struct jws j;
	EVP_MD_CTX *ctx;
	json_t *claims;
	char *jwt, *thumb, *want, jti[37];

	jwt = make(f, CLIENT, AUD);
	split(jwt, &j);

	thumb = expected_thumbprint(f->x509);
	want = xasprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\","
	    "\"x5t#S256\":\"%s\"}", thumb);
	assert_string_equal(j.header, want);
	free(want);

	claims = json_loads(j.claims, 0, NULL);
	assert_non_null(claims);
	assert_true(json_is_string(json_object_get(claims, "jti")));
	snprintf(jti, sizeof(jti), "%s",
	    json_string_value(json_object_get(claims, "jti")));
	json_decref(claims);
	if (!is_guid_v4(jti))
		fail_msg("jti is not a version 4 GUID: %s", jti);
	want = xasprintf("{\"aud\":\"" AUD "\",\"iss\":\"" CLIENT "\","
	    "\"sub\":\"" CLIENT "\",\"jti\":\"%s\",\"nbf\":%d,\"iat\":%d,"
	    "\"exp\":%d}", jti, NOW, NOW, NOW + 600);
	assert_string_equal(j.claims, want);
	free(want);

	/* RS256: RSASSA-PKCS1-v1_5 with SHA-256, by the certificate's key. */
	assert_int_equal(j.siglen, 256);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(f->x509)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, j.sig, j.siglen,
	    (const unsigned char *)jwt, j.signed_len), 1);
	EVP_MD_CTX_free(ctx);

	/* A changed claim no longer verifies. */
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(f->x509)), 1);
	jwt[j.signed_len - 1] ^= 1;
	assert_int_not_equal(EVP_DigestVerify(ctx, j.sig, j.siglen,
	    (const unsigned char *)jwt, j.signed_len), 1);
	EVP_MD_CTX_free(ctx);

	jws_free(&j);
	free(thumb);
	free(jwt);
}

/* Every assertion has its own jti. */
static void
test_unique_jti(void **state)
{
	struct fixture *f = *state;
	char *a = make(f, CLIENT, AUD), *b = make(f, CLIENT, AUD);
	struct jws ja, jb;

	split(a, &ja);
	split(b, &jb);
	assert_string_equal(ja.header, jb.header);
	assert_string_not_equal(ja.claims, jb.claims);
	jws_free(&ja);
	jws_free(&jb);
	free(a);
	free(b);
}

/* Values are JSON strings, escaped where needed; '/' stays as it is. */
static void
test_escaping(void **state)
{
	struct fixture *f = *state;
	static const char client[] = "a\"b\\c";
	static const char aud[] = "https://login.example.com/t/oauth2/token";
	struct jws j;
	json_t *claims;
	char *jwt = make(f, client, aud);

	split(jwt, &j);
	assert_non_null(strstr(j.claims, "\"iss\":\"a\\\"b\\\\c\""));
	assert_non_null(strstr(j.claims, "\"aud\":\"https://login.example.com/"
	    "t/oauth2/token\""));
	claims = json_loads(j.claims, 0, NULL);
	assert_non_null(claims);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
	    client);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
	    client);
	assert_string_equal(json_string_value(json_object_get(claims, "aud")),
	    aud);
	json_decref(claims);
	jws_free(&j);
	free(jwt);
}

/* The certificate and the key may share one (private) file. */
static void
test_combined_file(void **state)
{
	struct fixture *f = *state;
	struct err e = { "" };
	char *jwt = NULL;

	if (jwt_client_assertion(f->combined, f->combined, CLIENT, AUD, NOW,
	    &jwt, &e) != EXIT_OK)
		fail_msg("%s", e.msg);
	assert_non_null(jwt);
	free(jwt);
}

static void
check_error(const char *cert, const char *key, const char *msg)
{
	struct err e = { "" };
	char *jwt = (char *)&jwt;

	assert_int_equal(jwt_client_assertion(cert, key, CLIENT, AUD, NOW,
	    &jwt, &e), EXIT_CONFIG);
	assert_null(jwt);
	assert_string_equal(e.msg, msg);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	struct {
		const char *cert, *key;
		char *msg;
	} cases[] = {
		{ f->cert, f->missing, xasprintf("%s: cannot open key file: "
		  "No such file or directory", f->missing) },
		{ f->missing, f->key, xasprintf("%s: cannot open certificate "
		  "file: No such file or directory", f->missing) },
		{ f->cert, f->other, xasprintf("%s: the key does not match %s",
		  f->other, f->cert) },
		{ f->cert, f->group, xasprintf("%s: key file is accessible by "
		  "group or others (mode 0640); chmod 600 it", f->group) },
		{ f->cert, f->world, xasprintf("%s: key file is accessible by "
		  "group or others (mode 0604); chmod 600 it", f->world) },
		{ f->ec_cert, f->ec_key, xasprintf("%s: not an RSA key",
		  f->ec_key) },
		{ f->cert, f->ec_key, xasprintf("%s: not an RSA key",
		  f->ec_key) },
		{ f->cert, f->encrypted, xasprintf("%s: not an unencrypted PEM "
		  "private key", f->encrypted) },
		{ f->cert, f->empty, xasprintf("%s: not an unencrypted PEM "
		  "private key", f->empty) },
		{ f->cert, f->cert_only, xasprintf("%s: not an unencrypted PEM "
		  "private key", f->cert_only) },
		{ f->cert, f->cert, xasprintf("%s: key file is accessible by "
		  "group or others (mode 0644); chmod 600 it", f->cert) },
		{ f->key, f->key, xasprintf("%s: not a PEM certificate",
		  f->key) },
		{ f->empty, f->key, xasprintf("%s: not a PEM certificate",
		  f->empty) },
		{ f->cert, f->link, xasprintf("%s: cannot open key file: Too "
		  "many levels of symbolic links", f->link) },
		{ f->cert, f->subdir, xasprintf("%s: not a regular file",
		  f->subdir) },
		{ f->subdir, f->key, xasprintf("%s: not a regular file",
		  f->subdir) },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_error(cases[i].cert, cases[i].key, cases[i].msg);
		free(cases[i].msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assertion),
		cmocka_unit_test(test_unique_jti),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_combined_file),
		cmocka_unit_test(test_errors),
	};

	/* make check runs these under the TAP driver. */
	setenv("CMOCKA_MESSAGE_OUTPUT", "TAP", 0);
	return cmocka_run_group_tests_name("jwt", tests, setup, teardown);
}
