// Signed checkpoints (C2SP tlog-checkpoint + Vellum's extension lines): the public
// vectors, strict parsing, tamper detection and witness files. AT-5.
#include "ledger/checkpoint.h"

#include <boost/json.hpp>
#include <ctime>
#include <fstream>
#include <iterator>
#include <random>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/signed_note.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::ledger {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kOrigin[] = "vellum.example/ledger";

std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> StrList(const boost::json::value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.push_back(Str(e));
  return out;
}

std::vector<std::string> Names(const std::vector<core::NoteSignature>& sigs) {
  std::vector<std::string> out;
  for (const auto& s : sigs) out.push_back(s.name);
  return out;
}

std::optional<boost::json::value> LoadCheckpointVectors() {
  auto dir = vellum::testing::VectorsDir();
  if (!dir) return std::nullopt;
  return boost::json::parse(
      vellum::testing::ReadFileOrDie(*dir + "/note/tlog_checkpoint_vectors.json"));
}

core::NoteSigner NewSigner(std::string_view name) {
  auto key = core::Ed25519PrivateKey::Generate();
  EXPECT_TRUE(key.ok());
  return core::NoteSigner{std::string(name), core::NoteKeyId(name, key->public_key()),
                          std::move(*key)};
}

core::NoteVerifier VerifierOf(const core::NoteSigner& s) {
  return core::MakeNoteVerifier(s.name, s.key.public_key());
}

Checkpoint Sample() {
  Checkpoint cp;
  cp.origin = kOrigin;
  cp.size = 20852163;
  cp.root = core::Sha256("root");
  cp.time_micros = 1'795'611'662'123'456;  // 2026-11-25T13:01:02.123456Z
  cp.prev = core::Sha256("previous note");
  return cp;
}

void ExpectFields(const Checkpoint& cp, const boost::json::value& expect) {
  EXPECT_EQ(cp.origin, Str(expect.at("origin")));
  EXPECT_EQ(cp.size, expect.at("tree_size").to_number<uint64_t>());
  EXPECT_EQ(core::Base64Encode(core::AsBytes(cp.root)), Str(expect.at("root_hash_b64")));
  if (expect.as_object().contains("root_hash_hex")) {
    EXPECT_EQ(core::HashToHex(cp.root), Str(expect.at("root_hash_hex")));
  }
  if (expect.as_object().contains("extension_lines")) {
    EXPECT_EQ(cp.extensions, StrList(expect.at("extension_lines")));
  }
  EXPECT_FALSE(cp.time_micros.has_value());
  EXPECT_FALSE(cp.prev.has_value());
}

