// Lenient parsing of a rim:RegistryObjectList into the canonical model (ITI TF-3 4.2.3).
// Objects may come in any order; Classifications and ExternalIdentifiers may be nested in
// their object or stand at the top level pointing at it. Every problem is reported as an
// XDSRegistryMetadataError and parsing carries on, so that one response lists them all.
#include <cctype>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/codec.h"
#include "registry/shared/ebrim/codec_internal.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/ebrim/xml_util.h"

namespace xds::ebrim::internal {
namespace {

using google::protobuf::RepeatedPtrField;
using xml::Attr;
using xml::Children;
using xml::HasAttr;
using xml::Is;
using xml::Text;

constexpr std::string_view kRim = vocab::kRimNs;

// Reports errors about one object: the location is the object's id, the context starts
// with what the object is ("DocumentEntry Document01") and narrows down as needed.
class Reporter {
 public:
  Reporter(std::vector<RegistryError>* errors, std::string location, std::string prefix)
      : errors_(errors), location_(std::move(location)), prefix_(std::move(prefix)) {}

  static Reporter ForObject(std::vector<RegistryError>* errors, const char* kind, const std::string& id) {
    return Reporter(errors, id, absl::StrCat(kind, " ", id.empty() ? "(without id)" : id));
  }

  Reporter Nested(const std::string& what) const {
    return Reporter(errors_, location_, absl::StrCat(prefix_, ", ", what));
  }

  void Error(const std::string& what) const {
    errors_->push_back(MetadataError(location_, absl::StrCat(prefix_, ": ", what)));
  }

  std::vector<RegistryError>* errors() const { return errors_; }

 private:
  std::vector<RegistryError>* errors_;
  std::string location_;
  std::string prefix_;
};

// ---------------------------------------------------------------------------------------
// Slots

struct SlotData {
  std::string name;
  std::vector<std::string> values;
  bool used = false;
};

// The rim:Slot children of `node`, in document order. Slot names must be unique within
// one object (ebRIM; TF-3 4.2.3.1.6): a repeated name is reported and its copy dropped.
std::vector<SlotData> CollectSlots(const pugi::xml_node& node, const Reporter& r) {
  std::vector<SlotData> slots;
  for (pugi::xml_node child : node.children()) {
    if (!Is(child, kRim, "Slot")) continue;
    SlotData slot;
    slot.name = Attr(child, "name");
    if (slot.name.empty()) {
      r.Error("Slot without name attribute");
      continue;
    }
    for (pugi::xml_node list : Children(child, kRim, "ValueList")) {
      for (pugi::xml_node value : Children(list, kRim, "Value")) slot.values.push_back(Text(value));
    }
    bool duplicate = false;
    for (const SlotData& seen : slots) duplicate = duplicate || seen.name == slot.name;
    if (duplicate) {
      r.Error(absl::StrCat("Slot ", slot.name, " appears more than once"));
      continue;
    }
    slots.push_back(std::move(slot));
  }
  return slots;
}

// Hands out slots by name; whatever is not claimed ends up in extra_slots.
class SlotTable {
 public:
  SlotTable(std::vector<SlotData> slots, const Reporter& r) : slots_(std::move(slots)), r_(r) {}

  // Single-valued slot. Returns false when absent; several values are an error.
  bool Single(const std::string& name, std::string* out) {
    SlotData* slot = Take(name);
    if (slot == nullptr) return false;
    if (slot->values.size() > 1) {
      r_.Error(absl::StrCat("Slot ", name, " has ", slot->values.size(), " values; exactly one is allowed"));
    }
    if (!slot->values.empty()) *out = slot->values.front();
    return true;
  }

  void Multi(const std::string& name, RepeatedPtrField<std::string>* out) {
    SlotData* slot = Take(name);
    if (slot == nullptr) return;
    for (const std::string& value : slot->values) *out->Add() = value;
  }

  void Rest(RepeatedPtrField<Slot>* extra) {
    for (SlotData& slot : slots_) {
      if (slot.used) continue;
      Slot* out = extra->Add();
      out->set_name(slot.name);
      for (const std::string& value : slot.values) *out->add_values() = value;
    }
  }

