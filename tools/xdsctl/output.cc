#include "tools/xdsctl/output.h"

#include <algorithm>
#include <cstdio>

namespace xds::ctl {

Json Json::Str(std::string s) {
  Json j;
  j.kind_ = Kind::kString;
  j.string_ = std::move(s);
  return j;
}
Json Json::Int(int64_t v) {
  Json j;
  j.kind_ = Kind::kInt;
  j.int_ = v;
  return j;
}
Json Json::Bool(bool v) {
  Json j;
  j.kind_ = Kind::kBool;
  j.bool_ = v;
  return j;
}
Json Json::Array() {
  Json j;
  j.kind_ = Kind::kArray;
  return j;
}
Json Json::Object() {
  Json j;
  j.kind_ = Kind::kObject;
  return j;
}

Json& Json::Set(const std::string& key, Json value) {
  kind_ = Kind::kObject;
  members_.emplace_back(key, std::move(value));
  return *this;
}

Json& Json::Push(Json value) {
  kind_ = Kind::kArray;
  items_.push_back(std::move(value));
  return *this;
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Json::Dump() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return bool_ ? "true" : "false";
    case Kind::kInt:
      return std::to_string(int_);
    case Kind::kString:
      return JsonQuote(string_);
    case Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < items_.size(); ++i) out += (i ? "," : "") + items_[i].Dump();
      return out + "]";
    }
    case Kind::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < members_.size(); ++i) {
        out += (i ? "," : "") + JsonQuote(members_[i].first) + ":" + members_[i].second.Dump();
      }
      return out + "}";
    }
  }
  return "null";
}

namespace {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 lead bytes
  return n;
}

// Cells never break the table: newlines and tabs become spaces.
std::string Flatten(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& c : cells) c = Flatten(std::move(c));
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> width(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) width[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string StatusName(AvailabilityStatus status) {
  switch (status) {
    case APPROVED:
      return "Approved";
    case DEPRECATED:
      return "Deprecated";
    default:
      return "";
  }
}

std::string CodeText(const Code& code) {
  if (code.code().empty() && code.scheme().empty()) return "";
  return code.code() + "^^" + code.scheme();
}

std::string ShortAssociationType(const std::string& urn) {
  size_t colon = urn.rfind(':');
  return colon == std::string::npos ? urn : urn.substr(colon + 1);
}

namespace {

void SetIf(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j.Set(key, Json::Str(value));
}

Json Strings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  Json a = Json::Array();
  for (const auto& v : values) a.Push(Json::Str(v));
  return a;
}

Json Authors(const google::protobuf::RepeatedPtrField<Author>& authors) {
  Json a = Json::Array();
  for (const Author& au : authors) {
    Json j = Json::Object();
    SetIf(j, "authorPerson", au.person());
    j.Set("authorInstitution", Strings(au.institutions()));
    j.Set("authorRole", Strings(au.roles()));
    j.Set("authorSpecialty", Strings(au.specialties()));
    j.Set("authorTelecommunication", Strings(au.telecommunications()));
    a.Push(std::move(j));
  }
  return a;
}

Json Codes(const google::protobuf::RepeatedPtrField<Code>& codes) {
  Json a = Json::Array();
  for (const Code& c : codes) a.Push(CodeJson(c));
  return a;
}

// entryUUID, logicalID, version, availabilityStatus, homeCommunityId, title, comments.
void Header(Json& j, const ObjectHeader& h) {
  j.Set("entryUUID", Json::Str(h.entry_uuid()));
  SetIf(j, "logicalID", h.logical_id());
  SetIf(j, "version", h.version());
  j.Set("availabilityStatus", Json::Str(StatusName(h.status())));
  SetIf(j, "homeCommunityId", h.home());
  SetIf(j, "title", h.title());
  SetIf(j, "comments", h.comments());
}

}  // namespace

