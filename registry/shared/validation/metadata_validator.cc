// Stateless ITI-42 submission checks. Per-attribute rules are rows of
// xds-schemas/metadata_attributes.tsv, applied generically through a small map from the TF
// attribute name to the model field; the rules that relate several objects (SubmissionSet
// count, associations, patient consistency, uniqueness) are hard-coded below, each citing the
// rule of the spec digest (§5.1 R-numbers) it enforces.
#include "registry/shared/validation/metadata_validator.h"
#include "registry/shared/model/errors.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/validation/attribute_rules.h"
#include "registry/shared/validation/model_access.h"
#include "registry/shared/validation/text_util.h"
#include "registry/shared/validation/value_formats.h"

namespace xds {
namespace {

using validation::AccessorMap;
using validation::AssociationAccessors;
using validation::AttributeRule;
using validation::Cat;
using validation::DocumentEntryAccessors;
using validation::Encoding;
using validation::FieldValue;
using validation::FolderAccessors;
using validation::Join;
using validation::Optionality;
using validation::StartsWith;
using validation::SubmissionSetAccessors;
using validation::Values;
using validation::ValueType;

constexpr ErrorCode kMetadataError = err::kRegistryMetadataError;
constexpr ErrorCode kPatientIdDoesNotMatch = err::kPatientIdDoesNotMatch;
constexpr ErrorCode kDuplicateUniqueIdInMessage = err::kRegistryDuplicateUniqueIdInMessage;
constexpr ErrorCode kUnresolvedReference = err::kUnresolvedReferenceException;
constexpr ErrorCode kRegistryError = err::kRegistryError;

constexpr char kUuidPrefix[] = "urn:uuid:";
constexpr char kOriginal[] = "Original";
constexpr char kReference[] = "Reference";

// ---------------------------------------------------------------------------------------
// Vocabulary.

bool IsRelationshipType(std::string_view type) {
  return type == vocab::kRplc || type == vocab::kApnd || type == vocab::kXfrm || type == vocab::kXfrmRplc ||
         type == vocab::kSigns || type == vocab::kIsSnapshotOf;
}

// The association types an ITI-42 submission may carry (TF-3 4.2.2); UpdateAvailabilityStatus
// and SubmitAssociation belong to ITI-57.
bool IsIti42AssociationType(std::string_view type) { return type == vocab::kHasMember || IsRelationshipType(type); }

// Relationship types whose target must already be registered (R11).
bool TargetMustBeRegistered(std::string_view type) {
  return type == vocab::kRplc || type == vocab::kXfrmRplc || type == vocab::kIsSnapshotOf;
}

// "urn:ihe:iti:2007:AssociationType:RPLC" -> "RPLC", for readable messages.
std::string_view ShortType(std::string_view type) {
  const size_t colon = type.rfind(':');
  return colon == std::string_view::npos ? type : type.substr(colon + 1);
}

std::string Quote(std::string_view v) {
  constexpr size_t kMax = 80;
  if (v.size() <= kMax) return Cat("'", v, "'");
  return Cat("'", v.substr(0, kMax), "...'");
}

// ---------------------------------------------------------------------------------------

enum class Kind { kNone, kSubmissionSet, kDocumentEntry, kFolder, kAssociation };

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kSubmissionSet:
      return "SubmissionSet";
    case Kind::kDocumentEntry:
      return "DocumentEntry";
    case Kind::kFolder:
      return "Folder";
    case Kind::kAssociation:
      return "Association";
    case Kind::kNone:
      break;
  }
  return "object";
}

std::string Label(std::string_view object_type, const std::string& id, int index) {
  if (id.empty()) return Cat(object_type, " #", index + 1, " (no entryUUID)");
  return Cat(object_type, " ", Quote(id));
}

class Validator {
 public:
  Validator(const Submission& submission, const ValidationOptions& options)
      : submission_(submission), options_(options) {}

