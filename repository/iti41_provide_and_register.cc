#include "repository/iti41_provide_and_register.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/model/errors.h"

namespace xds {
namespace {

// The registry query answers in chunks this size, to keep each GetDocuments bounded.
constexpr size_t kResolveChunk = 100;

// "documents a, b, c" for the log, the first few of a submission's uniqueIds.
std::string DocumentsForLog(const std::vector<std::string>& unique_ids) {
  constexpr size_t kShown = 10;
  std::string out = unique_ids.size() == 1 ? "document " : "documents ";
  for (size_t i = 0; i < unique_ids.size() && i < kShown; ++i) absl::StrAppend(&out, i ? ", " : "", unique_ids[i]);
  if (unique_ids.size() > kShown) absl::StrAppend(&out, " and ", unique_ids.size() - kShown, " more");
  return out;
}

}  // namespace

ProvideAndRegisterService::ProvideAndRegisterService(DocumentStore* store, RegistryClient* registry,
                                                     ProvideAndRegisterOptions options)
    : store_(store), registry_(registry), options_(std::move(options)) {
  reconciler_ = std::thread([this] { ReconcileLoop(); });
}

ProvideAndRegisterService::~ProvideAndRegisterService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  reconciler_.join();
}

RegistryResponse ProvideAndRegisterService::ProvideAndRegister(ProvideAndRegisterRequest request,
                                                               const std::string& source_organization,
                                                               CallOutcome& outcome) {
  std::vector<RegistryError> errors = std::move(request.errors);
  Submission& submission = request.submission;

  struct Checked {
    DocumentEntry* entry;
    std::string_view content;
    std::string sha1;
  };
  std::vector<Checked> checked;
  std::set<std::string> entry_ids, unique_ids;
  for (DocumentEntry& de : *submission.mutable_document_entries()) {
    const std::string& id = de.header().entry_uuid();
    const std::string& uid = de.unique_id();
    entry_ids.insert(id);
    if (!uid.empty() && !unique_ids.insert(uid).second) {  // P5
      errors.push_back(MakeError(err::kRepositoryDuplicateUniqueIdInMessage,
                                 absl::StrCat("Two DocumentEntries have the uniqueId ", uid), uid));
    }
    auto document = request.documents.find(id);
    if (document == request.documents.end()) {  // P3
      if (!request.unusable_documents.count(id)) {
        errors.push_back(MakeError(err::kMissingDocument,
                                   absl::StrCat("DocumentEntry ", id, " (uniqueId ", uid, ") has no xds:Document"),
                                   uid));
      }
      continue;
    }
    std::string_view content = document->second;
    std::string sha1 = Sha1Hex(content);
    bool metadata_ok = true;
    if (!de.hash().empty() && !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(de.hash()), sha1)) {  // P2
      errors.push_back(MakeError(
          err::kRepositoryMetadataError,
          absl::StrCat("DocumentEntry ", id, " hash ", de.hash(), " does not match the document's SHA-1 ", sha1), uid));
      metadata_ok = false;
    }
    if (de.has_size() && de.size() != static_cast<int64_t>(content.size())) {
      errors.push_back(MakeError(err::kRepositoryMetadataError,
                                 absl::StrCat("DocumentEntry ", id, " size ", de.size(),
                                              " does not match the document's ", content.size(), " octets"),
                                 uid));
      metadata_ok = false;
    }
    if (metadata_ok && !uid.empty()) {  // P7
      auto existing = store_->Find(uid);
      if (!existing.ok()) {
        outcome.Fail(err::kRepositoryError.name,
                     absl::StrCat("document ", uid, ": find: ", existing.status().ToString()));
        errors.push_back(MakeError(err::kRepositoryError, "The repository could not read its document index", uid));
      } else if (*existing && (*existing)->committed && (*existing)->hash != sha1) {
        errors.push_back(
            MakeError(err::kNonIdenticalHash, absl::StrCat(uid, " is already stored with another hash"), uid));
      } else if (*existing && (*existing)->committed && (*existing)->size != static_cast<int64_t>(content.size())) {
        errors.push_back(
            MakeError(err::kNonIdenticalSize, absl::StrCat(uid, " is already stored with another size"), uid));
      } else if (*existing && !(*existing)->committed) {
        errors.push_back(MakeError(err::kRepositoryBusy,
                                   absl::StrCat(uid, " is part of another submission still in progress"), uid));
      }
    }
    checked.push_back({&de, content, std::move(sha1)});
  }
  for (const auto& [id, content] : request.documents) {  // P4
    if (!entry_ids.count(id)) {
      errors.push_back(
          MakeError(err::kMissingDocumentMetadata,
                    absl::StrCat("xds:Document ", id, " has no DocumentEntry (ExtrinsicObject) with that id")));
    }
  }
  if (!errors.empty()) return FailureResponse(std::move(errors));

  // P8: what the registry gets describes the bytes we hold.
  for (Checked& c : checked) {
    c.entry->set_repository_unique_id(options_.repository_unique_id);
    if (c.entry->hash().empty()) c.entry->set_hash(c.sha1);
    if (!c.entry->has_size()) c.entry->set_size(static_cast<int64_t>(c.content.size()));
  }

  // P9: durable before ITI-42, but pending (invisible to ITI-43) until the registry agrees.
  std::vector<std::string> staged;
  for (Checked& c : checked) {
    StageRequest stage{c.entry->unique_id(),
                       c.entry->mime_type(),
                       c.content,
                       c.sha1,
                       c.entry->patient_id(),
                       c.entry->class_code().code().empty()
                           ? std::string()
                           : absl::StrCat(c.entry->class_code().code(), "^^", c.entry->class_code().scheme())};
    auto result = store_->Stage(stage);
    if (!result.ok()) {
      store_->Abort(staged).IgnoreError();
      const std::string& uid = c.entry->unique_id();
      // A concurrent submission won the race the P7 check lost: the same answers as P7.
      switch (result.status().code()) {
        case absl::StatusCode::kAlreadyExists:
          if (absl::StartsWith(result.status().message(), "hash")) {
            return FailureResponse(
                {MakeError(err::kNonIdenticalHash, absl::StrCat(uid, " is already stored with another hash"), uid)});
          }
          return FailureResponse(
              {MakeError(err::kNonIdenticalSize, absl::StrCat(uid, " is already stored with another size"), uid)});
        case absl::StatusCode::kFailedPrecondition:
          return FailureResponse({MakeError(
              err::kRepositoryBusy, absl::StrCat(uid, " is part of another submission still in progress"), uid)});
        default:
          break;
      }
      // I/O or SQLite: the status names files and SQL, for the log only.
      std::string detail = absl::StrCat("document ", uid, ": stage: ", result.status().ToString());
      if (result.status().code() == absl::StatusCode::kResourceExhausted) {
        outcome.Fail(err::kRepositoryOutOfResources.name, detail);
        return FailureResponse({MakeError(err::kRepositoryOutOfResources, "The repository's storage is full", uid)});
      }
      outcome.Fail(err::kRepositoryError.name, detail);
      return FailureResponse({MakeError(
          err::kRepositoryError,
          absl::StrCat("Document ", uid, " could not be stored in the repository; nothing was stored"), uid)});
    }
    if (!result->already_committed) staged.push_back(c.entry->unique_id());
  }
  if (options_.test_pause_after_stage > absl::ZeroDuration()) absl::SleepFor(options_.test_pause_after_stage);

  // P10 / P11.
  auto registered = registry_->Register(submission, source_organization);
  std::vector<std::string> submitted;
  for (const Checked& c : checked) submitted.push_back(c.entry->unique_id());
  if (registered.ok() && registered->status() == SUCCESS) {
    if (options_.test_pause_after_register > absl::ZeroDuration()) absl::SleepFor(options_.test_pause_after_register);
    if (!store_->Commit(staged).ok()) Reconcile(staged);  // the registry has them: commit later
    return std::move(*registered);
  }
  if (registered.ok()) {
    store_->Abort(staged).IgnoreError();
    RegistryResponse response = std::move(*registered);
    response.set_status(FAILURE);
    if (response.errors_size() == 0) {
      *response.add_errors() = MakeError(err::kRegistryError, "The registry refused the submission without saying why");
    }
    return response;
  }
  // The registry's status names its address and gRPC's reasons: for the log only.
  std::string detail = absl::StrCat("ITI-42 for ", DocumentsForLog(submitted), ": ", registered.status().ToString());
  if (registered.status().code() == absl::StatusCode::kUnavailable) {  // never reached the registry
    absl::Status aborted = store_->Abort(staged);
    if (!aborted.ok()) absl::StrAppend(&detail, "; abort (cleaned up at start-up): ", aborted.ToString());
    outcome.Fail(err::kRegistryNotAvailable.name, detail);
    return FailureResponse({MakeError(err::kRegistryNotAvailable,
                                      "The document registry could not be reached; the documents were not stored")});
  }
  // Deadline or another transport error: the registry may have registered. Ask it.
  std::vector<std::string> undecided = Resolve(staged);
  if (undecided.empty()) {
    bool all_committed = true;
    for (const std::string& uid : staged) {
      auto found = store_->Lookup(uid);
      all_committed = all_committed && found.ok() && found->has_value();
    }
    if (all_committed && !staged.empty()) return SuccessResponse();  // registered after all
    outcome.Fail(err::kRegistryNotAvailable.name, detail);
    return FailureResponse(
        {MakeError(err::kRegistryNotAvailable, "The document registry did not answer; the documents were not stored")});
  }
  Reconcile(undecided);
  absl::StrAppend(&detail, "; ", undecided.size(), " document(s) pending until the registry answers");
  outcome.Fail(err::kRegistryNotAvailable.name, detail);
  return FailureResponse({MakeError(err::kRegistryNotAvailable,
                                    "The document registry did not answer in time; whether the documents were "
                                    "registered is not known yet (query the registry before resubmitting)")});
}

