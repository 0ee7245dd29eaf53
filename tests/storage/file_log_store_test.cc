// FileLogStore: the embedded engine's event segments, offset indexes, tree
// level files and checkpoint files (docs/formats/ledger-files.md), including
// what Open repairs after a crash (SR-2) and what it refuses as damage (AT-4).
#include "storage/embedded/file_log_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/sha256.h"
#include "testing/fault_env.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using vellum::testing::FaultInjectionEnv;
using vellum::testing::FaultOp;
using vellum::testing::ReadFileOrDie;
using vellum::testing::SnapshotFiles;
using vellum::testing::TempDir;
using vellum::testing::WriteFileOrDie;

// A distinct line per sequence number, of varying length so offsets are not regular.
std::string Line(uint64_t seq) {
  return "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + std::string(seq % 7, 'x') + "\"}";
}

std::vector<std::string> Lines(uint64_t from, uint64_t count) {
  std::vector<std::string> out;
  for (uint64_t s = from; s < from + count; ++s) out.push_back(Line(s));
  return out;
}

core::Hash H(int level, uint64_t index) {
  return core::Sha256("node " + std::to_string(level) + "/" + std::to_string(index));
}

class FileLogStoreTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.Sub("ledger"); }
  std::string SegPath(uint64_t first) const {
    return Dir() + "/segments/" + FileLogStore::SegmentName(first);
  }
  std::string IdxPath(uint64_t first) const {
    std::string name = FileLogStore::SegmentName(first);
    return Dir() + "/offsets/" + name.substr(0, 20) + ".idx";
  }
  std::string LevelPath(int level) const {
    return Dir() + "/tree/" + FileLogStore::LevelName(level);
  }

  StatusOr<std::unique_ptr<FileLogStore>> Create(uint64_t max_segment_bytes = 64ull << 20) {
    FileLogStoreOptions o;
    o.max_segment_bytes = max_segment_bytes;
    return FileLogStore::Create(env_, Dir(), o);
  }
  StatusOr<std::unique_ptr<FileLogStore>> Reopen(uint64_t max_segment_bytes = 64ull << 20) {
    FileLogStoreOptions o;
    o.max_segment_bytes = max_segment_bytes;
    return FileLogStore::Open(env_, Dir(), o);
  }

  // Every event reads back, locates to its line, and scans in order from every start.
  void ExpectEvents(const FileLogStore& store, uint64_t count) {
    ASSERT_EQ(store.EventCount(), count);
    for (uint64_t s = 0; s < count; ++s) {
      ASSERT_OK_AND_ASSIGN(std::string line, store.ReadEvent(s));
      EXPECT_EQ(line, Line(s)) << "seq " << s;
      ASSERT_OK_AND_ASSIGN(EventLocation loc, store.LocateEvent(s));
      ASSERT_EQ(loc.file.rfind("ledger/segments/", 0), 0u) << loc.file;
      std::string file = ReadFileOrDie(Dir() + "/" + loc.file.substr(strlen("ledger/")));
      EXPECT_EQ(file.substr(loc.offset, line.size() + 1), line + "\n") << "seq " << s;
    }
    for (uint64_t from = 0; from <= count; ++from) {
      auto cursor = store.Scan(from);
      uint64_t expect = from;
      while (cursor->Next()) {
        EXPECT_EQ(cursor->seq(), expect);
        EXPECT_EQ(cursor->line(), Line(expect));
        ASSERT_OK_AND_ASSIGN(EventLocation loc, store.LocateEvent(expect));
        EXPECT_EQ(cursor->location().file, loc.file);
        EXPECT_EQ(cursor->location().offset, loc.offset);
        ++expect;
      }
      EXPECT_OK(cursor->status());
      EXPECT_EQ(expect, count) << "scan from " << from;
    }
    EXPECT_THAT(store.ReadEvent(count), StatusIs(StatusCode::kNotFound, HasSubstr("seq")));
    EXPECT_THAT(store.LocateEvent(count), StatusIs(StatusCode::kNotFound, ::testing::_));
  }

  TempDir tmp_;
  core::Env* env_ = core::Env::Default();
};

TEST_F(FileLogStoreTest, CreateMakesLayoutAndRefusesExistingLedger) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  EXPECT_EQ(store->EventCount(), 0u);
  for (const char* sub : {"segments", "offsets", "tree", "checkpoints"}) {
    EXPECT_TRUE(env_->Exists(Dir() + "/" + sub)) << sub;
  }
  ASSERT_OK(store->AppendEvents(Lines(0, 1)));
  store.reset();
  EXPECT_THAT(Create(), StatusIs(StatusCode::kAlreadyExists, HasSubstr("already exists")));
  EXPECT_THAT(FileLogStore::Open(env_, tmp_.Sub("nothing-here")),
              StatusIs(StatusCode::kNotFound, HasSubstr("no ledger")));
}