  std::vector<RegistryError> Run() {
    IndexObjects();
    CheckAllAttributes();
    CheckSubmissionSetCount();
    CheckServiceTimes();
    CheckUniqueIds();
    CheckPatientIds();
    CheckAssociations();
    CheckMembership();
    CheckObjectRefs();
    return std::move(errors_);
  }

 private:
  void Add(ErrorCode code, std::string_view location, std::string context) {
    errors_.push_back(MakeError(code, std::move(context), std::string(location)));
  }

  Kind KindOf(const std::string& id) const {
    auto it = kinds_.find(id);
    return it == kinds_.end() ? Kind::kNone : it->second;
  }

  void IndexObjects() {
    auto index = [this](const std::string& id, Kind kind) {
      if (id.empty()) return;
      auto [it, inserted] = kinds_.emplace(id, kind);
      if (!inserted) {
        Add(kMetadataError, id,
            Cat("id ", Quote(id), " is used by two objects of the submission (", KindName(it->second), " and ",
                KindName(kind), "); every object needs its own id (TF-3 4.2.3.1.5)"));
      }
    };
    for (const SubmissionSet& s : submission_.submission_sets()) index(s.header().entry_uuid(), Kind::kSubmissionSet);
    for (const DocumentEntry& e : submission_.document_entries()) index(e.header().entry_uuid(), Kind::kDocumentEntry);
    for (const Folder& f : submission_.folders()) index(f.header().entry_uuid(), Kind::kFolder);
    for (const Association& a : submission_.associations()) index(a.header().entry_uuid(), Kind::kAssociation);
    // Targets of HasMember associations from the SubmissionSet (for R23 and membership).
    for (const Association& a : submission_.associations()) {
      if (a.type() == vocab::kHasMember && KindOf(a.source()) == Kind::kSubmissionSet) {
        submission_set_members_.insert(a.target());
      }
    }
  }

  // --- Per-attribute rules from the table ---------------------------------------------

  void CheckAllAttributes() {
    const auto& rules = validation::MetadataAttributeRules();
    if (!rules.ok()) {
      // Only a broken build can get here (a unit test parses the embedded table).
      Add(kRegistryError, "",
          Cat("internal: the metadata attribute table is invalid: ", std::string(rules.status().message())));
      return;
    }
    rules_ = &*rules;
    for (int i = 0; i < submission_.submission_sets_size(); ++i) {
      const SubmissionSet& s = submission_.submission_sets(i);
      CheckObject("SubmissionSet", s, s.header(), i, SubmissionSetAccessors());
    }
    for (int i = 0; i < submission_.document_entries_size(); ++i) {
      const DocumentEntry& e = submission_.document_entries(i);
      CheckObject("DocumentEntry", e, e.header(), i, DocumentEntryAccessors());
    }
    for (int i = 0; i < submission_.folders_size(); ++i) {
      const Folder& f = submission_.folders(i);
      CheckObject("Folder", f, f.header(), i, FolderAccessors());
    }
    for (int i = 0; i < submission_.associations_size(); ++i) {
      const Association& a = submission_.associations(i);
      CheckObject("Association", a, a.header(), i, AssociationAccessors());
    }
  }

  template <typename T>
  void CheckObject(std::string_view object_type, const T& object, const ObjectHeader& header, int index,
                   const AccessorMap<T>& accessors) {
    const std::string& id = header.entry_uuid();
    const std::string label = Label(object_type, id, index);
    for (const AttributeRule& rule : *rules_) {
      if (rule.object != object_type) continue;
      auto it = accessors.find(rule.attribute);
      if (it == accessors.end()) continue;  // documented in the table, no model field
      CheckAttribute(rule, it->second(object), label, id);
    }
    CheckExtraSlots(header, label, id);
  }

