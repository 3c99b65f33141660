#!/usr/bin/env bash
# Consent and access policy (issue 16) against no policy, same run, same machine, same load
# generator (soap_load over mutual TLS: the policy needs to know who asks): ITI-18
# FindDocuments ObjectRef and LeafClass (10 entries, 1 and 8 clients) on a generated registry
# with and without --policy_file, and ITI-43 (one 10 KiB document, 8 clients) through a
# repository that asks the registry's access decision (with its cache, and with
# --access_cache_ttl_ms=0: a decision over gRPC per retrieve) against --noaccess_decision.
# Off and on alternate, ROUNDS times, each on freshly started services.
#
# The policy is opt-out with a data-category table (tools/bench/policy_bench.json), so that
# every query pays the full price (her policy read, every category decided, the SQL filter
# probing document_access for each candidate row) and both modes answer the same 10 entries.
#
# usage: tools/bench/policy_bench.sh [SECONDS] [PATIENTS]   (defaults 5 s per row, 10000 patients)
#   env: ROUNDS (2), STORE (/tmp/xds-policybench-store: PATIENTS x 10 entries, generated once
#   and reused while its patient count matches; 100000 = the issue's 1 M entries), WARM (1 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-5}"; PATIENTS="${2:-10000}"; ROUNDS="${ROUNDS:-2}"; WARM="${WARM:-1}"
STORE="${STORE:-/tmp/xds-policybench-store}"
POLICY="$PWD/tools/bench/policy_bench.json"
WORK="$(mktemp -d /tmp/xds-policybench.XXXXXX)"
if ! bazel build -c opt //registry:xds-registry //repository:xds-repository //tools/xdsctl \
  //tools/bench:generate_registry //tools/bench:soap_load >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log" >&2; rm -rf "$WORK"; exit 1
fi
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
LOAD="$BIN/tools/bench/soap_load"
XDSCTL="$BIN/tools/xdsctl/xdsctl"
stop() {
  local name pid
  for name in "$@"; do
    [ -f "$WORK/$name.pid" ] || continue
    pid="$(cat "$WORK/$name.pid")"; rm -f "$WORK/$name.pid"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop repository registry; rm -rf "$WORK"' EXIT

if [ "$(cat "$STORE/patients" 2>/dev/null)" != "$PATIENTS" ]; then
  echo "generating $STORE: $PATIENTS patients x 10 entries" >&2
  rm -rf "$STORE"
  "$BIN/tools/bench/generate_registry" "$STORE" "$PATIENTS" 10 16 >&2
  echo "$PATIENTS" >"$STORE/patients"
fi
cat "$STORE/registry.sqlite" >/dev/null  # into the page cache, as a registry in service has it
PKI="$WORK/pki"
deploy/region-pki.sh "$PKI" "$XDSCTL" registry repository:source,consumer,repository >/dev/null
CLIENT_TLS=(--tls_ca="$PKI/ca.pem" --tls_cert="$PKI/nodes/demo-client.pem" --tls_key="$PKI/nodes/demo-client.key")

# start NAME DATA_DIR FLAGS...: xds-NAME on mutual TLS; sets PORTS to "HTTP GRPC". Waits up
# to 10 minutes: the first start with the policy classifies every entry (about 20 s per
# million here).
start() {
  local name="$1" data="$2"; shift 2
  rm -f "$WORK/$name.ports"
  "$BIN/$name/xds-$name" --data_dir="$data" --http_port=0 --grpc_port=0 --port_file="$WORK/$name.ports" \
    --tls_ca="$PKI/ca.pem" --tls_crl="$PKI/crl.pem" --tls_cert="$PKI/nodes/$name.pem" \
    --tls_key="$PKI/nodes/$name.key" "$@" 2>>"$WORK/$name.log" &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1 6000); do [ -f "$WORK/$name.ports" ] && break; sleep 0.1; done
  [ -f "$WORK/$name.ports" ] || { echo "xds-$name did not start:" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  PORTS="$(cat "$WORK/$name.ports")"
}
ticks() {
  local name total=0
  for name in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$(cat "$WORK/$name.pid")/stat"))); done
  echo "$total"
}
# measure CASE MODE URL SERVICES SOAP_LOAD_ARGS...
# shellcheck disable=SC2086
measure() {
  local label="$1" mode="$2" url="$3" services="$4"; shift 4
  local before after out
  before=$(ticks $services)
  "$LOAD" --url="$url" --seconds="$SECS" "${CLIENT_TLS[@]}" "$@" >"$WORK/load.out" 2>"$WORK/load.err" || true
  after=$(ticks $services)
  out=$(grep RESULT "$WORK/load.out" || true)
  [ -s "$WORK/load.err" ] && head -c 600 "$WORK/load.err" >&2
  echo "$label|$mode|$ROUND|${out:-RESULT requests=0 seconds=0 rps=0 p50_ms=0 p99_ms=0 errors=1}|$((after - before))" \
    >>"$WORK/results"
  printf '  round %s %-4s %-40s %s\n' "$ROUND" "$mode" "$label" "$out" >&2
}
warm() { "$LOAD" --url="$1" --seconds="$WARM" --clients=8 "${CLIENT_TLS[@]}" "${@:2}" >/dev/null 2>&1 || true; }

eval "$(sed -n '/^query() {/,/^}/p' tools/bench/tls_bench.sh)"
query ObjectRef >"$WORK/ObjectRef.xml"
query LeafClass >"$WORK/LeafClass.xml"
PATIENT='BENCH-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'
head -c 10240 /dev/urandom | base64 >"$WORK/doc.txt"

# Classify the store once, outside the measurements.
start registry "$STORE" --policy_file="$POLICY"
stop registry

for ROUND in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    policy=(); [ "$mode" = on ] && policy=(--policy_file="$POLICY")
    start registry "$STORE" "${policy[@]}"
    read -r http grpc <<<"$PORTS"
    url="https://127.0.0.1:$http/xds/registry"
    warm "$url" --template="$WORK/ObjectRef.xml" --patients="$PATIENTS"
    for rt in ObjectRef LeafClass; do
      for c in 1 8; do
        clients="$c clients"; [ "$c" = 1 ] && clients="1 client"
        measure "ITI-18 $rt, $clients" "$mode" "$url" registry --clients="$c" --template="$WORK/$rt.xml" \
          --patients="$PATIENTS"
      done
    done
    # ITI-43: one document of BENCH-1, retrieved over and over.
    repo_flags=(--noaccess_decision)
    variants=(off)
    [ "$mode" = on ] && variants=(cached uncached)
    for variant in "${variants[@]}"; do
      case "$variant" in
        cached) repo_flags=() ;;
        uncached) repo_flags=(--access_cache_ttl_ms=0) ;;
      esac
      rm -rf "$WORK/repository-data"
      start repository "$WORK/repository-data" --registry_grpc="127.0.0.1:$grpc" \
        --repository_unique_id=1.3.6.1.4.1.21367.2005.3.7.200 "${repo_flags[@]}"
      read -r repo_http _ <<<"$PORTS"
      repo_url="https://127.0.0.1:$repo_http/xds/repository"
      uid="$("$XDSCTL" --repository="$repo_url" "${CLIENT_TLS[@]}" submit "$WORK/doc.txt" --patient "$PATIENT" \
        --class '11502-2^^2.16.840.1.113883.6.1' --mime text/plain --format=json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["documentEntries"][0]["uniqueId"])')"
      python3 - "$uid" >"$WORK/retrieve.xml" <<'PY'