TEST_F(FileLogStoreTest, AppendReadLocateScanInOneSegment) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 3)));
  ASSERT_OK(store->AppendEvents({}));  // nothing to do
  ASSERT_OK(store->AppendEvents(Lines(3, 1)));
  ASSERT_OK(store->AppendEvents(Lines(4, 6)));
  ExpectEvents(*store, 10);
  // The segment is exactly the lines, one per line, in order: readable with cat/jq (AT-9).
  std::string expected;
  for (const auto& l : Lines(0, 10)) expected += l + "\n";
  EXPECT_EQ(ReadFileOrDie(SegPath(0)), expected);
  // The offset index holds one fixed-width entry per event.
  EXPECT_EQ(ReadFileOrDie(IdxPath(0)).size(), 10u * 8);
}

TEST_F(FileLogStoreTest, SegmentRollOverSealsReadOnlyAndKeepsOffsets) {
  constexpr uint64_t kMax = 64;
  ASSERT_OK_AND_ASSIGN(auto store, Create(kMax));
  uint64_t n = 0;
  // Batches of varying size, so some segments end mid-batch and some overflow.
  for (uint64_t batch : {1, 2, 5, 1, 3, 1, 1, 7, 2, 1}) {
    ASSERT_OK(store->AppendEvents(Lines(n, batch)));
    n += batch;
  }
  ExpectEvents(*store, n);

  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(Dir() + "/segments"));
  ASSERT_GE(names.size(), 3u) << "max_segment_bytes was meant to force several segments";
  uint64_t expected_first = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    // Each segment is named by its first seq and continues the previous one.
    EXPECT_EQ(names[i], FileLogStore::SegmentName(expected_first));
    std::string data = ReadFileOrDie(SegPath(expected_first));
    uint64_t lines = static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
    EXPECT_EQ(ReadFileOrDie(IdxPath(expected_first)).size(), lines * 8);
    ASSERT_OK_AND_ASSIGN(int mode, env_->GetMode(SegPath(expected_first)));
    ASSERT_OK_AND_ASSIGN(int idx_mode, env_->GetMode(IdxPath(expected_first)));
    if (i + 1 < names.size()) {
      // Sealed: full, then read-only.
      EXPECT_GE(data.size(), kMax);
      EXPECT_EQ(mode, 0444) << names[i];
      EXPECT_EQ(idx_mode, 0444) << names[i];
    } else {
      EXPECT_NE(mode & 0200, 0) << "the open segment stays writable";
    }
    expected_first += lines;
  }
  EXPECT_EQ(expected_first, n);

  // Reopening reads the sealed segments from their indexes and continues.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen(kMax));
  ExpectEvents(*store, n);
  ASSERT_OK(store->AppendEvents(Lines(n, 4)));
  ExpectEvents(*store, n + 4);
}

TEST_F(FileLogStoreTest, TruncateEventsInOpenSegment) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 8)));
  EXPECT_THAT(store->TruncateEvents(9),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("beyond")));
  ASSERT_OK(store->TruncateEvents(8));  // no-op
  ASSERT_OK(store->TruncateEvents(5));
  ExpectEvents(*store, 5);
  std::string expected;
  for (const auto& l : Lines(0, 5)) expected += l + "\n";
  EXPECT_EQ(ReadFileOrDie(SegPath(0)), expected);
  EXPECT_EQ(ReadFileOrDie(IdxPath(0)).size(), 5u * 8);
  // Appends continue at the cut.
  ASSERT_OK(store->AppendEvents(Lines(5, 2)));
  ExpectEvents(*store, 7);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ExpectEvents(*store, 7);
  EXPECT_EQ(store->recovery().torn_tail_bytes, 0u);
  ASSERT_OK(store->TruncateEvents(0));
  ExpectEvents(*store, 0);
}

// SR-2, LogStore contract: the cut of an unacknowledged tail is synced before
// TruncateEvents returns, so a power cut cannot bring back the removed lines;
// a failed sync fails the call.
TEST_F(FileLogStoreTest, TruncateSyncsTheCut) {
  FaultInjectionEnv fenv;
  env_ = &fenv;
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 6)));
  const uint64_t syncs = fenv.OpCount(FaultOp::kSync);
  ASSERT_OK(store->TruncateEvents(4));
  EXPECT_GT(fenv.OpCount(FaultOp::kSync), syncs);
  fenv.FailNth(FaultOp::kSync, 1, Status(StatusCode::kDataLoss, "injected fault"));
  EXPECT_THAT(store->TruncateEvents(2), StatusIs(StatusCode::kDataLoss, HasSubstr("injected")));
}

TEST_F(FileLogStoreTest, TruncateNeverReachesIntoSealedSegments) {
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 6; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(Dir() + "/segments"));
  ASSERT_GE(names.size(), 2u);
  // Sealed segments are immutable: the acknowledged past cannot be cut (AT-3).
  EXPECT_THAT(store->TruncateEvents(0),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("sealed")));
  ExpectEvents(*store, 6);
}

