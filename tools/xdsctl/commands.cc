#include "tools/xdsctl/commands.h"
#include "xds-schemas/error_codes.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "registry/policy/consent_subject.h"
#include "registry/shared/ebrim/vocabulary.h"
#include "registry/shared/xua/assertion.h"
#include "tools/pki/pki.h"
#include "tools/xdsctl/args.h"
#include "tools/xdsctl/audit_output.h"
#include "tools/xdsctl/backend.h"
#include "tools/xdsctl/output.h"
#include "tools/xdsctl/queries.h"
#include "tools/xdsctl/restore.h"
#include "tools/xdsctl/submission_builder.h"

namespace xds::ctl {
namespace {

constexpr char kDefaultRegistryGrpc[] = "127.0.0.1:8011";

const std::set<std::string> kGlobalFlags = {"registry-grpc", "registry",   "repository-grpc", "repository", "transport",
                                            "format",        "timeout-ms", "tls-ca",          "tls-cert",   "tls-key",
                                            "data",          "help"};

struct VerbSpec {
  const char* name;
  const char* synopsis;
  const char* description;
  const char* example;
  std::set<std::string> flags;
};

const std::vector<VerbSpec>& Verbs() {
  static const auto* verbs = new std::vector<VerbSpec>{
      {"patient",
       "patient add ID | patient list | patient show ID",
       "The registry's patient index. add admits a patient id (CX ID^^^&OID&ISO of the affinity domain);\n"
       "list shows the admitted ids (gRPC only); show counts the patient's DocumentEntries (approved,\n"
       "deprecated), SubmissionSets and Folders, and which ids the patient identity feed merged into which\n"
       "(mergedInto, mergedFrom; gRPC only). Exit 4 when show finds an unknown patient.",
       "xdsctl patient add 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'\n"
       "  xdsctl patient show 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --format=json",
       {}},
      {"find",
       "find --patient ID [--status approved|deprecated|all] [--class CODE^^SCHEME]... [--type C^^S]...\n"
       "       [--practice C^^S]... [--created-from DTM] [--created-to DTM] [--service-from DTM]\n"
       "       [--service-to DTM] [--author PATTERN]...",
       "FindDocuments (ITI-18): the patient's DocumentEntries. Repeated --class/--type/--practice values are\n"
       "OR-ed. --created-from is inclusive, --created-to exclusive (creationTime). --service-from bounds\n"
       "serviceStartTime from below, --service-to bounds serviceStopTime from above. --author matches\n"
       "authorPerson with % (any text) and _ (one character) wildcards.",
       "xdsctl find --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --class 'DISCHARGE^^2.999.100.1' \\\n"
       "      --created-from 2025 --author '%Jansen%'",
       {"patient", "status", "class", "type", "practice", "created-from", "created-to", "service-from", "service-to",
        "author"}},
      {"show",
       "show ID",
       "Any DocumentEntry, Folder or SubmissionSet by entryUUID (urn:uuid:...) or uniqueId, with its\n"
       "associations (GetDocuments, GetFolders, GetSubmissionSetAndContents, GetAssociations). Exit 4\n"
       "when nothing has this id.",
       "xdsctl show 2.25.31899872349834 --format=json",
       {}},
      {"submissions",
       "submissions --patient ID [--status approved|deprecated|all]",
       "FindSubmissionSets: the patient's SubmissionSets.",
       "xdsctl submissions --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'",
       {"patient", "status"}},
      {"folders",
       "folders --patient ID [--status approved|deprecated|all]",
       "FindFolders: the patient's Folders.",
       "xdsctl folders --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'",
       {"patient", "status"}},
      {"related",
       "related ID",
       "GetRelatedDocuments with every relationship type (RPLC, APND, XFRM, XFRM_RPLC, signs,\n"
       "IsSnapshotOf): the documents that replace, amend, transform or sign this one and vice versa.",
       "xdsctl related urn:uuid:3f1c...",
       {}},
      {"retrieve",
       "retrieve UNIQUEID -o FILE",
       "Looks the DocumentEntry up at the registry, then fetches the document from its repository: over the\n"
       "repository's gRPC service when --repository_grpc is given (streamed), else with ITI-43 to\n"
       "--repository URL. The content is checked against the registry's hash and size; FILE is written\n"
       "only when it matches ('-o -' writes to stdout). A progress bar shows on a terminal.",
       "xdsctl retrieve 2.25.31899872349834 -o letter.pdf",
       {"output"}},
      {"submit",
       "submit FILE... --patient ID --class CODE^^SCHEME [--type C^^S] [--mime TYPE] [--title TEXT]\n"
       "       [--practice C^^S] [--hcft C^^S] [--format-code C^^S] [--confidentiality C^^S]\n"
       "       [--content-type C^^S] [--language en-US] [--author XCN] [--source-id OID]\n"
       "       [--creation-time DTM] [--event-code C^^S]...",
       "ITI-41 Provide and Register to --repository URL (MTOM), one DocumentEntry per FILE in one\n"
       "SubmissionSet. Defaults: typeCode and contentTypeCode = the class code; mimeType from the file\n"
       "extension; title = the file name; formatCode urn:ihe:iti:xds:2017:mimeTypeSufficient;\n"
       "healthcareFacilityTypeCode 22232009 and practiceSettingCode 394802001 (SNOMED CT);\n"
       "confidentialityCode N; languageCode en-US; creationTime now; fresh 2.25 uniqueIds.\n"
       "--event-code (repeatable, or a comma list) fills eventCodeList, e.g. a BPPC consent document's\n"
       "policy OIDs (with --class set to the domain's consent classCode; README: Consent).\n"
       "Prints the uniqueIds. Exit 1 with the XDS error code when the repository or registry refuses.",
       "xdsctl submit letter.pdf --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' \\\n"
       "      --class 'DISCHARGE^^2.999.100.1' --title 'Discharge letter'",
       {"patient", "class", "type", "mime", "title", "practice", "hcft", "format-code", "confidentiality",
        "content-type", "language", "author", "source-id", "creation-time", "event-code"}},
      {"deprecate",
       "deprecate ID",
       "ITI-57 Update Document Set (Metadata Update): the DocumentEntry (entryUUID or uniqueId) becomes\n"
       "Deprecated (UpdateAvailabilityStatus from its current status). Same as update ID --status deprecated.",
       "xdsctl deprecate 2.25.31899872349834",
       {}},
      {"update",
       "update ID (--status approved|deprecated | --title TEXT | --comments TEXT)",
       "ITI-57 Update Document Set for one DocumentEntry (entryUUID or uniqueId; the latest version):\n"
       "--status changes its availabilityStatus (UpdateAvailabilityStatus); --title/--comments submit a new\n"
       "version (same logicalId and uniqueId, PreviousVersion = the current version) that becomes the\n"
       "Approved one while the previous version becomes Deprecated. Over gRPC, or SOAP to any registry.",
       "xdsctl update 2.25.31899872349834 --title 'Discharge letter (corrected)'",
       {"status", "title", "comments"}},
      {"remove-metadata",
       "remove-metadata ENTRYUUID...",
       "ITI-62 Remove Metadata (RMD): deletes these registry objects (DocumentEntries, Folders,\n"
       "SubmissionSets, Associations by entryUUID) all or nothing. The registry refuses what would leave\n"
       "an association dangling (ReferencesExistException) or an object without its SubmissionSet\n"
       "(XDSUnreferencedObjectException). Document bytes stay: see remove-documents.",
       "xdsctl remove-metadata urn:uuid:... urn:uuid:... urn:uuid:...",
       {}},
      {"remove-documents",
       "remove-documents UNIQUEID... [--repository-id OID]",
       "ITI-86 Remove Documents (RMD): the repository deletes these documents' bytes (durably, file and\n"
       "index row). --repository-id defaults to the repository the registry names for each document (ask\n"
       "it before remove-metadata). Over the repository's gRPC service or ITI-86 SOAP to --repository.",
       "xdsctl remove-documents 2.25.31899872349834 --repository-id 1.2.3.4.5.8.1",
       {"repository-id"}},
      {"stats",
       "stats",
       "Counts per availabilityStatus, classCode and repositoryUniqueId, patients, associations and the\n"
       "store's size on disk (gRPC only).",
       "xdsctl stats --format=json",
       {}},
      {"backup",
       "backup FILE",
       "Online backup of the registry's store (SQLite backup API) while submissions continue. The\n"
       "registry writes FILE on its own host, and its audit trail (DATA_DIR/audit.sqlite) to FILE.audit;\n"
       "a relative FILE is made absolute against xdsctl's working directory. FILE and FILE.audit must\n"
       "not exist and must lie inside the registry's --backup_dir (default DATA_DIR/backups). gRPC only.",
       "xdsctl backup /var/lib/xds/registry/backups/registry-$(date +%F).sqlite",
       {}},
      {"restore",
       "restore BACKUP --data DIR [--store FILE] [--pid-file FILE]",
       "Offline and local: checks BACKUP (integrity_check), then puts it in place of DIR/registry/registry.sqlite\n"
       "(removing its -wal/-shm; the previous store is kept as registry.sqlite.replaced-TIMESTAMP), and\n"
       "BACKUP.audit, when there is one, in place of DIR/registry/audit.sqlite (the same way).\n"
       "Refuses (exit 1) while DIR/registry.pid names a running registry: stop it, restore, start it.",
       "./xds down && xdsctl restore /var/backups/xds/registry-2025-03-01.sqlite --data var && ./xds up",
       {"store", "pid-file"}},
      {"pki",
       "pki init [--region NAME] [--dir DIR]\n"
       "       pki issue --name NAME --organization-id ID --roles consumer[,source][,admin][,repository]\n"
       "         [--server --dns HOST... --ip ADDR...] [--days N] [--dir DIR]\n"
       "       pki revoke CERT_PEM_OR_SERIAL [--dir DIR]     pki crl [--dir DIR]",
       "The region's certificate authority for mutual TLS (ECDSA P-256, tools/pki/pki.h), local files only.\n"
       "DIR defaults to DATA/pki with --data (./xds ctl passes it: var/pki), else ./pki.\n"
       "init creates DIR (0700) with ca.key (0600), the trust anchor ca.pem (10 years), an empty CRL\n"
       "crl.pem (and crl/HASH.r0 for gRPC's crl_directory) and index.txt; it never overwrites a CA (exit 1).\n"
       "issue writes a key (0600) and a certificate to DIR/issued: subject CN=NAME, O=NAME,\n"
       "organizationIdentifier=ID and one OU per role (consumer: query and retrieve; source: submit;\n"
       "admin: administer; repository: a Document Repository node, which registers ITI-41 for its sources\n"
       "and asks the registry's access decision for ITI-43); clientAuth, plus serverAuth and subjectAltNames with "
       "--server (--dns and --ip\n"
       "repeat or take comma lists, e.g. --dns localhost --ip 127.0.0.1). Valid --days N (default 365).\n"
       "revoke marks a certificate (PEM file or serial in hex) revoked and re-signs crl.pem (30 days);\n"
       "exit 4 when the CA never issued that serial. crl re-signs crl.pem with the same revocations\n"
       "(run it, e.g. weekly from cron, so the services' CRL never expires).",
       "xdsctl pki init --region 'Region North' --dir /etc/xds/pki\n"
       "  ./xds ctl pki issue --name Midwives-North --organization-id 2.999.1.7 --roles consumer,source "
       "--format=json\n"
       "  ./xds ctl pki issue --name registry --organization-id 2.999.1 --server --dns localhost --ip 127.0.0.1\n"
       "  ./xds ctl pki revoke var/pki/issued/Midwives-North-4FADAA394E5CC3C79A8F73F44CD6D79C.pem",
       {"dir", "region", "name", "organization-id", "roles", "server", "dns", "ip", "days"}},
      {"audit",
       "audit --patient ID [--from DTM] [--to DTM] [--limit N] [--format text|json|fhir]\n"
       "       audit verify [--format text|json]",
       "The registry's audit trail (issue 15; gRPC AuditService on --registry_grpc, gRPC only).\n"
       "audit --patient: every recorded access to the patient's records (queries, retrievals,\n"
       "submissions, refusals, administration), oldest first. --from is inclusive, --to exclusive; both\n"
       "are HL7 date/times in UTC (YYYY[MM[DD[hh[mm[ss]]]]]: --from 20261207 --to 20261208 is that day).\n"
       "--limit caps the events (default the registry's maximum; a note says when more matched).\n"
       "--format=fhir prints a FHIR R4 Bundle (collection) of AuditEvent resources after IHE BALP.\n"
       "audit verify recomputes the trail's hash chain: exit 0 only when it is intact, 5 (with the\n"
       "first break named) when it is not.",
       "xdsctl audit --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --from 20261201 --format=json\n"
       "  xdsctl audit verify",
       {"patient", "from", "to", "limit"}},
      {"consent",
       "consent grant|deny --patient ID (--organization-id ID | --category NAME | --professional ID |\n"
       "                                  --everyone) [--data-category NAME] [--from DTM] [--to DTM]\n"
       "       consent revoke --patient ID (--rule RULE_ID | --organization-id ID | --category NAME |\n"
       "                                    --professional ID | --everyone) [--data-category NAME]\n"
       "       consent list --patient ID [--organization-id ID | --category NAME | --professional ID |\n"
       "                                  --everyone] [--format=json]\n"
       "       consent relationship start|end --patient ID (--organization-id ID | --professional ID)\n"
       "       consent exclude|unexclude --patient ID (--organization-id ID | --professional ID)",
       "The registry's consent desk (issue 16; gRPC ConsentService on --registry_grpc, administrators\n"
       "only): records what the patient decided. grant adds a permit rule, deny a deny rule (a deny\n"
       "beats a permit) for one organisation (its id as in its certificate), an organisation category\n"
       "of the domain policy, a professional (the XUA subject-id) or everyone; --data-category narrows\n"
       "it to one data category of the domain policy (default every one); --from (inclusive) and --to\n"
       "(exclusive) bound its validity (HL7 DTM, UTC). The same rule granted twice is kept once. revoke\n"
       "removes one rule by id, or every rule of a subject (of --data-category only, when given).\n"
       "relationship start|end records a treatment relationship from or until now; exclude names an\n"
       "organisation or professional she excludes (wins over every permit), unexclude lifts it. Every\n"
       "change is in her access log (xdsctl audit --patient), what changed in \"detail\". The patient must\n"
       "be in the patient index. Exit 4 for an unknown patient or rule, or nothing to revoke, end or\n"
       "lift. list shows her rules, relationships and exclusions (those of one subject when given).\n"
       "With a --policy_file the registry enforces them on ITI-18 and, through the repositories'\n"
       "access decision, on ITI-43 (README: Consent and access policy).",
       "xdsctl consent grant --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --organization-id 2.999.1.20\n"
       "  xdsctl consent grant --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --category youth-health "
       "--data-category newborn --to 20280101\n"
       "  xdsctl consent list --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --format=json\n"
       "  xdsctl consent revoke --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' --rule 7",
       {"patient", "organization-id", "category", "professional", "everyone", "data-category", "from", "to", "rule"}},
      {"saml",
       "saml issue --subject ID --organization NAME --organization-id ID --role CODE\n"
       "       --purpose TREATMENT|EMERGENCY --patient ID --audience URI --key PEM --cert PEM\n"
       "       [--valid-minutes N] [--issuer URI] [--home-community-id URN]",
       "Offline: mints a signed SAML 2.0 assertion (IHE XUA, ITI-40) for tests and demonstrations and\n"
       "prints it; it goes into the wsse:Security header of ITI-18/41/42/43 requests. Signed with the\n"
       "identity provider's --key (RSA-SHA256 or ECDSA-SHA256, exclusive c14n) with --cert in KeyInfo;\n"
       "the services trust it when --cert is among their --xua_idp_certs and --audience is their\n"
       "--xua_audience. --role is an hl7:Role code (SNOMED CT), --purpose maps onto the HL7\n"
       "PurposeOfUse codes TREAT / ETREAT, --patient is the resource-id (CX ID^^^&OID&ISO). Valid from\n"
       "now for --valid-minutes (default 60).",
       "xdsctl saml issue --subject dr-jansen --organization 'Clinic North' --organization-id urn:oid:2.999.1 \\\n"
       "      --role 158965000 --purpose TREATMENT --patient 'BSN-1^^^&1.3.6.1.4.1.21367.2005.3.7&ISO' \\\n"
       "      --audience https://registry.example.org/xds/registry --key idp.key --cert idp.crt",
       {"subject", "organization", "organization-id", "role", "purpose", "patient", "audience", "key", "cert",
        "valid-minutes", "issuer", "home-community-id"}},
  };
  return *verbs;
}

const VerbSpec* FindVerb(const std::string& name) {
  for (const auto& v : Verbs())
    if (name == v.name) return &v;
  return nullptr;
}

// ---------------------------------------------------------------------------------------

struct Context {
  Args args;
  bool json = false;
  std::string format;  // table (alias text), json, fhir (audit only)
  Connection connection;
  std::ostream* out;
  std::ostream* err;
};

std::string Hint(const std::string& code) {
  static const std::map<std::string, std::string> kHints = {
      {err::kUnknownPatientId.name,
       "admit the patient first (xdsctl patient add 'ID^^^&OID&ISO') or check the assigning authority"},
      {err::kTooManyResults.name, "narrow the query down (--status, --class, --created-from/--created-to, ...)"},
      {err::kUnknownStoredQuery.name, "the registry does not support this stored query"},
      {err::kStoredQueryParamNumber.name, "a query parameter was refused; check the values given"},
      {err::kStoredQueryMissingParam.name, "a query parameter is missing; check the command line"},
      {err::kRegistryError.name, "the registry failed internally; see its log and retry"},
      {err::kRepositoryError.name, "the repository failed internally; see its log and retry"},
      {err::kRegistryNotAvailable.name, "the repository could not reach its registry; check the registry and retry"},
      {err::kRegistryBusy.name, "the registry is busy; retry later"},
      {err::kDocumentUniqueIdError.name, "the repository does not hold this document; check the id and --repository"},
      {err::kUnknownRepositoryId.name,
       "the document lives in another repository: point --repository/--repository_grpc at the one its "
       "repositoryUniqueId names"},
      {err::kRegistryMetadataError.name, "the metadata was refused; correct the attribute named above"},
      {err::kRepositoryMetadataError.name, "the metadata was refused; correct the attribute named above"},
      {err::kPatientIdDoesNotMatch.name, "all objects of a submission must carry the same patient id"},
      {err::kResultNotSinglePatient.name, "the objects belong to several patients; query them one by one"},
      {err::kDuplicateUniqueIdInRegistry.name, "a uniqueId is already registered; submit again with fresh ids"},
      {err::kRegistryDuplicateUniqueIdInMessage.name, "a uniqueId occurs twice in the submission"},
      {err::kMissingDocument.name, "a DocumentEntry has no document attached"},
      {err::kNonIdenticalHash.name, "the same uniqueId is registered with other content"},
      {err::kNonIdenticalSize.name, "the same uniqueId is registered with other content"},
  };
  auto it = kHints.find(code);
  return it != kHints.end() ? it->second : "see ITI TF-3 Table 4.2.4.1-2 for this error code";
}

int ExitFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitRefused;
  }
}

