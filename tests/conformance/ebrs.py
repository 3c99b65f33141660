"""Metadata handling the NIST toolkit's engine does before a message goes on the wire:
ebRS 2.1 -> 3.0 translation (rules of TranslateToV3, see MANIFEST.md caveat 1), and the
XDS-specific rewrites (patient id, uniqueId and UUID assignment, caveat 2)."""
import uuid

from lxml import etree

RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RS = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
QUERY = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"
RIM21 = "urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1"
RS21 = "urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1"
XML_NS = "http://www.w3.org/XML/1998/namespace"

SS_CLASS_NODE = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
FOL_CLASS_NODE = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"
DE_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
SS_UNIQUE_ID = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
FOL_UNIQUE_ID = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a"
DE_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
SS_PATIENT_ID = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
FOL_PATIENT_ID = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a"
UNIQUE_ID_SCHEMES = {DE_UNIQUE_ID, SS_UNIQUE_ID, FOL_UNIQUE_ID}
PATIENT_ID_SCHEMES = {DE_PATIENT_ID, SS_PATIENT_ID, FOL_PATIENT_ID}

OBJECT_TYPE_PREFIX = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:"
STATUS_PREFIX = "urn:oasis:names:tc:ebxml-regrep:StatusType:"
ORDER = ["Slot", "Name", "Description", "VersionInfo", "Classification", "ExternalIdentifier"]
IHE_ASSOC = {"RPLC", "APND", "XFRM", "XFRM_RPLC", "signs", "IsSnapshotOf", "UpdateAvailabilityStatus",
             "SubmitAssociation"}


def local(el):
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def is_v21(root):
    return etree.QName(root).namespace in (RS21, RIM21)


def translate_to_v3(root):
    """Returns a new lcm:SubmitObjectsRequest element translated from a 2.1 one."""
    out = etree.Element("{%s}SubmitObjectsRequest" % LCM, nsmap={"lcm": LCM, "rim": RIM})
    rol = etree.SubElement(out, "{%s}RegistryObjectList" % RIM)
    lrol = None
    for child in root:
        if local(child) == "LeafRegistryObjectList":
            lrol = child
    if lrol is None:
        return out
    counter = [0]
    for child in lrol:
        if not isinstance(child.tag, str) or local(child) == "ObjectRef":
            continue
        rol.append(_convert(child, None, counter))
    return out


def _fresh_id(counter):
    counter[0] += 1
    return "urn:uuid:%s" % uuid.uuid4()


def _convert(el, parent_id, counter):
    name = local(el)
    new = etree.Element("{%s}%s" % (RIM, name))
    for k, v in el.attrib.items():
        q = etree.QName(k)
        if q.localname in ("majorVersion", "minorVersion"):
            continue
        if q.localname == "lang":
            new.set("{%s}lang" % XML_NS, v)
            continue
        if q.localname == "status" and not v.startswith("urn:"):
            v = STATUS_PREFIX + v
        if q.localname == "associationType" and not v.startswith("urn:"):
            if v in IHE_ASSOC:
                v = "urn:ihe:iti:2007:AssociationType:" + v
            else:
                v = "urn:oasis:names:tc:ebxml-regrep:AssociationType:" + v
        new.set(q.localname, v)
    if name in ("RegistryPackage", "Association", "Classification", "ExternalIdentifier"):
        new.set("objectType", OBJECT_TYPE_PREFIX + name)
    if name in ("Association", "Classification", "ExternalIdentifier") and not new.get("id"):
        new.set("id", _fresh_id(counter))
    if name == "ExternalIdentifier" and parent_id:
        new.set("registryObject", parent_id)
    if name == "Classification" and parent_id and not new.get("classifiedObject"):
        new.set("classifiedObject", parent_id)
    if el.text and el.text.strip():
        new.text = el.text
    kids = [c for c in el if isinstance(c.tag, str) and local(c) != "ObjectRef"]
    my_id = new.get("id")
    converted = [_convert(c, my_id, counter) for c in kids]

    def rank(c):
        n = local(c)
        return ORDER.index(n) if n in ORDER else len(ORDER)
    for c in sorted(converted, key=rank):  # stable: keeps document order within a kind
        new.append(c)
    return new


def object_kind(el, root):
    """'DocumentEntry', 'SubmissionSet', 'Folder' or None for a top-level registry object."""
    n = local(el)
    if n == "ExtrinsicObject":
        return "DocumentEntry"
    if n != "RegistryPackage":
        return None
    oid = el.get("id")
    for ei in el.iter("{%s}ExternalIdentifier" % RIM):
        s = ei.get("identificationScheme")
        if s in (SS_UNIQUE_ID, SS_PATIENT_ID):
            return "SubmissionSet"
        if s in (FOL_UNIQUE_ID, FOL_PATIENT_ID):
            return "Folder"
    for c in root.iter("{%s}Classification" % RIM):
        if c.get("classifiedObject") == oid or c.getparent() is el:
            if c.get("classificationNode") == SS_CLASS_NODE:
                return "SubmissionSet"
            if c.get("classificationNode") == FOL_CLASS_NODE:
                return "Folder"
    return None


def top_objects(root):
    rol = root.find("{%s}RegistryObjectList" % RIM)
    return [] if rol is None else [c for c in rol if isinstance(c.tag, str)]


def assign_patient_id(root, patient):
    """Sets every XDS patientId ExternalIdentifier; returns {object id: patient}."""
    assigned = {}
    for ei in root.iter("{%s}ExternalIdentifier" % RIM):
        if ei.get("identificationScheme") in PATIENT_ID_SCHEMES:
            ei.set("value", patient)
            owner = ei.getparent()
            assigned[owner.get("id") or ei.get("registryObject")] = patient
    return assigned


def assign_uids(root, new_uid, keep=()):
    """Fresh uniqueIds for DocumentEntries, SubmissionSets, Folders (except the objects in
    `keep`); {object id: uid}."""
    assigned = {}
    for ei in root.iter("{%s}ExternalIdentifier" % RIM):
        if ei.get("identificationScheme") in UNIQUE_ID_SCHEMES:
            owner = ei.getparent()
            oid = owner.get("id") or ei.get("registryObject")
            if oid in keep:
                assigned[oid] = ei.get("value")
                continue
            uid = new_uid()
            ei.set("value", uid)
            assigned[oid] = uid
    return assigned


REF_ATTRS = ("classifiedObject", "sourceObject", "targetObject", "registryObject", "classificationNode",
             "classificationScheme", "identificationScheme", "objectType")


def assign_uuids(root, extra_refs=()):
    """Replaces every symbolic id by a fresh urn:uuid and rewrites references. Returns
    {original id: id now} for all objects with an id (UUID ids map to themselves)."""
    mapping = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        i = el.get("id")
        if i is None or etree.QName(el).namespace != RIM or local(el) in ("AdhocQuery",):
            continue
        if i.startswith("urn:uuid:"):
            mapping.setdefault(i, i)
        else:
            mapping.setdefault(i, "urn:uuid:%s" % uuid.uuid4())
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for a in ("id", "lid") + REF_ATTRS:
            v = el.get(a)
            if v is not None and v in mapping and not v.startswith("urn:uuid:"):
                el.set(a, mapping[v])
    for el in extra_refs:
        v = el.get("id")
        if v in mapping:
            el.set("id", mapping[v])
    return mapping
