// Proof bundles (AT-4, AT-5): inclusion and consistency proofs against signed
// checkpoints, checked offline with only the ledger's verifier key.
//
// The forgery tests flip every single bit of every hash and number a bundle
// carries and demand rejection. Raw RFC 9162 verifiers cannot bind the tree
// size by themselves (see ledger/merkle.h: leaf 0 of 5 and of 7 leaves have the
// same path shape); the bundle binds it through the signed checkpoint, and the
// tests show that every flipped tree size is rejected, including the flips the
// raw verifier alone would accept.
#include "app/proofs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/provision.h"
#include "app/vellum.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/sha256.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "testing/forgeries.h"
#include "testing/identity_fixture.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::app {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using vellum::testing::Forgeries;
using vellum::testing::TempDir;

// One ledger grown in steps, with a checkpoint at each of kSizes: 1 (init's),
// 3 (after init's policy and administrator), then through the administrator's
// sign-in, the provisioning of the annotator "Tester" (created at seq 4), and
// the annotator's notes. 2 cannot be had: init writes seqs 1 and 2 together.
constexpr uint64_t kSizes[] = {1, 3, 4, 5, 7, 8, 13};
constexpr uint64_t kNoCheckpoint = 6;  // a size with no checkpoint

class ProofsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir;
    InitOptions init;
    init.origin = "proofs.example/ledger";
    auto v = vellum::testing::InitWithAdmin(tmp_->Sub("data"), init);
    ASSERT_OK(v.status());
    vellum_ = v->release();
    auditor_ = new Principal;
    Principal tester;
    // Each step below appends one event; a checkpoint follows whenever the size is one of
    // kSizes. The annotator is provisioned step by step (as ProvisionPerson does) for that.
    const std::string one_time = "one-time password of the tester";
    std::vector<uint64_t> made;
    auto checkpoint_if_due = [&]() -> Status {
      for (uint64_t size : kSizes) {
        if (size == vellum_->Size() && (made.empty() || made.back() != size)) {
          ASSIGN_OR_RETURN(auto cp, vellum_->ledger().MakeCheckpoint());
          if (cp.size != size) return InternalError("checkpoint of the wrong size");
          made.push_back(size);
        }
      }
      return OkStatus();
    };
    made.push_back(1);  // init's
    ASSERT_EQ(vellum_->Size(), 3u);
    ASSERT_OK(checkpoint_if_due());
    ASSERT_OK_AND_ASSIGN(*auditor_, vellum::testing::SignInAdmin(*vellum_));  // 4
    ASSERT_OK(checkpoint_if_due());
    identity::User u;
    u.id = "u-1";
    u.name = "Tester";
    u.email = "u-1@test.vellum.invalid";
    u.roles = {identity::Role::kAnnotator};
    ASSERT_OK(vellum_->CreateUser(*auditor_, u, one_time, std::nullopt).status());  // 5
    ASSERT_OK(checkpoint_if_due());
    ASSERT_OK_AND_ASSIGN(Principal once, app::SignIn(*vellum_, "u-1", one_time, "ws-test"));  // 6
    ASSERT_OK(checkpoint_if_due());
    ASSERT_OK(
        vellum_->ChangeOwnPassword(once, one_time, vellum::testing::TestPassword("u-1")));  // 7
    ASSERT_OK(checkpoint_if_due());
    ASSERT_OK(vellum_->Logout(once));  // 8
    ASSERT_OK(checkpoint_if_due());
    ASSERT_OK_AND_ASSIGN(tester, vellum::testing::SignInAs(*vellum_, "u-1"));  // 9
    ASSERT_OK(checkpoint_if_due());
    while (vellum_->Size() < kSizes[std::size(kSizes) - 1]) {
      records::CreateRecord c{"note", "n-" + std::to_string(vellum_->Size()),
                              json::object{{"i", vellum_->Size()}}, std::nullopt, std::nullopt};
      ASSERT_OK(vellum_->CreateRecord(tester, std::move(c)).status());
      ASSERT_OK(checkpoint_if_due());
    }
    ASSERT_EQ(made, std::vector<uint64_t>(std::begin(kSizes), std::end(kSizes)));
  }
  static void TearDownTestSuite() {
    delete auditor_;
    auditor_ = nullptr;
    delete vellum_;
    vellum_ = nullptr;
    delete tmp_;
    tmp_ = nullptr;
  }

  static Vellum& V() { return *vellum_; }
  // Who asks for the bundles: the administrator, whose role may read the audit trail (AT-8).
  static const Principal& Auditor() { return *auditor_; }
  static Status Check(const json::object& bundle) {
    return VerifyProofBundle(json::serialize(bundle), V().ledger_key()).status();
  }

  static TempDir* tmp_;
  static Vellum* vellum_;
  static Principal* auditor_;
};
TempDir* ProofsTest::tmp_ = nullptr;
Vellum* ProofsTest::vellum_ = nullptr;
Principal* ProofsTest::auditor_ = nullptr;

