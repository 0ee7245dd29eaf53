// Merkle tree micro-benchmarks: hashing rates, appends, and proofs over a
// 1M-leaf in-memory tree (O(log n) subtree lookups per proof).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "ledger/memory_tree.h"
#include "ledger/merkle.h"

namespace vellum::ledger {
namespace {

constexpr uint64_t kTreeLeaves = uint64_t{1} << 20;

const MemoryTree& MillionLeafTree() {
  static const MemoryTree tree = [] {
    MemoryTree t;
    for (uint64_t i = 0; i < kTreeLeaves; ++i) t.Append(LeafHash("event-" + std::to_string(i)));
    return t;
  }();
  return tree;
}

// A pseudo-random index sequence that is cheap next to the work measured.
uint64_t NextIndex(uint64_t& state, uint64_t bound) {
  state = state * 6364136223846793005u + 1442695040888963407u;
  return (state >> 11) % bound;
}

void BM_NodeHash(benchmark::State& state) {
  Hash a = core::Sha256("a"), b = core::Sha256("b");
  for (auto _ : state) {
    a = NodeHash(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

void BM_LeafHash(benchmark::State& state) {
  const std::string event(static_cast<size_t>(state.range(0)), 'e');
  for (auto _ : state) benchmark::DoNotOptimize(LeafHash(event));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LeafHash)->Arg(64)->Arg(512)->Arg(4096);

void BM_TreeBuilderAppend(benchmark::State& state) {
  TreeBuilder builder;
  const Hash leaf = LeafHash("event");
  uint64_t nodes = 0;
  const TreeBuilder::NodeSink count = [&](int, uint64_t, const Hash&) { ++nodes; };
  for (auto _ : state) builder.Append(leaf, count);
  benchmark::DoNotOptimize(nodes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TreeBuilderAppend);

void BM_InclusionProof(benchmark::State& state) {
  const MemoryTree& tree = MillionLeafTree();
  // A size just below 2^20 so the right edge is incomplete, the costly case.
  const uint64_t size = kTreeLeaves - 1;
  uint64_t rng = 1;
  for (auto _ : state) {
    auto proof = InclusionProof(tree, NextIndex(rng, size), size);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof);

void BM_ConsistencyProof(benchmark::State& state) {
  const MemoryTree& tree = MillionLeafTree();
  const uint64_t size2 = kTreeLeaves - 1;
  uint64_t rng = 2;
  for (auto _ : state) {
    auto proof = ConsistencyProof(tree, 1 + NextIndex(rng, size2), size2);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof);

void BM_VerifyInclusion(benchmark::State& state) {
  const MemoryTree& tree = MillionLeafTree();
  const uint64_t size = kTreeLeaves - 1, index = 123457;
  const Hash leaf = *tree.Subtree(0, index);
  const Hash root = *RootAt(tree, size);
  const std::vector<Hash> proof = *InclusionProof(tree, index, size);
  for (auto _ : state) {
    Status s = VerifyInclusion(leaf, index, size, proof, root);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusion);

}  // namespace
}  // namespace vellum::ledger
