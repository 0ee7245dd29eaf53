// Checkpoints and proofs on the command line (AT-5): `checkpoint` signs a C2SP
// tlog-checkpoint, `proof inclusion|consistency` produce bundles, and
// `verify-proof` checks them offline — exit 0 valid, 1 a proof that fails
// (tampering), 2 a malformed bundle or bad usage.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli_fixture.h"
#include "core/encoding.h"
#include "core/sha256.h"
#include "testing/go_tool.h"
#include "testing/test_env.h"

namespace vellum::cli_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using ::vellum::testing::ReadFileOrDie;
using ::vellum::testing::RunProcess;
using ::vellum::testing::VellumBinary;
using ::vellum::testing::WriteFileOrDie;

class CliProofTest : public CliTest {
 protected:
  void SetUp() override {
    Init(origin_);
    // The set-up's accounts and sign-ins, then six records: size_ events.
    size_ = setup_events_ + 6;
    for (int i = 1; i <= 6; ++i) {
      ASSERT_EQ(Create("annotation", "a-" + std::to_string(i),
                       R"({"label":"nodule","n":)" + std::to_string(i) + "}")
                    .exit_code,
                0);
    }
    vkey_ = RunOk({"checkpoint", "--verifier-key"});
    ASSERT_FALSE(vkey_.empty());
    vkey_.pop_back();  // the newline
  }

  std::string CheckpointPath(uint64_t size) const {
    std::string name = std::to_string(size);
    return data_ + "/ledger/checkpoints/" + std::string(20 - name.size(), '0') + name + ".note";
  }

