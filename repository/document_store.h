// DocumentStore: the Document Repository's durable content, with the two-phase life a
// document needs around ITI-42 (TF-41 P9/P10): Stage (bytes durable, hidden from ITI-43),
// then Commit once the registry accepted the metadata, or Abort when it did not.
//
// Contents are files named by their SHA-1 under DIR/documents/ab/abcdef... (identical
// contents share one file); an SQLite index (WAL) maps each document uniqueId to its hash,
// size, mimeType and state (pending | committed). Every method is thread-safe. Index
// writes of concurrent callers are group-committed by one writer thread (one fsync for
// all Stage rows that arrived meanwhile); Commit/Abort are not fsynced, crash recovery
// covers them (see document_store.cc).
#ifndef XDS_REPOSITORY_DOCUMENT_STORE_H_
#define XDS_REPOSITORY_DOCUMENT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "registry/shared/audit/trail.h"

namespace xds {

// Lower-case hex SHA-1 of `data` (OpenSSL EVP).
std::string Sha1Hex(std::string_view data);

struct StoredDocument {
  std::string unique_id;
  std::string hash;  // lower-case hex SHA-1
  int64_t size = 0;
  std::string mime_type;
  bool committed = false;
  int64_t created = 0;     // unix seconds
  std::string patient_id;  // of its DocumentEntry (audit events name her)
  std::string class_code;  // code^^scheme
};

// Content of a stored document, mapped read-only; data() stays valid while this lives.
class DocumentContent {
 public:
  virtual ~DocumentContent() = default;
  virtual std::string_view data() const = 0;
};

struct StageRequest {
  std::string unique_id;
  std::string mime_type;
  std::string_view content;  // only read during Stage
  std::string sha1;          // lower-case hex SHA-1 of content when the caller has it; else computed
  std::string patient_id;    // of its DocumentEntry
  std::string class_code;    // code^^scheme
};

struct StageResult {
  std::string hash;
  int64_t size = 0;
  // True when this uniqueId was already committed with identical content: nothing was
  // staged, and the caller must neither Commit nor Abort it.
  bool already_committed = false;
};

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;

  // Writes `content` durably (temp file, fsync, rename, directory fsync; skipped when a file
  // with that hash exists) and records a pending row. Errors:
  //   AlreadyExists  - the uniqueId is stored with other content; the message starts with
  //                    "hash" or "size" to say which differs (XDSNonIdenticalHash/Size).
  //   FailedPrecondition - the uniqueId is pending for another, unfinished submission.
  //   Unavailable / Internal - I/O or SQLite failures; nothing is left behind.
  virtual absl::StatusOr<StageResult> Stage(const StageRequest& request) = 0;

  // Makes pending documents visible to Lookup. Unknown or already committed ids are ignored.
  virtual absl::Status Commit(const std::vector<std::string>& unique_ids) = 0;

  // Drops pending rows (never committed ones) and deletes files no remaining row references.
  virtual absl::Status Abort(const std::vector<std::string>& unique_ids) = 0;

  // ITI-86: deletes the committed rows of `unique_ids` in one durable transaction (fsynced
  // before this returns) and then unlinks every content file no row references any more.
  // Returns the ids that were removed; unknown or pending ids are left alone and absent
  // from the answer. A crash between the commit and the unlink leaves a file no row
  // references, which RemoveOrphanFiles deletes at the next start.
  virtual absl::StatusOr<std::vector<std::string>> Remove(const std::vector<std::string>& unique_ids) = 0;

  // The document in any state, or nullopt. For duplicate checks before staging.
  virtual absl::StatusOr<std::optional<StoredDocument>> Find(const std::string& unique_id) = 0;

  // A committed document, or nullopt (pending documents are invisible to ITI-43).
  virtual absl::StatusOr<std::optional<StoredDocument>> Lookup(const std::string& unique_id) = 0;

  // Maps the content of a document returned by Lookup/Find.
  virtual absl::StatusOr<std::unique_ptr<DocumentContent>> Read(const StoredDocument& document) = 0;

  // Every pending row (crash recovery asks the registry about each).
  virtual absl::StatusOr<std::vector<StoredDocument>> Pending() = 0;

  // Deletes files under documents/ that no row references and leftover temp files (a crash
  // between writing a file and inserting its row). Returns how many were removed. Call
  // only while no Stage runs (at start-up).
  virtual absl::StatusOr<int> RemoveOrphanFiles() = 0;

  // The repository's audit trail, in the same database (its events share the index's
  // group commits).
  virtual audit::Trail& audit_trail() = 0;
};

// Opens (creating when absent) the store under `data_dir`: data_dir/documents/ and
// data_dir/repository.sqlite.
absl::StatusOr<std::unique_ptr<DocumentStore>> OpenFileDocumentStore(const std::string& data_dir);

}  // namespace xds

#endif  // XDS_REPOSITORY_DOCUMENT_STORE_H_