TEST_F(FileLogStoreTest, ReopenRemovesTornLastLine) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 4)));
  store.reset();
  const uint64_t complete = ReadFileOrDie(SegPath(0)).size();
  const std::string torn = "{\"seq\":4,\"pa";  // a write cut short by a crash
  WriteFileOrDie(SegPath(0), ReadFileOrDie(SegPath(0)) + torn);

  ASSERT_OK_AND_ASSIGN(store, Reopen());
  const FileLogRecovery& rec = store->recovery();
  EXPECT_EQ(rec.torn_tail_bytes, torn.size());
  EXPECT_EQ(rec.torn_tail_file, "ledger/segments/" + FileLogStore::SegmentName(0));
  EXPECT_EQ(rec.torn_tail_offset, complete);
  ExpectEvents(*store, 4);
  // The line stays until the ledger, having found no damage, cuts it (SR-2); nothing
  // is appended after it meanwhile.
  EXPECT_EQ(ReadFileOrDie(SegPath(0)).size(), complete + torn.size());
  EXPECT_THAT(store->AppendEvents(Lines(4, 2)), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("incomplete line")));
  ASSERT_OK(store->TruncateEvents(4));
  EXPECT_EQ(ReadFileOrDie(SegPath(0)).size(), complete);
  ExpectEvents(*store, 4);
  ASSERT_OK(store->AppendEvents(Lines(4, 2)));
  ExpectEvents(*store, 6);

  // A clean reopen reports nothing.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  EXPECT_EQ(store->recovery().torn_tail_bytes, 0u);
  EXPECT_EQ(store->recovery().torn_tail_file, "");
}

// AT-4: what `vellum verify` opens. Read-only, the store reads the events as a crash
// left them — a torn last line left out, stale tree entries kept to be compared,
// leftovers of atomic writes skipped — and changes no file; every write is refused.
TEST_F(FileLogStoreTest, ReadOnlyOpenRepairsNothing) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 4)));
  ASSERT_OK(store->PutCheckpoint(4, "note\n"));
  store.reset();
  const std::string torn = "{\"seq\":4,\"pa";
  WriteFileOrDie(SegPath(0), ReadFileOrDie(SegPath(0)) + torn);
  WriteFileOrDie(Dir() + "/checkpoints/" + FileLogStore::CheckpointName(5) + ".tmp.Ab3dEf", "partial");
  std::remove(IdxPath(0).c_str());  // the open segment's index, as a crash may leave it
  const auto files = SnapshotFiles(Dir());

  ASSERT_OK_AND_ASSIGN(auto ro, FileLogStore::OpenReadOnly(env_, Dir()));
  EXPECT_EQ(ro->recovery().torn_tail_bytes, torn.size());
  EXPECT_EQ(ro->recovery().temp_files_removed, 1u);
  ExpectEvents(*ro, 4);
  ASSERT_OK_AND_ASSIGN(auto checkpoints, ro->ListCheckpoints());
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints[0].size, 4u);
  EXPECT_THAT(ro->AppendEvents(Lines(4, 1)), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  EXPECT_THAT(ro->TruncateEvents(2), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  EXPECT_THAT(ro->PutCheckpoint(9, "x\n"), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  EXPECT_THAT(ro->SyncTree(0), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  ro.reset();
  EXPECT_TRUE(SnapshotFiles(Dir()) == files) << "a read-only open changed the ledger files";
}

// A scan reads segments in blocks of 1 MiB: lines that straddle a block, and a
// line longer than a whole block, come back whole. A segment cut short after the
// store opened it (as an attacker with file access could) ends the scan with
// kDataLoss naming the file and the event, not with a partial line (AT-4).
TEST_F(FileLogStoreTest, ScanReadsLinesAcrossReadBlocksAndStopsAtASegmentCutShort) {
  std::vector<std::string> lines;
  for (size_t size : {size_t{700'000}, size_t{600'000}, size_t{2'500'000}, size_t{10}, size_t{1'048'575}}) {
    std::string l = "{\"seq\":" + std::to_string(lines.size()) + ",\"pad\":\"";
    l += std::string(size, static_cast<char>('a' + lines.size()));
    lines.push_back(l + "\"}");
  }
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(lines));
  auto cursor = store->Scan(0);
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(cursor->Next()) << cursor->status().message();
    EXPECT_EQ(cursor->seq(), i);
    EXPECT_TRUE(cursor->line() == lines[i]) << "line " << i << " differs (" << cursor->line().size() << " bytes)";
  }
  EXPECT_FALSE(cursor->Next());
  EXPECT_OK(cursor->status());

  // Cut inside event 2 (the long one), under the open store.
  const uint64_t cut = lines[0].size() + lines[1].size() + 2 + 1'000'000;
  ASSERT_EQ(::truncate(SegPath(0).c_str(), static_cast<off_t>(cut)), 0);
  cursor = store->Scan(0);
  ASSERT_TRUE(cursor->Next());
  ASSERT_TRUE(cursor->Next());
  EXPECT_FALSE(cursor->Next());
  EXPECT_THAT(cursor->status(), StatusIs(StatusCode::kDataLoss, HasSubstr("ledger/segments/" +
                                                                         FileLogStore::SegmentName(0) +
                                                                         " ends inside event 2")));
}

// A scan asks for the next 4 MiB each time it reads a 1 MiB block, so the
// disk reads ahead of it (segments written past the page cache come from the
// disk): the advice covers the whole segment after its first block, in order,
// and never reaches past its end.
TEST_F(FileLogStoreTest, ScanAsksForTheBlocksAheadOfItsReads) {
  FaultInjectionEnv env;
  env_ = &env;
  std::vector<std::string> lines;
  uint64_t bytes = 0;
  for (uint64_t seq = 0; bytes < (6u << 20) + 12345; ++seq) {
    lines.push_back("{\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + std::string(1000 + seq % 97, 'p') + "\"}");
    bytes += lines.back().size() + 1;
  }
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(lines));
  auto cursor = store->Scan(0);
  uint64_t n = 0;
  while (cursor->Next()) ++n;
  ASSERT_OK(cursor->status());
  ASSERT_EQ(n, lines.size());

  const auto advice = env.ReadAdvice(SegPath(0));
  ASSERT_FALSE(advice.empty());
  uint64_t covered = 1u << 20;  // the first block is read at once
  uint64_t previous = 0;
  for (const auto& [offset, length] : advice) {
    EXPECT_LE(offset, covered) << "a gap before " << offset;
    EXPECT_GT(offset, previous) << "advice not in the order of the reads";
    previous = offset;
    EXPECT_LE(offset + length, bytes) << "advice past the end of the segment";
    EXPECT_LE(length, 4u << 20);
    covered = std::max<uint64_t>(covered, offset + length);
  }
  EXPECT_EQ(covered, bytes);
}

