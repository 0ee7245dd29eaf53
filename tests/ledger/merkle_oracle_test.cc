// Cross-check against an independent implementation: Go's
// golang.org/x/mod/sumdb/tlog, driven by tests/tools/go/tlogcheck. Leaf hashes,
// roots and proofs must match byte for byte, and tlog must accept every proof
// we produce (and reject tampered ones, so its verdicts are not vacuous). AT-4, AT-5.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "ledger/memory_tree.h"
#include "ledger/merkle.h"
#include "ledger/merkle_test_util.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::ledger {
namespace {

namespace json = boost::json;
using vellum::testing::RunProcess;

constexpr char kGoPath[] = "/usr/share/gocode";
constexpr uint64_t kLeaves = 1000;

std::string B64(const Hash& h) { return core::Base64Encode(core::AsBytes(h)); }

json::array B64s(const std::vector<Hash>& hashes) {
  json::array out;
  for (const Hash& h : hashes) out.emplace_back(B64(h));
  return out;
}

std::vector<std::string> Strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

std::vector<std::string> Strings(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(B64(h));
  return out;
}

// (a, b) pairs: every edge case we care about plus seeded random ones.
// For inclusion a = index < b = size; for consistency 1 <= a = size1 <= b = size2.
std::vector<std::pair<uint64_t, uint64_t>> Pairs(bool inclusion) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const uint64_t lo = inclusion ? 0 : 1;
  for (uint64_t size : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{511}, uint64_t{512},
                        uint64_t{513}, uint64_t{999}, kLeaves}) {
    for (uint64_t a : {lo, size / 2, size - 1, size}) {
      if (a >= lo && (inclusion ? a < size : a <= size)) out.emplace_back(a, size);
    }
  }
  std::mt19937_64 rng(inclusion ? 9162 : 6962);
  while (out.size() < 320) {
    const uint64_t size = 1 + rng() % kLeaves;
    out.emplace_back(lo + rng() % size, size);  // consistency: size1 in [1, size]
  }
  return out;
}

// One kind of proof sent to tlog: our proofs for `pairs`, then the first
// kTampered of them again with one bit flipped (or a bogus hash added to an
// empty proof), so tlog's verdicts are shown not to be vacuous.
constexpr size_t kTampered = 20;

struct ProofSet {
  const char* a_key;  // "index" or "size1"
  const char* b_key;  // "size" or "size2"
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  std::vector<std::vector<Hash>> proofs;

  json::array Request() const {
    json::array out;
    for (size_t i = 0; i < pairs.size() + kTampered; ++i) {
      const size_t k = i % pairs.size();
      std::vector<Hash> p = proofs[k];
      if (i >= pairs.size() && p.empty()) p.push_back(Hash{});
      if (i >= pairs.size()) p.back() = testing::FlipBit(p.back(), 7);
      out.push_back(
          json::object{{a_key, pairs[k].first}, {b_key, pairs[k].second}, {"proof", B64s(p)}});
    }
    return out;
  }

  // tlog's proofs equal ours, tlog accepts ours and rejects the tampered ones.
  void Check(const json::array& got) const {
    ASSERT_EQ(got.size(), pairs.size() + kTampered);
    for (size_t i = 0; i < got.size(); ++i) {
      const size_t k = i % pairs.size();
      SCOPED_TRACE(std::string(a_key) + " " + std::to_string(pairs[k].first) + ", " + b_key + " " +
                   std::to_string(pairs[k].second));
      EXPECT_EQ(got[i].at(a_key).to_number<uint64_t>(), pairs[k].first);
      EXPECT_EQ(got[i].at(b_key).to_number<uint64_t>(), pairs[k].second);
      EXPECT_EQ(Strings(got[i].at("proof")), Strings(proofs[k]));
      const std::string check(got[i].at("check").as_string());
      if (i < pairs.size()) {
        EXPECT_EQ(check, "ok");
      } else {
        EXPECT_NE(check, "ok") << "tlog accepted a tampered proof";
      }
    }
  }
};

TEST(MerkleOracle, MatchesGoSumdbTlog) {
  if (!vellum::testing::HaveProgram("go") ||
      !std::filesystem::is_directory(std::string(kGoPath) + "/src/golang.org/x/mod/sumdb/tlog")) {
    GTEST_SKIP() << "Go or golang.org/x/mod is missing (apt-get install golang-go "
                    "golang-golang-x-mod-dev to run the tlog oracle)";
  }
  vellum::testing::TempDir tmp;
  const std::string tool = tmp.Sub("tlogcheck");
  const std::vector<std::string> go_env = {"GO111MODULE=off",
                                           std::string("GOPATH=") + kGoPath,
                                           "GOCACHE=" + tmp.Sub("gocache"),
                                           "GOENV=off",
                                           "GOPROXY=off",
                                           "GOFLAGS=",
                                           "CGO_ENABLED=0"};
  const auto build =
      RunProcess({"go", "build", "-o", tool,
                  vellum::testing::SourceDir() + "/tests/tools/go/tlogcheck/main.go"},
                 "", go_env);
  ASSERT_EQ(build.exit_code, 0) << "go build failed:\n" << build.out << build.err;

  MemoryTree tree;
  json::array leaf_data;
  for (uint64_t i = 0; i < kLeaves; ++i) {
    const std::string data = testing::TestLeafData(i);
    tree.Append(LeafHash(data));
    leaf_data.emplace_back(core::Base64Encode(data));
  }
  json::array roots;
  for (uint64_t n = 1; n <= kLeaves; ++n) roots.emplace_back(n);

  ProofSet incl{"index", "size", Pairs(true), {}};
  for (const auto& [index, size] : incl.pairs) {
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> p, InclusionProof(tree, index, size));
    incl.proofs.push_back(std::move(p));
  }
  ProofSet cons{"size1", "size2", Pairs(false), {}};
  for (const auto& [size1, size2] : cons.pairs) {
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> p, ConsistencyProof(tree, size1, size2));
    cons.proofs.push_back(std::move(p));
  }

  const json::object request{{"leaf_data", leaf_data},
                             {"roots", roots},
                             {"inclusion", incl.Request()},
                             {"consistency", cons.Request()}};
  const auto run = RunProcess({tool}, json::serialize(request));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json::object resp = json::parse(run.out).as_object();

  // Leaf hashes (tlog.RecordHash) and roots (tlog.TreeHash) for every size.
  const auto leaf_hashes = Strings(resp.at("leaf_hashes"));
  ASSERT_EQ(leaf_hashes.size(), kLeaves);
  for (uint64_t i = 0; i < kLeaves; ++i) {
    EXPECT_EQ(leaf_hashes[i], B64(*tree.Subtree(0, i))) << "leaf " << i;
  }
  const json::array& got_roots = resp.at("roots").as_array();
  ASSERT_EQ(got_roots.size(), kLeaves);
  for (const auto& r : got_roots) {
    const uint64_t n = r.at("size").to_number<uint64_t>();
    ASSERT_OK_AND_ASSIGN(Hash ours, RootAt(tree, n));
    EXPECT_EQ(std::string(r.at("root").as_string()), B64(ours)) << "size " << n;
  }

  incl.Check(resp.at("inclusion").as_array());
  cons.Check(resp.at("consistency").as_array());
}

}  // namespace
}  // namespace vellum::ledger
