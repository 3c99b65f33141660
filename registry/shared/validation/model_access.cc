#include "registry/shared/validation/model_access.h"

#include <string>

namespace xds::validation {
namespace {

Values Text(const std::string& s) {
  if (s.empty()) return {};
  return {FieldValue{s}};
}

Values Texts(const google::protobuf::RepeatedPtrField<std::string>& list) {
  Values out;
  for (const std::string& s : list) {
    if (!s.empty()) out.push_back(FieldValue{s});
  }
  return out;
}

bool IsCodePresent(const Code& c) { return !c.code().empty() || !c.scheme().empty() || !c.display_name().empty(); }

Values CodeValue(const Code& c) {
  if (!IsCodePresent(c)) return {};
  FieldValue v;
  v.text = c.code();
  v.code = &c;
  return {v};
}

Values CodeValues(const google::protobuf::RepeatedPtrField<Code>& list) {
  Values out;
  for (const Code& c : list) {
    Values one = CodeValue(c);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

// Every author counts, also an empty one: an author without person, institution or telecom
// is exactly what the format check has to report.
Values AuthorValues(const google::protobuf::RepeatedPtrField<Author>& list) {
  Values out;
  for (const Author& a : list) {
    FieldValue v;
    v.text = a.person();
    v.author = &a;
    out.push_back(v);
  }
  return out;
}

Values Flag(bool set) {
  if (!set) return {};
  return {FieldValue{"true"}};
}

Values Status(AvailabilityStatus status) {
  if (status == AVAILABILITY_STATUS_UNSPECIFIED) return {};
  return {FieldValue{AvailabilityStatus_Name(status)}};
}

// Attributes that live in ObjectHeader, the same for DocumentEntry, SubmissionSet and Folder.
template <typename T>
void AddHeaderAccessors(AccessorMap<T>* map) {
  map->emplace(
      "entryUUID", +[](const T& o) { return Text(o.header().entry_uuid()); });
  map->emplace(
      "availabilityStatus", +[](const T& o) { return Status(o.header().status()); });
  map->emplace(
      "comments", +[](const T& o) { return Text(o.header().comments()); });
  map->emplace(
      "homeCommunityId", +[](const T& o) { return Text(o.header().home()); });
  map->emplace(
      "title", +[](const T& o) { return Text(o.header().title()); });
  map->emplace(
      "patientId", +[](const T& o) { return Text(o.patient_id()); });
  map->emplace(
      "uniqueId", +[](const T& o) { return Text(o.unique_id()); });
  map->emplace(
      "limitedMetadata", +[](const T& o) { return Flag(o.limited_metadata()); });
}

}  // namespace

const AccessorMap<DocumentEntry>& DocumentEntryAccessors() {
  static const auto* const kMap = [] {
    using E = DocumentEntry;
    auto* m = new AccessorMap<E>{
        {"author", +[](const E& e) { return AuthorValues(e.authors()); }},
        {"classCode", +[](const E& e) { return CodeValue(e.class_code()); }},
        {"confidentialityCode", +[](const E& e) { return CodeValues(e.confidentiality_codes()); }},
        {"creationTime", +[](const E& e) { return Text(e.creation_time()); }},
        {"eventCodeList", +[](const E& e) { return CodeValues(e.event_codes()); }},
        {"formatCode", +[](const E& e) { return CodeValue(e.format_code()); }},
        {"hash", +[](const E& e) { return Text(e.hash()); }},
        {"healthcareFacilityTypeCode", +[](const E& e) { return CodeValue(e.healthcare_facility_type_code()); }},
        {"languageCode", +[](const E& e) { return Text(e.language_code()); }},
        {"legalAuthenticator", +[](const E& e) { return Text(e.legal_authenticator()); }},
        {"mimeType", +[](const E& e) { return Text(e.mime_type()); }},
        {"objectType",
         +[](const E& e) -> Values {
           switch (e.type()) {
             case STABLE:
               return {FieldValue{"Stable"}};
             case ON_DEMAND:
               return {FieldValue{"OnDemand"}};
             default:
               return {};
           }
         }},
        {"practiceSettingCode", +[](const E& e) { return CodeValue(e.practice_setting_code()); }},
        {"referenceIdList", +[](const E& e) { return Texts(e.reference_ids()); }},
        {"repositoryUniqueId", +[](const E& e) { return Text(e.repository_unique_id()); }},
        {"serviceStartTime", +[](const E& e) { return Text(e.service_start_time()); }},
        {"serviceStopTime", +[](const E& e) { return Text(e.service_stop_time()); }},
        {"size",
         +[](const E& e) -> Values {
           if (!e.has_size()) return {};
           FieldValue v;
           v.has_integer = true;
           v.integer = e.size();
           return {v};
         }},
        {"sourcePatientId", +[](const E& e) { return Text(e.source_patient_id()); }},
        {"sourcePatientInfo", +[](const E& e) { return Texts(e.source_patient_info()); }},
        {"typeCode", +[](const E& e) { return CodeValue(e.type_code()); }},
        {"URI", +[](const E& e) { return Text(e.uri()); }},
        {"documentAvailability", +[](const E& e) { return Text(e.document_availability()); }},
    };
    AddHeaderAccessors(m);
    return m;
  }();
  return *kMap;
}

const AccessorMap<SubmissionSet>& SubmissionSetAccessors() {
  static const auto* const kMap = [] {
    using S = SubmissionSet;
    auto* m = new AccessorMap<S>{
        {"author", +[](const S& s) { return AuthorValues(s.authors()); }},
        {"contentTypeCode", +[](const S& s) { return CodeValue(s.content_type_code()); }},
        {"intendedRecipient", +[](const S& s) { return Texts(s.intended_recipients()); }},
        {"sourceId", +[](const S& s) { return Text(s.source_id()); }},
        {"submissionTime", +[](const S& s) { return Text(s.submission_time()); }},
    };
    AddHeaderAccessors(m);
    return m;
  }();
  return *kMap;
}

const AccessorMap<Folder>& FolderAccessors() {
  static const auto* const kMap = [] {
    using F = Folder;
    auto* m = new AccessorMap<F>{
        {"codeList", +[](const F& f) { return CodeValues(f.codes()); }},
        {"lastUpdateTime", +[](const F& f) { return Text(f.last_update_time()); }},
    };
    AddHeaderAccessors(m);
    return m;
  }();
  return *kMap;
}

const AccessorMap<Association>& AssociationAccessors() {
  static const auto* const kMap = [] {
    using A = Association;
    return new AccessorMap<A>{
        {"entryUUID", +[](const A& a) { return Text(a.header().entry_uuid()); }},
        {"associationType", +[](const A& a) { return Text(a.type()); }},
        {"sourceObject", +[](const A& a) { return Text(a.source()); }},
        {"targetObject", +[](const A& a) { return Text(a.target()); }},
        {"SubmissionSetStatus", +[](const A& a) { return Text(a.submission_set_status()); }},
        {"associationDocumentation", +[](const A& a) { return CodeValues(a.documentation()); }},
    };
  }();
  return *kMap;
}

}  // namespace xds::validation
