"""The patient identity feed of issue 17 end to end: the real xds-registry on 127.0.0.1, real
sockets, real SQLite files.

  ITI-8 (HL7 v2 over MLLP):
  1. A01/A04/A05/A08 admit the domain's id (AA, MSA-2 = MSH-10); ITI-42 for it then succeeds,
     while one for a never-fed id fails with XDSUnknownPatientId.
  2. A PID-3 of another assigning authority only: AE with ERR 204, nothing admitted.
  3. Malformed, unsupported and oversized messages: AR/AE or a closed connection, and the
     listener keeps serving; a stalled sender does not hold others up; 200 senders on their
     own connections at once are all answered.
  4. A40: the subsumed id's entries are found under the surviving id, none under the
     subsumed one, ITI-42 for the subsumed id fails; `xdsctl patient show` names the merge;
     the audit trail has the merge with both ids.
  5. Interop: python3-hl7's mllp_send (a sender nobody here wrote) feeds a patient.
  6. Over mutual TLS: a node with the admin right feeds (AA), a consumer/source node is
     refused (AR), a client without a certificate does not get through the handshake.
  ITI-44 (HL7 v3 on the registry's SOAP URL):
  7. PRPA_IN201301UV02 add, PRPA_IN201302UV02 revise and PRPA_IN201304UV02 merge, answered with
     MCCI_IN000002UV01 (valid against the NE2008 schema when ../shared is there): AA, AE 204 for
     another authority, AR for a body that is not the action's interaction; the merge as in 4.
"""
import concurrent.futures
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request
import uuid

XDSCTL = "tools/xdsctl/xdsctl"
REGISTRY = "registry/xds-registry"
FIXTURE = "tests/fixtures/iti42/submission_two_docs_folder.xml"
FIXTURE_PATIENT = "P-1^^^&1.2.3.4.5&ISO"
AUTHORITY = "1.2.3.4.5"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
VT, FS_CR = b"\x0b", b"\x1c\r"


def cx(local):
    return "%s^^^&%s&ISO" % (local, AUTHORITY)


def adt(event, control_id, pid3, mrg1=None, version="2.3.1"):
    structure = {"A40": "ADT_A39", "A08": "ADT_A01"}.get(event, "ADT_A01")
    segments = ["MSH|^~\\&|PIX_SOURCE|HOSPITAL|XDS_REGISTRY|DOMAIN|20261207120000||ADT^%s^%s|%s|P|%s"
                % (event, structure, control_id, version),
                "EVN|%s|20261207120000" % event,
                "PID|||%s||DOE^JANE||19800101|F" % pid3]
    if mrg1 is not None:
        segments.append("MRG|%s" % mrg1)
    else:
        segments.append("PV1||O")
    return "\r".join(segments) + "\r"


