"""Document lifecycle end to end (issue 18): the real xds-registry and xds-repository on 127.0.0.1,
spoken to over SOAP. Each rule has its twin that must be refused (or the other way round):

  1. Relationships (ITI-42, TF-3 4.2.2.2): RPLC deprecates the original and its APND/XFRM
     dependants, and the replacement joins the original's Folder (a new Folder HasMember and
     its SubmissionSet HasMember); APND to a Deprecated entry -> XDSRegistryDeprecatedDocumentError;
     RPLC of an unknown entry -> UnresolvedReferenceException.
  2. ITI-62 Remove Metadata: a SubmissionSet alone -> ReferencesExistException; a DocumentEntry
     and its HasMember alone -> XDSUnreferencedObjectException; everything -> Success, gone from
     ITI-18; again -> UnresolvedReferenceException. A kill -9 during removals leaves every
     submission whole or gone.
  3. ITI-86 Remove Documents: removed documents are gone for ITI-43, from the document index and
     from the document directory; unknown ids and another repository are refused.
  4. ITI-57: UpdateAvailabilityStatus (and a wrong OriginalStatus), a new DocumentEntry version
     (and a stale PreviousVersion).
Every answer is validated against ebRS rs.xsd / query.xsd when ../shared is present.
"""
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

from lxml import etree

AUTHORITY = "1.2.3.4.5"
PATIENT = "LIFE-1^^^&1.2.3.4.5&ISO"
REPOSITORY_UID = "1.2.3.4.5.8.1"
FIXTURE = "tests/fixtures/iti42/submission_two_docs_folder.xml"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
UNIQUE_ID_SCHEMES = ("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
                     "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a")
HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
APND = "urn:ihe:iti:2007:AssociationType:APND"
XFRM = "urn:ihe:iti:2007:AssociationType:XFRM"
UAS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"
GET_SS_AND_CONTENTS = "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83"
GET_DOCUMENTS = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
GET_ASSOCIATIONS = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155"
GET_FOLDER_AND_CONTENTS = "urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7"
ACTION = {"ITI-42": "urn:ihe:iti:2007:RegisterDocumentSet-b", "ITI-18": "urn:ihe:iti:2007:RegistryStoredQuery",
          "ITI-57": "urn:ihe:iti:2010:UpdateDocumentSet", "ITI-62": "urn:ihe:iti:2010:DeleteDocumentSet",
          "ITI-86": "urn:ihe:iti:2017:RemoveDocuments", "ITI-43": "urn:ihe:iti:2007:RetrieveDocumentSet"}
SHARED = os.environ.get("XDS_SHARED", "")
SCHEMAS = os.path.join(SHARED, "conformance/schemas/ihe-iti-info/schema") if SHARED else ""


def uid():
    return "2.25.%d" % uuid.uuid4().int


def urn():
    return "urn:uuid:%s" % uuid.uuid4()


