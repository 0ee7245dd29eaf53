// The optimised tree (stored complete subtrees, O(log n) lookups) against a
// naive reference written straight from RFC 9162 §2.1, plus the builder, the
// lookup bound and the error contracts. AT-4.
#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "ledger/memory_tree.h"
#include "ledger/merkle_test_util.h"
#include "testing/status_matchers.h"

namespace vellum::ledger {
namespace {

using testing::BuildTree;
using testing::CeilLog2;
using testing::CountingSource;
using ::testing::HasSubstr;
using testing::TestLeafData;

// ---- Naive reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 verbatim. ----
// D is the list of leaf inputs; D[a:b] a sub-list. Hashing uses plain SHA-256
// over explicit concatenations, not the code under test.
using Leaves = std::span<const std::string>;

Hash RefHash(const std::string& bytes) { return core::Sha256(bytes); }
std::string Cat(uint8_t prefix, const Hash& a, const Hash& b) {
  return std::string(1, static_cast<char>(prefix)) + std::string(core::AsBytes(a)) +
         std::string(core::AsBytes(b));
}
// k: the largest power of two smaller than n.
size_t RefSplit(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash Mth(Leaves d) {
  const size_t n = d.size();
  if (n == 0) return RefHash("");
  if (n == 1) return RefHash(std::string(1, '\0') + d[0]);
  const size_t k = RefSplit(n);
  return RefHash(Cat(0x01, Mth(d.subspan(0, k)), Mth(d.subspan(k))));
}

std::vector<Hash> Path(size_t m, Leaves d) {
  const size_t n = d.size();
  if (n == 1) return {};
  const size_t k = RefSplit(n);
  std::vector<Hash> out;
  if (m < k) {
    out = Path(m, d.subspan(0, k));
    out.push_back(Mth(d.subspan(k)));
  } else {
    out = Path(m - k, d.subspan(k));
    out.push_back(Mth(d.subspan(0, k)));
  }
  return out;
}

std::vector<Hash> Subproof(size_t m, Leaves d, bool b) {
  const size_t n = d.size();
  if (m == n) {
    if (b) return {};
    return {Mth(d)};
  }
  const size_t k = RefSplit(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = Subproof(m, d.subspan(0, k), b);
    out.push_back(Mth(d.subspan(k)));
  } else {
    out = Subproof(m - k, d.subspan(k), false);
    out.push_back(Mth(d.subspan(0, k)));
  }
  return out;
}

std::vector<Hash> Proof(size_t m, Leaves d) { return Subproof(m, d, true); }

// ---- Fixtures ----

constexpr size_t kMaxSize = 300;       // every size 0..kMaxSize, every index
constexpr size_t kAllPairsSize = 130;  // every (size1, size2) up to here

const std::vector<std::string>& Data() {
  static const std::vector<std::string> data = [] {
    std::vector<std::string> d;
    for (size_t i = 0; i < kMaxSize; ++i) d.push_back(TestLeafData(i));
    return d;
  }();
  return data;
}

const MemoryTree& Tree() {
  static const MemoryTree tree = BuildTree(kMaxSize);
  return tree;
}

// Lookups any proof or root may use: see the bound argued in merkle.cc.
uint64_t LookupBound(uint64_t size) { return 2 * static_cast<uint64_t>(CeilLog2(size)) + 2; }

TEST(MerkleHash, DomainSeparatedSha256) {
  // AT-4: leaves and nodes are hashed with distinct prefixes (RFC 9162 §2.1.1).
  const Hash a = core::Sha256("a"), b = core::Sha256("b");
  EXPECT_EQ(LeafHash("xyz"), RefHash(std::string(1, '\0') + "xyz"));
  EXPECT_EQ(LeafHash(""), RefHash(std::string(1, '\0')));
  EXPECT_EQ(NodeHash(a, b), RefHash(Cat(0x01, a, b)));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
  EXPECT_EQ(EmptyRoot(), RefHash(""));
  const std::string node_bytes = Cat(0x01, a, b).substr(1);
  EXPECT_NE(LeafHash(node_bytes), NodeHash(a, b));
}

TEST(MerkleNaive, RootsForEverySize) {
  // AT-4
  const MemoryTree& tree = Tree();
  CountingSource counting(tree);
  TreeBuilder builder;
  for (size_t n = 0; n <= kMaxSize; ++n) {
    const Hash want = Mth(Leaves(Data()).subspan(0, n));
    counting.Reset();
    ASSERT_OK_AND_ASSIGN(Hash got, RootAt(counting, n));
    EXPECT_EQ(got, want) << "size " << n;
    EXPECT_LE(counting.lookups(), static_cast<uint64_t>(CeilLog2(n + 1))) << "size " << n;
    EXPECT_EQ(builder.Root(), want) << "size " << n;
    if (n < kMaxSize) builder.Append(LeafHash(Data()[n]), nullptr);
  }
  EXPECT_EQ(tree.Root(), Mth(Data()));
}

TEST(MerkleNaive, InclusionProofsForEveryIndex) {
  // AT-4
  const MemoryTree& tree = Tree();
  CountingSource counting(tree);
  for (size_t n = 1; n <= kMaxSize; ++n) {
    const Leaves d = Leaves(Data()).subspan(0, n);
    const Hash root = Mth(d);
    for (size_t m = 0; m < n; ++m) {
      counting.Reset();
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> got, InclusionProof(counting, m, n));
      ASSERT_EQ(got, Path(m, d)) << "index " << m << " size " << n;
      EXPECT_LE(counting.lookups(), LookupBound(n)) << "index " << m << " size " << n;
      EXPECT_OK(VerifyInclusion(LeafHash(d[m]), m, n, got, root));
    }
  }
}

void CheckConsistency(size_t size1, size_t size2) {
  const Leaves d = Leaves(Data()).subspan(0, size2);
  CountingSource counting(Tree());
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> got, ConsistencyProof(counting, size1, size2));
  ASSERT_EQ(got, Proof(size1, d)) << "size1 " << size1 << " size2 " << size2;
  EXPECT_LE(counting.lookups(), LookupBound(size2)) << size1 << " " << size2;
  EXPECT_OK(VerifyConsistency(size1, size2, got, Mth(d.subspan(0, size1)), Mth(d)));
}

TEST(MerkleNaive, ConsistencyProofsForEveryPair) {
  // AT-4, AT-5
  for (size_t size2 = 1; size2 <= kAllPairsSize; ++size2) {
    for (size_t size1 = 1; size1 <= size2; ++size1) CheckConsistency(size1, size2);
  }
}

TEST(MerkleNaive, ConsistencyProofsSampledBeyond) {
  // AT-4, AT-5
  std::mt19937_64 rng(20261125);
  for (size_t size2 = kAllPairsSize + 1; size2 <= kMaxSize; ++size2) {
    std::vector<size_t> size1s = {1, 2, size2 / 2, size2 - 1, size2, RefSplit(size2)};
    for (int i = 0; i < 6; ++i) size1s.push_back(1 + rng() % size2);
    for (size_t size1 : size1s) CheckConsistency(size1, size2);
  }
}

// A source answering for any complete subtree of a tree of `size` leaves with
// made-up hashes: proofs over huge trees without storing them, to check the
// lookup bound and that no arithmetic overflows near 2^64.
class SyntheticSource : public SubtreeSource {
 public:
  explicit SyntheticSource(uint64_t size) : size_(size) {}
  StatusOr<Hash> Subtree(int level, uint64_t index) const override {
    if (level < 0 || level > 63 || index >= (size_ >> level)) {
      return OutOfRangeError("synthetic subtree out of range");
    }
    return core::Sha256(std::to_string(level) + "/" + std::to_string(index));
  }

