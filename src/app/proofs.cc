#include "app/proofs.h"

#include <fmt/format.h>

#include <boost/json/value.hpp>

#include "core/encoding.h"
#include "core/json.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/merkle.h"

namespace vellum::app {
namespace {

namespace json = boost::json;

json::array HashesToJson(const std::vector<core::Hash>& hashes) {
  json::array a;
  for (const auto& h : hashes) a.push_back(json::string(core::Base64Encode(core::AsBytes(h))));
  return a;
}

// A hash of the bundle, the base64 of 32 bytes; `what` names it in the error.
StatusOr<core::Hash> HashFromBase64(std::string_view text, std::string_view what) {
  auto raw = core::Base64Decode(text);
  if (!raw.ok()) return InvalidArgumentError(fmt::format("{} is not valid base64", what));
  auto h = core::HashFromBytes(*raw);
  if (!h.ok()) return InvalidArgumentError(fmt::format("{} is not 32 bytes", what));
  return *h;
}

StatusOr<std::vector<core::Hash>> HashesFromJson(const json::value* v) {
  if (v == nullptr || !v->is_array()) return InvalidArgumentError("\"proof\" must be an array of base64 hashes");
  std::vector<core::Hash> out;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return InvalidArgumentError("\"proof\" must be an array of base64 hashes");
    ASSIGN_OR_RETURN(core::Hash h, HashFromBase64(e.get_string(), "a proof hash"));
    out.push_back(h);
  }
  return out;
}

StatusOr<storage::StoredCheckpoint> FindCheckpoint(Vellum& v, std::optional<uint64_t> size, uint64_t at_least) {
  if (!size) {
    ASSIGN_OR_RETURN(auto latest, v.log().LatestCheckpoint());
    if (!latest || latest->size < at_least) return v.ledger().MakeCheckpoint();
    return *latest;
  }
  ASSIGN_OR_RETURN(auto all, v.log().ListCheckpoints());
  std::string sizes;
  for (auto& c : all) {
    if (c.size == *size) return c;
    sizes += fmt::format("{}{}", sizes.empty() ? "" : ", ", c.size);
  }
  return NotFoundError(fmt::format("there is no checkpoint of tree size {} (stored checkpoints: {})",
                                   *size, sizes.empty() ? "none" : sizes));
}

// Anything wrong with the signed or hashed content means the proof fails
// (kDataLoss); only a malformed bundle structure is kInvalidArgument.
template <typename T>
StatusOr<T> AsProofFailure(StatusOr<T> r, std::string_view what) {
  if (r.ok()) return r;
  return DataLossError(fmt::format("{}: {}", what, r.status().message()));
}

Status CheckKeys(const json::object& o, std::initializer_list<std::string_view> keys) {
  for (const auto& kv : o) {
    bool known = false;
    for (auto k : keys) known = known || kv.key() == k;
    if (!known) return InvalidArgumentError(fmt::format("unknown field \"{}\" in the proof bundle", std::string_view(kv.key())));
  }
  for (auto k : keys) {
    if (!o.contains(k)) return InvalidArgumentError(fmt::format("the proof bundle lacks \"{}\"", k));
  }
  return OkStatus();
}

StatusOr<std::string> StringField(const json::object& o, std::string_view k) {
  const json::value& v = o.at(k);
  if (!v.is_string()) return InvalidArgumentError(fmt::format("\"{}\" must be a string", k));
  return std::string(v.get_string());
}

StatusOr<core::Hash> HashField(const json::object& o, std::string_view k) {
  ASSIGN_OR_RETURN(std::string text, StringField(o, k));
  return HashFromBase64(text, fmt::format("\"{}\"", k));
}

// A JSON number that is a non-negative integer. Boost's to_number throws on
// anything else, and a bundle is untrusted input.
StatusOr<uint64_t> UintField(const json::object& o, std::string_view k) {
  const json::value& v = o.at(k);
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
  return InvalidArgumentError(fmt::format("\"{}\" must be a non-negative integer", k));
}

Status CheckVersion(const json::object& o) {
  auto version = UintField(o, "version");
  if (!version.ok() || *version != 1) {
    return InvalidArgumentError("unsupported proof bundle \"version\" (this build reads 1)");
  }
  return OkStatus();
}

}  // namespace

StatusOr<json::object> MakeInclusionBundle(Vellum& v, const Principal& p, uint64_t seq,
                                           std::optional<uint64_t> size) {
  RETURN_IF_ERROR(v.Authorize(p, identity::Action::kAuditRead, fmt::format("proof of event {}", seq)));
  if (seq >= v.Size()) return NotFoundError(fmt::format("no event with seq {} (the ledger holds {})", seq, v.Size()));
  ASSIGN_OR_RETURN(auto cp, FindCheckpoint(v, size, seq + 1));
  if (seq >= cp.size) {
    return InvalidArgumentError(fmt::format("event {} is not covered by the checkpoint of size {}", seq, cp.size));
  }
  ASSIGN_OR_RETURN(std::string line, v.ledger().ReadEvent(seq));
  ASSIGN_OR_RETURN(auto proof, v.ledger().InclusionProof(seq, cp.size));
  json::object b;
  b["type"] = kInclusionBundleType;
  b["version"] = 1;
  b["seq"] = seq;
  b["event"] = line;
  b["leaf_hash"] = core::Base64Encode(core::AsBytes(ledger::LeafHash(line)));
  b["tree_size"] = cp.size;
  b["proof"] = HashesToJson(proof);
  b["checkpoint"] = cp.note;
  return b;
}

