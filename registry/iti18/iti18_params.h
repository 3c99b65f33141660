// ITI-18 Registry Stored Query: the stored queries' parameter tables (ITI TF-2
// 3.18.4.1.2.3.7) and the decoding of parameter values in the TF's coding style
// (3.18.4.1.2.3.3 - 3.18.4.1.2.3.6). Internal to the registry; the queries themselves are
// answered in iti18_stored_query.cc.
#ifndef XDS_REGISTRY_ITI18_ITI18_PARAMS_H_
#define XDS_REGISTRY_ITI18_ITI18_PARAMS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/store/metadata_store.h"

namespace xds::iti18 {

enum class QueryKind {
  kFindDocuments,
  kFindDocumentsByReferenceId,
  kFindSubmissionSets,
  kFindFolders,
  kGetAll,
  kGetDocuments,
  kGetFolders,
  kGetAssociations,
  kGetDocumentsAndAssociations,
  kGetSubmissionSets,
  kGetSubmissionSetAndContents,
  kGetFolderAndContents,
  kGetFoldersForDocument,
  kGetRelatedDocuments,
};

// How a parameter may be given. kSingle: one value ("—" in the TF tables). kList: one Slot
// holding a list (OR). kAndOr: the Slot may repeat; values inside one Slot are ORed, the
// Slots are ANDed (TF-2 3.18.4.1.2.3.5).
enum class Arity { kSingle, kList, kAndOr };

struct ParamSpec {
  const char* name;
  bool required;
  Arity arity;
};

struct QuerySpec {
  const char* uuid;
  const char* name;
  QueryKind kind;
  std::vector<ParamSpec> params;
  // Exactly one of each pair must be given: both is XDSStoredQueryParamNumber, neither is
  // XDSStoredQueryMissingParam.
  std::vector<std::pair<const char*, const char*>> either_or;
  // LeafClass answers must not span several patients (XDSResultNotSinglePatient).
  bool single_patient_leaf_class = false;
};

// The spec of the stored query `query_id` (surrounding whitespace ignored: anyURI collapses
// it, and the IHE sample sends id=" urn:uuid:... "), or nullptr when unknown.
const QuerySpec* FindQuerySpec(absl::string_view query_id);
const std::vector<QuerySpec>& QuerySpecs();

// Decodes one rim:Value: 'text' (a quote inside doubled), "text", an unquoted number or
// string (some samples send patient ids so), or a list ('a','b',...) whose items are any of those. Appends the items to
// `out`. Returns false when the value is malformed (unbalanced quotes or parentheses, text between items, a list
// separator outside a list).
bool DecodeValue(absl::string_view raw, std::vector<std::string>* out);

// A coded query value `code^^scheme` (HL7 CE components 1 and 3, both required: TF-2
// 3.18.4.1.2.3.4); a full CE `code^text^scheme` is read the same way. False when malformed,
// e.g. a bare code (NIST test 11897/old_scheme expects those refused).
bool ParseCode(const std::string& value, CodeRef* out);

// The decoded parameters of one request, with every problem found while decoding.
class Params {
 public:
  // True when the parameter was given with at least one value.
  bool Has(const std::string& name) const;
  // All values of all Slots of `name` (OR).
  std::vector<std::string> List(const std::string& name) const;
  // The values of each Slot of `name` separately (AND of ORs).
  std::vector<std::vector<std::string>> Groups(const std::string& name) const;
  std::string Single(const std::string& name) const;

  // Typed readers; problems are appended to errors().
  std::vector<CodeRef> Codes(const std::string& name);
  std::vector<std::vector<CodeRef>> AndOrCodes(const std::string& name);
  // Unknown status values are ignored; when the parameter was given but none is understood
  // it counts as missing (TF-2 3.18.4.1.2.3.6).
  std::vector<AvailabilityStatus> Statuses(const std::string& name);
  // $XDSDocumentEntryType: Stable when absent or when no value is understood.
  std::vector<DocumentEntryType> Types();
  // A DTM bound normalised to 14 digits, "" when absent.
  std::string Time(const std::string& name);

  std::vector<RegistryError>& errors() { return errors_; }

 private:
  friend Params DecodeParams(const StoredQueryRequest& request, const QuerySpec& spec);
  // slot name -> one entry per Slot, each the decoded values of all its rim:Value elements.
  std::map<std::string, std::vector<std::vector<std::string>>> slots_;
  std::vector<RegistryError> errors_;
};

// Decodes the parameters `spec` knows (others are ignored) and checks their presence and
// number (TF-2 3.18.4.1.3).
Params DecodeParams(const StoredQueryRequest& request, const QuerySpec& spec);

}  // namespace xds::iti18

#endif  // XDS_REGISTRY_ITI18_ITI18_PARAMS_H_
