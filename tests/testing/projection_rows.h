// Projection rows for storage tests: an event-index row and a record-version
// row with the given keys and predictable contents (a leaf hash and content
// derived from the sequence number and version).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/sha256.h"
#include "storage/projection_store.h"

namespace vellum::testing {

inline storage::EventIndexRow Ev(uint64_t seq, int64_t ts, std::string type, std::string actor,
                                 std::string rtype = "", std::string rid = "", uint64_t rversion = 0) {
  storage::EventIndexRow r;
  r.seq = seq;
  r.ts = ts;
  r.type = std::move(type);
  r.actor = std::move(actor);
  r.record_type = std::move(rtype);
  r.record_id = std::move(rid);
  r.record_version = rversion;
  r.leaf_hash = core::Sha256("leaf " + std::to_string(seq));
  return r;
}

inline storage::RecordVersionRow Ver(std::string type, std::string id, uint64_t version, uint64_t seq,
                                     bool deleted = false) {
  storage::RecordVersionRow r;
  r.record_type = std::move(type);
  r.record_id = std::move(id);
  r.version = version;
  r.seq = seq;
  r.ts = 1000 + static_cast<int64_t>(seq);
  r.deleted = deleted;
  if (!deleted) {
    r.content = "{\"v\":" + std::to_string(version) + "}";
    r.content_hash = core::Sha256(r.content);
  }
  return r;
}

}  // namespace vellum::testing