TEST_F(FileLogStoreTest, TornTailInFreshSegmentAfterRollOver) {
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 5; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  store.reset();
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(Dir() + "/segments"));
  std::string last = Dir() + "/segments/" + names.back();
  std::string before = ReadFileOrDie(last);
  WriteFileOrDie(last, before + "{\"half");
  ASSERT_OK_AND_ASSIGN(store, Reopen(32));
  EXPECT_EQ(store->recovery().torn_tail_bytes, 6u);
  EXPECT_EQ(store->recovery().torn_tail_file, "ledger/segments/" + names.back());
  EXPECT_EQ(store->recovery().torn_tail_offset, before.size());
  ExpectEvents(*store, 5);
}

TEST_F(FileLogStoreTest, ReopenRebuildsMissingOrStaleOffsetIndex) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 6)));
  store.reset();
  const std::string good = ReadFileOrDie(IdxPath(0));

  // Missing (the index is not synced on append, so a crash can lose it).
  ASSERT_OK(env_->Remove(IdxPath(0)));
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ExpectEvents(*store, 6);
  store.reset();
  EXPECT_EQ(ReadFileOrDie(IdxPath(0)), good);

  // Stale: shorter than the segment.
  WriteFileOrDie(IdxPath(0), good.substr(0, 3 * 8));
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ExpectEvents(*store, 6);
  store.reset();
  EXPECT_EQ(ReadFileOrDie(IdxPath(0)), good);

  // Stale: a partial entry and wrong offsets.
  WriteFileOrDie(IdxPath(0), std::string(8 * 7 + 3, '\x05'));
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ExpectEvents(*store, 6);
  ASSERT_OK(store->AppendEvents(Lines(6, 1)));
  ExpectEvents(*store, 7);
}

TEST_F(FileLogStoreTest, ReopenRebuildsMissingIndexOfTheOpenSegment) {
  // A crash while a segment is being created can leave it without its index:
  // first the empty segment of a new ledger,
  { ASSERT_OK_AND_ASSIGN(auto fresh, Create(32)); }
  ASSERT_OK(env_->Remove(IdxPath(0)));
  {
    ASSERT_OK_AND_ASSIGN(auto fresh, Reopen(32));
    ExpectEvents(*fresh, 0);
    ASSERT_OK(fresh->AppendEvents(Lines(0, 1)));
    ExpectEvents(*fresh, 1);
  }
  ASSERT_OK(env_->Remove(IdxPath(0)));
  ASSERT_OK(env_->Remove(Dir() + "/segments/" + FileLogStore::SegmentName(0)));
  // then the segment after a roll-over.
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 3; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  store.reset();
  ASSERT_OK_AND_ASSIGN(auto names, env_->ListDir(Dir() + "/segments"));
  ASSERT_GE(names.size(), 2u);
  const uint64_t last_first = std::stoull(names.back().substr(0, 20));
  ASSERT_OK(env_->Remove(IdxPath(last_first)));
  ASSERT_OK_AND_ASSIGN(store, Reopen(32));
  ExpectEvents(*store, 3);
  ASSERT_OK(store->AppendEvents(Lines(3, 2)));
  ExpectEvents(*store, 5);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen(32));
  ExpectEvents(*store, 5);
}