std::vector<std::string> ProvideAndRegisterService::Resolve(const std::vector<std::string>& unique_ids) {
  std::vector<std::string> undecided;
  for (size_t begin = 0; begin < unique_ids.size(); begin += kResolveChunk) {
    std::vector<std::string> chunk(unique_ids.begin() + begin,
                                   unique_ids.begin() + std::min(unique_ids.size(), begin + kResolveChunk));
    auto entries = registry_->GetDocumentsByUniqueId(chunk);
    if (!entries.ok()) {
      undecided.insert(undecided.end(), chunk.begin(), chunk.end());
      continue;
    }
    std::vector<std::string> commit, abort;
    for (const std::string& uid : chunk) {
      auto row = store_->Find(uid);
      if (!row.ok()) {
        undecided.push_back(uid);
        continue;
      }
      if (!*row || (*row)->committed) continue;  // already settled
      bool registered = std::any_of(entries->begin(), entries->end(), [&](const DocumentEntry& de) {
        return de.unique_id() == uid && de.repository_unique_id() == options_.repository_unique_id &&
               absl::EqualsIgnoreCase(de.hash(), (*row)->hash);
      });
      (registered ? commit : abort).push_back(uid);
    }
    if (!commit.empty() && !store_->Commit(commit).ok())
      undecided.insert(undecided.end(), commit.begin(), commit.end());
    if (!abort.empty() && !store_->Abort(abort).ok()) undecided.insert(undecided.end(), abort.begin(), abort.end());
  }
  return undecided;
}