  // `checkpoint` as quality, the role that signs checkpoints (docs/permissions.md).
  std::string Checkpoint() const {
    ProcessResult r = RunAs(kQuality.id, {"checkpoint"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return r.out;
  }

  // verify-proof of `bundle` (from stdin) with the data directory's key.
  ProcessResult VerifyProof(const std::string& bundle) const {
    return Run({"verify-proof"}, bundle);
  }

  // AT-9: tools/offline_verify_proof.py, written from the published formats alone, gives the
  // same verdict (exit code) as verify-proof. Nothing to compare where python3-cryptography is
  // missing.
  void ExpectOfflineVerdict(const std::string& bundle, int exit_code) const {
    if (!HaveOfflineVerifier()) return;
    ProcessResult r = RunOfflineTool("offline_verify_proof.py", {"-", "--key", vkey_}, bundle);
    EXPECT_EQ(r.exit_code, exit_code) << "offline_verify_proof.py: " << r.out << r.err;
  }

  // `bundle` after `edit`, serialised again.
  static std::string Edited(const std::string& bundle,
                            const std::function<void(json::object&)>& edit) {
    json::value v = ParseOrFail(bundle);
    edit(v.as_object());
    return json::serialize(v);
  }

  std::string vkey_;
  uint64_t size_ = 0;
};

// `checkpoint` prints a C2SP note whose first line is the origin, then the
// tree size, the root, Vellum's extension lines, a blank line and the signature.
TEST_F(CliProofTest, CheckpointIsACheckpointNote) {
  const std::string note = Checkpoint();
  std::vector<std::string> lines = Lines(note);
  ASSERT_GE(lines.size(), 6u) << note;
  EXPECT_EQ(lines[0], origin_);
  EXPECT_EQ(lines[1], std::to_string(size_));  // init, the team's sign-ins, 6 records
  EXPECT_THAT(lines[2], MatchesRegex("[A-Za-z0-9+/]{43}="));
  EXPECT_THAT(lines[3],
              MatchesRegex("vellum-time [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z"));
  EXPECT_THAT(lines[4], MatchesRegex("vellum-prev sha256:[0-9a-f]{64}"));
  EXPECT_EQ(lines[5], "");
  EXPECT_THAT(lines[6], StartsWith("\xe2\x80\x94 " + origin_ + " "));  // "— origin sig"
  EXPECT_EQ(lines.size(), 7u);
  // It is stored, and links to the checkpoint before it (init's, of size 1).
  EXPECT_EQ(ReadFileOrDie(CheckpointPath(size_)), note);
  EXPECT_EQ(lines[4], "vellum-prev sha256:" +
                          core::HashToHex(core::Sha256(ReadFileOrDie(CheckpointPath(1)))));
  // Its root is the root `verify` recomputes from the events.
  json::value report = ParseOrFail(RunOk({"--format", "json", "verify"}));
  EXPECT_EQ(Str(report.at("root")), lines[2]);
  // Nothing new since: the same checkpoint again.
  EXPECT_EQ(Checkpoint(), note);
  // Signing checkpoints needs the quality (or administrator) role: a project manager is
  // refused (exit 3), and the refusal is itself recorded (AC-5).
  ProcessResult refused = Run({"checkpoint"});
  EXPECT_EQ(refused.exit_code, 3) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("may not ledger.checkpoint"));
  EXPECT_THAT(LogLines().back(), HasSubstr("\"type\":\"security.access_denied\""));
}

// `checkpoint --verifier-key` prints <origin>+<8 hex key id>+<base64 key>, the
// same as keys/ledger.pub and init's output; no ledger needs to be opened.
TEST_F(CliProofTest, VerifierKey) {
  EXPECT_THAT(vkey_, MatchesRegex("vellum\\.test/cli\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}"));
  EXPECT_EQ(vkey_ + "\n", ReadFileOrDie(data_ + "/keys/ledger.pub"));
  // The key is 0x01 (Ed25519) followed by the 32-byte public key.
  // <origin>+<id>+<key>: the origin has no '+', the base64 key may.
  auto raw = core::Base64Decode(vkey_.substr(vkey_.find('+', vkey_.find('+') + 1) + 1));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 33u);
  EXPECT_EQ((*raw)[0], '\x01');
  ProcessResult r =
      RunProcess({VellumBinary(), "--data", tmp_.Sub("none"), "checkpoint", "--verifier-key"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("vellum init"));
}

// An inclusion proof of every event verifies with the data directory's key,
// with --key from `checkpoint --verifier-key`, and with --key-file, the last
// two without any ledger (offline).
TEST_F(CliProofTest, InclusionProofVerifies) {
  WriteFileOrDie(tmp_.Sub("ledger.vkey"), vkey_ + "\n");
  for (uint64_t seq = 0; seq < size_; ++seq) {
    SCOPED_TRACE(seq);
    const std::string bundle = RunOk({"proof", "inclusion", "--seq", std::to_string(seq)});
    json::value b = ParseOrFail(bundle);
    EXPECT_EQ(Str(b.at("type")), "vellum.inclusion_proof");
    EXPECT_EQ(b.at("seq"), seq);
    EXPECT_EQ(Str(b.at("event")) + "\n",
              RunOk({"log", "--from-seq", std::to_string(seq), "--limit", "1"}));

    ProcessResult r = VerifyProof(bundle);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_THAT(r.out, StartsWith("OK: event " + std::to_string(seq) + " "));
    ExpectOfflineVerdict(bundle, 0);

    const std::string file = tmp_.Sub("bundle.json");
    WriteFileOrDie(file, bundle);
    r = RunProcess({VellumBinary(), "--data", tmp_.Sub("no-ledger-here"), "verify-proof", "--key",
                    vkey_, file});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    r = RunProcess({VellumBinary(), "--data", tmp_.Sub("no-ledger-here"), "verify-proof",
                    "--key-file", tmp_.Sub("ledger.vkey"), file});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
  }
  // Against an earlier stored checkpoint (--size), covering only what it covers.
  ProcessResult r = VerifyProof(RunOk({"proof", "inclusion", "--seq", "0", "--size", "1"}));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("at tree size 1"));
  r = Run({"proof", "inclusion", "--seq", "3", "--size", "1"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("not covered by the checkpoint of size 1"));
  r = Run({"proof", "inclusion", "--seq", std::to_string(size_)});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("no event with seq " + std::to_string(size_)));
}

