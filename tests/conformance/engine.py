"""A re-implementation of the NIST XDS Toolkit test engine (xdstest2) for the subset of
testplan.xml instructions that the XDS.b Registry/Repository collections use.

A NIST test is a directory tests/<id>/ whose index.idx lists sections; each section has a
testplan.xml of TestSteps; each TestStep names one transaction and its expectations. The
engine keeps a log per (test, section, step) of what it assigned (uniqueIds, UUIDs, patient
ids) and what it reported, because later steps and tests read them back (UseId, UseReport).
"""
import base64
import datetime
import hashlib
import os
import re
import subprocess
import time
import uuid

from xml.sax.saxutils import escape as xml_escape

from lxml import etree

import ebrs
import hl7feed
import soap
from ebrs import RIM, LCM, RS, QUERY, local

XDSB = "urn:ihe:iti:xds-b:2007"
ACTIONS = {
    "RegisterTransaction": "urn:ihe:iti:2007:RegisterDocumentSet-b",
    "ProvideAndRegisterTransaction": "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
    "StoredQueryTransaction": "urn:ihe:iti:2007:RegistryStoredQuery",
    "RetrieveTransaction": "urn:ihe:iti:2007:RetrieveDocumentSet",
    "RemoveMetadataTransaction": "urn:ihe:iti:2010:DeleteDocumentSet",
    "MuTransaction": "urn:ihe:iti:2010:UpdateDocumentSet",
    "RdTransaction": "urn:ihe:iti:2017:RemoveDocuments",
}
# Transactions/options this product does not implement: a test using any of them is
# "not applicable" (decided per transaction/option, never per test).
NOT_IMPLEMENTED = {
    "MPQTransaction": "ITI-51 Multi-Patient Stored Query option not implemented",
    "RegisterODDETransaction": "ITI-61 On-Demand Documents option not implemented",
    "XDRProvideAndRegisterTransaction": "XDR Document Recipient actor not implemented",
    "MuTransaction ": "",
}
ASYNC_REASON = "Asynchronous Web Services Exchange option (WS-Addressing ReplyTo) not implemented"
TLS_REASON = "TLS transport (ATNA Secure Node/Application) not implemented by the services"
SYMBOL = re.compile(r"\$[A-Za-z_][A-Za-z0-9_.]*\$")


def text_of(el):
    return (el.text or "").strip() if el is not None else ""


class StepLog:
    def __init__(self, step_id, tx):
        self.step_id = step_id
        self.tx = tx
        self.uids = {}       # AssignedUids: original object id -> uniqueId
        self.uuids = {}      # AssignedUuids: original object id -> entryUUID
        self.pids = {}       # AssignedPatientId: original object id -> patient id
        self.reports = {}
        self.input = None    # lxml element sent (the metadata / query)
        self.result = None   # lxml element answered
        self.status = None


class StepFailure(Exception):
    pass


class TestResult:
    def __init__(self, test_id, kind="nist"):
        self.test_id = test_id
        self.kind = kind
        self.outcome = "pass"   # pass | fail | na
        self.reason = ""
        self.failures = []      # (section/step, message)
        self.steps_run = 0
        self.responses = []     # (label, xml bytes, schema) for schema validation

    def fail(self, where, msg):
        self.outcome = "fail"
        self.failures.append((where, msg))