// Prints an error in both forms (stderr text; in JSON mode also {"error":...} on stdout).
int Fail(Context& c, int code, const std::string& message, const std::vector<RegistryError>& errors = {}) {
  *c.err << "xdsctl: " << message << "\n";
  std::set<std::string> hinted;
  for (const auto& e : errors) {
    *c.err << "  " << (e.severity() == WARNING ? "warning " : "") << e.code() << ": " << e.context()
           << (e.location().empty() ? "" : " (" + e.location() + ")") << "\n";
    if (hinted.insert(e.code()).second) *c.err << "    what to do: " << Hint(e.code()) << "\n";
  }
  if (code == kExitUnreachable) {
    *c.err << "  what to do: check that it runs and the address is right (./xds up; ./xds ctl reads "
              "var/endpoints.env)\n";
  }
  if (c.json) {
    Json j = Json::Object();
    j.Set("exitCode", Json::Int(code));
    j.Set("message", Json::Str(message));
    Json list = Json::Array();
    for (const auto& e : errors) {
      Json je = Json::Object();
      je.Set("errorCode", Json::Str(e.code()));
      je.Set("codeContext", Json::Str(e.context()));
      je.Set("location", Json::Str(e.location()));
      je.Set("severity", Json::Str(e.severity() == WARNING ? "Warning" : "Error"));
      list.Push(std::move(je));
    }
    j.Set("registryErrors", std::move(list));
    *c.out << Json::Object().Set("error", std::move(j)).Dump() << "\n";
  }
  return code;
}

int Fail(Context& c, const absl::Status& s) { return Fail(c, ExitFor(s), std::string(s.message())); }

int Usage(Context& c, const std::string& message) { return Fail(c, kExitUsage, message + " (see 'xdsctl --help')"); }

void Print(Context& c, const Json& j) { *c.out << j.Dump() << "\n"; }

// The registry to talk to: gRPC when --registry_grpc is given (or nothing is), SOAP ITI-18
// when only --registry URL is, or as --transport says.
absl::StatusOr<std::unique_ptr<RegistryBackend>> Registry(Context& c) {
  std::string transport = c.args.Get("transport", "auto");
  bool soap = transport == "soap" || (transport == "auto" && !c.args.Has("registry-grpc") && c.args.Has("registry"));
  if (transport != "auto" && transport != "soap" && transport != "grpc") {
    return absl::InvalidArgumentError("--transport must be auto, grpc or soap");
  }
  if (soap) {
    std::string url = c.args.Get("registry");
    if (url.empty())
      return absl::InvalidArgumentError("--transport=soap needs --registry http://HOST:PORT/xds/registry");
    return MakeSoapRegistryBackend(url, c.connection);
  }
  return MakeGrpcRegistryBackend(c.args.Get("registry-grpc", kDefaultRegistryGrpc), c.connection);
}

absl::StatusOr<std::unique_ptr<RepositoryBackend>> Repository(Context& c, bool need_soap) {
  std::string transport = c.args.Get("transport", "auto");
  if (!need_soap && transport != "soap" && c.args.Has("repository-grpc")) {
    return MakeGrpcRepositoryBackend(c.args.Get("repository-grpc"), c.connection);
  }
  std::string url = c.args.Get("repository");
  if (url.empty()) {
    return absl::InvalidArgumentError(need_soap ? "this needs the repository's SOAP endpoint: --repository "
                                                  "http://HOST:PORT/xds/repository"
                                                : "this needs a repository: --repository_grpc HOST:PORT or "
                                                  "--repository http://HOST:PORT/xds/repository");
  }
  return MakeSoapRepositoryBackend(url, c.connection);
}

// Runs a stored query; a Failure answer becomes exit 1 with its error codes.
struct QueryOutcome {
  int exit = kExitOk;
  StoredQueryResponse response;
};
QueryOutcome Query(Context& c, RegistryBackend& registry, const StoredQueryRequest& request) {
  QueryOutcome o;
  auto r = registry.StoredQuery(request);
  if (!r.ok()) {
    o.exit = Fail(c, r.status());
    return o;
  }
  if (r->response().status() == FAILURE) {
    std::vector<RegistryError> errors(r->response().errors().begin(), r->response().errors().end());
    o.exit = Fail(c, kExitRefused, registry.Describe() + " refused the query", errors);
    return o;
  }
  for (const auto& e : r->response().errors()) *c.err << "xdsctl: warning " << e.code() << ": " << e.context() << "\n";
  o.response = std::move(*r);
  return o;
}

std::string Join(const google::protobuf::RepeatedPtrField<Code>& codes) {
  std::vector<std::string> parts;
  for (const auto& code : codes) parts.push_back(CodeText(code));
  return absl::StrJoin(parts, ", ");
}