// AT-4: a scan checks each line against the segment's offset index, and that a
// sealed segment ends with its last indexed event: a line appended to a sealed
// segment (which only the index would otherwise bound) and an edited index entry
// both stop the scan with data loss naming the file, instead of going unread.
TEST_F(FileLogStoreTest, ScanChecksSealedSegmentsAgainstTheirIndexes) {
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 6; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  store.reset();
  const auto scan_status = [&] {
    auto ro = FileLogStore::OpenReadOnly(env_, Dir());
    EXPECT_TRUE(ro.ok()) << ro.status().ToString();
    if (!ro.ok()) return ro.status();
    auto cursor = (*ro)->Scan(0);
    while (cursor->Next()) {
    }
    return cursor->status();
  };
  ASSERT_OK(scan_status());
  const std::string seg = ReadFileOrDie(SegPath(0));
  const std::string idx = ReadFileOrDie(IdxPath(0));
  ASSERT_GE(idx.size(), 16u) << "the first segment was meant to hold two events";

  for (const std::string& appended : {std::string("{\"seq\":99}\n"), std::string("garbage")}) {
    ::chmod(SegPath(0).c_str(), 0644);
    WriteFileOrDie(SegPath(0), seg + appended);
    EXPECT_THAT(scan_status(), StatusIs(StatusCode::kDataLoss, HasSubstr("after its last event")));
  }
  WriteFileOrDie(SegPath(0), seg);
  ASSERT_OK(scan_status());

  std::string edited = idx;
  std::memcpy(&edited[8], &idx[0], 8);  // entry 1 says what entry 0 does
  ::chmod(IdxPath(0).c_str(), 0644);
  WriteFileOrDie(IdxPath(0), edited);
  EXPECT_THAT(scan_status(), StatusIs(StatusCode::kDataLoss, HasSubstr("offset index of ledger/segments/")));
}

TEST_F(FileLogStoreTest, MissingIndexOfASealedSegmentIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 4; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  store.reset();
  ASSERT_OK(env_->Remove(IdxPath(0)));
  EXPECT_THAT(Reopen(32),
              StatusIs(StatusCode::kDataLoss, HasSubstr("offsets/00000000000000000000.idx")));
}

TEST_F(FileLogStoreTest, RecoveryMakesAHalfSealedOpenSegmentWritableAgain) {
  // A crash between sealing (chmod 0444 of segment and index) and creating the
  // next segment leaves the last segment and its index read-only. Both must be
  // writable again, or appends fail for a non-root service user.
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 3)));
  store.reset();
  ASSERT_OK(env_->Chmod(SegPath(0), 0444));
  ASSERT_OK(env_->Chmod(IdxPath(0), 0444));
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ASSERT_OK_AND_ASSIGN(int mode, env_->GetMode(SegPath(0)));
  ASSERT_OK_AND_ASSIGN(int idx_mode, env_->GetMode(IdxPath(0)));
  EXPECT_NE(mode & 0200, 0);
  EXPECT_NE(idx_mode & 0200, 0);
  ASSERT_OK(store->AppendEvents(Lines(3, 2)));
  ExpectEvents(*store, 5);
}

TEST_F(FileLogStoreTest, UnexpectedFileInSegmentsIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 2)));
  store.reset();
  WriteFileOrDie(Dir() + "/segments/notes.txt", "hello\n");
  EXPECT_THAT(Reopen(), StatusIs(StatusCode::kDataLoss, HasSubstr("ledger/segments/notes.txt")));
  ASSERT_OK(env_->Remove(Dir() + "/segments/notes.txt"));
  // A segment whose number does not continue the previous one: an inserted or lost file.
  WriteFileOrDie(Dir() + "/segments/" + FileLogStore::SegmentName(7), Line(7) + "\n");
  WriteFileOrDie(Dir() + "/offsets/" + FileLogStore::SegmentName(7).substr(0, 20) + ".idx",
                 std::string(8, '\0'));
  EXPECT_THAT(Reopen(), StatusIs(StatusCode::kDataLoss, HasSubstr("starts at seq 7")));
}

