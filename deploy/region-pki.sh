#!/usr/bin/env bash
# A local region's certificates for mutual TLS, made with `xdsctl pki` (used by `./xds up
# --secure` and deploy/example-region/run.sh; a real region issues the same from its own CA).
#
#   deploy/region-pki.sh DIR XDSCTL NODE...
#
# Creates the region CA in DIR (once), then for each NODE (NAME or NAME:ROLES) a server
# certificate for 127.0.0.1, localhost and NAME (its host name in a compose network) with those rights (organisation 2.999.1.N, N its place
# in the list), and a client certificate (organisation 2.999.2.1) for the
# demo organisation that may query, retrieve, submit and administer. Stable names:
#   DIR/ca.pem  DIR/crl.pem  DIR/nodes/NAME.pem|.key  DIR/nodes/demo-client.pem|.key
# Existing node files are kept, so a restart reuses them.
set -euo pipefail
DIR="$1"; XDSCTL="$2"; shift 2
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
[ -f "$DIR/ca.pem" ] || "$XDSCTL" pki init --dir "$DIR" --region "XDS demo region" >/dev/null
mkdir -p "$DIR/nodes"

# issue NAME ARGS...: issues unless DIR/nodes/NAME.pem exists, and links it there.
issue() {
  local name="$1"; shift
  [ -f "$DIR/nodes/$name.pem" ] && return 0
  local json cert key
  json="$("$XDSCTL" pki issue --dir "$DIR" --name "$name" "$@" --format=json)"
  cert="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cert"])' <<<"$json")"
  key="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' <<<"$json")"
  ln -sf "$cert" "$DIR/nodes/$name.pem"
  ln -sf "$key" "$DIR/nodes/$name.key"
}

n=0
for node in "$@"; do
  n=$((n + 1)); name="${node%%:*}"; roles=""
  [ "$node" != "$name" ] && roles="${node#*:}"
  issue "$name" --organization-id "2.999.1.$n" --server --dns localhost --dns "$name" --ip 127.0.0.1 \
    ${roles:+--roles "$roles"}
done
issue demo-client --organization-id 2.999.2.1 --roles consumer,source,admin