void PrintDocumentEntries(Context& c, const google::protobuf::RepeatedPtrField<DocumentEntry>& des) {
  if (c.json) {
    Json list = Json::Array();
    for (const auto& de : des) list.Push(DocumentEntryJson(de));
    Print(c, Json::Object().Set("documentEntries", std::move(list)));
    return;
  }
  Table t({"UNIQUE ID", "STATUS", "CLASS", "CREATED", "REPOSITORY", "MIME", "TITLE"});
  for (const auto& de : des) {
    t.AddRow({de.unique_id(), StatusName(de.header().status()), CodeText(de.class_code()), de.creation_time(),
              de.repository_unique_id(), de.mime_type(), de.header().title()});
  }
  *c.out << t.Render() << des.size() << (des.size() == 1 ? " document entry\n" : " document entries\n");
}

// ---------------------------------------------------------------------------------------

int Patient(Context& c) {
  const auto& p = c.args.positional;
  std::string sub = p.size() > 1 ? p[1] : "";
  if (!((sub == "add" && p.size() == 3) || (sub == "list" && p.size() == 2) || (sub == "show" && p.size() == 3))) {
    return Usage(c, "patient wants 'add ID', 'list' or 'show ID'");
  }
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  RegistryBackend& r = **registry;
  if (sub == "add") {
    auto created = r.AddPatient(p[2]);
    if (!created.ok()) {
      if (ExitFor(created.status()) == kExitRefused) {
        return Fail(c, kExitRefused,
                    r.Describe() + " refused the patient id: " + std::string(created.status().message()) +
                        "\n  what to do: use the CX form ID^^^&OID&ISO with the affinity domain's "
                        "assigning authority");
      }
      return Fail(c, created.status());
    }
    if (c.json) {
      Print(c, Json::Object().Set("patientId", Json::Str(p[2])).Set("created", Json::Bool(*created)));
    } else {
      *c.out << (*created ? "added " : "already known ") << p[2] << "\n";
    }
    return kExitOk;
  }
  if (sub == "list") {
    auto patients = r.ListPatients();
    if (!patients.ok()) return Fail(c, patients.status());
    if (c.json) {
      Json list = Json::Array();
      for (const auto& id : *patients) list.Push(Json::Str(id));
      Print(c, Json::Object().Set("patients", std::move(list)));
    } else {
      Table t({"PATIENT ID"});
      for (const auto& id : *patients) t.AddRow({id});
      *c.out << t.Render() << patients->size() << (patients->size() == 1 ? " patient\n" : " patients\n");
    }
    return kExitOk;
  }
  // show: counts with ObjectRef answers (no metadata travels, larger caps).
  const std::string& pid = p[2];
  bool indexed_known = false;  // the index was consulted (gRPC)
  PatientLinksResponse links;  // the feed's merges (gRPC)
  auto linked = r.PatientLinks(pid);
  if (linked.ok()) {
    indexed_known = true;
    links = *std::move(linked);
    if (!links.in_index()) {
      return Fail(c, kExitNotFound,
                  "no patient " + pid + " in the registry's patient index" +
                      "\n  what to do: admit it with 'xdsctl patient add'");
    }
  } else if (ExitFor(linked.status()) != kExitUsage) {
    return Fail(c, linked.status());
  }
  int64_t counts[4] = {0, 0, 0, 0};
  std::vector<StoredQueryRequest> requests;
  FindDocumentsOptions approved;
  approved.patient_id = pid;
  approved.object_refs = true;
  FindDocumentsOptions deprecated = approved;
  deprecated.status = "deprecated";
  requests.push_back(*FindDocumentsQuery(approved));
  requests.push_back(*FindDocumentsQuery(deprecated));
  requests.push_back(*FindSubmissionSetsQuery(pid, "all", true));
  requests.push_back(*FindFoldersQuery(pid, "all", true));
  for (int i = 0; i < 4; ++i) {
    QueryOutcome q = Query(c, r, requests[i]);
    if (q.exit != kExitOk) return q.exit;
    counts[i] = q.response.object_refs_size();
  }
  if (!indexed_known && counts[0] + counts[1] + counts[2] + counts[3] == 0) {
    return Fail(c, kExitNotFound, r.Describe() + " has nothing for patient " + pid);
  }
  if (c.json) {
    Json j = Json::Object();
    j.Set("patientId", Json::Str(pid));
    j.Set("documentEntries",
          Json::Object().Set("approved", Json::Int(counts[0])).Set("deprecated", Json::Int(counts[1])));
    j.Set("submissionSets", Json::Int(counts[2]));
    j.Set("folders", Json::Int(counts[3]));
    j.Set("mergedInto", Json::Str(links.merged_into()));
    Json from = Json::Array();
    for (const MergedPatient& m : links.merged_from()) {
      from.Push(
          Json::Object().Set("patientId", Json::Str(m.id())).Set("mergedAt", Json::Str(IsoTime(m.merged_at_ms()))));
    }
    j.Set("mergedFrom", std::move(from));
    Print(c, j);
  } else {
    Table t({"PATIENT ID", "DOCUMENTS", "DEPRECATED", "SUBMISSIONS", "FOLDERS"});
    t.AddRow({pid, std::to_string(counts[0]), std::to_string(counts[1]), std::to_string(counts[2]),
              std::to_string(counts[3])});
    *c.out << t.Render();
    // The patient identity feed's merges (ITI-8 A40, ITI-44).
    if (!links.merged_into().empty()) {
      *c.out << "merged into " << links.merged_into() << " at " << IsoTime(links.merged_at_ms())
             << ": no longer used; its entries are found under that id\n";
    }
    for (const MergedPatient& m : links.merged_from()) {
      *c.out << "merged from " << m.id() << " at " << IsoTime(m.merged_at_ms()) << "\n";
    }
  }
  return kExitOk;
}

int Find(Context& c) {
  if (c.args.positional.size() != 1) return Usage(c, "find takes no positional arguments");
  FindDocumentsOptions o;
  o.patient_id = c.args.Get("patient");
  o.status = c.args.Get("status", "approved");
  o.class_codes = c.args.All("class");
  o.type_codes = c.args.All("type");
  o.practice_codes = c.args.All("practice");
  o.created_from = c.args.Get("created-from");
  o.created_to = c.args.Get("created-to");
  o.service_from = c.args.Get("service-from");
  o.service_to = c.args.Get("service-to");
  o.author_patterns = c.args.All("author");
  auto request = FindDocumentsQuery(o);
  if (!request.ok()) return Usage(c, std::string(request.status().message()));
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  QueryOutcome q = Query(c, **registry, *request);
  if (q.exit != kExitOk) return q.exit;
  PrintDocumentEntries(c, q.response.document_entries());
  return kExitOk;
}

int Packages(Context& c, bool submission_sets) {
  if (c.args.positional.size() != 1)
    return Usage(c, std::string(c.args.positional[0]) + " takes no positional arguments");
  std::string pid = c.args.Get("patient");
  std::string status = c.args.Get("status", "approved");
  auto request = submission_sets ? FindSubmissionSetsQuery(pid, status) : FindFoldersQuery(pid, status);
  if (!request.ok()) return Usage(c, std::string(request.status().message()));
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  QueryOutcome q = Query(c, **registry, *request);
  if (q.exit != kExitOk) return q.exit;
  if (submission_sets) {
    const auto& list = q.response.submission_sets();
    if (c.json) {
      Json a = Json::Array();
      for (const auto& ss : list) a.Push(SubmissionSetJson(ss));
      Print(c, Json::Object().Set("submissionSets", std::move(a)));
    } else {
      Table t({"UNIQUE ID", "STATUS", "SUBMITTED", "SOURCE ID", "CONTENT TYPE", "TITLE"});
      for (const auto& ss : list) {
        t.AddRow({ss.unique_id(), StatusName(ss.header().status()), ss.submission_time(), ss.source_id(),
                  CodeText(ss.content_type_code()), ss.header().title()});
      }
      *c.out << t.Render() << list.size() << (list.size() == 1 ? " submission set\n" : " submission sets\n");
    }
  } else {
    const auto& list = q.response.folders();
    if (c.json) {
      Json a = Json::Array();
      for (const auto& fd : list) a.Push(FolderJson(fd));
      Print(c, Json::Object().Set("folders", std::move(a)));
    } else {
      Table t({"UNIQUE ID", "STATUS", "LAST UPDATE", "CODES", "TITLE"});
      for (const auto& fd : list) {
        t.AddRow({fd.unique_id(), StatusName(fd.header().status()), fd.last_update_time(), Join(fd.codes()),
                  fd.header().title()});
      }
      *c.out << t.Render() << list.size() << (list.size() == 1 ? " folder\n" : " folders\n");
    }
  }
  return kExitOk;
}

void PrintAssociations(Context& c, const std::string& self,
                       const google::protobuf::RepeatedPtrField<Association>& associations) {
  Table t({"ASSOCIATION", "TYPE", "SOURCE", "TARGET", "STATUS"});
  for (const auto& as : associations) {
    t.AddRow({as.header().entry_uuid(), ShortAssociationType(as.type()), as.source() == self ? "(this)" : as.source(),
              as.target() == self ? "(this)" : as.target(), StatusName(as.header().status())});
  }
  *c.out << "\n" << t.Render();
}

int Show(Context& c) {
  if (c.args.positional.size() != 2) return Usage(c, "show wants one ID (entryUUID or uniqueId)");
  const std::string id = c.args.positional[1];
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  RegistryBackend& r = **registry;

  Json object;
  std::string entry_uuid;
  std::vector<std::pair<std::string, std::string>> fields;  // for the table form
  QueryOutcome q = Query(c, r, GetDocumentsQuery(id));
  if (q.exit != kExitOk) return q.exit;
  if (q.response.document_entries_size() > 0) {
    const DocumentEntry& de = q.response.document_entries(0);
    object = DocumentEntryJson(de);
    entry_uuid = de.header().entry_uuid();
    fields = {{"kind", "DocumentEntry"},
              {"entryUUID", entry_uuid},
              {"uniqueId", de.unique_id()},
              {"patientId", de.patient_id()},
              {"availabilityStatus", StatusName(de.header().status())},
              {"title", de.header().title()},
              {"classCode", CodeText(de.class_code())},
              {"typeCode", CodeText(de.type_code())},
              {"formatCode", CodeText(de.format_code())},
              {"practiceSettingCode", CodeText(de.practice_setting_code())},
              {"healthcareFacilityTypeCode", CodeText(de.healthcare_facility_type_code())},
              {"confidentialityCode", Join(de.confidentiality_codes())},
              {"creationTime", de.creation_time()},
              {"serviceStartTime", de.service_start_time()},
              {"serviceStopTime", de.service_stop_time()},
              {"mimeType", de.mime_type()},
              {"size", de.has_size() ? std::to_string(de.size()) : ""},
              {"hash", de.hash()},
              {"repositoryUniqueId", de.repository_unique_id()},
              {"languageCode", de.language_code()}};
    for (const auto& a : de.authors()) fields.push_back({"author", a.person()});
  } else {
    q = Query(c, r, GetFoldersQuery(id));
    if (q.exit != kExitOk) return q.exit;
    if (q.response.folders_size() > 0) {
      const Folder& fd = q.response.folders(0);
      object = FolderJson(fd);
      entry_uuid = fd.header().entry_uuid();
      fields = {{"kind", "Folder"},
                {"entryUUID", entry_uuid},
                {"uniqueId", fd.unique_id()},
                {"patientId", fd.patient_id()},
                {"availabilityStatus", StatusName(fd.header().status())},
                {"title", fd.header().title()},
                {"lastUpdateTime", fd.last_update_time()},
                {"codeList", Join(fd.codes())}};
    } else {
      q = Query(c, r, GetSubmissionSetAndContentsQuery(id));
      if (q.exit != kExitOk) return q.exit;
      if (q.response.submission_sets_size() > 0) {
        const SubmissionSet& ss = q.response.submission_sets(0);
        object = SubmissionSetJson(ss);
        entry_uuid = ss.header().entry_uuid();
        fields = {{"kind", "SubmissionSet"},
                  {"entryUUID", entry_uuid},
                  {"uniqueId", ss.unique_id()},
                  {"patientId", ss.patient_id()},
                  {"availabilityStatus", StatusName(ss.header().status())},
                  {"title", ss.header().title()},
                  {"sourceId", ss.source_id()},
                  {"submissionTime", ss.submission_time()},
                  {"contentTypeCode", CodeText(ss.content_type_code())},
                  {"documentEntries", std::to_string(q.response.document_entries_size())},
                  {"folders", std::to_string(q.response.folders_size())}};
        for (const auto& a : ss.authors()) fields.push_back({"author", a.person()});
      }
    }
  }
  if (entry_uuid.empty()) {
    return Fail(c, kExitNotFound, "no DocumentEntry, Folder or SubmissionSet has the id " + id + " at " + r.Describe());
  }
  QueryOutcome assoc = Query(c, r, GetAssociationsQuery({entry_uuid}));
  if (assoc.exit != kExitOk) return assoc.exit;
  if (c.json) {
    Json list = Json::Array();
    for (const auto& as : assoc.response.associations()) list.Push(AssociationJson(as));
    Print(c, Json::Object().Set("object", std::move(object)).Set("associations", std::move(list)));
    return kExitOk;
  }
  Table t({"ATTRIBUTE", "VALUE"});
  for (auto& [k, v] : fields)
    if (!v.empty()) t.AddRow({k, v});
  *c.out << t.Render();
  PrintAssociations(c, entry_uuid, assoc.response.associations());
  return kExitOk;
}

