#!/usr/bin/env python3
"""Sums the test cases of every Bazel test.xml and prints the line 'N passed, N failed'."""
import pathlib
import sys
import xml.etree.ElementTree as ET

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "bazel-testlogs")
passed = failed = 0
for report in sorted(root.rglob("test.xml")):
    try:
        tree = ET.parse(report)
    except ET.ParseError:
        failed += 1
        continue
    for case in tree.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"FAILED: {report.parent.relative_to(root)} {case.get('classname', '')}.{case.get('name', '')}")
        elif case.get("result") == "suppressed" or case.find("skipped") is not None:
            continue
        else:
            passed += 1
bazel_rc = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if len(sys.argv) > 3:  # the sanitizer fuzz run, counted as one test
    if int(sys.argv[3]) == 0:
        passed += 1
    else:
        failed += 1
        print("FAILED: tools/fuzz/run.sh (sanitizer fuzzing); see bazel-testlogs/fuzz.log")
if bazel_rc != 0 and failed == 0:
    # Bazel failed without a failing test case: a target did not build or a test crashed.
    print(f"FAILED: bazel exited with {bazel_rc} (build failure or a test without a report)")
    failed = 1
print(f"{passed} passed, {failed} failed")
