"""Audit trail end to end (issue 15): the real xds-registry and xds-repository on 127.0.0.1.

  1. The story, over mutual TLS with XUA: a midwife's system submits (ITI-41), a hospital queries
     (ITI-18) and retrieves (ITI-43) under TREATMENT, an emergency retrieve (break-the-glass)
     happens; `xdsctl audit --patient` shows exactly those acts, with the right organisations,
     users and purposes, the emergency flagged, and nothing of another patient. Refusals are
     recorded too. The repository's events reach the registry's trail (the forwarder).
  2. kill -9 under load loses no event of an answered request (plain transport on loopback):
     every ITI-18 answered before the kill is in the trail after restart.
     Both services send every event to an ATNA audit record repository the test runs (syslog
     over mutual TLS, RFC 5425, and over UDP, RFC 5426): the DICOM message of each transaction
     arrives, valid against the DICOM audit message schema (xmllint --relaxng).
  3. `xdsctl audit verify` exits 0 on an intact trail and 5, naming the event, once the store
     file was changed behind the registry's back.
"""
import json
import os
import shutil
import signal
import socket
import socketserver
import sqlite3
import ssl
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

from region import XDSCTL, Pki, envelope, must, post, run, security_header, start, stop

AUTHORITY = "1.2.3.4.5"
PATIENT = "MOTHER-1^^^&1.2.3.4.5&ISO"
OTHER = "OTHER-2^^^&1.2.3.4.5&ISO"
AUDIENCE = "https://registry.test/xds/registry"
REPOSITORY_ID = "1.2.3.4.5.8.1"
DESIGN_KEYS = {"time", "action", "transaction", "outcome", "organizationId", "userId", "role", "purposeOfUse",
               "emergency", "documentUniqueIds", "patientId"}


def find_documents(patient):
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="LeafClass" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">'
            '<rim:Slot name="$XDSDocumentEntryPatientId"><rim:ValueList><rim:Value>\'%s\'</rim:Value></rim:ValueList>'
            '</rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList><rim:Value>'
            '(\'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\')</rim:Value></rim:ValueList></rim:Slot>'
            '</rim:AdhocQuery></query:AdhocQueryRequest>') % patient


def retrieve(unique_id):
    return ('<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsb:DocumentRequest>'
            '<xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId>'
            '</xdsb:DocumentRequest></xdsb:RetrieveDocumentSetRequest>') % (REPOSITORY_ID, unique_id)