  void CheckAttribute(const AttributeRule& rule, const Values& values, const std::string& label,
                      const std::string& location) {
    const Optionality optionality = options_.require_repository_attributes ? rule.dr42 : rule.ds41;
    const std::string ref = Cat(" (", rule.tf_ref, ")");
    if (optionality == Optionality::kProhibited) {
      if (!values.empty()) {
        Add(kMetadataError, location,
            Cat(label, ": ", rule.attribute, " is prohibited in XDS submissions; remove it", ref));
      }
      return;
    }
    if (values.empty()) {
      if (optionality == Optionality::kRequired) {
        Add(kMetadataError, location, Cat(label, ": required attribute ", rule.attribute, " is missing", ref));
      }
      return;
    }
    if (rule.max_count >= 0 && values.size() > static_cast<size_t>(rule.max_count)) {
      Add(kMetadataError, location,
          Cat(label, ": ", rule.attribute, " has ", values.size(), " values, at most ", rule.max_count, " allowed",
              ref));
    }
    for (const FieldValue& value : values) {
      std::string problem = FormatProblem(rule, value);
      if (!problem.empty()) {
        Add(kMetadataError, location, Cat(label, ": ", rule.attribute, " ", problem, ref));
      }
      if (rule.max_length > 0 && Utf8Length(value.text) > rule.max_length) {
        Add(kMetadataError, location,
            Cat(label, ": ", rule.attribute, " is ", Utf8Length(value.text), " characters long, the limit is ",
                rule.max_length, ref));
      }
      if (!rule.allowed.empty() && !value.text.empty() &&
          std::find(rule.allowed.begin(), rule.allowed.end(), value.text) == rule.allowed.end()) {
        Add(kMetadataError, location,
            Cat(label, ": ", rule.attribute, " value ", Quote(value.text),
                " is not allowed (allowed: ", Join(rule.allowed, ", "), ")", ref));
      }
      CheckSlotLengths(rule, value, label, location);
    }
  }

  static size_t Utf8Length(std::string_view v) { return validation::Utf8Length(v); }

  // Describes what is wrong with one value ("" = nothing), phrased after the attribute name.
  std::string FormatProblem(const AttributeRule& rule, const FieldValue& v) const {
    switch (rule.type) {
      case ValueType::kDtm:
        if (!IsDtm(v.text)) {
          return Cat(Quote(v.text),
                     " is not a DTM (YYYY[MM[DD[hh[mm[ss]]]]] in UTC, digits only, "
                     "valid month/day/time)");
        }
        break;
      case ValueType::kOid:
        if (!IsOid(v.text)) {
          return Cat(Quote(v.text),
                     " is not an OID (digits and dots, no leading zeros, at most 64 "
                     "characters)");
        }
        break;
      case ValueType::kOidUrn:
        if (!validation::IsOidUrn(v.text)) return Cat(Quote(v.text), " is not urn:oid: followed by an OID");
        break;
      case ValueType::kCx:
        if (!IsCxPatientId(v.text)) {
          return Cat(Quote(v.text), " is not a patient id of the form IdNumber^^^&OID&ISO");
        }
        break;
      case ValueType::kCxLocal:
        if (!validation::IsLocalCx(v.text)) {
          return Cat(Quote(v.text),
                     " is not a CX value with an IdNumber and an assigning authority (IdNumber^^^&OID&ISO)");
        }
        break;
      case ValueType::kSha1:
        if (!IsSha1Hex(v.text)) {
          return Cat(Quote(v.text), " is not a SHA-1 hash (40 hexadecimal characters)");
        }
        break;
      case ValueType::kInteger:
        if (v.has_integer && v.integer < 0) return Cat(v.integer, " is negative; it must be >= 0");
        break;
      case ValueType::kUuid:
      case ValueType::kReference:
        if (StartsWith(v.text, kUuidPrefix) && !IsUuidUrn(v.text)) {
          return Cat(Quote(v.text), " starts with urn:uuid: but is not an RFC 4122 UUID");
        }
        break;
      case ValueType::kCode:
        if (v.code != nullptr) return CodeProblem(*v.code);
        break;
      case ValueType::kAuthor:
        if (v.author != nullptr && v.author->person().empty() && v.author->institutions().empty() &&
            v.author->telecommunications().empty()) {
          return "has an author with none of authorPerson, authorInstitution, authorTelecommunication; an "
                 "author needs at least one of them (TF-3 4.2.3.1.4)";
        }
        break;
      case ValueType::kMimeType:
        if (!validation::IsMimeType(v.text)) return Cat(Quote(v.text), " is not a MIME type (type/subtype)");
        break;
      case ValueType::kAssociationType:
        if (!IsIti42AssociationType(v.text)) {
          return Cat(Quote(v.text),
                     " is not an association type allowed in ITI-42 (full URN of HasMember, RPLC, APND, "
                     "XFRM, XFRM_RPLC, signs or IsSnapshotOf)");
        }
        break;
      default:
        break;
    }
    return "";
  }

