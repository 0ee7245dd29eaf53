#include "ledger/merkle.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace vellum::ledger {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two strictly less than n: the RFC 9162 split point k.
// REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// x >> n that is 0 for n == 64 (a plain shift by 64 is undefined).
uint64_t ShiftRight(uint64_t x, int n) { return n >= 64 ? 0 : x >> n; }

// Hash of the complete subtree over leaves [begin, begin + 2^level).
// REQUIRES: begin is a multiple of 2^level.
StatusOr<Hash> Complete(const SubtreeSource& src, int level, uint64_t begin) {
  return src.Subtree(level, begin >> level);
}

// Number of hashes in PATH(index, D[0:size]): one sibling per level below the
// point where the paths to `index` and to the last leaf part (`inner`), plus,
// above it, where both run along the right edge, one left sibling per level at
// which that edge node is a right child, i.e. per set bit of index (`border`);
// where it is a left child it has no sibling and is carried up unchanged.
// REQUIRES: index < size.
size_t InclusionProofSize(uint64_t index, uint64_t size) {
  const int inner = std::bit_width(index ^ (size - 1));
  const int border = std::popcount(ShiftRight(index, inner));
  return static_cast<size_t>(inner + border);
}

// Number of hashes in PROOF(size1, D[0:size2]): the inclusion path of leaf
// size1-1 in the new tree, minus its `shift` lowest levels, which lie inside the
// complete subtree of 2^shift leaves that ends at size1; that subtree's hash is
// sent first unless it is the whole old tree (then the verifier uses root1).
// REQUIRES: 0 < size1 < size2.
size_t ConsistencyProofSize(uint64_t size1, uint64_t size2) {
  const int inner = std::bit_width((size1 - 1) ^ (size2 - 1));
  const int border = std::popcount(ShiftRight(size1 - 1, inner));
  const int shift = std::countr_zero(size1);  // < inner because size1 < size2
  const int seed = std::has_single_bit(size1) ? 0 : 1;
  return static_cast<size_t>(seed + inner - shift + border);
}

// The step both RFC 9162 verifiers share: "right-shift both fn and sn equally
// until either LSB(fn) is set or fn is 0" (skips the right-edge levels where the
// node has no right sibling and is carried up unchanged).
void ShiftUntilOddOrZero(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

Status ProofSizeError(const char* what, size_t got, size_t want) {
  return DataLossError(fmt::format("{}: proof has {} hashes, expected {}", what, got, want));
}

}  // namespace

Hash LeafHash(std::string_view data) { return core::Sha256WithPrefix(kLeafPrefix, data); }

Hash NodeHash(const Hash& left, const Hash& right) {
  return core::Sha256Pair(kNodePrefix, left, right);
}

Hash EmptyRoot() { return core::Sha256(std::string_view()); }

// D[begin:end) is the concatenation of complete subtrees, one per set bit of
// n = end - begin, largest first; the alignment precondition makes each of them
// a stored entry. MTH splits at the largest power of two below n, which is
// exactly the first piece when n is not a power of two, so folding the pieces
// from the right gives MTH. Cost: popcount(n) <= log2(n) + 1 lookups.
StatusOr<Hash> SubtreeRoot(const SubtreeSource& src, uint64_t begin, uint64_t end) {
  if (begin >= end) {
    return InvalidArgumentError(fmt::format("empty subtree [{}, {})", begin, end));
  }
  const uint64_t n = end - begin;
  // [0, n) is the whole tree; any other subtree has n <= 2^63, so bit_ceil cannot overflow.
  const bool aligned = begin == 0 || (n <= (uint64_t{1} << 63) && begin % std::bit_ceil(n) == 0);
  if (!aligned) {
    return InvalidArgumentError(fmt::format("[{}, {}) is not an RFC 9162 subtree", begin, end));
  }
  // Pieces in increasing size (right to left), folded as node(piece, acc).
  uint64_t piece_end = end;
  uint64_t rest = n;
  Hash acc{};
  bool have_acc = false;
  while (rest != 0) {
    const int level = std::countr_zero(rest);
    const uint64_t piece_begin = piece_end - (uint64_t{1} << level);
    ASSIGN_OR_RETURN(Hash piece, Complete(src, level, piece_begin));
    acc = have_acc ? NodeHash(piece, acc) : piece;
    have_acc = true;
    piece_end = piece_begin;
    rest &= rest - 1;
  }
  return acc;
}