 private:
  uint64_t size_;
};

TEST(MerkleProof, LookupBoundOnHugeTrees) {
  const uint64_t kMax = ~uint64_t{0};
  for (uint64_t size :
       {uint64_t{1} << 40, (uint64_t{1} << 40) + 12345, (uint64_t{1} << 63) + 1, kMax - 1, kMax}) {
    SyntheticSource synthetic(size);
    CountingSource src(synthetic);
    for (uint64_t index : {uint64_t{0}, size / 3, size / 2, size - 2, size - 1}) {
      src.Reset();
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, InclusionProof(src, index, size));
      EXPECT_EQ(proof.size(), testing::PathShape(index, size)->size());
      EXPECT_LE(src.lookups(), LookupBound(size)) << index << " of " << size;
      src.Reset();
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> cproof, ConsistencyProof(src, index + 1, size));
      const std::string shape = *testing::ConsistencyShape(index + 1, size);
      EXPECT_EQ(cproof.size(), shape == "=" ? 0 : shape.size());
      EXPECT_LE(src.lookups(), LookupBound(size)) << index + 1 << " to " << size;
    }
    src.Reset();
    ASSERT_OK(RootAt(src, size));
    EXPECT_LE(src.lookups(), 64u);
  }
}

TEST(MerkleProof, RejectsBadArguments) {
  const MemoryTree& tree = Tree();
  EXPECT_THAT(InclusionProof(tree, 8, 8).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("index 8 >= size 8")));
  EXPECT_THAT(InclusionProof(tree, 0, 0).status(),
              StatusIs(StatusCode::kInvalidArgument, "index 0 >= size 0"));
  EXPECT_THAT(ConsistencyProof(tree, 0, 5).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("0 < size1 <= size2")));
  EXPECT_THAT(ConsistencyProof(tree, 6, 5).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("size1 6, size2 5")));
  EXPECT_THAT(SubtreeRoot(tree, 4, 4).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(SubtreeRoot(tree, 2, 5).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not an RFC 9162 subtree")));
  ASSERT_OK_AND_ASSIGN(Hash right, SubtreeRoot(tree, 8, 13));
  EXPECT_EQ(right, Mth(Leaves(Data()).subspan(8, 5)));
}

TEST(MerkleProof, PassesOnLookupErrors) {
  const MemoryTree small = BuildTree(10);
  EXPECT_THAT(RootAt(small, 11).status(), StatusIs(StatusCode::kOutOfRange, HasSubstr("level 0")));
  EXPECT_THAT(InclusionProof(small, 3, 12).status(),
              StatusIs(StatusCode::kOutOfRange, ::testing::_));
  EXPECT_THAT(ConsistencyProof(small, 3, 17).status(),
              StatusIs(StatusCode::kOutOfRange, ::testing::_));
  EXPECT_THAT(TreeBuilder::Resume(small, 16).status(),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("level 4")));
  EXPECT_THAT(small.Subtree(-1, 0).status(),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("level -1")));
  EXPECT_THAT(small.Subtree(1, 5).status(),
              StatusIs(StatusCode::kOutOfRange, HasSubstr("index 5")));
  EXPECT_OK(small.Subtree(1, 4));
  EXPECT_EQ(small.levels(), 4);
}

