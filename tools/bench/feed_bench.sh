#!/usr/bin/env bash
# Patient identity feed benchmark (ITI-8, issue 17): durable ADT^A01 messages/s over MLLP at 1
# and 8 connections (tools/bench/mllp_load.py, one process per connection, each message waiting
# for its ACK), beside the ITI-42 registrations/s (1 DocumentEntry, wrk) of the same registry
# in the same run, and the ratio A01/ITI-42 at the same concurrency.
#
# usage: tools/bench/feed_bench.sh [SECONDS]     (default 10 s per row)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "$0 needs wrk: sudo apt-get install wrk" >&2; exit 2; }
SECONDS_PER_RUN="${1:-10}"
bazel build -c opt //registry:xds-registry //tools/xdsctl >/dev/null 2>&1
WORK="$(mktemp -d /tmp/xds-feed-bench.XXXXXX)"
trap 'kill $REG 2>/dev/null || true; rm -rf "$WORK"' EXIT
AUTHORITY=1.3.6.1.4.1.21367.2005.3.7
PATIENT="BENCH-1^^^&$AUTHORITY&ISO"
bazel-bin/registry/xds-registry --data_dir="$WORK/registry" --http_port=0 --grpc_port=0 --insecure \
  --patient_authority="$AUTHORITY" --patient_feed_mllp_port=0 --patient_feed_port_file="$WORK/mllp" \
  --port_file="$WORK/ports" 2>"$WORK/registry.log" &
REG=$!
for _ in $(seq 1 100); do [ -f "$WORK/ports" ] && break; sleep 0.1; done
read -r HTTP GRPC <"$WORK/ports"
read -r MLLP <"$WORK/mllp"
bazel-bin/tools/xdsctl/xdsctl --registry_grpc="127.0.0.1:$GRPC" patient add "$PATIENT" >/dev/null
python3 tools/bench/make_submission.py 1 "$PATIENT" >"$WORK/request.xml"

field() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
printf '%-40s %10s %10s %10s %8s %12s\n' "case" "msg/s" "p50 ms" "p99 ms" "errors" "A01/ITI-42"
for clients in 1 8; do
  threads=$(( clients < 2 ? 1 : 2 ))
  reg=$(BENCH_TEMPLATE="$WORK/request.xml" wrk -t"$threads" -c"$clients" -d"${SECONDS_PER_RUN}s" \
    -s tools/bench/register.lua "http://127.0.0.1:$HTTP/xds/registry" 2>/dev/null | grep RESULT)
  feed=$(python3 tools/bench/mllp_load.py "127.0.0.1:$MLLP" "$AUTHORITY" "$clients" "$SECONDS_PER_RUN" | grep RESULT)
  printf '%-40s %10s %10s %10s %8s %12s\n' "ITI-42, 1 DE, $clients clients (baseline)" "$(field rps "$reg")" \
    "$(field p50_ms "$reg")" "$(field p99_ms "$reg")" "$(field errors "$reg")" "1.00"
  printf '%-40s %10s %10s %10s %8s %12s\n' "ITI-8 A01 over MLLP, $clients connections" "$(field rps "$feed")" \
    "$(field p50_ms "$feed")" "$(field p99_ms "$feed")" "$(field errors "$feed")" \
    "$(python3 -c "print('%.2f' % ($(field rps "$feed") / $(field rps "$reg")))")"
done
# Every acknowledged A01 is in the index (durable).
echo "patients in the index: $(sqlite3 "$WORK/registry/registry.sqlite" 'SELECT count(*) FROM patients')"