int Related(Context& c) {
  if (c.args.positional.size() != 2) return Usage(c, "related wants one DocumentEntry ID (entryUUID or uniqueId)");
  const std::string id = c.args.positional[1];
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  QueryOutcome doc = Query(c, **registry, GetDocumentsQuery(id));
  if (doc.exit != kExitOk) return doc.exit;
  if (doc.response.document_entries_size() == 0) {
    return Fail(c, kExitNotFound, "no DocumentEntry has the id " + id + " at " + (*registry)->Describe());
  }
  const DocumentEntry self = doc.response.document_entries(0);
  QueryOutcome q = Query(c, **registry, GetRelatedDocumentsQuery(self.header().entry_uuid()));
  if (q.exit != kExitOk) return q.exit;
  std::map<std::string, const DocumentEntry*> by_uuid;
  for (const auto& de : q.response.document_entries()) by_uuid[de.header().entry_uuid()] = &de;
  if (c.json) {
    Json related = Json::Array();
    for (const auto& as : q.response.associations()) {
      bool outgoing = as.source() == self.header().entry_uuid();
      const std::string& other = outgoing ? as.target() : as.source();
      Json j = Json::Object();
      j.Set("associationType", Json::Str(as.type()));
      j.Set("direction", Json::Str(outgoing ? "outgoing" : "incoming"));
      j.Set("association", AssociationJson(as));
      if (by_uuid.count(other)) j.Set("documentEntry", DocumentEntryJson(*by_uuid[other]));
      related.Push(std::move(j));
    }
    Print(c, Json::Object().Set("documentEntry", DocumentEntryJson(self)).Set("related", std::move(related)));
    return kExitOk;
  }
  Table t({"RELATION", "OTHER UNIQUE ID", "STATUS", "CREATED", "TITLE"});
  for (const auto& as : q.response.associations()) {
    bool outgoing = as.source() == self.header().entry_uuid();
    const std::string& other = outgoing ? as.target() : as.source();
    const DocumentEntry* de = by_uuid.count(other) ? by_uuid[other] : nullptr;
    std::string relation = outgoing ? "this " + ShortAssociationType(as.type()) + " ->"
                                    : "<- " + ShortAssociationType(as.type()) + " this";
    t.AddRow({relation, de ? de->unique_id() : other, de ? StatusName(de->header().status()) : "",
              de ? de->creation_time() : "", de ? de->header().title() : ""});
  }
  *c.out << self.unique_id() << "  " << StatusName(self.header().status()) << "  " << self.header().title() << "\n"
         << t.Render();
  return kExitOk;
}

// Writes the retrieved bytes to FILE.part (renamed when complete and verified) or stdout,
// hashing as it goes, with a progress bar on a terminal.
class FileSink : public DocumentSink {
 public:
  FileSink(std::string path, std::ostream* progress) : path_(std::move(path)), progress_(progress) {
    ctx_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx_, EVP_sha1(), nullptr);
  }
  ~FileSink() override {
    EVP_MD_CTX_free(ctx_);
    if (file_.is_open()) {
      file_.close();
      std::error_code ec;
      std::filesystem::remove(path_ + ".part", ec);
    }
  }

  absl::Status Begin(const std::string& mime_type, int64_t size) override {
    mime_type_ = mime_type;
    expected_ = size;
    if (path_ != "-") {
      file_.open(path_ + ".part", std::ios::binary | std::ios::trunc);
      if (!file_) return absl::PermissionDeniedError("cannot write " + path_ + ".part");
    }
    return absl::OkStatus();
  }

  absl::Status Write(std::string_view data) override {
    EVP_DigestUpdate(ctx_, data.data(), data.size());
    written_ += static_cast<int64_t>(data.size());
    if (path_ == "-") {
      std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    } else {
      file_.write(data.data(), static_cast<std::streamsize>(data.size()));
      if (!file_) return absl::PermissionDeniedError("cannot write " + path_ + ".part (disk full?)");
    }
    ShowProgress(false);
    return absl::OkStatus();
  }

  // Verifies against the registry's hash/size; then renames FILE.part to FILE.
  absl::Status Finish(const DocumentEntry& de) {
    ShowProgress(true);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    static const char* kHex = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
      hash_ += kHex[digest[i] >> 4];
      hash_ += kHex[digest[i] & 15];
    }
    if (de.has_size() && de.size() != written_) {
      return absl::DataLossError(
          absl::StrCat("the repository sent ", written_, " bytes; the registry says ", de.size()));
    }
    if (!de.hash().empty() && !absl::EqualsIgnoreCase(de.hash(), hash_)) {
      return absl::DataLossError("the content's SHA-1 " + hash_ + " differs from the registry's " + de.hash());
    }
    if (path_ == "-") {
      std::cout.flush();
      return absl::OkStatus();
    }
    file_.close();
    if (!file_) return absl::PermissionDeniedError("cannot write " + path_);
    std::error_code ec;
    std::filesystem::rename(path_ + ".part", path_, ec);
    if (ec) return absl::PermissionDeniedError("cannot create " + path_ + ": " + ec.message());
    return absl::OkStatus();
  }

  int64_t written() const { return written_; }
  const std::string& hash() const { return hash_; }
  const std::string& mime_type() const { return mime_type_; }

 private:
  void ShowProgress(bool done) {
    if (!progress_ || !isatty(STDERR_FILENO)) return;
    constexpr int64_t kMiB = 1 << 20;
    int64_t total = expected_ > 0 ? expected_ : 0;
    if (std::max(total, written_) < 4 * kMiB) return;  // small files finish before anyone looks
    if (!done && written_ - last_shown_ < kMiB / 2) return;
    last_shown_ = written_;
    char line[128];
    if (total > 0) {
      int width = 30;
      int filled = static_cast<int>(width * std::min<int64_t>(written_, total) / total);
      std::snprintf(line, sizeof(line), "\r[%s%s] %3d%% %.1f/%.1f MiB", std::string(filled, '#').c_str(),
                    std::string(width - filled, ' ').c_str(), static_cast<int>(100 * written_ / total),
                    written_ / double(kMiB), total / double(kMiB));
    } else {
      std::snprintf(line, sizeof(line), "\r%.1f MiB", written_ / double(kMiB));
    }
    *progress_ << line << (done ? "\n" : "") << std::flush;
  }

  std::string path_;
  std::ostream* progress_;
  std::ofstream file_;
  EVP_MD_CTX* ctx_;
  std::string mime_type_, hash_;
  int64_t expected_ = -1, written_ = 0, last_shown_ = 0;
};

int Retrieve(Context& c) {
  if (c.args.positional.size() != 2) return Usage(c, "retrieve wants one document uniqueId");
  std::string output = c.args.Get("output");
  if (output.empty()) return Usage(c, "retrieve needs -o FILE (or -o - for stdout)");
  const std::string id = c.args.positional[1];
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  QueryOutcome q = Query(c, **registry, GetDocumentsQuery(id));
  if (q.exit != kExitOk) return q.exit;
  if (q.response.document_entries_size() == 0) {
    return Fail(c, kExitNotFound, "the registry knows no DocumentEntry " + id);
  }
  const DocumentEntry de = q.response.document_entries(0);
  auto repository = Repository(c, false);
  if (!repository.ok()) return Fail(c, repository.status());
  FileSink sink(output, c.err);
  RegistryResponse refusal;
  absl::Status s = (*repository)->Retrieve(de.repository_unique_id(), de.unique_id(), &sink, &refusal);
  if (!s.ok()) {
    if (absl::IsNotFound(s)) {
      return Fail(c, kExitNotFound,
                  std::string(s.message()) + "; the registry says repository " + de.repository_unique_id() +
                      " holds it\n  what to do: point --repository_grpc/"
                      "--repository at that repository");
    }
    return Fail(c, s);
  }
  if (refusal.status() == FAILURE) {
    std::vector<RegistryError> errors(refusal.errors().begin(), refusal.errors().end());
    return Fail(c, kExitRefused, (*repository)->Describe() + " refused to return " + id, errors);
  }
  if (absl::Status f = sink.Finish(de); !f.ok()) return Fail(c, kExitRefused, std::string(f.message()));
  if (output == "-") return kExitOk;
  if (c.json) {
    Print(c, Json::Object()
                 .Set("uniqueId", Json::Str(de.unique_id()))
                 .Set("repositoryUniqueId", Json::Str(de.repository_unique_id()))
                 .Set("mimeType", Json::Str(sink.mime_type().empty() ? de.mime_type() : sink.mime_type()))
                 .Set("size", Json::Int(sink.written()))
                 .Set("hash", Json::Str(sink.hash()))
                 .Set("file", Json::Str(output)));
  } else {
    *c.out << "retrieved " << de.unique_id() << " (" << sink.written() << " bytes, "
           << (sink.mime_type().empty() ? de.mime_type() : sink.mime_type()) << ") from repository "
           << de.repository_unique_id() << " to " << output << "\n";
  }
  return kExitOk;
}

std::vector<std::string> ListFlag(const Context& c, const std::string& name);

