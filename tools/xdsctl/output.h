// xdsctl output: aligned tables for people, JSON for scripts. The JSON field names are the
// ITI TF-3 attribute names in camelCase (entryUUID, uniqueId, classCode, ...) and are part
// of xdsctl's stable interface (see `xdsctl --help` and README.md).
#ifndef XDS_TOOLS_XDSCTL_OUTPUT_H_
#define XDS_TOOLS_XDSCTL_OUTPUT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proto/xds_metadata.pb.h"

namespace xds::ctl {

// A JSON value that keeps object keys in insertion order (stable output).
class Json {
 public:
  enum class Kind { kNull, kBool, kInt, kString, kArray, kObject };
  Json() = default;
  static Json Str(std::string s);
  static Json Int(int64_t v);
  static Json Bool(bool v);
  static Json Array();
  static Json Object();

  Json& Set(const std::string& key, Json value);  // object member (appended)
  Json& Push(Json value);                         // array element
  Kind kind() const { return kind_; }
  size_t size() const { return kind_ == Kind::kArray ? items_.size() : members_.size(); }

  std::string Dump() const;  // compact, UTF-8 passed through, control characters escaped

 private:
  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

std::string JsonQuote(const std::string& s);

// Columns padded to their widest cell (in UTF-8 code points), two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Model objects in the stable JSON form.
Json CodeJson(const Code& code);  // {"code","codingScheme","displayName"}
Json DocumentEntryJson(const DocumentEntry& de);
Json SubmissionSetJson(const SubmissionSet& ss);
Json FolderJson(const Folder& fd);
Json AssociationJson(const Association& as);

// Short readable forms for tables.
std::string StatusName(AvailabilityStatus status);         // Approved | Deprecated | ""
std::string CodeText(const Code& code);                    // CODE^^SCHEME
std::string ShortAssociationType(const std::string& urn);  // HasMember, RPLC, ...

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_OUTPUT_H_