  static std::string CodeProblem(const Code& c) {
    std::vector<std::string_view> missing;
    if (c.code().empty()) missing.push_back("code (nodeRepresentation)");
    if (c.scheme().empty()) missing.push_back("codingScheme");
    if (c.display_name().empty()) missing.push_back("display name (Name)");
    std::string problem;
    if (!missing.empty()) {
      problem = Cat(c.code().empty() ? std::string("value") : Quote(c.code()), " lacks its ", Join(missing, ", "),
                    " (TF-3 4.2.3.1.2)");
    }
    if (StartsWith(c.id(), kUuidPrefix) && !IsUuidUrn(c.id())) {
      problem += Cat(problem.empty() ? "" : "; ", "classification id ", Quote(c.id()), " is not an RFC 4122 UUID");
    }
    return problem;
  }

  // rim:Slot values are LongName (TF-3 4.2.3.1.1): the table's Slot-encoded attributes, the
  // codingScheme slot of a Code and the author sub-attribute slots.
  void CheckSlotLengths(const AttributeRule& rule, const FieldValue& v, const std::string& label,
                        const std::string& location) {
    auto check = [&](std::string_view slot, std::string_view value) {
      const size_t length = Utf8Length(value);
      if (length > options_.max_slot_value_length) {
        Add(kMetadataError, location,
            Cat(label, ": ", rule.attribute, " slot ", slot, " has a value of ", length,
                " characters; slot values are limited to ", options_.max_slot_value_length, " (TF-3 4.2.3.1.1)"));
      }
    };
    if (rule.encoding == Encoding::kSlot && !v.has_integer) check(rule.attribute, v.text);
    if (v.code != nullptr) check("codingScheme", v.code->scheme());
    if (v.author != nullptr) {
      check("authorPerson", v.author->person());
      for (const std::string& s : v.author->institutions()) check("authorInstitution", s);
      for (const std::string& s : v.author->roles()) check("authorRole", s);
      for (const std::string& s : v.author->specialties()) check("authorSpecialty", s);
      for (const std::string& s : v.author->telecommunications()) check("authorTelecommunication", s);
    }
  }

  // Extra slots are kept and returned (R21), also unknown urn:ihe: ones; only their form is checked.
  void CheckExtraSlots(const ObjectHeader& header, const std::string& label, const std::string& location) {
    std::set<std::string_view> names;
    for (const Slot& slot : header.extra_slots()) {
      if (slot.name().empty()) {
        Add(kMetadataError, location, Cat(label, ": a Slot has no name (TF-3 4.2.3.1.6)"));
      } else if (!names.insert(slot.name()).second) {
        Add(kMetadataError, location,
            Cat(label, ": Slot ", Quote(slot.name()),
                " appears twice; slot names must be unique within an object (TF-3 4.2.3.1.6)"));
      }
      for (const std::string& value : slot.values()) {
        const size_t length = Utf8Length(value);
        if (length > options_.max_slot_value_length) {
          Add(kMetadataError, location,
              Cat(label, ": Slot ", Quote(slot.name()), " has a value of ", length,
                  " characters; slot values are limited to ", options_.max_slot_value_length, " (TF-3 4.2.3.1.1)"));
        }
      }
    }
  }

  // --- Rules across attributes and objects ------------------------------------------

