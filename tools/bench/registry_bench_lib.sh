# Sourced by the registry benchmarks (register_bench.sh, lifecycle_bench.sh): builds the
# registry, xdsctl and sqlite_ceiling with -c opt, starts a fresh registry in a temporary
# WORK directory (removed with it at exit) and admits PATIENT. Sets WORK, REG (its pid),
# HTTP, GRPC, URL (the SOAP endpoint) and PATIENT. `row LABEL RESULT` prints a wrk RESULT
# line as a table row ROW_WIDTH wide.
bazel build -c opt //registry:xds-registry //tools/xdsctl //tools/bench:sqlite_ceiling >/dev/null 2>&1
WORK="$(mktemp -d /tmp/xds-bench.XXXXXX)"
trap 'kill $REG 2>/dev/null || true; rm -rf "$WORK"' EXIT
PATIENT='BENCH-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'
bazel-bin/registry/xds-registry --data_dir="$WORK/registry" --http_port=0 --grpc_port=0 --insecure --port_file="$WORK/ports" \
  2>"$WORK/registry.log" &
REG=$!
for _ in $(seq 1 100); do [ -f "$WORK/ports" ] && break; sleep 0.1; done
read -r HTTP GRPC <"$WORK/ports"
bazel-bin/tools/xdsctl/xdsctl --registry_grpc="127.0.0.1:$GRPC" patient add "$PATIENT" >/dev/null
URL="http://127.0.0.1:$HTTP/xds/registry"
ROW_WIDTH="${ROW_WIDTH:-44}"

row() { # label, RESULT line
  local r="$2"
  printf "%-${ROW_WIDTH}s %10s %10s %10s %8s\n" "$1" "$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$r")" \
    "$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' <<<"$r")" "$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$r")" \
    "$(sed 's/.*errors=\([0-9]*\).*/\1/' <<<"$r")"
}