TEST(MerkleVerify, ErrorsNameTheReason) {
  // AT-4
  const MemoryTree& tree = Tree();
  const Hash leaf = LeafHash(Data()[5]);
  ASSERT_OK_AND_ASSIGN(Hash root, RootAt(tree, 8));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, InclusionProof(tree, 5, 8));
  EXPECT_OK(VerifyInclusion(leaf, 5, 8, proof, root));
  EXPECT_THAT(VerifyInclusion(leaf, 9, 8, proof, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("index 9 >= size 8")));
  std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
  EXPECT_THAT(VerifyInclusion(leaf, 5, 8, shorter, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("proof has 2 hashes, expected 3")));
  EXPECT_THAT(VerifyInclusion(leaf, 4, 8, proof, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("computed root differs")));

  ASSERT_OK_AND_ASSIGN(Hash root3, RootAt(tree, 3));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> cproof, ConsistencyProof(tree, 3, 8));
  EXPECT_OK(VerifyConsistency(3, 8, cproof, root3, root));
  EXPECT_THAT(VerifyConsistency(0, 8, cproof, root3, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("size1 is 0")));
  EXPECT_THAT(VerifyConsistency(9, 8, cproof, root3, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("size1 9 > size2 8")));
  EXPECT_THAT(VerifyConsistency(8, 8, cproof, root, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("proof has 4 hashes, expected 0")));
  EXPECT_THAT(VerifyConsistency(8, 8, {}, root3, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("roots differ")));
  EXPECT_OK(VerifyConsistency(8, 8, {}, root, root));
  EXPECT_THAT(VerifyConsistency(3, 8, {}, root3, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("proof has 0 hashes, expected 4")));
  EXPECT_THAT(VerifyConsistency(3, 8, cproof, root, root),
              StatusIs(StatusCode::kDataLoss, HasSubstr("computed root1 differs")));
  EXPECT_THAT(VerifyConsistency(3, 8, cproof, root3, root3),
              StatusIs(StatusCode::kDataLoss, HasSubstr("computed root2 differs")));
}

