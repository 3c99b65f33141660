#!/usr/bin/env bash
# Document lifecycle benchmark (issue 18), in one run against one registry over SOAP (wrk, 8
# clients): ITI-42 registrations/s (1 DocumentEntry each; they are also the submissions the
# next two phases change), then ITI-57 status updates/s (UpdateAvailabilityStatus Approved ->
# Deprecated, each of a different DocumentEntry) and ITI-62 removals/s (a whole submission:
# SubmissionSet, DocumentEntry, HasMember), each on its own half of what ITI-42 registered.
# All three are durable writes through the same group-committed store; the ceiling beside
# them is SQLite's fsync rate on the same disk (sqlite_ceiling, 1 registration per commit).
#
# usage: tools/bench/lifecycle_bench.sh [SECONDS]     (default 10 s for ITI-42, a third of it each after)
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk sqlite3; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool: sudo apt-get install wrk sqlite3" >&2; exit 2; }
done
SECONDS_PER_RUN="${1:-10}"
CLIENTS=8
THREADS=2
ROW_WIDTH=52
source tools/bench/registry_bench_lib.sh

printf '%-52s %10s %10s %10s %8s\n' "case ($CLIENTS clients)" "req/s" "p50 ms" "p99 ms" "errors"
load() { # seconds, script, template, [targets]
  BENCH_TEMPLATE="$3" BENCH_TARGETS="${4:-/dev/null}" BENCH_THREADS="$THREADS" \
    wrk -t"$THREADS" -c"$CLIENTS" -d"$1s" -s "$2" "$URL" 2>"$WORK/wrk.err" | grep RESULT || true
  [ -s "$WORK/wrk.err" ] && cat "$WORK/wrk.err" >&2 || true
}

python3 tools/bench/make_submission.py 1 "$PATIENT" >"$WORK/register.xml"
python3 tools/bench/make_submission.py 0 "$PATIENT" update >"$WORK/update.xml"
cat >"$WORK/remove.xml" <<'XML'
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2010:DeleteDocumentSet</a:Action><a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body><lcm:RemoveObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:ObjectRefList><rim:ObjectRef id="@SS@"/><rim:ObjectRef id="@DE@"/><rim:ObjectRef id="@HM@"/></rim:ObjectRefList></lcm:RemoveObjectsRequest></s:Body></s:Envelope>
XML

row "ITI-42 register (1 DocumentEntry)" "$(load "$SECONDS_PER_RUN" tools/bench/register.lua "$WORK/register.xml")"
# The registered submissions, in registration order; the first half is updated, the second removed.
sqlite3 "$WORK/registry/registry.sqlite" \
  "SELECT a.source, a.target, a.entry_uuid FROM associations a JOIN submission_sets s ON s.entry_uuid = a.source
   WHERE a.type LIKE '%HasMember' ORDER BY a.rowid" | tr '|' ' ' >"$WORK/all"
total=$(wc -l <"$WORK/all")
head -n $(( total / 2 )) "$WORK/all" >"$WORK/update.targets"
tail -n +$(( total / 2 + 1 )) "$WORK/all" >"$WORK/remove.targets"
# A third of the time each: both phases stay within their half of the submissions.
HALF=$(( (SECONDS_PER_RUN + 2) / 3 ))
row "ITI-57 UpdateAvailabilityStatus (Approved->Deprecated)" \
  "$(load "$HALF" tools/bench/lifecycle.lua "$WORK/update.xml" "$WORK/update.targets")"
row "ITI-62 Remove Metadata (SS + DE + HasMember)" \
  "$(load "$HALF" tools/bench/lifecycle.lua "$WORK/remove.xml" "$WORK/remove.targets")"
row "ceiling: SQLite, 1 txn per registration" "$(bazel-bin/tools/bench/sqlite_ceiling "$WORK" 1 "$HALF" 1)"
echo "registered: $total submissions; deprecated: $(sqlite3 "$WORK/registry/registry.sqlite" \
  "SELECT count(*) FROM document_entries WHERE status = 2"); left: $(sqlite3 "$WORK/registry/registry.sqlite" \
  "SELECT count(*) FROM submission_sets") submission sets (errors above mean a phase ran out of submissions)"
