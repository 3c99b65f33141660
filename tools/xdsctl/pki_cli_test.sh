#!/bin/sh
# `xdsctl pki` as operators run it: the real binary, --data DIR's pki folder, the JSON
# contract of DESIGN §5 ({"cert": PEM_PATH, "key": PEM_PATH}) parsed by python3, and, when
# the openssl command is installed, OpenSSL's own verify with the CRL before and after revoke.
set -eu
X="$PWD/tools/xdsctl/xdsctl"
D="${TEST_TMPDIR:-$(mktemp -d)}/data"
rm -rf "$D"
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { /usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])
assert sorted(d) == ["cert", "key"], d
print(d[sys.argv[2]])' "$1" "$2"; }

"$X" --data "$D" pki init --region "Test Region" >/dev/null
[ "$(stat -c %a "$D/pki")" = 700 ] || fail "pki directory is not 0700"
[ "$(stat -c %a "$D/pki/ca.key")" = 600 ] || fail "ca.key is not 0600"

client=$("$X" --data "$D" pki issue --name "Maternity A" --organization-id 2.999.7 --roles consumer,source \
  --format=json)
cert=$(field "$client" cert)
key=$(field "$client" key)
[ -f "$cert" ] && [ -f "$key" ] || fail "issue printed paths that do not exist: $client"
[ "$(stat -c %a "$key")" = 600 ] || fail "the key is not 0600"
server=$("$X" --data "$D" pki issue --name registry --organization-id 2.999 --server --dns localhost \
  --ip 127.0.0.1 --format=json)
server_cert=$(field "$server" cert)

set +e
"$X" --data "$D" pki init >/dev/null 2>&1
[ $? -eq 1 ] || fail "a second init must be refused with exit 1"
"$X" --data "$D" pki issue --name B --organization-id 1 --roles nurse >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown role must be a usage error"
"$X" --data "$D" pki revoke ABCDEF >/dev/null 2>&1
[ $? -eq 4 ] || fail "revoking an unknown serial must exit 4"
set -e

if command -v openssl >/dev/null; then
  verify() { openssl verify -CAfile "$D/pki/ca.pem" -crl_check -CRLfile "$D/pki/crl.pem" "$@" 2>&1; }
  verify -purpose sslclient "$cert" >/dev/null || fail "the client certificate does not verify"
  verify -purpose sslserver "$server_cert" >/dev/null || fail "the server certificate does not verify"
  subject=$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253)
  case "$subject" in *"OU=source,OU=consumer,organizationIdentifier=2.999.7"*) ;; *) fail "subject: $subject" ;; esac
fi
"$X" --data "$D" pki revoke "$cert" --format=json | grep -q '"crl":' || fail "revoke printed no JSON"
grep -q "^R	" "$D/pki/index.txt" || fail "the index does not mark the certificate revoked"
if command -v openssl >/dev/null; then
  verify "$cert" | grep -q "certificate revoked" || fail "the revoked certificate still verifies"
  verify "$server_cert" >/dev/null || fail "revoking one certificate broke another"
else
  echo "openssl command not installed: OpenSSL verification left to //tools/pki:pki_test"
fi
echo PASS