Json CodeJson(const Code& code) {
  Json j = Json::Object();
  j.Set("code", Json::Str(code.code()));
  j.Set("codingScheme", Json::Str(code.scheme()));
  SetIf(j, "displayName", code.display_name());
  return j;
}

Json DocumentEntryJson(const DocumentEntry& de) {
  Json j = Json::Object();
  j.Set("objectKind", Json::Str("DocumentEntry"));
  Header(j, de.header());
  j.Set("uniqueId", Json::Str(de.unique_id()));
  j.Set("patientId", Json::Str(de.patient_id()));
  j.Set("objectType", Json::Str(de.type() == ON_DEMAND ? "OnDemand" : "Stable"));
  SetIf(j, "mimeType", de.mime_type());
  if (de.has_class_code()) j.Set("classCode", CodeJson(de.class_code()));
  if (de.has_type_code()) j.Set("typeCode", CodeJson(de.type_code()));
  if (de.has_format_code()) j.Set("formatCode", CodeJson(de.format_code()));
  if (de.has_healthcare_facility_type_code()) {
    j.Set("healthcareFacilityTypeCode", CodeJson(de.healthcare_facility_type_code()));
  }
  if (de.has_practice_setting_code()) j.Set("practiceSettingCode", CodeJson(de.practice_setting_code()));
  j.Set("confidentialityCode", Codes(de.confidentiality_codes()));
  j.Set("eventCodeList", Codes(de.event_codes()));
  j.Set("author", Authors(de.authors()));
  SetIf(j, "creationTime", de.creation_time());
  SetIf(j, "serviceStartTime", de.service_start_time());
  SetIf(j, "serviceStopTime", de.service_stop_time());
  SetIf(j, "languageCode", de.language_code());
  SetIf(j, "sourcePatientId", de.source_patient_id());
  SetIf(j, "legalAuthenticator", de.legal_authenticator());
  SetIf(j, "hash", de.hash());
  if (de.has_size()) j.Set("size", Json::Int(de.size()));
  SetIf(j, "repositoryUniqueId", de.repository_unique_id());
  SetIf(j, "URI", de.uri());
  if (de.reference_ids_size()) j.Set("referenceIdList", Strings(de.reference_ids()));
  return j;
}

Json SubmissionSetJson(const SubmissionSet& ss) {
  Json j = Json::Object();
  j.Set("objectKind", Json::Str("SubmissionSet"));
  Header(j, ss.header());
  j.Set("uniqueId", Json::Str(ss.unique_id()));
  j.Set("patientId", Json::Str(ss.patient_id()));
  SetIf(j, "sourceId", ss.source_id());
  SetIf(j, "submissionTime", ss.submission_time());
  if (ss.has_content_type_code()) j.Set("contentTypeCode", CodeJson(ss.content_type_code()));
  j.Set("author", Authors(ss.authors()));
  j.Set("intendedRecipient", Strings(ss.intended_recipients()));
  return j;
}

Json FolderJson(const Folder& fd) {
  Json j = Json::Object();
  j.Set("objectKind", Json::Str("Folder"));
  Header(j, fd.header());
  j.Set("uniqueId", Json::Str(fd.unique_id()));
  j.Set("patientId", Json::Str(fd.patient_id()));
  SetIf(j, "lastUpdateTime", fd.last_update_time());
  j.Set("codeList", Codes(fd.codes()));
  return j;
}

Json AssociationJson(const Association& as) {
  Json j = Json::Object();
  j.Set("entryUUID", Json::Str(as.header().entry_uuid()));
  j.Set("associationType", Json::Str(as.type()));
  j.Set("sourceObject", Json::Str(as.source()));
  j.Set("targetObject", Json::Str(as.target()));
  j.Set("availabilityStatus", Json::Str(StatusName(as.header().status())));
  SetIf(j, "submissionSetStatus", as.submission_set_status());
  return j;
}

}  // namespace xds::ctl
