// Published RFC 9162 vectors from transparency-dev/merkle (see the vectors
// README): proof verification must succeed exactly when `wantErr` is false, and
// the reference tree's roots, node hashes and hasher vectors must match. AT-4, AT-5.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/sha256.h"
#include "ledger/memory_tree.h"
#include "ledger/merkle.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::ledger {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::optional<std::string> MerkleDir() {
  auto dir = vellum::testing::VectorsDir();
  if (!dir || !fs::is_directory(*dir + "/merkle")) return std::nullopt;
  return *dir + "/merkle";
}

#define SKIP_WITHOUT_VECTORS(dir)                                                      \
  auto dir##_opt = MerkleDir();                                                        \
  if (!dir##_opt) GTEST_SKIP() << "merkle vectors absent (set VELLUM_VECTORS to run)"; \
  const std::string dir = *dir##_opt

std::vector<fs::path> JsonFiles(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

json::object ReadJson(const fs::path& path) {
  return json::parse(vellum::testing::ReadFileOrDie(path.string())).as_object();
}

// Base64 field → raw bytes (the vectors are trusted test data; bad base64 is a test bug).
std::string Bytes(const json::value& v) {
  auto decoded = core::Base64Decode(std::string_view(v.as_string()));
  EXPECT_TRUE(decoded.ok()) << v;
  return decoded.ok() ? *decoded : std::string();
}

// Our API takes typed 32-byte hashes, so a field of any other length cannot be
// passed at all: that is upstream's convention 1 ("leafHash must be 32 bytes")
// enforced by the type, and it applies to roots and proof hashes alike.
std::optional<Hash> AsHash(const std::string& bytes) {
  auto h = core::HashFromBytes(bytes);
  if (!h.ok()) return std::nullopt;
  return *h;
}

std::optional<std::vector<Hash>> AsProof(const json::value& v) {
  std::vector<Hash> out;
  if (v.is_null()) return out;
  for (const auto& e : v.as_array()) {
    auto h = AsHash(Bytes(e));
    if (!h) return std::nullopt;
    out.push_back(*h);
  }
  return out;
}

Hash Hex(const json::value& v) {
  auto h = core::HashFromHex(std::string_view(v.as_string()));
  EXPECT_TRUE(h.ok()) << v;
  return h.ok() ? *h : Hash{};
}

// Counts verdicts over one vector folder and checks each against `wantErr`.
class Tally {
 public:
  // A field is not a 32-byte hash: only error cases may contain one.
  void Unrepresentable(bool want_err) {
    EXPECT_TRUE(want_err) << "a field that is not a 32-byte hash must be an error case";
    ++unrepresentable_;
  }
  void Verdict(const Status& s, bool want_err, const json::value& desc) {
    EXPECT_EQ(s.ok(), !want_err) << desc << ": " << s.ToString();
    EXPECT_TRUE(s.ok() || s.code() == StatusCode::kDataLoss) << s.ToString();
    (s.ok() ? accepted_ : rejected_)++;
  }
  // Both outcomes must occur, and every file (98 per folder upstream) must be seen.
  ~Tally() {
    EXPECT_GT(accepted_, 0);
    EXPECT_GT(rejected_, 0);
    EXPECT_EQ(accepted_ + rejected_ + unrepresentable_, 98);
  }

 private:
  int accepted_ = 0, rejected_ = 0, unrepresentable_ = 0;
};

TEST(MerkleVectors, Inclusion) {
  // AT-4
  SKIP_WITHOUT_VECTORS(dir);
  Tally tally;
  for (const fs::path& file : JsonFiles(dir + "/inclusion")) {
    SCOPED_TRACE(file.string());
    const json::object v = ReadJson(file);
    const bool want_err = v.at("wantErr").as_bool();
    const auto leaf = AsHash(Bytes(v.at("leafHash")));
    const auto root = AsHash(Bytes(v.at("root")));
    const auto proof = AsProof(v.at("proof"));
    if (!leaf || !root || !proof) {
      tally.Unrepresentable(want_err);
      continue;
    }
    const Status s = VerifyInclusion(*leaf, v.at("leafIdx").to_number<uint64_t>(),
                                     v.at("treeSize").to_number<uint64_t>(), *proof, *root);
    tally.Verdict(s, want_err, v.at("desc"));
  }
}

TEST(MerkleVectors, Consistency) {
  // AT-5
  SKIP_WITHOUT_VECTORS(dir);
  Tally tally;
  for (const fs::path& file : JsonFiles(dir + "/consistency")) {
    SCOPED_TRACE(file.string());
    const json::object v = ReadJson(file);
    const bool want_err = v.at("wantErr").as_bool();
    const uint64_t size1 = v.at("size1").to_number<uint64_t>();
    const uint64_t size2 = v.at("size2").to_number<uint64_t>();
    const std::string raw1 = Bytes(v.at("root1")), raw2 = Bytes(v.at("root2"));
    auto root1 = AsHash(raw1), root2 = AsHash(raw2);
    const auto proof = AsProof(v.at("proof"));
    // Convention 2: for equal sizes only root equality counts, not length. Map
    // odd-length roots to 32 bytes in an equality-preserving way so those cases
    // still reach the verifier.
    if (size1 == size2 && (!root1 || !root2)) {
      root1 = core::Sha256(raw1);
      root2 = core::Sha256(raw2);
    }
    if (!root1 || !root2 || !proof) {
      tally.Unrepresentable(want_err);
      continue;
    }
    const Status s = VerifyConsistency(size1, size2, *proof, *root1, *root2);
    tally.Verdict(s, want_err, v.at("desc"));
  }
}

TEST(MerkleVectors, ReferenceTree) {
  // AT-4
  SKIP_WITHOUT_VECTORS(dir);
  const json::object ref = ReadJson(dir + "/reference_tree.json");
  std::vector<std::string> leaves;
  for (const auto& hex : ref.at("leaf_inputs_hex").as_array()) {
    ASSERT_OK_AND_ASSIGN(std::string bytes, core::HexDecode(std::string_view(hex.as_string())));
    leaves.push_back(bytes);
  }
  ASSERT_EQ(leaves.size(), 8u);

  MemoryTree tree;
  int roots_checked = 0;
  for (const auto& entry : ref.at("root_hashes_by_tree_size").as_array()) {
    const uint64_t size = entry.at("tree_size").to_number<uint64_t>();
    while (tree.size() < size) tree.Append(LeafHash(leaves[tree.size()]));
    EXPECT_EQ(tree.Root(), Hex(entry.at("root_hex"))) << "size " << size;
    ASSERT_OK_AND_ASSIGN(Hash root, RootAt(tree, size));
    EXPECT_EQ(root, Hex(entry.at("root_hex"))) << "size " << size;
    ++roots_checked;
  }
  EXPECT_EQ(roots_checked, 9);

  const json::array& levels = ref.at("node_hashes_by_level").at("levels").as_array();
  ASSERT_EQ(levels.size(), 4u);
  for (size_t level = 0; level < levels.size(); ++level) {
    const json::array& hashes = levels[level].as_array();
    EXPECT_EQ(hashes.size(), size_t{8} >> level);
    for (size_t i = 0; i < hashes.size(); ++i) {
      ASSERT_OK_AND_ASSIGN(Hash h, tree.Subtree(static_cast<int>(level), i));
      EXPECT_EQ(h, Hex(hashes[i])) << "level " << level << " index " << i;
    }
  }

  int hasher_checked = 0;
  for (const auto& hv : ref.at("hasher_vectors").as_array()) {
    const json::object& o = hv.as_object();
    const std::string_view fn = o.at("function").as_string();
    const Hash want = Hex(o.at("want_hex"));
    auto text = [&](const char* ascii, const char* hex) -> std::string {
      if (o.contains(ascii)) return std::string(o.at(ascii).as_string());
      return *core::HexDecode(std::string_view(o.at(hex).as_string()));
    };
    if (fn == "empty_root") {
      EXPECT_EQ(EmptyRoot(), want);
    } else if (fn == "hash_leaf") {
      EXPECT_EQ(LeafHash(text("input_ascii", "input_hex")), want) << o.at("desc");
    } else if (fn == "hash_children") {
      // The upstream vector hashes 4-byte "children"; NodeHash is typed to
      // 32-byte hashes, so check the same 0x01 ‖ left ‖ right rule it applies.
      const std::string left = text("left_ascii", "left_hex");
      const std::string right = text("right_ascii", "right_hex");
      EXPECT_EQ(core::Sha256WithPrefix(0x01, left + right), want) << o.at("desc");
      const Hash a = core::Sha256(left), b = core::Sha256(right);
      EXPECT_EQ(NodeHash(a, b), core::Sha256WithPrefix(0x01, std::string(core::AsBytes(a)) +
                                                                 std::string(core::AsBytes(b))));
    } else {
      ADD_FAILURE() << "unknown hasher function " << fn;
    }
    ++hasher_checked;
  }
  EXPECT_EQ(hasher_checked, 4);

  // The proof vectors use this same tree: their happy paths are our proofs.
  int happy_paths = 0;
  for (const char* kind : {"inclusion", "consistency"}) {
    for (const fs::path& file : JsonFiles(dir + "/" + kind)) {
      if (file.filename() != "happy-path.json") continue;
      SCOPED_TRACE(file.string());
      const json::object v = ReadJson(file);
      std::vector<Hash> want = *AsProof(v.at("proof"));
      StatusOr<std::vector<Hash>> got = std::vector<Hash>{};
      if (std::string(kind) == "inclusion") {
        const uint64_t index = v.at("leafIdx").to_number<uint64_t>();
        const uint64_t size = v.at("treeSize").to_number<uint64_t>();
        EXPECT_EQ(*RootAt(tree, size), *AsHash(Bytes(v.at("root"))));
        EXPECT_EQ(*tree.Subtree(0, index), *AsHash(Bytes(v.at("leafHash"))));
        got = InclusionProof(tree, index, size);
      } else {
        const uint64_t size1 = v.at("size1").to_number<uint64_t>();
        const uint64_t size2 = v.at("size2").to_number<uint64_t>();
        EXPECT_EQ(*RootAt(tree, size1), *AsHash(Bytes(v.at("root1"))));
        EXPECT_EQ(*RootAt(tree, size2), *AsHash(Bytes(v.at("root2"))));
        got = ConsistencyProof(tree, size1, size2);
      }
      ASSERT_OK(got);
      EXPECT_EQ(*got, want);
      ++happy_paths;
    }
  }
  EXPECT_EQ(happy_paths, 10);
}

}  // namespace
}  // namespace vellum::ledger