def prpa(interaction, patient_root, patient_ext, prior=None):
    """An ITI-44 message; `prior` = (root, extension) of the subsumed id for a merge."""
    replacement = ""
    if prior:
        replacement = ('<replacementOf typeCode="RPLC"><priorRegistration classCode="REG" moodCode="EVN">'
                       '<statusCode code="obsolete"/><subject1 typeCode="SBJ"><priorRegisteredRole classCode="PAT">'
                       '<id root="%s" extension="%s"/></priorRegisteredRole></subject1></priorRegistration>'
                       '</replacementOf>' % prior)
    event = {"PRPA_IN201301UV02": "PRPA_TE201301UV02", "PRPA_IN201302UV02": "PRPA_TE201302UV02",
             "PRPA_IN201304UV02": "PRPA_TE201304UV02"}[interaction]
    person = ('<patientPerson><name><given>JANE</given><family>DOE</family></name></patientPerson>'
              '<providerOrganization classCode="ORG" determinerCode="INSTANCE"><id root="2.999.7.1"/>'
              '<contactParty classCode="CON"/></providerOrganization>')
    return (
        '<%(i)s xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0">'
        '<id root="2.999.7.7" extension="%(msg)s"/><creationTime value="20261207120000"/>'
        '<interactionId root="2.16.840.1.113883.1.6" extension="%(i)s"/>'
        '<processingCode code="P"/><processingModeCode code="T"/><acceptAckCode code="AL"/>'
        '<receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE"><id root="2.999.1.1"/>'
        '</device></receiver>'
        '<sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE"><id root="2.999.7.1"/>'
        '</device></sender>'
        '<controlActProcess classCode="CACT" moodCode="EVN"><code code="%(e)s" codeSystem="2.16.840.1.113883.1.6"/>'
        '<subject typeCode="SUBJ"><registrationEvent classCode="REG" moodCode="EVN"><id nullFlavor="NA"/>'
        '<statusCode code="active"/><subject1 typeCode="SBJ"><patient classCode="PAT">'
        '<id root="%(root)s" extension="%(ext)s"/><statusCode code="active"/>%(person)s</patient></subject1>'
        '<custodian typeCode="CST"><assignedEntity classCode="ASSIGNED"><id root="2.999.7.1"/></assignedEntity>'
        '</custodian>%(rpl)s</registrationEvent></subject></controlActProcess></%(i)s>'
        % {"i": interaction, "e": event, "msg": uuid.uuid4().hex, "root": patient_root, "ext": patient_ext,
           "person": person, "rpl": replacement})


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def start_registry(tmp, name, extra):
    data = os.path.join(tmp, name)
    ports, mllp = data + ".ports", data + ".mllp"
    log = open(data + ".log", "a")
    proc = subprocess.Popen([REGISTRY, "--data_dir=" + data, "--port_file=" + ports, "--http_port=0", "--grpc_port=0",
                             "--patient_feed_mllp_port=0", "--patient_feed_port_file=" + mllp,
                             "--patient_authority=" + AUTHORITY, "--max_hl7_message_bytes=65536",
                             "--log_calls"] + extra, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(600):
        if os.path.exists(ports):
            with open(ports) as p, open(mllp) as m:
                http, grpc = p.read().split()[:2]
                return proc, int(http), int(grpc), int(m.read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the registry did not start; see " + data + ".log")


def read_frame(sock):
    data = b""
    while not data.endswith(FS_CR):
        chunk = sock.recv(65536)
        if not chunk:
            return None  # closed
        data += chunk
    assert data.startswith(VT), data
    return data[1:-2].decode()


def fields(ack, segment):
    for line in ack.split("\r"):
        if line.startswith(segment + "|"):
            return line.split("|")
    return None


class Feed:
    """An MLLP connection to the feed."""

    def __init__(self, port, context=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1") if context else raw

    def send(self, message):
        self.sock.sendall(VT + message.encode() + FS_CR)
        return read_frame(self.sock)

    def close(self):
        self.sock.close()


class PatientFeedTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.proc, cls.http, cls.grpc, cls.mllp = start_registry(cls.tmp, "plain", ["--insecure"])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=20)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------
    def feed(self, message):
        f = Feed(self.mllp)
        try:
            return f.send(message)
        finally:
            f.close()

    def assertAck(self, ack, code, control_id, err=None):
        self.assertIsNotNone(ack, "the connection was closed instead of an ACK")
        msa = fields(ack, "MSA")
        self.assertEqual(msa[1:3], [code, control_id], ack)
        if err is None:
            self.assertIsNone(fields(ack, "ERR"), ack)
        else:
            self.assertIn(err, fields(ack, "ERR")[1] + "|" + "|".join(fields(ack, "ERR")[2:4]), ack)

    def ctl(self, *args, expect=0):
        out = run([XDSCTL, "--registry_grpc=127.0.0.1:%d" % self.grpc] + list(args))
        self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
        return out.stdout

    def register(self, patient):
        """ITI-42 of the two-document fixture for `patient`; returns the response status and text."""
        with open(FIXTURE) as f:
            body = f.read().replace(FIXTURE_PATIENT.replace("&", "&amp;"), patient.replace("&", "&amp;"))
        body = re.sub(r'value="2\.25\.\d+"', lambda m: 'value="2.25.%d"' % uuid.uuid4().int, body)
        body = body[body.index("<lcm:SubmitObjectsRequest"):] if "<?xml" in body else body
        url = "http://127.0.0.1:%d/xds/registry" % self.http
        envelope = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                    'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
                    '<a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RegisterDocumentSet-b</a:Action>'
                    '<a:MessageID>urn:uuid:%s</a:MessageID><a:To>%s</a:To></s:Header><s:Body>%s</s:Body>'
                    '</s:Envelope>' % (uuid.uuid4(), url, body))
        request = urllib.request.Request(url, data=envelope.encode(), headers={
            "Content-Type": 'application/soap+xml; charset=UTF-8; action="urn:ihe:iti:2007:RegisterDocumentSet-b"'})
        text = urllib.request.urlopen(request, timeout=30).read().decode()
        status = re.search(r'status="([^"]+)"', text[text.index("RegistryResponse"):]).group(1)
        return status, text

    def soap(self, action, body):
        url = "http://127.0.0.1:%d/xds/registry" % self.http
        envelope = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                    'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
                    '<a:Action s:mustUnderstand="1">%s</a:Action>'
                    '<a:MessageID>urn:uuid:%s</a:MessageID><a:To>%s</a:To></s:Header><s:Body>%s</s:Body>'
                    '</s:Envelope>' % (action, uuid.uuid4(), url, body))
        request = urllib.request.Request(url, data=envelope.encode(), headers={
            "Content-Type": 'application/soap+xml; charset=UTF-8; action="%s"' % action})
        return urllib.request.urlopen(request, timeout=30).read().decode()

    def iti44(self, interaction, body):
        text = self.soap("urn:hl7-org:v3:" + interaction, body)
        self.assertIn("urn:hl7-org:v3:MCCI_IN000002UV01", text)  # the response's wsa:Action
        ack = text[text.index("<MCCI_IN000002UV01"):text.index("</MCCI_IN000002UV01>") + 20]
        shared = os.environ.get("XDS_SHARED")
        if shared:  # the answer is valid against the NE2008 schema
            schema = os.path.join(shared, "conformance/schemas/ihe-iti-info/schema/HL7V3/NE2008/multicacheschemas")
            path = os.path.join(self.tmp, "ack.xml")
            with open(path, "w") as f:
                f.write(ack)
            out = run(["xmllint", "--noout", "--schema", os.path.join(schema, "MCCI_IN000002UV01.xsd"), path])
            self.assertEqual(out.returncode, 0, out.stderr + ack)
        return re.search(r'<typeCode code="(\w+)"', ack).group(1), ack

    def documents(self, patient):
        return json.loads(self.ctl("find", "--patient", patient, "--status", "all", "--format=json"))["documentEntries"]

    # -- tests -----------------------------------------------------------------------------
    def test_1_admit_then_register(self):
        for i, event in enumerate(("A01", "A04", "A05", "A08")):
            patient = cx("ADMIT-%s" % event)
            self.assertAck(self.feed(adt(event, "C-%d" % i, patient)), "AA", "C-%d" % i)
            status, text = self.register(patient)
            self.assertEqual(status, SUCCESS, text)
        # HL7 v2.5 too, and the other authorities in PID-3 are ignored beside the domain's.
        patient = cx("V25")
        pid3 = "LOCAL-7^^^HOSP&9.9.9&ISO~%s" % patient
        self.assertAck(self.feed(adt("A01", "C-25", pid3, version="2.5")), "AA", "C-25")
        self.assertIn(patient, json.loads(self.ctl("patient", "list", "--format=json"))["patients"])
        self.assertNotIn("LOCAL-7^^^&9.9.9&ISO", self.ctl("patient", "list"))
        # Never fed: ITI-42 refuses it.
        status, text = self.register(cx("NEVER-FED"))
        self.assertNotEqual(status, SUCCESS)
        self.assertIn("XDSUnknownPatientId", text)

    def test_2_other_authority(self):
        ack = self.feed(adt("A01", "C-OTHER", "X-1^^^&9.9.9&ISO"))
        self.assertAck(ack, "AE", "C-OTHER", err="204")
        self.assertNotIn("X-1", self.ctl("patient", "list"))
        status, text = self.register("X-1^^^&9.9.9&ISO")
        self.assertNotEqual(status, SUCCESS)

    def test_3_malformed_oversized_and_slow(self):
        stalled = socket.create_connection(("127.0.0.1", self.mllp))
        stalled.sendall(VT + b"MSH|^~\\&|SLOW")  # a frame begun and never finished
        # Not an HL7 message, an unsupported event, no PID: refused with an ACK.
        self.assertAck(self.feed("HELLO WORLD"), "AR", "", err="102")
        self.assertAck(self.feed(adt("A03", "C-A03", cx("A3"))), "AR", "C-A03", err="201")
        no_pid = "MSH|^~\\&|S|F|R|D|20261207||ADT^A01^ADT_A01|C-NOPID|P|2.5\rEVN||20261207\r"
        self.assertAck(self.feed(no_pid), "AE", "C-NOPID", err="101")
        self.assertAck(self.feed(adt("A01", "C-V2", cx("V2"), version="3.0")), "AR", "C-V2", err="203")
        # Bytes outside a frame and an oversized frame: the connection is closed.
        for junk in (b"GET / HTTP/1.1\r\n\r\n", VT + b"MSH|" + b"x" * 70000 + FS_CR):
            s = socket.create_connection(("127.0.0.1", self.mllp), timeout=20)
            try:
                s.sendall(junk)
            except OSError:
                pass  # the server may close while the rest is still being sent
            try:
                self.assertIsNone(read_frame(s))
            except ConnectionResetError:
                pass
            s.close()
        # Several messages on one connection, back to back, each answered in order; the
        # stalled sender held no one up.
        f = Feed(self.mllp)
        f.sock.sendall(b"".join(VT + adt("A01", "C-P%d" % i, cx("PIPE-%d" % i)).encode() + FS_CR for i in range(5)))
        for i in range(5):
            self.assertAck(read_frame(f.sock), "AA", "C-P%d" % i)
        f.close()
        # Many senders at once, each on its own connection, all answered.
        def one(i):
            g = Feed(self.mllp)
            try:
                return g.send(adt("A04", "C-M%d" % i, cx("MANY-%d" % i)))
            finally:
                g.close()
        with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
            acks = list(pool.map(one, range(200)))
        for i, ack in enumerate(acks):
            self.assertAck(ack, "AA", "C-M%d" % i)
        listed = json.loads(self.ctl("patient", "list", "--format=json"))["patients"]
        self.assertEqual(len([p for p in listed if p.startswith("MANY-")]), 200)
        stalled.close()

    def test_4_merge(self):
        old, new = cx("MERGE-OLD"), cx("MERGE-NEW")
        self.assertAck(self.feed(adt("A01", "M-1", old)), "AA", "M-1")
        self.assertAck(self.feed(adt("A01", "M-2", new)), "AA", "M-2")
        self.assertEqual(self.register(old)[0], SUCCESS)
        self.assertEqual(self.register(new)[0], SUCCESS)
        self.assertEqual(len(self.documents(old)), 2)
        self.assertAck(self.feed(adt("A40", "M-3", new, mrg1=old, version="2.5")), "AA", "M-3")
        self.assertEqual(self.documents(old), [])
        merged = self.documents(new)
        self.assertEqual(len(merged), 4)
        self.assertEqual({d["patientId"] for d in merged}, {new})
        status, text = self.register(old)
        self.assertNotEqual(status, SUCCESS)
        self.assertIn("XDSUnknownPatientId", text)
        # Feeding the subsumed id again does not bring it back.
        self.assertAck(self.feed(adt("A08", "M-4", old)), "AE", "M-4", err="204")
        shown = json.loads(self.ctl("patient", "show", new, "--format=json"))
        self.assertEqual(shown["documentEntries"]["approved"], 4)
        self.assertEqual([m["patientId"] for m in shown["mergedFrom"]], [old])
        shown = json.loads(self.ctl("patient", "show", old, "--format=json"))
        self.assertEqual(shown["mergedInto"], new)
        self.assertIn("merged into " + new, self.ctl("patient", "show", old))
        # The merge is in both patients' access logs, naming both ids.
        events = json.loads(self.ctl("audit", "--patient", old, "--format=json"))["events"]
        merges = [e for e in events if e["transaction"] == "ITI-8" and e["actionCode"] == "U"]
        self.assertEqual(len(merges), 2, events)  # the merge, and the refused A08
        self.assertIn(new, json.dumps(merges[0]))
        # A merge of an id of another authority: AE 204 on MRG-1, nothing changes.
        self.assertAck(self.feed(adt("A40", "M-5", new, mrg1="Z^^^&9.9.9&ISO")), "AE", "M-5", err="MRG")

    def test_5_mllp_send_interop(self):
        patient = cx("INTEROP")
        path = os.path.join(self.tmp, "a01.hl7")
        with open(path, "w") as f:
            f.write(adt("A01", "INTEROP-1", patient).replace("\r", "\n"))
        # --loose: one message per MSH, segments on lines, as an interface engineer keeps them.
        out = run(["mllp_send", "--loose", "--port", str(self.mllp), "--file", path, "127.0.0.1"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("MSA|AA|INTEROP-1", out.stdout.replace("\r", "\n"))
        self.assertEqual(self.register(patient)[0], SUCCESS)

    def test_7_iti44(self):
        shared = os.environ.get("XDS_SHARED")
        if shared:  # this test's own messages are valid too
            schema = os.path.join(shared, "conformance/schemas/ihe-iti-info/schema/HL7V3/NE2008/multicacheschemas")
            for i in ("PRPA_IN201301UV02", "PRPA_IN201302UV02", "PRPA_IN201304UV02"):
                path = os.path.join(self.tmp, i + ".xml")
                with open(path, "w") as f:
                    f.write(prpa(i, AUTHORITY, "V3", ("1.2.3.4.5", "V3-OLD") if i.endswith("04UV02") else None))
                out = run(["xmllint", "--noout", "--schema", os.path.join(schema, i + ".xsd"), path])
                self.assertEqual(out.returncode, 0, out.stderr)
        old, new = cx("V3-OLD"), cx("V3-NEW")
        code, ack = self.iti44("PRPA_IN201301UV02", prpa("PRPA_IN201301UV02", AUTHORITY, "V3-OLD"))
        self.assertEqual(code, "AA", ack)
        self.assertEqual(self.register(old)[0], SUCCESS)
        code, ack = self.iti44("PRPA_IN201302UV02", prpa("PRPA_IN201302UV02", AUTHORITY, "V3-NEW"))
        self.assertEqual(code, "AA", ack)
        self.assertEqual(self.register(new)[0], SUCCESS)
        code, ack = self.iti44("PRPA_IN201301UV02", prpa("PRPA_IN201301UV02", "9.9.9", "V3-X"))
        self.assertEqual(code, "AE", ack)
        self.assertIn('code="204"', ack)
        self.assertNotIn("V3-X", self.ctl("patient", "list"))
        # The body is not the interaction the action names.
        code, ack = self.iti44("PRPA_IN201304UV02", prpa("PRPA_IN201301UV02", AUTHORITY, "V3-Y"))
        self.assertEqual(code, "AR", ack)
        self.assertNotIn("V3-Y", self.ctl("patient", "list"))
        code, ack = self.iti44("PRPA_IN201304UV02",
                               prpa("PRPA_IN201304UV02", AUTHORITY, "V3-NEW", (AUTHORITY, "V3-OLD")))
        self.assertEqual(code, "AA", ack)
        self.assertEqual(self.documents(old), [])
        self.assertEqual(len(self.documents(new)), 4)
        self.assertNotEqual(self.register(old)[0], SUCCESS)
        self.assertEqual(json.loads(self.ctl("patient", "show", old, "--format=json"))["mergedInto"], new)
        # Her log: the revise and the merge (which names both ids); his: the add and the merge.
        for patient in (new, old):
            events = json.loads(self.ctl("audit", "--patient", patient, "--format=json"))["events"]
            feed = [e for e in events if e["transaction"] == "ITI-44"]
            self.assertEqual(len(feed), 2, events)
            self.assertEqual(sorted(feed[-1]["patientIds"]), sorted([new, old]))

    def test_6_mutual_tls(self):
        pki = os.path.join(self.tmp, "pki")
        run([XDSCTL, "pki", "init", "--dir", pki, "--region", "Feed test"]).check_returncode()

        def issue(name, org, roles, *extra):
            args = [XDSCTL, "pki", "issue", "--dir", pki, "--name", name, "--organization-id", org, "--format=json"]
            if roles:
                args += ["--roles", roles]
            out = run(args + list(extra))
            out.check_returncode()
            j = json.loads(out.stdout)
            return j["cert"], j["key"]
        cert, key = issue("registry", "2.999.1.1", None, "--server", "--dns", "localhost", "--ip", "127.0.0.1")
        mpi = issue("region-mpi", "2.999.5.9", "admin")
        hospital = issue("hospital", "2.999.5.2", "consumer,source")
        ca = os.path.join(pki, "ca.pem")
        proc, http, grpc, mllp = start_registry(self.tmp, "secure", [
            "--tls_ca=" + ca, "--tls_crl=" + os.path.join(pki, "crl.pem"), "--tls_cert=" + cert, "--tls_key=" + key])
        try:
            def context(who):
                c = ssl.create_default_context(cafile=ca)
                if who:
                    c.load_cert_chain(*who)
                return c
            f = Feed(mllp, context(mpi))
            self.assertAck(f.send(adt("A01", "T-1", cx("TLS-1"))), "AA", "T-1")
            f.close()
            f = Feed(mllp, context(hospital))
            self.assertAck(f.send(adt("A01", "T-2", cx("TLS-2"))), "AR", "T-2", err="207")
            f.close()
            with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError, TypeError, OSError)):
                f = Feed(mllp, context(None))
                if f.send(adt("A01", "T-3", cx("TLS-3"))) is None:
                    raise OSError("closed")
            listed = run([XDSCTL, "--registry_grpc=127.0.0.1:%d" % grpc, "--tls_ca=" + ca, "--tls_cert=" + mpi[0],
                          "--tls_key=" + mpi[1], "patient", "list"])
            self.assertIn(cx("TLS-1"), listed.stdout, listed.stderr)
            self.assertNotIn(cx("TLS-2"), listed.stdout)
        finally:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