int Submit(Context& c) {
  std::vector<std::string> files(c.args.positional.begin() + 1, c.args.positional.end());
  SubmitOptions o;
  o.patient_id = c.args.Get("patient");
  o.class_code = c.args.Get("class");
  o.type_code = c.args.Get("type");
  o.mime_type = c.args.Get("mime");
  o.title = c.args.Get("title");
  if (c.args.Has("practice")) o.practice_setting_code = c.args.Get("practice");
  if (c.args.Has("hcft")) o.healthcare_facility_type_code = c.args.Get("hcft");
  if (c.args.Has("format-code")) o.format_code = c.args.Get("format-code");
  if (c.args.Has("confidentiality")) o.confidentiality_code = c.args.Get("confidentiality");
  o.event_codes = ListFlag(c, "event-code");
  if (c.args.Has("content-type")) o.content_type_code = c.args.Get("content-type");
  if (c.args.Has("language")) o.language_code = c.args.Get("language");
  if (c.args.Has("source-id")) o.source_id = c.args.Get("source-id");
  o.author_person = c.args.Get("author");
  o.creation_time = c.args.Get("creation-time");
  auto built = BuildSubmission(files, o);
  if (!built.ok()) return Usage(c, std::string(built.status().message()));
  auto repository = Repository(c, true);
  if (!repository.ok()) return Fail(c, repository.status());
  auto response = (*repository)->ProvideAndRegister(built->submission, built->documents);
  if (!response.ok()) return Fail(c, response.status());
  if (response->status() != SUCCESS) {
    std::vector<RegistryError> errors(response->errors().begin(), response->errors().end());
    return Fail(c, kExitRefused, (*repository)->Describe() + " refused the submission", errors);
  }
  const Submission& sub = built->submission;
  if (c.json) {
    Json docs = Json::Array();
    for (int i = 0; i < sub.document_entries_size(); ++i) {
      docs.Push(Json::Object()
                    .Set("file", Json::Str(built->files[i]))
                    .Set("uniqueId", Json::Str(sub.document_entries(i).unique_id()))
                    .Set("mimeType", Json::Str(sub.document_entries(i).mime_type()))
                    .Set("size", Json::Int(static_cast<int64_t>(built->documents[i].content.size()))));
    }
    Print(c, Json::Object()
                 .Set("submissionSet", Json::Object().Set("uniqueId", Json::Str(sub.submission_sets(0).unique_id())))
                 .Set("documentEntries", std::move(docs)));
  } else {
    Table t({"FILE", "UNIQUE ID", "MIME", "SIZE"});
    for (int i = 0; i < sub.document_entries_size(); ++i) {
      t.AddRow({built->files[i], sub.document_entries(i).unique_id(), sub.document_entries(i).mime_type(),
                std::to_string(built->documents[i].content.size())});
    }
    *c.out << t.Render() << "submission set " << sub.submission_sets(0).unique_id() << "\n";
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------
// Document administrators: ITI-57, ITI-62, ITI-86.

// An XDS answer of a lifecycle transaction: exit 1 with its codes unless Success.
int Answered(Context& c, const std::string& who, const absl::StatusOr<RegistryResponse>& r, const std::string& what,
             const Json& done, const std::string& done_text) {
  if (!r.ok()) return Fail(c, r.status());
  if (r->status() != SUCCESS) {
    std::vector<RegistryError> errors(r->errors().begin(), r->errors().end());
    return Fail(c, kExitRefused, who + (r->status() == PARTIAL_SUCCESS ? " did only part of " : " refused ") + what,
                errors);
  }
  if (c.json) {
    Print(c, done);
  } else {
    *c.out << done_text << "\n";
  }
  return kExitOk;
}

int Update(Context& c, bool deprecate) {
  if (c.args.positional.size() != 2) return Usage(c, c.args.positional[0] + " wants one ID (entryUUID or uniqueId)");
  const bool status = deprecate || c.args.Has("status");
  if (!deprecate && (status + c.args.Has("title") + c.args.Has("comments") == 0)) {
    return Usage(c, "update needs --status, --title or --comments");
  }
  if (status && (c.args.Has("title") || c.args.Has("comments"))) {
    return Usage(c, "--status changes the status only; --title/--comments make a new version: one at a time");
  }
  AvailabilityStatus to = DEPRECATED;
  if (!deprecate && status) {
    std::string s = absl::AsciiStrToLower(c.args.Get("status"));
    if (s != "approved" && s != "deprecated") return Usage(c, "--status takes approved or deprecated");
    to = s == "approved" ? APPROVED : DEPRECATED;
  }
  const std::string id = c.args.positional[1];
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  QueryOutcome q = Query(c, **registry, GetDocumentsQuery(id));
  if (q.exit != kExitOk) return q.exit;
  // The latest version: GetDocuments by uniqueId answers every version.
  const DocumentEntry* found = nullptr;
  for (const DocumentEntry& de : q.response.document_entries()) {
    if (found == nullptr || std::stoll("0" + de.header().version()) > std::stoll("0" + found->header().version())) {
      found = &de;
    }
  }
  if (found == nullptr) return Fail(c, kExitNotFound, "the registry knows no DocumentEntry " + id);
  const DocumentEntry de = *found;
  Submission sub;
  AddSubmissionSet(&sub, de.patient_id(), de.class_code(), "Updated with xdsctl", SubmitOptions().source_id);
  Association* a = sub.add_associations();
  a->mutable_header()->set_entry_uuid("Association01");
  a->set_source("SubmissionSet01");
  std::string done;
  if (status) {
    auto urn = [](AvailabilityStatus s) { return s == APPROVED ? vocab::kStatusApproved : vocab::kStatusDeprecated; };
    a->set_type(vocab::kUpdateAvailabilityStatus);
    a->set_target(de.header().entry_uuid());
    Slot* from = a->mutable_header()->add_extra_slots();
    from->set_name("OriginalStatus");
    from->add_values(urn(de.header().status()));
    Slot* next = a->mutable_header()->add_extra_slots();
    next->set_name("NewStatus");
    next->add_values(urn(to));
    done = StatusName(to);
  } else {
    DocumentEntry* v = sub.add_document_entries();
    *v = de;
    v->mutable_header()->set_entry_uuid("Document01");
    v->mutable_header()->set_logical_id(de.header().logical_id().empty() ? de.header().entry_uuid()
                                                                         : de.header().logical_id());
    v->mutable_header()->clear_version();
    v->mutable_header()->clear_nested_ids();
    if (c.args.Has("title")) v->mutable_header()->set_title(c.args.Get("title"));
    if (c.args.Has("comments")) v->mutable_header()->set_comments(c.args.Get("comments"));
    a->set_type(vocab::kHasMember);
    a->set_target("Document01");
    a->set_submission_set_status("Original");
    Slot* previous = a->mutable_header()->add_extra_slots();
    previous->set_name("PreviousVersion");
    previous->add_values(de.header().version());
    done = "version " + std::to_string(std::stoll("0" + de.header().version()) + 1);
  }
  return Answered(c, (*registry)->Describe(), (*registry)->UpdateDocumentSet(sub), "the update of " + id,
                  Json::Object()
                      .Set("uniqueId", Json::Str(de.unique_id()))
                      .Set("entryUUID", Json::Str(de.header().entry_uuid()))
                      .Set("updated", Json::Str(done)),
                  "updated " + de.unique_id() + " (" + de.header().entry_uuid() + "): " + done);
}

int RemoveMetadata(Context& c) {
  if (c.args.positional.size() < 2) return Usage(c, "remove-metadata wants one or more entryUUIDs");
  RemoveMetadataRequest request;
  Json ids = Json::Array();
  for (size_t i = 1; i < c.args.positional.size(); ++i) {
    request.add_entry_uuids(c.args.positional[i]);
    ids.Push(Json::Str(c.args.positional[i]));
  }
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  return Answered(c, (*registry)->Describe(), (*registry)->RemoveMetadata(request), "the removal",
                  Json::Object().Set("removed", std::move(ids)),
                  "removed " + std::to_string(request.entry_uuids_size()) + " registry object(s)");
}

int RemoveDocuments(Context& c) {
  if (c.args.positional.size() < 2) return Usage(c, "remove-documents wants one or more document uniqueIds");
  RetrieveDocumentSetRequest request;
  Json ids = Json::Array();
  std::unique_ptr<RegistryBackend> registry;
  for (size_t i = 1; i < c.args.positional.size(); ++i) {
    const std::string& uid = c.args.positional[i];
    std::string repository_id = c.args.Get("repository-id");
    if (repository_id.empty()) {  // where the registry says the document is
      if (!registry) {
        auto r = Registry(c);
        if (!r.ok()) return Fail(c, r.status());
        registry = *std::move(r);
      }
      QueryOutcome q = Query(c, *registry, GetDocumentsQuery(uid));
      if (q.exit != kExitOk) return q.exit;
      if (q.response.document_entries_size() == 0) {
        return Usage(c, "the registry knows no DocumentEntry " + uid + "; give --repository-id");
      }
      repository_id = q.response.document_entries(0).repository_unique_id();
    }
    DocumentRequest* dr = request.add_document_requests();
    dr->set_repository_unique_id(repository_id);
    dr->set_document_unique_id(uid);
    ids.Push(Json::Str(uid));
  }
  auto repository = Repository(c, false);
  if (!repository.ok()) return Fail(c, repository.status());
  return Answered(c, (*repository)->Describe(), (*repository)->RemoveDocuments(request), "the removal",
                  Json::Object().Set("removed", std::move(ids)),
                  "removed " + std::to_string(request.document_requests_size()) + " document(s)");
}

int Stats(Context& c) {
  if (c.args.positional.size() != 1) return Usage(c, "stats takes no arguments");
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  auto stats = (*registry)->Stats();
  if (!stats.ok()) return Fail(c, stats.status());
  auto counts = [](const google::protobuf::RepeatedPtrField<Count>& list) {
    Json j = Json::Object();
    for (const auto& n : list) j.Set(n.key(), Json::Int(n.count()));
    return j;
  };
  if (c.json) {
    Json j = Json::Object();
    j.Set("patients", Json::Int(stats->patients()));
    j.Set("documentEntriesByStatus", counts(stats->document_entries_by_status()));
    j.Set("submissionSetsByStatus", counts(stats->submission_sets_by_status()));
    j.Set("foldersByStatus", counts(stats->folders_by_status()));
    j.Set("associations", Json::Int(stats->associations()));
    j.Set("documentEntriesByClassCode", counts(stats->document_entries_by_class_code()));
    j.Set("documentEntriesByRepositoryUniqueId", counts(stats->document_entries_by_repository()));
    j.Set("storeBytes", Json::Int(stats->store_bytes()));
    j.Set("auditEvents", Json::Int(stats->audit_events()));
    Json destinations = Json::Array();
    for (const auto& d : stats->audit_destinations()) {
      Json one = Json::Object();
      one.Set("url", Json::Str(d.url()));
      one.Set("sent", Json::Int(d.sent()));
      one.Set("backlog", Json::Int(d.backlog()));
      one.Set("alarm", Json::Bool(d.alarm()));
      one.Set("lastError", Json::Str(d.last_error()));
      destinations.Push(std::move(one));
    }
    j.Set("auditDestinations", std::move(destinations));
    Print(c, j);
    return kExitOk;
  }
  Table t({"WHAT", "KEY", "COUNT"});
  t.AddRow({"patients", "", std::to_string(stats->patients())});
  for (const auto& n : stats->document_entries_by_status())
    t.AddRow({"documentEntries", n.key(), std::to_string(n.count())});
  for (const auto& n : stats->submission_sets_by_status())
    t.AddRow({"submissionSets", n.key(), std::to_string(n.count())});
  for (const auto& n : stats->folders_by_status()) t.AddRow({"folders", n.key(), std::to_string(n.count())});
  t.AddRow({"associations", "", std::to_string(stats->associations())});
  for (const auto& n : stats->document_entries_by_class_code())
    t.AddRow({"classCode", n.key(), std::to_string(n.count())});
  for (const auto& n : stats->document_entries_by_repository()) {
    t.AddRow({"repositoryUniqueId", n.key(), std::to_string(n.count())});
  }
  t.AddRow({"storeBytes", "", std::to_string(stats->store_bytes())});
  t.AddRow({"auditEvents", "", std::to_string(stats->audit_events())});
  for (const auto& d : stats->audit_destinations()) {
    t.AddRow({"atnaBacklog", d.url() + (d.alarm() ? " ALARM" : ""), std::to_string(d.backlog())});
  }
  *c.out << t.Render();
  return kExitOk;
}

int Backup(Context& c) {
  if (c.args.positional.size() != 2) return Usage(c, "backup wants one FILE");
  std::filesystem::path path(c.args.positional[1]);
  if (path.is_relative()) path = std::filesystem::current_path() / path;
  auto registry = Registry(c);
  if (!registry.ok()) return Fail(c, registry.status());
  auto r = (*registry)->Backup(path.lexically_normal().string());
  if (!r.ok()) {
    if (absl::IsAlreadyExists(r.status())) {
      return Fail(c, kExitRefused, std::string(r.status().message()) + "\n  what to do: choose a new file name");
    }
    return Fail(c, r.status());
  }
  if (c.json) {
    Print(c, Json::Object()
                 .Set("file", Json::Str(r->path()))
                 .Set("bytes", Json::Int(r->bytes()))
                 .Set("durationMs", Json::Int(r->duration_ms())));
  } else {
    *c.out << "backup written to " << r->path() << " on the registry's host (" << r->bytes() << " bytes, "
           << r->duration_ms() << " ms)\n";
  }
  return kExitOk;
}

int RestoreVerb(Context& c) {
  if (c.args.positional.size() != 2) return Usage(c, "restore wants one BACKUP file");
  RestoreOptions o;
  o.backup = c.args.positional[1];
  o.data_dir = c.args.Get("data");
  o.store = c.args.Get("store");
  o.pid_file = c.args.Get("pid-file");
  auto r = Restore(o);
  if (!r.ok()) {
    int code = absl::IsNotFound(r.status())                                ? kExitNotFound
               : absl::IsInvalidArgument(r.status()) && o.data_dir.empty() ? kExitUsage
                                                                           : kExitRefused;
    return Fail(c, code, std::string(r.status().message()));
  }
  if (c.json) {
    Print(c, Json::Object()
                 .Set("store", Json::Str(r->store))
                 .Set("replaced", Json::Str(r->replaced))
                 .Set("trail", Json::Str(r->trail))
                 .Set("trailReplaced", Json::Str(r->trail_replaced)));
  } else {
    *c.out << "restored " << o.backup << " to " << r->store << "\n";
    if (!r->replaced.empty()) *c.out << "the previous store is kept as " << r->replaced << "\n";
    if (!r->trail.empty()) *c.out << "restored its audit trail " << o.backup << ".audit to " << r->trail << "\n";
    if (!r->trail_replaced.empty()) *c.out << "the previous audit trail is kept as " << r->trail_replaced << "\n";
    *c.out << "start the registry again (./xds up, or systemctl start xds-registry)\n";
  }
  return kExitOk;
}

// `xdsctl pki`: the CA directory is --dir, else DATA/pki with --data, else ./pki.
std::string PkiDir(const Context& c) {
  if (c.args.Has("dir")) return c.args.Get("dir");
  return c.args.Has("data") ? (std::filesystem::path(c.args.Get("data")) / "pki").string() : "pki";
}

// A repeatable flag whose values may also be comma lists (--roles consumer,source --dns a --dns b).
std::vector<std::string> ListFlag(const Context& c, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& value : c.args.All(name)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      out.emplace_back(absl::StripAsciiWhitespace(part));
    }
  }
  return out;
}