// Any change to a bundle's hashed or signed content makes verify-proof exit 1
// and say INVALID with the reason.
TEST_F(CliProofTest, TamperedInclusionBundleFails) {
  // The creation of annotation/a-4, proven in a checkpoint of the whole ledger.
  const uint64_t seq = setup_events_ + 3;
  const std::string bundle = RunOk({"proof", "inclusion", "--seq", std::to_string(seq)});
  const size_t proof_size = ParseOrFail(bundle).at("proof").as_array().size();
  const std::string size_line = "\n" + std::to_string(size_) + "\n";
  auto flip_first_char = [](json::value& v) {
    std::string s(v.as_string());
    s[0] = s[0] == 'A' ? 'B' : 'A';
    v = s;
  };
  struct Case {
    std::string what;
    std::function<void(json::object&)> edit;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"flip a proof hash",
            [&](json::object& o) { flip_first_char(o["proof"].as_array()[0]); },
            "computed root differs"},
           {"reverse the proof",
            [&](json::object& o) {
              auto& a = o["proof"].as_array();
              std::reverse(a.begin(), a.end());
            },
            "computed root differs"},
           {"drop a proof hash", [&](json::object& o) { o["proof"].as_array().pop_back(); },
            "proof has " + std::to_string(proof_size - 1) + " hashes"},
           {"change seq", [&](json::object& o) { o["seq"] = seq + 1; },
            fmt::format("the bundle says seq {} but the event says {}", seq + 1, seq)},
           {"change tree_size", [&](json::object& o) { o["tree_size"] = size_ - 1; },
            "tree size " + std::to_string(size_ - 1)},
           {"edit the event",
            [](json::object& o) {
              std::string e(o["event"].as_string());
              e.replace(e.find("nodule"), 6, "nodulf");
              o["event"] = e;
            },
            "leaf_hash is not the hash of the event"},
           {"edit the event and its leaf hash",
            [](json::object& o) {
              std::string e(o["event"].as_string());
              e.replace(e.find("nodule"), 6, "nodulf");
              o["event"] = e;
              o["leaf_hash"] =
                  core::Base64Encode(core::AsBytes(core::Sha256(std::string(1, '\0') + e)));
            },
            "computed root differs"},
           {"edit the checkpoint's size",
            [&](json::object& o) {
              std::string n(o["checkpoint"].as_string());
              n.replace(n.find(size_line), size_line.size(),
                        "\n" + std::to_string(size_ + 1) + "\n");
              o["checkpoint"] = n;
            },
            "invalid signature"},
           {"edit the checkpoint's root",
            [&](json::object& o) {
              std::string n(o["checkpoint"].as_string());
              size_t root = n.find(size_line) + size_line.size();
              n[root] = n[root] == 'A' ? 'B' : 'A';
              o["checkpoint"] = n;
            },
            "invalid signature"},
           {"edit the checkpoint's time",
            [](json::object& o) {
              std::string n(o["checkpoint"].as_string());
              size_t t = n.find("vellum-time ") + 12;
              n[t] = n[t] == '1' ? '2' : '1';
              o["checkpoint"] = n;
            },
            "invalid signature"},
           // What the bundle carries is evidence: an event line that is no canonical
           // event fails the proof, as an edited one does (the bundle's form is intact).
           {"an event that is not JSON", [](json::object& o) { o["event"] = "not json"; }, "event: "},
           {"an event with a space added",
            [](json::object& o) {
              std::string e(o["event"].as_string());
              o["event"] = e.insert(1, " ");
            },
            "event: "},
           {"a checkpoint that is no note", [](json::object& o) { o["checkpoint"] = "hello"; },
            "checkpoint: "},
       }) {
    SCOPED_TRACE(c.what);
    ProcessResult r = VerifyProof(Edited(bundle, c.edit));
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.out, StartsWith("INVALID: "));
    EXPECT_THAT(r.out, HasSubstr(c.reason));
    ExpectOfflineVerdict(Edited(bundle, c.edit), 1);
  }
  // Another ledger's key does not accept this ledger's checkpoint.
  std::vector<std::string> other_init{VellumBinary(), "--data", tmp_.Sub("other"), "--format",
                                      "json"};
  for (const std::string& a : InitArgs(origin_)) other_init.push_back(a);
  ProcessResult other = RunProcess(other_init);
  ASSERT_EQ(other.exit_code, 0) << Describe(other);
  ProcessResult r = RunProcess(
      {VellumBinary(), "verify-proof", "--key", Str(ParseOrFail(other.out).at("verifier_key"))},
      bundle);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("no signature from a trusted key"));
}

