#!/usr/bin/env bash
# Interleaved A/B of registry binaries on one query store: for each round and each binary,
# ITI-18 FindDocuments ObjectRef and LeafClass at 1 and 8 clients (wrk, tools/bench/query.lua),
# printing q/s, p50 ms and the registry's CPU µs per query (from /proc, the steadier figure
# on a busy machine). A binary that needs extra flags (e.g. --insecure, which builds before
# the secure node lack) is given as a wrapper script.
#
# usage: tools/bench/registry_ab.sh STORE_DIR PATIENTS SECONDS ROUNDS BINARY...
#   STORE_DIR/registry.sqlite from tools/bench/generate_registry (query_bench.sh makes one)
set -euo pipefail
cd "$(dirname "$0")/../.."
STORE="$1"; PATIENTS="$2"; SECS="$3"; ROUNDS="$4"; shift 4
WORK="$(mktemp -d /tmp/xds-ab.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
eval "$(sed -n '/^request() {/,/^}/p' tools/bench/query_bench.sh)"
request ObjectRef >"$WORK/ObjectRef.xml"
request LeafClass >"$WORK/LeafClass.xml"
field() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # clock ticks
for r in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    rm -f "$WORK/ports"
    "$bin" --data_dir="$STORE" --http_port=0 --grpc_port=0 --port_file="$WORK/ports" \
      --max_object_ref_results=100000 2>/dev/null &
    pid=$!
    for _ in $(seq 1 100); do [ -f "$WORK/ports" ] && break; sleep 0.1; done
    read -r http _ <"$WORK/ports"
    url="http://127.0.0.1:$http/xds/registry"
    BENCH_TEMPLATE="$WORK/ObjectRef.xml" BENCH_PATIENTS="$PATIENTS" wrk -t1 -c4 -d2s -s tools/bench/query.lua "$url" >/dev/null
    line="$(basename "$bin") round $r:"
    for rt in ObjectRef LeafClass; do
      for c in 1 8; do
        c0=$(cpu "$pid")
        out=$(BENCH_TEMPLATE="$WORK/$rt.xml" BENCH_PATIENTS="$PATIENTS" wrk -t$((c < 2 ? 1 : 2)) -c"$c" -d"${SECS}s" \
          -s tools/bench/query.lua "$url" 2>/dev/null | grep RESULT)
        c1=$(cpu "$pid")
        rps=$(field rps "$out")
        us=$(python3 -c "print(int(($c1 - $c0) * 1e6 / $(getconf CLK_TCK) / max(1.0, $rps * $SECS)))")
        line+=" $rt/$c=${rps%.*}q/s,p50 $(field p50_ms "$out")ms,${us}us"
      done
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$line"
  done
done
