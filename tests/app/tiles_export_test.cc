// The ledger published as a C2SP tiled transparency log (app/tiles_export.h),
// read back by an independent client: Go's golang.org/x/mod/sumdb/tlog and
// sumdb/note (tests/tools/go/tilecheck), which check the signed checkpoint,
// every tile against its root, inclusion of leaves, consistency with an earlier
// checkpoint (AT-5) and the entry bundles: the trail verifiable offline with
// standard tools (AT-9).
#include "app/tiles_export.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "app/vellum.h"
#include "core/encoding.h"
#include "ledger/merkle.h"
#include "storage/embedded/file_log_store.h"
#include "testing/go_tool.h"
#include "testing/identity_fixture.h"
#include "testing/json_testing.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::RunProcess;
using ::vellum::testing::TempDir;
using ::vellum::testing::WriteFileOrDie;

const ::vellum::testing::Person kAlice{"u-alice", "Dr. Alice Example", {identity::Role::kProjectManager}};

class TilesExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions init;
    init.origin = "tiles.example/ledger";
    ASSERT_OK_AND_ASSIGN(vellum_, vellum::testing::InitWithAdmin(data_, init));
    ASSERT_OK_AND_ASSIGN(Principal admin, vellum::testing::SignInAdmin(*vellum_));
    ASSERT_OK_AND_ASSIGN(alice_, vellum::testing::AddPerson(*vellum_, admin, kAlice));
  }

  // Creates records until the ledger holds `size` events, signs a checkpoint
  // of that size, and closes the ledger (the export reads it as `verify` does).
  void GrowAndSign(uint64_t size, const std::string& content = R"({"label":"nodule"})") {
    if (!vellum_) {
      ASSERT_OK_AND_ASSIGN(vellum_, Vellum::Open(data_));
    }
    while (vellum_->Size() < size) {
      std::vector<records::CreateRecord> batch;
      for (uint64_t i = vellum_->Size(); i < size && batch.size() < 4096; ++i) {
        batch.push_back({"annotation", fmt::format("a-{}", i), vellum::testing::JsonObject(content), std::nullopt,
                         std::nullopt});
      }
      for (const auto& r : vellum_->CreateRecords(alice_, std::move(batch))) ASSERT_OK(r);
    }
    ASSERT_EQ(vellum_->Size(), size);
    ASSERT_OK_AND_ASSIGN(storage::StoredCheckpoint cp, vellum_->ledger().MakeCheckpoint());
    ASSERT_EQ(cp.size, size);
    ASSERT_OK_AND_ASSIGN(core::Hash root, vellum_->ledger().RootAt(size));
    roots_.push_back({size, root});
    vellum_.reset();
  }

  StatusOr<TilesExportReport> Export(bool entries = false, std::optional<uint64_t> size = std::nullopt) {
    TilesExportOptions o;
    o.out_dir = out_;
    o.entries = entries;
    o.size = size;
    return ExportTiles(data_, o);
  }

  // Every event's leaf hash, computed from the segment lines.
  std::vector<core::Hash> LeafHashes() const {
    auto log = storage::FileLogStore::OpenReadOnly(core::Env::Default(), data_ + "/ledger");
    EXPECT_OK(log.status());
    std::vector<core::Hash> out;
    auto cursor = (*log)->Scan(0);
    while (cursor->Next()) out.push_back(ledger::LeafHash(cursor->line()));
    EXPECT_OK(cursor->status());
    return out;
  }

  // Runs the Go client on the published directory; its JSON answer.
  json::object Check(const json::object& request) const {
    const auto& tool = ::vellum::testing::BuildGoTool("tilecheck");
    EXPECT_TRUE(tool.error.empty()) << tool.error;
    const std::string vkey = ReadFileOrDie(data_ + "/keys/ledger.pub");
    auto run = RunProcess({tool.path, out_, vkey.substr(0, vkey.find('\n'))}, json::serialize(request));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    json::value v = json::parse(run.exit_code == 0 ? run.out : "{}");
    return v.as_object();
  }

  json::array LeafHashesJson(uint64_t size) const {
    json::array a;
    std::vector<core::Hash> leaves = LeafHashes();
    for (uint64_t i = 0; i < size; ++i) a.emplace_back(core::Base64Encode(core::AsBytes(leaves[i])));
    return a;
  }

  // The files below the published directory, relative to it.
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    if (!fs::exists(out_)) return out;
    for (const auto& e : fs::recursive_directory_iterator(out_)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), out_).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  TempDir tmp_;
  std::string data_ = tmp_.Sub("data");
  const std::string out_ = tmp_.Sub("published");
  std::unique_ptr<Vellum> vellum_;
  Principal alice_;
  std::vector<std::pair<uint64_t, core::Hash>> roots_;
};

