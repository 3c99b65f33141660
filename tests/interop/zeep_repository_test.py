#!/usr/bin/python3
"""Interoperability: Debian's python3-zeep provides documents to the real xds-repository
(ITI-41, inline base64 xds:Document elements built by zeep from the IPF WSDL), which
registers them at the real xds-registry over gRPC; zeep then retrieves them (ITI-43) and
decodes our MTOM/XOP answer with its own attachment handling.

zeep cannot build ebRIM substitution-group content (rim:Identifiable), so the
SubmitObjectsRequest is injected as raw XML by an egress plugin; the envelope,
WS-Addressing, the xds:Document elements, the RetrieveDocumentSetRequest and the parsing
of both responses are zeep's own work.
"""
import os
import sys
import tempfile
import unittest
import uuid

from lxml import etree
import zeep
from zeep.plugins import HistoryPlugin, Plugin
from zeep.wsa import WsAddressingPlugin

import zeep_net

SHARED = os.environ.get("XDS_SHARED", "")
WSDL_DIR = os.path.join(SHARED, "conformance/schemas/ipf/wsdl") if SHARED else ""
FIXTURE = "tests/fixtures/iti42/submission_two_docs_folder.xml"
AUTHORITY = "1.2.3.4.5"
REPOSITORY_ID = "1.2.3.4.5.8.77"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
SUCCESS = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
FAILURE = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
BINDING = "{urn:ihe:iti:xds-b:2007}DocumentRepository_Binding_Soap12"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"


class InjectSubmitObjectsRequest(Plugin):
    """Replaces the empty lcm:SubmitObjectsRequest zeep built by the given raw one."""

    def __init__(self):
        self.submission = None

    def egress(self, envelope, http_headers, operation, binding_options):
        if self.submission is not None:
            for old in envelope.iter("{%s}SubmitObjectsRequest" % LCM):
                old.getparent().replace(old, self.submission)
                break
            self.submission = None
        return envelope, http_headers


def fresh_submission(patient):
    """The fixture with fresh ids, the given patient and no hash/size/repositoryUniqueId."""
    doc = etree.parse(FIXTURE)
    unique_schemes = {DE_UNIQUE_ID, "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
                      "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"}
    patient_schemes = {"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
                       "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"}
    unique_ids = []
    for element in list(doc.iter()):
        if not isinstance(element.tag, str):
            continue
        if (element.get("id") or "").startswith("urn:uuid:"):
            element.set("id", "urn:uuid:%s" % uuid.uuid4())
        if element.tag == "{%s}Slot" % RIM and element.get("name") in ("hash", "size", "repositoryUniqueId"):
            element.getparent().remove(element)
            continue
        scheme = element.get("identificationScheme")
        if scheme in unique_schemes:
            element.set("value", "2.25.%d" % uuid.uuid4().int)
            if scheme == DE_UNIQUE_ID:
                unique_ids.append(element.get("value"))
        if scheme in patient_schemes:
            element.set("value", patient)
    return doc.getroot(), unique_ids


