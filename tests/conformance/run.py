#!/usr/bin/python3
"""Runs the NIST XDS Toolkit test kit (plus the IHE and IPF example messages) against a
fresh xds-registry + xds-repository, and reports per NIST test id.

  python3 tests/conformance/run.py [--collections SQ.b,reg,...] [--tests 11966,...]
      [--bin-dir bazel-bin] [--junit FILE] [--verbose] [--no-extras]

Last line: "conformance: P passed, F failed, N not applicable", counted in NIST test ids
(the IHE and IPF example messages are counted on the line before). Exit status 0 when every
applicable test passed, 1 otherwise, 0 with a message when the conformance material
($XDS_SHARED/conformance) is absent.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.sax.saxutils as sx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine  # noqa: E402
import extras  # noqa: E402

DEFAULT_COLLECTIONS = "SQ.b,reg,rep,R.b,PR.b,Ret.b,reg_rm,rep_rd"
# The Patient Identity Feed tests (ITI-8) belong to no collection, and of the PatientMove tests
# (collection reg_xadpid) the variants b and c expect the XAD-PID change to create version 2 of
# each DocumentEntry and deprecate version 1 (Metadata Update semantics: ITI-57 moving a patient id, which this
# registry refuses); the rest are run and counted beside the collections.
FEED_TESTS = ["15804"] + ["158%02d" % n for n in range(17, 29)] + ["15817b", "16101", "16102", "16103"]
# The NIST kit's Patient Identity Feed tests allocate ids in the IHERED affinity domain
# (environment/default/pids.txt: IHERED-n^^^&1.3.6.1.4.1.21367.13.20.1000&ISO).
KIT_AUTHORITY = "1.3.6.1.4.1.21367.13.20.1000"
REPOSITORY_UID = "1.3.6.1.4.1.21367.13.20.1000.200"


def find_binary(bin_dirs, rel):
    for d in bin_dirs:
        p = os.path.join(d, rel)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return os.path.abspath(p)
    raise SystemExit("conformance: binary %s not found under %s (build it, or pass --bin-dir)" % (rel, bin_dirs))


def wait_ports(path, proc, name, log):
    for _ in range(600):
        if os.path.exists(path) and open(path).read().strip():
            return open(path).read().split()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit("conformance: %s did not start; log:\n%s" % (name, open(log, errors="replace").read()[-2000:]))


class Stack:
    def __init__(self, bin_dirs, tmp):
        os.makedirs(tmp, exist_ok=True)
        self.tmp = tmp
        self.procs = []
        self.named = []
        reg_bin = find_binary(bin_dirs, "registry/xds-registry")
        repo_bin = find_binary(bin_dirs, "repository/xds-repository")
        self.xdsctl = find_binary(bin_dirs, "tools/xdsctl/xdsctl")
        ports = os.path.join(tmp, "registry.ports")
        log = os.path.join(tmp, "registry.log")
        mllp = os.path.join(tmp, "registry.mllp_port")
        p = subprocess.Popen([reg_bin, "--data_dir=" + os.path.join(tmp, "registry"), "--http_port=0",
                              "--grpc_port=0", "--insecure", "--port_file=" + ports, "--patient_authority=" + KIT_AUTHORITY,
                              "--patient_feed_mllp_port=0", "--patient_feed_port_file=" + mllp],
                             stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        self.named.append(("xds-registry", p, log))
        http, grpc = wait_ports(ports, p, "xds-registry", log)
        self.patient_feed = "127.0.0.1:%s" % open(mllp).read().strip()  # written before the port file
        self.registry_url = "http://127.0.0.1:%s/xds/registry" % http
        self.registry_grpc = "127.0.0.1:%s" % grpc
        ports = os.path.join(tmp, "repository.ports")
        log = os.path.join(tmp, "repository.log")
        p = subprocess.Popen([repo_bin, "--data_dir=" + os.path.join(tmp, "repository"), "--http_port=0",
                              "--grpc_port=0", "--insecure", "--port_file=" + ports, "--registry_grpc=" + self.registry_grpc,
                              "--repository_unique_id=" + REPOSITORY_UID],
                             stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        self.named.append(("xds-repository", p, log))
        http, _ = wait_ports(ports, p, "xds-repository", log)
        self.repository_url = "http://127.0.0.1:%s/xds/repository" % http

    def dead(self):
        out = []
        for name, p, log in self.named:
            if p.poll() is not None:
                tail = " | ".join(open(log, errors="replace").read().strip().splitlines()[-5:])
                out.append((name, p.returncode, tail[-800:]))
        return out

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def collection_tests(testkit, names):
    tests = []
    root = os.path.join(testkit, "tests")
    for t in sorted(os.listdir(root)):
        path = os.path.join(root, t, "collections.txt")
        if not os.path.exists(path):
            continue
        cols = {l.strip() for l in open(path) if l.strip()}
        if cols & set(names):
            tests.append(t)
    return tests


def validate_schemas(results, shared, tmp):
    """Validates every response our services emitted against the official schemas, in one
    xmllint run per schema; a schema-invalid response fails its test."""
    schema_dir = os.path.join(shared, "conformance/schemas/ihe-iti-info/schema")
    env = dict(os.environ, XML_CATALOG_FILES=os.path.join(shared, "conformance/schemas/catalog.xml"))
    by_schema = {}
    outdir = os.path.join(tmp, "responses")
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for res in results:
        for label, xml, schema in res.responses:
            n += 1
            f = os.path.join(outdir, "r%05d.xml" % n)
            with open(f, "wb") as out:
                out.write(xml)
            by_schema.setdefault(schema, []).append((f, res, label))
    if not shutil.which("xmllint"):
        return "xmllint absent (apt-get install libxml2-utils): responses NOT schema-validated"
    for schema, files in by_schema.items():
        xsd = os.path.join(schema_dir, schema)
        for i in range(0, len(files), 200):
            chunk = files[i:i + 200]
            out = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", xsd] + [f for f, _, _ in chunk],
                                 capture_output=True, text=True, env=env)
            msgs = out.stderr.splitlines()
            for f, res, label in chunk:
                bad = [m for m in msgs if m.startswith(f + ":")]
                if any(m.strip() == f + " fails to validate" for m in msgs) or any("error" in m for m in bad):
                    detail = "; ".join(m[len(f) + 1:].strip() for m in bad if "fails to validate" not in m)
                    res.fail(label, "response not valid against %s: %s" % (schema, detail[:600]))
    return "%d responses validated against the official schemas" % n


def write_junit(path, results):
    fails = sum(1 for r in results if r.outcome == "fail")
    skips = sum(1 for r in results if r.outcome == "na")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuites><testsuite name="nist_conformance" tests="%d" failures="%d" skipped="%d" errors="0">'
           % (len(results), fails, skips)]
    for r in results:
        out.append('<testcase classname="conformance.%s" name=%s>' % (r.kind, sx.quoteattr(r.test_id)))
        if r.outcome == "na":
            out.append("<skipped message=%s/>" % sx.quoteattr("not applicable: " + r.reason))
        elif r.outcome == "fail":
            text = "\n".join("%s: %s" % f for f in r.failures)
            out.append("<failure message=%s>%s</failure>" % (sx.quoteattr(r.failures[0][1][:300]), sx.escape(text)))
        out.append("</testcase>")
    out.append("</testsuite></testsuites>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--collections", default=DEFAULT_COLLECTIONS)
    ap.add_argument("--tests", default="", help="comma-separated NIST test ids (instead of --collections)")
    ap.add_argument("--bin-dir", action="append", default=[], help="where registry/xds-registry etc. live")
    ap.add_argument("--junit", default="")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--no-extras", action="store_true", help="skip the IHE/IPF example messages")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (service logs, responses)")
    args = ap.parse_args()

    shared = os.environ.get("XDS_SHARED", "")
    conf = os.path.join(shared, "conformance") if shared else ""
    if not shared or not os.path.isdir(os.path.join(conf, "nist-testkit")):
        print("conformance: SKIPPED: $XDS_SHARED is empty or $XDS_SHARED/conformance is absent; nothing to run")
        if args.junit:
            write_junit(args.junit, [])
        return 0
    testkit = os.path.join(conf, "nist-testkit/testkit")
    here = os.path.dirname(os.path.abspath(__file__))
    bin_dirs = args.bin_dir or [".", "bazel-bin", os.path.join(here, "../../bazel-bin")]

    tmp = tempfile.mkdtemp(prefix="nist-", dir=os.environ.get("TEST_TMPDIR"))
    started = time.time()
    stack = Stack(bin_dirs, tmp)
    try:
        svc = engine.Services(stack.registry_url, stack.repository_url, stack.registry_grpc, REPOSITORY_UID,
                              stack.xdsctl, KIT_AUTHORITY)
        svc.patient_feed = stack.patient_feed
        eng = engine.Engine(testkit, svc, verbose=args.verbose)
        if args.tests:
            selected = [t.strip() for t in args.tests.split(",") if t.strip()]
        else:
            selected = collection_tests(testkit, [c.strip() for c in args.collections.split(",")])
            if args.collections == DEFAULT_COLLECTIONS:
                selected = [t for t in FEED_TESTS if os.path.isdir(os.path.join(testkit, "tests", t))] + selected
        state = {"stack": stack, "generation": 0}

        def after_each(r):
            dead = state["stack"].dead()
            if not dead:
                return
            # A crashed service fails the test that crashed it; the rest of the run
            # continues on a fresh stack (prerequisite data is loaded again on demand).
            for name, code, tail in dead:
                r.fail("-", "%s died (exit status %s) during this test; its log ends: %s" % (name, code, tail))
            print("conformance: %s died during test %s; restarting a fresh registry + repository" % (
                ", ".join(d[0] for d in dead), r.test_id), flush=True)
            state["stack"].stop()
            state["generation"] += 1
            st = Stack(bin_dirs, os.path.join(tmp, "restart%d" % state["generation"]))
            state["stack"] = st
            svc.registry_url, svc.repository_url, svc.registry_grpc = st.registry_url, st.repository_url, st.registry_grpc
            svc.patient_feed = st.patient_feed
            eng.forget_prerequisites(selected)

        for t in selected:
            r = eng.run_test(t)
            if args.verbose:
                print("  ran %s: %s (%.1fs)" % (t, r.outcome, time.time() - started), flush=True)
            after_each(r)
        results = [eng.results[t] for t in selected]
        prereqs = [r for t, r in eng.results.items() if t not in selected]
        if not args.no_extras and not args.tests:
            results += extras.run_all(conf, svc, eng, after_each)
        note = validate_schemas(results + prereqs, shared, tmp)
    finally:
        state["stack"].stop() if "state" in locals() else stack.stop()

    print("NIST XDS Toolkit conformance (%s) against %s and %s" % (
        args.tests or args.collections, svc.registry_url, svc.repository_url))
    for label, group in (("prerequisite (data loaders / patient feeds, not counted)", prereqs),
                         ("test", results)):
        for r in group:
            tag = {"pass": "PASS", "fail": "FAIL", "na": "N/A "}[r.outcome]
            extra = ""
            if r.outcome == "na":
                extra = "not applicable: " + r.reason
            elif r.reason:
                extra = "(" + r.reason + ")"
            print("%s %-9s %-28s %s" % (tag, "prereq" if group is prereqs else r.kind, r.test_id, extra))
            if r.outcome == "fail":
                for where, msg in r.failures:
                    print("       %s: %s" % (where, msg))
    for n in eng.notes:
        print("note: kit discrepancy: %s" % n)
    print("schema check: %s" % note)
    print("elapsed %.1fs; service logs in %s" % (time.time() - started, tmp if args.keep else "(removed)"))
    if args.junit:
        write_junit(args.junit, results)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    def totals(rs):
        return tuple(sum(1 for r in rs if r.outcome == o) for o in ("pass", "fail", "na"))
    # The last line counts NIST test ids only; the IHE and IPF example messages get their own.
    examples = totals([r for r in results if r.kind != "nist"])
    nist = totals([r for r in results if r.kind == "nist"])
    print("examples (IHE, IPF): %d passed, %d failed, %d not applicable" % examples)
    print("conformance: %d passed, %d failed, %d not applicable" % nist)
    return 1 if nist[1] or examples[1] else 0


if __name__ == "__main__":
    sys.exit(main())