// AT-5: the C2SP examples parse; the sum.golang.org checkpoint opens with its key,
// witness signatures from keys we do not hold are ignored, a wrong origin is refused.
TEST(CheckpointTest, VectorCheckpoints) {
  auto doc = LoadCheckpointVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  const auto& cases = doc->at("checkpoints").as_array();
  ASSERT_EQ(cases.size(), 6u);
  for (const auto& c : cases) {
    SCOPED_TRACE(Str(c.at("id")));
    const std::string note = Str(c.at("signed_note"));
    const auto& expect = c.at("expect");
    if (!c.at("verifiable").as_bool()) {
      ASSERT_OK_AND_ASSIGN(core::Note parsed, core::ParseNote(note));
      EXPECT_EQ(parsed.text, Str(c.at("text")));
      ASSERT_OK_AND_ASSIGN(Checkpoint cp, ParseCheckpointBody(parsed.text));
      ExpectFields(cp, expect);
      const auto& sigs = expect.at("signatures").as_array();
      ASSERT_EQ(parsed.signatures.size(), sigs.size());
      for (size_t i = 0; i < sigs.size(); ++i) {
        const auto& want = sigs[i];
        const core::NoteSignature& got = parsed.signatures[i];
        EXPECT_EQ(got.name, Str(want.at("key_name")));
        EXPECT_EQ(got.key_id, std::stoul(Str(want.at("key_id_hex")), nullptr, 16));
        EXPECT_EQ(4 + got.signature.size(), want.at("decoded_length").to_number<size_t>());
        if (want.as_object().contains("cosignature_timestamp")) {
          uint64_t t = 0;
          for (int k = 0; k < 8; ++k) t = t << 8 | static_cast<unsigned char>(got.signature[k]);
          EXPECT_EQ(t, want.at("cosignature_timestamp").to_number<uint64_t>());
        }
      }
      continue;
    }
    std::vector<core::NoteVerifier> verifiers;
    for (const auto& vkey : StrList(c.at("vkeys"))) {
      ASSERT_OK_AND_ASSIGN(core::NoteVerifier v, core::ParseVerifierKey(vkey));
      verifiers.push_back(v);
    }
    const std::string origin = Str(c.at("expected_origin"));
    auto opened = OpenCheckpoint(note, verifiers[0], origin);  // the log's own key
    if (!expect.at("ok").as_bool()) {
      EXPECT_THAT(opened, StatusIs(StatusCode::kInvalidArgument, HasSubstr(origin)));
      continue;
    }
    ASSERT_OK(opened);
    ExpectFields(*opened, expect);
    ASSERT_OK_AND_ASSIGN(core::Note all, core::OpenNote(note, verifiers));
    EXPECT_EQ(all.text, Str(c.at("text")));
    EXPECT_EQ(Names(all.signatures), StrList(expect.at("verified")));
    EXPECT_EQ(Names(all.unverified), StrList(expect.at("unverified")));
  }
}

// Bodies: the x/mod and transparency-dev cases. Where formats is lenient (roots that are
// not 32 bytes, empty trailing lines) we follow C2SP and RFC 9162 strictly and reject.
TEST(CheckpointTest, VectorBodies) {
  auto doc = LoadCheckpointVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  int strict_rejections = 0;
  for (const auto& c : doc->at("checkpoint_bodies").as_array()) {
    SCOPED_TRACE(Str(c.at("id")));
    const std::string body = Str(c.at("body"));
    const auto& expect = c.at("expect");
    auto parsed = ParseCheckpointBody(body);
    if (c.as_object().contains("strict_c2sp_note")) {
      EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument, _));
      if (expect.as_object().contains("root_hash_length")) {
        EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument,
                                     AnyOf(HasSubstr("root hash is"), HasSubstr("empty"))));
      }
      ++strict_rejections;
    } else if (c.as_object().contains("expected_origin")) {
      // Parses; the origin is what a caller that expects another log must refuse.
      ASSERT_OK(parsed);
      EXPECT_NE(parsed->origin, Str(c.at("expected_origin")));
    } else if (expect.at("ok").as_bool()) {
      ASSERT_OK(parsed);
      ExpectFields(*parsed, expect);
      EXPECT_EQ(FormatCheckpointBody(*parsed), body);
    } else {
      EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument, HasSubstr("checkpoint body")));
    }
  }
  EXPECT_EQ(strict_rejections, 5);
}

// The documented layout, line by line (docs/formats/checkpoint.md).
TEST(CheckpointTest, FormatMatchesTheDocumentedLayout) {
  Checkpoint cp = Sample();
  const std::string root_b64 = core::Base64Encode(core::AsBytes(cp.root));
  const std::string prev_hex = core::HashToHex(*cp.prev);
  EXPECT_EQ(FormatCheckpointBody(cp),
            std::string(kOrigin) + "\n20852163\n" + root_b64 + "\nvellum-time " +
                core::FormatTimestamp(*cp.time_micros) + "\nvellum-prev sha256:" + prev_hex + "\n");
  cp.prev.reset();
  cp.size = 0;
  EXPECT_EQ(FormatCheckpointBody(cp), std::string(kOrigin) + "\n0\n" + root_b64 + "\nvellum-time " +
                                          core::FormatTimestamp(*cp.time_micros) + "\n");
}

