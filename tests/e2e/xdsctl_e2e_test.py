"""xdsctl end to end: the real xds-registry and xds-repository on 127.0.0.1, every verb in
table and JSON form (JSON parsed with json), over gRPC and over plain SOAP, and the exit
codes scripts rely on (1 refused + XDS code, 2 usage, 3 unreachable, 4 not found)."""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest
import urllib.request

AUTHORITY = "1.2.3.4.5"  # the fixture's affinity domain
PATIENT = "P-1^^^&1.2.3.4.5&ISO"
FIXTURE = "tests/fixtures/iti42/submission_two_docs_folder.xml"
UNIQUE_ID_SCHEMES = ("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
                     "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a")
_counter = [0]


def fresh_oid():
    _counter[0] += 1
    return "2.25.%d%d.%d" % (int(time.time() * 1000), os.getpid(), _counter[0])


def start(binary, args, port_file):
    proc = subprocess.Popen([binary] + args + ["--port_file=" + port_file], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        if os.path.exists(port_file):
            with open(port_file) as f:
                http, grpc = f.read().split()
            return proc, int(http), int(grpc)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(binary + " did not start")


class XdsctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.registry, rh, rg = start("registry/xds-registry",
                                     ["--data_dir=" + cls.tmp + "/registry", "--http_port=0", "--grpc_port=0", "--insecure",
                                      "--backup_dir=" + cls.tmp, "--patient_authority=" + AUTHORITY],
                                     cls.tmp + "/registry.ports")
        cls.registry_url = "http://127.0.0.1:%d/xds/registry" % rh
        cls.registry_grpc = "127.0.0.1:%d" % rg
        cls.repository, ph, pg = start("repository/xds-repository",
                                       ["--data_dir=" + cls.tmp + "/repository", "--http_port=0", "--grpc_port=0", "--insecure",
                                        "--registry_grpc=" + cls.registry_grpc, "--repository_unique_id=1.2.3.4.5.8.1"],
                                       cls.tmp + "/repository.ports")
        cls.repository_url = "http://127.0.0.1:%d/xds/repository" % ph
        cls.repository_grpc = "127.0.0.1:%d" % pg
        cls.small = os.path.join(cls.tmp, "letter.txt")
        with open(cls.small, "w") as f:
            f.write("Discharge letter for P-1\n")
        cls.big = os.path.join(cls.tmp, "scan.bin")
        with open(cls.big, "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024 + 17))

    @classmethod
    def tearDownClass(cls):
        for p in (cls.repository, cls.registry):
            if p.poll() is None:
                p.terminate()
                p.wait()

    # --- helpers --------------------------------------------------------------------------
    def ctl(self, *args, soap=False, expect=0):
        endpoints = ["--registry=" + self.registry_url, "--repository=" + self.repository_url]
        if not soap:
            endpoints += ["--registry_grpc=" + self.registry_grpc, "--repository_grpc=" + self.repository_grpc]
        out = subprocess.run(["tools/xdsctl/xdsctl"] + endpoints + list(args), capture_output=True, text=True,
                             timeout=60)
        if expect is not None:
            self.assertEqual(out.returncode, expect, "xdsctl %s\nstdout: %s\nstderr: %s" % (args, out.stdout, out.stderr))
        return out

    def js(self, *args, soap=False, expect=0):
        out = self.ctl(*args, "--format=json", soap=soap, expect=expect)
        return json.loads(out.stdout)

    def register_fixture(self, extra_association=""):
        """ITI-42 of the fixture (SubmissionSet, two DocumentEntries, a Folder) with fresh uniqueIds."""
        with open(FIXTURE) as f:
            xml = f.read()
        pattern = r'(identificationScheme="(?:%s)"\s+value=")[^"]*(")' % "|".join(UNIQUE_ID_SCHEMES)
        xml = re.sub(pattern, lambda m: m.group(1) + fresh_oid() + m.group(2), xml)
        xml = re.sub(r"<\?xml[^>]*\?>", "", xml)
        if extra_association:
            xml = xml.replace("</rim:RegistryObjectList>", extra_association + "</rim:RegistryObjectList>")
        envelope = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                    'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
                    '<a:Action s:mustUnderstand="1">urn:ihe:iti:2007:RegisterDocumentSet-b</a:Action>'
                    '<a:MessageID>urn:uuid:5f1c3d2e-1111-4222-8333-944455556666</a:MessageID>'
                    '<a:To>%s</a:To></s:Header><s:Body>%s</s:Body></s:Envelope>') % (self.registry_url, xml)
        req = urllib.request.Request(self.registry_url, data=envelope.encode(),
                                     headers={"Content-Type": "application/soap+xml; charset=UTF-8"})
        body = urllib.request.urlopen(req, timeout=30).read().decode()
        self.assertIn("ResponseStatusType:Success", body, body)

    # --- the walk-through, in order ---------------------------------------------------------
    def test_all_verbs(self):
        # patient add / list (table and JSON); a malformed id is refused (1).
        self.assertIn("added", self.ctl("patient", "add", PATIENT).stdout)
        self.assertEqual(self.js("patient", "add", PATIENT), {"patientId": PATIENT, "created": False})
        self.assertIn(PATIENT, self.ctl("patient", "list").stdout)
        self.assertEqual(self.js("patient", "list")["patients"], [PATIENT])
        bad = self.ctl("patient", "add", "not-a-cx", expect=1)
        self.assertIn("refused", bad.stderr)

        # submit: two files in one SubmissionSet, then one more with another class and an old creationTime.
        sub = self.js("submit", self.small, self.big, "--patient", PATIENT, "--class", "DISCHARGE^^2.999.100.1",
                      "--author", "^Jansen^Pieter")
        self.assertEqual(len(sub["documentEntries"]), 2)
        letter, scan = (d["uniqueId"] for d in sub["documentEntries"])
        self.assertEqual(sub["documentEntries"][1]["size"], os.path.getsize(self.big))
        table = self.ctl("submit", self.small, "--patient", PATIENT, "--class", "REFERRAL^^2.999.100.1",
                         "--creation-time", "20200101", "--title", "Old referral", "--mime", "text/plain").stdout
        referral = re.search(r"(2\.25\.\d+)", table).group(1)
        self.assertIn("submission set 2.25.", table)

        # find: table, JSON, every filter; the same answer over SOAP (ITI-18).
        found = self.ctl("find", "--patient", PATIENT).stdout
        self.assertRegex(found, r"UNIQUE ID\s+STATUS\s+CLASS")
        for uid in (letter, scan, referral):
            self.assertIn(uid, found)
        all_docs = self.js("find", "--patient", PATIENT)["documentEntries"]
        self.assertEqual({d["uniqueId"] for d in all_docs}, {letter, scan, referral})
        by_uid = {d["uniqueId"]: d for d in all_docs}
        self.assertEqual(by_uid[scan]["repositoryUniqueId"], "1.2.3.4.5.8.1")
        self.assertEqual(by_uid[scan]["classCode"], {"code": "DISCHARGE", "codingScheme": "2.999.100.1",
                                                     "displayName": "DISCHARGE"})
        self.assertEqual(by_uid[referral]["title"], "Old referral")
        self.assertEqual(by_uid[letter]["author"][0]["authorPerson"], "^Jansen^Pieter")
        self.assertEqual(by_uid[letter]["confidentialityCode"][0]["code"], "N")

        def uids(*args, soap=False):
            return {d["uniqueId"] for d in self.js("find", "--patient", PATIENT, *args, soap=soap)["documentEntries"]}

        self.assertEqual(uids("--class", "DISCHARGE^^2.999.100.1"), {letter, scan})
        self.assertEqual(uids("--class", "DISCHARGE^^2.999.100.1", "--class", "REFERRAL^^2.999.100.1"),
                         {letter, scan, referral})
        self.assertEqual(uids("--type", "REFERRAL^^2.999.100.1"), {referral})
        self.assertEqual(uids("--created-to", "2021"), {referral})
        self.assertEqual(uids("--created-from", "2021"), {letter, scan})
        self.assertEqual(uids("--author", "%Jansen%"), {letter, scan})
        self.assertEqual(uids("--practice", "394802001^^2.16.840.1.113883.6.96"), {letter, scan, referral})
        self.assertEqual(uids("--status", "deprecated"), set())
        self.assertEqual(uids(soap=True), {letter, scan, referral})
        self.assertEqual(uids("--class", "REFERRAL^^2.999.100.1", soap=True), {referral})
        self.ctl("find", "--patient", PATIENT, "--class", "no-scheme", expect=2)

        # show: by uniqueId and entryUUID, any kind of object, with associations; SOAP too.
        shown = self.js("show", scan)
        self.assertEqual(shown["object"]["objectKind"], "DocumentEntry")
        self.assertEqual(shown["object"]["uniqueId"], scan)
        self.assertEqual(shown["object"]["size"], os.path.getsize(self.big))
        self.assertTrue(any(a["associationType"].endswith("HasMember") and a["targetObject"] ==
                            shown["object"]["entryUUID"] for a in shown["associations"]))
        self.assertEqual(self.js("show", shown["object"]["entryUUID"])["object"]["uniqueId"], scan)
        self.assertEqual(self.js("show", scan, soap=True)["object"]["entryUUID"], shown["object"]["entryUUID"])
        table = self.ctl("show", scan).stdout
        self.assertRegex(table, r"repositoryUniqueId\s+1\.2\.3\.4\.5\.8\.1")
        self.assertIn("HasMember", table)
        ss = self.js("show", sub["submissionSet"]["uniqueId"])
        self.assertEqual(ss["object"]["objectKind"], "SubmissionSet")
        self.assertEqual(len([a for a in ss["associations"] if a["sourceObject"] == ss["object"]["entryUUID"]]), 2)
        missing = self.js("show", "2.25.404", expect=4)
        self.assertEqual(missing["error"]["exitCode"], 4)
        self.ctl("show", "2.25.404", soap=True, expect=4)

        # submissions / folders (a registered fixture brings a Folder).
        self.register_fixture()
        sets = self.js("submissions", "--patient", PATIENT)["submissionSets"]
        self.assertEqual(len(sets), 3)
        self.assertIn(sub["submissionSet"]["uniqueId"], {s["uniqueId"] for s in sets})
        self.assertIn("3 submission sets", self.ctl("submissions", "--patient", PATIENT).stdout)
        folders = self.js("folders", "--patient", PATIENT)["folders"]
        self.assertEqual(len(folders), 1)
        self.assertEqual(folders[0]["codeList"][0]["code"], "DISCHARGE")
        self.assertEqual(self.js("folders", "--patient", PATIENT, soap=True)["folders"][0]["uniqueId"],
                         folders[0]["uniqueId"])
        self.assertIn("Discharge 2025-03-01", self.ctl("folders", "--patient", PATIENT).stdout)
        self.assertEqual(self.js("show", folders[0]["uniqueId"])["object"]["objectKind"], "Folder")

        # related: a replacement (RPLC) of the fixture's Document01.
        fixture_docs = [d for d in self.js("find", "--patient", PATIENT)["documentEntries"]
                        if d.get("title") == "Discharge letter"]
        self.assertEqual(len(fixture_docs), 1)
        old = fixture_docs[0]
        self.register_fixture('<rim:Association id="Rplc01" associationType="urn:ihe:iti:2007:AssociationType:RPLC" '
                              'sourceObject="Document01" targetObject="%s"/>' % old["entryUUID"])
        deprecated = self.js("find", "--patient", PATIENT, "--status", "deprecated")["documentEntries"]
        self.assertEqual([d["uniqueId"] for d in deprecated], [old["uniqueId"]])
        related = self.js("related", old["uniqueId"])
        self.assertEqual(related["documentEntry"]["uniqueId"], old["uniqueId"])
        self.assertEqual(len(related["related"]), 1)
        self.assertEqual(related["related"][0]["associationType"], "urn:ihe:iti:2007:AssociationType:RPLC")
        self.assertEqual(related["related"][0]["direction"], "incoming")
        self.assertEqual(related["related"][0]["documentEntry"]["title"], "Discharge letter")
        self.assertIn("RPLC", self.ctl("related", old["uniqueId"]).stdout)
        self.assertEqual(len(self.js("related", old["uniqueId"], soap=True)["related"]), 1)
        self.ctl("related", "2.25.404", expect=4)

        # retrieve: gRPC stream and ITI-43, byte-identical, hash checked; unknown id -> 4.
        for soap, name in ((False, "grpc.bin"), (True, "soap.bin")):
            target = os.path.join(self.tmp, name)
            got = self.js("retrieve", scan, "-o", target, soap=soap)
            self.assertEqual(got["size"], os.path.getsize(self.big))
            self.assertEqual(got["repositoryUniqueId"], "1.2.3.4.5.8.1")
            with open(target, "rb") as a, open(self.big, "rb") as b:
                self.assertTrue(a.read() == b.read(), "retrieved bytes differ (soap=%s)" % soap)
        self.assertIn("retrieved " + letter, self.ctl("retrieve", letter, "-o", os.path.join(self.tmp, "l.txt")).stdout)
        self.ctl("retrieve", "2.25.404", "-o", os.path.join(self.tmp, "none"), expect=4)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "none")))
        self.ctl("retrieve", scan, expect=2)  # no -o

        # stats (gRPC only; over SOAP it is a usage error).
        stats = self.js("stats")
        self.assertEqual(stats["patients"], 1)
        self.assertEqual(stats["documentEntriesByStatus"], {"Approved": 6, "Deprecated": 1})
        every = self.js("find", "--patient", PATIENT, "--status", "all")["documentEntries"]
        discharge = [d for d in every if d["classCode"] == {"code": "DISCHARGE", "codingScheme": "2.999.100.1",
                                                           "displayName": d["classCode"].get("displayName")}]
        self.assertEqual(len(every), 7)
        self.assertEqual(stats["documentEntriesByClassCode"]["DISCHARGE^^2.999.100.1"], len(discharge))
        self.assertGreaterEqual(len(discharge), 4)
        self.assertEqual(stats["documentEntriesByRepositoryUniqueId"]["1.2.3.4.5.8.1"], 7)  # the fixture names the same repository
        self.assertGreater(stats["storeBytes"], 0)
        self.assertRegex(self.ctl("stats").stdout, r"repositoryUniqueId\s+1\.2\.3\.4\.5\.8\.1\s+7")
        self.ctl("stats", soap=True, expect=2)

        # patient show.
        shown = self.js("patient", "show", PATIENT)
        self.assertEqual(shown["documentEntries"], {"approved": 6, "deprecated": 1})
        self.assertEqual(shown["submissionSets"], 4)
        self.assertEqual(shown["folders"], 2)
        self.assertRegex(self.ctl("patient", "show", PATIENT).stdout, r"P-1\S*\s+6\s+1\s+4\s+2")
        self.ctl("patient", "show", "NOBODY^^^&1.2.3.4.5&ISO", expect=4)

        # backup (JSON), never overwriting.
        backup = os.path.join(self.tmp, "backup.sqlite")
        b = self.js("backup", backup)
        self.assertEqual(b["file"], backup)
        self.assertTrue(os.path.getsize(backup) > 0)
        self.ctl("backup", backup, expect=1)

        # Refusals carry the XDS error code: an unknown patient.
        refused = self.ctl("submit", self.small, "--patient", "NOBODY^^^&1.2.3.4.5&ISO", "--class", "A^^1", expect=1)
        self.assertIn("XDSUnknownPatientId", refused.stderr)
        self.assertIn("what to do", refused.stderr)
        refused = self.js("submit", self.small, "--patient", "NOBODY^^^&1.2.3.4.5&ISO", "--class", "A^^1", expect=1)
        self.assertEqual(refused["error"]["registryErrors"][0]["errorCode"], "XDSUnknownPatientId")

        # Usage errors.
        self.ctl("frobnicate", expect=2)
        self.ctl("submit", self.small, "--patient", PATIENT, expect=2)  # no --class
        self.ctl("find", "--patient", PATIENT, "--status", "maybe", expect=2)

    def test_zz_registry_down(self):
        # Runs last (alphabetical): stops the registry. gRPC and SOAP both report 3.
        self.registry.terminate()
        self.registry.wait()
        down = self.ctl("find", "--patient", PATIENT, expect=3)
        self.assertIn("could not be reached", down.stderr)
        self.ctl("find", "--patient", PATIENT, soap=True, expect=3)
        self.assertEqual(self.js("stats", expect=3)["error"]["exitCode"], 3)


if __name__ == "__main__":
    unittest.main()
