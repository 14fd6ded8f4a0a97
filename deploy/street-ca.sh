#!/usr/bin/env bash
# The street's own CA and the centre's server certificate, made so that every supported Python
# (3.11–3.13, whose ssl module checks X.509 strictly) accepts them: the CA has basicConstraints
# CA:TRUE (critical), keyUsage keyCertSign/cRLSign and a Subject Key Identifier; the server certificate
# has CA:FALSE, serverAuth, the centre's name in subjectAltName, and both key identifiers (SKI, AKI).
# A common openssl one-liner makes a CA without them, which Python 3.13 refuses
# ("Missing Authority Key Identifier" / "CA cert does not include key usage extension").
#
#   deploy/street-ca.sh OUT_DIR NAME [NAME ...]     NAME: a DNS name or an IP address of the centre
#
# Writes OUT_DIR/street-ca.pem (give it to every kiosk as sync.ca_bundle), street-ca.key (keep it
# offline), centre.crt and centre.key (for nginx). An existing CA in OUT_DIR is reused, so the
# centre's certificate can be renewed without touching the kiosks.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR NAME [NAME ...]" >&2; exit 2; }
out=$1; shift
mkdir -p "$out"; cd "$out"
umask 077

sans=()
for name in "$@"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then sans+=("IP:$name"); else sans+=("DNS:$name"); fi
done
san=$(IFS=,; echo "${sans[*]}")

if [ ! -f street-ca.pem ]; then
  cat > street-ca.cnf <<CNF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = ${STREET_CA_NAME:-Street service centre CA}
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
  openssl req -x509 -config street-ca.cnf -newkey rsa:3072 -nodes -sha256 \
    -keyout street-ca.key -out street-ca.pem -days "${STREET_CA_DAYS:-3650}" 2>/dev/null
fi

cat > centre.ext <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EXT
openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout centre.key -out centre.csr -subj "/CN=$1" 2>/dev/null
openssl x509 -req -in centre.csr -CA street-ca.pem -CAkey street-ca.key -CAcreateserial -sha256 \
  -out centre.crt -days "${CENTRE_CERT_DAYS:-825}" -extfile centre.ext 2>/dev/null
chmod 644 street-ca.pem centre.crt
echo "street CA: $out/street-ca.pem   centre: $out/centre.crt + centre.key   names: $san"