StatusOr<Hash> RootAt(const SubtreeSource& src, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return SubtreeRoot(src, 0, size);
}

// Both proofs walk from the root towards one leaf, collecting the sibling of
// every subtree entered (the RFC's recursion, unrolled), then reverse into the
// RFC's leaf-first order.
//
// Why O(log n) lookups: the walk visits at most ceil(log2 n) levels and takes
// one sibling per level. A sibling on the left, [begin, begin+k), always has a
// power-of-two size: one lookup. A sibling on the right, [begin+k, end), can be
// incomplete only while `end` is still the tree size (the right edge); taking
// it means the walk turns left into [begin, begin+k), which is complete, and
// every later sibling lies inside that complete subtree. So at most one
// sibling costs more than one lookup, and it costs popcount <= log2(n) + 1.
// Total <= 2·log2(n) + 2 lookups, never a rebuild.
StatusOr<std::vector<Hash>> InclusionProof(const SubtreeSource& src, uint64_t index,
                                           uint64_t size) {
  if (index >= size) {
    return InvalidArgumentError(fmt::format("index {} >= size {}", index, size));
  }
  std::vector<Hash> proof;
  proof.reserve(InclusionProofSize(index, size));
  uint64_t begin = 0, end = size;
  while (end - begin > 1) {
    const uint64_t k = SplitPoint(end - begin);
    if (index < begin + k) {
      ASSIGN_OR_RETURN(Hash right, SubtreeRoot(src, begin + k, end));
      proof.push_back(right);
      end = begin + k;
    } else {
      ASSIGN_OR_RETURN(Hash left, SubtreeRoot(src, begin, begin + k));
      proof.push_back(left);
      begin += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// SUBPROOF(m, D[begin:end), whole) with m = size1 - begin counted within the
// subtree. The final MTH(D[begin:end)) is taken only once `end` has left the
// right edge (on it m < n, as size1 < size2), so that subtree is complete and
// costs one lookup; the total stays within the bound above.
StatusOr<std::vector<Hash>> ConsistencyProof(const SubtreeSource& src, uint64_t size1,
                                             uint64_t size2) {
  if (size1 == 0 || size1 > size2) {
    return InvalidArgumentError(
        fmt::format("consistency needs 0 < size1 <= size2, got size1 {}, size2 {}", size1, size2));
  }
  std::vector<Hash> proof;
  if (size1 == size2) return proof;
  proof.reserve(ConsistencyProofSize(size1, size2));
  uint64_t begin = 0, end = size2;
  bool whole = true;  // the RFC's flag b: no step right yet, so MTH(D[begin:size1]) is root1
  while (true) {
    const uint64_t n = end - begin;
    const uint64_t m = size1 - begin;
    if (m == n) {
      if (!whole) {
        ASSIGN_OR_RETURN(Hash h, SubtreeRoot(src, begin, end));
        proof.push_back(h);
      }
      break;
    }
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      ASSIGN_OR_RETURN(Hash right, SubtreeRoot(src, begin + k, end));
      proof.push_back(right);
      end = begin + k;
    } else {
      ASSIGN_OR_RETURN(Hash left, SubtreeRoot(src, begin, begin + k));
      proof.push_back(left);
      begin += k;
      whole = false;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// RFC 9162 §2.1.3.2, steps numbered as there. The up-front length check only
// rejects earlier (with a clearer message) what steps 4a and 5 would reject.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  constexpr const char* kWhat = "inclusion proof";
  // 1.
  if (index >= size) {
    return DataLossError(fmt::format("{}: index {} >= size {}", kWhat, index, size));
  }
  const size_t want = InclusionProofSize(index, size);
  if (proof.size() != want) return ProofSizeError(kWhat, proof.size(), want);
  // 2., 3.
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  // 4.
  for (const Hash& p : proof) {
    if (sn == 0) return ProofSizeError(kWhat, proof.size(), want);  // 4a (unreachable)
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // 5.
  if (sn != 0) return ProofSizeError(kWhat, proof.size(), want);  // (unreachable)
  if (r != root) return DataLossError(std::string(kWhat) + ": computed root differs");
  return OkStatus();
}

// RFC 9162 §2.1.4.2, steps numbered as there, with the conventions of
// transparency-dev/merkle: 0 < size1 <= size2, and equal sizes need an empty
// proof and equal roots. The up-front length check only rejects earlier what
// steps 1, 6a and 7 would reject.
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2) {
  constexpr const char* kWhat = "consistency proof";
  if (size1 == 0) return DataLossError(fmt::format("{}: size1 is 0", kWhat));
  if (size1 > size2) {
    return DataLossError(fmt::format("{}: size1 {} > size2 {}", kWhat, size1, size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) return ProofSizeError(kWhat, proof.size(), 0);
    if (root1 != root2) {
      return DataLossError(std::string(kWhat) + ": roots differ for equal sizes");
    }
    return OkStatus();
  }
  const size_t want = ConsistencyProofSize(size1, size2);
  // 1.
  if (proof.size() != want || proof.empty()) return ProofSizeError(kWhat, proof.size(), want);
  // 2. Prepending root1 is done by starting from it instead of copying the proof.
  const bool seed_is_root1 = std::has_single_bit(size1);
  std::span<const Hash> rest = seed_is_root1 ? proof : proof.subspan(1);
  const Hash& seed = seed_is_root1 ? root1 : proof[0];
  // 3., 4.
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  // 5.
  Hash fr = seed, sr = seed;
  // 6.
  for (const Hash& c : rest) {
    if (sn == 0) return ProofSizeError(kWhat, proof.size(), want);  // 6a (unreachable)
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // 7.
  if (sn != 0) return ProofSizeError(kWhat, proof.size(), want);  // (unreachable)
  if (fr != root1) return DataLossError(std::string(kWhat) + ": computed root1 differs");
  if (sr != root2) return DataLossError(std::string(kWhat) + ": computed root2 differs");
  return OkStatus();
}

StatusOr<TreeBuilder> TreeBuilder::Resume(const SubtreeSource& src, uint64_t size) {
  TreeBuilder b;
  b.size_ = size;
  b.frontier_.resize(static_cast<size_t>(std::bit_width(size)));
  for (uint64_t rest = size; rest != 0; rest &= rest - 1) {
    const int level = std::countr_zero(rest);
    // The right-edge subtree of 2^level leaves ends where the smaller ones begin.
    ASSIGN_OR_RETURN(b.frontier_[static_cast<size_t>(level)],
                     src.Subtree(level, (size >> level) - 1));
  }
  return b;
}

void TreeBuilder::Append(const Hash& leaf_hash, const NodeSink& sink) {
  AppendSubtree(0, leaf_hash, sink);
}

void TreeBuilder::AppendSubtree(int level, const Hash& subtree_hash, const NodeSink& sink) {
  assert(level >= 0 && level < 64);
  const uint64_t width = uint64_t{1} << level;
  assert(size_ % width == 0 && size_ <= UINT64_MAX - width);
  uint64_t index = size_ >> level;
  Hash h = subtree_hash;
  if (sink) sink(level, index, h);
  // With size_ aligned to 2^level, its bits below `level` are zero: the first
  // set bit from `level` up is the smallest complete left sibling, and each
  // further consecutive set bit is one more subtree the new one completes.
  // The no-overflow precondition means not every bit from `level` up is set,
  // so the loop stops below 64.
  while (((size_ >> level) & 1) != 0) {
    h = NodeHash(frontier_[static_cast<size_t>(level)], h);
    ++level;
    index >>= 1;
    if (sink) sink(level, index, h);
  }
  if (frontier_.size() <= static_cast<size_t>(level)) frontier_.resize(static_cast<size_t>(level) + 1);
  frontier_[static_cast<size_t>(level)] = h;
  size_ += width;
}

Hash TreeBuilder::Root() const {
  if (size_ == 0) return EmptyRoot();
  uint64_t rest = size_;
  Hash acc = frontier_[static_cast<size_t>(std::countr_zero(rest))];
  for (rest &= rest - 1; rest != 0; rest &= rest - 1) {
    acc = NodeHash(frontier_[static_cast<size_t>(std::countr_zero(rest))], acc);
  }
  return acc;
}

}  // namespace vellum::ledger
