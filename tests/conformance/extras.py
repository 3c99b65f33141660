"""Extra "tests" through the same harness: the IHE-published XDS.b example messages
(other/ihe-iti-info/examples/XDS.b, bare and SOAP forms) and IPF's test messages (ipf/).
Each message gets the rewrites the NIST engine would do (a patient id known to our
registry, fresh uniqueIds, our repositoryUniqueId), then its expected outcome is checked.
Expected outcomes: MANIFEST.md (IHE: "compare with the sample response for structure and
status"; IPF: from IPF's own Java tests)."""
import base64
import copy
import os
import re
import urllib.parse

from lxml import etree

import ebrs
import engine
import soap
from ebrs import RIM, LCM, local
from engine import ACTIONS, StepFailure, TestResult, XDSB, response_status, fmt_errors, classify

IHE_DIR = "other/ihe-iti-info/examples/XDS.b"
RMD_DIR = "other/ihe-iti-info/examples/RMD"
MU_DIR = "other/ihe-iti-info/examples/MU/example01"
IPF_FILES = "ipf/commons/ihe/xds/src/test/resources"
IPF_CAMEL = "ipf/platform-camel/ihe/xds/src/test/resources"
STANDARD_SLOTS = None


def _squash(v):
    return re.sub(r"\s+", "", v or "")


def rewrite_submission(root, patient, new_uid):
    """Patient ids -> `patient`, fresh uniqueIds; returns {object id: uniqueId}. IPF's
    ebrs30 files wrap two identificationScheme UUIDs across lines ("...-912e- bf5ee...");
    that line-wrap artifact is removed here (reported as a note)."""
    uids = {}
    for ei in root.iter("{%s}ExternalIdentifier" % RIM):
        scheme = ei.get("identificationScheme")
        if scheme and _squash(scheme) != scheme and _squash(scheme).startswith("urn:uuid:"):
            ei.set("identificationScheme", _squash(scheme))
            scheme = _squash(scheme)
        if scheme in ebrs.PATIENT_ID_SCHEMES:
            ei.set("value", patient)
        elif scheme in ebrs.UNIQUE_ID_SCHEMES:
            uid = new_uid()
            ei.set("value", uid)
            uids[ei.getparent().get("id") or ei.get("registryObject")] = uid
    return uids


SS_CONTENT_TYPE = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"


def add_repository_attributes(sor, repository_uid):
    """ITI-42 is sent by a Document Repository, which adds hash, size and
    repositoryUniqueId (TF-3 Table 4.3.1-3); bare example submissions lack them. Returns the
    names added."""
    import hashlib
    content = b"IHE example document"
    added = set()
    values = {"hash": hashlib.sha1(content).hexdigest(), "size": str(len(content)),
              "repositoryUniqueId": repository_uid}
    for eo in sor.iter("{%s}ExtrinsicObject" % RIM):
        have = {s.get("name") for s in eo.findall("{%s}Slot" % RIM)}
        for name, v in values.items():
            if name not in have:
                slot = etree.Element("{%s}Slot" % RIM, name=name)
                etree.SubElement(etree.SubElement(slot, "{%s}ValueList" % RIM), "{%s}Value" % RIM).text = v
                eo.insert(0, slot)
                added.add(name)
    return sorted(added)


def lacks_ss_content_type(sor):
    for rp in sor.iter("{%s}RegistryPackage" % RIM):
        if ebrs.object_kind(rp, sor) == "SubmissionSet":
            rid = rp.get("id")
            if not any(c.get("classificationScheme") == SS_CONTENT_TYPE and c.get("classifiedObject") in (rid, None)
                       for c in sor.iter("{%s}Classification" % RIM)):
                return True
    return False


