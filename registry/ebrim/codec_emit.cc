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

#include "registry/ebrim/codec.h"
#include "registry/ebrim/codec_internal.h"
#include "registry/ebrim/vocabulary.h"
#include "registry/ebrim/xml_util.h"

namespace xds::ebrim {

std::string NewUuidUrn() {
  // Version 7 (RFC 9562 §5.7): the first 48 bits are Unix milliseconds, the rest random.
  // Ids the registry assigns then sort by time, so every index keyed by an entryUUID takes
  // its inserts at its right edge instead of at random pages (which SQLite would write to
  // the WAL whole, page by page, at every commit).
  // One generator per thread: boost's generator is not thread-safe, and seeding is costly.
  thread_local boost::uuids::random_generator generator;
  boost::uuids::uuid id = generator();
  uint64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < 6; ++i) id.data[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id.data[6] = static_cast<uint8_t>((id.data[6] & 0x0F) | 0x70);  // version 7; variant stays 10xx
  return "urn:uuid:" + boost::uuids::to_string(id);
}

namespace internal {

RegistryError MetadataError(const std::string& object_id, const std::string& context) {
  RegistryError error;
  error.set_code(kMetadataError);
  error.set_context(context);
  error.set_location(object_id);
  error.set_severity(ERROR);
  return error;
}

}  // namespace internal

namespace {

using google::protobuf::RepeatedPtrField;

pugi::xml_node Rim(pugi::xml_node parent, const char* local) {
  return xml::AppendElement(parent, "rim", vocab::kRimNs, local);
}

// Returns the Slot's ValueList.
pugi::xml_node BeginSlot(pugi::xml_node object, const char* name) {
  pugi::xml_node slot = Rim(object, "Slot");
  slot.append_attribute("name") = name;
  return Rim(slot, "ValueList");
}

template <typename Values>
void AppendSlot(pugi::xml_node object, const std::string& name, const Values& values) {
  pugi::xml_node list = BeginSlot(object, name.c_str());
  for (const std::string& value : values) Rim(list, "Value").text().set(value.c_str());
}

void AppendSingleSlot(pugi::xml_node object, const char* name, const std::string& value) {
  if (!value.empty()) Rim(BeginSlot(object, name), "Value").text().set(value.c_str());
}

void AppendMultiSlot(pugi::xml_node object, const char* name,
                     const RepeatedPtrField<std::string>& values) {
  if (!values.empty()) AppendSlot(object, name, values);
}

void AppendExtraSlots(pugi::xml_node object, const ObjectHeader& header) {
  for (const Slot& slot : header.extra_slots()) AppendSlot(object, slot.name(), slot.values());
}

void AppendLocalized(pugi::xml_node object, const char* local, const std::string& text) {
  if (text.empty()) return;
  Rim(Rim(object, local), "LocalizedString").append_attribute("value") = text.c_str();
}

// Name?, Description?, VersionInfo? — the part of the header that follows the Slots.
void AppendHeaderElements(pugi::xml_node object, const ObjectHeader& header) {
  AppendLocalized(object, "Name", header.title());
  AppendLocalized(object, "Description", header.comments());
  if (!header.version().empty()) {
    Rim(object, "VersionInfo").append_attribute("versionName") = header.version().c_str();
  }
}

// The element with the RegistryObject attributes (id, lid, objectType, status, home).
pugi::xml_node BeginObject(pugi::xml_node list, const char* local, const ObjectHeader& header,
                           const std::string& object_type) {
  pugi::xml_node object = Rim(list, local);
  object.append_attribute("id") = header.entry_uuid().c_str();
  xml::SetAttrIfPresent(object, "lid", header.logical_id());
  xml::SetAttrIfPresent(object, "objectType", object_type);
  xml::SetAttrIfPresent(object, "status", StatusUrn(header.status()));
  xml::SetAttrIfPresent(object, "home", header.home());
  return object;
}

void SetIdOrNew(pugi::xml_node object, const std::string& id) {
  object.append_attribute("id") = id.empty() ? NewUuidUrn().c_str() : id.c_str();
}

pugi::xml_node BeginClassification(pugi::xml_node object, const std::string& id) {
  pugi::xml_node c = Rim(object, "Classification");
  SetIdOrNew(c, id);
  c.append_attribute("objectType") = vocab::kClassificationType;
  return c;
}

void AppendCode(pugi::xml_node object, const char* scheme, const std::string& owner_id,
                const Code& code) {
  pugi::xml_node c = BeginClassification(object, code.id());
  c.append_attribute("classificationScheme") = scheme;
  c.append_attribute("classifiedObject") = owner_id.c_str();
  c.append_attribute("nodeRepresentation") = code.code().c_str();
  AppendSingleSlot(c, "codingScheme", code.scheme());
  AppendLocalized(c, "Name", code.display_name());
}

void AppendCodes(pugi::xml_node object, const char* scheme, const std::string& owner_id,
                 const RepeatedPtrField<Code>& codes) {
  for (const Code& code : codes) AppendCode(object, scheme, owner_id, code);
}

void AppendAuthors(pugi::xml_node object, const char* scheme, const std::string& owner_id,
                   const RepeatedPtrField<Author>& authors) {
  for (const Author& author : authors) {
    pugi::xml_node c = BeginClassification(object, author.id());
    c.append_attribute("classificationScheme") = scheme;
    c.append_attribute("classifiedObject") = owner_id.c_str();
    c.append_attribute("nodeRepresentation") = "";  // TF-3 4.2.3.1.4: empty for authors.
    AppendSingleSlot(c, "authorPerson", author.person());
    AppendMultiSlot(c, "authorInstitution", author.institutions());
    AppendMultiSlot(c, "authorRole", author.roles());
    AppendMultiSlot(c, "authorSpecialty", author.specialties());
    AppendMultiSlot(c, "authorTelecommunication", author.telecommunications());
  }
}

void AppendNodeClassification(pugi::xml_node object, const char* node, const std::string& id,
                              const std::string& owner_id) {
  pugi::xml_node c = BeginClassification(object, id);
  c.append_attribute("classifiedObject") = owner_id.c_str();
  c.append_attribute("classificationNode") = node;
}

void AppendExternalIdentifier(pugi::xml_node object, const char* scheme, const char* name,
                              const std::string& owner_id, const std::string& value,
                              const std::string& id) {
  if (value.empty()) return;  // @value is required; an absent attribute stays absent.
  pugi::xml_node e = Rim(object, "ExternalIdentifier");
  SetIdOrNew(e, id);
  e.append_attribute("objectType") = vocab::kExternalIdentifierType;
  e.append_attribute("registryObject") = owner_id.c_str();
  e.append_attribute("identificationScheme") = scheme;
  e.append_attribute("value") = value.c_str();
  AppendLocalized(e, "Name", name);
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

void AppendDocumentEntry(pugi::xml_node list, const DocumentEntry& entry) {
  const ObjectHeader& h = entry.header();
  const std::string& id = h.entry_uuid();
  pugi::xml_node eo = BeginObject(list, "ExtrinsicObject", h, DocumentEntryTypeUrn(entry.type()));
  xml::SetAttrIfPresent(eo, "mimeType", entry.mime_type());

  AppendSingleSlot(eo, "creationTime", entry.creation_time());
  AppendSingleSlot(eo, "hash", entry.hash());
  AppendSingleSlot(eo, "languageCode", entry.language_code());
  AppendSingleSlot(eo, "legalAuthenticator", entry.legal_authenticator());
  AppendSingleSlot(eo, "repositoryUniqueId", entry.repository_unique_id());
  AppendSingleSlot(eo, "serviceStartTime", entry.service_start_time());
  AppendSingleSlot(eo, "serviceStopTime", entry.service_stop_time());
  if (entry.has_size()) AppendSingleSlot(eo, "size", std::to_string(entry.size()));
  AppendSingleSlot(eo, "sourcePatientId", entry.source_patient_id());
  AppendMultiSlot(eo, "sourcePatientInfo", entry.source_patient_info());
  AppendSingleSlot(eo, "URI", entry.uri());
  AppendSingleSlot(eo, "documentAvailability", entry.document_availability());
  AppendMultiSlot(eo, vocab::kReferenceIdListSlot, entry.reference_ids());
  AppendExtraSlots(eo, h);
  AppendHeaderElements(eo, h);

  AppendAuthors(eo, vocab::kDeAuthor, id, entry.authors());
  if (entry.has_class_code()) AppendCode(eo, vocab::kDeClassCode, id, entry.class_code());
  AppendCodes(eo, vocab::kDeConfidentialityCode, id, entry.confidentiality_codes());
  AppendCodes(eo, vocab::kDeEventCode, id, entry.event_codes());
  if (entry.has_format_code()) AppendCode(eo, vocab::kDeFormatCode, id, entry.format_code());
  if (entry.has_healthcare_facility_type_code()) {
    AppendCode(eo, vocab::kDeHealthcareFacilityTypeCode, id, entry.healthcare_facility_type_code());
  }
  if (entry.has_practice_setting_code()) {
    AppendCode(eo, vocab::kDePracticeSettingCode, id, entry.practice_setting_code());
  }
  if (entry.has_type_code()) AppendCode(eo, vocab::kDeTypeCode, id, entry.type_code());
  if (entry.limited_metadata()) {
    AppendNodeClassification(eo, vocab::kLimitedMetadataDocumentEntry, "", id);
  }

  const NestedIds& nested = h.nested_ids();
  AppendExternalIdentifier(eo, vocab::kDePatientId, "XDSDocumentEntry.patientId", id,
                           entry.patient_id(), nested.patient_id());
  AppendExternalIdentifier(eo, vocab::kDeUniqueId, "XDSDocumentEntry.uniqueId", id,
                           entry.unique_id(), nested.unique_id());
}

void AppendSubmissionSet(pugi::xml_node list, const SubmissionSet& set) {
  const ObjectHeader& h = set.header();
  const std::string& id = h.entry_uuid();
  pugi::xml_node rp = BeginObject(list, "RegistryPackage", h, vocab::kRegistryPackageType);
  AppendSingleSlot(rp, "submissionTime", set.submission_time());
  AppendMultiSlot(rp, "intendedRecipient", set.intended_recipients());
  AppendExtraSlots(rp, h);
  AppendHeaderElements(rp, h);

  AppendAuthors(rp, vocab::kSsAuthor, id, set.authors());
  if (set.has_content_type_code()) {
    AppendCode(rp, vocab::kSsContentTypeCode, id, set.content_type_code());
  }
  if (set.limited_metadata()) {
    AppendNodeClassification(rp, vocab::kLimitedMetadataSubmissionSet, "", id);
  }
  const NestedIds& nested = h.nested_ids();
  AppendNodeClassification(rp, vocab::kSubmissionSetNode, nested.type_classification(), id);

  AppendExternalIdentifier(rp, vocab::kSsPatientId, "XDSSubmissionSet.patientId", id,
                           set.patient_id(), nested.patient_id());
  AppendExternalIdentifier(rp, vocab::kSsSourceId, "XDSSubmissionSet.sourceId", id, set.source_id(),
                           nested.source_id());
  AppendExternalIdentifier(rp, vocab::kSsUniqueId, "XDSSubmissionSet.uniqueId", id, set.unique_id(),
                           nested.unique_id());
}

void AppendFolder(pugi::xml_node list, const Folder& folder) {
  const ObjectHeader& h = folder.header();
  const std::string& id = h.entry_uuid();
  pugi::xml_node rp = BeginObject(list, "RegistryPackage", h, vocab::kRegistryPackageType);
  AppendSingleSlot(rp, "lastUpdateTime", folder.last_update_time());
  AppendExtraSlots(rp, h);
  AppendHeaderElements(rp, h);

  AppendCodes(rp, vocab::kFdCodeList, id, folder.codes());
  if (folder.limited_metadata()) {
    AppendNodeClassification(rp, vocab::kLimitedMetadataFolder, "", id);
  }
  const NestedIds& nested = h.nested_ids();
  AppendNodeClassification(rp, vocab::kFolderNode, nested.type_classification(), id);

  AppendExternalIdentifier(rp, vocab::kFdPatientId, "XDSFolder.patientId", id, folder.patient_id(),
                           nested.patient_id());
  AppendExternalIdentifier(rp, vocab::kFdUniqueId, "XDSFolder.uniqueId", id, folder.unique_id(),
                           nested.unique_id());
}

void AppendAssociation(pugi::xml_node list, const Association& association) {
  const ObjectHeader& h = association.header();
  pugi::xml_node a = BeginObject(list, "Association", h, vocab::kAssociationType);
  a.append_attribute("associationType") = association.type().c_str();
  a.append_attribute("sourceObject") = association.source().c_str();
  a.append_attribute("targetObject") = association.target().c_str();
  AppendSingleSlot(a, "SubmissionSetStatus", association.submission_set_status());
  AppendExtraSlots(a, h);
  AppendHeaderElements(a, h);
  AppendCodes(a, vocab::kAssociationDocumentation, h.entry_uuid(), association.documentation());
}

}  // namespace xds::ebrim