TEST(TreeBuilder, SinkReportsLeafThenCompletedSubtrees) {
  struct Call {
    int level;
    uint64_t index;
    Hash hash;
  };
  TreeBuilder builder;
  for (uint64_t i = 0; i < 64; ++i) {
    std::vector<Call> calls;
    builder.Append(LeafHash(Data()[i]), [&](int level, uint64_t index, const Hash& h) {
      calls.push_back({level, index, h});
    });
    // Leaf i completes one subtree per trailing one bit of i.
    const int completed = std::countr_one(i);
    ASSERT_EQ(calls.size(), static_cast<size_t>(completed + 1)) << "leaf " << i;
    for (int level = 0; level <= completed; ++level) {
      const Call& c = calls[static_cast<size_t>(level)];
      EXPECT_EQ(c.level, level);
      EXPECT_EQ(c.index, i >> level);
      const size_t width = size_t{1} << level;
      EXPECT_EQ(c.hash, Mth(Leaves(Data()).subspan((i >> level) * width, width)));
    }
  }
}

struct SinkCall {
  int level;
  uint64_t index;
  Hash hash;
  bool operator==(const SinkCall&) const = default;
};

// Appends leaves [from, to) one by one and returns the sink calls at `min_level`
// and above: what AppendSubtree must report for the same leaves.
std::vector<SinkCall> AppendLeaves(TreeBuilder& builder, uint64_t from, uint64_t to, int min_level) {
  std::vector<SinkCall> calls;
  for (uint64_t i = from; i < to; ++i) {
    builder.Append(LeafHash(Data()[i]), [&](int level, uint64_t index, const Hash& h) {
      if (level >= min_level) calls.push_back({level, index, h});
    });
  }
  return calls;
}

// AT-3: a complete subtree appended in one step (its hash computed elsewhere) leaves
// the builder exactly as appending its leaves one by one would: same size, root,
// right edge (later appends agree) and the same completed nodes at its level and above.
TEST(TreeBuilder, AppendSubtreeEqualsLeafByLeafAtEveryAlignedPosition) {
  for (int k = 0; (size_t{1} << k) <= kMaxSize; ++k) {
    const uint64_t width = uint64_t{1} << k;
    TreeBuilder by_leaf, by_subtree;
    for (uint64_t begin = 0; begin + width <= kMaxSize; begin += width) {
      const std::vector<SinkCall> want = AppendLeaves(by_leaf, begin, begin + width, k);
      std::vector<SinkCall> got;
      const Hash subtree = Mth(Leaves(Data()).subspan(begin, width));
      by_subtree.AppendSubtree(k, subtree, [&](int level, uint64_t index, const Hash& h) {
        got.push_back({level, index, h});
      });
      ASSERT_EQ(got, want) << "level " << k << " at " << begin;
      ASSERT_EQ(by_subtree.size(), begin + width);
      ASSERT_EQ(by_subtree.Root(), Mth(Leaves(Data()).subspan(0, begin + width)))
          << "level " << k << " at " << begin;
    }
    // The leaves that do not fill another subtree, one by one on both.
    const uint64_t end = by_leaf.size();
    EXPECT_EQ(AppendLeaves(by_subtree, end, kMaxSize, 0), AppendLeaves(by_leaf, end, kMaxSize, 0))
        << "level " << k;
    EXPECT_EQ(by_subtree.Root(), Mth(Leaves(Data())));
  }
}

