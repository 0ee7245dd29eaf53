// Shared helpers for the Merkle tests: deterministic leaves, trees built from
// them, a lookup-counting SubtreeSource and the RFC 9162 proof shapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "ledger/memory_tree.h"
#include "ledger/merkle.h"

namespace vellum::ledger::testing {

// Leaf i's event bytes; lengths vary (0..6 extra bytes) so leaf hashing sees more than one size.
inline std::string TestLeafData(uint64_t i) {
  return "event-" + std::to_string(i) + std::string(i % 7, static_cast<char>('a' + i % 26));
}

inline MemoryTree BuildTree(uint64_t size) {
  MemoryTree tree;
  for (uint64_t i = 0; i < size; ++i) tree.Append(LeafHash(TestLeafData(i)));
  return tree;
}

inline Hash FlipBit(Hash h, int bit) {
  h[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8));
  return h;
}

// Forwards to another source and counts the lookups.
class CountingSource : public SubtreeSource {
 public:
  explicit CountingSource(const SubtreeSource& inner) : inner_(inner) {}
  StatusOr<Hash> Subtree(int level, uint64_t index) const override {
    ++lookups_;
    return inner_.Subtree(level, index);
  }
  uint64_t lookups() const { return lookups_; }
  void Reset() { lookups_ = 0; }

 private:
  const SubtreeSource& inner_;
  mutable uint64_t lookups_ = 0;
};

// ceil(log2(n)) for n >= 1: the depth of a tree of n leaves.
inline int CeilLog2(uint64_t n) {
  int d = 0;
  while (d < 64 && (uint64_t{1} << d) < n) ++d;
  return d;
}

// The shape of RFC 9162 PATH(m, D[n]) (§2.1.3.1), read straight off its
// definition: per proof hash, leaf-first, 'R' when it is MTH(D[k:n]) (sibling on
// the right) and 'L' when it is MTH(D[0:k]). Any verifier's computation depends
// on (index, size) only through this shape. nullopt unless m < n.
inline std::optional<std::string> PathShape(uint64_t m, uint64_t n) {
  if (m >= n) return std::nullopt;
  if (n == 1) return std::string();
  uint64_t k = 1;
  while (k < n - k) k <<= 1;  // largest power of two < n
  if (m < k) return *PathShape(m, k) + 'R';
  return *PathShape(m - k, n - k) + 'L';
}

// The shape of RFC 9162 SUBPROOF(m, D[n], b) (§2.1.4.1): 'R'/'L' as above, 'M'
// for the final MTH(D[m]) sent when b is false.
inline std::string SubproofShape(uint64_t m, uint64_t n, bool b) {
  if (m == n) return b ? "" : "M";
  uint64_t k = 1;
  while (k < n - k) k <<= 1;
  if (m <= k) return SubproofShape(m, k, b) + 'R';
  return SubproofShape(m - k, n - k, false) + 'L';
}

// Shape of PROOF(size1, D[size2]); nullopt unless 0 < size1 <= size2. Equal
// sizes have the empty shape, which no other valid pair shares.
inline std::optional<std::string> ConsistencyShape(uint64_t size1, uint64_t size2) {
  if (size1 == 0 || size1 > size2) return std::nullopt;
  if (size1 == size2) return std::string("=");
  return SubproofShape(size1, size2, true);
}

}  // namespace vellum::ledger::testing