TEST_F(FileLogStoreTest, SealedIndexWithPartialEntryIsDataLoss) {
  ASSERT_OK_AND_ASSIGN(auto store, Create(32));
  for (uint64_t s = 0; s < 4; ++s) ASSERT_OK(store->AppendEvents(Lines(s, 1)));
  store.reset();
  ASSERT_OK(env_->Chmod(IdxPath(0), 0644));
  WriteFileOrDie(IdxPath(0), ReadFileOrDie(IdxPath(0)) + "xyz");
  EXPECT_THAT(Reopen(32), StatusIs(StatusCode::kDataLoss, HasSubstr("partial entry")));
}

// ---- tree nodes ----

TEST_F(FileLogStoreTest, TreeNodesAppendAndRead) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  EXPECT_EQ(store->NodeCount(0), 0u);
  EXPECT_EQ(store->NodeCount(-1), 0u);
  EXPECT_EQ(store->NodeCount(64), 0u);
  std::vector<TreeNode> nodes;
  for (uint64_t i = 0; i < 5; ++i) nodes.push_back({0, i, H(0, i)});
  nodes.push_back({1, 0, H(1, 0)});
  nodes.push_back({1, 1, H(1, 1)});
  nodes.push_back({2, 0, H(2, 0)});
  ASSERT_OK(store->AppendNodes(nodes));
  ASSERT_OK(store->AppendNodes(std::vector<TreeNode>{{0, 5, H(0, 5)}, {1, 2, H(1, 2)}}));
  EXPECT_EQ(store->NodeCount(0), 6u);
  EXPECT_EQ(store->NodeCount(1), 3u);
  EXPECT_EQ(store->NodeCount(2), 1u);
  EXPECT_EQ(store->NodeCount(3), 0u);
  for (uint64_t i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(core::Hash h, store->Node(0, i));
    EXPECT_EQ(h, H(0, i));
  }
  ASSERT_OK_AND_ASSIGN(core::Hash h12, store->Node(1, 2));
  EXPECT_EQ(h12, H(1, 2));
  EXPECT_THAT(store->Node(0, 6), StatusIs(StatusCode::kOutOfRange, HasSubstr("0/6")));
  EXPECT_THAT(store->Node(3, 0), StatusIs(StatusCode::kOutOfRange, ::testing::_));
  EXPECT_THAT(store->Node(-1, 0), StatusIs(StatusCode::kOutOfRange, ::testing::_));

  ASSERT_OK_AND_ASSIGN(auto some, store->ReadNodes(0, 2, 3));
  EXPECT_THAT(some, ElementsAre(H(0, 2), H(0, 3), H(0, 4)));
  ASSERT_OK_AND_ASSIGN(auto tail, store->ReadNodes(0, 4, 100));  // fewer at the end
  EXPECT_THAT(tail, ElementsAre(H(0, 4), H(0, 5)));
  ASSERT_OK_AND_ASSIGN(auto none, store->ReadNodes(0, 6, 3));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto bad_level, store->ReadNodes(70, 0, 3));
  EXPECT_TRUE(bad_level.empty());

  // Entries are 32 bytes each, in index order.
  std::string level1 = ReadFileOrDie(LevelPath(1));
  ASSERT_EQ(level1.size(), 3u * 32);
  EXPECT_EQ(level1.substr(64), std::string(core::AsBytes(H(1, 2))));
}

TEST_F(FileLogStoreTest, TreeNodesMustArriveInOrder) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  EXPECT_THAT(store->AppendNodes(std::vector<TreeNode>{{0, 1, H(0, 1)}}),
              StatusIs(StatusCode::kInternal, HasSubstr("out of order")));
  EXPECT_THAT(store->AppendNodes(std::vector<TreeNode>{{64, 0, H(0, 0)}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("level")));
  EXPECT_EQ(store->NodeCount(0), 0u);
  ASSERT_OK(store->AppendNodes(std::vector<TreeNode>{{0, 0, H(0, 0)}}));
  EXPECT_THAT(store->AppendNodes(std::vector<TreeNode>{{0, 0, H(0, 0)}}),
              StatusIs(StatusCode::kInternal, HasSubstr("out of order")));
}

// Appends a complete tree's nodes for leaves [from, to) of `store` (hashes are arbitrary).
void AppendTree(FileLogStore& store, uint64_t from, uint64_t to) {
  std::vector<TreeNode> nodes;
  for (uint64_t leaf = from; leaf < to; ++leaf) {
    nodes.push_back({0, leaf, H(0, leaf)});
    // Subtrees completed by this leaf.
    for (int level = 1; ((leaf + 1) % (uint64_t{1} << level)) == 0; ++level) {
      uint64_t index = (leaf + 1) / (uint64_t{1} << level) - 1;
      nodes.push_back({level, index, H(level, index)});
    }
  }
  ASSERT_OK(store.AppendNodes(nodes));
}