// Seqs to prove in a tree of `size`: all for tiny trees, the edges and middle otherwise.
std::vector<uint64_t> SeqsFor(uint64_t size) {
  if (size <= 3) {
    std::vector<uint64_t> all;
    for (uint64_t s = 0; s < size; ++s) all.push_back(s);
    return all;
  }
  return {0, size / 2, size - 1};
}

std::string FlipBase64Bit(const std::string& b64, size_t bit) {
  std::string raw = core::Base64Decode(b64).value();
  raw[bit / 8] = static_cast<char>(raw[bit / 8] ^ (1 << (bit % 8)));
  return core::Base64Encode(raw);
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::stringstream in(s);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The signed note with line `index` of its body replaced (the signature is kept).
std::string EditNoteLine(const std::string& note, size_t index, const std::string& replacement) {
  std::vector<std::string> lines = SplitLines(note);
  lines.at(index) = replacement;
  return JoinLines(lines);
}

// Flips every bit of every hash in the bundle's "proof" array, one at a time.
void FlipEveryProofBit(const json::object& bundle, const std::string& where,
                       const std::function<Status(const json::object&)>& check, Forgeries& f) {
  const json::array& proof = bundle.at("proof").as_array();
  for (size_t i = 0; i < proof.size(); ++i) {
    for (size_t bit = 0; bit < 256; ++bit) {
      json::object b = bundle;
      b["proof"].as_array()[i] =
          json::string(FlipBase64Bit(std::string(proof[i].as_string()), bit));
      f.MustReject(check(b), [&] {
        return where + " proof[" + std::to_string(i) + "] bit " + std::to_string(bit);
      });
    }
  }
}

TEST_F(ProofsTest, InclusionBundlesVerify) {
  for (uint64_t size : kSizes) {
    for (uint64_t seq : SeqsFor(size)) {
      ASSERT_OK_AND_ASSIGN(json::object b, MakeInclusionBundle(V(), Auditor(), seq, size));
      EXPECT_EQ(b.at("type").as_string(), kInclusionBundleType);
      EXPECT_EQ(b.at("tree_size").to_number<uint64_t>(), size);
      ASSERT_OK_AND_ASSIGN(std::string line, V().ReadEvent(Auditor(), seq));
      EXPECT_EQ(b.at("event").as_string(), line);
      ASSERT_OK_AND_ASSIGN(ProofCheck check,
                           VerifyProofBundle(json::serialize(b), V().ledger_key()));
      EXPECT_EQ(check.kind, "inclusion");
      EXPECT_THAT(check.summary, HasSubstr("tree size " + std::to_string(size)));
    }
  }
  // Default size: the latest checkpoint.
  ASSERT_OK_AND_ASSIGN(json::object b, MakeInclusionBundle(V(), Auditor(), 3, std::nullopt));
  EXPECT_EQ(b.at("tree_size").to_number<uint64_t>(), V().Size());
  EXPECT_OK(Check(b));
}

TEST_F(ProofsTest, InclusionBundleRequests) {
  EXPECT_THAT(MakeInclusionBundle(V(), Auditor(), V().Size(), std::nullopt),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(MakeInclusionBundle(V(), Auditor(), 5, kNoCheckpoint),
              StatusIs(StatusCode::kNotFound, HasSubstr("no checkpoint of tree size 6")));
  EXPECT_THAT(MakeInclusionBundle(V(), Auditor(), 5, 5),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not covered")));
}

TEST_F(ProofsTest, ConsistencyBundlesVerify) {
  for (uint64_t from : kSizes) {
    for (uint64_t to : kSizes) {
      if (to < from) {
        EXPECT_THAT(MakeConsistencyBundle(V(), Auditor(), from, to),
                    StatusIs(StatusCode::kInvalidArgument, ::testing::_));
        continue;
      }
      ASSERT_OK_AND_ASSIGN(json::object b, MakeConsistencyBundle(V(), Auditor(), from, to));
      ASSERT_OK_AND_ASSIGN(ProofCheck check,
                           VerifyProofBundle(json::serialize(b), V().ledger_key()));
      EXPECT_EQ(check.kind, "consistency");
    }
  }
  EXPECT_THAT(MakeConsistencyBundle(V(), Auditor(), kNoCheckpoint, std::nullopt),
              StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_F(ProofsTest, BundlesFromAnotherLedgerKeyAreRejected) {
  TempDir other_dir;
  InitOptions init;
  init.origin = "proofs.example/ledger";  // same name, different key
  ASSERT_OK_AND_ASSIGN(auto other, vellum::testing::InitWithAdmin(other_dir.Sub("data"), init));
  ASSERT_OK_AND_ASSIGN(Principal other_admin, vellum::testing::SignInAdmin(*other));
  ASSERT_OK_AND_ASSIGN(json::object b, MakeInclusionBundle(*other, other_admin, 0, std::nullopt));
  EXPECT_FALSE(VerifyProofBundle(json::serialize(b), V().ledger_key()).ok());
  EXPECT_OK(VerifyProofBundle(json::serialize(b), other->ledger_key()));
}

TEST_F(ProofsTest, InclusionForgeryAnySingleBitFlipIsRejected) {
  Forgeries f;
  uint64_t raw_verifier_would_accept = 0;
  for (uint64_t size : kSizes) {
    for (uint64_t seq : SeqsFor(size)) {
      ASSERT_OK_AND_ASSIGN(const json::object bundle,
                           MakeInclusionBundle(V(), Auditor(), seq, size));
      ASSERT_OK(Check(bundle));
      const std::string where = "seq " + std::to_string(seq) + " size " + std::to_string(size);
      const json::array& proof = bundle.at("proof").as_array();

      FlipEveryProofBit(bundle, where, Check, f);
      // Every bit of the leaf hash.
      for (size_t bit = 0; bit < 256; ++bit) {
        json::object b = bundle;
        b["leaf_hash"] =
            json::string(FlipBase64Bit(std::string(bundle.at("leaf_hash").as_string()), bit));
        f.MustReject(Check(b), [&] { return where + " leaf_hash bit " + std::to_string(bit); });
      }
      // Every bit of the bundle's tree size and seq.
      ASSERT_OK_AND_ASSIGN(core::Hash root, V().ledger().RootAt(size));
      ASSERT_OK_AND_ASSIGN(std::string line, V().ReadEvent(Auditor(), seq));
      std::vector<core::Hash> proof_hashes;
      for (const auto& p : proof) {
        proof_hashes.push_back(
            core::HashFromBytes(core::Base64Decode(p.as_string()).value()).value());
      }
      for (int bit = 0; bit < 64; ++bit) {
        const uint64_t forged_size = size ^ (uint64_t{1} << bit);
        json::object b = bundle;
        b["tree_size"] = forged_size;
        f.MustReject(Check(b), [&] { return where + " tree_size bit " + std::to_string(bit); });
        if (ledger::VerifyInclusion(ledger::LeafHash(line), seq, forged_size, proof_hashes, root)
                .ok()) {
          ++raw_verifier_would_accept;
        }
        b = bundle;
        b["seq"] = seq ^ (uint64_t{1} << bit);
        f.MustReject(Check(b), [&] { return where + " seq bit " + std::to_string(bit); });
      }
      // Every bit of the root and of the tree size inside the signed checkpoint.
      const std::string note(bundle.at("checkpoint").as_string());
      const std::vector<std::string> lines = SplitLines(note);
      ASSERT_EQ(lines.at(1), std::to_string(size));
      for (size_t bit = 0; bit < 256; ++bit) {
        json::object b = bundle;
        b["checkpoint"] = json::string(EditNoteLine(note, 2, FlipBase64Bit(lines.at(2), bit)));
        f.MustReject(Check(b),
                     [&] { return where + " checkpoint root bit " + std::to_string(bit); });
      }
      for (int bit = 0; bit < 64; ++bit) {
        json::object b = bundle;
        b["checkpoint"] =
            json::string(EditNoteLine(note, 1, std::to_string(size ^ (uint64_t{1} << bit))));
        f.MustReject(Check(b),
                     [&] { return where + " checkpoint size bit " + std::to_string(bit); });
        // The same size in both places, as a forger would do: the signature still fails.
        b["tree_size"] = size ^ (uint64_t{1} << bit);
        f.MustReject(Check(b), [&] { return where + " both sizes bit " + std::to_string(bit); });
      }
    }
  }
  // The bundle-level check matters: for some flips the raw RFC 9162 verifier
  // alone accepts the forged size (e.g. leaf 0 of 5 vs 7), and the bundle still rejects them.
  EXPECT_GT(raw_verifier_would_accept, 0u);
}

TEST_F(ProofsTest, InclusionForgeryOtherEdits) {
  Forgeries f;
  ASSERT_OK_AND_ASSIGN(const json::object bundle, MakeInclusionBundle(V(), Auditor(), 4, 8));
  ASSERT_OK_AND_ASSIGN(const json::object other, MakeInclusionBundle(V(), Auditor(), 5, 8));
  const json::array& proof = bundle.at("proof").as_array();
  ASSERT_GE(proof.size(), 2u);
  // A proof hash dropped, duplicated, or the order swapped.
  {
    json::object b = bundle;
    b["proof"].as_array().pop_back();
    f.MustReject(Check(b), [] { return "proof shortened"; });
    b = bundle;
    b["proof"].as_array().push_back(proof[0]);
    f.MustReject(Check(b), [] { return "proof lengthened"; });
    b = bundle;
    std::swap(b["proof"].as_array()[0], b["proof"].as_array()[1]);
    f.MustReject(Check(b), [] { return "proof reordered"; });
  }
  // Another event (with its own leaf hash) presented under this proof.
  {
    json::object b = bundle;
    b["event"] = other.at("event");
    b["leaf_hash"] = other.at("leaf_hash");
    f.MustReject(Check(b), [] { return "event swapped"; });
    b["seq"] = 4;
    f.MustReject(Check(b), [] { return "event swapped, seq kept"; });
  }
  // One byte of the event edited, with and without a matching leaf hash.
  {
    json::object b = bundle;
    std::string line(bundle.at("event").as_string());
    ASSERT_NE(line.find("Tester"), std::string::npos) << "seq 4 creates the account of Tester";
    line[line.find("Tester")] = 'X';  // still a canonical, decodable event
    b["event"] = json::string(line);
    f.MustReject(Check(b), [] { return "event edited"; });
    b["leaf_hash"] = json::string(core::Base64Encode(core::AsBytes(ledger::LeafHash(line))));
    f.MustReject(Check(b), [] { return "event edited, leaf hash recomputed"; });
  }
  // A checkpoint of another size, with the bundle's size adjusted to it.
  {
    json::object b = bundle;
    ASSERT_OK_AND_ASSIGN(json::object at13, MakeInclusionBundle(V(), Auditor(), 4, 13));
    b["checkpoint"] = at13.at("checkpoint");
    b["tree_size"] = 13;
    f.MustReject(Check(b), [] { return "checkpoint swapped"; });
  }
}

// Pairs of checkpoint sizes to attack: each step of the ledger's growth, and
// every earlier size against the latest (kept to a subset: each check verifies signatures).
std::vector<std::pair<uint64_t, uint64_t>> ConsistencyPairs() {
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  const size_t n = std::size(kSizes);
  for (size_t i = 0; i + 1 < n; ++i) pairs.push_back({kSizes[i], kSizes[i + 1]});
  for (size_t i = 0; i + 2 < n; ++i) pairs.push_back({kSizes[i], kSizes[n - 1]});
  return pairs;
}

TEST_F(ProofsTest, ConsistencyForgeryAnySingleBitFlipIsRejected) {
  Forgeries f;
  for (const auto& [from, to] : ConsistencyPairs()) {
    {
      ASSERT_OK_AND_ASSIGN(const json::object bundle,
                           MakeConsistencyBundle(V(), Auditor(), from, to));
      ASSERT_OK(Check(bundle));
      const std::string where = std::to_string(from) + "->" + std::to_string(to);
      FlipEveryProofBit(bundle, where, Check, f);
      for (const char* which : {"old_checkpoint", "new_checkpoint"}) {
        const std::string note(bundle.at(which).as_string());
        const std::vector<std::string> lines = SplitLines(note);
        for (size_t bit = 0; bit < 256; ++bit) {
          json::object b = bundle;
          b[which] = json::string(EditNoteLine(note, 2, FlipBase64Bit(lines.at(2), bit)));
          f.MustReject(Check(b),
                       [&] { return where + " " + which + " root bit " + std::to_string(bit); });
        }
        const uint64_t size = std::stoull(lines.at(1));
        for (int bit = 0; bit < 64; ++bit) {
          json::object b = bundle;
          b[which] =
              json::string(EditNoteLine(note, 1, std::to_string(size ^ (uint64_t{1} << bit))));
          f.MustReject(Check(b),
                       [&] { return where + " " + which + " size bit " + std::to_string(bit); });
        }
      }
      // The checkpoints swapped: the newer does not precede the older.
      json::object b = bundle;
      b["old_checkpoint"] = bundle.at("new_checkpoint");
      b["new_checkpoint"] = bundle.at("old_checkpoint");
      f.MustReject(Check(b), [&] { return where + " checkpoints swapped"; });
    }
  }
}

TEST_F(ProofsTest, MalformedBundlesAreInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(const json::object bundle, MakeInclusionBundle(V(), Auditor(), 2, 5));
  const std::string key_text = core::FormatVerifierKey(V().ledger_key());
  auto verify = [&](const std::string& text) {
    return VerifyProofBundle(text, V().ledger_key()).status();
  };
  EXPECT_THAT(verify("not json"), StatusIs(StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(verify("[]"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("object")));
  EXPECT_THAT(verify("{}"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("type")));
  EXPECT_THAT(verify(R"({"type":"vellum.other"})"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown")));
  for (const char* k :
       {"version", "seq", "event", "leaf_hash", "tree_size", "proof", "checkpoint"}) {
    json::object b = bundle;
    b.erase(k);
    EXPECT_THAT(verify(json::serialize(b)), StatusIs(StatusCode::kInvalidArgument, HasSubstr(k)))
        << k;
  }
  {
    json::object b = bundle;
    b["extra"] = 1;
    EXPECT_THAT(verify(json::serialize(b)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("extra")));
  }
  // Wrong types and values never crash and never pass.
  const std::vector<std::pair<const char*, json::value>> cases = {
      {"seq", "2"},
      {"seq", -1},
      {"seq", 2.5},
      {"seq", 1e300},
      {"seq", nullptr},
      {"tree_size", "5"},
      {"tree_size", -5},
      {"tree_size", 5.5},
      {"tree_size", json::array{}},
      {"proof", "abc"},
      {"proof", json::array{1}},
      {"proof", json::array{"not base64!"}},
      {"proof", json::array{"AAAA"}},  // 3 bytes, not 32
      {"event", 5},
      {"checkpoint", 5},
      {"leaf_hash", 5},
  };
  for (const auto& [k, value] : cases) {
    json::object b = bundle;
    b[k] = value;
    const std::string text = json::serialize(b);
    Status s = verify(text);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_TRUE(s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kDataLoss)
        << s.ToString();
  }
  // Numbers that are not non-negative integers are malformed, not a crash (Boost's to_number
  // throws).
  for (const json::value& bad :
       {json::value(-1), json::value(2.5), json::value(1e300), json::value(-0.5)}) {
    for (const char* k : {"seq", "tree_size"}) {
      json::object b = bundle;
      b[k] = bad;
      EXPECT_THAT(verify(json::serialize(b)), StatusIs(StatusCode::kInvalidArgument, HasSubstr(k)))
          << json::serialize(b);
    }
  }
  for (const json::value& bad :
       {json::value(2), json::value("1"), json::value(-1), json::value(nullptr)}) {
    json::object b = bundle;
    b["version"] = bad;
    EXPECT_THAT(verify(json::serialize(b)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("version")));
  }
  // A consistency bundle with a missing or unknown field.
  ASSERT_OK_AND_ASSIGN(const json::object cons, MakeConsistencyBundle(V(), Auditor(), 3, 5));
  for (const char* k : {"version", "old_checkpoint", "new_checkpoint", "proof"}) {
    json::object b = cons;
    b.erase(k);
    EXPECT_THAT(verify(json::serialize(b)), StatusIs(StatusCode::kInvalidArgument, HasSubstr(k)))
        << k;
  }
}

}  // namespace
}  // namespace vellum::app