int PkiIssue(Context& c, const std::string& dir) {
  pki::IssueRequest r;
  r.name = c.args.Get("name");
  r.organization_id = c.args.Get("organization-id");
  r.roles = ListFlag(c, "roles");
  r.server = c.args.Get("server") == "true";
  r.dns_names = ListFlag(c, "dns");
  r.ip_addresses = ListFlag(c, "ip");
  if (r.name.empty() || r.organization_id.empty()) return Usage(c, "pki issue needs --name and --organization-id");
  if (r.roles.empty() && !r.server) return Usage(c, "pki issue needs --roles consumer[,source][,admin]");
  if (c.args.Has("days")) {
    int days = 0;
    if (!absl::SimpleAtoi(c.args.Get("days"), &days) || days <= 0) {
      return Usage(c, "--days wants a positive number of days");
    }
    r.not_after = absl::Now() + absl::Hours(24) * days;
  }
  auto issued = pki::Issue(dir, r);
  if (!issued.ok()) return Fail(c, issued.status());
  if (c.json) {
    Print(c, Json::Object().Set("cert", Json::Str(issued->cert_path)).Set("key", Json::Str(issued->key_path)));
  } else {
    *c.out << "issued " << issued->cert_path << " (serial " << issued->serial_hex << ")\n"
           << "key    " << issued->key_path << " (mode 0600: hand it to " << r.name << " only)\n";
  }
  return kExitOk;
}

int Saml(Context& c) {
  const auto& pos = c.args.positional;
  if (pos.size() != 2 || pos[1] != "issue") return Usage(c, "saml wants 'issue'");
  xua::MintRequest r;
  for (const char* required : {"subject", "organization-id", "role", "purpose", "patient", "audience", "key", "cert"}) {
    if (c.args.Get(required).empty()) return Usage(c, absl::StrCat("saml issue wants --", required));
  }
  const std::string purpose = c.args.Get("purpose");
  if (purpose == "TREATMENT") {
    r.purpose_of_use = xua::kPurposeTreatment;
  } else if (purpose == "EMERGENCY") {
    r.purpose_of_use = xua::kPurposeEmergency;
  } else {
    return Usage(c, "--purpose must be TREATMENT or EMERGENCY");
  }
  int minutes = 60;
  if (c.args.Has("valid-minutes")) {
    try {
      minutes = std::stoi(c.args.Get("valid-minutes"));
    } catch (...) {
      minutes = 0;
    }
    if (minutes <= 0) return Usage(c, "--valid-minutes wants a positive number of minutes");
  }
  r.issuer = c.args.Get("issuer", r.issuer);
  r.subject_id = c.args.Get("subject");
  r.organization = c.args.Get("organization");
  r.organization_id = c.args.Get("organization-id");
  r.role_code = c.args.Get("role");
  r.patient_id = c.args.Get("patient");
  r.home_community_id = c.args.Get("home-community-id");
  r.audience = c.args.Get("audience");
  r.not_before = absl::Now();
  r.validity = absl::Minutes(minutes);
  auto xml = xua::MintAssertion(r, c.args.Get("key"), c.args.Get("cert"));
  if (!xml.ok()) return Fail(c, kExitUsage, std::string(xml.status().message()));
  if (c.json) {
    Print(c, Json::Object().Set("assertion", Json::Str(*xml)));
  } else {
    *c.out << *xml << "\n";
  }
  return kExitOk;
}

// `xdsctl audit`: gRPC only, like stats (XDS.b has no transaction to read an audit trail).
absl::StatusOr<std::unique_ptr<AuditBackend>> AuditStore(Context& c) {
  std::string transport = c.args.Get("transport", "auto");
  if (transport != "auto" && transport != "soap" && transport != "grpc") {
    return absl::InvalidArgumentError("--transport must be auto, grpc or soap");
  }
  if (transport == "soap" || (transport == "auto" && !c.args.Has("registry-grpc") && c.args.Has("registry"))) {
    return absl::UnimplementedError("audit needs the registry's gRPC service (--registry_grpc HOST:PORT)");
  }
  return MakeGrpcAuditBackend(c.args.Get("registry-grpc", kDefaultRegistryGrpc), c.connection);
}

int AuditVerify(Context& c) {
  for (const char* flag : {"patient", "from", "to", "limit"}) {
    if (c.args.Has(flag)) return Usage(c, std::string("--") + flag + " does not apply to audit verify");
  }
  if (c.format == "fhir") return Usage(c, "audit verify prints text or json");
  auto store = AuditStore(c);
  if (!store.ok()) return Fail(c, store.status());
  auto r = (*store)->Verify();
  if (!r.ok()) return Fail(c, r.status());
  if (c.json) *c.out << DumpJson(VerifyJson(*r)) << "\n";
  const std::string range =
      absl::StrCat(r->events(), r->events() == 1 ? " event" : " events", ", seq ", r->first_seq(), "..", r->last_seq());
  if (r->intact()) {
    if (!c.json) *c.out << "audit trail intact (" << range << ")\n";
    return kExitOk;
  }
  *c.err << "xdsctl: the audit trail is broken: " << (r->problem().empty() ? "no detail given" : r->problem())
         << " (checked " << range << ")\n"
         << "  what to do: keep the store as it is for investigation and compare with the copies the ATNA\n"
         << "  audit record repositories received (XDS_AUDIT_SYSLOG)\n";
  return kExitBroken;
}

int Audit(Context& c) {
  const auto& p = c.args.positional;
  if (p.size() == 2 && p[1] == "verify") return AuditVerify(c);
  if (p.size() != 1) return Usage(c, "audit wants --patient ID, or 'verify'");
  AuditLogRequest request;
  request.set_patient_id(c.args.Get("patient"));
  if (request.patient_id().empty()) return Usage(c, "audit needs --patient ID (CX ID^^^&OID&ISO)");
  for (const char* flag : {"from", "to"}) {
    if (!c.args.Has(flag)) continue;
    auto ms = DtmToMillis(c.args.Get(flag), flag);
    if (!ms.ok()) return Usage(c, std::string(ms.status().message()));
    if (std::string(flag) == "from") {
      request.set_from_ms(*ms);
    } else {
      request.set_to_ms(*ms);
    }
  }
  if (c.args.Has("from") && c.args.Has("to") && request.to_ms() <= request.from_ms()) {
    return Usage(c, "--to must lie after --from (--to is exclusive)");
  }
  if (c.args.Has("limit")) {
    int limit = 0;
    if (!absl::SimpleAtoi(c.args.Get("limit"), &limit) || limit <= 0) {
      return Usage(c, "--limit wants a positive number of events");
    }
    request.set_limit(limit);
  }
  auto store = AuditStore(c);
  if (!store.ok()) return Fail(c, store.status());
  auto r = (*store)->Log(request);
  if (!r.ok()) return Fail(c, r.status());
  if (c.format == "fhir") {
    *c.out << DumpJson(AuditLogFhir(*r)) << "\n";
  } else if (c.json) {
    *c.out << DumpJson(AuditLogJson(*r)) << "\n";
  } else {
    *c.out << AuditLogTable(*r);
    return kExitOk;
  }
  if (r->truncated()) {
    *c.err << "xdsctl: more events matched than the registry returned; narrow --from/--to or raise --limit\n";
  }
  return kExitOk;
}

// `xdsctl consent`: gRPC only, like audit (XDS.b has no transaction for the consent desk).
absl::StatusOr<std::unique_ptr<ConsentBackend>> ConsentDesk(Context& c) {
  std::string transport = c.args.Get("transport", "auto");
  if (transport != "auto" && transport != "soap" && transport != "grpc") {
    return absl::InvalidArgumentError("--transport must be auto, grpc or soap");
  }
  if (transport == "soap" || (transport == "auto" && !c.args.Has("registry-grpc") && c.args.Has("registry"))) {
    return absl::UnimplementedError("consent needs the registry's gRPC service (--registry_grpc HOST:PORT)");
  }
  return MakeGrpcConsentBackend(c.args.Get("registry-grpc", kDefaultRegistryGrpc), c.connection);
}

// The subject the flags name; `allowed` lists the subject flags this sub-verb takes. Unset
// kind when none is given; InvalidArgument when several are.
absl::StatusOr<ConsentSubject> SubjectFlags(const Context& c, const std::set<std::string>& allowed) {
  static const std::vector<std::pair<std::string, ConsentSubjectKind>> kFlags = {
      {"organization-id", CONSENT_SUBJECT_ORGANIZATION},
      {"category", CONSENT_SUBJECT_CATEGORY},
      {"professional", CONSENT_SUBJECT_PROFESSIONAL},
      {"everyone", CONSENT_SUBJECT_ANY},
  };
  ConsentSubject subject;
  for (const auto& [flag, kind] : kFlags) {
    if (!c.args.Has(flag)) continue;
    if (flag == "everyone" && c.args.Get(flag) != "true") continue;
    if (!allowed.count(flag)) return absl::InvalidArgumentError("--" + flag + " does not apply here");
    if (subject.kind() != CONSENT_SUBJECT_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "name one subject: --organization-id, --category, --professional or --everyone");
    }
    subject.set_kind(kind);
    if (kind != CONSENT_SUBJECT_ANY) {
      subject.set_id(c.args.Get(flag));
      if (subject.id().empty()) return absl::InvalidArgumentError("--" + flag + " needs a value");
    }
  }
  return subject;
}

std::string SubjectText(const ConsentSubject& s) { return policy::SubjectText(s, "?"); }

// An open bound (0) is null in JSON and "-" in tables.
Json TimeJson(int64_t ms) { return ms == 0 ? Json() : Json::Str(IsoTime(ms)); }
std::string TimeText(int64_t ms) { return ms == 0 ? "-" : IsoTime(ms); }
bool Active(int64_t from, int64_t to, int64_t now) { return (from == 0 || from <= now) && (to == 0 || now < to); }