TEST_F(FileLogStoreTest, SyncTreeAndReopenDiscardsUnsyncedEntries) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 7)));
  AppendTree(*store, 0, 5);
  EXPECT_EQ(store->TreeSyncedSize(), 0u);
  EXPECT_THAT(store->SyncTree(6), StatusIs(StatusCode::kInternal, HasSubstr("incomplete")));
  ASSERT_OK(store->SyncTree(5));
  EXPECT_EQ(store->TreeSyncedSize(), 5u);
  EXPECT_EQ(ReadFileOrDie(Dir() + "/tree/synced"), "5\n");
  AppendTree(*store, 5, 7);  // leaves 5 and 6 and level-1 entry 2 (leaves 4-5): unsynced
  EXPECT_EQ(store->NodeCount(0), 7u);
  store.reset();

  ASSERT_OK_AND_ASSIGN(store, Reopen());
  EXPECT_EQ(store->TreeSyncedSize(), 5u);
  // Durable size 5 keeps 5 leaves, 2 level-1 and 1 level-2 entries; the rest is
  // derived data that the ledger rebuilds.
  EXPECT_EQ(store->recovery().tree_entries_discarded, 3u);
  EXPECT_EQ(store->NodeCount(0), 5u);
  EXPECT_EQ(store->NodeCount(1), 2u);
  EXPECT_EQ(store->NodeCount(2), 1u);
  EXPECT_EQ(ReadFileOrDie(LevelPath(0)).size(), 5u * 32);
  ASSERT_OK_AND_ASSIGN(core::Hash h, store->Node(0, 4));
  EXPECT_EQ(h, H(0, 4));
  // The tree continues from there.
  AppendTree(*store, 5, 7);
  ASSERT_OK(store->SyncTree(7));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  EXPECT_EQ(store->recovery().tree_entries_discarded, 0u);
  EXPECT_EQ(store->TreeSyncedSize(), 7u);
  EXPECT_EQ(store->NodeCount(0), 7u);
}

// AT-4: tree/synced is read strictly: a number beyond 2^64 - 1 (20 digits fit in the
// file) does not wrap around to a small, plausible size.
TEST_F(FileLogStoreTest, TreeSyncedSizeBeyond64BitsIsDataLoss) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Create());
    ASSERT_OK(store->AppendEvents(Lines(0, 5)));
    AppendTree(*store, 0, 5);
    ASSERT_OK(store->SyncTree(5));
  }
  ASSERT_OK_AND_ASSIGN(uint64_t five, FileLogStore::ReadTreeSyncedSize(env_, Dir()));
  EXPECT_EQ(five, 5u);
  WriteFileOrDie(Dir() + "/tree/synced", "18446744073709551621\n");  // 2^64 + 5
  EXPECT_THAT(FileLogStore::ReadTreeSyncedSize(env_, Dir()),
              StatusIs(StatusCode::kDataLoss, HasSubstr("beyond 2^64 - 1")));
  WriteFileOrDie(Dir() + "/tree/synced", "18446744073709551615\n");  // 2^64 - 1 itself reads
  EXPECT_OK(FileLogStore::ReadTreeSyncedSize(env_, Dir()).status());
}

TEST_F(FileLogStoreTest, MissingOrShortTreeFileIsDataLoss) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Create());
    ASSERT_OK(store->AppendEvents(Lines(0, 4)));
    AppendTree(*store, 0, 4);
    ASSERT_OK(store->SyncTree(4));
  }
  const std::string level1 = ReadFileOrDie(LevelPath(1));
  ASSERT_OK(env_->Remove(LevelPath(1)));
  EXPECT_THAT(Reopen(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("tree/level-01.hash is missing")));
  WriteFileOrDie(LevelPath(1), level1.substr(0, 32));
  EXPECT_THAT(Reopen(), StatusIs(StatusCode::kDataLoss, HasSubstr("holds 1 hashes but 2")));
  WriteFileOrDie(LevelPath(1), level1);
  ASSERT_OK(Reopen());
  // A synced size beyond the events means events were removed.
  WriteFileOrDie(Dir() + "/tree/synced", "9\n");
  EXPECT_THAT(Reopen(), StatusIs(StatusCode::kDataLoss, HasSubstr("events have been removed")));
  WriteFileOrDie(Dir() + "/tree/synced", "4x\n");
  EXPECT_THAT(Reopen(), StatusIs(StatusCode::kDataLoss, HasSubstr("malformed")));
}

// ---- checkpoints ----