 private:
  SlotData* Take(const std::string& name) {
    for (SlotData& slot : slots_) {
      if (slot.name == name && !slot.used) {
        slot.used = true;
        return &slot;
      }
    }
    return nullptr;
  }

  std::vector<SlotData> slots_;
  const Reporter& r_;
};

// ---------------------------------------------------------------------------------------
// Header (id, lid, status, home, VersionInfo, Name, Description)

std::string LocalizedValue(const pugi::xml_node& node, const char* local) {
  pugi::xml_node holder = xml::Child(node, kRim, local);
  if (!holder) return "";
  return Attr(xml::Child(holder, kRim, "LocalizedString"), "value");
}

AvailabilityStatus ParseAvailability(const std::string& status) {
  // Full URNs per TF; bare names are what some ebRS 2.1-era senders use.
  if (status == vocab::kStatusApproved || status == "Approved") return APPROVED;
  if (status == vocab::kStatusDeprecated || status == "Deprecated") return DEPRECATED;
  return AVAILABILITY_STATUS_UNSPECIFIED;  // Submitted etc.: the registry sets the status.
}

void ParseHeader(const pugi::xml_node& node, ObjectHeader* header) {
  header->set_entry_uuid(Attr(node, "id"));
  header->set_logical_id(Attr(node, "lid"));
  header->set_status(ParseAvailability(Attr(node, "status")));
  header->set_home(Attr(node, "home"));
  pugi::xml_node version = xml::Child(node, kRim, "VersionInfo");
  if (version) header->set_version(Attr(version, "versionName"));
  header->set_title(LocalizedValue(node, "Name"));
  header->set_comments(LocalizedValue(node, "Description"));
}

// ---------------------------------------------------------------------------------------
// Classifications and ExternalIdentifiers

struct CodeBinding {
  const char* scheme;
  const char* attribute;   // the TF attribute name, for messages
  Code* single = nullptr;  // at most one Classification allowed
  RepeatedPtrField<Code>* repeated = nullptr;
  bool seen = false;
};

struct ClassificationBindings {
  std::vector<CodeBinding> codes;
  const char* author_scheme = nullptr;
  RepeatedPtrField<Author>* authors = nullptr;
  const char* limited_metadata_node = nullptr;
  std::function<void()> set_limited_metadata;
};

Code ParseCode(const pugi::xml_node& node, const std::string& id, const Reporter& r) {
  Code code;
  code.set_id(id);
  if (!HasAttr(node, "nodeRepresentation")) r.Error("missing attribute nodeRepresentation");
  code.set_code(Attr(node, "nodeRepresentation"));
  SlotTable slots(CollectSlots(node, r), r);
  slots.Single("codingScheme", code.mutable_scheme());
  code.set_display_name(LocalizedValue(node, "Name"));
  return code;
}

Author ParseAuthor(const pugi::xml_node& node, const std::string& id, const Reporter& r) {
  Author author;
  author.set_id(id);
  SlotTable slots(CollectSlots(node, r), r);
  slots.Single("authorPerson", author.mutable_person());
  slots.Multi("authorInstitution", author.mutable_institutions());
  slots.Multi("authorRole", author.mutable_roles());
  slots.Multi("authorSpecialty", author.mutable_specialties());
  slots.Multi("authorTelecommunication", author.mutable_telecommunications());
  return author;
}

void ApplyClassifications(const std::vector<pugi::xml_node>& nodes, const std::string& owner_id, const Reporter& r,
                          ClassificationBindings& b) {
  for (const pugi::xml_node& node : nodes) {
    std::string id = Attr(node, "id");
    Reporter cr = r.Nested(absl::StrCat("Classification ", id.empty() ? "(without id)" : id));
    if (id.empty()) cr.Error("missing attribute id");
    std::string classified = Attr(node, "classifiedObject");
    if (!classified.empty() && classified != owner_id) {
      cr.Error(absl::StrCat("classifiedObject ", classified, " does not match the enclosing object"));
      continue;
    }
    std::string classification_node = Attr(node, "classificationNode");
    if (!classification_node.empty()) {
      // SubmissionSet/Folder nodes were consumed when the package type was decided.
      if (b.limited_metadata_node != nullptr && classification_node == b.limited_metadata_node) {
        b.set_limited_metadata();
      }
      continue;
    }
    std::string scheme = Attr(node, "classificationScheme");
    if (scheme.empty()) {
      cr.Error("has neither classificationScheme nor classificationNode");
      continue;
    }
    if (b.author_scheme != nullptr && scheme == b.author_scheme) {
      *b.authors->Add() = ParseAuthor(node, id, cr.Nested("author"));
      continue;
    }
    for (CodeBinding& binding : b.codes) {
      if (scheme != binding.scheme) continue;
      Reporter code_r = cr.Nested(binding.attribute);
      Code code = ParseCode(node, id, code_r);
      if (binding.single != nullptr) {
        if (binding.seen) {
          code_r.Error(absl::StrCat("more than one ", binding.attribute, " Classification"));
        } else {
          *binding.single = std::move(code);
          binding.seen = true;
        }
      } else {
        *binding.repeated->Add() = std::move(code);
      }
      break;
    }
    // Classification schemes the model does not know are not XDS metadata; ignored.
  }
}

struct IdBinding {
  const char* scheme;
  const char* attribute;
  std::string* value;
  std::string* nested_id;
  bool seen = false;
};

void ApplyExternalIdentifiers(const std::vector<pugi::xml_node>& nodes, const std::string& owner_id, const Reporter& r,
                              std::vector<IdBinding>& bindings) {
  for (const pugi::xml_node& node : nodes) {
    std::string id = Attr(node, "id");
    Reporter er = r.Nested(absl::StrCat("ExternalIdentifier ", id.empty() ? "(without id)" : id));
    if (id.empty()) er.Error("missing attribute id");
    std::string registry_object = Attr(node, "registryObject");
    if (!registry_object.empty() && registry_object != owner_id) {
      er.Error(absl::StrCat("registryObject ", registry_object, " does not match the enclosing object"));
      continue;
    }
    std::string scheme = Attr(node, "identificationScheme");
    if (scheme.empty()) {
      er.Error("missing attribute identificationScheme");
      continue;
    }
    for (IdBinding& binding : bindings) {
      if (scheme != binding.scheme) continue;
      Reporter br = er.Nested(binding.attribute);
      if (!HasAttr(node, "value")) {
        br.Error("missing attribute value");
      } else if (binding.seen) {
        br.Error(absl::StrCat("more than one ", binding.attribute, " ExternalIdentifier"));
      } else {
        *binding.value = Attr(node, "value");
        *binding.nested_id = id;
        binding.seen = true;
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Objects

enum class Kind { kDocumentEntry, kPackage, kSubmissionSet, kFolder, kAssociation, kObjectRef };

struct PendingObject {
  pugi::xml_node node;
  std::string id;
  Kind kind;
  std::vector<pugi::xml_node> classifications;  // nested ones, then top-level ones
  std::vector<pugi::xml_node> external_identifiers;
  std::string type_classification_id;
};

bool ParseSize(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, out);
}

void ParseDocumentEntry(const PendingObject& p, std::vector<RegistryError>* errors, DocumentEntry* de) {
  Reporter r = Reporter::ForObject(errors, "DocumentEntry", p.id);
  ObjectHeader* header = de->mutable_header();
  ParseHeader(p.node, header);

  std::string object_type = Attr(p.node, "objectType");
  if (object_type == vocab::kDocumentEntryStable) {
    de->set_type(STABLE);
  } else if (object_type == vocab::kDocumentEntryOnDemand) {
    de->set_type(ON_DEMAND);
  } else if (!object_type.empty()) {
    r.Error(absl::StrCat("objectType ", object_type, " is neither the Stable nor the On-Demand DocumentEntry type"));
  }
  de->set_mime_type(Attr(p.node, "mimeType"));

  SlotTable slots(CollectSlots(p.node, r), r);
  slots.Single("creationTime", de->mutable_creation_time());
  slots.Single("serviceStartTime", de->mutable_service_start_time());
  slots.Single("serviceStopTime", de->mutable_service_stop_time());
  slots.Single("languageCode", de->mutable_language_code());
  slots.Single("sourcePatientId", de->mutable_source_patient_id());
  slots.Multi("sourcePatientInfo", de->mutable_source_patient_info());
  slots.Single("legalAuthenticator", de->mutable_legal_authenticator());
  slots.Single("URI", de->mutable_uri());
  slots.Single("hash", de->mutable_hash());
  std::string size;
  if (slots.Single("size", &size)) {
    int64_t value = 0;
    if (ParseSize(size, &value)) {
      de->set_size(value);
    } else {
      r.Error(absl::StrCat("Slot size value '", size, "' is not a non-negative integer"));
    }
  }
  slots.Single("repositoryUniqueId", de->mutable_repository_unique_id());
  slots.Single("documentAvailability", de->mutable_document_availability());
  slots.Multi(vocab::kReferenceIdListSlot, de->mutable_reference_ids());
  slots.Rest(header->mutable_extra_slots());

  ClassificationBindings b;
  b.codes = {
      {vocab::kDeClassCode, "classCode", de->mutable_class_code()},
      {vocab::kDeTypeCode, "typeCode", de->mutable_type_code()},
      {vocab::kDeFormatCode, "formatCode", de->mutable_format_code()},
      {vocab::kDeHealthcareFacilityTypeCode, "healthcareFacilityTypeCode", de->mutable_healthcare_facility_type_code()},
      {vocab::kDePracticeSettingCode, "practiceSettingCode", de->mutable_practice_setting_code()},
      {vocab::kDeConfidentialityCode, "confidentialityCode", nullptr, de->mutable_confidentiality_codes()},
      {vocab::kDeEventCode, "eventCodeList", nullptr, de->mutable_event_codes()},
  };
  b.author_scheme = vocab::kDeAuthor;
  b.authors = de->mutable_authors();
  b.limited_metadata_node = vocab::kLimitedMetadataDocumentEntry;
  b.set_limited_metadata = [de] { de->set_limited_metadata(true); };
  ApplyClassifications(p.classifications, p.id, r, b);
  // Binding took mutable pointers; codes that never arrived must stay unset.
  if (!b.codes[0].seen) de->clear_class_code();
  if (!b.codes[1].seen) de->clear_type_code();
  if (!b.codes[2].seen) de->clear_format_code();
  if (!b.codes[3].seen) de->clear_healthcare_facility_type_code();
  if (!b.codes[4].seen) de->clear_practice_setting_code();

  NestedIds* nested = header->mutable_nested_ids();
  std::vector<IdBinding> ids = {
      {vocab::kDePatientId, "patientId", de->mutable_patient_id(), nested->mutable_patient_id()},
      {vocab::kDeUniqueId, "uniqueId", de->mutable_unique_id(), nested->mutable_unique_id()},
  };
  ApplyExternalIdentifiers(p.external_identifiers, p.id, r, ids);
  if (nested->ByteSizeLong() == 0) header->clear_nested_ids();
}

void ParseSubmissionSet(const PendingObject& p, std::vector<RegistryError>* errors, SubmissionSet* ss) {
  Reporter r = Reporter::ForObject(errors, "SubmissionSet", p.id);
  ObjectHeader* header = ss->mutable_header();
  ParseHeader(p.node, header);
  SlotTable slots(CollectSlots(p.node, r), r);
  slots.Single("submissionTime", ss->mutable_submission_time());
  slots.Multi("intendedRecipient", ss->mutable_intended_recipients());
  slots.Rest(header->mutable_extra_slots());

  ClassificationBindings b;
  b.codes = {{vocab::kSsContentTypeCode, "contentTypeCode", ss->mutable_content_type_code()}};
  b.author_scheme = vocab::kSsAuthor;
  b.authors = ss->mutable_authors();
  b.limited_metadata_node = vocab::kLimitedMetadataSubmissionSet;
  b.set_limited_metadata = [ss] { ss->set_limited_metadata(true); };
  ApplyClassifications(p.classifications, p.id, r, b);
  if (!b.codes[0].seen) ss->clear_content_type_code();

  NestedIds* nested = header->mutable_nested_ids();
  nested->set_type_classification(p.type_classification_id);
  std::vector<IdBinding> ids = {
      {vocab::kSsPatientId, "patientId", ss->mutable_patient_id(), nested->mutable_patient_id()},
      {vocab::kSsSourceId, "sourceId", ss->mutable_source_id(), nested->mutable_source_id()},
      {vocab::kSsUniqueId, "uniqueId", ss->mutable_unique_id(), nested->mutable_unique_id()},
  };
  ApplyExternalIdentifiers(p.external_identifiers, p.id, r, ids);
  if (nested->ByteSizeLong() == 0) header->clear_nested_ids();
}

void ParseFolder(const PendingObject& p, std::vector<RegistryError>* errors, Folder* folder) {
  Reporter r = Reporter::ForObject(errors, "Folder", p.id);
  ObjectHeader* header = folder->mutable_header();
  ParseHeader(p.node, header);
  SlotTable slots(CollectSlots(p.node, r), r);
  slots.Single("lastUpdateTime", folder->mutable_last_update_time());
  slots.Rest(header->mutable_extra_slots());

  ClassificationBindings b;
  b.codes = {{vocab::kFdCodeList, "codeList", nullptr, folder->mutable_codes()}};
  b.limited_metadata_node = vocab::kLimitedMetadataFolder;
  b.set_limited_metadata = [folder] { folder->set_limited_metadata(true); };
  ApplyClassifications(p.classifications, p.id, r, b);

  NestedIds* nested = header->mutable_nested_ids();
  nested->set_type_classification(p.type_classification_id);
  std::vector<IdBinding> ids = {
      {vocab::kFdPatientId, "patientId", folder->mutable_patient_id(), nested->mutable_patient_id()},
      {vocab::kFdUniqueId, "uniqueId", folder->mutable_unique_id(), nested->mutable_unique_id()},
  };
  ApplyExternalIdentifiers(p.external_identifiers, p.id, r, ids);
  if (nested->ByteSizeLong() == 0) header->clear_nested_ids();
}

void ParseAssociation(const PendingObject& p, std::vector<RegistryError>* errors, Association* association) {
  Reporter r = Reporter::ForObject(errors, "Association", p.id);
  ObjectHeader* header = association->mutable_header();
  ParseHeader(p.node, header);
  for (const char* attribute : {"associationType", "sourceObject", "targetObject"}) {
    if (Attr(p.node, attribute).empty()) r.Error(absl::StrCat("missing attribute ", attribute));
  }
  association->set_type(NormalizeAssociationType(Attr(p.node, "associationType")));
  association->set_source(Attr(p.node, "sourceObject"));
  association->set_target(Attr(p.node, "targetObject"));

  SlotTable slots(CollectSlots(p.node, r), r);
  slots.Single("SubmissionSetStatus", association->mutable_submission_set_status());
  slots.Rest(header->mutable_extra_slots());

  ClassificationBindings b;
  b.codes = {
      {vocab::kAssociationDocumentation, "associationDocumentation", nullptr, association->mutable_documentation()}};
  ApplyClassifications(p.classifications, p.id, r, b);
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kDocumentEntry:
      return "DocumentEntry";
    case Kind::kPackage:
      return "RegistryPackage";
    case Kind::kSubmissionSet:
      return "SubmissionSet";
    case Kind::kFolder:
      return "Folder";
    case Kind::kAssociation:
      return "Association";
    case Kind::kObjectRef:
      return "ObjectRef";
  }
  return "RegistryObject";
}

// Decides SubmissionSet vs Folder from the classificationNode Classification.
void ResolvePackageKind(PendingObject& p, std::vector<RegistryError>* errors) {
  Reporter r = Reporter::ForObject(errors, "RegistryPackage", p.id);
  std::string ss_id, folder_id;
  bool is_ss = false, is_folder = false;
  for (const pugi::xml_node& c : p.classifications) {
    std::string node = Attr(c, "classificationNode");
    if (node == vocab::kSubmissionSetNode) {
      is_ss = true;
      ss_id = Attr(c, "id");
    } else if (node == vocab::kFolderNode) {
      is_folder = true;
      folder_id = Attr(c, "id");
    }
  }
  if (is_ss && is_folder) {
    r.Error("classified both as SubmissionSet and as Folder");
  } else if (is_ss) {
    p.kind = Kind::kSubmissionSet;
    p.type_classification_id = ss_id;
  } else if (is_folder) {
    p.kind = Kind::kFolder;
    p.type_classification_id = folder_id;
  } else {
    r.Error(absl::StrCat("no Classification with classificationNode ", vocab::kSubmissionSetNode,
                         " (SubmissionSet) or ", vocab::kFolderNode, " (Folder)"));
  }
}

}  // namespace

void ParseRegistryObjectList(const pugi::xml_node& list, Submission* out, std::vector<RegistryError>* errors) {
  std::vector<PendingObject> objects;
  std::unordered_map<std::string, size_t> by_id;
  std::vector<pugi::xml_node> loose_classifications;
  std::vector<pugi::xml_node> loose_identifiers;

  for (pugi::xml_node child : list.children()) {
    if (child.type() != pugi::node_element || xml::NamespaceOf(child) != kRim) continue;
    std::string_view local = xml::LocalName(child);
    Kind kind;
    if (local == "ExtrinsicObject") {
      kind = Kind::kDocumentEntry;
    } else if (local == "RegistryPackage") {
      kind = Kind::kPackage;
    } else if (local == "Association") {
      kind = Kind::kAssociation;
    } else if (local == "ObjectRef") {
      kind = Kind::kObjectRef;
    } else if (local == "Classification") {
      loose_classifications.push_back(child);
      continue;
    } else if (local == "ExternalIdentifier") {
      loose_identifiers.push_back(child);
      continue;
    } else {
      continue;  // ClassificationScheme, ClassificationNode, ...: not XDS metadata.
    }
    PendingObject p{child, Attr(child, "id"), kind, {}, {}, {}};
    Reporter r = Reporter::ForObject(errors, KindName(kind), p.id);
    if (p.id.empty()) {
      r.Error("missing attribute id");
    } else if (!by_id.emplace(p.id, objects.size()).second) {
      r.Error("id is used by more than one object in this submission");
    }
    for (pugi::xml_node nested : child.children()) {
      if (Is(nested, kRim, "Classification")) p.classifications.push_back(nested);
      if (Is(nested, kRim, "ExternalIdentifier")) p.external_identifiers.push_back(nested);
    }
    objects.push_back(std::move(p));
  }

  // Top-level Classifications / ExternalIdentifiers join the object they point at.
  auto attach = [&](const std::vector<pugi::xml_node>& nodes, const char* kind, const char* pointer,
                    bool classification) {
    for (const pugi::xml_node& node : nodes) {
      std::string id = Attr(node, "id");
      Reporter r = Reporter::ForObject(errors, kind, id);
      std::string target = Attr(node, pointer);
      if (target.empty()) {
        r.Error(absl::StrCat("missing attribute ", pointer));
        continue;
      }
      auto it = by_id.find(target);
      if (it == by_id.end()) {
        r.Error(absl::StrCat(pointer, " ", target, " does not name an object in this submission"));
        continue;
      }
      PendingObject& owner = objects[it->second];
      if (owner.kind == Kind::kObjectRef) {
        r.Error(absl::StrCat(pointer, " ", target, " is an ObjectRef; only objects submitted here can be ", kind,
                             " targets"));
        continue;
      }
      (classification ? owner.classifications : owner.external_identifiers).push_back(node);
    }
  };
  attach(loose_classifications, "Classification", "classifiedObject", true);
  attach(loose_identifiers, "ExternalIdentifier", "registryObject", false);

  for (PendingObject& p : objects) {
    if (p.kind == Kind::kPackage) ResolvePackageKind(p, errors);
  }

  for (const PendingObject& p : objects) {
    switch (p.kind) {
      case Kind::kDocumentEntry:
        ParseDocumentEntry(p, errors, out->add_document_entries());
        break;
      case Kind::kSubmissionSet:
        ParseSubmissionSet(p, errors, out->add_submission_sets());
        break;
      case Kind::kFolder:
        ParseFolder(p, errors, out->add_folders());
        break;
      case Kind::kAssociation:
        ParseAssociation(p, errors, out->add_associations());
        break;
      case Kind::kObjectRef:
        if (!p.id.empty()) out->add_object_refs(p.id);
        break;
      case Kind::kPackage:
        break;  // Neither SubmissionSet nor Folder: already reported.
    }
  }
}

}  // namespace xds::ebrim::internal
