// `vellum bench`: the product's performance figures, measured side by side in
// one run so that ratios are meaningful on a shared, noisy machine
// (docs/performance.md explains each figure and its goal).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace vellum::app {

// How the records the append figures create are named. It decides how
// records.db's index by record is written (docs/performance.md).
enum class BenchRecordIds {
  kCounted,         // "a-<n>": each id follows the last
  kTimeThenRandom,  // the time in ms, then random digits (as UUID v7s and ULIDs)
  kRandom,          // random digits only (as UUID v4s)
};

struct BenchOptions {
  std::string dir;                          // scratch directory (created; removed unless keep)
  std::vector<int> producers = {1, 8, 64};  // concurrent producers for the append figures
  double seconds_per_run = 3.0;
  // Commands per call: 1 = one event per call (interactive use); larger = an
  // importer submitting a batch of records in one call (SubmitAll).
  std::vector<int> batch_sizes = {1, 256};
  std::vector<uint64_t> proof_sizes = {1'000'000, 10'000'000};
  int proof_samples = 2000;
  BenchRecordIds record_ids = BenchRecordIds::kCounted;
  bool keep = false;
};

// Runs every benchmark and prints a report (text) to stdout as it goes.
Status RunBench(const BenchOptions& options);

// The content of the n-th record the append figures create: a realistic
// annotation (a box label with DICOM references, ~300 bytes). Also what
// bench/pipeline_bench.cc writes, so that its figures compare with these.
boost::json::object BenchRecordContent(uint64_t n);
// The id of the n-th record, of shape `ids`, made at `now_ms` (ms since the
// epoch, used by kTimeThenRandom). Distinct for distinct n of one shape.
std::string BenchRecordId(BenchRecordIds ids, uint64_t n, int64_t now_ms);

}  // namespace vellum::app