TEST_F(FileLogStoreTest, CheckpointsPutListLatest) {
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK_AND_ASSIGN(auto none, store->LatestCheckpoint());
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(auto empty, store->ListCheckpoints());
  EXPECT_TRUE(empty.empty());

  ASSERT_OK(store->PutCheckpoint(10, "note ten\n"));
  ASSERT_OK(store->PutCheckpoint(2, "note two\n"));
  ASSERT_OK(store->PutCheckpoint(100, "note hundred\n"));
  EXPECT_THAT(store->PutCheckpoint(10, "another note ten\n"),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("10")));

  ASSERT_OK_AND_ASSIGN(auto all, store->ListCheckpoints());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].size, 2u);
  EXPECT_EQ(all[1].size, 10u);
  EXPECT_EQ(all[2].size, 100u);
  EXPECT_EQ(all[1].note, "note ten\n");  // the first write stands
  EXPECT_EQ(all[1].name, "ledger/checkpoints/" + FileLogStore::CheckpointName(10));
  ASSERT_OK_AND_ASSIGN(auto latest, store->LatestCheckpoint());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->size, 100u);
  EXPECT_EQ(latest->note, "note hundred\n");
  // Stored read-only: a checkpoint is never rewritten.
  ASSERT_OK_AND_ASSIGN(int mode,
                       env_->GetMode(Dir() + "/checkpoints/" + FileLogStore::CheckpointName(10)));
  EXPECT_EQ(mode, 0444);

  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ASSERT_OK_AND_ASSIGN(auto again, store->ListCheckpoints());
  EXPECT_EQ(again.size(), 3u);

  // An interrupted checkpoint write (temp file, no rename) is cleaned up on open.
  const std::string temp =
      Dir() + "/checkpoints/" + FileLogStore::CheckpointName(200) + ".tmp.Ab12Cd";
  WriteFileOrDie(temp, "half a no");
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  EXPECT_EQ(store->recovery().temp_files_removed, 1u);
  EXPECT_FALSE(env_->Exists(temp));
  ASSERT_OK_AND_ASSIGN(auto after_crash, store->ListCheckpoints());
  EXPECT_EQ(after_crash.size(), 3u);

  // Anything else among the checkpoints is damage.
  WriteFileOrDie(Dir() + "/checkpoints/stray.note", "x");
  EXPECT_THAT(store->ListCheckpoints(), StatusIs(StatusCode::kDataLoss, HasSubstr("stray.note")));
}

// ---- faults ----

// An append that fails at one step: fdatasync of the segment, the segment
// write (ENOSPC), or the offset-index write after the segment was synced.
struct AppendFault {
  const char* name;
  FaultOp op;
  uint64_t nth;  // which call of `op` during AppendEvents fails
  StatusCode code;
};

class FileLogStoreFaultTest : public FileLogStoreTest,
                              public ::testing::WithParamInterface<AppendFault> {};

TEST_P(FileLogStoreFaultTest, FailedAppendLeavesNothingOfTheBatch) {
  // LogStore contract: on error nothing of the call remains, now and after a
  // crash (SR-1: only acknowledged events are kept).
  const AppendFault& fault = GetParam();
  FaultInjectionEnv fenv;
  env_ = &fenv;
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 3)));
  const std::string before = ReadFileOrDie(SegPath(0));

  fenv.FailNth(fault.op, fault.nth, Status(fault.code, "injected fault"));
  // Lines that would show up if any of the failed batch survived.
  const std::vector<std::string> failed = {"{\"failed\":1}", "{\"failed\":2}"};
  EXPECT_THAT(store->AppendEvents(failed), StatusIs(fault.code, HasSubstr("injected")));
  EXPECT_EQ(store->EventCount(), 3u);
  EXPECT_EQ(ReadFileOrDie(SegPath(0)), before);
  EXPECT_EQ(ReadFileOrDie(IdxPath(0)).size(), 3u * 8);
  ExpectEvents(*store, 3);

  // The store keeps working; the next batch takes the failed batch's sequence numbers.
  ASSERT_OK(store->AppendEvents(Lines(3, 2)));
  ExpectEvents(*store, 5);

  // A power cut (unsynced bytes partly lost) and a reopen keep exactly that.
  ASSERT_OK(fenv.DropUnsyncedDataTorn(/*seed=*/7));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  EXPECT_EQ(store->recovery().torn_tail_bytes, 0u);
  ExpectEvents(*store, 5);
}

TEST_P(FileLogStoreFaultTest, PowerCutRightAfterTheFailure) {
  const AppendFault& fault = GetParam();
  FaultInjectionEnv fenv;
  env_ = &fenv;
  ASSERT_OK_AND_ASSIGN(auto store, Create());
  ASSERT_OK(store->AppendEvents(Lines(0, 2)));
  fenv.FailNth(fault.op, fault.nth, Status(fault.code, "injected fault"));
  EXPECT_FALSE(store->AppendEvents(Lines(2, 3)).ok());
  ASSERT_OK(fenv.DropUnsyncedData());
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Reopen());
  ExpectEvents(*store, 2);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FileLogStoreFaultTest,
    ::testing::Values(
        AppendFault{"SegmentSync", FaultOp::kSync, 1, StatusCode::kInternal},
        AppendFault{"SegmentWrite", FaultOp::kAppend, 1, StatusCode::kResourceExhausted},
        AppendFault{"IndexWrite", FaultOp::kAppend, 2, StatusCode::kResourceExhausted}),
    [](const ::testing::TestParamInfo<AppendFault>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vellum::storage