@unittest.skipUnless(WSDL_DIR and os.path.isdir(WSDL_DIR), "../shared/conformance (IPF WSDLs) is absent")
class ZeepRepositoryTest(unittest.TestCase):
    SECURE = False  # ZeepRepositoryTlsTest: the same tests over mutual TLS

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.net = zeep_net.network(cls.SECURE, cls.tmp)
        cls.registry, _, grpc_port = zeep_net.start(
            "registry/xds-registry", "registry", cls.net, cls.tmp, "--patient_authority=" + AUTHORITY)
        cls.grpc = "127.0.0.1:%s" % grpc_port
        # On TLS the repository registers at the registry with its own (source) certificate.
        cls.repository, http_port, _ = zeep_net.start(
            "repository/xds-repository", "repository", cls.net, cls.tmp, "--registry_grpc=" + cls.grpc,
            "--repository_unique_id=" + REPOSITORY_ID)
        cls.url = "%s://127.0.0.1:%s/xds/repository" % (cls.net.scheme, http_port)

    @classmethod
    def tearDownClass(cls):
        for process in (cls.repository, cls.registry):
            process.kill()
            process.wait()

    def admit(self, patient):
        zeep_net.admit(self, self.net, self.grpc, patient)

    def service(self, wsdl, *plugins, client_cert=True):
        history = HistoryPlugin()
        client = zeep.Client(os.path.join(WSDL_DIR, wsdl), plugins=[WsAddressingPlugin(), history, *plugins],
                             transport=self.net.transport(client_cert))
        return client.create_service(BINDING, self.url), history

    def provide(self, patient, contents, client_cert=True):
        inject = InjectSubmitObjectsRequest()
        service, history = self.service("iti41.wsdl", inject, client_cert=client_cert)
        inject.submission, unique_ids = fresh_submission(patient)
        response = service["DocumentRepository_ProvideAndRegisterDocumentSet-b"](
            SubmitObjectsRequest={"RegistryObjectList": {}},
            Document=[{"id": "Document%02d" % (i + 1), "_value_1": c} for i, c in enumerate(contents)])
        return response, unique_ids, history

    def test_provide_then_retrieve_byte_identical(self):
        patient = "ZEEP-REPO-1^^^&%s&ISO" % AUTHORITY
        self.admit(patient)
        # zeep strips CR/LF at both ends of a Content-Transfer-Encoding: binary attachment
        # (zeep/wsdl/attachments.py), so these contents do not begin or end with them; the
        # C++ e2e test checks exact bytes including such edges.
        contents = [b"Sample discharge letter", bytes(range(1, 256)) * 64 + b"\r\n--boundary--\r\nend"]
        response, unique_ids, history = self.provide(patient, contents)
        self.assertEqual(response.status, SUCCESS, response.RegistryErrorList)
        received = etree.tostring(history.last_received["envelope"]).decode()
        self.assertIn("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse", received)
        self.assertIn("RelatesTo", received)

        service, history = self.service("iti43.wsdl")
        answer = service["DocumentRepository_RetrieveDocumentSet"](
            DocumentRequest=[{"RepositoryUniqueId": REPOSITORY_ID, "DocumentUniqueId": uid} for uid in unique_ids])
        self.assertEqual(answer.RegistryResponse.status, SUCCESS)
        got = {d.DocumentUniqueId: d for d in answer.DocumentResponse}
        self.assertEqual(set(got), set(unique_ids))
        for uid, content in zip(unique_ids, contents):
            self.assertEqual(got[uid].Document, content)  # zeep resolved our xop:Include
            self.assertEqual(got[uid].mimeType, "text/plain")
            self.assertEqual(got[uid].RepositoryUniqueId, REPOSITORY_ID)

    def test_unknown_patient_is_refused_and_document_not_retrievable(self):
        response, unique_ids, _ = self.provide("ZEEP-REPO-NOBODY^^^&%s&ISO" % AUTHORITY, [b"a", b"b"])
        self.assertEqual(response.status, FAILURE)
        codes = [e.errorCode for e in response.RegistryErrorList.RegistryError]
        self.assertIn("XDSUnknownPatientId", codes)
        service, _ = self.service("iti43.wsdl")
        answer = service["DocumentRepository_RetrieveDocumentSet"](
            DocumentRequest=[{"RepositoryUniqueId": REPOSITORY_ID, "DocumentUniqueId": unique_ids[0]}])
        self.assertEqual(answer.RegistryResponse.status, FAILURE)
        self.assertEqual([e.errorCode for e in answer.RegistryResponse.RegistryErrorList.RegistryError],
                         ["XDSDocumentUniqueIdError"])
        self.assertFalse(answer.DocumentResponse)


class ZeepRepositoryTlsTest(ZeepRepositoryTest):
    """The same, over mutual TLS: https endpoint, zeep on a requests.Session with the demo
    client's certificate and the region CA; the repository reaches the registry on TLS gRPC."""
    SECURE = True

    def test_no_client_certificate_is_refused(self):
        zeep_net.assert_refused_without_certificate(
            self, lambda: self.provide("ZEEP-REPO-1^^^&%s&ISO" % AUTHORITY, [b"never stored"], client_cert=False))


if __name__ == "__main__":
    runner = unittest.TextTestRunner(verbosity=2)
    result = unittest.main(exit=False, testRunner=runner).result
    sys.exit(0 if result.wasSuccessful() else 1)