// AT-5: the checkpoint docs/cli.md shows opens with the verifier key it shows,
// so a reader can try both by hand (an example pieced together from two
// ledgers would not).
TEST(CheckpointTest, CliReferenceExampleOpensWithItsKey) {
  std::ifstream in(testing::SourceDir() + "/docs/cli.md");
  ASSERT_TRUE(in) << "docs/cli.md not found";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key_label = "verifier key  ";
  const size_t k = doc.find(key_label);
  ASSERT_NE(k, std::string::npos);
  const std::string vkey = doc.substr(k + key_label.size(), doc.find('\n', k) - k - key_label.size());
  ASSERT_OK_AND_ASSIGN(core::NoteVerifier verifier, core::ParseVerifierKey(vkey));
  const size_t begin = doc.find("```\n" + verifier.name + "\n");
  ASSERT_NE(begin, std::string::npos) << "no checkpoint example of " << verifier.name;
  const size_t end = doc.find("```", begin + 4);
  ASSERT_NE(end, std::string::npos);
  const std::string note = doc.substr(begin + 4, end - begin - 4);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(note, verifier, verifier.name));
  EXPECT_TRUE(cp.prev.has_value());
}

// AT-5: sign, open, chain by vellum-prev.
TEST(CheckpointTest, SignOpenAndChain) {
  core::NoteSigner signer = NewSigner(kOrigin);
  Checkpoint first = Sample();
  first.prev.reset();
  ASSERT_OK_AND_ASSIGN(std::string note1, SignCheckpoint(first, signer));
  ASSERT_OK_AND_ASSIGN(Checkpoint opened1, OpenCheckpoint(note1, VerifierOf(signer), kOrigin));
  EXPECT_EQ(opened1, first);

  Checkpoint second = first;
  second.size += 10;
  second.root = core::Sha256("next root");
  *second.time_micros += 5'000'000;
  second.prev = CheckpointNoteHash(note1);
  EXPECT_EQ(*second.prev, core::Sha256(note1));
  ASSERT_OK_AND_ASSIGN(std::string note2, SignCheckpoint(second, signer));
  ASSERT_OK_AND_ASSIGN(Checkpoint opened2, OpenCheckpoint(note2, VerifierOf(signer), kOrigin));
  EXPECT_EQ(opened2, second);
  EXPECT_EQ(opened2.prev, CheckpointNoteHash(note1));
  // Deterministic: signing again gives the same note, hence the same hash.
  ASSERT_OK_AND_ASSIGN(std::string again, SignCheckpoint(first, signer));
  EXPECT_EQ(again, note1);
}

// AT-5: any single-byte change to a signed checkpoint (every bit of every byte, and
// deleting any byte) is detected.
TEST(CheckpointTest, EverySingleByteCorruptionIsRejected) {
  core::NoteSigner signer = NewSigner(kOrigin);
  const core::NoteVerifier verifier = VerifierOf(signer);
  ASSERT_OK_AND_ASSIGN(std::string note, SignCheckpoint(Sample(), signer));
  int tried = 0;
  for (size_t i = 0; i < note.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = note;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(OpenCheckpoint(bad, verifier, kOrigin).ok()) << "byte " << i << " bit " << bit;
      ++tried;
    }
    std::string cut = note;
    cut.erase(i, 1);
    EXPECT_FALSE(OpenCheckpoint(cut, verifier, kOrigin).ok()) << "deleted byte " << i;
  }
  EXPECT_EQ(tried, static_cast<int>(note.size()) * 8);
}