// A bundle that is not a well-formed bundle, or a bad key, is exit 2.
TEST_F(CliProofTest, MalformedBundleIsBadInput) {
  const std::string bundle = RunOk({"proof", "inclusion", "--seq", "2"});
  struct Case {
    std::string what;
    std::string text;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"not JSON", "proof", "invalid JSON"},
           {"truncated", bundle.substr(0, bundle.size() / 2), "unexpected end of input"},
           {"empty", "", "empty input"},
           {"an array", "[]", "must be a JSON object"},
           {"no type", Edited(bundle, [](json::object& o) { o.erase("type"); }),
            "lacks a \"type\""},
           {"unknown type", Edited(bundle, [](json::object& o) { o["type"] = "vellum.other"; }),
            "unknown proof bundle type"},
           {"missing proof", Edited(bundle, [](json::object& o) { o.erase("proof"); }),
            "lacks \"proof\""},
           {"unknown field", Edited(bundle, [](json::object& o) { o["extra"] = 1; }),
            "unknown field \"extra\""},
           {"bad base64", Edited(bundle, [](json::object& o) { o["proof"].as_array()[0] = "!!"; }),
            "base64"},
           {"short hash",
            Edited(bundle, [](json::object& o) { o["proof"].as_array()[0] = "AAAA"; }),
            "not 32 bytes"},
           {"negative seq", Edited(bundle, [](json::object& o) { o["seq"] = -1; }),
            "\"seq\" must be a non-negative integer"},
           {"fractional tree_size", Edited(bundle, [](json::object& o) { o["tree_size"] = 6.5; }),
            "\"tree_size\" must be a non-negative integer"},
           {"string seq", Edited(bundle, [](json::object& o) { o["seq"] = "2"; }),
            "must be a non-negative integer"},
           {"unknown version", Edited(bundle, [](json::object& o) { o["version"] = 2; }),
            "unsupported proof bundle \"version\""},
           {"version 1.0", Edited(bundle, [](json::object& o) { o["version"] = 1.0; }),
            "unsupported proof bundle \"version\""},
           // leaf_hash is read as strictly as the proof's hashes, before anything is checked.
           {"leaf_hash not base64", Edited(bundle, [](json::object& o) { o["leaf_hash"] = "!!!"; }),
            "\"leaf_hash\" is not valid base64"},
           {"leaf_hash of 31 bytes",
            Edited(bundle,
                   [](json::object& o) { o["leaf_hash"] = core::Base64Encode(std::string(31, 'x')); }),
            "\"leaf_hash\" is not 32 bytes"},
           {"leaf_hash without its padding",
            Edited(bundle,
                   [](json::object& o) {
                     std::string h(o["leaf_hash"].as_string());
                     o["leaf_hash"] = h.substr(0, h.size() - 1);
                   }),
            "\"leaf_hash\" is not valid base64"},
           {"a malformed leaf_hash beside an edited event",
            Edited(bundle,
                   [](json::object& o) {
                     o["event"] = "edited";
                     o["leaf_hash"] = "!!!";
                   }),
            "\"leaf_hash\" is not valid base64"},
           {"a checkpoint that is not a string beside an edited event",
            Edited(bundle,
                   [](json::object& o) {
                     o["event"] = "edited";
                     o["checkpoint"] = 7;
                   }),
            "\"checkpoint\" must be a string"},
           {"a lone surrogate",
            [&] {
              std::string t = Edited(bundle, [](json::object& o) { o["event"] = "PLACEHOLDER"; });
              return t.replace(t.find("PLACEHOLDER"), 11, "\\ud800");
            }(),
            "surrogate"},
       }) {
    SCOPED_TRACE(c.what);
    ProcessResult r = VerifyProof(c.text);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    ExpectOfflineVerdict(c.text, 2);
    EXPECT_THAT(r.err, StartsWith("vellum: "));
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_THAT(r.out, IsEmpty());
  }
  ProcessResult r = RunProcess({VellumBinary(), "verify-proof", "--key", "not-a-key"}, bundle);
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("the verifier key is invalid"));
  r = Run({"verify-proof", tmp_.Sub("missing.json")});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("missing.json: no such file"));
  r = RunProcess({VellumBinary(), "--data", tmp_.Sub("none"), "verify-proof"}, bundle);
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("--key"));
}