size_t ProvideAndRegisterService::RecoverAtStartup() {
  store_->RemoveOrphanFiles().IgnoreError();
  auto pending = store_->Pending();
  if (!pending.ok()) return 0;
  std::vector<std::string> ids;
  for (const StoredDocument& d : *pending) ids.push_back(d.unique_id);
  std::vector<std::string> undecided = Resolve(ids);
  Reconcile(undecided);
  return undecided.size();
}

void ProvideAndRegisterService::Reconcile(std::vector<std::string> unique_ids) {
  if (unique_ids.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    unresolved_.insert(unique_ids.begin(), unique_ids.end());
  }
  cv_.notify_all();
}

size_t ProvideAndRegisterService::unresolved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unresolved_.size();
}

void ProvideAndRegisterService::ReconcileLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (unresolved_.empty()) {
      cv_.wait(lock);
      continue;
    }
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.reconcile_retry), [this] { return stopping_; });
    if (stopping_) break;
    std::vector<std::string> ids(unresolved_.begin(), unresolved_.end());
    lock.unlock();
    std::vector<std::string> undecided = Resolve(ids);
    lock.lock();
    for (const std::string& id : ids) unresolved_.erase(id);
    unresolved_.insert(undecided.begin(), undecided.end());
  }
}

}  // namespace xds
