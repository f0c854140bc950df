#!/usr/bin/env bash
# gen-certs.sh DIR: fresh test PKI for sluice-mockapi and the TLS tests, made with the openssl CLI.
#   ca.pem/ca.key             private CA (trust it with --cacert)
#   server.pem/server.key     for 127.0.0.1, ::1 and localhost, signed by the CA
#   expired.pem/expired.key   same names, signed by the CA, validity ended in 2021
#   wronghost.pem/.key        signed by the CA for "wrong.example" only
#   unknown.pem/unknown.key   self-signed for 127.0.0.1/localhost (a CA nobody trusts)
# Keys are EC P-256, mode 0600. Everything else stays in DIR/.work (deleted at the end).
set -euo pipefail

dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
umask 077
work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key "$dir/ca.key"
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=sluice test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"

# leaf NAME CN SAN: a CA-signed server certificate valid now.
leaf() {
    local name=$1 cn=$2 san=$3
    key "$dir/$name.key"
    openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$san" >"$work/$name.ext"
    openssl x509 -req -in "$work/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -CAserial "$work/ca.srl" -days 825 -sha256 -extfile "$work/$name.ext" \
        -out "$dir/$name.pem" 2>/dev/null
}

local_san="IP:127.0.0.1,IP:::1,DNS:localhost"
leaf server localhost "$local_san"
leaf wronghost wrong.example "DNS:wrong.example"

# Expired: `openssl x509 -req` (3.0) cannot backdate, `openssl ca` can.
key "$dir/expired.key"
openssl req -new -key "$dir/expired.key" -subj "/CN=localhost" -out "$work/expired.csr"
touch "$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $work/index.txt
serial = $work/serial
new_certs_dir = $work
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $local_san
CNF
openssl ca -batch -config "$work/ca.cnf" -cert "$dir/ca.pem" -keyfile "$dir/ca.key" \
    -startdate 20200101000000Z -enddate 20210101000000Z -in "$work/expired.csr" \
    -out "$dir/expired.pem" -notext 2>/dev/null

key "$dir/unknown.key"
openssl req -x509 -new -key "$dir/unknown.key" -sha256 -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=$local_san" -addext "basicConstraints=critical,CA:FALSE" \
    -out "$dir/unknown.pem"

chmod 600 "$dir"/*.key
chmod 644 "$dir"/*.pem