  // R3.
  void CheckSubmissionSetCount() {
    const int n = submission_.submission_sets_size();
    if (n != 1) {
      Add(kMetadataError, "",
          Cat("the submission contains ", n,
              " SubmissionSets; exactly one SubmissionSet is required (ITI TF-2 3.42.4.1.3)"));
    }
  }

  // R19.
  void CheckServiceTimes() {
    for (int i = 0; i < submission_.document_entries_size(); ++i) {
      const DocumentEntry& e = submission_.document_entries(i);
      const std::string start = NormalizeDtm(e.service_start_time());
      const std::string stop = NormalizeDtm(e.service_stop_time());
      if (!start.empty() && !stop.empty() && start > stop) {
        Add(kMetadataError, e.header().entry_uuid(),
            Cat(Label("DocumentEntry", e.header().entry_uuid(), i), ": serviceStartTime ",
                Quote(e.service_start_time()), " is after serviceStopTime ", Quote(e.service_stop_time()),
                " (TF-3 4.2.3.2.19)"));
      }
    }
  }

  // R6.
  void CheckUniqueIds() {
    std::map<std::string_view, std::string> first_user;
    auto check = [&](const std::string& unique_id, std::string_view type, const std::string& id, int index) {
      if (unique_id.empty()) return;
      std::string label = Label(type, id, index);
      auto [it, inserted] = first_user.emplace(unique_id, label);
      if (!inserted) {
        Add(kDuplicateUniqueIdInMessage, id,
            Cat(label, ": uniqueId ", Quote(unique_id), " is also used by ", it->second,
                " in this submission; each object needs its own uniqueId"));
      }
    };
    for (int i = 0; i < submission_.submission_sets_size(); ++i) {
      const SubmissionSet& s = submission_.submission_sets(i);
      check(s.unique_id(), "SubmissionSet", s.header().entry_uuid(), i);
    }
    for (int i = 0; i < submission_.document_entries_size(); ++i) {
      const DocumentEntry& e = submission_.document_entries(i);
      check(e.unique_id(), "DocumentEntry", e.header().entry_uuid(), i);
    }
    for (int i = 0; i < submission_.folders_size(); ++i) {
      const Folder& f = submission_.folders(i);
      check(f.unique_id(), "Folder", f.header().entry_uuid(), i);
    }
  }

  // R8: everything submitted by value belongs to the SubmissionSet's patient. (Folder members
  // and relationship ends inside the submission follow from it; the registry checks the rest.)
  void CheckPatientIds() {
    if (submission_.submission_sets_size() != 1) return;
    const std::string& expected = submission_.submission_sets(0).patient_id();
    if (expected.empty()) return;
    auto check = [&](const std::string& patient_id, std::string_view type, const std::string& id, int index) {
      if (patient_id.empty() || patient_id == expected) return;
      Add(kPatientIdDoesNotMatch, id,
          Cat(Label(type, id, index), ": patientId ", Quote(patient_id), " differs from the SubmissionSet patientId ",
              Quote(expected), "; all objects of a submission must belong to the same patient"));
    };
    for (int i = 0; i < submission_.document_entries_size(); ++i) {
      const DocumentEntry& e = submission_.document_entries(i);
      check(e.patient_id(), "DocumentEntry", e.header().entry_uuid(), i);
    }
    for (int i = 0; i < submission_.folders_size(); ++i) {
      const Folder& f = submission_.folders(i);
      check(f.patient_id(), "Folder", f.header().entry_uuid(), i);
    }
  }

