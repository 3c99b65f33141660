#!/usr/bin/env python3
"""Sums the test cases of this run's Bazel test.xml files, prints 'N passed, N failed' and
exits non-zero when anything failed (a test case, the sanitizer fuzz run, or bazel itself).

Usage: test_summary.py TESTLOGS BAZEL_RC [--check NAME=RC]... [--targets FILE]
--check adds a check run outside bazel (the sanitizer fuzzing, the formatting), counted as one
test that passed when RC is 0. --targets names the test labels of this run (`bazel query 'tests(//...)'`), one per line:
reports of tests that no longer exist (a moved or deleted target) stay in bazel-testlogs
and would otherwise be counted again."""
import argparse
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

RUN = re.compile(r"^(run|shard)_\d+_of_(\d+)$")

parser = argparse.ArgumentParser()
parser.add_argument("testlogs", nargs="?", default="bazel-testlogs")
parser.add_argument("bazel_rc", nargs="?", type=int, default=0)
parser.add_argument("--check", action="append", default=[])
parser.add_argument("--targets")
args = parser.parse_args()

root = pathlib.Path(args.testlogs)
if args.targets:
    dirs = []
    for label in pathlib.Path(args.targets).read_text().split():
        package, _, name = label.lstrip("/").partition(":")
        dirs.append(root / package / name)
else:
    dirs = sorted({r.parent for r in root.rglob("test.xml")})
    dirs = [d.parent if RUN.match(d.name) else d for d in dirs]


def latest_reports(target_dir):
    """The reports of the target's last run. Bazel writes test.xml directly for a single run
    and under run_i_of_n/ or shard_i_of_n/ for several; the other layout's files stay behind
    from an earlier invocation. Reports are grouped by layout and the newest group wins."""
    groups = {}
    for report in target_dir.rglob("test.xml"):
        parts = report.relative_to(target_dir).parts[:-1]
        layout = tuple(RUN.sub(r"\1_of_\2", p) for p in parts if RUN.match(p))
        groups.setdefault(layout, []).append(report)
    if not groups:
        return []
    return max(groups.values(), key=lambda rs: max(r.stat().st_mtime for r in rs))


reports = sorted(r for d in sorted(set(dirs)) for r in latest_reports(d))

passed = failed = 0
for report in reports:
    try:
        tree = ET.parse(report)
    except ET.ParseError:
        failed += 1
        print(f"FAILED: {report.parent.relative_to(root)} (unreadable test.xml)")
        continue
    for case in tree.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            print(f"FAILED: {report.parent.relative_to(root)} {case.get('classname', '')}.{case.get('name', '')}")
        elif case.get("result") == "suppressed" or case.find("skipped") is not None:
            continue
        else:
            passed += 1
for check in args.check:
    name, _, rc = check.rpartition("=")
    if rc.strip() == "0":
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name}")
if args.bazel_rc != 0 and failed == 0:
    # Bazel failed without a failing test case: a target did not build or a test crashed.
    print(f"FAILED: bazel exited with {args.bazel_rc} (build failure or a test without a report)")
    failed = 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