TEST(CheckpointTest, WrongOriginOrKeyIsRejected) {
  core::NoteSigner signer = NewSigner(kOrigin);
  ASSERT_OK_AND_ASSIGN(std::string note, SignCheckpoint(Sample(), signer));
  EXPECT_THAT(OpenCheckpoint(note, VerifierOf(signer), "vellum.example/other"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(kOrigin), HasSubstr("vellum.example/other"))));
  // Another key of the same name (so another key id): not a signature we trust.
  core::NoteSigner impostor = NewSigner(kOrigin);
  EXPECT_THAT(OpenCheckpoint(note, VerifierOf(impostor), kOrigin),
              StatusIs(StatusCode::kUnauthenticated, StartsWith("checkpoint")));
  // The impostor signing the same checkpoint does not pass for the ledger either.
  ASSERT_OK_AND_ASSIGN(std::string forged, SignCheckpoint(Sample(), impostor));
  EXPECT_THAT(OpenCheckpoint(forged, VerifierOf(signer), kOrigin),
              StatusIs(StatusCode::kUnauthenticated, _));
  // A verifier claiming the ledger's name and id with another public key: bad signature.
  core::NoteVerifier wrong_key = VerifierOf(signer);
  wrong_key.public_key = impostor.key.public_key();
  EXPECT_THAT(OpenCheckpoint(note, wrong_key, kOrigin),
              StatusIs(StatusCode::kDataLoss, HasSubstr("invalid signature")));
}

// AT-5: witnesses append cosignature lines; the ledger's own signature still opens it.
TEST(CheckpointTest, WitnessCosignaturesAreIgnored) {
  core::NoteSigner signer = NewSigner(kOrigin);
  core::NoteSigner witness = NewSigner("witness.example/w1");
  ASSERT_OK_AND_ASSIGN(std::string note, SignCheckpoint(Sample(), signer));
  ASSERT_OK_AND_ASSIGN(std::string witnessed,
                       core::SignNote(FormatCheckpointBody(Sample()), witness));
  const std::string cosig_line = witnessed.substr(witnessed.rfind("\n\n") + 2);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp,
                       OpenCheckpoint(note + cosig_line, VerifierOf(signer), kOrigin));
  EXPECT_EQ(cp, Sample());
  ASSERT_OK_AND_ASSIGN(core::Note both, core::OpenNote(note + cosig_line,
                                                       {VerifierOf(signer), VerifierOf(witness)}));
  EXPECT_EQ(both.signatures.size(), 2u);
}

TEST(CheckpointTest, SignRejectsWhatWouldNotParseBack) {
  core::NoteSigner signer = NewSigner(kOrigin);
  Checkpoint other_origin = Sample();
  other_origin.origin = "vellum.example/other";
  EXPECT_THAT(SignCheckpoint(other_origin, signer),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("differs from the key name")));
  auto with_extension = [](std::string line) {
    Checkpoint cp = Sample();
    cp.extensions.push_back(std::move(line));
    return cp;
  };
  for (const std::string& line : {std::string(""), std::string("two\nlines"),
                                  std::string("vellum-time 2026-11-25T13:01:02.123456Z"),
                                  std::string("vellum-anything x"), std::string("tab\there")}) {
    EXPECT_THAT(SignCheckpoint(with_extension(line), signer),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("cannot sign checkpoint")))
        << line;
  }
  ASSERT_OK_AND_ASSIGN(std::string note,
                       SignCheckpoint(with_extension("other-log-line 1"), signer));
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, OpenCheckpoint(note, VerifierOf(signer), kOrigin));
  EXPECT_EQ(cp.extensions, std::vector<std::string>{"other-log-line 1"});
}

