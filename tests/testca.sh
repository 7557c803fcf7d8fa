# tests/testca.sh - the tests' own CA (sourced, bash): test_ca_make DIR
# writes DIR/ca.pem (a throwaway CA, with ca.key) and DIR/server.pem with
# DIR/server.key (a server certificate it signed, for IP:127.0.0.1 and
# localhost), so that the test servers (slapd, the Samba DC) serve TLS
# their clients verify.  It returns 1, with openssl's words on stderr,
# when that fails.

test_ca_make() {
	local dir=$1 serial
	cat >"$dir/openssl.cnf" <<'EOF'
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = licsync test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
	serial=0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	(
		umask 077
		openssl req -config "$dir/openssl.cnf" -x509 -nodes \
			-newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-subj '/O=licsync tests/CN=licsync test CA' \
			-extensions ca_ext -days 7 \
			-keyout "$dir/ca.key" -out "$dir/ca.pem" &&
		openssl req -config "$dir/openssl.cnf" -new -nodes \
			-newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-subj '/O=licsync tests/CN=localhost' \
			-keyout "$dir/server.key" -out "$dir/server.csr" &&
		openssl x509 -req -in "$dir/server.csr" -days 7 \
			-CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-set_serial "$serial" \
			-extfile "$dir/openssl.cnf" -extensions server_ext \
			-out "$dir/server.pem"
	) >"$dir/openssl.log" 2>&1 || {
		cat "$dir/openssl.log" >&2
		return 1
	}
	chmod 644 "$dir/ca.pem" "$dir/server.pem"
	return 0
}
