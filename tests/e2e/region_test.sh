#!/usr/bin/env bash
# The example region of deploy/ (one registry, repositories A and B, started by run.sh on
# 127.0.0.1 from their flag files, on mutual TLS): xdsctl submits to A and to B, find shows each document
# with its repository's repositoryUniqueId, retrieve returns byte-identical content.
set -euo pipefail
DATA="${TEST_TMPDIR:-/tmp}/region.$$"
RUN=deploy/example-region/run.sh
cleanup() { "$RUN" stop --data "$DATA" >/dev/null 2>&1 || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$RUN" start --data "$DATA" --bin "$PWD" --any-ports
"$RUN" status --data "$DATA" >/dev/null || fail "run.sh status after start"
# shellcheck disable=SC1091
. "$DATA/endpoints.env"
[ "$XDS_REPOSITORY_UNIQUE_ID" = 1.3.6.1.4.1.21367.2005.3.7.201 ] || fail "repository A id from its flag file"
[ "$XDS_REPOSITORY_B_UNIQUE_ID" = 1.3.6.1.4.1.21367.2005.3.7.202 ] || fail "repository B id from its flag file"

ctl() {
  tools/xdsctl/xdsctl --registry_grpc="$XDS_REGISTRY_GRPC" --registry="$XDS_REGISTRY_URL" --tls_ca="$XDS_TLS_CA" \
    --tls_cert="$XDS_CLIENT_CERT" --tls_key="$XDS_CLIENT_KEY" "$@"
}
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

PATIENT="MOTHER-1^^^&$XDS_PATIENT_AUTHORITY&ISO"
ctl patient add "$PATIENT" >/dev/null
head -c 200000 /dev/urandom >"$DATA/ultrasound.bin"
printf 'Birth plan agreed with the midwife\n' >"$DATA/birthplan.txt"

A_ID=$(ctl --repository="$XDS_REPOSITORY_URL" submit "$DATA/ultrasound.bin" --patient "$PATIENT" \
  --class 'ULTRASOUND^^2.999.100.1' --format=json | json_field 'd["documentEntries"][0]["uniqueId"]')
B_ID=$(ctl --repository="$XDS_REPOSITORY_B_URL" submit "$DATA/birthplan.txt" --patient "$PATIENT" \
  --class 'BIRTHPLAN^^2.999.100.1' --format=json | json_field 'd["documentEntries"][0]["uniqueId"]')

FOUND=$(ctl find --patient "$PATIENT" --format=json)
[ "$(echo "$FOUND" | json_field 'len(d["documentEntries"])')" = 2 ] || fail "find: two documents expected: $FOUND"
REPO_A=$(echo "$FOUND" | json_field "[e['repositoryUniqueId'] for e in d['documentEntries'] if e['uniqueId']=='$A_ID'][0]")
REPO_B=$(echo "$FOUND" | json_field "[e['repositoryUniqueId'] for e in d['documentEntries'] if e['uniqueId']=='$B_ID'][0]")
[ "$REPO_A" = "$XDS_REPOSITORY_UNIQUE_ID" ] || fail "A's document carries $REPO_A"
[ "$REPO_B" = "$XDS_REPOSITORY_B_UNIQUE_ID" ] || fail "B's document carries $REPO_B"
ctl find --patient "$PATIENT" | grep -q "$XDS_REPOSITORY_UNIQUE_ID" || fail "table form of find"
# The same over plain SOAP (ITI-18).
[ "$(ctl --transport=soap find --patient "$PATIENT" --format=json | json_field 'len(d["documentEntries"])')" = 2 ] \
  || fail "find over SOAP"

ctl --repository_grpc="$XDS_REPOSITORY_GRPC" retrieve "$A_ID" -o "$DATA/a.out" >/dev/null
cmp "$DATA/ultrasound.bin" "$DATA/a.out" || fail "A's document differs after retrieve (gRPC)"
ctl --repository="$XDS_REPOSITORY_URL" retrieve "$A_ID" -o "$DATA/a2.out" >/dev/null
cmp "$DATA/ultrasound.bin" "$DATA/a2.out" || fail "A's document differs after retrieve (ITI-43)"
ctl --repository="$XDS_REPOSITORY_B_URL" retrieve "$B_ID" -o "$DATA/b.out" >/dev/null
cmp "$DATA/birthplan.txt" "$DATA/b.out" || fail "B's document differs after retrieve (ITI-43)"
# B's document is not at A: not found (4), and no file is left behind.
rc=0; ctl --repository_grpc="$XDS_REPOSITORY_GRPC" retrieve "$B_ID" -o "$DATA/wrong.out" 2>/dev/null || rc=$?
[ "$rc" = 4 ] || fail "retrieve of B's document from A: exit $rc, want 4"
[ ! -e "$DATA/wrong.out" ] || fail "a failed retrieve left a file"

STATS=$(ctl stats --format=json)
[ "$(echo "$STATS" | json_field "d['documentEntriesByRepositoryUniqueId']['$XDS_REPOSITORY_UNIQUE_ID']")" = 1 ] \
  || fail "stats per repository: $STATS"

"$RUN" stop --data "$DATA"
rc=0; "$RUN" status --data "$DATA" >/dev/null || rc=$?
[ "$rc" = 3 ] || fail "status after stop: $rc"
echo "PASS"
