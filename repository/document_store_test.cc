#include "repository/document_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace xds {
namespace {

namespace fs = std::filesystem;

std::string FreshDir() {
  static int n = 0;
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/store" + std::to_string(++n);
  fs::remove_all(dir);
  return dir;
}

int CountFiles(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir + "/documents")) n += e.is_regular_file();
  return n;
}

TEST(Sha1Hex, KnownVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(DocumentStore, StageIsHiddenUntilCommit) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto staged = (*store)->Stage({"1.2.3", "text/plain", "hello", ""});
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ(staged->hash, Sha1Hex("hello"));
  EXPECT_EQ(staged->size, 5);
  EXPECT_TRUE(fs::exists(dir + "/documents/" + staged->hash.substr(0, 2) + "/" + staged->hash));
  EXPECT_FALSE((*(*store)->Lookup("1.2.3")).has_value());
  ASSERT_EQ((*(*store)->Pending()).size(), 1u);
  ASSERT_TRUE((*store)->Commit({"1.2.3"}).ok());
  auto found = (*store)->Lookup("1.2.3");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->mime_type, "text/plain");
  auto content = (*store)->Read(**found);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ((*content)->data(), "hello");
  EXPECT_TRUE((*(*store)->Pending()).empty());
  // Abort never removes a committed document.
  ASSERT_TRUE((*store)->Abort({"1.2.3"}).ok());
  EXPECT_TRUE((*(*store)->Lookup("1.2.3")).has_value());
}

// ITI-86: Remove deletes committed rows only, and a content file once no row shares it;
// the removal survives a reopen (it was committed before Remove returned).
TEST(DocumentStore, RemoveDeletesCommittedRowsAndTheirLastFile) {
  std::string dir = FreshDir();
  std::string file = dir + "/documents/" + Sha1Hex("same").substr(0, 2) + "/" + Sha1Hex("same");
  {
    auto store = OpenFileDocumentStore(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    for (const char* id : {"1.1", "1.2", "1.3"}) ASSERT_TRUE((*store)->Stage({id, "text/plain", "same", ""}).ok());
    ASSERT_TRUE((*store)->Commit({"1.1", "1.2"}).ok());  // 1.3 stays pending
    auto removed = (*store)->Remove({"1.1", "1.3", "9.9"});
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(*removed, std::vector<std::string>{"1.1"});
    EXPECT_FALSE((*(*store)->Find("1.1")).has_value());
    EXPECT_TRUE((*(*store)->Find("1.3")).has_value());
    EXPECT_TRUE(fs::exists(file));  // 1.2 and 1.3 still use it
    ASSERT_TRUE((*store)->Abort({"1.3"}).ok());
    removed = (*store)->Remove({"1.2"});
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, std::vector<std::string>{"1.2"});
    EXPECT_FALSE(fs::exists(file));
    EXPECT_EQ(CountFiles(dir), 0);
  }
  auto reopened = OpenFileDocumentStore(dir);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE((*(*reopened)->Find("1.2")).has_value());
}

TEST(DocumentStore, AbortRemovesRowAndUnsharedFileOnly) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Stage({"a", "text/plain", "same", ""}).ok());
  ASSERT_TRUE((*store)->Stage({"b", "text/plain", "same", ""}).ok());  // deduplicated
  ASSERT_TRUE((*store)->Stage({"c", "text/plain", "other", ""}).ok());
  EXPECT_EQ(CountFiles(dir), 2);
  ASSERT_TRUE((*store)->Abort({"a", "c"}).ok());
  EXPECT_EQ(CountFiles(dir), 1);  // "same" is still referenced by b
  EXPECT_FALSE((*(*store)->Find("a")).has_value());
  ASSERT_TRUE((*store)->Abort({"b"}).ok());
  EXPECT_EQ(CountFiles(dir), 0);
  EXPECT_TRUE((*(*store)->Pending()).empty());
}

TEST(DocumentStore, ConflictsAreReported) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Stage({"u", "text/plain", "one", ""}).ok());
  auto pending = (*store)->Stage({"u", "text/plain", "one", ""});
  EXPECT_EQ(pending.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*store)->Commit({"u"}).ok());
  auto same = (*store)->Stage({"u", "text/plain", "one", ""});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->already_committed);
  auto other = (*store)->Stage({"u", "text/plain", "two", ""});
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.status().message().substr(0, 4), "hash");
  EXPECT_EQ(CountFiles(dir), 1);
}