Json ConsentJson(const PatientConsent& p) {
  const int64_t now = absl::ToUnixMillis(absl::Now());
  Json rules = Json::Array();
  for (const auto& r : p.rules()) {
    rules.Push(Json::Object()
                   .Set("id", Json::Str(r.id()))
                   .Set("effect", Json::Str(r.effect() == CONSENT_DENY ? "deny" : "permit"))
                   .Set("subject", Json::Str(SubjectText(r.subject())))
                   .Set("dataCategory", Json::Str(r.data_category()))
                   .Set("validFrom", TimeJson(r.valid_from_ms()))
                   .Set("validTo", TimeJson(r.valid_to_ms()))
                   .Set("active", Json::Bool(Active(r.valid_from_ms(), r.valid_to_ms(), now)))
                   .Set("source", Json::Str(r.source()))
                   .Set("sourceDocument", Json::Str(r.source_document())));
  }
  Json relationships = Json::Array();
  for (const auto& r : p.relationships()) {
    relationships.Push(Json::Object()
                           .Set("subject", Json::Str(SubjectText(r.subject())))
                           .Set("start", TimeJson(r.start_ms()))
                           .Set("end", TimeJson(r.end_ms()))
                           .Set("active", Json::Bool(Active(r.start_ms(), r.end_ms(), now))));
  }
  Json exclusions = Json::Array();
  for (const auto& e : p.exclusions()) {
    exclusions.Push(Json::Object()
                        .Set("subject", Json::Str(SubjectText(e.subject())))
                        .Set("validFrom", TimeJson(e.valid_from_ms()))
                        .Set("validTo", TimeJson(e.valid_to_ms()))
                        .Set("active", Json::Bool(Active(e.valid_from_ms(), e.valid_to_ms(), now))));
  }
  Json j = Json::Object();
  j.Set("patientId", Json::Str(p.patient_id()));
  j.Set("rules", std::move(rules));
  j.Set("relationships", std::move(relationships));
  j.Set("exclusions", std::move(exclusions));
  if (!p.bppc_document().empty()) {
    j.Set("bppcDocument", Json::Str(p.bppc_document())).Set("bppcEffective", TimeJson(p.bppc_effective_ms()));
  }
  return j;
}

void PrintConsent(Context& c, const PatientConsent& p) {
  if (c.json) {
    Print(c, ConsentJson(p));
    return;
  }
  const int64_t now = absl::ToUnixMillis(absl::Now());
  Table rules({"RULE", "EFFECT", "SUBJECT", "DATA CATEGORY", "FROM", "TO", "ACTIVE", "SOURCE"});
  for (const auto& r : p.rules()) {
    rules.AddRow({r.id(), r.effect() == CONSENT_DENY ? "deny" : "permit", SubjectText(r.subject()), r.data_category(),
                  TimeText(r.valid_from_ms()), TimeText(r.valid_to_ms()),
                  Active(r.valid_from_ms(), r.valid_to_ms(), now) ? "yes" : "no",
                  r.source() + (r.source_document().empty() ? "" : " " + r.source_document())});
  }
  *c.out << "consent of " << p.patient_id() << "\n" << rules.Render();
  *c.out << p.rules_size() << (p.rules_size() == 1 ? " rule\n" : " rules\n");
  if (p.relationships_size() > 0) {
    Table t({"TREATMENT RELATIONSHIP", "START", "END", "ACTIVE"});
    for (const auto& r : p.relationships()) {
      t.AddRow({SubjectText(r.subject()), TimeText(r.start_ms()), TimeText(r.end_ms()),
                Active(r.start_ms(), r.end_ms(), now) ? "yes" : "no"});
    }
    *c.out << "\n" << t.Render();
  }
  if (p.exclusions_size() > 0) {
    Table t({"EXCLUDED", "FROM", "TO", "ACTIVE"});
    for (const auto& e : p.exclusions()) {
      t.AddRow({SubjectText(e.subject()), TimeText(e.valid_from_ms()), TimeText(e.valid_to_ms()),
                Active(e.valid_from_ms(), e.valid_to_ms(), now) ? "yes" : "no"});
    }
    *c.out << "\n" << t.Render();
  }
}

// `consent list` with a subject: only what names that subject.
void FilterConsent(const ConsentSubject& subject, PatientConsent* p) {
  auto same = [&](const ConsentSubject& s) { return s.kind() == subject.kind() && s.id() == subject.id(); };
  auto keep = [&](auto* items) {
    for (int i = items->size() - 1; i >= 0; --i) {
      if (!same(items->Get(i).subject())) items->DeleteSubrange(i, 1);
    }
  };
  keep(p->mutable_rules());
  keep(p->mutable_relationships());
  keep(p->mutable_exclusions());
}

int Consent(Context& c) {
  static const std::set<std::string> kRuleFlags = {"organization-id", "category", "professional", "everyone"};
  static const std::set<std::string> kPartyFlags = {"organization-id", "professional"};
  static const std::map<std::string, std::set<std::string>> kFlags = {
      {"grant", {"patient", "organization-id", "category", "professional", "everyone", "data-category", "from", "to"}},
      {"deny", {"patient", "organization-id", "category", "professional", "everyone", "data-category", "from", "to"}},
      {"revoke", {"patient", "rule", "organization-id", "category", "professional", "everyone", "data-category"}},
      {"list", {"patient", "organization-id", "category", "professional", "everyone"}},
      {"relationship", {"patient", "organization-id", "professional"}},
      {"exclude", {"patient", "organization-id", "professional"}},
      {"unexclude", {"patient", "organization-id", "professional"}},
  };
  const auto& p = c.args.positional;
  const std::string sub = p.size() > 1 ? p[1] : "";
  auto flags = kFlags.find(sub);
  const bool relationship = sub == "relationship";
  if (flags == kFlags.end() || p.size() != (relationship ? 3u : 2u) ||
      (relationship && p[2] != "start" && p[2] != "end")) {
    return Usage(c,
                 "consent wants 'grant', 'deny', 'revoke', 'list', 'relationship start|end', 'exclude' or "
                 "'unexclude'");
  }
  for (const auto& [name, values] : c.args.flags) {
    if (!kGlobalFlags.count(name) && !flags->second.count(name)) {
      return Usage(c, "--" + name + " does not apply to consent " + sub);
    }
  }
  if (c.format == "fhir") return Usage(c, "consent prints table or json");
  const std::string patient = c.args.Get("patient");
  if (patient.empty()) return Usage(c, "consent " + sub + " needs --patient ID (CX ID^^^&OID&ISO)");
  absl::StatusOr<ConsentSubject> subject =
      SubjectFlags(c, sub == "grant" || sub == "deny" || sub == "revoke" ? kRuleFlags : kPartyFlags);
  if (!subject.ok()) return Usage(c, std::string(subject.status().message()));
  const bool has_subject = subject->kind() != CONSENT_SUBJECT_UNSPECIFIED;
  if (c.args.Has("data-category") && c.args.Get("data-category").empty()) {
    return Usage(c, "--data-category needs a name (leave it out for every data category)");
  }

  ConsentRuleRequest rule;
  ConsentRevokeRequest revoke;
  ConsentSubjectRequest party;
  if (sub == "grant" || sub == "deny") {
    if (!has_subject)
      return Usage(c, "consent " + sub + " needs --organization-id, --category, --professional or --everyone");
    rule.set_patient_id(patient);
    *rule.mutable_subject() = *subject;
    rule.set_data_category(c.args.Get("data-category"));
    for (const char* flag : {"from", "to"}) {
      if (!c.args.Has(flag)) continue;
      auto ms = DtmToMillis(c.args.Get(flag), flag);
      if (!ms.ok()) return Usage(c, std::string(ms.status().message()));
      std::string(flag) == "from" ? rule.set_valid_from_ms(*ms) : rule.set_valid_to_ms(*ms);
    }
    if (rule.valid_to_ms() != 0 && rule.valid_to_ms() <= rule.valid_from_ms()) {
      return Usage(c, "--to must lie after --from (--to is exclusive)");
    }
  } else if (sub == "revoke") {
    if (c.args.Has("rule") == has_subject) {
      return Usage(c, "consent revoke needs --rule RULE_ID, or the subject whose rules to revoke (not both)");
    }
    if (c.args.Has("rule") && c.args.Has("data-category")) {
      return Usage(c, "--data-category narrows a revocation by subject, not by --rule");
    }
    revoke.set_patient_id(patient);
    revoke.set_rule_id(c.args.Get("rule"));
    if (c.args.Has("rule") && revoke.rule_id().empty()) return Usage(c, "--rule needs a rule id (consent list)");
    if (has_subject) *revoke.mutable_subject() = *subject;
    revoke.set_data_category(c.args.Get("data-category"));
  } else if (sub != "list") {
    if (!has_subject) return Usage(c, "consent " + sub + " needs --organization-id or --professional");
    party.set_patient_id(patient);
    *party.mutable_subject() = *subject;
  }

  auto desk = ConsentDesk(c);
  if (!desk.ok()) return Fail(c, desk.status());
  ConsentBackend& d = **desk;
  if (sub == "list") {
    ConsentListRequest request;
    request.set_patient_id(patient);
    auto listed = d.List(request);
    if (!listed.ok()) return Fail(c, listed.status());
    if (has_subject) FilterConsent(*subject, &*listed);
    PrintConsent(c, *listed);
    return kExitOk;
  }
  absl::StatusOr<ConsentChangeResponse> changed;
  std::string what;
  if (sub == "grant" || sub == "deny") {
    changed = sub == "grant" ? d.Grant(rule) : d.Deny(rule);
    what = absl::StrCat(sub == "grant" ? "permit " : "deny ", SubjectText(rule.subject()), " data category ",
                        rule.data_category().empty() ? "*" : rule.data_category());
  } else if (sub == "revoke") {
    changed = d.Revoke(revoke);
    what = "revoked";
  } else if (relationship) {
    changed = p[2] == "start" ? d.StartRelationship(party) : d.EndRelationship(party);
    what = absl::StrCat("treatment relationship with ", SubjectText(party.subject()),
                        p[2] == "start" ? " started" : " ended");
  } else {
    changed = sub == "exclude" ? d.Exclude(party) : d.Unexclude(party);
    what = absl::StrCat(SubjectText(party.subject()), sub == "exclude" ? " excluded" : " no longer excluded");
  }
  if (!changed.ok()) return Fail(c, changed.status());
  if (c.json) {
    Json ids = Json::Array();
    for (const auto& id : changed->rule_ids()) ids.Push(Json::Str(id));
    Print(c, Json::Object()
                 .Set("patientId", Json::Str(patient))
                 .Set("changed", Json::Bool(changed->changed()))
                 .Set("ruleIds", std::move(ids))
                 .Set("consent", ConsentJson(changed->consent())));
    return kExitOk;
  }
  std::string ids = absl::StrJoin(changed->rule_ids(), ", ");
  if (!ids.empty()) ids = absl::StrCat(changed->rule_ids_size() == 1 ? " (rule " : " (rules ", ids, ")");
  *c.out << (changed->changed() ? "" : "already in place: ") << what << ids << " for " << patient << "\n";
  return kExitOk;
}

