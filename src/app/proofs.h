// Proof bundles: self-contained JSON documents that prove, against a signed
// checkpoint, that an event is in the ledger (inclusion) or that a later
// checkpoint extends an earlier one (consistency). Anyone holding the ledger's
// verifier key checks them offline with `vellum verify-proof` or any RFC 9162
// and C2SP implementation. Format: docs/formats/proof-bundle.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "app/vellum.h"
#include "core/signed_note.h"

namespace vellum::app {

inline constexpr char kInclusionBundleType[] = "vellum.inclusion_proof";
inline constexpr char kConsistencyBundleType[] = "vellum.consistency_proof";

// Inclusion of event `seq` in the checkpoint of tree size `size` (default: the
// latest checkpoint, made now if it does not cover `seq` yet).
// Both need audit.read (AT-8); a checkpoint made for the proof is the system's.
StatusOr<boost::json::object> MakeInclusionBundle(Vellum& v, const Principal& p, uint64_t seq,
                                                  std::optional<uint64_t> size);
// Consistency between the stored checkpoints of sizes `from` and `to` (default: latest).
StatusOr<boost::json::object> MakeConsistencyBundle(Vellum& v, const Principal& p, uint64_t from,
                                                    std::optional<uint64_t> to);

struct ProofCheck {
  std::string kind;  // "inclusion" or "consistency"
  std::string summary;
};

// Checks a bundle with the ledger's verifier key. kInvalidArgument for a
// malformed bundle; kDataLoss (naming the reason) for a proof that fails.
StatusOr<ProofCheck> VerifyProofBundle(std::string_view bundle_json, const core::NoteVerifier& key);

}  // namespace vellum::app