import sys
print('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
      '<s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RetrieveDocumentSet</a:Action>'
      '<a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body>'
      '<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsb:DocumentRequest>'
      '<xdsb:RepositoryUniqueId>1.3.6.1.4.1.21367.2005.3.7.200</xdsb:RepositoryUniqueId>'
      '<xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId></xdsb:DocumentRequest>'
      '</xdsb:RetrieveDocumentSetRequest></s:Body></s:Envelope>' % sys.argv[1], end="")
PY
      warm "$repo_url" --template="$WORK/retrieve.xml"
      label="ITI-43 10 KiB, 8 clients"
      [ "$variant" = uncached ] && label="ITI-43 10 KiB, 8 clients, no cache"
      measure "$label" "$mode" "$repo_url" "repository registry" --clients=8 --template="$WORK/retrieve.xml"
      if [ "$variant" = off ]; then  # the same baseline for both "on" rows
        sed -i "s/^ITI-43 10 KiB, 8 clients|off|$ROUND|\(.*\)$/&\nITI-43 10 KiB, 8 clients, no cache|off|$ROUND|\1/" \
          "$WORK/results"
      fi
      stop repository
    done
    stop registry
  done
done

python3 - "$WORK/results" "$(getconf CLK_TCK)" "$ROUNDS" <<'PY'
import re, sys
rows, order = {}, []
tick_us = 1e6 / int(sys.argv[2])
for line in open(sys.argv[1]):
    label, mode, rnd, result, ticks = line.rstrip("\n").split("|")
    f = dict((k, float(v)) for k, v in re.findall(r"(\w+)=([0-9.]+)", result))
    f["server_us"] = int(ticks) * tick_us
    if label not in rows:
        rows[label] = {"off": {}, "on": {}}
        order.append(label)
    rows[label][mode][rnd] = f
def mean(runs, key):
    return sum(r[key] for r in runs.values()) / max(1, len(runs))
def per_request(runs):
    n = sum(r["requests"] for r in runs.values())
    return sum(r["server_us"] for r in runs.values()) / n if n else 0
head = "%-40s %8s %8s %6s %-11s %7s %7s %7s %7s %6s"
print(head % ("case (mean of %s rounds, off then on)" % sys.argv[3], "off/s", "on/s", "on/off", "per round",
              "p99 off", "p99 on", "srv off", "srv on", "errors"))
print(head % ("", "", "", "", "", "ms", "ms", "us/req", "us/req", ""))
for label in order:
    a, b = rows[label]["off"], rows[label]["on"]
    ar, br = mean(a, "rps"), mean(b, "rps")
    per_round = " ".join("%.2f" % (b[k]["rps"] / a[k]["rps"]) if k in b and a[k]["rps"] else "-" for k in sorted(a))
    errors = int(sum(r["errors"] for r in list(a.values()) + list(b.values())))
    print("%-40s %8.0f %8.0f %6.2f %-11s %7.2f %7.2f %7.0f %7.0f %6d" % (
        label, ar, br, br / ar if ar else 0, per_round, mean(a, "p99_ms"), mean(b, "p99_ms"), per_request(a),
        per_request(b), errors))
print("srv: CPU per request of the registry (ITI-18) or of the repository and the registry (ITI-43). Issue 16"
      " asks on/off >= 0.85 for ITI-18 at 1 M entries and >= 0.9 for ITI-43 with the remote decision.")
PY