int Pki(Context& c) {
  static const std::map<std::string, std::set<std::string>> kFlags = {
      {"init", {"dir", "region"}},
      {"issue", {"dir", "name", "organization-id", "roles", "server", "dns", "ip", "days"}},
      {"revoke", {"dir"}},
      {"crl", {"dir"}},
  };
  const auto& p = c.args.positional;
  std::string sub = p.size() > 1 ? p[1] : "";
  auto flags = kFlags.find(sub);
  if (flags == kFlags.end() || p.size() != (sub == "revoke" ? 3u : 2u)) {
    return Usage(c, "pki wants 'init', 'issue', 'revoke CERT_PEM_OR_SERIAL' or 'crl'");
  }
  for (const auto& [name, values] : c.args.flags) {
    if (!kGlobalFlags.count(name) && !flags->second.count(name)) {
      return Usage(c, "--" + name + " does not apply to pki " + sub);
    }
  }
  std::string dir = std::filesystem::absolute(PkiDir(c)).lexically_normal().string();
  std::string crl = (std::filesystem::path(dir) / pki::kCrlFile).string();
  if (sub == "issue") return PkiIssue(c, dir);
  if (sub == "init") {
    std::string region = c.args.Get("region", "XDS region");
    if (absl::Status s = pki::InitCa(dir, region); !s.ok()) return Fail(c, s);
    std::string ca = (std::filesystem::path(dir) / pki::kCaCertFile).string();
    if (c.json) {
      Print(c, Json::Object().Set("dir", Json::Str(dir)).Set("caCert", Json::Str(ca)).Set("crl", Json::Str(crl)));
    } else {
      *c.out << "certificate authority of " << region << " created in " << dir << "\n"
             << "trust anchor " << ca << "\nCRL          " << crl << "\n";
    }
    return kExitOk;
  }
  if (sub == "crl") {
    if (absl::Status s = pki::RefreshCrl(dir); !s.ok()) return Fail(c, s);
    if (c.json) {
      Print(c, Json::Object().Set("crl", Json::Str(crl)));
    } else {
      *c.out << "re-signed " << crl << " (valid 30 days)\n";
    }
    return kExitOk;
  }
  if (absl::Status s = pki::Revoke(dir, p[2]); !s.ok()) return Fail(c, s);
  if (c.json) {
    Print(c, Json::Object().Set("revoked", Json::Str(p[2])).Set("crl", Json::Str(crl)));
  } else {
    *c.out << "revoked " << p[2] << "; " << crl << " lists it (reload the services or let them re-read it)\n";
  }
  return kExitOk;
}

}  // namespace

std::string HelpText() {
  std::string s =
      "xdsctl: the administrators' tool of the XDS.b registry and repositories.\n\n"
      "usage: xdsctl [GLOBAL OPTIONS] VERB [ARGS] [OPTIONS]     xdsctl VERB --help\n\n"
      "Verbs:\n";
  for (const auto& v : Verbs()) {
    s += absl::StrCat("  ", v.synopsis, "\n      e.g. ", v.example, "\n");
  }
  s +=
      "\nGlobal options:\n"
      "  --registry_grpc HOST:PORT    the registry's gRPC service (default 127.0.0.1:8011)\n"
      "  --registry URL               any XDS.b registry's SOAP endpoint (ITI-18); used when\n"
      "                               --registry_grpc is not given, or with --transport=soap\n"
      "  --repository_grpc HOST:PORT  the repository's gRPC service (retrieve)\n"
      "  --repository URL             any XDS.b repository's SOAP endpoint (ITI-41 submit, ITI-43 retrieve)\n"
      "  --transport auto|grpc|soap   force one way (default auto: gRPC when its address is given)\n"
      "  --format table|json          output (default table; text = table; audit also fhir)\n"
      "  --timeout_ms N               deadline of each call (default 30000)\n"
      "  --tls_ca PEM --tls_cert PEM --tls_key PEM\n"
      "                               mutual TLS to a secure region (https:// URLs, gRPC): the region's\n"
      "                               CA and this client's certificate and key (xdsctl pki issue)\n"
      "  --data DIR                   restore, pki: the data directory of ./xds up (pki uses DIR/pki)\n"
      "  ./xds ctl [--data DIR] ... fills in all four endpoints from DIR/endpoints.env.\n\n"
      "JSON output (--format=json; one object per line on stdout; field names are the ITI TF-3\n"
      "attribute names in camelCase):\n"
      "  find          {\"documentEntries\":[DE...]}\n"
      "  submissions   {\"submissionSets\":[SS...]}      folders {\"folders\":[FD...]}\n"
      "  show          {\"object\":DE|SS|FD,\"associations\":[AS...]}\n"
      "  related       "
      "{\"documentEntry\":DE,\"related\":[{\"associationType\",\"direction\":\"outgoing\"|\"incoming\",\n"
      "                 \"association\":AS,\"documentEntry\":DE}]}\n"
      "  patient add   {\"patientId\",\"created\":bool}    patient list {\"patients\":[ID...]}\n"
      "  patient show  "
      "{\"patientId\",\"documentEntries\":{\"approved\",\"deprecated\"},\"submissionSets\",\"folders\"}\n"
      "  retrieve      {\"uniqueId\",\"repositoryUniqueId\",\"mimeType\",\"size\",\"hash\",\"file\"}\n"
      "  submit        "
      "{\"submissionSet\":{\"uniqueId\"},\"documentEntries\":[{\"file\",\"uniqueId\",\"mimeType\",\"size\"}]}\n"
      "  stats         {\"patients\",\"documentEntriesByStatus\":{\"Approved\":n,...},\"submissionSetsByStatus\",\n"
      "                 \"foldersByStatus\",\"associations\",\"documentEntriesByClassCode\":{\"CODE^^SCHEME\":n},\n"
      "                 \"documentEntriesByRepositoryUniqueId\":{OID:n},\"storeBytes\"}\n"
      "  backup        {\"file\",\"bytes\",\"durationMs\"}       restore {\"store\",\"replaced\"}\n"
      "  pki init      {\"dir\",\"caCert\",\"crl\"}    pki issue {\"cert\",\"key\"} (PEM paths)\n"
      "  pki revoke    {\"revoked\",\"crl\"}       pki crl {\"crl\"}\n"
      "  audit         {\"events\":[{\"time\",\"action\",\"actionCode\",\"transaction\",\"outcome\",\"outcomeCode\",\n"
      "                 "
      "\"organizationId\",\"userId\",\"role\",\"purposeOfUse\",\"emergency\",\"documentUniqueIds\":[..],\n"
      "                 \"patientId\",\"patientIds\":[..],optional...}],\"truncated\":bool} (see README.md, Audit)\n"
      "  audit verify  {\"intact\",\"events\",\"firstSeq\",\"lastSeq\",\"problem\"}\n"
      "  consent list  "
      "{\"patientId\",\"rules\":[{\"id\",\"effect\",\"subject\",\"dataCategory\",\"validFrom\",\"validTo\",\n"
      "                 \"active\",\"source\",\"sourceDocument\"}],\"relationships\":[{\"subject\",\"start\",\"end\",\n"
      "                 \"active\"}],\"exclusions\":[{\"subject\",\"validFrom\",\"validTo\",\"active\"}]} (times ISO\n"
      "                 8601 UTC, null when open; subject \"organization:ID\", \"category:NAME\",\n"
      "                 \"professional:ID\" or \"*\")\n"
      "  consent grant|deny|revoke|relationship|exclude|unexclude\n"
      "                {\"patientId\",\"changed\":bool,\"ruleIds\":[..],\"consent\":CONSENT (as consent list)}\n"
      "  DE = "
      "{\"objectKind\":\"DocumentEntry\",\"entryUUID\",\"logicalID\",\"version\",\"availabilityStatus\",\"title\",\n"
      "        "
      "\"comments\",\"uniqueId\",\"patientId\",\"objectType\",\"mimeType\",\"classCode\",\"typeCode\",\"formatCode\",\n"
      "        "
      "\"healthcareFacilityTypeCode\",\"practiceSettingCode\",\"confidentialityCode\":[..],\"eventCodeList\":[..],\n"
      "        \"author\":[{\"authorPerson\",\"authorInstitution\":[..],\"authorRole\":[..],\"authorSpecialty\":[..],\n"
      "        "
      "\"authorTelecommunication\":[..]}],\"creationTime\",\"serviceStartTime\",\"serviceStopTime\",\"languageCode\",\n"
      "        "
      "\"sourcePatientId\",\"legalAuthenticator\",\"hash\",\"size\",\"repositoryUniqueId\",\"URI\",\"referenceIdList\"}"
      "\n"
      "  SS = {\"objectKind\":\"SubmissionSet\",header...,\"uniqueId\",\"patientId\",\"sourceId\",\"submissionTime\",\n"
      "        \"contentTypeCode\",\"author\":[..],\"intendedRecipient\":[..]}\n"
      "  FD = {\"objectKind\":\"Folder\",header...,\"uniqueId\",\"patientId\",\"lastUpdateTime\",\"codeList\":[..]}\n"
      "  AS = {\"entryUUID\",\"associationType\",\"sourceObject\",\"targetObject\",\"availabilityStatus\",\n"
      "        \"submissionSetStatus\"}     codes are {\"code\",\"codingScheme\",\"displayName\"}.\n"
      "  Empty optional attributes are left out. On failure: {\"error\":{\"exitCode\",\"message\",\n"
      "  \"registryErrors\":[{\"errorCode\",\"codeContext\",\"location\",\"severity\"}]}}.\n\n"
      "Exit codes: 0 ok; 1 refused by the registry/repository (the XDS error code and what to do are\n"
      "printed); 2 usage error (or not possible over SOAP); 3 registry/repository unreachable; 4 not found;\n"
      "5 audit verify found the audit trail broken.\n";
  return s;
}

std::string VerbHelp(const std::string& verb) {
  const VerbSpec* v = FindVerb(verb);
  if (!v) return "";
  return absl::StrCat("usage: xdsctl ", v->synopsis, "\n\n", v->description, "\n\nExample:\n  ", v->example,
                      "\n\nGlobal options and the JSON format: xdsctl --help\n");
}

int Run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::set<std::string> known = kGlobalFlags;
  for (const auto& v : Verbs()) known.insert(v.flags.begin(), v.flags.end());
  Context c;
  c.out = &out;
  c.err = &err;
  auto args = ParseArgs(argv, known, {"help", "server", "everyone"});
  if (!args.ok()) {
    err << "xdsctl: " << args.status().message() << " (see 'xdsctl --help')\n";
    return kExitUsage;
  }
  c.args = std::move(*args);
  std::string format = c.args.Get("format", "table");
  if (format == "text") format = "table";
  if (format != "table" && format != "json" && format != "fhir") {
    return Usage(c, "--format must be table (or text), json, or fhir (audit only)");
  }
  c.format = format;
  c.json = format == "json";
  if (c.args.Has("timeout-ms")) {
    try {
      c.connection.timeout_ms = std::stoi(c.args.Get("timeout-ms"));
    } catch (...) {
      return Usage(c, "--timeout_ms wants a number of milliseconds");
    }
  }
  c.connection.tls = {c.args.Get("tls-ca"), c.args.Get("tls-cert"), c.args.Get("tls-key"), ""};
  const auto& pos = c.args.positional;
  if (pos.empty() || pos[0] == "help") {
    if (pos.size() > 1 && !VerbHelp(pos[1]).empty()) {
      out << VerbHelp(pos[1]);
      return kExitOk;
    }
    out << HelpText();
    return c.args.Has("help") || !pos.empty() ? kExitOk : kExitUsage;
  }
  const VerbSpec* verb = FindVerb(pos[0]);
  if (!verb) return Usage(c, "unknown verb '" + pos[0] + "'");
  if (c.args.Get("help") == "true") {
    out << VerbHelp(verb->name);
    return kExitOk;
  }
  for (const auto& [name, values] : c.args.flags) {
    if (!kGlobalFlags.count(name) && !verb->flags.count(name)) {
      return Usage(c, "--" + name + " does not apply to " + verb->name);
    }
  }
  std::string name = verb->name;
  if (c.format == "fhir" && name != "audit") return Usage(c, "--format=fhir applies to audit only");
  if (name == "patient") return Patient(c);
  if (name == "find") return Find(c);
  if (name == "show") return Show(c);
  if (name == "submissions") return Packages(c, true);
  if (name == "folders") return Packages(c, false);
  if (name == "related") return Related(c);
  if (name == "retrieve") return Retrieve(c);
  if (name == "submit") return Submit(c);
  if (name == "deprecate") return Update(c, true);
  if (name == "update") return Update(c, false);
  if (name == "remove-metadata") return RemoveMetadata(c);
  if (name == "remove-documents") return RemoveDocuments(c);
  if (name == "stats") return Stats(c);
  if (name == "backup") return Backup(c);
  if (name == "restore") return RestoreVerb(c);
  if (name == "pki") return Pki(c);
  if (name == "saml") return Saml(c);
  if (name == "audit") return Audit(c);
  if (name == "consent") return Consent(c);
  return Usage(c, "unknown verb '" + name + "'");
}

}  // namespace xds::ctl
