#!/usr/bin/env python3
"""Writes an ITI-42 SOAP request with one SubmissionSet and N DocumentEntries, whose
uniqueIds are the placeholder @UID@ (the wrk script makes each one fresh per request).
With MODE "update" (and N = 0): an ITI-57 request whose SubmissionSet deprecates the
DocumentEntry @DE@ (UpdateAvailabilityStatus Approved -> Deprecated; lifecycle.lua fills it in).

usage: make_submission.py N PATIENT_ID [update] > request.xml
"""
import sys
from xml.sax.saxutils import quoteattr, escape

n = int(sys.argv[1])
patient = sys.argv[2]
update = len(sys.argv) > 3 and sys.argv[3] == "update"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"


def slot(name, *values):
    vals = "".join("<rim:Value>%s</rim:Value>" % escape(v) for v in values)
    return '<rim:Slot name="%s"><rim:ValueList>%s</rim:ValueList></rim:Slot>' % (name, vals)


def code(cid, scheme, owner, value, system, display):
    return ('<rim:Classification id="%s" classificationScheme="%s" classifiedObject="%s" nodeRepresentation="%s">'
            '%s<rim:Name><rim:LocalizedString value="%s"/></rim:Name></rim:Classification>'
            % (cid, scheme, owner, value, slot("codingScheme", system), display))


def ext(eid, scheme, owner, value, name):
    return ('<rim:ExternalIdentifier id="%s" identificationScheme="%s" registryObject="%s" value=%s>'
            '<rim:Name><rim:LocalizedString value="%s"/></rim:Name></rim:ExternalIdentifier>'
            % (eid, scheme, owner, quoteattr(value), name))


objects = []
for i in range(n):
    d = "Doc%d" % i
    objects.append(
        '<rim:ExtrinsicObject id="%s" mimeType="text/plain" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">' % d
        + slot("creationTime", "20250301101500") + slot("languageCode", "nl-NL")
        + slot("sourcePatientId", "LOCAL-%d^^^&1.2.3.9&ISO" % i)
        + slot("hash", "36b01a250f0cd6417696fec49d8a27abb58dde86") + slot("size", "24")
        + slot("repositoryUniqueId", "1.3.6.1.4.1.21367.2005.3.7.200")
        + '<rim:Name><rim:LocalizedString value="Verloskundig verslag"/></rim:Name>'
        + ('<rim:Classification id="%sa" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" classifiedObject="%s" nodeRepresentation="">'
           % (d, d)) + slot("authorPerson", "^Jansen^Anna^^^") + slot("authorInstitution", "Verloskundigenpraktijk^^^^^^^^^1.2.3.4.9") + "</rim:Classification>"
        + code(d + "c", "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a", d, "11502-2", "2.16.840.1.113883.6.1", "Laboratory report")
        + code(d + "f", "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f", d, "N", "2.16.840.1.113883.5.25", "Normal")
        + code(d + "o", "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d", d, "urn:ihe:iti:xds:2017:mimeTypeSufficient", "1.3.6.1.4.1.19376.1.2.3", "Mime sufficient")
        + code(d + "h", "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1", d, "22232009", "2.16.840.1.113883.6.96", "Hospital")
        + code(d + "p", "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead", d, "394585009", "2.16.840.1.113883.6.96", "Obstetrics")
        + code(d + "t", "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983", d, "11502-2", "2.16.840.1.113883.6.1", "Laboratory report")
        + ext(d + "i", "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427", d, patient, "XDSDocumentEntry.patientId")
        + ext(d + "u", "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab", d, "@UID@", "XDSDocumentEntry.uniqueId")
        + "</rim:ExtrinsicObject>")
objects.append(
    '<rim:RegistryPackage id="SS">' + slot("submissionTime", "20250301101600")
    + code("SSc", "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500", "SS", "11502-2", "2.16.840.1.113883.6.1", "Laboratory report")
    + ext("SSi", "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446", "SS", patient, "XDSSubmissionSet.patientId")
    + ext("SSu", "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8", "SS", "@UID@", "XDSSubmissionSet.uniqueId")
    + ext("SSs", "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832", "SS", "1.2.3.4.9", "XDSSubmissionSet.sourceId")
    + "</rim:RegistryPackage>"
    + '<rim:Classification id="SSk" classifiedObject="SS" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>')
for i in range(n):
    objects.append('<rim:Association id="A%d" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" '
                   'sourceObject="SS" targetObject="Doc%d">%s</rim:Association>' % (i, i, slot("SubmissionSetStatus", "Original")))

if update:
    objects.append('<rim:Association id="U" associationType="urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus" '
                   'sourceObject="SS" targetObject="@DE@">%s%s</rim:Association>'
                   % (slot("OriginalStatus", "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"),
                      slot("NewStatus", "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated")))
action = "urn:ihe:iti:2010:UpdateDocumentSet" if update else "urn:ihe:iti:2007:RegisterDocumentSet-b"
print('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">'
      '<s:Header><a:Action s:mustUnderstand="1">' + action + '</a:Action>'
      '<a:MessageID>urn:uuid:bench</a:MessageID></s:Header><s:Body>'
      '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="%s">'
      '<rim:RegistryObjectList>%s</rim:RegistryObjectList></lcm:SubmitObjectsRequest></s:Body></s:Envelope>'
      % (RIM, "".join(objects)), end="")