TEST(CheckpointTest, StrictBodyParsing) {
  const Checkpoint cp = Sample();
  const std::string good = FormatCheckpointBody(cp);
  ASSERT_OK(ParseCheckpointBody(good));
  const std::string root = core::Base64Encode(core::AsBytes(cp.root));
  const std::string time_line = "vellum-time " + core::FormatTimestamp(*cp.time_micros);
  const std::string prev_line = "vellum-prev " + core::HashToTagged(*cp.prev);
  auto body = [&](std::string size, std::string root_line, std::vector<std::string> ext) {
    std::string b = std::string(kOrigin) + "\n" + size + "\n" + root_line + "\n";
    for (const auto& e : ext) b += e + "\n";
    return b;
  };
  EXPECT_EQ(body("20852163", root, {time_line, prev_line}), good);
  ASSERT_OK_AND_ASSIGN(Checkpoint max, ParseCheckpointBody(body("18446744073709551615", root, {})));
  EXPECT_EQ(max.size, UINT64_MAX);
  ASSERT_OK_AND_ASSIGN(Checkpoint zero, ParseCheckpointBody(body("0", root, {})));
  EXPECT_EQ(zero.size, 0u);

  const std::string root31 = core::Base64Encode(core::AsBytes(cp.root).substr(0, 31));
  std::string noncanonical_root = root;
  noncanonical_root[42] = static_cast<char>(noncanonical_root[42] + 1);  // padding bits
  std::string upper_prev = prev_line;
  for (size_t i = 19; i < upper_prev.size(); ++i)
    upper_prev[i] = static_cast<char>(toupper(upper_prev[i]));
  const std::vector<std::string> bad = {
      body("020852163", root, {}),
      body("+20852163", root, {}),
      body(" 20852163", root, {}),
      body("20852163 ", root, {}),
      body("18446744073709551616", root, {}),
      body("", root, {}),
      body("0x10", root, {}),
      body("20852163", root31, {}),
      body("20852163", noncanonical_root, {}),
      body("20852163", root + " ", {}),
      body("20852163", root, {"vellum-time 2026-11-25T13:01:02Z"}),
      body("20852163", root, {"vellum-time 2026-11-25T13:01:02.123456+00:00"}),
      body("20852163", root, {"vellum-time 2026-11-25t13:01:02.123456Z"}),
      body("20852163", root, {"vellum-time  2026-11-25T13:01:02.123456Z"}),
      body("20852163", root, {"vellum-time"}),
      body("20852163", root, {time_line, time_line}),
      body("20852163", root, {time_line, prev_line, prev_line}),
      body("20852163", root, {prev_line, time_line}),
      body("20852163", root, {"other", time_line}),
      body("20852163", root, {time_line, upper_prev}),
      body("20852163", root, {time_line, "vellum-prev " + core::HashToHex(*cp.prev)}),
      body("20852163", root, {time_line, "vellum-next x"}),
      body("20852163", root, {time_line, ""}),
      good.substr(0, good.size() - 1),
      good + "\n",
      "\n" + good,
      std::string(kOrigin) + "\r\n20852163\n" + root + "\n",
      "origin \xff\n1\n" + root + "\n",
  };
  for (const std::string& b : bad) {
    EXPECT_THAT(ParseCheckpointBody(b), StatusIs(StatusCode::kInvalidArgument, _)) << b;
  }
}

// vellum-time relies on core::FormatTimestamp/ParseTimestamp; checked here against
// the C library's calendar (timegm / gmtime_r) as an independent oracle.
TEST(CheckpointTest, TimestampsAgreeWithTheCLibrary) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> seconds(-2'208'988'800, 253'402'300'799);  // 1900..9999
  for (int i = 0; i < 2000; ++i) {
    const int64_t s = i == 0 ? 0 : i == 1 ? -1 : seconds(rng);
    const int64_t micros = static_cast<int64_t>(rng() % 1'000'000);
    const int64_t t = s * 1'000'000 + micros;
    std::tm tm{};
    time_t tt = static_cast<time_t>(s);
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char buf[64];
    ASSERT_GT(std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm), 0u);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
    const std::string text = std::string(buf) + frac;
    EXPECT_EQ(core::FormatTimestamp(t), text);
    ASSERT_OK_AND_ASSIGN(int64_t back, core::ParseTimestamp(text));
    EXPECT_EQ(back, t) << text;
    EXPECT_EQ(timegm(&tm), tt);
  }
  ASSERT_OK_AND_ASSIGN(int64_t leap, core::ParseTimestamp("2024-02-29"));
  EXPECT_EQ(core::FormatTimestamp(leap), "2024-02-29T00:00:00.000000Z");
  ASSERT_OK_AND_ASSIGN(int64_t tenth, core::ParseTimestamp("2000-02-29T23:59:59.1Z"));
  EXPECT_EQ(core::FormatTimestamp(tenth), "2000-02-29T23:59:59.100000Z");
  for (const char* bad :
       {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
        "2026-11-25T24:00:00Z", "2026-11-25T23:60:00Z", "2026-11-25T23:59:60Z",
        "2026-11-25T13:01:02.1234567Z", "2026-11-25T13:01:02.Z", "2026-11-25T13:01:02",
        "2026-11-25T13:01Z", "2026-11-25 13:01:02Z", "2026-11-25T13:01:02Zx", "26-11-25", ""}) {
    EXPECT_FALSE(core::ParseTimestamp(bad).ok()) << bad;
  }
}

