#!/usr/bin/env bash
# Mutual TLS against plain HTTP, same run, same machine, same load generator (soap_load, the
# project's own client: wrk cannot present a client certificate): ITI-18 ObjectRef and
# LeafClass (1 and 8 clients) on a generated registry, ITI-42 (1 DocumentEntry) and ITI-41
# (10 KiB) on a fresh registry + repository, all kept-alive, and full handshakes/s (a new
# connection for every ITI-18 ObjectRef query, 8 clients). Plain and TLS alternate, ROUNDS
# times (plain, TLS, plain, TLS, ...), each on freshly started services; the table gives the
# mean of the rounds, the TLS/plain ratio of each round, p99 latency, and the server CPU
# time per request (utime + stime from /proc of the registry, and of the repository too for
# ITI-41, before and after each row), which the machine's other load disturbs less, and the
# load generator's own CPU time per request (it shares the machine's cores with the services).
#
# usage: tools/bench/tls_bench.sh [SECONDS] [PATIENTS]   (defaults 5 s per row, 10000 patients)
#   env: ROUNDS (2), STORE (/tmp/xds-tlsbench-store: the ITI-18 store, generated once with
#   PATIENTS x 10 entries and reused while its patient count matches), WARM (1 s warm-up).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS="${1:-5}"; PATIENTS="${2:-10000}"; ROUNDS="${ROUNDS:-2}"; WARM="${WARM:-1}"
STORE="${STORE:-/tmp/xds-tlsbench-store}"
command -v python3 >/dev/null || { echo "$0 needs python3" >&2; exit 2; }
WORK="$(mktemp -d /tmp/xds-tlsbench.XXXXXX)"
if ! bazel build -c opt //registry:xds-registry //repository:xds-repository //tools/xdsctl \
  //tools/bench:generate_registry //tools/bench:soap_load >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log" >&2; rm -rf "$WORK"; exit 1
fi
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
LOAD="$BIN/tools/bench/soap_load"
XDSCTL="$BIN/tools/xdsctl/xdsctl"
stop() { # stop NAME...: ends the services started under these names
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

# start NAME MODE DATA_DIR FLAGS...: starts xds-NAME (plain or tls) and waits for its ports;
# sets PORTS to "HTTP GRPC".
start() {
  local name="$1" mode="$2" data="$3"; shift 3
  local security=(--insecure)
  [ "$mode" = tls ] && security=(--tls_ca="$PKI/ca.pem" --tls_crl="$PKI/crl.pem"
    --tls_cert="$PKI/nodes/$name.pem" --tls_key="$PKI/nodes/$name.key")
  rm -f "$WORK/$name.ports"
  "$BIN/$name/xds-$name" --data_dir="$data" --http_port=0 --grpc_port=0 --port_file="$WORK/$name.ports" \
    "${security[@]}" "$@" 2>>"$WORK/$name-$mode.log" &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1 300); do [ -f "$WORK/$name.ports" ] && break; sleep 0.1; done
  [ -f "$WORK/$name.ports" ] || { echo "xds-$name ($mode) did not start:" >&2; tail -5 "$WORK/$name-$mode.log" >&2; exit 1; }
  PORTS="$(cat "$WORK/$name.ports")"
}

ticks() { # CPU clock ticks (user + system) of the services named
  local name total=0
  for name in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$(cat "$WORK/$name.pid")/stat"))); done
  echo "$total"
}

# measure CASE MODE URL SERVICES SOAP_LOAD_ARGS...: one row of one round into $WORK/results.
# shellcheck disable=SC2086  # $services: a list of service names
measure() {
  local label="$1" mode="$2" url="$3" services="$4"; shift 4
  local tls=() before after out
  [ "$mode" = tls ] && tls=("${CLIENT_TLS[@]}")
  before=$(ticks $services)
  { TIMEFORMAT='%3U %3S'; time "$LOAD" --url="$url" --seconds="$SECS" "${tls[@]}" "$@" >"$WORK/load.out" \
    2>"$WORK/load.err"; } 2>"$WORK/load.cpu" || true
  after=$(ticks $services)
  out=$(grep RESULT "$WORK/load.out" || true)
  [ -s "$WORK/load.err" ] && head -c 600 "$WORK/load.err" >&2
  echo "$label|$mode|$ROUND|${out:-RESULT requests=0 seconds=0 rps=0 p50_ms=0 p99_ms=0 errors=1}|$((after - before))|$(
    awk '{print $1 + $2}' "$WORK/load.cpu")" >>"$WORK/results"
  printf '  round %s %-5s %-58s %s\n' "$ROUND" "$mode" "$label" "$out" >&2
}

warm() { # warm URL MODE SOAP_LOAD_ARGS...: not reported
  local url="$1" mode="$2"; shift 2
  local tls=()
  [ "$mode" = tls ] && tls=("${CLIENT_TLS[@]}")
  "$LOAD" --url="$url" --seconds="$WARM" --clients=8 "${tls[@]}" "$@" >/dev/null 2>&1 || true
}

PATIENT='BENCH-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'
query() { # returnType -> ITI-18 FindDocuments by patient (@PID@) + status + classCode
  local rim='urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0' q='urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0'
  local classes="('11502-2^^2.16.840.1.113883.6.1','34133-9^^2.16.840.1.113883.6.1','18842-5^^2.16.840.1.113883.6.1',"
  classes+="'57133-1^^2.16.840.1.113883.6.1','11488-4^^2.16.840.1.113883.6.1')"
  slot() { printf '<rim:Slot name="$%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>' "$1" "$2"; }
  printf '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
  printf '<s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RegistryStoredQuery</a:Action>'
  printf '<a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body>'
  printf '<query:AdhocQueryRequest xmlns:query="%s" xmlns:rim="%s">' "$q" "$rim"
  printf '<query:ResponseOption returnType="%s" returnComposedObjects="true"/>' "$1"
  printf '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
  slot XDSDocumentEntryPatientId "'@PID@'"
  slot XDSDocumentEntryStatus "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"
  slot XDSDocumentEntryClassCode "$classes"
  printf '</rim:AdhocQuery></query:AdhocQueryRequest></s:Body></s:Envelope>'
}
query ObjectRef >"$WORK/ObjectRef.xml"
query LeafClass >"$WORK/LeafClass.xml"
python3 tools/bench/make_submission.py 1 "$PATIENT" >"$WORK/register.xml"
python3 tools/bench/make_provide.py 10240 "$PATIENT" "$WORK/provide"