TEST(DocumentStore, SurvivesReopenAndRemovesOrphans) {
  std::string dir = FreshDir();
  std::string hash;
  {
    auto store = OpenFileDocumentStore(dir);
    ASSERT_TRUE(store.ok());
    hash = (*(*store)->Stage({"p", "text/plain", "pending one", ""})).hash;
  }
  // A crash between writing a file and inserting its row, and a leftover temp file.
  std::string orphan_hash = Sha1Hex("orphan");
  fs::create_directories(dir + "/documents/" + orphan_hash.substr(0, 2));
  std::ofstream(dir + "/documents/" + orphan_hash.substr(0, 2) + "/" + orphan_hash) << "orphan";
  std::ofstream(dir + "/documents/" + orphan_hash.substr(0, 2) + "/.tmp-x") << "partial";
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  auto pending = (*store)->Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].hash, hash);
  EXPECT_EQ(*(*store)->RemoveOrphanFiles(), 2);
  EXPECT_EQ(CountFiles(dir), 1);
}

TEST(DocumentStore, EmptyDocument) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Stage({"e", "text/plain", "", ""}).ok());
  ASSERT_TRUE((*store)->Commit({"e"}).ok());
  auto content = (*store)->Read(**(*store)->Lookup("e"));
  ASSERT_TRUE(content.ok());
  EXPECT_EQ((*content)->data(), "");
}

// Concurrent Stages share group commits; each still gets its own answer, conflicts on one
// uniqueId are decided once, and identical contents share one file.
TEST(DocumentStore, ConcurrentStagesCommitAndConflictCorrectly) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  constexpr int kThreads = 8, kPerThread = 20;
  std::vector<std::thread> threads;
  std::vector<int> staged(kThreads, 0), busy(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string content = "doc " + std::to_string(i % 5);  // 5 distinct contents
        std::string uid = "u." + std::to_string(t) + "." + std::to_string(i);
        if ((*store)->Stage({uid, "text/plain", content, ""}).ok()) ++staged[t];
        // Every thread also races for one shared uniqueId per round: exactly one wins.
        auto shared = (*store)->Stage({"shared." + std::to_string(i), "text/plain", "shared", ""});
        if (shared.ok())
          ++staged[t];
        else if (shared.status().code() == absl::StatusCode::kFailedPrecondition)
          ++busy[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  int total = 0, total_busy = 0;
  for (int t = 0; t < kThreads; ++t) total += staged[t], total_busy += busy[t];
  EXPECT_EQ(total, kThreads * kPerThread + kPerThread);
  EXPECT_EQ(total_busy, (kThreads - 1) * kPerThread);
  EXPECT_EQ(CountFiles(dir), 6);
  ASSERT_EQ((*(*store)->Pending()).size(), static_cast<size_t>(total));
  std::vector<std::string> commit, abort;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      (t % 2 ? abort : commit).push_back("u." + std::to_string(t) + "." + std::to_string(i));
    }
  }
  for (int i = 0; i < kPerThread; ++i) abort.push_back("shared." + std::to_string(i));
  std::thread committer([&] { EXPECT_TRUE((*store)->Commit(commit).ok()); });
  std::thread aborter([&] { EXPECT_TRUE((*store)->Abort(abort).ok()); });
  committer.join();
  aborter.join();
  EXPECT_TRUE((*(*store)->Pending()).empty());
  EXPECT_EQ(CountFiles(dir), 5);  // "shared" had no committed row left
  auto found = (*store)->Lookup("u.0.3");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*(*store)->Read(**found))->data(), "doc 3");
  EXPECT_FALSE((*(*store)->Lookup("u.1.3")).has_value());
}

// A Stage that finds its content file already present must keep it even when an Abort
// of the last row referring to that content runs at the same time.
TEST(DocumentStore, StageAndAbortOfSameContentRace) {
  std::string dir = FreshDir();
  auto store = OpenFileDocumentStore(dir);
  ASSERT_TRUE(store.ok());
  for (int round = 0; round < 50; ++round) {
    std::string a = "a" + std::to_string(round), b = "b" + std::to_string(round);
    ASSERT_TRUE((*store)->Stage({a, "text/plain", "contended", ""}).ok());
    std::thread aborter([&] { EXPECT_TRUE((*store)->Abort({a}).ok()); });
    ASSERT_TRUE((*store)->Stage({b, "text/plain", "contended", ""}).ok());
    aborter.join();
    ASSERT_TRUE((*store)->Commit({b}).ok());
    auto found = (*store)->Lookup(b);
    ASSERT_TRUE(found.ok() && found->has_value());
    auto content = (*store)->Read(**found);
    ASSERT_TRUE(content.ok()) << "round " << round << ": " << content.status();
    EXPECT_EQ((*content)->data(), "contended");
    ASSERT_TRUE((*store)->Abort({b}).ok());  // committed: stays
  }
}

}  // namespace
}  // namespace xds
