# SPDX-License-Identifier: Apache-2.0
#
# What the registry tests share: a test CA and certificates made here, Debian's
# docker-registry (distribution 2.8) started on loopback with a config the
# test chooses, and the test servers of registry-servers.py. Everything is
# stopped and removed when the test exits.
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/registry-lib.sh"
#   reg_need registry || { t_skip ...; t_done; exit; }
#   reg_pki
#   reg_start main tls htpasswd     # sets REG_main (host:port), REG_main_DIR, REG_main_PID
#   reg_server fake "$layout"       # sets SRV_fake (host:port)

REG_SERVERS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/registry-servers.py"
REG_USER=alice
REG_PASS='s3cret-Pa55-w0rd'

# reg_need [registry]: openssl, curl and python3 with the cryptography module
# are here, and with "registry" docker-registry and htpasswd (bcrypt) too;
# else REG_MISSING says what is not.
reg_need() {
	REG_MISSING=""
	if [ "${1:-}" = registry ]; then
		need docker-registry || REG_MISSING="$REG_MISSING docker-registry (Debian's docker-registry)"
		need htpasswd || REG_MISSING="$REG_MISSING htpasswd (apache2-utils)"
	fi
	need openssl || REG_MISSING="$REG_MISSING openssl"
	need curl || REG_MISSING="$REG_MISSING curl"
	need python3 && python3 -c 'import cryptography' 2>/dev/null ||
		REG_MISSING="$REG_MISSING python3-cryptography"
	[ -z "$REG_MISSING" ]
}

# reg_pki: in $T/pki a CA (ca.crt), a server certificate for 127.0.0.1 and
# localhost signed by it (srv.crt, srv.key), a token-signing RSA key with a
# self-signed certificate (sign.key, sign.crt), another RSA key
# (other.key), and a client certificate signed by the CA (client.cert,
# client.key).
reg_pki() {
	local d="$T/pki"
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj "/CN=bulkhead test CA" &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out srv.crt -days 2 -extfile srv.ext &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout sign.key -out sign.crt \
				-days 2 -subj "/CN=bulkhead test token signer" &&
			openssl genrsa -out other.key 2048 &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout client.key -out client.csr -subj "/CN=bulkhead test client" &&
			printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
			openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out client.cert -days 2 -extfile client.ext
	) >"$T/pki.log" 2>&1
}

reg_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# reg_start NAME tls|plain|mtls none|htpasswd|token [TOKEN-REALM]: start a
# registry; REG_<NAME> is its host:port, REG_<NAME>_DIR its storage. mtls:
# TLS that also asks for a client certificate signed by the test CA.
# REG_EXTRA_CONFIG, when set, is appended to its config.yml (YAML at the top
# level, e.g. notifications:).
reg_start() {
	local name="$1" tls="$2" auth="$3" realm="${4:-}" dir="$T/reg-$1" port i
	mkdir -p "$dir/storage"
	if [ "$auth" = htpasswd ] && [ ! -f "$T/htpasswd" ]; then
		htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$T/htpasswd" 2>/dev/null || return 1
	fi
	for i in 1 2 3; do
		port=$(reg_free_port)
		{
			echo "version: 0.1"
			echo "log: {level: info, accesslog: {disabled: false}}"
			echo "storage: {filesystem: {rootdirectory: $dir/storage}, delete: {enabled: true}}"
			echo "http:"
			echo "  addr: 127.0.0.1:$port"
			echo "  secret: bulkhead-test-$RANDOM$RANDOM"
			if [ "$tls" != plain ]; then
				echo "  tls:"
				echo "    certificate: $T/pki/srv.crt"
				echo "    key: $T/pki/srv.key"
				[ "$tls" = mtls ] && echo "    clientcas: [$T/pki/ca.crt]"
			fi
			case "$auth" in
			htpasswd) echo "auth: {htpasswd: {realm: test-realm, path: $T/htpasswd}}" ;;
			token)
				echo "auth:"
				echo "  token:"
				echo "    realm: $realm"
				echo "    service: test-registry"
				echo "    issuer: test-issuer"
				echo "    rootcertbundle: $T/pki/sign.crt"
				;;
			esac
			if [ -n "${REG_EXTRA_CONFIG:-}" ]; then printf "%s\n" "$REG_EXTRA_CONFIG"; fi
		} >"$dir/config.yml"
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		local pid=$!
		on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
		for _ in $(seq 1 100); do
			if [ "$tls" = plain ]; then
				curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
			else
				local cargs=(--cacert "$T/pki/ca.crt")
				[ "$tls" = mtls ] && cargs+=(--cert "$T/pki/client.cert" --key "$T/pki/client.key")
				curl -s -o /dev/null "${cargs[@]}" "https://127.0.0.1:$port/v2/" && break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			printf -v "REG_$name" '%s' "127.0.0.1:$port"
			printf -v "REG_${name}_DIR" '%s' "$dir"
			printf -v "REG_${name}_PID" '%s' "$pid"
			return 0
		fi
	done
	return 1
}

# reg_server NAME ARGS...: start registry-servers.py NAME ARGS (PORTFILE and,
# for token and fake, LOG CERT KEY are added first); SRV_<NAME> is its
# host:port, SRV_<NAME>_LOG its log.
reg_server() {
	local name="$1" pf="$T/srv-$1.port" lf="$T/srv-$1.log"
	shift
	: >"$lf"
	if [ "$name" = stall ]; then
		python3 "$REG_SERVERS" stall "$pf" 2>"$T/srv-$name.err" &
	else
		python3 "$REG_SERVERS" "$name" "$pf" "$lf" "$T/pki/srv.crt" "$T/pki/srv.key" "$@" \
			2>"$T/srv-$name.err" &
	fi
	local pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	for _ in $(seq 1 100); do
		[ -s "$pf" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$pf" ] || return 1
	printf -v "SRV_$name" '%s' "127.0.0.1:$(cat "$pf")"
	printf -v "SRV_${name}_LOG" '%s' "$lf"
}

# reg_auth_file FILE HOST USER PASS: a docker config.json with these credentials.
reg_auth_file() {
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$2" "$(printf '%s:%s' "$3" "$4" | base64 -w0)" >"$1"
}

# reg_blob_file STORAGE DIGEST: where docker-registry keeps a blob's bytes.
reg_blob_file() {
	local hex="${2#sha256:}"
	echo "$1/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}