class Services:
    def __init__(self, registry_url, repository_url, registry_grpc, repository_uid, xdsctl, authority):
        self.registry_url = registry_url
        self.repository_url = repository_url
        self.registry_grpc = registry_grpc
        self.repository_uid = repository_uid
        self.xdsctl = xdsctl
        self.authority = authority
        self.patient_feed = ""  # host:port of the ITI-8 MLLP listener; empty: admit with xdsctl
        self._n = 0
        self.run_tag = uuid.uuid4().hex[:6].upper()

    def new_patient(self, admit=True):
        self._n += 1
        pid = "NIST%s-%d^^^&%s&ISO" % (self.run_tag, self._n, self.authority)
        if admit:
            self.admit(pid)
        return pid

    def admit(self, pid):
        if self.patient_feed:  # the way the toolkit does it: ITI-8
            code, ack = self.feed("A01", pid)
            if code != "AA":
                raise StepFailure("ITI-8 A01 for %s answered %s: %s" % (pid, code, ack.replace("\r", " | ")))
            return
        out = subprocess.run([self.xdsctl, "--registry_grpc=" + self.registry_grpc, "patient", "add", pid],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise StepFailure("xdsctl patient add %s failed (%d): %s" % (pid, out.returncode, out.stderr.strip()))

    def feed(self, event, pid, prior=None):
        try:
            return hl7feed.feed(self.patient_feed, event, pid, prior)
        except (OSError, ValueError) as e:
            raise StepFailure("ITI-8 %s to %s failed: %s" % (event, self.patient_feed, e))

    @staticmethod
    def new_uid():
        return "2.25.%d" % uuid.uuid4().int


class Engine:
    def __init__(self, testkit_dir, services, verbose=False, log=print):
        self.testkit = testkit_dir
        self.tests_root = os.path.join(testkit_dir, "tests")
        self.svc = services
        self.verbose = verbose
        self.log = log
        self.logs = {}          # (test, section) -> {step_id: StepLog}
        self.results = {}       # test id -> TestResult
        self.default_patient = {}
        self.running = set()
        self.submitted = {}     # DocumentEntry uniqueId -> (bytes, file) sent by an ITI-41 step
        self.notes = []         # kit discrepancies worked around (printed with the report)

    # ---------------------------------------------------------------- structure
    def test_dir(self, test_id):
        return os.path.join(self.tests_root, test_id)

    def sections(self, test_id):
        path = os.path.join(self.test_dir(test_id), "index.idx")
        if not os.path.exists(path):
            return [""] if os.path.exists(os.path.join(self.test_dir(test_id), "testplan.xml")) else []
        return [l.strip() for l in open(path, encoding="utf-8", errors="replace") if l.strip()
                and not l.strip().startswith("#")]

    def plan(self, test_id, section):
        return etree.parse(os.path.join(self.test_dir(test_id), section, "testplan.xml")).getroot()

    def locate(self, test_id, section, testdir):
        """Resolves a testdir (relative to the section directory, or to the test directory
        as the toolkit also accepts) to (test id, section)."""
        base = os.path.join(self.test_dir(test_id), section)
        for cand in (os.path.normpath(os.path.join(base, testdir)),
                     os.path.normpath(os.path.join(self.test_dir(test_id), testdir))):
            rel = os.path.relpath(cand, self.tests_root)
            parts = rel.split(os.sep)
            if os.path.isdir(cand) and not rel.startswith(".."):
                return parts[0], "/".join(parts[1:])
        rel = os.path.relpath(os.path.normpath(os.path.join(base, testdir)), self.tests_root).split(os.sep)
        return rel[0], "/".join(rel[1:])

    def dependencies(self, test_id):
        deps = []
        for section in self.sections(test_id):
            try:
                root = self.plan(test_id, section)
            except (OSError, etree.XMLSyntaxError):
                continue
            for ur in root.iter("UseReport"):
                t = ur.get("test")
                if t and t != test_id:
                    deps.append(t)
            for ui in root.iter("UseId", "ReferenceMetadata"):
                if ui.get("testdir"):
                    t, _ = self.locate(test_id, section, ui.get("testdir"))
                    if t != test_id:
                        deps.append(t)
        return list(dict.fromkeys(deps))

    def applicability(self, test_id, seen=None):
        """None when applicable, else the reason (per transaction/option)."""
        seen = seen or set()
        if test_id in seen:
            return None
        seen.add(test_id)
        readme = os.path.join(self.test_dir(test_id), "readme.txt")
        if os.path.exists(readme) and re.search(r"\bTLS\b", open(readme, errors="replace").read().split("\n")[0]):
            return TLS_REASON
        for section in self.sections(test_id):
            try:
                root = self.plan(test_id, section)
            except OSError:
                continue
            for step in root.iter("TestStep"):
                for ch in step:
                    if not isinstance(ch.tag, str):
                        continue
                    if ch.tag in NOT_IMPLEMENTED and NOT_IMPLEMENTED[ch.tag]:
                        return NOT_IMPLEMENTED[ch.tag]
                    if ch.find("ASync") is not None:
                        return ASYNC_REASON
        for dep in self.dependencies(test_id):
            r = self.applicability(dep, seen)
            if r:
                return "needs test %s: %s" % (dep, r)
        return None

    def forget_prerequisites(self, selected):
        """After a service restart: prerequisite tests (loaders, feeds) run again on demand."""
        for t in list(self.results):
            if t not in selected:
                del self.results[t]
                for key in [k for k in self.logs if k[0] == t]:
                    del self.logs[key]

    # ---------------------------------------------------------------- running
    def run_test(self, test_id):
        if test_id in self.results:
            return self.results[test_id]
        res = TestResult(test_id)
        self.results[test_id] = res
        if not os.path.isdir(self.test_dir(test_id)):
            res.fail("-", "test directory absent from the testkit")
            return res
        reason = self.applicability(test_id)
        if reason:
            res.outcome, res.reason = "na", reason
            return res
        self.running.add(test_id)
        for dep in self.dependencies(test_id):
            if dep in self.running:
                continue
            d = self.run_test(dep)
            if d.outcome == "fail":
                res.reason = "prerequisite test %s failed" % dep
        try:
            self.default_patient[test_id] = self._default_patient(test_id)
        except StepFailure as e:
            res.fail("-", str(e))
            self.running.discard(test_id)
            return res
        for section in self.sections(test_id):
            try:
                root = self.plan(test_id, section)
            except (OSError, etree.XMLSyntaxError) as e:
                res.fail(section, "testplan unreadable: %s" % e)
                continue
            steps = self.logs.setdefault((test_id, section), {})
            for step in root.findall("TestStep"):
                sid = step.get("id")
                where = "%s/%s" % (section, sid)
                try:
                    self.run_step(res, test_id, section, step, steps)
                except StepFailure as e:
                    res.fail(where, str(e))
                    if self.verbose:
                        self.log("    FAIL %s %s: %s" % (test_id, where, e))
                except Exception as e:  # a harness bug must not stop the run
                    import traceback
                    res.fail(where, "HARNESS ERROR %s: %s" % (type(e).__name__, e))
                    if self.verbose:
                        traceback.print_exc()
                res.steps_run += 1
        self.running.discard(test_id)
        return res

    def _default_patient(self, test_id):
        """The patient id the toolkit assigns when a step has no <NoPatientId/>: the one the
        test's own UseReport names from a Patient Identity Feed test, else a fresh one."""
        for section in self.sections(test_id):
            try:
                root = self.plan(test_id, section)
            except (OSError, etree.XMLSyntaxError):
                continue
            for ur in root.iter("UseReport"):
                if ur.get("reportName") == "$patientid$" and ur.get("useAs") == "$patientid$" and ur.get("test"):
                    try:
                        return self.report(test_id, section, ur)
                    except StepFailure:
                        pass
        return self.svc.new_patient()

    def step_log(self, test_id, section, step_id):
        steps = self.logs.get((test_id, section))
        if steps is None or step_id not in steps:
            raise StepFailure("no log of step %s in %s/%s (did it run?)" % (step_id, test_id, section))
        return steps[step_id]

    def report(self, test_id, section, ur):
        t = ur.get("test") or test_id
        sec = ur.get("section")
        if sec == "THIS":
            sec = section
        if t != test_id and t not in self.results:
            self.run_test(t)
        log = self.step_log(t, sec, ur.get("step"))
        name = ur.get("reportName")
        if name not in log.reports:
            raise StepFailure("report %s not produced by %s/%s/%s" % (name, t, sec, ur.get("step")))
        return log.reports[name]

    def use_id(self, test_id, section, ui):
        t, sec = (test_id, section)
        if ui.get("testdir"):
            t, sec = self.locate(test_id, section, ui.get("testdir"))
        log = self.step_log(t, sec, ui.get("step"))
        table = {"AssignedUids": log.uids, "AssignedUuids": log.uuids,
                 "AssignedPatientId": log.pids}.get(ui.get("section"))
        if table is None:
            raise StepFailure("UseId section %s unsupported" % ui.get("section"))
        if ui.get("id") not in table:
            raise StepFailure("UseId: %s/%s/%s has no %s for %s" % (t, sec, ui.get("step"), ui.get("section"),
                                                                   ui.get("id")))
        return table[ui.get("id")]

    def symbols(self, test_id, section, tx):
        # $now$ at second precision, rounded up: an exclusive "...To" bound of $now$ must not
        # exclude objects registered earlier in the same second (the toolkit's loaders run
        # minutes before the queries; this harness runs them back to back).
        now = datetime.datetime.utcnow().replace(microsecond=0) + datetime.timedelta(seconds=1)
        # The toolkit's built-in symbols: the site's repositoryUniqueId and DTM times.
        values = {"$repuid$": self.svc.repository_uid, "$DATE$": now.strftime("%Y%m%d"),
                  "$now$": now.strftime("%Y%m%d%H%M%S"),
                  "$lastyear$": now.replace(year=now.year - 1).strftime("%Y%m%d%H%M%S")}
        for el in tx:
            if not isinstance(el.tag, str):
                continue
            if el.tag == "UseId":
                values[el.get("symbol")] = self.use_id(test_id, section, el)
            elif el.tag == "UseReport":
                values[el.get("useAs")] = self.report(test_id, section, el)
        return values

    @staticmethod
    def substitute(text, values):
        for k in sorted(values, key=len, reverse=True):
            if k:
                text = text.replace(k, values[k])
        return text

    def find_file(self, test_id, section, name):
        for base in (os.path.join(self.test_dir(test_id), section), self.test_dir(test_id)):
            p = os.path.normpath(os.path.join(base, name))
            if os.path.exists(p):
                return p
        raise StepFailure("file %s not found for %s/%s" % (name, test_id, section))

    def run_step(self, res, test_id, section, step, steps):
        sid = step.get("id")
        expected = [s.strip() for s in text_of(step.find("ExpectedStatus")).split(",") if s.strip()]
        codes = [text_of(e) for e in step if isinstance(e.tag, str)
                 and e.tag in ("ExpectedErrorCode", "ExpectedErrorMessage")]
        tx = None
        for ch in step:
            if isinstance(ch.tag, str) and ch.tag.endswith("Transaction"):
                tx = ch
        if step.find("NewPatientId") is not None:
            self.default_patient[test_id] = self.svc.new_patient()
        if tx is None:
            steps[sid] = StepLog(sid, None)
            return
        log = StepLog(sid, tx.tag)
        steps[sid] = log
        wait = tx.find("WaitBefore")
        if wait is not None:
            time.sleep(int(text_of(wait)) / 1000.0)
        if tx.tag == "PatientIdentityFeedTransaction":
            pid = self.svc.new_patient()
            log.reports["$patientid$"] = pid
            log.status = "Success"
            self._check_status(expected, "Success", [])
            return
        if tx.tag == "PatientMoveTransaction":
            # A40: the subsumed XAD-PID ($OldXADPID$) merged into the surviving one
            # ($NewXADPID$). The local ids ($...LocalPID$) are not the registry's: it keeps
            # the affinity domain's ids only; when both XAD-PIDs are the same (16103) the
            # registry has nothing to move, and still acknowledges.
            if not self.svc.patient_feed:
                raise StepFailure("PatientMoveTransaction needs the registry's ITI-8 listener")
            values = self.symbols(test_id, section, tx)
            old, new = values.get("$OldXADPID$"), values.get("$NewXADPID$")
            if not old or not new:
                raise StepFailure("PatientMoveTransaction without $OldXADPID$ and $NewXADPID$")
            code, ack = self.svc.feed("A40", new, old)
            log.reports["$patientid$"] = new
            log.status = "Success" if code == "AA" else "Failure"
            self._check_status(expected, log.status, [] if code == "AA" else [ack.replace("\r", " | ")])
            return
        if tx.tag == "NullTransaction":
            self._assertions(test_id, section, tx, steps)
            return
        if tx.tag not in ACTIONS:
            raise StepFailure("transaction %s not supported by the harness" % tx.tag)
        values = self.symbols(test_id, section, tx)
        mfile = text_of(tx.find("MetadataFile"))
        if not mfile:
            raise StepFailure("no MetadataFile")
        raw = open(self.find_file(test_id, section, mfile), encoding="utf-8").read()
        raw = self.substitute(raw, {k: xml_escape(v, {'"': "&quot;"}) for k, v in values.items()})
        try:
            root = etree.fromstring(raw.encode())
        except etree.XMLSyntaxError as e:
            raise StepFailure("metadata file %s not well-formed after substitution: %s" % (mfile, e))
        answer = None
        # Placeholders inside XML comments (objects the kit commented out) are not sent.
        for c in root.xpath("//comment()"):
            if c.getparent() is not None:
                c.getparent().remove(c)

        def no_placeholders(el):
            left = sorted(set(SYMBOL.findall(etree.tostring(el).decode())))
            if left:
                raise StepFailure("unresolved placeholders %s in %s" % (left, mfile))
        if tx.tag in ("RegisterTransaction", "ProvideAndRegisterTransaction", "MuTransaction"):
            sor = self._prepare_submission(test_id, step, tx, root, log)
            log.input = sor
            no_placeholders(sor)
            self._input_reports(tx, log)
            # The toolkit reports the patient a submission was made for as $patientid$ (the
            # PatientMove tests read it, e.g. 16103/submit/loadDE).
            if "$patientid$" not in log.reports:
                pids = list(log.pids.values()) or sor.xpath(
                    "//*[local-name()='ExternalIdentifier'][@identificationScheme="
                    "'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446' or @identificationScheme="
                    "'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427']/@value")
                if pids:
                    log.reports["$patientid$"] = str(pids[0])
            if tx.tag in ("RegisterTransaction", "MuTransaction"):
                body = etree.tostring(sor)
                answer = soap.post(self.svc.registry_url, ACTIONS[tx.tag], body)
            else:
                answer = self._provide(test_id, section, tx, sor, log)
        elif tx.tag == "StoredQueryTransaction":
            no_placeholders(root)
            log.input = root
            answer = soap.post(self.svc.registry_url, ACTIONS[tx.tag], etree.tostring(root))
        elif tx.tag == "RemoveMetadataTransaction":
            no_placeholders(root)
            log.input = root
            answer = soap.post(self.svc.registry_url, ACTIONS[tx.tag], etree.tostring(root))
        elif tx.tag == "RdTransaction":
            no_placeholders(root)
            log.input = root
            answer = soap.post(self.svc.repository_url, ACTIONS[tx.tag], etree.tostring(root))
        elif tx.tag == "RetrieveTransaction":
            no_placeholders(root)
            log.input = root
            answer = soap.post(self.svc.repository_url, ACTIONS[tx.tag], etree.tostring(root), mtom=True)
        self._record_response(res, "%s/%s" % (section, sid), answer)
        if answer.fault:
            raise StepFailure(answer.fault)
        log.result = answer.body
        status, errors = response_status(answer.body)
        log.status = status
        self._result_reports(tx, log)
        self._check_status(expected, status, errors, codes)
        ec = tx.find("ExpectedContents")
        if tx.tag == "StoredQueryTransaction" and ec is not None:
            problems = check_contents(ec, answer.body, lambda ui: self.use_id(test_id, section, ui))
            if problems:
                raise StepFailure("ExpectedContents: " + "; ".join(problems) + "; got " + summarize(answer.body))
        if tx.tag == "RetrieveTransaction" and status != "Failure":
            self._check_retrieve(test_id, section, tx, answer, values)
        if tx.find("Assertions") is not None:
            self._assertions(test_id, section, tx, steps)

    # ---------------------------------------------------------------- submissions
    def _prepare_submission(self, test_id, step, tx, root, log):
        if local(root) == "ProvideAndRegisterDocumentSetRequest":
            root = root.find("{%s}SubmitObjectsRequest" % LCM)
        if ebrs.is_v21(root):
            if tx.find("XDSb") is None:
                raise StepFailure("ebRS 2.1 metadata without <XDSb/>: XDS.a is not in scope")
            sor = ebrs.translate_to_v3(root)
        else:
            sor = root
        if tx.find("NoPatientId") is None:
            if step.find("AltPatientId") is not None or tx.find("AltPatientId") is not None:
                patient = self.svc.new_patient(admit=False)   # unknown to the registry
            else:
                patient = self.default_patient[test_id]
            log.pids = ebrs.assign_patient_id(sor, patient)
        nau = tx.find("NoAssignUids")
        if nau is None or nau.get("id"):
            # <NoAssignUids id="X"/> keeps only X's uniqueId as written.
            keep = {nau.get("id")} if nau is not None else set()
            log.uids = ebrs.assign_uids(sor, self.svc.new_uid, keep)
        if tx.find("AssignUuids") is not None:
            log.uuids = ebrs.assign_uuids(sor)
        else:
            log.uuids = {o.get("id"): o.get("id") for o in ebrs.top_objects(sor) if o.get("id")}
        for k, v in log.uids.items():
            log.reports["%s_uid" % k] = v
        for k, v in log.uuids.items():
            log.reports["%s_uuid" % k] = v
        return sor

    def _provide(self, test_id, section, tx, sor, log):
        pnr = etree.Element("{%s}ProvideAndRegisterDocumentSetRequest" % XDSB, nsmap={"xdsb": XDSB})
        pnr.append(sor)
        attachments = []
        for i, d in enumerate(tx.findall("Document")):
            data = open(self.find_file(test_id, section, text_of(d)), "rb").read()
            did = d.get("id")
            if did in log.uids:
                self.submitted[log.uids[did]] = (data, text_of(d))
            did = log.uuids.get(did, did)
            cid = "doc%d@nist.harness" % i
            el = etree.SubElement(pnr, "{%s}Document" % XDSB, id=did)
            etree.SubElement(el, "{%s}Include" % soap.XOP_NS, href="cid:" + cid)
            attachments.append((cid, data))
        return soap.post(self.svc.repository_url, ACTIONS[tx.tag], etree.tostring(pnr), attachments, mtom=True)

    def _input_reports(self, tx, log):
        for rep in tx.findall("Report"):
            if rep.get("section") == "InputMetadata":
                log.reports[rep.get("name")] = xpath_value(log.input, text_of(rep))

    def _result_reports(self, tx, log):
        for rep in tx.findall("Report"):
            if rep.get("section") == "Result" and log.result is not None:
                v = xpath_value(log.result, text_of(rep))
                if v is not None:
                    log.reports[rep.get("name")] = v

    def _check_status(self, expected, status, errors, codes=()):
        if expected and status not in expected:
            raise StepFailure("status %s, expected %s%s" % (status, "/".join(expected), fmt_errors(errors)))
        for code in codes:
            if not any(code == e[0] or code in (e[1] or "") for e in errors):
                raise StepFailure("expected error %s, got%s" % (code, fmt_errors(errors) or " no RegistryError"))

    def _record_response(self, res, label, answer):
        if answer.body is None or answer.fault:
            return
        name = local(answer.body)
        schema = {"RegistryResponse": "ebRS/rs.xsd", "AdhocQueryResponse": "ebRS/query.xsd",
                  "RetrieveDocumentSetResponse": "IHE/XDS.b_DocumentRepository.xsd"}.get(name)
        if schema is None:
            res.fail(label, "unexpected answer element %s" % answer.body.tag)
            return
        body = etree.fromstring(etree.tostring(answer.body))
        for inc in list(body.iter("{%s}Include" % soap.XOP_NS)):
            parent = inc.getparent()
            data = answer.document_bytes(parent) or b""
            parent.remove(inc)
            parent.text = base64.b64encode(data).decode()
        res.responses.append((label, etree.tostring(body), schema))

    def _check_retrieve(self, test_id, section, tx, answer, values):
        got = {}
        for dr in answer.body.iter("{%s}DocumentResponse" % XDSB):
            uid = text_of(dr.find("{%s}DocumentUniqueId" % XDSB))
            doc = dr.find("{%s}Document" % XDSB)
            got[uid] = (text_of(dr.find("{%s}mimeType" % XDSB)),
                        answer.document_bytes(doc) if doc is not None else None,
                        text_of(dr.find("{%s}RepositoryUniqueId" % XDSB)))
        for ref in tx.findall("ReferenceDocument"):
            uid = self.substitute(ref.get("uid"), values)
            expect = open(self.find_file(test_id, section, text_of(ref)), "rb").read()
            if uid in self.submitted and self.submitted[uid][0] != expect:
                # The testplan's ReferenceDocument is not the file its own ITI-41 step sent
                # (12029: submits readme.txt, compares with my_document.pdf): compare with
                # what was actually provided.
                self.notes.append("%s/%s: ReferenceDocument %s is not the document submitted (%s); "
                                  "compared with the submitted one" % (test_id, section, text_of(ref),
                                                                       self.submitted[uid][1]))
                expect = self.submitted[uid][0]
            if uid not in got:
                raise StepFailure("document %s not returned (returned: %s)" % (uid, sorted(got)))
            if got[uid][1] != expect:
                raise StepFailure("document %s: %d bytes returned differ from the %d submitted" % (
                    uid, len(got[uid][1] or b""), len(expect)))
            if got[uid][2] != self.svc.repository_uid:
                raise StepFailure("document %s: RepositoryUniqueId %s" % (uid, got[uid][2]))
        mt = text_of(tx.find("ExpectedMimeType"))
        if mt:
            for uid, (m, _, _) in got.items():
                if m != mt:
                    raise StepFailure("document %s mimeType %s, expected %s" % (uid, m, mt))
        rm = tx.find("ReferenceMetadata")
        if rm is not None:
            t, sec = self.locate(test_id, section, rm.get("testdir"))
            ref = self.step_log(t, sec, rm.get("step")).result
            if ref is not None:
                for eo in ref.iter("{%s}ExtrinsicObject" % RIM):
                    uid = None
                    for ei in eo.iter("{%s}ExternalIdentifier" % RIM):
                        if ei.get("identificationScheme") == ebrs.DE_UNIQUE_ID:
                            uid = ei.get("value")
                    if uid in got and got[uid][0] != eo.get("mimeType"):
                        raise StepFailure("document %s: mimeType %s returned, registry metadata says %s" % (
                            uid, got[uid][0], eo.get("mimeType")))

    # ---------------------------------------------------------------- assertions
    def _assertions(self, test_id, section, tx, steps):
        asserts = tx.find("Assertions")
        if asserts is None:
            return
        values = {}
        for ur in tx.findall("UseReport"):
            values[ur.get("useAs")] = self.report(test_id, section, ur)
        values["$DATE$"] = datetime.datetime.utcnow().strftime("%Y%m%d")
        logdoc = etree.Element("TestResults")
        for sid, lg in steps.items():
            ts = etree.SubElement(logdoc, "TestStep", id=sid)
            if lg.tx:
                t = etree.SubElement(ts, lg.tx)
                if lg.input is not None:  # the toolkit's log keeps what each step sent too
                    etree.SubElement(t, "InputMetadata").append(etree.fromstring(etree.tostring(lg.input)))
                r = etree.SubElement(t, "Result")
                if lg.result is not None:
                    r.append(etree.fromstring(etree.tostring(lg.result)))
        for a in asserts.findall("Assert"):
            expr = self.substitute(text_of(a), values)
            try:
                ok = etree.XPath(expr)(logdoc)
            except etree.XPathError as e:
                raise StepFailure("assertion %s not evaluable (%s): %s" % (a.get("id"), e, expr))
            if isinstance(ok, list):
                ok = bool(ok)
            if not ok:
                raise StepFailure("assertion %s false: %s" % (a.get("id"), " ".join(expr.split())))


# -------------------------------------------------------------------- answers
def response_status(body):
    name = local(body)
    if name == "RetrieveDocumentSetResponse":
        rr = body.find("{%s}RegistryResponse" % RS)
        st = rr.get("status", "") if rr is not None else ""
    else:
        st = body.get("status", "")
    errors = [(e.get("errorCode"), e.get("codeContext"), e.get("severity", "").split(":")[-1])
              for e in body.iter("{%s}RegistryError" % RS)]
    return st.split(":")[-1], errors


def fmt_errors(errors):
    if not errors:
        return ""
    return " [" + "; ".join("%s%s: %s" % (c, "" if s.endswith("Error") else "(%s)" % s, (x or "")[:160])
                            for c, x, s in errors) + "]"


def xpath_value(root, expr):
    try:
        r = etree.XPath(" ".join(expr.split()))(root)
    except etree.XPathError:
        return None
    if isinstance(r, list):
        if not r:
            return None
        r = r[0]
        if isinstance(r, etree._Element):
            return (r.text or "").strip()
    return str(r).strip()


def classify(body):
    """Objects of a query answer, by kind (NIST's Metadata parse)."""
    rol = body.find("{%s}RegistryObjectList" % RIM)
    kinds = {"DocumentEntry": [], "SubmissionSet": [], "Folder": [], "Association": [], "ObjectRef": [],
             "Other": []}
    if rol is None:
        return kinds
    for c in rol:
        if not isinstance(c.tag, str):
            continue
        n = local(c)
        if n in ("ExtrinsicObject", "RegistryPackage"):
            k = ebrs.object_kind(c, rol) if n == "RegistryPackage" else "DocumentEntry"
            kinds[k or "Other"].append(c)
        elif n in ("Association", "ObjectRef"):
            kinds[n].append(c)
        elif n != "Classification":
            kinds["Other"].append(c)
    return kinds


def summarize(body):
    k = classify(body)
    s = "%d DocumentEntries, %d SubmissionSets, %d Folders, %d Associations, %d ObjectRefs" % (
        len(k["DocumentEntry"]), len(k["SubmissionSet"]), len(k["Folder"]), len(k["Association"]),
        len(k["ObjectRef"]))
    st = sorted({(e.get("status") or "").split(":")[-1] for e in k["DocumentEntry"]})
    return s + (" (DocumentEntry status %s)" % "/".join(st) if st else "")


def _status(el):
    return (el.get("status") or "").split(":")[-1]


def check_contents(ec, body, use_id=None):
    k = classify(body)
    problems = []
    counts = {"Documents": "DocumentEntry", "SubmissionSets": "SubmissionSet",
              "Folders": "Folder", "Associations": "Association", "ObjectRefs": "ObjectRef"}
    members = {(a.get("sourceObject"), a.get("targetObject")) for a in k["Association"]
               if a.get("associationType", "").endswith("HasMember")}

    def shape(ss, docs, fols, docs_in_fol=None):
        p = []
        if len(k["SubmissionSet"]) != ss:
            p.append("%d SubmissionSet(s) expected" % ss)
        if len(k["DocumentEntry"]) != docs:
            p.append("%d DocumentEntry(ies) expected" % docs)
        if len(k["Folder"]) != fols:
            p.append("%d Folder(s) expected" % fols)
        if not p and ss == 1:
            sid = k["SubmissionSet"][0].get("id")
            for o in k["DocumentEntry"] + k["Folder"]:
                if (sid, o.get("id")) not in members:
                    p.append("no SubmissionSet HasMember association to %s" % o.get("id"))
        if not p and docs_in_fol is not None:
            fids = {f.get("id") for f in k["Folder"]}
            n = len([1 for s, t in members if s in fids])
            if n != docs_in_fol:
                p.append("%d document(s) in the folder expected, %d HasMember from folders" % (docs_in_fol, n))
        return p

    for e in ec:
        if not isinstance(e.tag, str):
            continue
        t = e.tag
        if t in counts:
            want = int(e.get("count", "-1").strip())
            have = len(k[counts[t]])
            if have != want:
                problems.append("%s count %d expected" % (t, want))
        elif t == "None":
            if any(k[x] for x in k):
                problems.append("no objects expected")
        elif t in ("DocApp", "DocDep"):
            want = "Approved" if t.endswith("App") else "Deprecated"
            docs = k["DocumentEntry"]
            zero = ec.find("Documents") is not None and ec.find("Documents").get("count", "").strip() == "0"
            if not docs and zero:
                pass  # the kit asks for no documents and "all Approved" together (30006, 30007): vacuous
            elif not docs:
                problems.append("%s: no DocumentEntries" % t)
            elif any(_status(d) != want for d in docs):
                problems.append("%s: a DocumentEntry is not %s" % (t, want))
        elif t in ("OneDocApp", "OneDocDep"):
            want = "Approved" if t.endswith("App") else "Deprecated"
            n = len([d for d in k["DocumentEntry"] if _status(d) == want])
            if n != 1:
                problems.append("%s: %d %s DocumentEntries, exactly 1 expected" % (t, n, want))
        elif t == "DocumentEntries":
            got = {d.get("id"): d.get("objectType") for d in k["DocumentEntry"]}
            for moi in e.findall("MustOnlyInclude"):
                want = {}
                for de in moi.findall("DocumentEntry"):
                    ui = de.find("UseId")
                    want[use_id(ui) if ui is not None else None] = text_of(de.find("DocumentEntryType"))
                if set(got) != set(want):
                    problems.append("DocumentEntries: must only include %s" % sorted(want))
                for i, ty in want.items():
                    if i in got and ty and got[i] != ty:
                        problems.append("DocumentEntry %s objectType %s, expected %s" % (i, got[i], ty))
        elif t in ("FolApp", "FolDep"):
            want = "Approved" if t.endswith("App") else "Deprecated"
            if not k["Folder"] or any(_status(f) != want for f in k["Folder"]):
                problems.append("%s: Folders not all %s" % (t, want))
        elif t == "SSApproved":
            if not k["SubmissionSet"] or any(_status(f) != "Approved" for f in k["SubmissionSet"]):
                problems.append("SSApproved: SubmissionSets not all Approved")
        elif t == "SSwithOneDoc":
            problems += shape(1, 1, 0)
        elif t == "SSwithTwoDoc":
            problems += shape(1, 2, 0)
        elif t == "SSwithOneDocOneFol":
            problems += shape(1, 1, 1)
        elif t == "SSwithTwoDocOneFol":
            problems += shape(1, 2, 1)
        elif t == "SSwithOneFol":
            problems += shape(1, 0, 1)
        elif t == "SSwithTwoDocOneFolOneDocInFol":
            problems += shape(1, 2, 1, docs_in_fol=1)
        elif t == "HasXFRM_RPLC":
            if not any(a.get("associationType", "").endswith("XFRM_RPLC") for a in k["Association"]):
                problems.append("no XFRM_RPLC association")
        else:
            problems.append("harness does not implement ExpectedContents <%s>" % t)
    return problems