for ROUND in $(seq 1 "$ROUNDS"); do
  for mode in plain tls; do
    scheme=http; [ "$mode" = tls ] && scheme=https
    # ITI-18 on the generated store.
    start registry "$mode" "$STORE"
    read -r http _ <<<"$PORTS"
    url="$scheme://127.0.0.1:$http/xds/registry"
    warm "$url" "$mode" --template="$WORK/ObjectRef.xml" --patients="$PATIENTS"
    for rt in ObjectRef LeafClass; do
      for c in 1 8; do
        clients="$c clients"; [ "$c" = 1 ] && clients="1 client"
        measure "ITI-18 $rt, $clients" "$mode" "$url" registry --clients="$c" \
          --template="$WORK/$rt.xml" --patients="$PATIENTS"
      done
    done
    measure "full handshakes/s: ITI-18 ObjectRef, new conn./req., 8 cl." "$mode" "$url" registry --clients=8 --reconnect \
      --template="$WORK/ObjectRef.xml" --patients="$PATIENTS"
    stop registry
    # ITI-42 and ITI-41 on a fresh registry + repository.
    data="$WORK/data-$mode-$ROUND"
    start registry "$mode" "$data/registry"
    read -r reg_http reg_grpc <<<"$PORTS"
    tls=(); [ "$mode" = tls ] && tls=("${CLIENT_TLS[@]}")
    "$XDSCTL" --registry_grpc="127.0.0.1:$reg_grpc" "${tls[@]}" patient add "$PATIENT" >/dev/null
    start repository "$mode" "$data/repository" --registry_grpc="127.0.0.1:$reg_grpc" \
      --repository_unique_id=1.3.6.1.4.1.21367.2005.3.7.200
    read -r repo_http _ <<<"$PORTS"
    url="$scheme://127.0.0.1:$reg_http/xds/registry"
    warm "$url" "$mode" --template="$WORK/register.xml"
    measure "ITI-42 1 DocumentEntry, 8 clients" "$mode" "$url" registry --clients=8 --template="$WORK/register.xml"
    url="$scheme://127.0.0.1:$repo_http/xds/repository"
    warm "$url" "$mode" --mtom="$WORK/provide"
    measure "ITI-41 10 KiB, 8 clients" "$mode" "$url" "repository registry" --clients=8 --mtom="$WORK/provide"
    stop repository registry
    rm -rf "$data"
  done
done

# The table: per case, the mean over the rounds of each mode, and each round's ratio.
python3 - "$WORK/results" "$(getconf CLK_TCK)" "$ROUNDS" <<'PY'
import re, sys
rows, order = {}, []
tick_us = 1e6 / int(sys.argv[2])
for line in open(sys.argv[1]):
    label, mode, rnd, result, ticks, client_s = line.rstrip("\n").split("|")
    f = dict((k, float(v)) for k, v in re.findall(r"(\w+)=([0-9.]+)", result))
    f["server_us"], f["client_us"] = int(ticks) * tick_us, float(client_s or 0) * 1e6
    if label not in rows:
        rows[label] = {"plain": {}, "tls": {}}
        order.append(label)
    rows[label][mode][rnd] = f
def mean(runs, key):
    return sum(r[key] for r in runs.values()) / max(1, len(runs))
def per_request(runs, key):  # CPU microseconds per request over all rounds
    n = sum(r["requests"] for r in runs.values())
    return sum(r[key] for r in runs.values()) / n if n else 0
head = "%-58s %8s %8s %6s %-11s %7s %7s %7s %7s %7s %7s %6s"
print(head % ("case (mean of %s rounds, each plain then TLS)" % sys.argv[3], "plain/s", "TLS/s", "TLS/pl",
              "per round", "p99 pl", "p99 TLS", "srv pl", "srv TLS", "cli pl", "cli TLS", "errors"))
print(head % ("", "", "", "", "", "ms", "ms", "us/req", "us/req", "us/req", "us/req", ""))
for label in order:
    p, t = rows[label]["plain"], rows[label]["tls"]
    pr, tr = mean(p, "rps"), mean(t, "rps")
    per_round = " ".join("%.2f" % (t[k]["rps"] / p[k]["rps"]) if k in t and p[k]["rps"] else "-" for k in sorted(p))
    errors = int(sum(r["errors"] for r in list(p.values()) + list(t.values())))
    print("%-58s %8.0f %8.0f %6.2f %-11s %7.2f %7.2f %7.0f %7.0f %7.0f %7.0f %6d" % (
        label, pr, tr, tr / pr if pr else 0, per_round, mean(p, "p99_ms"), mean(t, "p99_ms"),
        per_request(p, "server_us"), per_request(t, "server_us"), per_request(p, "client_us"),
        per_request(t, "client_us"), errors))
print("srv: CPU of the services per request (the registry; for ITI-41 the repository and the registry);"
      " cli: CPU of soap_load per request. Issue 14 asks TLS/plain >= 0.8 for the kept-alive rows; the"
      " handshake row's TLS/s is full TLS handshakes per second (plain: a TCP connection per request).")
PY