// The tree of 70,000 events, the specification's own example, then grown and
// published again: a standard client reads both, and proves the second extends
// the first (AT-5, AT-9).
TEST_F(TilesExportTest, StandardClientsReadThePublishedLog) {
  VELLUM_REQUIRE_GO_TOOL(tool, "tilecheck");
  GrowAndSign(70000);
  ASSERT_OK_AND_ASSIGN(TilesExportReport first, Export());
  EXPECT_EQ(first.size, 70000u);
  EXPECT_EQ(first.root, roots_.back().second);
  // 273 full level 0 tiles, one of width 112, a full level 1 tile, one of width 17, one level 2 tile of width 1.
  EXPECT_EQ(first.files, 277u);
  EXPECT_EQ(first.written, 277u);
  EXPECT_EQ(first.unchanged, 0u);
  const std::vector<std::string> files = Files();
  ASSERT_EQ(files.size(), 278u);  // and the checkpoint
  for (const char* f : {"checkpoint", "tile/0/000", "tile/0/272", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17",
                        "tile/2/000.p/1"}) {
    EXPECT_TRUE(std::binary_search(files.begin(), files.end(), f)) << f;
  }
  EXPECT_EQ(fs::file_size(out_ + "/tile/0/000"), 8192u);
  EXPECT_EQ(ReadFileOrDie(out_ + "/checkpoint"),
            ReadFileOrDie(data_ + "/ledger/checkpoints/00000000000000070000.note"));
  json::object got = Check({{"leaf_hashes", LeafHashesJson(70000)}});
  EXPECT_EQ(got.at("size").to_number<uint64_t>(), 70000u);
  EXPECT_EQ(got.at("origin").as_string(), "tiles.example/ledger");
  EXPECT_EQ(got.at("leaves_checked").to_number<uint64_t>(), 70000u);
  EXPECT_GT(got.at("inclusion_checked").to_number<uint64_t>(), 70u);

  // 300 more events: the full tiles stay as published, new partial tiles join them.
  GrowAndSign(70300);
  ASSERT_OK_AND_ASSIGN(TilesExportReport second, Export());
  // Unchanged: the 273 full level 0 tiles, the full level 1 tile, and the level 2 tile of width 1 (its
  // one hash is the same). New: level 0 tile 273 (70,144 events fill it), 274.p/156 and level 1's 001.p/18.
  EXPECT_EQ(second.unchanged, 275u);
  EXPECT_EQ(second.written, 3u);
  EXPECT_EQ(second.files, 278u);
  EXPECT_TRUE(fs::exists(out_ + "/tile/0/273"));
  EXPECT_TRUE(fs::exists(out_ + "/tile/0/274.p/156"));
  EXPECT_TRUE(fs::exists(out_ + "/tile/1/001.p/18"));
  EXPECT_TRUE(fs::exists(out_ + "/tile/0/273.p/112"));  // still there for the first checkpoint
  json::array earlier;
  earlier.push_back(json::object{{"size", 70000}, {"root", core::Base64Encode(core::AsBytes(roots_[0].second))}});
  got = Check({{"leaf_hashes", LeafHashesJson(70300)}, {"earlier", earlier}});
  EXPECT_EQ(got.at("size").to_number<uint64_t>(), 70300u);
  EXPECT_EQ(got.at("consistency_checked").to_number<uint64_t>(), 1u);

  // Publishing again changes nothing.
  ASSERT_OK_AND_ASSIGN(TilesExportReport again, Export());
  EXPECT_EQ(again.written, 0u);
  EXPECT_EQ(again.unchanged, again.files);
}