// What the witness-file repair relies on: the whole notes at the start of a file, and
// whether a file's last bytes end with a signature line.
TEST(CheckpointTest, WholeNotesLengthAndTheLastLine) {
  const std::string a = "o\n1\nAAAA\n\n\xe2\x80\x94 k AAAAAAAA\n";
  const std::string b = "o\n2\nBBBB\n\n\xe2\x80\x94 k BBBBBBBB\n";
  EXPECT_EQ(WholeNotesLength(""), 0u);
  EXPECT_EQ(WholeNotesLength(a + b), (a + b).size());
  for (size_t cut = 0; cut < b.size(); ++cut) {
    EXPECT_EQ(WholeNotesLength(a + b.substr(0, cut)), a.size()) << cut;
    EXPECT_FALSE(EndsWithSignatureLine(a + b.substr(0, cut)) && cut > 0) << cut;
  }
  EXPECT_TRUE(EndsWithSignatureLine(a + b));
  EXPECT_TRUE(EndsWithSignatureLine("x\n\xe2\x80\x94 k AAAAAAAA\n"));
  EXPECT_FALSE(EndsWithSignatureLine("\xe2\x80\x94 k AAAAAAAA\n"));  // its start may lie before these bytes
  EXPECT_FALSE(EndsWithSignatureLine("o\n1\n\n"));
}

TEST(CheckpointTest, SplitNotesOfAWitnessFile) {
  core::NoteSigner signer = NewSigner(kOrigin);
  core::NoteSigner witness = NewSigner("witness.example/w1");
  std::vector<std::string> notes;
  std::optional<core::Hash> prev;
  for (int i = 0; i < 3; ++i) {
    Checkpoint cp = Sample();
    cp.size = 10 * static_cast<uint64_t>(i) + 1;
    cp.prev = prev;
    ASSERT_OK_AND_ASSIGN(std::string note, SignCheckpoint(cp, signer));
    prev = CheckpointNoteHash(note);
    if (i == 1) {  // one copy carries a witness cosignature too
      ASSERT_OK_AND_ASSIGN(std::string w, core::SignNote(FormatCheckpointBody(cp), witness));
      note += w.substr(w.rfind("\n\n") + 2);
    }
    notes.push_back(note);
  }
  const std::string file = notes[0] + notes[1] + notes[2];
  ASSERT_OK_AND_ASSIGN(auto split, SplitNotes(file));
  EXPECT_EQ(split, notes);
  for (const auto& n : split) EXPECT_OK(OpenCheckpoint(n, VerifierOf(signer), kOrigin));
  ASSERT_OK_AND_ASSIGN(auto none, SplitNotes(""));
  EXPECT_TRUE(none.empty());

  const std::vector<std::string> bad = {
      file.substr(0, file.size() - 1),               // truncated last line
      file + FormatCheckpointBody(Sample()),         // a body without signatures
      file + FormatCheckpointBody(Sample()) + "\n",  // … or with only the blank line
      notes[0] + "\n" + notes[1],                    // stray empty line between notes
      "\n" + file,                                   // leading empty line
      "text\n\nnot a signature\n",                   // empty line inside the text
  };
  for (const std::string& b : bad) {
    EXPECT_THAT(SplitNotes(b), StatusIs(StatusCode::kInvalidArgument, HasSubstr("byte"))) << b;
  }
}

}  // namespace
}  // namespace vellum::ledger
