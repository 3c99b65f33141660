"""Consent and access policy enforced (issue 16): the real xds-registry and xds-repository on
127.0.0.1 over mutual TLS with XUA, a domain policy file written here, xdsctl as the consent desk.

Each rule with its passing twin, on ITI-18 (SOAP FindDocuments, GetAll) and ITI-43 (SOAP retrieve
through the repository, which asks the registry's access decision):
  - no consent: nothing visible to the hospital; the midwife still sees what she submitted;
  - consent for hospitals: a hospital sees, youth health does not;
  - a data category denied: those entries hidden, the others shown;
  - relationship required (this domain) and ended: hidden again;
  - an exclusion beats every permit;
  - restricted confidentiality: the submitting organisation only;
  - break-the-glass (XUA purpose EMERGENCY): visible, audited and flagged;
  - revoke: effective at once on query and on retrieve (the repository's cache included);
  - a BPPC consent document submitted through ITI-41 sets her consent, a later one withdraws it,
    one with a policy the domain does not map is refused;
  - a hidden document is retrieved exactly like an unknown one; associations and packages of
    hidden entries do not show in GetAll.
The story: two consumer organisations ask the same query and get different answers, as her
consent says; her access log shows both.
"""
import json
import os
import re
import tempfile
import unittest
import uuid

from region import XDSCTL, Pki, envelope, must, post, run, security_header, start, stop

AUTHORITY = "1.2.3.4.5"
AUDIENCE = "https://registry.test/xds/registry"
REPOSITORY_ID = "1.2.3.4.5.8.1"
MIDWIFE, HOSPITAL, HOSPITAL2, YOUTH, DESK = "2.999.5.1", "2.999.5.2", "2.999.5.4", "2.999.5.3", "2.999.5.9"
PSY = "PSY^^2.999.100.2"
RESTRICTED = "R^^2.16.840.1.113883.5.25"

POLICY = {
    "domain": "access-policy-test",
    "consent_model": "opt-in",
    "organizations": {
        "default_category": "other",
        "categories": ["midwifery", "hospital", "youth-health"],
        "members": {MIDWIFE: "midwifery", HOSPITAL: "hospital", HOSPITAL2: "hospital", YOUTH: "youth-health"},
    },
    "data_categories": {
        "default": "medical",
        "rules": [{"attribute": "typeCode", "code": PSY, "category": "psychosocial"}],
    },
    "treatment_relationship_required": True,
    "restricted_confidentiality_codes": [RESTRICTED],
    "break_the_glass": {"allowed": True, "purpose_of_use": ["EMERGENCY", "ETREAT"], "overrides_exclusions": False,
                        "overrides_restricted": False},
    "bppc": {
        "class_code": "57016-8^^2.16.840.1.113883.6.1",
        "policies": {
            "2.999.32.3.1": [{"effect": "permit", "subject": "*", "data_category": "*"}],
            "2.999.32.3.9": [],
        },
    },
}


def stored_query(query_id, slots, return_type="LeafClass"):
    body = "".join('<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>' % s
                   for s in slots)
    return ('<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">'
            '<query:ResponseOption returnType="%s" returnComposedObjects="true"/>'
            '<rim:AdhocQuery id="%s">%s</rim:AdhocQuery></query:AdhocQueryRequest>') % (return_type, query_id, body)


APPROVED = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"
FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
GET_ALL = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3"
DOCUMENT_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"


def retrieve_body(unique_id):
    return ('<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="urn:ihe:iti:xds-b:2007"><xdsb:DocumentRequest>'
            '<xdsb:RepositoryUniqueId>%s</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>%s</xdsb:DocumentUniqueId>'
            '</xdsb:DocumentRequest></xdsb:RetrieveDocumentSetRequest>') % (REPOSITORY_ID, unique_id)


class AccessPolicyTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.procs = []
        cls.pki = Pki(os.path.join(cls.tmp, "pki"), "Access policy test")
        cls.ca = cls.pki.ca
        registry_cert, registry_key = cls.pki.server("registry", "2.999.1.1")
        repo_cert, repo_key = cls.pki.server("repository", "2.999.1.2", "source,consumer,repository")
        cls.midwife = cls.pki.issue("midwife-practice", MIDWIFE, "source,consumer")
        cls.hospital = cls.pki.issue("hospital", HOSPITAL, "consumer")
        cls.hospital2 = cls.pki.issue("hospital-2", HOSPITAL2, "consumer")
        cls.youth = cls.pki.issue("youth-health", YOUTH, "consumer")
        cls.desk = cls.pki.issue("region-desk", DESK, "admin,consumer")
        cls.idp = Pki(os.path.join(cls.tmp, "idp"), "IdP").issue("idp", "2.999.8.1", "consumer")
        policy = os.path.join(cls.tmp, "policy.json")
        with open(policy, "w") as f:
            json.dump(POLICY, f)
        tls = ["--tls_ca=" + cls.ca, "--tls_crl=" + cls.pki.crl,
               "--xua_idp_certs=" + cls.idp[0], "--xua_audience=" + AUDIENCE]
        cls.registry, rh, rg = start("registry/xds-registry",
                                     tls + ["--tls_cert=" + registry_cert, "--tls_key=" + registry_key,
                                            "--patient_authority=" + AUTHORITY, "--policy_file=" + policy],
                                     "registry", cls.tmp)
        cls.procs.append(cls.registry)
        cls.registry_http, cls.registry_grpc = rh, "127.0.0.1:%d" % rg
        cls.repository, ph, _ = start("repository/xds-repository",
                                      tls + ["--tls_cert=" + repo_cert, "--tls_key=" + repo_key,
                                             "--registry_grpc=" + cls.registry_grpc,
                                             "--repository_unique_id=" + REPOSITORY_ID],
                                      "repository", cls.tmp)
        cls.procs.append(cls.repository)
        cls.repository_http = ph
        cls.registry_url = "https://127.0.0.1:%d/xds/registry" % rh
        cls.repository_url = "https://127.0.0.1:%d/xds/repository" % ph

    @classmethod
    def tearDownClass(cls):
        stop(cls.procs)

    @classmethod
    def ctl_as(cls, who, *args):
        cert, key = who
        return run([XDSCTL, "--registry=" + cls.registry_url, "--repository=" + cls.repository_url,
                    "--registry_grpc=" + cls.registry_grpc, "--tls_ca=" + cls.ca, "--tls_cert=" + cert,
                    "--tls_key=" + key] + list(args))

    # --- helpers -------------------------------------------------------------------------

    def new_patient(self):
        patient = "P-%s^^^&%s&ISO" % (uuid.uuid4().hex[:12], AUTHORITY)
        self.desk_ok("patient", "add", patient)
        return patient

    def desk_ok(self, *args):
        out = self.ctl_as(self.desk, *args)
        self.assertEqual(out.returncode, 0, "%s: %s%s" % (args, out.stdout, out.stderr))
        return out.stdout

    def consent(self, *args):
        return self.desk_ok("consent", *args)

    def submit(self, who, patient, *extra):
        path = os.path.join(self.tmp, "doc-%s.txt" % uuid.uuid4())
        with open(path, "wb") as f:
            f.write(b"record %s\n" % uuid.uuid4().hex.encode())
        out = self.ctl_as(who, "submit", path, "--patient", patient, "--class", "PRENATAL^^2.999.100.1", "--type",
                          "NOTE^^2.999.100.2", "--mime", "text/plain", "--format=json", *extra)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout)["documentEntries"][0]["uniqueId"]

    def mint(self, purpose, patient, subject="dr-a@hospital", organization_id=HOSPITAL):
        return must(XDSCTL, "saml", "issue", "--subject", subject, "--organization", "Hospital",
                    "--organization-id", "urn:oid:" + organization_id, "--role", "158965000", "--purpose", purpose,
                    "--patient", patient, "--audience", AUDIENCE, "--key", self.idp[1], "--cert", self.idp[0])

    def post(self, port, path, body, who):
        status, raw = post(self.ca, who, port, path, body)
        return status, raw.decode("utf-8", "replace")

    def security(self, purpose, patient, subject="dr-a@hospital", organization_id=HOSPITAL):
        return "" if purpose is None else security_header(self.mint(purpose, patient, subject, organization_id))

    def query(self, who, query_id, slots, return_type="LeafClass", purpose=None, patient=None, subject="dr-a@hospital",
              organization_id=HOSPITAL):
        status, text = self.post(self.registry_http, "/xds/registry",
                                 envelope("urn:ihe:iti:2007:RegistryStoredQuery",
                                          stored_query(query_id, slots, return_type),
                                          self.security(purpose, patient, subject, organization_id)), who)
        self.assertEqual(status, 200, text)
        self.assertIn("ResponseStatusType:Success", text, text)
        return text

    def visible(self, who, patient, **kw):
        """The uniqueIds of the patient's Approved DocumentEntries that `who` sees (FindDocuments)."""
        text = self.query(who, FIND_DOCUMENTS, [("$XDSDocumentEntryPatientId", "'%s'" % patient),
                                                ("$XDSDocumentEntryStatus", APPROVED)], patient=patient, **kw)
        ids = set(re.findall(r'identificationScheme="%s"[^>]*value="([^"]+)"' % DOCUMENT_UNIQUE_ID, text))
        refs = self.query(who, FIND_DOCUMENTS, [("$XDSDocumentEntryPatientId", "'%s'" % patient),
                                                ("$XDSDocumentEntryStatus", APPROVED)], "ObjectRef", patient=patient,
                          **kw)
        self.assertEqual(len(re.findall(r"<rim:ObjectRef ", refs)), len(ids), refs)
        return ids

    def retrieve(self, who, unique_id, purpose=None, patient=None):
        status, text = self.post(self.repository_http, "/xds/repository",
                                 envelope("urn:ihe:iti:2007:RetrieveDocumentSet", retrieve_body(unique_id),
                                          self.security(purpose, patient)), who)
        self.assertEqual(status, 200, text)
        if "ResponseStatusType:Success" in text:
            return "ok"
        m = re.search(r'errorCode="([^"]+)"[^>]*', text)
        self.assertIsNotNone(m, text)
        return m.group(1)

    def relationship(self, patient, org):
        self.consent("relationship", "start", "--patient", patient, "--organization-id", org)

    # --- one rule each, with its twin -----------------------------------------------------

    def test_no_consent_nothing_visible_but_own_submissions(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.relationship(p, HOSPITAL)
        self.assertEqual(self.visible(self.hospital, p), set())
        self.assertEqual(self.retrieve(self.hospital, doc), "XDSDocumentUniqueIdError")
        # Twin: the submitting organisation sees and retrieves its own document.
        self.assertEqual(self.visible(self.midwife, p), {doc})
        self.assertEqual(self.retrieve(self.midwife, doc), "ok")

    def test_a_new_version_stays_its_submitters(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        # The region's document administrator (gRPC, admin right: not filtered) corrects the
        # metadata (ITI-57 new version).
        self.desk_ok("update", doc, "--title", "corrected")
        self.assertEqual(self.visible(self.midwife, p), {doc})
        self.assertEqual(self.visible(self.hospital, p), set())

    def test_consent_for_hospitals_not_youth_health(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        for org in (HOSPITAL, YOUTH):
            self.relationship(p, org)
        self.consent("grant", "--patient", p, "--category", "hospital")
        self.assertEqual(self.visible(self.hospital, p), {doc})
        self.assertEqual(self.retrieve(self.hospital, doc), "ok")
        self.assertEqual(self.visible(self.youth, p), set())
        self.assertEqual(self.retrieve(self.youth, doc), "XDSDocumentUniqueIdError")

    def test_denied_data_category_hidden_others_shown(self):
        p = self.new_patient()
        medical = self.submit(self.midwife, p)
        psy = self.submit(self.midwife, p, "--type", PSY)
        self.relationship(p, HOSPITAL)
        self.consent("grant", "--patient", p, "--organization-id", HOSPITAL)
        self.assertEqual(self.visible(self.hospital, p), {medical, psy})
        self.consent("deny", "--patient", p, "--organization-id", HOSPITAL, "--data-category", "psychosocial")
        self.assertEqual(self.visible(self.hospital, p), {medical})
        self.assertEqual(self.retrieve(self.hospital, psy), "XDSDocumentUniqueIdError")
        self.assertEqual(self.retrieve(self.hospital, medical), "ok")

    def test_ended_relationship_hides_again(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.consent("grant", "--patient", p, "--everyone")
        # Required by this domain: consent alone is not enough.
        self.assertEqual(self.visible(self.hospital2, p), set())
        self.relationship(p, HOSPITAL2)
        self.assertEqual(self.visible(self.hospital2, p), {doc})
        self.consent("relationship", "end", "--patient", p, "--organization-id", HOSPITAL2)
        self.assertEqual(self.visible(self.hospital2, p), set())
        self.assertEqual(self.retrieve(self.hospital2, doc), "XDSDocumentUniqueIdError")

    def test_exclusion_beats_every_permit(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.relationship(p, HOSPITAL)
        self.relationship(p, HOSPITAL2)
        self.consent("grant", "--patient", p, "--everyone")
        self.consent("grant", "--patient", p, "--organization-id", HOSPITAL)
        self.consent("exclude", "--patient", p, "--organization-id", HOSPITAL)
        self.assertEqual(self.visible(self.hospital, p), set())
        self.assertEqual(self.visible(self.hospital, p, purpose="EMERGENCY"), set())  # not even in an emergency
        self.assertEqual(self.retrieve(self.hospital, doc), "XDSDocumentUniqueIdError")
        # Twin: another hospital under the same consent sees it.
        self.assertEqual(self.visible(self.hospital2, p), {doc})

    def test_restricted_confidentiality_author_only(self):
        p = self.new_patient()
        restricted = self.submit(self.midwife, p, "--confidentiality", RESTRICTED)
        normal = self.submit(self.midwife, p)
        self.relationship(p, HOSPITAL)
        self.consent("grant", "--patient", p, "--everyone")
        self.assertEqual(self.visible(self.hospital, p), {normal})
        self.assertEqual(self.retrieve(self.hospital, restricted), "XDSDocumentUniqueIdError")
        self.assertEqual(self.visible(self.midwife, p), {normal, restricted})
        self.assertEqual(self.retrieve(self.midwife, restricted), "ok")

    def test_break_the_glass_visible_audited_flagged(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.assertEqual(self.visible(self.hospital, p, purpose="TREATMENT"), set())
        self.assertEqual(self.visible(self.hospital, p, purpose="EMERGENCY"), {doc})
        self.assertEqual(self.retrieve(self.hospital, doc, purpose="EMERGENCY", patient=p), "ok")
        self.assertEqual(self.retrieve(self.hospital, doc, purpose="TREATMENT", patient=p), "XDSDocumentUniqueIdError")
        events = json.loads(self.desk_ok("audit", "--patient", p, "--format=json"))["events"]
        emergency = [e for e in events if e["emergency"] and e["organizationId"] == HOSPITAL]
        self.assertTrue(any(e["transaction"] == "ITI-18" for e in emergency), events)
        self.assertTrue(any(e["transaction"] == "ITI-43" for e in emergency), events)
        self.assertTrue(any("break-the-glass" in e.get("detail", "") for e in emergency), emergency)

    def test_revoke_effective_at_once_on_query_and_retrieve(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.relationship(p, HOSPITAL)
        self.consent("grant", "--patient", p, "--organization-id", HOSPITAL)
        self.assertEqual(self.visible(self.hospital, p), {doc})
        # Twice, so that the repository answers the second from its cache.
        self.assertEqual(self.retrieve(self.hospital, doc), "ok")
        self.assertEqual(self.retrieve(self.hospital, doc), "ok")
        self.consent("revoke", "--patient", p, "--organization-id", HOSPITAL)
        self.assertEqual(self.retrieve(self.hospital, doc), "XDSDocumentUniqueIdError")
        self.assertEqual(self.visible(self.hospital, p), set())

    def test_bppc_document_sets_and_withdraws_consent(self):
        p = self.new_patient()
        doc = self.submit(self.midwife, p)
        self.relationship(p, HOSPITAL)
        self.assertEqual(self.visible(self.hospital, p), set())
        consent = self.submit(self.midwife, p, "--class", "57016-8^^2.16.840.1.113883.6.1", "--event-code",
                              "2.999.32.3.1^^2.999.32.3")
        self.assertEqual(self.visible(self.hospital, p), {doc, consent})
        self.assertEqual(self.retrieve(self.hospital, doc), "ok")
        rules = json.loads(self.consent("list", "--patient", p, "--format=json"))["rules"]
        self.assertEqual([(r["source"], r["sourceDocument"]) for r in rules], [("bppc", consent)])
        # A policy the domain does not map: refused whole, her consent unchanged.
        path = os.path.join(self.tmp, "unmapped.txt")
        with open(path, "w") as f:
            f.write("consent\n")
        out = self.ctl_as(self.midwife, "submit", path, "--patient", p, "--class", "57016-8^^2.16.840.1.113883.6.1",
                          "--event-code", "2.999.32.3.77^^2.999.32.3", "--mime", "text/plain")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("XDSRegistryMetadataError", out.stdout + out.stderr)
        self.assertEqual(self.visible(self.hospital, p), {doc, consent})
        # She withdraws: the later document replaces the earlier one's rules.
        self.submit(self.midwife, p, "--class", "57016-8^^2.16.840.1.113883.6.1", "--event-code",
                    "2.999.32.3.9^^2.999.32.3")
        self.assertEqual(self.visible(self.hospital, p), set())
        self.assertEqual(self.retrieve(self.hospital, doc), "XDSDocumentUniqueIdError")

    def test_hidden_entries_leave_no_trace_in_get_all(self):
        p = self.new_patient()
        shown = self.submit(self.midwife, p)
        hidden = self.submit(self.midwife, p, "--type", PSY)
        self.relationship(p, HOSPITAL)
        self.consent("grant", "--patient", p, "--organization-id", HOSPITAL)
        self.consent("deny", "--patient", p, "--organization-id", HOSPITAL, "--data-category", "psychosocial")
        get_all = [("$patientId", "'%s'" % p), ("$XDSDocumentEntryStatus", APPROVED),
                   ("$XDSSubmissionSetStatus", APPROVED), ("$XDSFolderStatus", APPROVED)]
        everything = self.query(self.midwife, GET_ALL, get_all)
        text = self.query(self.hospital, GET_ALL, get_all)
        self.assertIn(shown, text)
        self.assertNotIn(hidden, text)
        hidden_entry = re.search(r'<rim:ExtrinsicObject[^>]*id="([^"]+)"(?:(?!</rim:ExtrinsicObject>).)*%s' %
                                 re.escape(hidden), everything, re.S).group(1)
        self.assertIn(hidden_entry, everything)
        self.assertNotIn(hidden_entry, text)  # no association names it either
        # One SubmissionSet of two shows (the other holds only the hidden entry).
        self.assertEqual(len(re.findall(r"<rim:RegistryPackage ", everything)), 2)
        self.assertEqual(len(re.findall(r"<rim:RegistryPackage ", text)), 1)

    # --- the story ------------------------------------------------------------------------

    def test_story_two_consumers_same_query_different_answers(self):
        p = self.new_patient()
        pregnancy = self.submit(self.midwife, p)
        screening = self.submit(self.midwife, p, "--type", PSY)
        for org in (HOSPITAL, YOUTH):
            self.relationship(p, org)
        # She lets the hospital see everything, youth health only what is not psychosocial.
        self.consent("grant", "--patient", p, "--category", "hospital")
        self.consent("grant", "--patient", p, "--category", "youth-health", "--data-category", "medical")
        self.assertEqual(self.visible(self.hospital, p), {pregnancy, screening})
        self.assertEqual(self.visible(self.youth, p), {pregnancy})
        log = json.loads(self.desk_ok("audit", "--patient", p, "--format=json"))["events"]
        queries = {e["organizationId"] for e in log if e["transaction"] == "ITI-18"}
        self.assertLessEqual({HOSPITAL, YOUTH}, queries, log)
        youth_query = [e for e in log if e["transaction"] == "ITI-18" and e["organizationId"] == YOUTH]
        self.assertTrue(all("access policy" in e.get("detail", "") for e in youth_query), youth_query)


if __name__ == "__main__":
    unittest.main()