class SyslogTls(socketserver.ThreadingTCPServer):
    """An ATNA audit record repository: RFC 5425 (octet-counted syslog over mutual TLS)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context):
        self.context, self.messages, self.lock = context, [], threading.Lock()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with server.context.wrap_socket(self.request, server_side=True) as conn:
                    self.read_frames(conn)

            def read_frames(self, conn):
                data = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                    while b" " in data:
                        length, rest = data.split(b" ", 1)
                        if len(rest) < int(length):
                            break
                        with server.lock:
                            server.messages.append(rest[:int(length)].decode())
                        data = rest[int(length):]

        super().__init__(("127.0.0.1", 0), Handler)


class AuditStoryTest(unittest.TestCase):
    """1 and 3: one region on mutual TLS."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.procs = []
        cls.pki = Pki(os.path.join(cls.tmp, "pki"), "Audit test")
        cls.ca = cls.pki.ca
        registry_cert, registry_key = cls.pki.server("registry", "2.999.1.1")
        repo_cert, repo_key = cls.pki.server("repository", "2.999.1.2", "source,consumer,repository")
        cls.midwife = cls.pki.issue("midwife-practice", "2.999.5.1", "source")
        cls.hospital = cls.pki.issue("hospital", "2.999.5.2", "consumer")
        cls.youth = cls.pki.issue("youth-health", "2.999.5.3", "consumer")
        cls.admin = cls.pki.issue("region-desk", "2.999.5.9", "admin")
        cls.idp = Pki(os.path.join(cls.tmp, "idp"), "IdP").issue("idp", "2.999.8.1", "consumer")
        # The ATNA repository: a TLS syslog listener that wants the region's client certificates,
        # and a UDP one.
        arr_cert, arr_key = cls.pki.server("audit-repository", "2.999.1.9")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arr_cert, arr_key)
        context.load_verify_locations(cls.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        cls.arr = SyslogTls(context)
        threading.Thread(target=cls.arr.serve_forever, daemon=True).start()
        cls.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.udp.bind(("127.0.0.1", 0))
        syslog = "--audit_syslog=tls://127.0.0.1:%d,udp://127.0.0.1:%d" % (cls.arr.server_address[1],
                                                                          cls.udp.getsockname()[1])
        xua = ["--xua_idp_certs=" + cls.idp[0], "--xua_audience=" + AUDIENCE, syslog]
        tls = ["--tls_ca=" + cls.ca, "--tls_crl=" + cls.pki.crl]
        cls.registry, rh, rg = start(
            "registry/xds-registry", tls + ["--tls_cert=" + registry_cert, "--tls_key=" + registry_key,
                                            "--patient_authority=" + AUTHORITY] + xua, "registry", cls.tmp)
        cls.procs.append(cls.registry)
        cls.registry_http, cls.registry_grpc = rh, "127.0.0.1:%d" % rg
        cls.registry_url = "https://127.0.0.1:%d/xds/registry" % rh
        cls.repository, ph, _ = start(
            "repository/xds-repository", tls + ["--tls_cert=" + repo_cert, "--tls_key=" + repo_key,
                                                "--registry_grpc=" + cls.registry_grpc,
                                                "--repository_unique_id=" + REPOSITORY_ID] + xua,
            "repository", cls.tmp)
        cls.procs.append(cls.repository)
        cls.repository_http = ph
        cls.repository_url = "https://127.0.0.1:%d/xds/repository" % ph
        for patient in (PATIENT, OTHER):
            cls.ctl_as(cls.admin, "patient", "add", patient).check_returncode()

    @classmethod
    def tearDownClass(cls):
        stop(cls.procs)
        cls.arr.shutdown()
        cls.arr.server_close()
        cls.udp.close()

    @classmethod
    def ctl_as(cls, who, *args):
        cert, key = who
        return run([XDSCTL, "--registry=" + cls.registry_url, "--repository=" + cls.repository_url,
                    "--registry_grpc=" + cls.registry_grpc, "--tls_ca=" + cls.ca, "--tls_cert=" + cert,
                    "--tls_key=" + key] + list(args))

    def mint(self, subject, purpose, patient=PATIENT, organization_id="urn:oid:2.999.5.2"):
        return must(XDSCTL, "saml", "issue", "--subject", subject, "--organization", "Hospital South",
                    "--organization-id", organization_id, "--role", "158965000", "--purpose", purpose, "--patient",
                    patient, "--audience", AUDIENCE, "--key", self.idp[1], "--cert", self.idp[0])

    def post(self, port, path, body, who):
        return post(self.ca, who, port, path, body)

    def audit_log(self, patient):
        out = self.ctl_as(self.admin, "audit", "--patient", patient, "--format=json")
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["events"]

    def submit(self, who, patient, content):
        path = os.path.join(self.tmp, "doc-%s.txt" % uuid.uuid4())
        with open(path, "wb") as f:
            f.write(content)
        out = self.ctl_as(who, "submit", path, "--patient", patient, "--class", "PRENATAL^^2.999.100.1", "--mime",
                          "text/plain", "--format=json")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout)["documentEntries"][0]["uniqueId"]

    def test_1_story(self):
        letter = self.submit(self.midwife, PATIENT, b"prenatal record of the mother\n")
        self.submit(self.midwife, OTHER, b"another woman's record\n")

        # The hospital queries and retrieves under TREATMENT; someone at the ER breaks the glass.
        treat = security_header(self.mint("dr-hospital", "TREATMENT"))
        status, body = self.post(self.registry_http, "/xds/registry",
                                 envelope("urn:ihe:iti:2007:RegistryStoredQuery", find_documents(PATIENT), treat),
                                 self.hospital)
        self.assertEqual(status, 200, body)
        self.assertIn(letter.encode(), body)
        status, body = self.post(self.repository_http, "/xds/repository",
                                 envelope("urn:ihe:iti:2007:RetrieveDocumentSet", retrieve(letter), treat),
                                 self.hospital)
        self.assertEqual(status, 200, body)
        self.assertIn(b"prenatal record of the mother", body)
        emergency = security_header(self.mint("dr-emergency", "EMERGENCY"))
        status, body = self.post(self.repository_http, "/xds/repository",
                                 envelope("urn:ihe:iti:2007:RetrieveDocumentSet", retrieve(letter), emergency),
                                 self.hospital)
        self.assertEqual(status, 200, body)
        # Youth health care asks about the other woman only; a consumer may not register: refused.
        youth = security_header(self.mint("nurse-youth", "TREATMENT", OTHER, "urn:oid:2.999.5.3"))
        status, _ = self.post(self.registry_http, "/xds/registry",
                              envelope("urn:ihe:iti:2007:RegistryStoredQuery", find_documents(OTHER), youth),
                              self.youth)
        self.assertEqual(status, 200)
        status, body = self.post(self.registry_http, "/xds/registry",
                                 envelope("urn:ihe:iti:2007:RegisterDocumentSet-b", "<x/>"), self.youth)
        self.assertNotEqual(status, 200, body)

        # The repository's two retrieves reach the registry's trail through the forwarder.
        want = ["AddPatient", "ITI-41", "ITI-42", "ITI-18", "ITI-43", "ITI-43"]
        for _ in range(100):
            events = [e for e in self.audit_log(PATIENT) if e["transaction"] not in ("AuditLog",)]
            if [e["transaction"] for e in events] == want:
                break
            time.sleep(0.1)
        self.assertEqual([e["transaction"] for e in events], want, json.dumps(events, indent=1))
        for e in events:
            self.assertLessEqual(DESIGN_KEYS, set(e), e)
            self.assertEqual(e["patientId"], PATIENT)
            self.assertEqual(e["outcome"], "success", e)
            self.assertNotIn(OTHER, json.dumps(e))
        add, provide, register, query, retrieve_treat, retrieve_emergency = events
        self.assertEqual(add["organizationId"], "2.999.5.9")
        self.assertEqual(provide["organizationId"], "2.999.5.1")  # the midwives' node
        self.assertEqual(provide["documentUniqueIds"], [letter])
        self.assertEqual(register["organizationId"], "2.999.1.2")  # the repository registered it
        self.assertEqual(query["organizationId"], "2.999.5.2")
        self.assertEqual(query["userId"], "dr-hospital")
        self.assertEqual(query["purposeOfUse"], "TREAT")
        self.assertFalse(query["emergency"])
        self.assertEqual(query["documentUniqueIds"], [letter])
        self.assertEqual(retrieve_treat["userId"], "dr-hospital")
        self.assertEqual(retrieve_treat["documentUniqueIds"], [letter])
        self.assertFalse(retrieve_treat["emergency"])
        self.assertEqual(retrieve_emergency["userId"], "dr-emergency")
        self.assertEqual(retrieve_emergency["purposeOfUse"], "ETREAT")
        self.assertTrue(retrieve_emergency["emergency"])
        self.assertEqual(retrieve_emergency["organizationId"], "2.999.5.2")
        times = [e["time"] for e in events]
        self.assertEqual(times, sorted(times))

        # Her log as a FHIR Bundle of AuditEvents, the break-the-glass one flagged.
        out = self.ctl_as(self.admin, "audit", "--patient", PATIENT, "--format=fhir")
        self.assertEqual(out.returncode, 0, out.stderr)
        bundle = json.loads(out.stdout)
        self.assertEqual(bundle["resourceType"], "Bundle")
        resources = [entry["resource"] for entry in bundle["entry"]]
        self.assertTrue(all(r["resourceType"] == "AuditEvent" for r in resources))
        self.assertIn("BTG", json.dumps(resources))
        self.assertNotIn(OTHER.split("^")[0], json.dumps(bundle))

        # Only administrators read the log; a refusal is itself recorded (not in her log: the
        # refused caller learnt nothing about her).
        refused = self.ctl_as(self.hospital, "audit", "--patient", PATIENT, "--format=json")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("may not use AuditLog", refused.stderr)

    def test_2_atna(self):
        # A node of another region fails the handshake: a security alert.
        stranger = Pki(os.path.join(self.tmp, "other-pki"), "Elsewhere").issue("stranger", "2.999.8.1", "consumer")
        with self.assertRaises((ssl.SSLError, OSError)):
            self.post(self.registry_http, "/xds/registry", "<x/>", stranger)
        wanted = {"110112": "ITI-18", "110106": "ITI-43", "110107": "ITI-41/42", "110113": "security alert"}
        for _ in range(100):
            with self.arr.lock:
                messages = list(self.arr.messages)
            if all(any('csd-code="%s"' % code in m for m in messages) for code in wanted):
                break
            time.sleep(0.1)
        for code, what in wanted.items():
            self.assertTrue(any('csd-code="%s"' % code in m for m in messages), "no %s message over TLS" % what)
        for m in messages:
            self.assertRegex(m, r"^<\d+>1 \S+ \S+ xds-(registry|repository) \S+ IHE\+RFC-3881 - <")
        query = next(m for m in messages if 'csd-code="110112"' in m)
        self.assertIn("MOTHER-1", query)
        # Every message is a DICOM audit message.
        xmllint = shutil.which("xmllint")
        if xmllint is None:
            self.skipTest("xmllint (libxml2-utils) is not installed: the schema check is skipped")
        for i, m in enumerate(messages):
            path = os.path.join(self.tmp, "atna-%d.xml" % i)
            with open(path, "w") as f:
                f.write(m[m.index("<?xml") if "<?xml" in m else m.index("<AuditMessage"):])
            out = run([xmllint, "--noout", "--relaxng", "xds-schemas/dicom/audit-message.rng", path])
            self.assertEqual(out.returncode, 0, "message %d is no valid DICOM audit message: %s\n%s"
                             % (i, out.stderr, m))
        # The same events over UDP.
        self.udp.settimeout(5)
        datagram = self.udp.recv(65536).decode()
        self.assertIn("IHE+RFC-3881", datagram)

    def test_9_verify_detects_tampering(self):
        out = self.ctl_as(self.admin, "audit", "verify", "--format=json")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertTrue(json.loads(out.stdout)["intact"])
        db = sqlite3.connect(os.path.join(self.tmp, "registry", "audit.sqlite"), timeout=10)
        # An intruder rewrites who looked: event 3's content in place of event 2's.
        db.execute("UPDATE audit_events SET event = (SELECT event FROM audit_events WHERE seq = 3) WHERE seq = 2")
        db.commit()
        db.close()
        out = self.ctl_as(self.admin, "audit", "verify")
        self.assertEqual(out.returncode, 5, out.stdout + out.stderr)
        self.assertIn("event 2", out.stderr)


