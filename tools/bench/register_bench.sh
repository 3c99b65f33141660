#!/usr/bin/env bash
# ITI-42 registration benchmark: durable registrations/s and p50/p99 latency of the real
# registry over SOAP (wrk, each request with fresh uniqueIds), 1 and 8 clients, submissions
# of 1 and 10 DocumentEntries, beside a ceiling measured in the same run: the same rows
# written straight into SQLite with the same durability (tools/bench/sqlite_ceiling.cc).
#
# usage: tools/bench/register_bench.sh [SECONDS]     (default 10 s per row)
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk sqlite3; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool: sudo apt-get install wrk nginx-light sqlite3" >&2; exit 2; }
done
SECONDS_PER_RUN="${1:-10}"
source tools/bench/registry_bench_lib.sh

printf '%-44s %10s %10s %10s %8s\n' "case" "reg/s" "p50 ms" "p99 ms" "errors"
total=0
for docs in 1 10; do
  python3 tools/bench/make_submission.py "$docs" "$PATIENT" >"$WORK/request-$docs.xml"
  for clients in 1 8; do
    threads=$(( clients < 2 ? 1 : 2 ))
    out=$(BENCH_TEMPLATE="$WORK/request-$docs.xml" wrk -t"$threads" -c"$clients" -d"${SECONDS_PER_RUN}s" \
      -s tools/bench/register.lua "$URL" 2>"$WORK/wrk.err" | grep RESULT || true)
    [ -s "$WORK/wrk.err" ] && cat "$WORK/wrk.err" >&2
    row "registry ITI-42, $docs DE/submission, $clients clients" "$out"
    total=$(( total + $(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$out") * docs ))
  done
  row "ceiling: SQLite, 1 txn per registration" "$(bazel-bin/tools/bench/sqlite_ceiling "$WORK" "$docs" "$SECONDS_PER_RUN" 1)"
  row "ceiling: SQLite, 64 registrations per txn" "$(bazel-bin/tools/bench/sqlite_ceiling "$WORK" "$docs" "$SECONDS_PER_RUN" 64)"
done
# Every acknowledged registration must be in the store (durable, nothing lost).
stored=$(sqlite3 "$WORK/registry/registry.sqlite" "SELECT count(*) FROM document_entries")
echo "DocumentEntries acknowledged by wrk (approx., includes in-flight at stop): $total; stored: $stored"
echo "store size: $(du -sh "$WORK/registry" | cut -f1); registry RSS: $(ps -o rss= -p $REG) KiB"