// AT-5: a consistency proof shows a later checkpoint extends an earlier one.
TEST_F(CliProofTest, ConsistencyBetweenCheckpoints) {
  const std::string s = std::to_string(size_), t = std::to_string(size_ + 5);
  ASSERT_THAT(Checkpoint(), HasSubstr("\n" + s + "\n"));
  for (int i = 7; i <= 11; ++i) {
    ASSERT_EQ(Create("case", "c-" + std::to_string(i), R"({"study":"1.2.3"})").exit_code, 0);
  }
  ASSERT_THAT(Checkpoint(), HasSubstr("\n" + t + "\n"));

  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"1", s}, {s, t}, {"1", t}, {t, t}}) {
    SCOPED_TRACE(from + " -> " + to);
    const std::string bundle = RunOk({"proof", "consistency", "--from", from, "--to", to});
    json::value b = ParseOrFail(bundle);
    EXPECT_EQ(Str(b.at("type")), "vellum.consistency_proof");
    EXPECT_EQ(Str(b.at("old_checkpoint")), ReadFileOrDie(CheckpointPath(std::stoull(from))));
    EXPECT_EQ(Str(b.at("new_checkpoint")), ReadFileOrDie(CheckpointPath(std::stoull(to))));
    ProcessResult r = VerifyProof(bundle);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_THAT(r.out,
                HasSubstr("at tree size " + to + " extends its checkpoint of tree size " + from));
    r = RunProcess({VellumBinary(), "verify-proof", "--key", vkey_}, bundle);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    ExpectOfflineVerdict(bundle, 0);
  }
  // --to defaults to the latest checkpoint.
  EXPECT_EQ(RunOk({"proof", "consistency", "--from", s}),
            RunOk({"proof", "consistency", "--from", s, "--to", t}));

  // Tampering: a flipped proof hash, swapped checkpoints, an edited checkpoint.
  const std::string bundle = RunOk({"proof", "consistency", "--from", s, "--to", t});
  std::string flipped = Edited(bundle, [](json::object& o) {
    std::string h(o["proof"].as_array()[0].as_string());
    h[0] = h[0] == 'A' ? 'B' : 'A';
    o["proof"].as_array()[0] = h;
  });
  std::string swapped =
      Edited(bundle, [](json::object& o) { std::swap(o["old_checkpoint"], o["new_checkpoint"]); });
  std::string edited = Edited(bundle, [&](json::object& o) {
    std::string n(o["new_checkpoint"].as_string());
    n.replace(n.find("\n" + t + "\n"), t.size() + 2, "\n" + std::to_string(size_ + 6) + "\n");
    o["new_checkpoint"] = n;
  });
  for (const std::string& bad : {flipped, swapped, edited}) {
    ProcessResult r = VerifyProof(bad);
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.out, StartsWith("INVALID: "));
    ExpectOfflineVerdict(bad, 1);
  }

  // No checkpoint of that size, or the wrong order: bad input, and the stored sizes are named.
  ProcessResult r = Run({"proof", "consistency", "--from", "3"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err,
              HasSubstr(fmt::format(
                  "there is no checkpoint of tree size 3 (stored checkpoints: 1, {}, {})", s, t)));
  r = Run({"proof", "consistency", "--from", s, "--to", std::to_string(size_ + 2)});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  r = Run({"proof", "consistency", "--from", t, "--to", s});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("smaller than --from"));
  r = Run({"proof", "consistency", "--from", "0"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
}

// AT-9: proof bundles have a published JSON Schema
// (docs/schemas/proof-bundle-1.schema.json). Every bundle the binary writes
// conforms, checked by python3-jsonschema; the malformed bundles verify-proof
// refuses as bad input, the schema refuses too.
TEST_F(CliProofTest, BundlesConformToThePublishedSchema) {
  if (!HaveJsonSchema()) GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup.sh installs it)";
  const std::string s = std::to_string(size_);
  ASSERT_THAT(Checkpoint(), HasSubstr("\n" + s + "\n"));
  std::vector<std::string> bundles;
  for (uint64_t seq : {uint64_t{0}, uint64_t{2}, size_ - 1}) {
    bundles.push_back(RunOk({"--format", "jsonl", "proof", "inclusion", "--seq", std::to_string(seq)}));
  }
  bundles.push_back(RunOk({"--format", "jsonl", "proof", "consistency", "--from", "1", "--to", s}));
  bundles.push_back(RunOk({"--format", "jsonl", "proof", "consistency", "--from", s, "--to", s}));  // no hashes
  for (std::string& b : bundles) {
    ASSERT_FALSE(b.empty());
    b.pop_back();  // the newline
  }
  for (const std::string& verdict : SchemaVerdicts("proof-bundle-1.schema.json", bundles)) EXPECT_EQ(verdict, "");

  const std::string& inclusion = bundles[0];
  std::vector<std::string> malformed = {
      Edited(inclusion, [](json::object& o) { o.erase("proof"); }),
      Edited(inclusion, [](json::object& o) { o["extra"] = 1; }),
      Edited(inclusion, [](json::object& o) { o["proof"].as_array().emplace_back("AAAA"); }),
      Edited(inclusion, [](json::object& o) { o["seq"] = -1; }),
      Edited(inclusion, [](json::object& o) { o["tree_size"] = 6.5; }),
      Edited(inclusion, [](json::object& o) { o["seq"] = "2"; }),
      Edited(inclusion, [](json::object& o) { o["version"] = 2; }),
      Edited(inclusion, [](json::object& o) { o["type"] = "vellum.other"; }),
      Edited(bundles[3], [](json::object& o) { o.erase("old_checkpoint"); }),
      Edited(bundles[3], [](json::object& o) { o["new_checkpoint"] = "not a signed note"; }),
  };
  const std::vector<std::string> verdicts = SchemaVerdicts("proof-bundle-1.schema.json", malformed);
  ASSERT_EQ(verdicts.size(), malformed.size());
  for (size_t i = 0; i < malformed.size(); ++i) {
    SCOPED_TRACE(malformed[i]);
    EXPECT_NE(verdicts[i], "") << "the schema accepts a malformed bundle";
    EXPECT_NE(VerifyProof(malformed[i]).exit_code, 0);
  }
}

