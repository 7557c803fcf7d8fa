/* jwt.h - the client assertion for OAuth2 certificate credentials */
#ifndef LICSYNC_JWT_H
#define LICSYNC_JWT_H

#include <stdint.h>

#include "util/util.h"

/*
 * A JWT (RFC 7519) signed RS256 with the private key in KEY_FILE (PEM,
 * not group/world readable), for the certificate in CERT_FILE (PEM):
 * header {"alg":"RS256","typ":"JWT","x5t#S256": base64url(SHA-256(DER))},
 * claims aud = AUDIENCE (the token URL), iss = sub = CLIENT_ID, jti a
 * random GUID, nbf = iat = NOW, exp = NOW + 600.  Returns EXIT_OK or
 * EXIT_CONFIG (unreadable or mismatched files); messages name files only.
 */
int jwt_client_assertion(const char *cert_file, const char *key_file,
    const char *client_id, const char *audience, int64_t now, char **out,
    struct err *e);

#endif
