#!/usr/bin/env python3
"""Writes an ITI-41 MTOM request with one DocumentEntry and a SIZE-byte document, in two
pieces for provide.lua: HEAD (MIME preamble, SOAP part with @UID@ placeholders, the
attachment's headers) and TAIL (the document's bytes after a 32-byte per-request prefix,
and the closing delimiter). Every request thus carries a different document (no dedup)
of exactly SIZE bytes. The metadata has no hash/size: the repository computes them.

usage: make_provide.py SIZE PATIENT OUT_PREFIX   (writes OUT_PREFIX.head, .tail, .ctype)
"""
import sys

size = int(sys.argv[1])
patient = sys.argv[2].replace("&", "&amp;")
out = sys.argv[3]
boundary = "MIMEBoundary_bench_8f3a1c"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"


def slot(name, value):
    return '<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>' % (name, value)


def code(cid, scheme, owner, value, system):
    return ('<rim:Classification id="%s" classificationScheme="%s" classifiedObject="%s" nodeRepresentation="%s">'
            '%s<rim:Name><rim:LocalizedString value="%s"/></rim:Name></rim:Classification>'
            % (cid, scheme, owner, value, slot("codingScheme", system), value))


def ext(eid, scheme, owner, value, name):
    return ('<rim:ExternalIdentifier id="%s" identificationScheme="%s" registryObject="%s" value="%s">'
            '<rim:Name><rim:LocalizedString value="%s"/></rim:Name></rim:ExternalIdentifier>' % (eid, scheme, owner, value, name))


de = ('<rim:ExtrinsicObject id="Doc" mimeType="application/octet-stream" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">'
      + slot("creationTime", "20250301101500") + slot("languageCode", "nl-NL") + slot("sourcePatientId", "L-1^^^&amp;1.2.3.9&amp;ISO")
      + code("c1", "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", "Doc", "11502-2", "2.16.840.1.113883.6.1")
      + code("c2", "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", "Doc", "N", "2.16.840.1.113883.5.25")
      + code("c3", "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", "Doc", "urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3")
      + code("c4", "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", "Doc", "22232009", "2.16.840.1.113883.6.96")
      + code("c5", "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", "Doc", "394585009", "2.16.840.1.113883.6.96")
      + code("c6", "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", "Doc", "11502-2", "2.16.840.1.113883.6.1")
      + ext("e1", "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", "Doc", patient, "XDSDocumentEntry.patientId")
      + ext("e2", "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", "Doc", "@UID@", "XDSDocumentEntry.uniqueId")
      + "</rim:ExtrinsicObject>")
ss = ('<rim:RegistryPackage id="SS">' + slot("submissionTime", "20250301101600")
      + code("c7", "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", "SS", "11502-2", "2.16.840.1.113883.6.1")
      + ext("e3", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", "SS", patient, "XDSSubmissionSet.patientId")
      + ext("e4", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", "SS", "@UID@", "XDSSubmissionSet.uniqueId")
      + ext("e5", "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", "SS", "1.2.3.4.9", "XDSSubmissionSet.sourceId")
      + '</rim:RegistryPackage><rim:Classification id="c8" classifiedObject="SS" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>'
      + '<rim:Association id="a1" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SS" targetObject="Doc">'
      + slot("SubmissionSetStatus", "Original") + "</rim:Association>")
envelope = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
            '<s:Header><a:Action s:mustUnderstand="1">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</a:Action>'
            '<a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body>'
            '<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds="urn:ihe:iti:xds-b:2007">'
            '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="%s">'
            '<rim:RegistryObjectList>%s%s</rim:RegistryObjectList></lcm:SubmitObjectsRequest>'
            '<xds:Document id="Doc"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc@bench"/></xds:Document>'
            '</xds:ProvideAndRegisterDocumentSetRequest></s:Body></s:Envelope>' % (RIM, de, ss))
head = ("--%s\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n"
        "Content-Transfer-Encoding: binary\r\nContent-ID: <root@bench>\r\n\r\n%s\r\n"
        "--%s\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
        "Content-ID: <doc@bench>\r\n\r\n" % (boundary, envelope, boundary))
filler = bytes((i * 7 + 3) % 251 for i in range(size - 32))
tail = filler + ("\r\n--%s--\r\n" % boundary).encode()
open(out + ".head", "wb").write(head.encode())
open(out + ".tail", "wb").write(tail)
open(out + ".ctype", "w").write('multipart/related; boundary="%s"; type="application/xop+xml"; start="<root@bench>"; '
                                'start-info="application/soap+xml"' % boundary)
