#!/usr/bin/env bash
# ITI-18 query benchmark: FindDocuments by patient + status + classCode on a large registry
# (BENCH-<n> patients from tools/bench/generate_registry), ObjectRef and LeafClass (10
# entries per answer), 1, 8 and 32 parallel clients (wrk), beside ceilings from the same
# run: the same lookup as one indexed SQLite SELECT of the entryUUIDs (as ObjectRef needs)
# and of the stored objects (as LeafClass needs) (query_ceiling), and nginx serving the same
# response bytes. Also the registry's disk size and resident memory.
#
# usage: tools/bench/query_bench.sh DATA_DIR PATIENTS [SECONDS]
#   DATA_DIR holds registry.sqlite; when absent it is generated with PATIENTS x 10 entries.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk nginx sqlite3; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool: sudo apt-get install wrk nginx-light sqlite3" >&2; exit 2; }
done
DATA="$1"; PATIENTS="$2"; SECS="${3:-10}"
bazel build -c opt //registry:xds-registry //tools/bench:generate_registry //tools/bench:query_ceiling >/dev/null 2>&1
if [ ! -f "$DATA/registry.sqlite" ]; then
  bazel-bin/tools/bench/generate_registry "$DATA" "$PATIENTS" 10 16
fi
WORK="$(mktemp -d /tmp/xds-qbench.XXXXXX)"; chmod 755 "$WORK"  # nginx workers run as nobody
cleanup() { kill "$REG" 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
bazel-bin/registry/xds-registry --data_dir="$DATA" --http_port=0 --grpc_port=0 --insecure --port_file="$WORK/ports" \
  --max_object_ref_results=100000 2>"$WORK/registry.log" &
REG=$!
for _ in $(seq 1 300); do [ -f "$WORK/ports" ] && break; sleep 0.1; done
read -r HTTP _ <"$WORK/ports"
URL="http://127.0.0.1:$HTTP/xds/registry"

request() { # returnType -> SOAP request with @PID@
  cat <<XML
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RegistryStoredQuery</a:Action><a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body><query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="$1" returnComposedObjects="true"/><rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"><rim:Slot name="\$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>'@PID@'</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="\$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="\$XDSDocumentEntryClassCode"><rim:ValueList><rim:Value>('11502-2^^2.16.840.1.113883.6.1','34133-9^^2.16.840.1.113883.6.1','18842-5^^2.16.840.1.113883.6.1','57133-1^^2.16.840.1.113883.6.1','11488-4^^2.16.840.1.113883.6.1')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest></s:Body></s:Envelope>
XML
}
field() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
row() { printf '%-52s %10s %9s %9s %7s\n' "$1" "$(field rps "$2")" "$(field p50_ms "$2")" "$(field p99_ms "$2")" "$(field errors "$2")"; }
# Warm-up, not reported, as a registry in service is warm: the whole file when it fits in
# half the available memory, then the index this lookup reads (de_class), so that the first
# rows do not measure the disk (this VM also evicts cold page-cache pages on its own). A
# store larger than memory (10 M entries here) keeps only part of its table cached, and
# LeafClass answers, which read the rows, then read the disk.
STORE_KB=$(( $(stat -c %s "$DATA/registry.sqlite") / 1024 ))
if [ "$STORE_KB" -lt $(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 2 )) ]; then
  cat "$DATA/registry.sqlite" >/dev/null
fi
sqlite3 -readonly "$DATA/registry.sqlite" \
  "SELECT count(*) FROM document_entries INDEXED BY de_class WHERE patient_id > ''" >/dev/null
request ObjectRef >"$WORK/warm.xml"
BENCH_TEMPLATE="$WORK/warm.xml" BENCH_PATIENTS="$PATIENTS" wrk -t2 -c8 -d"${SECS}s" -s tools/bench/query.lua "$URL" >/dev/null
printf '%-52s %10s %9s %9s %7s\n' "case ($PATIENTS patients)" "queries/s" "p50 ms" "p99 ms" "errors"
for rt in ObjectRef LeafClass; do
  request "$rt" >"$WORK/$rt.xml"
  for c in 1 8 32; do
    t=$(( c < 2 ? 1 : 2 ))
    out=$(BENCH_TEMPLATE="$WORK/$rt.xml" BENCH_PATIENTS="$PATIENTS" wrk -t"$t" -c"$c" -d"${SECS}s" \
      -s tools/bench/query.lua "$URL" 2>"$WORK/wrk.err" | grep RESULT || true)
    [ -s "$WORK/wrk.err" ] && head -c 600 "$WORK/wrk.err" >&2
    row "registry FindDocuments $rt, $c clients" "$out"
  done
done
for shape in ids blob; do
  for c in 1 8 32; do
    row "ceiling: indexed SQLite SELECT of $shape, $c threads" \
      "$(bazel-bin/tools/bench/query_ceiling "$DATA/registry.sqlite" "$PATIENTS" "$c" "$SECS" "$shape")"
  done
done
# nginx returning the bytes of one LeafClass answer.
sed 's/@PID@/BENCH-1^^^\&amp;1.3.6.1.4.1.21367.2005.3.7\&amp;ISO/' "$WORK/LeafClass.xml" >"$WORK/one.xml"
curl -s -H 'Content-Type: application/soap+xml' --data-binary @"$WORK/one.xml" "$URL" >"$WORK/www-answer"
mkdir -p "$WORK/www" && mv "$WORK/www-answer" "$WORK/www/answer.xml"
NGX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<NGX
worker_processes 2; pid $WORK/nginx.pid; error_log $WORK/nginx.err; daemon on;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$NGX_PORT; root $WORK/www; } }
NGX
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null
sleep 0.3
for c in 1 8 32; do
  t=$(( c < 2 ? 1 : 2 ))
  row "ceiling: nginx, same LeafClass bytes ($(stat -c %s "$WORK/www/answer.xml") B), $c clients" \
    "$(wrk -t"$t" -c"$c" -d"${SECS}s" -s tools/bench/get.lua "http://127.0.0.1:$NGX_PORT/answer.xml" | grep RESULT)"
done
# RSS counts the memory-mapped database once per SQLite connection; RssAnon is the heap.
echo "registry store: $(du -sh "$DATA" | cut -f1) on disk; registry after the run:" \
  "RssAnon $(( $(awk '/RssAnon/ {print $2}' /proc/$REG/status) / 1024 )) MiB," \
  "RSS $(( $(ps -o rss= -p "$REG") / 1024 )) MiB (file pages of the mapped store included)"
