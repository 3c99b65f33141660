// Strict emitting of model objects as ebRIM 3.0 LeafClass elements. Child order is the
// schema's (rim.xsd): Slot*, Name?, Description?, VersionInfo?, Classification*,
// ExternalIdentifier*; a strict validator rejects the Name-before-Slot order of some TF
// examples, so the order here is not a matter of taste.
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/codec_internal.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"

namespace xds::ebrim {

std::string NewUuidUrn() {
  // Version 7 (RFC 9562 §5.7): the first 48 bits are Unix milliseconds, the rest random.
  // Ids the registry assigns then sort by time, so every index keyed by an entryUUID takes
  // its inserts at its right edge instead of at random pages (which SQLite would write to
  // the WAL whole, page by page, at every commit).
  // One generator per thread: boost's generator is not thread-safe, and seeding is costly.
  thread_local boost::uuids::random_generator generator;
  boost::uuids::uuid id = generator();
  uint64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (int i = 0; i < 6; ++i) id.data[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id.data[6] = static_cast<uint8_t>((id.data[6] & 0x0F) | 0x70);  // version 7; variant stays 10xx
  return "urn:uuid:" + boost::uuids::to_string(id);
}

namespace internal {

RegistryError MetadataError(const std::string& object_id, const std::string& context) {
  return MakeError(kMetadataError, context, object_id);
}

}  // namespace internal

namespace {

using google::protobuf::RepeatedPtrField;
using xml::XmlWriter;

// Opens a Slot and its ValueList; the caller writes the Values and calls EndSlot.
void BeginSlot(XmlWriter& w, std::string_view name) {
  w.Open("rim:Slot");
  w.Attr("name", name);
  w.Open("rim:ValueList");
}

void EndSlot(XmlWriter& w) {
  w.Close();  // ValueList
  w.Close();  // Slot
}

template <typename Values>
void WriteSlot(XmlWriter& w, std::string_view name, const Values& values) {
  BeginSlot(w, name);
  for (const std::string& value : values) w.TextElement("rim:Value", value);
  EndSlot(w);
}

void WriteSingleSlot(XmlWriter& w, std::string_view name, const std::string& value) {
  if (value.empty()) return;
  BeginSlot(w, name);
  w.TextElement("rim:Value", value);
  EndSlot(w);
}

void WriteMultiSlot(XmlWriter& w, std::string_view name, const RepeatedPtrField<std::string>& values) {
  if (!values.empty()) WriteSlot(w, name, values);
}

void WriteExtraSlots(XmlWriter& w, const ObjectHeader& header) {
  for (const Slot& slot : header.extra_slots()) WriteSlot(w, slot.name(), slot.values());
}

void WriteLocalized(XmlWriter& w, std::string_view qname, std::string_view text) {
  if (text.empty()) return;
  w.Open(qname);
  w.Open("rim:LocalizedString");
  w.Attr("value", text);
  w.Close();
  w.Close();
}

// Name?, Description?, VersionInfo? — the part of the header that follows the Slots.
void WriteHeaderElements(XmlWriter& w, const ObjectHeader& header) {
  WriteLocalized(w, "rim:Name", header.title());
  WriteLocalized(w, "rim:Description", header.comments());
  if (!header.version().empty()) {
    w.Open("rim:VersionInfo");
    w.Attr("versionName", header.version());
    w.Close();
  }
}

// Opens the element with the RegistryObject attributes (id, lid, objectType, status, home).
void BeginObject(XmlWriter& w, std::string_view qname, const ObjectHeader& header, std::string_view object_type) {
  w.Open(qname);
  w.Attr("id", header.entry_uuid());
  w.AttrIfPresent("lid", header.logical_id());
  w.AttrIfPresent("objectType", object_type);
  w.AttrIfPresent("status", StatusUrn(header.status()));
  w.AttrIfPresent("home", header.home());
}

void IdOrNew(XmlWriter& w, const std::string& id) {
  if (id.empty()) {
    w.Attr("id", NewUuidUrn());
  } else {
    w.Attr("id", id);
  }
}

void BeginClassification(XmlWriter& w, const std::string& id) {
  w.Open("rim:Classification");
  IdOrNew(w, id);
  w.Attr("objectType", vocab::kClassificationType);
}

void WriteCode(XmlWriter& w, std::string_view scheme, const std::string& owner_id, const Code& code) {
  BeginClassification(w, code.id());
  w.Attr("classificationScheme", scheme);
  w.Attr("classifiedObject", owner_id);
  w.Attr("nodeRepresentation", code.code());
  WriteSingleSlot(w, "codingScheme", code.scheme());
  WriteLocalized(w, "rim:Name", code.display_name());
  w.Close();
}

void WriteCodes(XmlWriter& w, std::string_view scheme, const std::string& owner_id,
                const RepeatedPtrField<Code>& codes) {
  for (const Code& code : codes) WriteCode(w, scheme, owner_id, code);
}

void WriteAuthors(XmlWriter& w, std::string_view scheme, const std::string& owner_id,
                  const RepeatedPtrField<Author>& authors) {
  for (const Author& author : authors) {
    BeginClassification(w, author.id());
    w.Attr("classificationScheme", scheme);
    w.Attr("classifiedObject", owner_id);
    w.Attr("nodeRepresentation", "");  // TF-3 4.2.3.1.4: empty for authors.
    WriteSingleSlot(w, "authorPerson", author.person());
    WriteMultiSlot(w, "authorInstitution", author.institutions());
    WriteMultiSlot(w, "authorRole", author.roles());
    WriteMultiSlot(w, "authorSpecialty", author.specialties());
    WriteMultiSlot(w, "authorTelecommunication", author.telecommunications());
    w.Close();
  }
}

void WriteNodeClassification(XmlWriter& w, std::string_view node, const std::string& id, const std::string& owner_id) {
  BeginClassification(w, id);
  w.Attr("classifiedObject", owner_id);
  w.Attr("classificationNode", node);
  w.Close();
}

void WriteExternalIdentifier(XmlWriter& w, std::string_view scheme, std::string_view name, const std::string& owner_id,
                             const std::string& value, const std::string& id) {
  if (value.empty()) return;  // @value is required; an absent attribute stays absent.
  w.Open("rim:ExternalIdentifier");
  IdOrNew(w, id);
  w.Attr("objectType", vocab::kExternalIdentifierType);
  w.Attr("registryObject", owner_id);
  w.Attr("identificationScheme", scheme);
  w.Attr("value", value);
  WriteLocalized(w, "rim:Name", name);
  w.Close();
}

const char* DocumentEntryTypeUrn(DocumentEntryType type) {
  switch (type) {
    case STABLE:
      return vocab::kDocumentEntryStable;
    case ON_DEMAND:
      return vocab::kDocumentEntryOnDemand;
    default:
      return "";
  }
}

}  // namespace

namespace internal {

void WriteDocumentEntry(XmlWriter& w, const DocumentEntry& entry) {
  const ObjectHeader& h = entry.header();
  const std::string& id = h.entry_uuid();
  BeginObject(w, "rim:ExtrinsicObject", h, DocumentEntryTypeUrn(entry.type()));
  w.AttrIfPresent("mimeType", entry.mime_type());

  WriteSingleSlot(w, "creationTime", entry.creation_time());
  WriteSingleSlot(w, "hash", entry.hash());
  WriteSingleSlot(w, "languageCode", entry.language_code());
  WriteSingleSlot(w, "legalAuthenticator", entry.legal_authenticator());
  WriteSingleSlot(w, "repositoryUniqueId", entry.repository_unique_id());
  WriteSingleSlot(w, "serviceStartTime", entry.service_start_time());
  WriteSingleSlot(w, "serviceStopTime", entry.service_stop_time());
  if (entry.has_size()) WriteSingleSlot(w, "size", std::to_string(entry.size()));
  WriteSingleSlot(w, "sourcePatientId", entry.source_patient_id());
  WriteMultiSlot(w, "sourcePatientInfo", entry.source_patient_info());
  WriteSingleSlot(w, "URI", entry.uri());
  WriteSingleSlot(w, "documentAvailability", entry.document_availability());
  WriteMultiSlot(w, vocab::kReferenceIdListSlot, entry.reference_ids());
  WriteExtraSlots(w, h);
  WriteHeaderElements(w, h);

  WriteAuthors(w, vocab::kDeAuthor, id, entry.authors());
  if (entry.has_class_code()) WriteCode(w, vocab::kDeClassCode, id, entry.class_code());
  WriteCodes(w, vocab::kDeConfidentialityCode, id, entry.confidentiality_codes());
  WriteCodes(w, vocab::kDeEventCode, id, entry.event_codes());
  if (entry.has_format_code()) WriteCode(w, vocab::kDeFormatCode, id, entry.format_code());
  if (entry.has_healthcare_facility_type_code()) {
    WriteCode(w, vocab::kDeHealthcareFacilityTypeCode, id, entry.healthcare_facility_type_code());
  }
  if (entry.has_practice_setting_code()) {
    WriteCode(w, vocab::kDePracticeSettingCode, id, entry.practice_setting_code());
  }
  if (entry.has_type_code()) WriteCode(w, vocab::kDeTypeCode, id, entry.type_code());
  if (entry.limited_metadata()) {
    WriteNodeClassification(w, vocab::kLimitedMetadataDocumentEntry, "", id);
  }

  const NestedIds& nested = h.nested_ids();
  WriteExternalIdentifier(w, vocab::kDePatientId, "XDSDocumentEntry.patientId", id, entry.patient_id(),
                          nested.patient_id());
  WriteExternalIdentifier(w, vocab::kDeUniqueId, "XDSDocumentEntry.uniqueId", id, entry.unique_id(),
                          nested.unique_id());
  w.Close();
}

void WriteSubmissionSet(XmlWriter& w, const SubmissionSet& set) {
  const ObjectHeader& h = set.header();
  const std::string& id = h.entry_uuid();
  BeginObject(w, "rim:RegistryPackage", h, vocab::kRegistryPackageType);
  WriteSingleSlot(w, "submissionTime", set.submission_time());
  WriteMultiSlot(w, "intendedRecipient", set.intended_recipients());
  WriteExtraSlots(w, h);
  WriteHeaderElements(w, h);

  WriteAuthors(w, vocab::kSsAuthor, id, set.authors());
  if (set.has_content_type_code()) WriteCode(w, vocab::kSsContentTypeCode, id, set.content_type_code());
  if (set.limited_metadata()) {
    WriteNodeClassification(w, vocab::kLimitedMetadataSubmissionSet, "", id);
  }
  const NestedIds& nested = h.nested_ids();
  WriteNodeClassification(w, vocab::kSubmissionSetNode, nested.type_classification(), id);

  WriteExternalIdentifier(w, vocab::kSsPatientId, "XDSSubmissionSet.patientId", id, set.patient_id(),
                          nested.patient_id());
  WriteExternalIdentifier(w, vocab::kSsSourceId, "XDSSubmissionSet.sourceId", id, set.source_id(), nested.source_id());
  WriteExternalIdentifier(w, vocab::kSsUniqueId, "XDSSubmissionSet.uniqueId", id, set.unique_id(), nested.unique_id());
  w.Close();
}

void WriteFolder(XmlWriter& w, const Folder& folder) {
  const ObjectHeader& h = folder.header();
  const std::string& id = h.entry_uuid();
  BeginObject(w, "rim:RegistryPackage", h, vocab::kRegistryPackageType);
  WriteSingleSlot(w, "lastUpdateTime", folder.last_update_time());
  WriteExtraSlots(w, h);
  WriteHeaderElements(w, h);

  WriteCodes(w, vocab::kFdCodeList, id, folder.codes());
  if (folder.limited_metadata()) {
    WriteNodeClassification(w, vocab::kLimitedMetadataFolder, "", id);
  }
  const NestedIds& nested = h.nested_ids();
  WriteNodeClassification(w, vocab::kFolderNode, nested.type_classification(), id);

  WriteExternalIdentifier(w, vocab::kFdPatientId, "XDSFolder.patientId", id, folder.patient_id(), nested.patient_id());
  WriteExternalIdentifier(w, vocab::kFdUniqueId, "XDSFolder.uniqueId", id, folder.unique_id(), nested.unique_id());
  w.Close();
}

void WriteAssociation(XmlWriter& w, const Association& association) {
  const ObjectHeader& h = association.header();
  BeginObject(w, "rim:Association", h, vocab::kAssociationType);
  w.Attr("associationType", association.type());
  w.Attr("sourceObject", association.source());
  w.Attr("targetObject", association.target());
  WriteSingleSlot(w, "SubmissionSetStatus", association.submission_set_status());
  WriteExtraSlots(w, h);
  WriteHeaderElements(w, h);
  WriteCodes(w, vocab::kAssociationDocumentation, h.entry_uuid(), association.documentation());
  w.Close();
}

}  // namespace internal

void AppendDocumentEntry(pugi::xml_node list, const DocumentEntry& entry) {
  xml::AppendWritten(list, [&](XmlWriter& w) { internal::WriteDocumentEntry(w, entry); });
}

void AppendSubmissionSet(pugi::xml_node list, const SubmissionSet& set) {
  xml::AppendWritten(list, [&](XmlWriter& w) { internal::WriteSubmissionSet(w, set); });
}

void AppendFolder(pugi::xml_node list, const Folder& folder) {
  xml::AppendWritten(list, [&](XmlWriter& w) { internal::WriteFolder(w, folder); });
}

void AppendAssociation(pugi::xml_node list, const Association& association) {
  xml::AppendWritten(list, [&](XmlWriter& w) { internal::WriteAssociation(w, association); });
}

}  // namespace xds::ebrim
