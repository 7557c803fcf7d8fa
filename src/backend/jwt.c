/* jwt.c - the client assertion for OAuth2 certificate credentials */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "backend/jwt.h"

#define ASSERTION_LIFETIME 600  /* seconds; Entra allows at most 10 min */

/* base64url (RFC 4648 section 5) without padding. */
static char *
b64url(const unsigned char *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1);
	int len, i;

	len = EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	while (len > 0 && s[len - 1] == '=')
		len--;
	s[len] = '\0';
	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

/*
 * The content of PATH into a new buffer of *LEN bytes, to be cleared and
 * freed by the caller.  A private file (the key) is opened without
 * following a symbolic link and must grant nothing to group or others,
 * like the secret files.  WHAT names the file in messages.
 */
static int
read_pem(const char *path, const char *what, bool private, char **out,
    size_t *lenp, struct err *e)
{
	return read_file(path, what, MAX_PEM_FILE, private ? RF_PRIVATE : 0,
	    out, lenp, e);
}

static int
load_cert(const char *path, X509 **out, struct err *e)
{
	char *data;
	size_t len;
	BIO *bio = NULL;
	int r;

	*out = NULL;
	r = read_pem(path, "certificate file", false, &data, &len, e);
	if (r != EXIT_OK)
		return r;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (*out == NULL) {
		err_set(e, "%s: not a PEM certificate", path);
		r = EXIT_CONFIG;
	}
	BIO_free(bio);
	free(data);
	return r;
}

/* No passphrase: an encrypted key is refused, never prompted for. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
load_key(const char *path, EVP_PKEY **out, struct err *e)
{
	char *data;
	size_t len;
	BIO *bio = NULL;
	int r;

	*out = NULL;
	r = read_pem(path, "key file", true, &data, &len, e);
	if (r != EXIT_OK)
		return r;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		*out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (*out == NULL) {
		err_set(e, "%s: not an unencrypted PEM private key", path);
		r = EXIT_CONFIG;
	} else if (EVP_PKEY_get_base_id(*out) != EVP_PKEY_RSA) {
		err_set(e, "%s: not an RSA key", path);
		EVP_PKEY_free(*out);
		*out = NULL;
		r = EXIT_CONFIG;
	}
	BIO_free(bio);
	explicit_bzero(data, len);
	free(data);
	return r;
}

/* base64url(SHA-256(DER of CERT)), the x5t#S256 header parameter. */
static char *
thumbprint(X509 *cert)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *s = NULL;
	int n;

	n = i2d_X509(cert, &der);
	if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(),
	    NULL) == 1)
		s = b64url(md, mdlen);
	OPENSSL_free(der);
	return s;
}

/* A random (version 4) GUID into out[37]. */
static bool
random_guid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, (int)sizeof(b)) != 1)
		return false;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return true;
}

/* base64url of the compact JSON of J (which is released). */
static char *
b64url_json(json_t *j)
{
	char *text, *s;

	if (j == NULL)
		return NULL;
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (text == NULL)
		return NULL;
	s = b64url((const unsigned char *)text, strlen(text));
	free(text);
	return s;
}

/* HEADER.CLAIMS signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256). */
static char *
sign(EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *s = NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto out;
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto out;
	s = b64url(sig, siglen);
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return s;
}

int
jwt_client_assertion(const char *cert_file, const char *key_file,
    const char *client_id, const char *audience, int64_t now, char **out,
    struct err *e)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char jti[37], *thumb = NULL, *header = NULL, *claims = NULL;
	char *input = NULL, *sig = NULL;
	int r;

	*out = NULL;
	r = load_cert(cert_file, &cert, e);
	if (r != EXIT_OK)
		goto out;
	r = load_key(key_file, &key, e);
	if (r != EXIT_OK)
		goto out;
	r = EXIT_CONFIG;
	if (X509_check_private_key(cert, key) != 1) {
		err_set(e, "%s: the key does not match %s", key_file,
		    cert_file);
		goto out;
	}
	thumb = thumbprint(cert);
	if (thumb == NULL) {
		err_set(e, "%s: cannot encode the certificate", cert_file);
		goto out;
	}
	if (!random_guid(jti)) {
		err_set(e, "cannot get random bytes for the client assertion");
		goto out;
	}
	header = b64url_json(json_pack("{s:s, s:s, s:s}", "alg", "RS256",
	    "typ", "JWT", "x5t#S256", thumb));
	claims = b64url_json(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
	    "aud", audience, "iss", client_id, "sub", client_id, "jti", jti,
	    "nbf", (json_int_t)now, "iat", (json_int_t)now,
	    "exp", (json_int_t)(now + ASSERTION_LIFETIME)));
	if (header == NULL || claims == NULL) {
		err_set(e, "cannot build the client assertion");
		goto out;
	}
	input = xasprintf("%s.%s", header, claims);
	sig = sign(key, input);
	if (sig == NULL) {
		err_set(e, "%s: cannot sign the client assertion", key_file);
		goto out;
	}
	*out = xasprintf("%s.%s", input, sig);
	r = EXIT_OK;
out:
	/* Leave nothing behind for the TLS library to misreport. */
	ERR_clear_error();
	free(sig);
	free(input);
	free(claims);
	free(header);
	free(thumb);
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}