// golang.org/x/mod/sumdb/note, an independent implementation, opens the
// checkpoints the binary writes with the verifier key it prints (AT-5), and
// refuses a tampered one.
TEST_F(CliProofTest, GoOracleOpensTheBinarysCheckpoints) {
  VELLUM_REQUIRE_GO_TOOL(notecheck, "notecheck");
  const std::string note = Checkpoint();
  std::vector<std::string> notes{note};
  for (const auto& e : fs::directory_iterator(data_ + "/ledger/checkpoints")) {
    notes.push_back(ReadFileOrDie(e.path().string()));
  }
  ASSERT_GE(notes.size(), 3u);
  for (const std::string& n : notes) {
    ProcessResult r = RunProcess({notecheck.path, "open", vkey_}, n);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(r.out, n.substr(0, n.find("\n\n") + 1))
        << "the note text is everything before the blank line";
    std::string tampered = n;
    tampered[tampered.find('\n') + 1] ^= 0x01;  // the tree size's first digit
    r = RunProcess({notecheck.path, "open", vkey_}, tampered);
    EXPECT_NE(r.exit_code, 0) << Describe(r);
  }
  // And the checkpoint inside a proof bundle is the same note.
  json::value b = ParseOrFail(RunOk({"proof", "inclusion", "--seq", "5"}));
  ProcessResult r = RunProcess({notecheck.path, "open", vkey_}, Str(b.at("checkpoint")));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
}

}  // namespace
}  // namespace vellum::cli_test