// The entry bundles hold the event lines exactly; one that cannot fit the
// format's 16-bit lengths stops the export before anything is written.
TEST_F(TilesExportTest, EntryBundlesHoldTheEventLines) {
  VELLUM_REQUIRE_GO_TOOL(tool, "tilecheck");
  GrowAndSign(600);
  ASSERT_OK_AND_ASSIGN(TilesExportReport r, Export(/*entries=*/true));
  EXPECT_EQ(r.entry_bundles, 3u);  // 256 + 256 + 88
  EXPECT_TRUE(fs::exists(out_ + "/tile/entries/002.p/88"));
  json::object got = Check({{"leaf_hashes", LeafHashesJson(600)}, {"entries", true}});
  EXPECT_EQ(got.at("entries_checked").to_number<uint64_t>(), 600u);

  GrowAndSign(601, json::serialize(json::object{{"note", std::string(70000, 'x')}}));
  const std::string before = ReadFileOrDie(out_ + "/checkpoint");
  const size_t files_before = Files().size();
  auto big = Export(/*entries=*/true);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(big.status().message(), HasSubstr("event 600 is"));
  EXPECT_EQ(ReadFileOrDie(out_ + "/checkpoint"), before);
  EXPECT_EQ(Files().size(), files_before);
  // Without the entries it publishes.
  ASSERT_OK_AND_ASSIGN(r, Export());
  EXPECT_EQ(r.size, 601u);
}

// Tree files that disagree with the signed root are not published: a hash
// inside a full tile, one in a tile above, one in the last partial tile.
TEST_F(TilesExportTest, DamagedTreeFilesAreNotPublished) {
  GrowAndSign(70000);
  for (const auto& [file, offset] : std::vector<std::pair<std::string, uint64_t>>{
           {"level-00.hash", 32 * 1000 + 5}, {"level-08.hash", 32 * 7}, {"level-00.hash", 32 * 69990}}) {
    SCOPED_TRACE(fmt::format("{} byte {}", file, offset));
    const std::string path = data_ + "/ledger/tree/" + file;
    const std::string good = ReadFileOrDie(path);
    std::string bad = good;
    bad[offset] ^= 0x40;
    WriteFileOrDie(path, bad);
    auto r = Export();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr("vellum verify"));
    EXPECT_TRUE(Files().empty()) << "published from damaged tree files";
    WriteFileOrDie(path, good);
  }
  ASSERT_OK(Export());
}

// A published tile or checkpoint is never replaced by other bytes, and a
// published log never goes back to a smaller checkpoint.
TEST_F(TilesExportTest, PublishedFilesAreNeverRewritten) {
  GrowAndSign(700);
  GrowAndSign(800);
  ASSERT_OK(Export());
  auto older = Export(false, 700);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(older.status().message(), HasSubstr("does not go back"));

  auto none = Export(false, 750);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);

  const std::string tile = out_ + "/tile/0/001";
  const std::string published = ReadFileOrDie(tile);
  std::string bytes = published;
  bytes[100] ^= 1;
  WriteFileOrDie(tile, bytes);
  auto clash = Export();
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(clash.status().message(), HasSubstr("tile/0/001 already holds other bytes"));
  EXPECT_EQ(ReadFileOrDie(tile), bytes) << "a published tile was replaced";

  // Another ledger's directory is refused too.
  WriteFileOrDie(tile, published);
  WriteFileOrDie(out_ + "/checkpoint",
                 "other.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— x Zm9v\n");
  auto foreign = Export();
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(foreign.status().message(), HasSubstr("is not a checkpoint of this ledger"));
}

// Two histories that part after a common start, signed by the same key (what
// restoring an old backup and writing on would make): once one is published,
// the other may not be, even where no published tile differs.
TEST_F(TilesExportTest, AForkOfThePublishedLogIsRefused) {
  GrowAndSign(650);
  const std::string fork = tmp_.Sub("fork");
  fs::copy(data_, fork, fs::copy_options::recursive);
  GrowAndSign(700);
  ASSERT_OK(Export());
  const std::string published = ReadFileOrDie(out_ + "/checkpoint");

  data_ = fork;  // events 650 on differ from here
  GrowAndSign(760, R"({"label":"mass"})");
  auto r = Export();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("publishes tree size 700 with another root"));
  EXPECT_EQ(ReadFileOrDie(out_ + "/checkpoint"), published);
  EXPECT_FALSE(fs::exists(out_ + "/tile/0/002.p/248")) << "a tile of the fork was written";
}

}  // namespace
}  // namespace vellum::app