  void CheckAssociations() {
    for (int i = 0; i < submission_.associations_size(); ++i) {
      const Association& a = submission_.associations(i);
      const std::string& id = a.header().entry_uuid();
      const std::string label = Label("Association", id, i);
      // Symbolic ids exist only inside this message (TF-3 4.2.3.1.5).
      bool resolved = true;
      for (const auto& [end, value] : {std::pair<std::string_view, const std::string*>{"sourceObject", &a.source()},
                                       {"targetObject", &a.target()}}) {
        if (value->empty() || KindOf(*value) != Kind::kNone || StartsWith(*value, kUuidPrefix)) continue;
        resolved = false;
        Add(kUnresolvedReference, id,
            Cat(label, ": ", end, " ", Quote(*value),
                " is a symbolic id that names no object of this submission; use the id of a submitted "
                "object or the urn:uuid: of a registered one"));
      }
      if (!resolved || a.source().empty() || a.target().empty()) continue;
      if (a.type() == vocab::kHasMember) {
        CheckHasMember(a, label);
      } else if (IsRelationshipType(a.type())) {
        CheckRelationship(a, label);
      }
    }
  }

  // TF-3 4.2.2.1: SS->DE, SS->Folder, SS->(FD-DE association), Folder->DE.
  void CheckHasMember(const Association& a, const std::string& label) {
    const std::string& id = a.header().entry_uuid();
    if (a.documentation_size() > 0) {
      Add(kMetadataError, id,
          Cat(label,
              ": a HasMember association must not carry the association documentation "
              "classification (TF-3 4.2.2)"));
    }
    const Kind source = KindOf(a.source());
    const Kind target = KindOf(a.target());
    const std::string& status = a.submission_set_status();
    if (source == Kind::kSubmissionSet) {
      if (target == Kind::kDocumentEntry && status.empty()) {
        Add(kMetadataError, id,
            Cat(label, ": HasMember from the SubmissionSet to DocumentEntry ", Quote(a.target()),
                " lacks the SubmissionSetStatus slot (Original or Reference) (TF-3 4.2.2.1.1)"));
      }
      // On SS->Folder and SS->(Folder membership) the slot is neither required nor forbidden
      // (TF-3 4.2.2.1.2, 4.2.2.1.4) and several SDKs send Original on every HasMember:
      // accepted and ignored there.
      if (status == kOriginal && target == Kind::kNone) {
        Add(kMetadataError, id,
            Cat(label, ": SubmissionSetStatus is Original but targetObject ", Quote(a.target()),
                " is not a DocumentEntry of this submission; use Reference for a registered "
                "DocumentEntry (TF-3 4.2.2.1.1)"));
      }
      if (status == kReference && target == Kind::kDocumentEntry) {
        Add(kMetadataError, id,
            Cat(label, ": SubmissionSetStatus is Reference but DocumentEntry ", Quote(a.target()),
                " is submitted in this message; use Original (TF-3 4.2.2.1.1)"));
      }
      if (target == Kind::kSubmissionSet) {
        Add(kMetadataError, id,
            Cat(label, ": HasMember from a SubmissionSet to a SubmissionSet is not allowed (TF-3 4.2.2.1)"));
      }
      return;
    }
    if (source == Kind::kFolder || (source == Kind::kNone && StartsWith(a.source(), kUuidPrefix))) {
      // Folder membership: the source is a submitted Folder or (by its urn:uuid:) a registered one.
      if (target != Kind::kDocumentEntry && target != Kind::kNone) {
        Add(kMetadataError, id,
            Cat(label, ": HasMember from Folder ", Quote(a.source()), " must target a DocumentEntry, not ",
                KindName(target), " ", Quote(a.target()), " (TF-3 4.2.2.1.2)"));
        return;
      }
      if (id.empty() || submission_set_members_.count(id) == 0) {
        Add(kMetadataError, id,
            Cat(label, ": Folder membership of ", Quote(a.target()), " in Folder ", Quote(a.source()),
                " must be accompanied by a HasMember association from the SubmissionSet to this "
                "association (TF-3 4.2.2.1.3)"));
      }
      return;
    }
    Add(kMetadataError, id,
        Cat(label, ": HasMember source ", Quote(a.source()), " is a ", KindName(source),
            "; it must be the SubmissionSet or a Folder (TF-3 4.2.2.1)"));
  }

