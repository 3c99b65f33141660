#!/usr/bin/env bash
# ./xds test must exit non-zero whenever anything failed: a test case, a check run outside
# bazel (fuzzing, formatting; each counted as one test) or bazel itself; reports of targets gone from the tree are not
# counted again.
set -uo pipefail
summary="$(pwd)/tools/test_summary.py"
logs="$TEST_TMPDIR/testlogs"
fails=0

report() {  # report DIR RESULT(pass|fail)
  mkdir -p "$logs/$1"
  local body='<testcase name="a" classname="S"/>'
  [ "$2" = fail ] && body='<testcase name="a" classname="S"><failure message="x"/></testcase>'
  echo "<testsuites><testsuite>$body</testsuite></testsuites>" >"$logs/$1/test.xml"
}

expect() {  # expect RC LINE ARGS...
  local want_rc=$1 want_line=$2; shift 2
  local out rc
  out=$(python3 "$summary" "$logs" "$@"); rc=$?
  if [ "$rc" != "$want_rc" ] || [ "$(tail -1 <<<"$out")" != "$want_line" ]; then
    echo "FAIL: test_summary.py $* -> rc=$rc, '$(tail -1 <<<"$out")'; want rc=$want_rc, '$want_line'"
    fails=$((fails + 1))
  fi
}

report pkg/ok pass
printf '//pkg:ok\n//pkg:bad\n' >"$TEST_TMPDIR/targets"
expect 0 "2 passed, 0 failed" 0 --check "fuzz=0" --targets "$TEST_TMPDIR/targets"   # a check run outside bazel counts as one
expect 1 "1 passed, 1 failed" 0 --check "fuzz=1" --targets "$TEST_TMPDIR/targets"   # a check outside bazel failed
expect 1 "2 passed, 1 failed" 3 --check "fuzz=0" --targets "$TEST_TMPDIR/targets"   # bazel failed, no failing case
report pkg/bad fail
expect 1 "2 passed, 1 failed" 3 --check "fuzz=0" --targets "$TEST_TMPDIR/targets"
report old/moved pass  # a report left behind by a target that no longer exists
expect 1 "2 passed, 1 failed" 3 --check "fuzz=0" --targets "$TEST_TMPDIR/targets"
rm -r "$logs/pkg/bad"
expect 0 "2 passed, 0 failed" 0 --check "fuzz=0" --targets "$TEST_TMPDIR/targets"
# An earlier --runs_per_test invocation left run_i_of_n/ reports, one failing; this run's
# single report is newer and alone counts. And the other way round.
report pkg/bad/run_1_of_2 fail
report pkg/bad/run_2_of_2 pass
touch -d "1 hour ago" "$logs"/pkg/bad/run_*/test.xml
report pkg/bad pass
expect 0 "2 passed, 0 failed" 0 --targets "$TEST_TMPDIR/targets"
touch -d "2 hours ago" "$logs/pkg/bad/test.xml"
expect 1 "2 passed, 1 failed" 0 --targets "$TEST_TMPDIR/targets"

[ "$fails" -eq 0 ] && echo "all summary cases passed"
exit "$fails"
