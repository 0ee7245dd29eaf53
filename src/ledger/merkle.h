// RFC 9162 Merkle tree: hashing, proofs from stored subtree hashes, and proof
// verification.
//
// Layout (docs/formats/tree.md): level 0 holds the leaf hashes; entry i of
// level k is the hash of the complete subtree over leaves [i·2^k, (i+1)·2^k).
// Only complete subtrees are stored. Any RFC subtree D[begin:end) with begin a
// multiple of a power of two ≥ its size decomposes into at most log2(n)
// complete subtrees, so roots and proofs for any tree size need O(log n)
// stored hashes, never a rebuild.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "core/status.h"

namespace vellum::ledger {

using core::Hash;

// SHA-256(0x00 ‖ data).
Hash LeafHash(std::string_view data);
// SHA-256(0x01 ‖ left ‖ right).
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot();

// Read access to stored complete-subtree hashes.
class SubtreeSource {
 public:
  virtual ~SubtreeSource() = default;
  // Hash of the complete subtree at `level` and `index` (leaves [index<<level, (index+1)<<level)).
  // Errors: kOutOfRange if that subtree is not complete in the stored tree;
  // kDataLoss / kUnavailable from the underlying storage.
  virtual StatusOr<Hash> Subtree(int level, uint64_t index) const = 0;
};

// MTH(D[begin:end)) for an RFC 9162 subtree of a tree of any size ≥ end, from
// at most log2(end - begin) + 1 lookups.
// REQUIRES: begin < end, and begin is 0 or a multiple of the smallest power of
// two ≥ end - begin (true for every subtree the RFC proof algorithms visit);
// otherwise kInvalidArgument. Lookup errors are passed on (kOutOfRange when
// the source holds fewer than `end` leaves).
StatusOr<Hash> SubtreeRoot(const SubtreeSource& src, uint64_t begin, uint64_t end);
// Root of the tree of the first `size` leaves (EmptyRoot() for 0).
StatusOr<Hash> RootAt(const SubtreeSource& src, uint64_t size);

// RFC 9162 §2.1.3.1 PATH(index, D[0:size]), leaf-first, from at most
// 2·⌈log2(size)⌉ + 2 lookups (the proof functions never rebuild the tree).
// Errors: kInvalidArgument when index >= size; lookup errors are passed on.
StatusOr<std::vector<Hash>> InclusionProof(const SubtreeSource& src, uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1 PROOF(size1, D[0:size2]) (empty when size1 == size2), with
// the same lookup bound.
// Errors: kInvalidArgument unless 0 < size1 <= size2; lookup errors are passed on.
StatusOr<std::vector<Hash>> ConsistencyProof(const SubtreeSource& src, uint64_t size1,
                                             uint64_t size2);

// RFC 9162 §2.1.3.2. OK only if `proof` proves `leaf_hash` is leaf `index` of
// the tree of `size` leaves with root `root`; otherwise kDataLoss naming why
// ("index 9 >= size 8", "proof has 3 hashes, expected 4", "computed root differs").
// Like every RFC 9162 verifier, this binds the index but only partly the size:
// a proof for (index, size) also passes for another size whose tree has the
// same path shape (e.g. leaf 0 of 5 and of 7). The size must come from the
// same signed checkpoint as `root`.
Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2. Requires 0 < size1 <= size2; for size1 == size2 the proof
// must be empty and the roots equal. Errors are kDataLoss naming why. As with
// inclusion, size2 is only partly bound by the proof and must come from the
// checkpoint that carries root2; size1 is fully bound.
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2);

// Incremental builder for appends: holds the hashes of the complete subtrees on
// the right edge (at most 64), so the root of the current tree and every new
// complete subtree come without reading storage. Memory is O(log n).
class TreeBuilder {
 public:
  // A new complete subtree: store `hash` as entry `index` of `level`.
  using NodeSink = std::function<void(int level, uint64_t index, const Hash& hash)>;

  TreeBuilder() = default;
  // Resumes at `size` leaves, loading the right-edge subtrees (popcount(size)
  // lookups) from `src`; lookup errors are passed on.
  static StatusOr<TreeBuilder> Resume(const SubtreeSource& src, uint64_t size);

  uint64_t size() const { return size_; }
  // Adds a leaf hash; calls sink for the leaf (level 0) and for every subtree it
  // completes, lowest level first. An empty sink is allowed (only the root is wanted).
  void Append(const Hash& leaf_hash, const NodeSink& sink);
  // Adds the complete subtree of 2^level leaves whose hash is `subtree_hash`
  // (computed elsewhere, e.g. by another thread) as the next 2^level leaves,
  // as if they had been appended one by one: calls sink for the subtree itself
  // (at `level`) and for every larger subtree it completes, lowest level first;
  // the nodes inside the subtree are not reported.
  // REQUIRES: 0 <= level < 64, size() is a multiple of 2^level, and
  // size() + 2^level does not overflow.
  void AppendSubtree(int level, const Hash& subtree_hash, const NodeSink& sink);
  // Root of the current tree (EmptyRoot() when empty).
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  // frontier_[k] is the complete subtree of 2^k leaves on the right edge,
  // valid when bit k of size_ is set.
  std::vector<Hash> frontier_;
};

}  // namespace vellum::ledger