class Extras:
    def __init__(self, conf, svc, eng, after_each=None):
        self.conf = conf
        self.svc = svc
        self.eng = eng
        self.results = []
        self.patient = None
        self.provided = []      # (uid, bytes) documents the IHE ITI-41 examples stored
        self.after_each = after_each

    def path(self, *p):
        return os.path.join(self.conf, *p)

    def run(self, test_id, kind, fn, na=None):
        res = TestResult(test_id, kind)
        self.results.append(res)
        if na:
            res.outcome, res.reason = "na", na
            return res
        try:
            fn(res)
        except StepFailure as e:
            res.fail(test_id, str(e))
        except Exception as e:  # a harness bug must not stop the run
            res.fail(test_id, "HARNESS ERROR %s: %s" % (type(e).__name__, e))
        if self.after_each:
            self.after_each(res)
        return res

    # ------------------------------------------------------------ transport
    def send(self, res, label, url, action, body_el=None, envelope_file=None, mtom=False):
        """Sends a body element in our envelope, or an IHE _SOAP example's own envelope
        (with its Body replaced by `body_el` and wsa:To/MessageID made ours)."""
        if envelope_file is None:
            answer = soap.post(url, action, etree.tostring(body_el), mtom=mtom)
        else:
            env = etree.parse(envelope_file).getroot()
            for to in env.iter("{%s}To" % soap.WSA_NS):
                to.text = url
            for act in env.iter("{%s}Action" % soap.WSA_NS):
                act.text = action  # the same as the example's, except where the example is wrong (ITI-86)
            body = env.find("{%s}Body" % soap.SOAP_NS)
            for c in list(body):
                body.remove(c)
            body.append(body_el)
            answer = soap.post_envelope(url, action, etree.tostring(env))
        self.eng._record_response(res, label, answer)
        if answer.fault:
            raise StepFailure(answer.fault)
        return answer

    def expect(self, answer, statuses, what):
        status, errors = response_status(answer.body)
        if status not in statuses:
            raise StepFailure("%s: status %s, expected %s%s" % (what, status, "/".join(statuses), fmt_errors(errors)))
        return status, errors

    def body_of(self, path):
        root = etree.parse(path).getroot()
        if local(root) == "Envelope":
            root = root.find("{%s}Body" % soap.SOAP_NS)[0]
        return etree.fromstring(etree.tostring(root))

    # ------------------------------------------------------------ IHE examples
    def sample_status(self, name):
        body = self.body_of(self.path(IHE_DIR, name))
        return response_status(body)[0], body

    def ihe_register(self, res, soap_form):
        req = self.body_of(self.path(IHE_DIR, "RegisterDocumentSet-bRequest%s.xml" % soap_form))
        rewrite_submission(req, self.patient, self.svc.new_uid)
        added = add_repository_attributes(req, self.svc.repository_uid)
        if added:
            self.eng.notes.append("IHE RegisterDocumentSet-bRequest%s.xml lacks %s, which the Repository sending "
                                  "ITI-42 adds (TF-3 Table 4.3.1-3): added" % (soap_form, "/".join(added)))
        want, _ = self.sample_status("RegisterDocumentSet-bResponse.xml")
        env = self.path(IHE_DIR, "RegisterDocumentSet-bRequest_SOAP.xml") if soap_form else None
        a = self.send(res, "ITI-42", self.svc.registry_url, ACTIONS["RegisterTransaction"], req, env)
        self.expect(a, [want], "ITI-42")

    def ihe_provide(self, res, soap_form):
        req = self.body_of(self.path(IHE_DIR, "ProvideAndRegisterDocumentSet-bRequest%s.xml" % soap_form))
        sor = req.find("{%s}SubmitObjectsRequest" % LCM)
        uids = rewrite_submission(sor, self.patient, self.svc.new_uid)
        want, _ = self.sample_status("ProvideAndRegisterDocumentSet-bResponse.xml")
        env = self.path(IHE_DIR, "ProvideAndRegisterDocumentSet-bRequest_SOAP.xml") if soap_form else None
        a = self.send(res, "ITI-41", self.svc.repository_url, ACTIONS["ProvideAndRegisterTransaction"], req, env)
        self.expect(a, [want], "ITI-41")
        for d in req.findall("{%s}Document" % XDSB):
            if d.get("id") in uids:
                self.provided.append((uids[d.get("id")], base64.b64decode("".join(d.itertext()))))

    def ihe_query(self, res, soap_form):
        req = self.body_of(self.path(IHE_DIR, "RegistryStoredQueryRequest%s.xml" % soap_form))
        for slot in req.iter("{%s}Slot" % RIM):
            if slot.get("name") == "$XDSDocumentEntryPatientId":
                for v in slot.iter("{%s}Value" % RIM):
                    v.text = "'%s'" % self.patient
        want, sample = self.sample_status("RegistryStoredQueryResponse.xml")
        env = self.path(IHE_DIR, "RegistryStoredQueryRequest_SOAP.xml") if soap_form else None
        # 1. As published, the sample request is not a valid FindDocuments: its status value
        #    is 'urn:...:ResponseStatusType:Approved' (not a StatusType) and its
        #    healthcareFacilityTypeCode is "(‘Emergency Department’)" (curly quotes, not
        #    code^^scheme). NIST 11897/old_scheme requires an error for a code "not in
        #    required CE format", so the registry must refuse it with RegistryErrors (the
        #    sample response, a Success, answers the request the sample meant to send).
        a = self.send(res, "ITI-18 as published", self.svc.registry_url, ACTIONS["StoredQueryTransaction"], req, env)
        status, errors = self.expect(a, ["Failure"], "ITI-18 as published (invalid status and code parameters)")
        if not errors:
            raise StepFailure("ITI-18 as published: Failure without RegistryError")
        # 2. Repaired (StatusType URN, the uncoded code and the creation-time window of
        #    2004 dropped): FindDocuments for the examples' patient.
        for slot in list(req.iter("{%s}Slot" % RIM)):
            n = slot.get("name")
            if n == "$XDSDocumentEntryStatus":
                slot.find(".//{%s}Value" % RIM).text = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"
            elif n != "$XDSDocumentEntryPatientId":
                slot.getparent().remove(slot)
        a = self.send(res, "ITI-18 repaired", self.svc.registry_url, ACTIONS["StoredQueryTransaction"], req, env)
        self.expect(a, [want], "ITI-18 repaired")
        # Structure as the sample: LeafClass DocumentEntries of the patient (ours: the
        # ITI-41/42 examples registered above), each with the sample's kinds of children.
        got = classify(a.body)["DocumentEntry"]
        if not got:
            raise StepFailure("ITI-18: no DocumentEntry returned for the patient the examples registered")
        sample_eo = sample.find(".//{%s}ExtrinsicObject" % RIM)
        # Empty elements (the sample's <rim:Description/>) carry no metadata; a registry
        # need not echo them.
        want_kids = {local(c) for c in sample_eo if isinstance(c.tag, str) and (len(c) or c.attrib or (c.text or "").strip())}
        for eo in got:
            kids = {local(c) for c in eo if isinstance(c.tag, str)}
            if not want_kids <= kids:
                raise StepFailure("ITI-18: ExtrinsicObject %s lacks %s that the sample response has" % (
                    eo.get("id"), sorted(want_kids - kids)))
            pids = [ei.get("value") for ei in eo.iter("{%s}ExternalIdentifier" % RIM)
                    if ei.get("identificationScheme") == ebrs.DE_PATIENT_ID]
            if pids != [self.patient]:
                raise StepFailure("ITI-18: ExtrinsicObject %s patientId %s" % (eo.get("id"), pids))

    def ihe_retrieve(self, res, soap_form):
        if len(self.provided) < 1:
            raise StepFailure("ITI-43: the ITI-41 examples stored nothing to retrieve")
        req = self.body_of(self.path(IHE_DIR, "RetrieveDocumentSetRequest%s.xml" % soap_form))
        wanted = {}
        for i, dr in enumerate(req.findall("{%s}DocumentRequest" % XDSB)):
            uid, data = self.provided[i % len(self.provided)]
            dr.find("{%s}RepositoryUniqueId" % XDSB).text = self.svc.repository_uid
            dr.find("{%s}DocumentUniqueId" % XDSB).text = uid
            wanted[uid] = data
        want, _ = self.sample_status("RetrieveDocumentSetResponse.xml")
        env = self.path(IHE_DIR, "RetrieveDocumentSetRequest_SOAP.xml") if soap_form else None
        a = self.send(res, "ITI-43", self.svc.repository_url, ACTIONS["RetrieveTransaction"], req, env)
        self.expect(a, [want], "ITI-43")
        got = {}
        for dr in a.body.iter("{%s}DocumentResponse" % XDSB):
            got[engine.text_of(dr.find("{%s}DocumentUniqueId" % XDSB))] = a.document_bytes(
                dr.find("{%s}Document" % XDSB))
        for uid, data in wanted.items():
            if got.get(uid) != data:
                raise StepFailure("ITI-43: document %s not returned byte-identical" % uid)

    # ------------------------------------------------------------ IHE RMD examples
    def rmd_status(self, name):
        return response_status(self.body_of(self.path(RMD_DIR, name)))[0]

    def ihe_remove_metadata(self, res, soap_form):
        """ITI-62: the example removes four objects by entryUUID. Its UUIDs exist nowhere, so
        (as the uniqueIds of the other examples) they become those of a submission made
        here first: the IHE ITI-42 example registered with UUID ids."""
        sor = self.body_of(self.path(IHE_DIR, "RegisterDocumentSet-bRequest.xml"))
        rewrite_submission(sor, self.patient, self.svc.new_uid)
        add_repository_attributes(sor, self.svc.repository_uid)
        ids = list(ebrs.assign_uuids(sor).values())
        top = [o.get("id") for o in ebrs.top_objects(sor)
               if o.get("id") and local(o) in ("ExtrinsicObject", "RegistryPackage", "Association")]
        a = self.send(res, "ITI-42 (objects to remove)", self.svc.registry_url, ACTIONS["RegisterTransaction"], sor)
        self.expect(a, ["Success"], "ITI-42 of the objects the ITI-62 example removes")
        req = self.body_of(self.path(RMD_DIR, "RemoveMetadataRequest%s.xml" % soap_form))
        refs = list(req.iter("{%s}ObjectRef" % RIM))
        ref_list = refs[0].getparent()
        for r in refs:
            ref_list.remove(r)
        for i in top:
            etree.SubElement(ref_list, "{%s}ObjectRef" % RIM, id=i)
        self.eng.notes.append("IHE RemoveMetadataRequest%s.xml: its %d entryUUIDs replaced by the %d objects of a "
                              "submission registered first" % (soap_form, len(refs), len(top)))
        env = self.path(RMD_DIR, "RemoveMetadataRequest_SOAP.xml") if soap_form else None
        want = self.rmd_status("RemoveMetadataResponse.xml")
        a = self.send(res, "ITI-62", self.svc.registry_url, ACTIONS["RemoveMetadataTransaction"], req, env)
        self.expect(a, [want], "ITI-62")
        # Its twin: the same request again names objects that no longer exist.
        a = self.send(res, "ITI-62 again", self.svc.registry_url, ACTIONS["RemoveMetadataTransaction"], req, env)
        _, errors = self.expect(a, ["Failure"], "ITI-62 repeated")
        if not any(e[0] == "UnresolvedReferenceException" for e in errors):
            raise StepFailure("ITI-62 repeated: no UnresolvedReferenceException%s" % fmt_errors(errors))
        assert ids

    def ihe_remove_documents(self, res, soap_form):
        """ITI-86: the two documents the IHE ITI-41 examples stored. The _SOAP example's own
        body (rmd:RemoveDocumentSetRequest, action urn:ihe:iti:rmd:2016:RemoveDocuments)
        matches neither RMD.xsd nor RMD_DocumentRepository.wsdl: its envelope is sent with
        the bare example's rmd:RemoveDocumentsRequest and the WSDL's action."""
        # Two documents of its own, stored by the IHE ITI-41 example (the ITI-43 examples
        # keep theirs).
        before = len(self.provided)
        while len(self.provided) - before < 2:
            self.ihe_provide(res, "")
        docs = self.provided[before:before + 2]
        req = self.body_of(self.path(RMD_DIR, "RemoveDocumentsRequest.xml"))
        for dr, (uid, _) in zip(req.findall("{%s}DocumentRequest" % XDSB), docs):
            dr.find("{%s}RepositoryUniqueId" % XDSB).text = self.svc.repository_uid
            dr.find("{%s}DocumentUniqueId" % XDSB).text = uid
        env = None
        if soap_form:
            env = self.path(RMD_DIR, "RemoveDocumentsRequest_SOAP.xml")
            self.eng.notes.append("IHE RemoveDocumentsRequest_SOAP.xml: body rmd:RemoveDocumentSetRequest and action "
                                  "urn:ihe:iti:rmd:2016:RemoveDocuments are not RMD's (RMD.xsd, WSDL): sent as "
                                  "rmd:RemoveDocumentsRequest with urn:ihe:iti:2017:RemoveDocuments")
        want = self.rmd_status("RemoveDocumentsResponse.xml")
        a = self.send(res, "ITI-86", self.svc.repository_url, ACTIONS["RdTransaction"], req, env)
        self.expect(a, [want], "ITI-86")
        # Its twin: the documents are gone for ITI-43 and for a second ITI-86.
        retrieve = etree.Element("{%s}RetrieveDocumentSetRequest" % XDSB)
        for dr in req.findall("{%s}DocumentRequest" % XDSB):
            retrieve.append(etree.fromstring(etree.tostring(dr)))
        a = self.send(res, "ITI-43 after ITI-86", self.svc.repository_url, ACTIONS["RetrieveTransaction"], retrieve,
                      mtom=True)
        _, errors = self.expect(a, ["Failure"], "ITI-43 of removed documents")
        if sorted(e[0] for e in errors) != ["XDSDocumentUniqueIdError"] * 2:
            raise StepFailure("ITI-43 of removed documents:%s" % fmt_errors(errors))
        a = self.send(res, "ITI-86 again", self.svc.repository_url, ACTIONS["RdTransaction"], req, env)
        self.expect(a, ["Failure"], "ITI-86 repeated")

    def ihe_metadata_update(self, res):
        """MU example01: the DocumentEntry of query_result.xml (version 1) is registered first
        (ITI-42, with update.xml's SubmissionSet), then update.xml (ITI-57) gives it a new
        classCode as version 2: Success, then both versions, the new one Approved."""
        patient = self.svc.new_patient()
        update = self.body_of(self.path(MU_DIR, "update.xml"))
        original = self.body_of(self.path(MU_DIR, "query_result.xml")).find(".//{%s}ExtrinsicObject" % RIM)
        sor = etree.Element("{%s}SubmitObjectsRequest" % LCM)
        rol = etree.SubElement(sor, "{%s}RegistryObjectList" % RIM)
        ss = copy.deepcopy(update.find(".//{%s}RegistryPackage" % RIM))
        rol.append(ss)
        for c in update.find("{%s}RegistryObjectList" % RIM):
            if c.tag == "{%s}Classification" % RIM and c.get("classifiedObject") == ss.get("id"):
                rol.append(copy.deepcopy(c))
        rol.append(copy.deepcopy(original))
        hm = etree.SubElement(rol, "{%s}Association" % RIM, id="HM", sourceObject=ss.get("id"),
                              targetObject=original.get("id"),
                              associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember")
        slot = etree.SubElement(hm, "{%s}Slot" % RIM, name="SubmissionSetStatus")
        etree.SubElement(etree.SubElement(slot, "{%s}ValueList" % RIM), "{%s}Value" % RIM).text = "Original"
        uids = rewrite_submission(sor, patient, self.svc.new_uid)
        add_repository_attributes(sor, self.svc.repository_uid)
        a = self.send(res, "ITI-42 (version 1 of MU example01)", self.svc.registry_url,
                      ACTIONS["RegisterTransaction"], sor)
        self.expect(a, ["Success"], "ITI-42 of the DocumentEntry MU example01 updates")
        rewrite_submission(update, patient, self.svc.new_uid)
        add_repository_attributes(update, self.svc.repository_uid)
        for ei in update.iter("{%s}ExternalIdentifier" % RIM):  # the document keeps its uniqueId
            if ei.get("identificationScheme") == ebrs.DE_UNIQUE_ID:
                ei.set("value", uids[original.get("id")])
        a = self.send(res, "ITI-57", self.svc.registry_url, ACTIONS["MuTransaction"], update)
        self.expect(a, ["Success"], "ITI-57 (MU example01)")
        q = etree.fromstring(
            '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="%s">'
            '<query:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>'
            '<rim:AdhocQuery id="urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"><rim:Slot name="$XDSDocumentEntryUniqueId">'
            "<rim:ValueList><rim:Value>('%s')</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery>"
            "</query:AdhocQueryRequest>" % (RIM, uids[original.get("id")]))
        a = self.send(res, "ITI-18 after ITI-57", self.svc.registry_url, ACTIONS["StoredQueryTransaction"], q)
        self.expect(a, ["Success"], "GetDocuments after ITI-57")
        versions = {}
        for eo in a.body.iter("{%s}ExtrinsicObject" % RIM):
            vi = eo.find("{%s}VersionInfo" % RIM)
            classes = [c.get("nodeRepresentation") for c in eo.findall("{%s}Classification" % RIM)
                       if c.get("classificationScheme") == "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"]
            versions[vi.get("versionName") if vi is not None else "?"] = (eo.get("status"), eo.get("lid"), classes)
        want = {"1": ("urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated", original.get("id"), ["History and Physical"]),
                "2": ("urn:oasis:names:tc:ebxml-regrep:StatusType:Approved", original.get("id"),
                      ["Evaluation and management"])}
        if versions != want:
            raise StepFailure("GetDocuments after ITI-57: versions %s, expected %s" % (versions, want))

    # ------------------------------------------------------------ IPF
    def ipf_register(self, res, rel, extra_slots=(), also_provide=False):
        req = etree.parse(self.path(rel)).getroot()
        patient = self.svc.new_patient()
        fixed = any(_squash(e.get("identificationScheme")) != e.get("identificationScheme")
                    for e in req.iter("{%s}ExternalIdentifier" % RIM))
        uids = rewrite_submission(req, patient, self.svc.new_uid)
        name = os.path.basename(rel)
        if fixed:
            self.eng.notes.append("%s: identificationScheme UUIDs wrapped across lines in the file; "
                                  "whitespace removed before sending" % name)
        added = add_repository_attributes(req, self.svc.repository_uid)
        if added:
            self.eng.notes.append("%s lacks %s, which the Repository sending ITI-42 adds: added" % (name, "/".join(added)))
        a = self.send(res, "ITI-42", self.svc.registry_url, ACTIONS["RegisterTransaction"], req)
        if lacks_ss_content_type(req):
            # IPF only asserts that the file parses; its SubmissionSet has no contentTypeCode,
            # which XDS.b requires (TF-3 Table 4.3.1-4): the registry must say so.
            self.eng.notes.append("%s: SubmissionSet without contentTypeCode (R in XDS.b): expecting "
                                  "Failure/XDSRegistryMetadataError, not IPF's parse-only Success" % name)
            _, errors = self.expect(a, ["Failure"], "ITI-42 (SubmissionSet lacks contentTypeCode)")
            if not any(c == "XDSRegistryMetadataError" and "contentTypeCode" in (x or "") for c, x, _ in errors):
                raise StepFailure("ITI-42: no XDSRegistryMetadataError about contentTypeCode%s" % fmt_errors(errors))
            return
        self.expect(a, ["Success"], "ITI-42")
        if extra_slots:
            self.check_round_trip(res, patient, extra_slots)
        if also_provide:
            # IPF's ITI-41 extra-metadata test: the same SubmitObjectsRequest with one
            # inline document, as a ProvideAndRegisterDocumentSetRequest.
            req = etree.parse(self.path(rel)).getroot()
            patient = self.svc.new_patient()
            rewrite_submission(req, patient, self.svc.new_uid)
            for eo in req.iter("{%s}ExtrinsicObject" % RIM):
                for s in list(eo.findall("{%s}Slot" % RIM)):
                    if s.get("name") in ("hash", "size", "repositoryUniqueId"):
                        eo.remove(s)
            pnr = etree.Element("{%s}ProvideAndRegisterDocumentSetRequest" % XDSB, nsmap={None: XDSB})
            pnr.append(req)
            doc_id = next(req.iter("{%s}ExtrinsicObject" % RIM)).get("id")
            d = etree.SubElement(pnr, "{%s}Document" % XDSB, id=doc_id)
            d.text = "SGVsbG8gTWFyZWshIDotKQ0K"
            a = self.send(res, "ITI-41", self.svc.repository_url, ACTIONS["ProvideAndRegisterTransaction"], pnr)
            self.expect(a, ["Success"], "ITI-41")
            if extra_slots:
                self.check_round_trip(res, patient, extra_slots)

    def check_round_trip(self, res, patient, extra_slots):
        """GetAll for the patient: every extra (non-IHE) slot must come back."""
        q = etree.fromstring(
            '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
            'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption '
            'returnComposedObjects="true" returnType="LeafClass"/><rim:AdhocQuery '
            'id="urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3"><rim:Slot name="$patientId"><rim:ValueList>'
            '<rim:Value/></rim:ValueList></rim:Slot><rim:Slot name="$XDSDocumentEntryStatus"><rim:ValueList>'
            "<rim:Value>('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList>"
            '</rim:Slot><rim:Slot name="$XDSSubmissionSetStatus"><rim:ValueList><rim:Value>'
            "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>"
            '<rim:Slot name="$XDSFolderStatus"><rim:ValueList><rim:Value>'
            "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')</rim:Value></rim:ValueList></rim:Slot>"
            "</rim:AdhocQuery></query:AdhocQueryRequest>")
        q.find(".//{%s}Value" % RIM).text = "'%s'" % patient
        a = self.send(res, "ITI-18 GetAll", self.svc.registry_url, ACTIONS["StoredQueryTransaction"], q)
        self.expect(a, ["Success"], "ITI-18 GetAll")
        names = {s.get("name") for s in a.body.iter("{%s}Slot" % RIM)}
        missing = [s for s in extra_slots if s not in names]
        if missing:
            raise StepFailure("extra slots not returned by GetAll (not saved?): %s" % missing)

    def ipf_update_same_lid(self, res):
        """IPF's ITI-57 with one logicalId updated twice (IPF: LOGICAL_ID_SAME): refused."""
        req = etree.parse(self.path(IPF_FILES, "SubmitObjectsRequest_ebrs30_update_sameLid.xml")).getroot()
        rewrite_submission(req, self.svc.new_patient(), self.svc.new_uid)
        add_repository_attributes(req, self.svc.repository_uid)
        a = self.send(res, "ITI-57", self.svc.registry_url, ACTIONS["MuTransaction"], req)
        _, errors = self.expect(a, ["Failure"], "ITI-57 with one logicalId twice")
        if not any("twice" in (x or "") for _, x, _ in errors):
            raise StepFailure("ITI-57: no error naming the logicalId updated twice%s" % fmt_errors(errors))

    def ipf_query(self, res):
        req = etree.parse(self.path(IPF_FILES, "iti18request.xml")).getroot()
        a = self.send(res, "ITI-18", self.svc.registry_url, ACTIONS["StoredQueryTransaction"], req)
        status, errors = self.expect(a, ["Success", "Failure"], "ITI-18")
        if status == "Failure" and not errors:
            raise StepFailure("ITI-18: Failure without RegistryError")
        k = classify(a.body)
        if any(k[x] for x in k):
            raise StepFailure("ITI-18: objects returned for an unknown, injection-tailed patient id: %s" %
                              engine.summarize(a.body))


def run_all(conf, svc, eng, after_each=None):
    x = Extras(conf, svc, eng, after_each)
    if not os.path.isdir(x.path(IHE_DIR)):
        return []
    x.patient = svc.new_patient()
    for form in ("", "_SOAP"):
        x.run("IHE-ITI-42%s" % form, "ihe", lambda r, f=form: x.ihe_register(r, f))
        x.run("IHE-ITI-41%s" % form, "ihe", lambda r, f=form: x.ihe_provide(r, f))
    for form in ("", "_SOAP"):
        x.run("IHE-ITI-18%s" % form, "ihe", lambda r, f=form: x.ihe_query(r, f))
        x.run("IHE-ITI-43%s" % form, "ihe", lambda r, f=form: x.ihe_retrieve(r, f))
    x.run("IHE-ITI-61_SOAP", "ihe", None, na=engine.NOT_IMPLEMENTED["RegisterODDETransaction"])
    if os.path.isdir(x.path(MU_DIR)):
        x.run("IHE-ITI-57-MU-example01", "ihe", x.ihe_metadata_update)
    if os.path.isdir(x.path(RMD_DIR)):
        for form in ("", "_SOAP"):
            x.run("IHE-ITI-62%s" % form, "ihe", lambda r, f=form: x.ihe_remove_metadata(r, f))
            x.run("IHE-ITI-86%s" % form, "ihe", lambda r, f=form: x.ihe_remove_documents(r, f))
    if os.path.isdir(x.path(IPF_FILES)):
        x.run("IPF-SubmitObjectsRequest_ebrs30", "ipf",
              lambda r: x.ipf_register(r, os.path.join(IPF_FILES, "SubmitObjectsRequest_ebrs30.xml")))
        x.run("IPF-SubmitObjectsRequest_ebrs30_2", "ipf",
              lambda r: x.ipf_register(r, os.path.join(IPF_FILES, "SubmitObjectsRequest_ebrs30_2.xml")))
        x.run("IPF-SubmitObjectsRequest_ebrs3_extra_metadata", "ipf",
              lambda r: x.ipf_register(r, os.path.join(IPF_FILES, "SubmitObjectsRequest_ebrs3_extra_metadata.xml"),
                                       extra_slots=["urn:my:company:slot"]))
        x.run("IPF-submission-set", "ipf",
              lambda r: x.ipf_register(r, os.path.join(IPF_CAMEL, "submission-set.xml"),
                                       extra_slots=["urn:nist:extraDESlot", "urn:nist:extraSSSlot",
                                                    "urn:nist:extraAssocSlot"], also_provide=True))
        x.run("IPF-iti18request", "ipf", x.ipf_query)
        # IPF's expectation for this one is about ITI-92 (Restricted Update, RMU): refused
        # without homeCommunityId.
        x.run("IPF-SubmitObjectsRequest_ebrs30_update", "ipf", None,
              na="ITI-92 Restricted Update Document Set (RMU option) not implemented")
        x.run("IPF-SubmitObjectsRequest_ebrs30_update_sameLid", "ipf", x.ipf_update_same_lid)
        # Accepted only where the DocumentEntry and Folder its lids name are registered;
        # the harness does not build them yet.
        x.run("IPF-SubmitObjectsRequest_ebrs30_update_nonstandard_association", "ipf", None,
              na="not run yet: the harness does not register the objects its lids name (ITI-57 is implemented)")
        x.run("IPF-iti51request", "ipf", None, na=engine.NOT_IMPLEMENTED["MPQTransaction"])
    return x.results
