#include "tools/xdsctl/submission_builder.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/ebrim/vocabulary.h"

namespace xds::ctl {
namespace {

absl::StatusOr<Code> ParseCode(const std::string& text, const char* flag) {
  size_t sep = text.find("^^");
  if (sep == std::string::npos || sep == 0 || sep + 2 >= text.size()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " wants CODE^^CODINGSCHEME; got '", text, "'"));
  }
  Code c;
  c.set_code(text.substr(0, sep));
  std::string rest = text.substr(sep + 2);
  // CODE^^SCHEME^^Display name is accepted too.
  size_t sep2 = rest.find("^^");
  c.set_scheme(rest.substr(0, sep2));
  c.set_display_name(sep2 == std::string::npos ? c.code() : rest.substr(sep2 + 2));
  return c;
}

}  // namespace

std::string NewUuidOid() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(std::time(nullptr)));
  unsigned __int128 v = (static_cast<unsigned __int128>(rng()) << 64) | rng();
  // RFC 4122 version 4 / variant bits, so the number is a real UUID's value.
  v &= ~(static_cast<unsigned __int128>(0xF) << 76);
  v |= static_cast<unsigned __int128>(0x4) << 76;
  v &= ~(static_cast<unsigned __int128>(0x3) << 62);
  v |= static_cast<unsigned __int128>(0x2) << 62;
  std::string digits;
  while (v > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return "2.25." + (digits.empty() ? std::string("0") : digits);
}

std::string GuessMimeType(const std::string& file_name) {
  std::string ext = absl::AsciiStrToLower(std::filesystem::path(file_name).extension().string());
  static const std::pair<const char*, const char*> kTypes[] = {
      {".pdf", "application/pdf"}, {".xml", "text/xml"},   {".txt", "text/plain"},  {".json", "application/json"},
      {".html", "text/html"},      {".htm", "text/html"},  {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},
      {".png", "image/png"},       {".tif", "image/tiff"}, {".tiff", "image/tiff"}, {".dcm", "application/dicom"},
      {".rtf", "text/rtf"},        {".csv", "text/csv"},
  };
  for (const auto& [e, type] : kTypes)
    if (ext == e) return type;
  return "application/octet-stream";
}

std::string NowDtm() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
  return buf;
}

SubmissionSet* AddSubmissionSet(Submission* submission, const std::string& patient_id, const Code& content_type,
                                const std::string& title, const std::string& source_id) {
  SubmissionSet* ss = submission->add_submission_sets();
  ss->mutable_header()->set_entry_uuid("SubmissionSet01");
  ss->mutable_header()->set_title(title);
  ss->set_patient_id(patient_id);
  ss->set_unique_id(NewUuidOid());
  ss->set_source_id(source_id);
  ss->set_submission_time(NowDtm());
  *ss->mutable_content_type_code() = content_type;
  return ss;
}

absl::StatusOr<BuiltSubmission> BuildSubmission(const std::vector<std::string>& files, const SubmitOptions& o) {
  if (files.empty()) return absl::InvalidArgumentError("submit needs at least one FILE");
  if (o.patient_id.empty()) return absl::InvalidArgumentError("submit needs --patient 'ID^^^&OID&ISO'");
  if (o.class_code.empty()) return absl::InvalidArgumentError("submit needs --class CODE^^CODINGSCHEME");
  auto class_code = ParseCode(o.class_code, "--class");
  if (!class_code.ok()) return class_code.status();
  auto type_code = ParseCode(o.type_code.empty() ? o.class_code : o.type_code, "--type");
  if (!type_code.ok()) return type_code.status();
  auto format_code = ParseCode(o.format_code, "--format-code");
  if (!format_code.ok()) return format_code.status();
  auto hcft = ParseCode(o.healthcare_facility_type_code, "--hcft");
  if (!hcft.ok()) return hcft.status();
  auto practice = ParseCode(o.practice_setting_code, "--practice");
  if (!practice.ok()) return practice.status();
  auto confidentiality = ParseCode(o.confidentiality_code, "--confidentiality");
  if (!confidentiality.ok()) return confidentiality.status();
  std::vector<Code> event_codes;
  for (const std::string& text : o.event_codes) {
    auto code = ParseCode(text, "--event-code");
    if (!code.ok()) return code.status();
    event_codes.push_back(*code);
  }
  auto content_type = ParseCode(o.content_type_code.empty() ? o.class_code : o.content_type_code, "--content-type");
  if (!content_type.ok()) return content_type.status();
  const std::string now = NowDtm();
  const std::string creation_time = o.creation_time.empty() ? now : o.creation_time;

  BuiltSubmission out;
  out.files = files;
  Submission& sub = out.submission;
  SubmissionSet* ss =
      AddSubmissionSet(&sub, o.patient_id, *content_type,
                       files.size() == 1 && !o.title.empty() ? o.title : "Submitted with xdsctl", o.source_id);
  if (!o.author_person.empty()) ss->add_authors()->set_person(o.author_person);

  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    if (!in) return absl::InvalidArgumentError("cannot read " + files[i]);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return absl::InvalidArgumentError("cannot read " + files[i]);

    std::string id = absl::StrCat("Document", i + 1 < 10 ? "0" : "", i + 1);
    DocumentEntry* de = sub.add_document_entries();
    de->mutable_header()->set_entry_uuid(id);
    de->mutable_header()->set_title(o.title.empty() ? std::filesystem::path(files[i]).filename().string() : o.title);
    de->set_type(STABLE);
    de->set_mime_type(o.mime_type.empty() ? GuessMimeType(files[i]) : o.mime_type);
    de->set_patient_id(o.patient_id);
    de->set_source_patient_id(o.source_patient_id.empty() ? o.patient_id : o.source_patient_id);
    de->set_unique_id(NewUuidOid());
    de->set_creation_time(creation_time);
    de->set_language_code(o.language_code);
    *de->mutable_class_code() = *class_code;
    *de->mutable_type_code() = *type_code;
    *de->mutable_format_code() = *format_code;
    *de->mutable_healthcare_facility_type_code() = *hcft;
    *de->mutable_practice_setting_code() = *practice;
    *de->add_confidentiality_codes() = *confidentiality;
    for (const Code& code : event_codes) *de->add_event_codes() = code;
    if (!o.author_person.empty()) de->add_authors()->set_person(o.author_person);

    Association* as = sub.add_associations();
    as->mutable_header()->set_entry_uuid(absl::StrCat("Association", i + 1 < 10 ? "0" : "", i + 1));
    as->set_type(vocab::kHasMember);
    as->set_source("SubmissionSet01");
    as->set_target(id);
    as->set_submission_set_status("Original");

    out.documents.push_back({id, bytes.str(), de->mime_type()});
  }
  return out;
}

}  // namespace xds::ctl