// AT-3: any mix of leaves and aligned subtrees of any sizes builds the RFC 9162 tree.
TEST(TreeBuilder, MixedLeavesAndSubtreesBuildTheSameTree) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    TreeBuilder mixed, by_leaf;
    while (mixed.size() < kMaxSize) {
      const uint64_t size = mixed.size();
      // The largest level allowed here: aligned to the position and within the data.
      int max_level = size == 0 ? 63 : std::countr_zero(size);
      while ((uint64_t{1} << max_level) > kMaxSize - size) --max_level;
      const int k = std::uniform_int_distribution<int>(0, max_level)(rng);
      const uint64_t width = uint64_t{1} << k;
      const std::vector<SinkCall> want = AppendLeaves(by_leaf, size, size + width, k);
      std::vector<SinkCall> got;
      mixed.AppendSubtree(k, Mth(Leaves(Data()).subspan(size, width)),
                          [&](int level, uint64_t index, const Hash& h) { got.push_back({level, index, h}); });
      ASSERT_EQ(got, want) << "seed " << seed << " level " << k << " at " << size;
      ASSERT_EQ(mixed.Root(), Mth(Leaves(Data()).subspan(0, size + width))) << "seed " << seed;
    }
  }
}

TEST(TreeBuilder, ResumeAtEverySizeContinuesIdentically) {
  const MemoryTree& full = Tree();
  for (uint64_t size = 0; size <= 140; ++size) {
    CountingSource counting(full);
    ASSERT_OK_AND_ASSIGN(TreeBuilder builder, TreeBuilder::Resume(counting, size));
    EXPECT_EQ(counting.lookups(), static_cast<uint64_t>(std::popcount(size)));
    EXPECT_EQ(builder.size(), size);
    EXPECT_EQ(builder.Root(), Mth(Leaves(Data()).subspan(0, size)));
    for (uint64_t i = size; i < size + 20; ++i) {
      builder.Append(LeafHash(Data()[i]), [&](int level, uint64_t index, const Hash& h) {
        EXPECT_EQ(h, *full.Subtree(level, index)) << "resumed at " << size;
      });
    }
    EXPECT_EQ(builder.Root(), Mth(Leaves(Data()).subspan(0, size + 20)));
  }
}

TEST(MemoryTree, StoresEveryLevel) {
  const MemoryTree& tree = Tree();
  EXPECT_EQ(tree.size(), kMaxSize);
  EXPECT_EQ(tree.levels(), CeilLog2(kMaxSize));  // 300 leaves → levels 0..8
  for (int level = 0; level < tree.levels(); ++level) {
    const size_t width = size_t{1} << level;
    for (uint64_t index = 0; index < (kMaxSize >> level); ++index) {
      ASSERT_OK_AND_ASSIGN(Hash h, tree.Subtree(level, index));
      EXPECT_EQ(h, Mth(Leaves(Data()).subspan(index * width, width)));
    }
    EXPECT_FALSE(tree.Subtree(level, kMaxSize >> level).ok());
  }
  MemoryTree empty;
  EXPECT_EQ(empty.Root(), EmptyRoot());
  EXPECT_EQ(empty.levels(), 0);
}

}  // namespace
}  // namespace vellum::ledger