class KillUnderLoadTest(unittest.TestCase):
    """2: plain transport on loopback, the registry killed with SIGKILL under ITI-18 load."""

    def test_no_answered_request_loses_its_event(self):
        tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        data = os.path.join(tmp, "registry")
        proc, http_port, grpc_port = start("registry/xds-registry", ["--insecure", "--patient_authority=" + AUTHORITY],
                                           "registry", tmp, data)
        try:
            grpc = "127.0.0.1:%d" % grpc_port
            must(XDSCTL, "--registry_grpc=" + grpc, "patient", "add", PATIENT)
            url = "http://127.0.0.1:%d/xds/registry" % http_port
            answered, lock, stop = [], threading.Lock(), threading.Event()

            def client():
                while not stop.is_set():
                    message_id = "urn:uuid:" + str(uuid.uuid4())
                    request = urllib.request.Request(
                        url, envelope("urn:ihe:iti:2007:RegistryStoredQuery", find_documents(PATIENT),
                                      message_id=message_id).encode(),
                        {"Content-Type": "application/soap+xml; charset=UTF-8"})
                    try:
                        with urllib.request.urlopen(request, timeout=5) as r:
                            if r.status == 200 and b"AdhocQueryResponse" in r.read():
                                with lock:
                                    answered.append(message_id)
                    except OSError:
                        return  # the registry is gone

            threads = [threading.Thread(target=client) for _ in range(8)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            for t in threads:
                t.join()
            self.assertGreater(len(answered), 20, "too little load to test anything")
        finally:
            if proc.poll() is None:
                proc.kill()
        proc, _, grpc_port = start("registry/xds-registry", ["--insecure", "--patient_authority=" + AUTHORITY], "registry", tmp,
                                   data)
        try:
            out = run([XDSCTL, "--registry_grpc=127.0.0.1:%d" % grpc_port, "audit", "--patient", PATIENT,
                       "--format=json"])
            self.assertEqual(out.returncode, 0, out.stderr)
            recorded = {e.get("messageId") for e in json.loads(out.stdout)["events"]}
            lost = [m for m in answered if m not in recorded]
            self.assertEqual(lost, [], "%d of %d answered queries have no audit event" % (len(lost), len(answered)))
            out = run([XDSCTL, "--registry_grpc=127.0.0.1:%d" % grpc_port, "audit", "verify"])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        finally:
            proc.terminate()
            proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ForwarderOutageTest(unittest.TestCase):
    """The repository's events wait while the registry is down and arrive once, in order, after."""

    def test_events_follow_when_the_registry_is_back(self):
        tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        grpc_port = free_port()
        registry_args = ["--insecure", "--patient_authority=" + AUTHORITY]

        def start_registry():
            proc, _, g = start("registry/xds-registry", registry_args, "registry", tmp)
            return proc, g

        # A fixed gRPC port: the repository keeps calling the same address.
        registry_args.append("--grpc_port=%d" % grpc_port)
        registry, _ = start_registry()
        repository, repo_http, _ = start("repository/xds-repository",
                                         ["--insecure", "--registry_grpc=127.0.0.1:%d" % grpc_port,
                                          "--repository_unique_id=" + REPOSITORY_ID], "repository", tmp)
        procs = [registry, repository]
        try:
            ctl = [XDSCTL, "--registry_grpc=127.0.0.1:%d" % grpc_port,
                   "--repository=http://127.0.0.1:%d/xds/repository" % repo_http]
            must(*ctl, "patient", "add", PATIENT)
            path = os.path.join(tmp, "doc.txt")
            with open(path, "w") as f:
                f.write("kept at the source\n")
            uid = json.loads(must(*ctl, "submit", path, "--patient", PATIENT, "--class", "PRENATAL^^2.999.100.1",
                                  "--mime", "text/plain", "--format=json"))["documentEntries"][0]["uniqueId"]
            registry.terminate()
            registry.wait()
            # Retrieves while the registry is down: answered, their events wait at the repository.
            ids = []
            for _ in range(3):
                message_id = "urn:uuid:" + str(uuid.uuid4())
                request = urllib.request.Request(
                    "http://127.0.0.1:%d/xds/repository" % repo_http,
                    envelope("urn:ihe:iti:2007:RetrieveDocumentSet", retrieve(uid), message_id=message_id).encode(),
                    {"Content-Type": "application/soap+xml; charset=UTF-8"})
                with urllib.request.urlopen(request, timeout=10) as r:
                    self.assertIn(b"kept at the source", r.read())
                ids.append(message_id)
            registry, _ = start_registry()
            procs.append(registry)
            for _ in range(150):
                events = json.loads(must(*ctl, "audit", "--patient", PATIENT, "--format=json"))["events"]
                got = [e.get("messageId") for e in events if e["transaction"] == "ITI-43"]
                if len(got) >= len(ids):
                    break
                time.sleep(0.1)
            self.assertEqual(got, ids, "each retrieve's event once, in order")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait()


if __name__ == "__main__":
    unittest.main()