  // R10, R11 (the part decidable without the registry).
  void CheckRelationship(const Association& a, const std::string& label) {
    const std::string& id = a.header().entry_uuid();
    const std::string_view type = ShortType(a.type());
    if (KindOf(a.source()) != Kind::kDocumentEntry) {
      Add(kUnresolvedReference, id,
          Cat(label, ": sourceObject ", Quote(a.source()), " of the ", type,
              " association must be a DocumentEntry submitted in this message (ITI TF-2 3.42.4.1.3)"));
    }
    const Kind target = KindOf(a.target());
    if (TargetMustBeRegistered(a.type()) && target != Kind::kNone) {
      Add(kUnresolvedReference, id,
          Cat(label, ": targetObject ", Quote(a.target()), " of the ", type,
              " association must be a DocumentEntry already in the registry, not an object of this "
              "submission (ITI TF-2 3.42.4.1.3)"));
    } else if (target != Kind::kNone && target != Kind::kDocumentEntry) {
      Add(kUnresolvedReference, id,
          Cat(label, ": targetObject ", Quote(a.target()), " of the ", type, " association is a ", KindName(target),
              "; it must be a DocumentEntry"));
    }
  }

  // Every DocumentEntry and Folder submitted by value is a member of the SubmissionSet (TF-3 4.2.2.1.1, 4.2.2.1.2).
  void CheckMembership() {
    if (submission_.submission_sets_size() != 1) return;
    for (int i = 0; i < submission_.document_entries_size(); ++i) {
      const std::string& id = submission_.document_entries(i).header().entry_uuid();
      if (id.empty() || submission_set_members_.count(id) > 0) continue;
      Add(kMetadataError, id,
          Cat(Label("DocumentEntry", id, i),
              " is not a member of the SubmissionSet; add a HasMember association from the "
              "SubmissionSet with SubmissionSetStatus Original (TF-3 4.2.2.1.1)"));
    }
    for (int i = 0; i < submission_.folders_size(); ++i) {
      const std::string& id = submission_.folders(i).header().entry_uuid();
      if (id.empty() || submission_set_members_.count(id) > 0) continue;
      Add(kMetadataError, id,
          Cat(Label("Folder", id, i),
              " is not a member of the SubmissionSet; add a HasMember association from the "
              "SubmissionSet to it (TF-3 4.2.2.1.2)"));
    }
  }

  // rim:ObjectRef points at registered objects, which always have UUID ids.
  void CheckObjectRefs() {
    for (const std::string& ref : submission_.object_refs()) {
      if (!IsUuidUrn(ref)) {
        Add(kMetadataError, ref,
            Cat("ObjectRef ", Quote(ref),
                " is not a urn:uuid: id; an ObjectRef must name a registered "
                "object (TF-3 4.2.3.1.5)"));
      }
    }
  }

  const Submission& submission_;
  const ValidationOptions& options_;
  const std::vector<AttributeRule>* rules_ = nullptr;
  std::map<std::string, Kind> kinds_;
  std::set<std::string> submission_set_members_;
  std::vector<RegistryError> errors_;
};

}  // namespace

std::vector<RegistryError> ValidateSubmission(const Submission& submission, const ValidationOptions& options) {
  return Validator(submission, options).Run();
}

std::vector<std::string> ExternalReferences(const Submission& submission) {
  std::set<std::string_view> own;
  for (const SubmissionSet& s : submission.submission_sets()) own.insert(s.header().entry_uuid());
  for (const DocumentEntry& e : submission.document_entries()) own.insert(e.header().entry_uuid());
  for (const Folder& f : submission.folders()) own.insert(f.header().entry_uuid());
  for (const Association& a : submission.associations()) own.insert(a.header().entry_uuid());
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  for (const Association& a : submission.associations()) {
    for (const std::string* ref : {&a.source(), &a.target()}) {
      if (!StartsWith(*ref, kUuidPrefix) || own.count(*ref) > 0) continue;
      if (seen.insert(*ref).second) out.push_back(*ref);
    }
  }
  return out;
}

}  // namespace xds
