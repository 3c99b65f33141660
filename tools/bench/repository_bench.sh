#!/usr/bin/env bash
# Repository benchmark: ITI-41 throughput (documents/s, MiB/s) for 10 KiB, 1 MiB and 10 MiB
# documents (every request a new document and new uniqueIds), and ITI-43 MiB/s for cached
# 1 MiB documents, against the real registry + repository over SOAP/MTOM (wrk), beside
# ceilings from the same run: the same bytes written with fsync (store_ceiling write),
# SHA-1 speed (store_ceiling sha1), and nginx sending the same 1 MiB file.
#
# usage: tools/bench/repository_bench.sh [SECONDS] [CLIENTS]     (defaults 10 s, 4 clients)
#   env FLAGS: extra flags for both services (e.g. FLAGS=--noaudit to measure without the
#   audit trail)
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool: sudo apt-get install wrk nginx-light sqlite3" >&2; exit 2; }
done
SECS="${1:-10}"; CLIENTS="${2:-4}"; read -r -a EXTRA <<<"${FLAGS:-}"
bazel build -c opt //registry:xds-registry //repository:xds-repository //tools/xdsctl //tools/bench:store_ceiling \
  >/dev/null 2>&1
WORK="$(mktemp -d /tmp/xds-rbench.XXXXXX)"; chmod 755 "$WORK"  # nginx workers run as nobody
cleanup() { kill "$REG" "$REPO" 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
REPO_ID=1.3.6.1.4.1.21367.2005.3.7.200
PATIENT='BENCH-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'
bazel-bin/registry/xds-registry --data_dir="$WORK/registry" --http_port=0 --grpc_port=0 --insecure --port_file="$WORK/reg.ports" "${EXTRA[@]}" 2>/dev/null &
REG=$!
for _ in $(seq 1 100); do [ -f "$WORK/reg.ports" ] && break; sleep 0.1; done
read -r _ REG_GRPC <"$WORK/reg.ports"
bazel-bin/repository/xds-repository --data_dir="$WORK/repository" --http_port=0 --grpc_port=0 --insecure \
  --port_file="$WORK/repo.ports" --registry_grpc="127.0.0.1:$REG_GRPC" --repository_unique_id=$REPO_ID \
  "${EXTRA[@]}" 2>/dev/null &
REPO=$!
for _ in $(seq 1 100); do [ -f "$WORK/repo.ports" ] && break; sleep 0.1; done
read -r REPO_HTTP _ <"$WORK/repo.ports"
bazel-bin/tools/xdsctl/xdsctl --registry_grpc="127.0.0.1:$REG_GRPC" patient add "$PATIENT" >/dev/null
URL="http://127.0.0.1:$REPO_HTTP/xds/repository"
field() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$2"; }
printf '%-50s %10s %10s %9s %9s %7s\n' "case ($CLIENTS clients)" "docs/s" "MiB/s" "p50 ms" "p99 ms" "errors"
mkdir -p "$WORK/ceiling"
for spec in 10240:10KiB 1048576:1MiB 10485760:10MiB; do
  size="${spec%%:*}"; label="${spec##*:}"
  python3 tools/bench/make_provide.py "$size" "$PATIENT" "$WORK/p$size"
  out=$(BENCH_TEMPLATE="$WORK/p$size" wrk -t2 -c"$CLIENTS" -d"${SECS}s" --timeout 30s -s tools/bench/provide.lua "$URL" \
    2>"$WORK/wrk.err" | grep RESULT || true)
  [ -s "$WORK/wrk.err" ] && head -c 800 "$WORK/wrk.err" >&2
  rps=$(field rps "$out")
  printf '%-50s %10s %10.0f %9s %9s %7s\n' "ITI-41 Provide and Register, $label" "$rps" \
    "$(echo "$rps * $size / 1048576" | bc -l)" "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field errors "$out")"
  c=$(bazel-bin/tools/bench/store_ceiling write "$size" "$SECS" "$WORK/ceiling")
  printf '%-50s %10s %10s\n' "ceiling: same bytes written with fsync, $label" "$(field docs_per_s "$c")" "$(field mib_per_s "$c")"
  rm -f "$WORK/ceiling"/*
done
c=$(bazel-bin/tools/bench/store_ceiling sha1 1048576 3)
printf '%-50s %10s %10s\n' "ceiling: SHA-1 (OpenSSL), 1 MiB buffers" "$(field docs_per_s "$c")" "$(field mib_per_s "$c")"

# ITI-43: 32 stored 1 MiB documents retrieved at random (they stay in the page cache).
sqlite3 "$WORK/repository/repository.sqlite" "SELECT unique_id FROM documents WHERE size = 1048576 AND state = 'committed' LIMIT 32" \
  >"$WORK/ids" 2>/dev/null || true
if [ ! -s "$WORK/ids" ]; then echo "no 1 MiB documents stored; is the repository index schema different?" >&2; exit 1; fi
out=$(BENCH_IDS="$WORK/ids" BENCH_REPOSITORY=$REPO_ID wrk -t2 -c"$CLIENTS" -d"${SECS}s" -s tools/bench/retrieve.lua "$URL" | grep RESULT)
printf '%-50s %10s %10.0f %9s %9s %7s\n' "ITI-43 Retrieve, 1 MiB documents" "$(field rps "$out")" \
  "$(echo "$(field bytes "$out") / $(field seconds "$out") / 1048576" | bc -l)" "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field errors "$out")"
mkdir -p "$WORK/www" && head -c 1048576 /dev/urandom >"$WORK/www/doc.bin"
NGX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<NGX
worker_processes 2; pid $WORK/nginx.pid; error_log $WORK/nginx.err; daemon on;
events { worker_connections 1024; }
http { access_log off; sendfile on; server { listen 127.0.0.1:$NGX_PORT; root $WORK/www; } }
NGX
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null; sleep 0.3
out=$(wrk -t2 -c"$CLIENTS" -d"${SECS}s" -s tools/bench/get.lua "http://127.0.0.1:$NGX_PORT/doc.bin" | grep RESULT)
printf '%-50s %10s %10.0f %9s %9s\n' "ceiling: nginx sending the same 1 MiB file" "$(field rps "$out")" \
  "$(echo "$(field rps "$out")" | bc -l)" "$(field p50_ms "$out")" "$(field p99_ms "$out")"