StatusOr<json::object> MakeConsistencyBundle(Vellum& v, const Principal& p, uint64_t from,
                                             std::optional<uint64_t> to) {
  RETURN_IF_ERROR(v.Authorize(p, identity::Action::kAuditRead, "a consistency proof"));
  ASSIGN_OR_RETURN(auto old_cp, FindCheckpoint(v, from, 0));
  ASSIGN_OR_RETURN(auto new_cp, FindCheckpoint(v, to, from));
  if (new_cp.size < old_cp.size) {
    return InvalidArgumentError(fmt::format("--to {} is smaller than --from {}", new_cp.size, old_cp.size));
  }
  if (old_cp.size == 0) return InvalidArgumentError("a consistency proof needs a non-empty first tree");
  ASSIGN_OR_RETURN(auto proof, v.ledger().ConsistencyProof(old_cp.size, new_cp.size));
  json::object b;
  b["type"] = kConsistencyBundleType;
  b["version"] = 1;
  b["old_checkpoint"] = old_cp.note;
  b["new_checkpoint"] = new_cp.note;
  b["proof"] = HashesToJson(proof);
  return b;
}

StatusOr<ProofCheck> VerifyProofBundle(std::string_view text, const core::NoteVerifier& key) {
  ASSIGN_OR_RETURN(json::value doc, core::ParseJson(text, {8 << 20, 16, 4 << 20}));
  if (!doc.is_object()) return InvalidArgumentError("a proof bundle must be a JSON object");
  const json::object& o = doc.get_object();
  const json::value* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) return InvalidArgumentError("the proof bundle lacks a \"type\"");
  const std::string_view origin = key.name;
  if (type->get_string() == kInclusionBundleType) {
    RETURN_IF_ERROR(CheckKeys(o, {"type", "version", "seq", "event", "leaf_hash", "tree_size", "proof", "checkpoint"}));
    RETURN_IF_ERROR(CheckVersion(o));
    // The bundle's form first (a malformed bundle, exit 2), whatever else is wrong with
    // it; then what it holds, which is evidence: a checkpoint or an event line that does
    // not check out fails the proof (exit 1).
    ASSIGN_OR_RETURN(auto proof, HashesFromJson(o.if_contains("proof")));
    ASSIGN_OR_RETURN(std::string note, StringField(o, "checkpoint"));
    ASSIGN_OR_RETURN(uint64_t seq, UintField(o, "seq"));
    ASSIGN_OR_RETURN(uint64_t tree_size, UintField(o, "tree_size"));
    ASSIGN_OR_RETURN(std::string line, StringField(o, "event"));
    ASSIGN_OR_RETURN(core::Hash claimed_leaf, HashField(o, "leaf_hash"));
    ASSIGN_OR_RETURN(ledger::Event ev, AsProofFailure(ledger::DecodeEvent(line), "event"));
    ASSIGN_OR_RETURN(ledger::Checkpoint cp, AsProofFailure(ledger::OpenCheckpoint(note, key, origin), "checkpoint"));
    if (seq != ev.seq) return DataLossError(fmt::format("the bundle says seq {} but the event says {}", seq, ev.seq));
    if (tree_size != cp.size) {
      return DataLossError(fmt::format("the bundle says tree size {} but the checkpoint says {}", tree_size, cp.size));
    }
    const core::Hash leaf = ledger::LeafHash(line);
    if (claimed_leaf != leaf) return DataLossError("leaf_hash is not the hash of the event");
    RETURN_IF_ERROR(ledger::VerifyInclusion(leaf, ev.seq, cp.size, proof, cp.root));
    return ProofCheck{"inclusion", fmt::format("event {} ({}, {}) is in the ledger {} at tree size {}", ev.seq,
                                               ev.type, core::FormatTimestamp(ev.ts), cp.origin, cp.size)};
  }
  if (type->get_string() == kConsistencyBundleType) {
    RETURN_IF_ERROR(CheckKeys(o, {"type", "version", "old_checkpoint", "new_checkpoint", "proof"}));
    RETURN_IF_ERROR(CheckVersion(o));
    ASSIGN_OR_RETURN(auto proof, HashesFromJson(o.if_contains("proof")));
    ASSIGN_OR_RETURN(std::string old_note, StringField(o, "old_checkpoint"));
    ASSIGN_OR_RETURN(std::string new_note, StringField(o, "new_checkpoint"));
    ASSIGN_OR_RETURN(ledger::Checkpoint a, AsProofFailure(ledger::OpenCheckpoint(old_note, key, origin), "old checkpoint"));
    ASSIGN_OR_RETURN(ledger::Checkpoint b, AsProofFailure(ledger::OpenCheckpoint(new_note, key, origin), "new checkpoint"));
    RETURN_IF_ERROR(ledger::VerifyConsistency(a.size, b.size, proof, a.root, b.root));
    return ProofCheck{"consistency", fmt::format("the ledger {} at tree size {} extends its checkpoint of tree size {}",
                                                 b.origin, b.size, a.size)};
  }
  return InvalidArgumentError(fmt::format("unknown proof bundle type \"{}\"", std::string_view(type->get_string())));
}

}  // namespace vellum::app