def start(binary, args, port_file):
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([binary] + args + ["--port_file=" + port_file], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            http, grpc = open(port_file).read().split()
            return proc, int(http), int(grpc)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(binary + " did not start")


def body_of(answer):
    """The first element of the SOAP Body of a SIMPLE SOAP or MTOM answer."""
    start_at = answer.find(b"<")
    if not answer.startswith(b"<"):  # MTOM: the root part
        m = re.search(rb"(<[^>]*Envelope.*?Envelope>)", answer, re.S)
        answer = m.group(1)
        start_at = 0
    env = etree.fromstring(answer[start_at:])
    body = env.find("{http://www.w3.org/2003/05/soap-envelope}Body")
    return body[0]


class Objects:
    """One submission built from the project's fixture, every id a fresh urn:uuid."""

    def __init__(self, patient=PATIENT):
        root = etree.parse(FIXTURE).getroot()
        self.sor = root if root.tag == "{%s}SubmitObjectsRequest" % LCM else root.find(".//{%s}SubmitObjectsRequest" % LCM)
        self.ids = {}
        for el in self.sor.iter():
            if isinstance(el.tag, str) and el.get("id") is not None:
                self.ids[el.get("id")] = urn()
        for el in self.sor.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in ("id", "classifiedObject", "registryObject", "sourceObject", "targetObject"):
                if el.get(attr) in self.ids:
                    el.set(attr, self.ids[el.get(attr)])
            if el.tag == "{%s}ExternalIdentifier" % RIM:
                if el.get("identificationScheme") in UNIQUE_ID_SCHEMES:
                    el.set("value", uid())
                elif "patientId" in "".join(el.itertext()) or el.get("value", "").endswith("&ISO"):
                    el.set("value", patient)
        self.list = self.sor.find("{%s}RegistryObjectList" % RIM)

    def id(self, symbolic):
        return self.ids[symbolic]

    def drop(self, *symbolic):
        """Removes objects (and the associations that name them)."""
        gone = {self.ids[s] for s in symbolic}
        for el in list(self.list):
            if el.get("id") in gone or el.get("sourceObject") in gone or el.get("targetObject") in gone or \
                    el.get("classifiedObject") in gone:
                self.list.remove(el)

    def associate(self, kind, source, target, slots=()):
        a = etree.SubElement(self.list, "{%s}Association" % RIM, id=urn(), associationType=kind, sourceObject=source,
                             targetObject=target)
        for name, value in slots:
            slot = etree.SubElement(a, "{%s}Slot" % RIM, name=name)
            etree.SubElement(etree.SubElement(slot, "{%s}ValueList" % RIM), "{%s}Value" % RIM).text = value
        return a.get("id")

    def prune(self):
        """Drops associations whose ends are no longer in the submission, until none is left."""
        while True:
            present = {el.get("id") for el in self.list}
            dangling = [el for el in self.list if el.tag == "{%s}Association" % RIM and
                        (el.get("sourceObject") not in present or el.get("targetObject") not in present)]
            if not dangling:
                return
            for el in dangling:
                self.list.remove(el)

    def top_ids(self):
        return [el.get("id") for el in self.list if isinstance(el.tag, str) and etree.QName(el).localname in
                ("ExtrinsicObject", "RegistryPackage", "Association")]


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.start_registry()
        cls.repo_dir = cls.tmp + "/repository"
        cls.repository, ph, pg = start("repository/xds-repository",
                                       ["--data_dir=" + cls.repo_dir, "--http_port=0", "--grpc_port=0", "--insecure",
                                        "--registry_grpc=" + cls.registry_grpc, "--repository_unique_id=" + REPOSITORY_UID],
                                       cls.tmp + "/repository.ports")
        cls.repository_url = "http://127.0.0.1:%d/xds/repository" % ph
        cls.repository_grpc = "127.0.0.1:%d" % pg
        subprocess.run(["tools/xdsctl/xdsctl", "--registry_grpc=" + cls.registry_grpc, "patient", "add", PATIENT],
                       check=True, capture_output=True)

    @classmethod
    def start_registry(cls, http_port=0, grpc_port=0):
        cls.registry, rh, rg = start("registry/xds-registry",
                                     ["--data_dir=" + cls.tmp + "/registry", "--http_port=%d" % http_port,
                                      "--grpc_port=%d" % grpc_port, "--insecure", "--patient_authority=" + AUTHORITY],
                                     cls.tmp + "/registry.ports")
        cls.registry_url = "http://127.0.0.1:%d/xds/registry" % rh
        cls.registry_grpc = "127.0.0.1:%d" % rg

    @classmethod
    def tearDownClass(cls):
        for p in (cls.repository, cls.registry):
            if p.poll() is None:
                p.terminate()
                p.wait()

    # --- transport --------------------------------------------------------------------------
    def soap(self, tx, body, url=None):
        url = url or (self.repository_url if tx in ("ITI-86", "ITI-43") else self.registry_url)
        env = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
               'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
               '<a:Action s:mustUnderstand="1">%s</a:Action><a:MessageID>%s</a:MessageID><a:To>%s</a:To></s:Header>'
               '<s:Body>%s</s:Body></s:Envelope>') % (ACTION[tx], urn(), url, etree.tostring(body).decode())
        req = urllib.request.Request(url, data=env.encode(),
                                     headers={"Content-Type": "application/soap+xml; charset=UTF-8"})
        answer = body_of(urllib.request.urlopen(req, timeout=60).read())
        self.validate(answer)
        return answer

    def validate(self, element):
        if not SCHEMAS or tx_schema(element) is None:
            return
        f = os.path.join(self.tmp, "answer.xml")
        with open(f, "wb") as out:
            out.write(etree.tostring(element))
        env = dict(os.environ, XML_CATALOG_FILES=os.path.join(SHARED, "conformance/schemas/catalog.xml"))
        out = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", os.path.join(SCHEMAS, tx_schema(element)), f],
                             capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)

    def status(self, answer):
        rr = answer if answer.tag == "{%s}RegistryResponse" % RS else answer
        codes = [e.get("errorCode") for e in rr.iter("{%s}RegistryError" % RS)]
        return rr.get("status", "").split(":")[-1], codes

    def expect(self, answer, status, code=None):
        got, codes = self.status(answer)
        self.assertEqual(got, status, "%s %s %s" % (got, codes, etree.tostring(answer)[:1500]))
        if code:
            self.assertIn(code, codes, etree.tostring(answer)[:1500])
        return codes

    def register(self, objects, tx="ITI-42"):
        return self.soap(tx, objects.sor)

    def remove(self, ids):
        req = etree.Element("{%s}RemoveObjectsRequest" % LCM)
        lst = etree.SubElement(req, "{%s}ObjectRefList" % RIM)
        for i in ids:
            etree.SubElement(lst, "{%s}ObjectRef" % RIM, id=i)
        return self.soap("ITI-62", req)

    def query(self, query_id, **params):
        req = etree.fromstring(
            '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="%s"><query:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>'
            '<rim:AdhocQuery id="%s"/></query:AdhocQueryRequest>' % (RIM, query_id))
        q = req.find("{%s}AdhocQuery" % RIM)
        for name, value in params.items():
            slot = etree.SubElement(q, "{%s}Slot" % RIM, name="$" + name)
            etree.SubElement(etree.SubElement(slot, "{%s}ValueList" % RIM), "{%s}Value" % RIM).text = value
        return self.soap("ITI-18", req)

    def entries(self, *uuids):
        answer = self.query(GET_DOCUMENTS, XDSDocumentEntryEntryUUID="(%s)" % ",".join("'%s'" % u for u in uuids))
        return {eo.get("id"): eo.get("status") for eo in answer.iter("{%s}ExtrinsicObject" % RIM)}

    def contents(self, ss_uuid):
        answer = self.query(GET_SS_AND_CONTENTS, XDSSubmissionSetEntryUUID="'%s'" % ss_uuid)
        rol = answer.find("{%s}RegistryObjectList" % RIM)
        return [] if rol is None else [c.get("id") for c in rol if isinstance(c.tag, str)]

    def base(self):
        o = Objects()
        self.expect(self.register(o), "Success")
        return o

    def follow_up(self, target, kind):
        """SubmissionSet + Document01 related to `target` by `kind`."""
        o = Objects()
        o.drop("Document02", "Folder01")
        o.prune()
        o.associate(kind, o.id("Document01"), target)
        return o

    # --- 1. relationships -------------------------------------------------------------------
    def test_replace_deprecates_original_and_dependants_and_joins_its_folder(self):
        orig = self.base()
        doc = orig.id("Document01")  # in Folder01
        addendum = self.follow_up(doc, APND)
        self.expect(self.register(addendum), "Success")
        transform = self.follow_up(doc, XFRM)
        self.expect(self.register(transform), "Success")
        rplc = self.follow_up(doc, RPLC)
        self.expect(self.register(rplc), "Success")
        replacement = rplc.id("Document01")
        st = self.entries(doc, addendum.id("Document01"), transform.id("Document01"), replacement)
        self.assertEqual(st[doc], DEPRECATED)
        self.assertEqual(st[addendum.id("Document01")], DEPRECATED)
        self.assertEqual(st[transform.id("Document01")], DEPRECATED)
        self.assertEqual(st[replacement], APPROVED)
        # The replacement is a member of the original's Folder, and that membership is in the
        # replacement's SubmissionSet.
        folder = self.query(GET_FOLDER_AND_CONTENTS, XDSFolderEntryUUID="'%s'" % orig.id("Folder01"))
        members = [a for a in folder.iter("{%s}Association" % RIM)
                   if a.get("sourceObject") == orig.id("Folder01") and a.get("targetObject") == replacement]
        self.assertEqual(len(members), 1)
        around = self.query(GET_ASSOCIATIONS, uuid="('%s')" % members[0].get("id"))
        self.assertIn(rplc.id("SubmissionSet01"), [a.get("sourceObject") for a in around.iter("{%s}Association" % RIM)
                                                   if a.get("targetObject") == members[0].get("id")])
        # Twins: the deprecated original can no longer be appended, replaced or transformed.
        for kind in (APND, RPLC, XFRM):
            self.expect(self.register(self.follow_up(doc, kind)), "Failure", "XDSRegistryDeprecatedDocumentError")
        # ... while its replacement can.
        self.expect(self.register(self.follow_up(replacement, APND)), "Success")

    def test_replace_of_unknown_entry_is_refused(self):
        self.expect(self.register(self.follow_up(urn(), RPLC)), "Failure", "UnresolvedReferenceException")

    # --- 2. ITI-62 ------------------------------------------------------------------------
    def test_remove_metadata_rules(self):
        o = self.base()
        everything = o.top_ids()
        self.assertEqual(len(self.contents(o.id("SubmissionSet01"))), len(everything))
        self.expect(self.remove([o.id("SubmissionSet01")]), "Failure", "ReferencesExistException")
        ss_hm2 = [el.get("id") for el in o.list
                  if el.get("sourceObject") == o.id("SubmissionSet01") and el.get("targetObject") == o.id("Document02")]
        # Only the SubmissionSet's HasMember of Document02: Document02 would be left unreferenced.
        self.expect(self.remove(ss_hm2), "Failure", "XDSUnreferencedObjectException")
        # Document02 with every association that names it (its Folder membership and that
        # membership's record in the SubmissionSet): fine, the SubmissionSet keeps members.
        hm2 = [el.get("id") for el in o.list if el.get("targetObject") == o.id("Document02")]
        hm2 += [el.get("id") for el in o.list if el.get("targetObject") in hm2]
        self.expect(self.remove([o.id("Document02")] + hm2[1:]), "Failure", "ReferencesExistException")
        self.expect(self.remove([o.id("Document02")] + hm2), "Success")
        self.assertNotIn(o.id("Document02"), self.contents(o.id("SubmissionSet01")))
        rest = [i for i in everything if i not in hm2 and i != o.id("Document02")]
        self.expect(self.remove(rest), "Success")
        self.assertEqual(self.contents(o.id("SubmissionSet01")), [])
        self.expect(self.remove(rest), "Failure", "UnresolvedReferenceException")

    def test_remove_metadata_keeps_relationships_whole(self):
        orig = self.base()
        app = self.follow_up(orig.id("Document02"), APND)
        self.expect(self.register(app), "Success")
        apnd = [el.get("id") for el in app.list if el.get("associationType") == APND]
        # The APND alone, between two current documents: the model would break.
        self.expect(self.remove(apnd), "Failure", "XDSMetadataModelException")
        # The original's whole submission: the APND still names its Document02.
        self.expect(self.remove(orig.top_ids()), "Failure", "ReferencesExistException")
        # The addendum's whole submission, APND included: fine.
        self.expect(self.remove(app.top_ids()), "Success")
        self.expect(self.remove(orig.top_ids()), "Success")

    def test_kill_during_removals_leaves_each_submission_whole_or_gone(self):
        subs = [self.base() for _ in range(150)]
        done = []

        def remove_all(mine):
            for o in mine:
                try:
                    self.remove(o.top_ids())
                    done.append(o)
                except Exception:  # the registry died under us
                    return

        threads = [threading.Thread(target=remove_all, args=(subs[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        while len(done) < 10:  # removals are under way
            time.sleep(0.002)
        os.kill(self.registry.pid, signal.SIGKILL)
        self.registry.wait()
        for t in threads:
            t.join()
        # The same ports: the repository keeps its registry address.
        type(self).start_registry(int(self.registry_url.split(":")[2].split("/")[0]),
                                  int(self.registry_grpc.split(":")[1]))
        whole = gone = 0
        for o in subs:
            left = self.contents(o.id("SubmissionSet01"))
            if left:
                self.assertEqual(sorted(left), sorted(o.top_ids()), "a submission was removed in part")
                whole += 1
            else:
                gone += 1
        self.assertGreaterEqual(gone, len(done))  # every answered removal is durable
        self.assertGreater(whole, 0, "the kill came after the last removal; nothing was tested")

    # --- 3. ITI-86 ------------------------------------------------------------------------
    def submit_documents(self, n):
        files = []
        for i in range(n):
            f = os.path.join(self.tmp, "doc-%s.txt" % uuid.uuid4())
            with open(f, "w") as out:
                out.write("lifecycle document %s\n" % f)
            files.append(f)
        out = subprocess.run(["tools/xdsctl/xdsctl", "--registry_grpc=" + self.registry_grpc,
                              "--repository=" + self.repository_url, "--format=json", "submit"] + files +
                             ["--patient", PATIENT, "--class", "DISCHARGE^^2.999.100.1"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return [(d["uniqueId"], hashlib.sha1(open(f, "rb").read()).hexdigest())
                for d, f in zip(json.loads(out.stdout)["documentEntries"], files)]

    def document_request(self, root_tag, docs, repository=REPOSITORY_UID):
        ns = "urn:ihe:iti:rmd:2017" if root_tag == "RemoveDocumentsRequest" else "urn:ihe:iti:xds-b:2007"
        req = etree.Element("{%s}%s" % (ns, root_tag), nsmap={"xds": "urn:ihe:iti:xds-b:2007"})
        for unique_id in docs:
            dr = etree.SubElement(req, "{urn:ihe:iti:xds-b:2007}DocumentRequest")
            etree.SubElement(dr, "{urn:ihe:iti:xds-b:2007}RepositoryUniqueId").text = repository
            etree.SubElement(dr, "{urn:ihe:iti:xds-b:2007}DocumentUniqueId").text = unique_id
        return req

    def indexed(self, unique_id):
        with sqlite3.connect("file:%s/repository.sqlite?mode=ro" % self.repo_dir, uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM documents WHERE unique_id = ?", (unique_id,)).fetchone()[0]

    def test_remove_documents(self):
        (a, a_hash), (b, b_hash) = self.submit_documents(2)
        path = lambda h: os.path.join(self.repo_dir, "documents", h[:2], h)
        self.assertTrue(os.path.exists(path(a_hash)) and self.indexed(a) == 1)
        # Twins: another repository's id, an unknown document.
        self.expect(self.soap("ITI-86", self.document_request("RemoveDocumentsRequest", [a], "1.2.999")), "Failure",
                    "XDSUnknownRepositoryId")
        self.expect(self.soap("ITI-86", self.document_request("RemoveDocumentsRequest", ["2.25.404"])), "Failure",
                    "XDSDocumentUniqueIdError")
        self.assertTrue(os.path.exists(path(a_hash)))
        # One known and one unknown: PartialSuccess, the known one removed.
        self.expect(self.soap("ITI-86", self.document_request("RemoveDocumentsRequest", [a, "2.25.404"])),
                    "PartialSuccess", "XDSDocumentUniqueIdError")
        self.assertFalse(os.path.exists(path(a_hash)), "the content file must go with its last row")
        self.assertEqual(self.indexed(a), 0)
        retrieved = self.soap("ITI-43", self.document_request("RetrieveDocumentSetRequest", [a]))
        self.assertIn("XDSDocumentUniqueIdError", etree.tostring(retrieved).decode())
        self.expect(self.soap("ITI-86", self.document_request("RemoveDocumentsRequest", [b])), "Success")
        self.assertFalse(os.path.exists(path(b_hash)))

    # --- 4. ITI-57 ------------------------------------------------------------------------
    def update_status(self, target, original, new):
        o = Objects()
        for el in list(o.list):
            if el.get("id") != o.id("SubmissionSet01") and el.get("classifiedObject") != o.id("SubmissionSet01"):
                o.list.remove(el)
        o.associate(UAS, o.id("SubmissionSet01"), target, [("OriginalStatus", original), ("NewStatus", new)])
        return self.soap("ITI-57", o.sor)

    def test_update_availability_status(self):
        o = self.base()
        doc = o.id("Document02")
        self.expect(self.update_status(doc, DEPRECATED, APPROVED), "Failure", "XDSMetadataUpdateOperationError")
        self.assertEqual(self.entries(doc)[doc], APPROVED)
        self.expect(self.update_status(doc, APPROVED, DEPRECATED), "Success")
        self.assertEqual(self.entries(doc)[doc], DEPRECATED)
        self.expect(self.update_status(doc, DEPRECATED, APPROVED), "Success")
        self.assertEqual(self.entries(doc)[doc], APPROVED)
        # As ITI-42 the same request is refused.
        o2 = Objects()
        for el in list(o2.list):
            if el.get("id") != o2.id("SubmissionSet01") and el.get("classifiedObject") != o2.id("SubmissionSet01"):
                o2.list.remove(el)
        o2.associate(UAS, o2.id("SubmissionSet01"), doc, [("OriginalStatus", APPROVED), ("NewStatus", DEPRECATED)])
        self.expect(self.soap("ITI-42", o2.sor), "Failure", "XDSRegistryMetadataError")

    def new_version(self, orig, previous):
        o = Objects()
        o.drop("Folder01", "Document01")
        o.prune()
        de = o.list.find("{%s}ExtrinsicObject[@id='%s']" % (RIM, o.id("Document02")))
        de.set("lid", orig.id("Document02"))
        src = orig.list.find("{%s}ExtrinsicObject[@id='%s']" % (RIM, orig.id("Document02")))
        for ei in de.findall("{%s}ExternalIdentifier" % RIM):  # the same uniqueId
            if ei.get("identificationScheme") in UNIQUE_ID_SCHEMES:
                ei.set("value", [e for e in src.findall("{%s}ExternalIdentifier" % RIM)
                                 if e.get("identificationScheme") in UNIQUE_ID_SCHEMES][0].get("value"))
        for a in o.list.findall("{%s}Association" % RIM):
            if a.get("targetObject") == o.id("Document02"):
                slot = etree.SubElement(a, "{%s}Slot" % RIM, name="PreviousVersion")
                etree.SubElement(etree.SubElement(slot, "{%s}ValueList" % RIM), "{%s}Value" % RIM).text = previous
                a.insert(0, slot)
        return o

    def test_new_document_entry_version(self):
        orig = self.base()
        v2 = self.new_version(orig, "1")
        self.expect(self.soap("ITI-57", v2.sor), "Success")
        st = self.entries(orig.id("Document02"), v2.id("Document02"))
        self.assertEqual(st[orig.id("Document02")], DEPRECATED)
        self.assertEqual(st[v2.id("Document02")], APPROVED)
        answer = self.query(GET_DOCUMENTS, XDSDocumentEntryEntryUUID="('%s')" % v2.id("Document02"))
        eo = answer.find(".//{%s}ExtrinsicObject" % RIM)
        self.assertEqual(eo.get("lid"), orig.id("Document02"))
        self.assertEqual(eo.find("{%s}VersionInfo" % RIM).get("versionName"), "2")
        # Twin: version 1 is no longer the latest.
        self.expect(self.soap("ITI-57", self.new_version(orig, "1").sor), "Failure", "XDSMetadataVersionError")

    def submit_association(self, kind, source, target):
        o = Objects()
        for el in list(o.list):
            if el.get("id") != o.id("SubmissionSet01") and el.get("classifiedObject") != o.id("SubmissionSet01"):
                o.list.remove(el)
        submitted = o.associate(kind, source, target)
        o.associate("urn:ihe:iti:2010:AssociationType:SubmitAssociation", o.id("SubmissionSet01"), submitted)
        return self.soap("ITI-57", o.sor)

    def test_submit_association(self):
        o = self.base()
        d1, d2 = o.id("Document01"), o.id("Document02")
        self.expect(self.submit_association(APND, d2, d1), "Success")
        related = self.query(GET_ASSOCIATIONS, uuid="('%s')" % d1)
        self.assertEqual(len([a for a in related.iter("{%s}Association" % RIM)
                              if a.get("associationType") == APND and a.get("sourceObject") == d2]), 1)
        # Twins: the same association again, a made-up type, a Deprecated end.
        self.expect(self.submit_association(APND, d2, d1), "Failure", "XDSMetadataUpdateError")
        self.expect(self.submit_association("urn:ihe:iti:2007:AssociationType:APND_TXFM", d1, d2), "Failure",
                    "XDSRegistryMetadataError")
        self.expect(self.update_status(d2, APPROVED, DEPRECATED), "Success")
        self.expect(self.submit_association(XFRM, d1, d2), "Failure", "XDSRegistryDeprecatedDocumentError")

    # --- 5. xdsctl, over gRPC and over SOAP -------------------------------------------------
    def ctl(self, *args, soap=False, expect=0):
        endpoints = ["--registry=" + self.registry_url, "--repository=" + self.repository_url]
        if not soap:
            endpoints += ["--registry_grpc=" + self.registry_grpc, "--repository_grpc=" + self.repository_grpc]
        out = subprocess.run(["tools/xdsctl/xdsctl"] + endpoints + ["--format=json"] + list(args),
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, expect, "%s: %s %s" % (args, out.stdout, out.stderr))
        return json.loads(out.stdout) if expect == 0 else out

    def test_xdsctl_verbs(self):
        for soap in (False, True):
            (a, _), (b, _) = self.submit_documents(2)
            self.assertEqual(self.ctl("deprecate", a, soap=soap)["updated"], "Deprecated")
            self.assertEqual(self.ctl("show", a, soap=soap)["object"]["availabilityStatus"], "Deprecated")
            self.ctl("deprecate", "2.25.404", soap=soap, expect=4)  # no such DocumentEntry
            self.assertEqual(self.ctl("update", a, "--status", "approved", soap=soap)["updated"], "Approved")
            self.assertEqual(self.ctl("update", b, "--title", "Corrected", soap=soap)["updated"], "version 2")
            versions = self.query(GET_DOCUMENTS, XDSDocumentEntryUniqueId="('%s')" % b)
            current = [eo for eo in versions.iter("{%s}ExtrinsicObject" % RIM) if eo.get("status") == APPROVED]
            self.assertEqual(len(current), 1)
            self.assertEqual(current[0].find("{%s}VersionInfo" % RIM).get("versionName"), "2")
            self.assertIn("Corrected", etree.tostring(current[0].find("{%s}Name" % RIM)).decode())
            self.ctl("update", b, soap=soap, expect=2)  # nothing to update
            self.assertEqual(self.ctl("remove-documents", a, b, soap=soap)["removed"], [a, b])
            refused = self.ctl("remove-documents", a, "--repository-id", REPOSITORY_UID, soap=soap, expect=1)
            self.assertIn("XDSDocumentUniqueIdError", refused.stderr)
        o = self.base()
        self.assertIn("ReferencesExistException",
                      self.ctl("remove-metadata", o.id("SubmissionSet01"), expect=1).stderr)
        self.assertEqual(len(self.ctl("remove-metadata", *o.top_ids(), soap=True)["removed"]), len(o.top_ids()))
        self.assertEqual(self.contents(o.id("SubmissionSet01")), [])


def tx_schema(element):
    return {"RegistryResponse": "ebRS/rs.xsd", "AdhocQueryResponse": "ebRS/query.xsd",
            "RetrieveDocumentSetResponse": None}.get(etree.QName(element).localname)


if __name__ == "__main__":
    unittest.main(verbosity=2)
