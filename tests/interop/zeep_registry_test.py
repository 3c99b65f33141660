#!/usr/bin/python3
"""Interoperability: Debian's python3-zeep, a SOAP stack nobody here wrote, registers and
queries against the real xds-registry over SOAP 1.2 with WS-Addressing.

zeep cannot build ebRIM substitution-group content (rim:Identifiable), so the
SubmitObjectsRequest's RegistryObjectList is injected as raw XML by an egress plugin;
everything else (envelope, WS-Addressing, the AdhocQueryRequest, parsing both responses
with the IPF WSDLs' schemas) is zeep's own work.
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
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"


class InjectRegistryObjects(Plugin):
    """Replaces the (empty) SubmitObjectsRequest zeep built by the given raw one."""

    def __init__(self):
        self.submission = None

    def egress(self, envelope, http_headers, operation, binding_options):
        if self.submission is not None:
            body = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Body")
            for child in list(body):
                body.remove(child)
            body.append(self.submission)
            self.submission = None
        return envelope, http_headers


def fresh_submission(patient):
    doc = etree.parse(FIXTURE)
    schemes = {
        "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
        "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"}
    patients = {
        "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
        "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"}
    unique_ids = []
    for ei in doc.iter("{%s}ExternalIdentifier" % RIM):
        if ei.get("identificationScheme") in schemes:
            ei.set("value", "2.25.%d" % uuid.uuid4().int)
            if ei.get("identificationScheme") == "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab":
                unique_ids.append(ei.get("value"))
        if ei.get("identificationScheme") in patients:
            ei.set("value", patient)
    return doc.getroot(), unique_ids


@unittest.skipUnless(WSDL_DIR and os.path.isdir(WSDL_DIR), "../shared/conformance (IPF WSDLs) is absent")
class ZeepRegistryTest(unittest.TestCase):
    SECURE = False  # ZeepRegistryTlsTest: the same tests over mutual TLS

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        cls.net = zeep_net.network(cls.SECURE, cls.tmp)
        cls.proc, http_port, grpc_port = zeep_net.start(
            "registry/xds-registry", "registry", cls.net, cls.tmp, "--patient_authority=" + AUTHORITY)
        cls.url = "%s://127.0.0.1:%s/xds/registry" % (cls.net.scheme, http_port)
        cls.grpc = "127.0.0.1:%s" % grpc_port

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait()

    def admit(self, patient):
        zeep_net.admit(self, self.net, self.grpc, patient)

    def client(self, wsdl, *plugins, strict=True, client_cert=True):
        history = HistoryPlugin()
        client = zeep.Client(os.path.join(WSDL_DIR, wsdl), plugins=[WsAddressingPlugin(), history, *plugins],
                             settings=zeep.Settings(strict=strict), transport=self.net.transport(client_cert))
        binding = "{urn:ihe:iti:xds-b:2007}DocumentRegistry_Binding_Soap12"
        return client, client.create_service(binding, self.url), history

    def register(self, patient):
        inject = InjectRegistryObjects()
        _, service, history = self.client("iti42.wsdl", inject)
        inject.submission, unique_ids = fresh_submission(patient)
        response = service["DocumentRegistry_RegisterDocumentSet-b"](RegistryObjectList={})
        return response, unique_ids, history

    def find_documents(self, patient, client_cert=True):
        """ITI-18 FindDocuments (LeafClass) for the patient's approved entries."""
        # Not strict: zeep cannot map the rim:Identifiable substitution group of the answer,
        # so the objects are read from the raw envelope zeep received.
        _, query_service, history = self.client("iti18.wsdl", strict=False, client_cert=client_cert)
        answer = query_service["DocumentRegistry_RegistryStoredQuery"](
            ResponseOption={"returnType": "LeafClass", "returnComposedObjects": True},
            AdhocQuery={
                "id": "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
                "Slot": [
                    {"name": "$XDSDocumentEntryPatientId", "ValueList": {"_value_1": [{"Value": "'%s'" % patient}]}},
                    {"name": "$XDSDocumentEntryStatus", "ValueList": {"_value_1": [{"Value": "('%s')" % APPROVED}]}},
                ],
            })
        return answer, history

    def test_register_then_find_documents(self):
        patient = "ZEEP-1^^^&%s&ISO" % AUTHORITY
        self.admit(patient)
        response, unique_ids, history = self.register(patient)
        self.assertEqual(response.status, "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success")
        # zeep sent real WS-Addressing headers and we answered with RelatesTo.
        sent = etree.tostring(history.last_sent["envelope"]).decode()
        self.assertIn("urn:ihe:iti:2007:RegisterDocumentSet-b", sent)
        received = etree.tostring(history.last_received["envelope"]).decode()
        self.assertIn("RelatesTo", received)
        self.assertIn("urn:ihe:iti:2007:RegisterDocumentSet-bResponse", received)

        answer, history = self.find_documents(patient)
        self.assertEqual(answer.status, "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success")
        raw = history.last_received["envelope"]
        found = set()
        self.assertEqual(len(list(raw.iter("{%s}ExtrinsicObject" % RIM))), 2)
        for ei in raw.iter("{%s}ExternalIdentifier" % RIM):
            if ei.get("identificationScheme") == "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab":
                found.add(ei.get("value"))
        self.assertEqual(found, set(unique_ids))

    def test_unknown_patient_is_refused_with_its_code(self):
        response, _, _ = self.register("ZEEP-UNKNOWN^^^&%s&ISO" % AUTHORITY)
        self.assertEqual(response.status, "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure")
        codes = [e.errorCode for e in response.RegistryErrorList.RegistryError]
        self.assertIn("XDSUnknownPatientId", codes)


class ZeepRegistryTlsTest(ZeepRegistryTest):
    """The same, over mutual TLS: https endpoint, zeep on a requests.Session with the demo
    client's certificate and the region CA."""
    SECURE = True

    def test_no_client_certificate_is_refused(self):
        zeep_net.assert_refused_without_certificate(
            self, lambda: self.find_documents("ZEEP-1^^^&%s&ISO" % AUTHORITY, client_cert=False))


if __name__ == "__main__":
    xml_out = os.environ.get("XML_OUTPUT_FILE")
    runner = unittest.TextTestRunner(verbosity=2)
    result = unittest.main(exit=False, testRunner=runner).result
    sys.exit(0 if result.wasSuccessful() else 1)
