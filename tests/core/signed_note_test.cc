// C2SP signed notes: the public vectors (C2SP, golang.org/x/mod, transparency-dev),
// strict parsing, and golang.org/x/mod/sumdb/note as an independent oracle.
// AT-5: checkpoints are signed notes; ES-2: server countersignatures use the same keys.
#include "core/signed_note.h"

#include <boost/json.hpp>
#include <filesystem>
#include <map>

#include "core/encoding.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace vellum::core {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kEmDash = "\xE2\x80\x94";

std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

std::optional<boost::json::value> LoadNoteVectors() {
  auto dir = vellum::testing::VectorsDir();
  if (!dir) return std::nullopt;
  return boost::json::parse(
      vellum::testing::ReadFileOrDie(*dir + "/note/signed_note_vectors.json"));
}

std::vector<std::string> Names(const std::vector<NoteSignature>& sigs) {
  std::vector<std::string> out;
  for (const auto& s : sigs) out.push_back(s.name);
  return out;
}

std::vector<std::string> StrList(const boost::json::value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.push_back(Str(e));
  return out;
}

// The vector file's keys by name.
std::map<std::string, NoteVerifier> VerifiersByName(const boost::json::value& doc) {
  std::map<std::string, NoteVerifier> out;
  for (const auto& k : doc.at("keys").as_array()) {
    auto v = ParseVerifierKey(Str(k.at("vkey")));
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (v.ok()) out.emplace(v->name, *v);
  }
  return out;
}

// A field of the vector file's key `name` ("" when absent).
std::string KeyField(const boost::json::value& doc, std::string_view name, std::string_view field) {
  for (const auto& k : doc.at("keys").as_array()) {
    if (Str(k.at("key_name")) == name && k.as_object().contains(field)) return Str(k.at(field));
  }
  return "";
}

// The note case with this id; null when absent.
const boost::json::value* NoteCase(const boost::json::value& doc, std::string_view id) {
  for (const auto& c : doc.at("notes").as_array()) {
    if (Str(c.at("id")) == id) return &c;
  }
  return nullptr;
}

NoteSigner NewSigner(std::string_view name) {
  auto key = Ed25519PrivateKey::Generate();
  EXPECT_TRUE(key.ok());
  return NoteSigner{std::string(name), NoteKeyId(name, key->public_key()), std::move(*key)};
}

TEST(SignedNoteTest, VectorKeysParseAndFormat) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  for (const auto& k : doc->at("keys").as_array()) {
    const std::string vkey = Str(k.at("vkey"));
    SCOPED_TRACE(vkey);
    ASSERT_OK_AND_ASSIGN(NoteVerifier v, ParseVerifierKey(vkey));
    EXPECT_EQ(v.name, Str(k.at("key_name")));
    EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(v.public_key.data()), 32)),
              Str(k.at("derived_public_key_hex")));
    EXPECT_EQ(v.key_id, NoteKeyId(v.name, v.public_key));
    EXPECT_EQ(v.key_id, std::stoul(Str(k.at("key_id_hex")), nullptr, 16));
    EXPECT_EQ(FormatVerifierKey(v), vkey);
    EXPECT_EQ(FormatVerifierKey(MakeNoteVerifier(v.name, v.public_key)), vkey);
    if (k.as_object().contains("derived_seed_hex")) {
      ASSERT_OK_AND_ASSIGN(auto seed, HexDecode(Str(k.at("derived_seed_hex"))));
      ASSERT_OK_AND_ASSIGN(auto key, Ed25519PrivateKey::FromSeed(seed));
      EXPECT_EQ(key.public_key(), v.public_key);
    }
    if (k.as_object().contains("skey")) {
      const std::string skey = Str(k.at("skey"));
      ASSERT_OK_AND_ASSIGN(NoteSigner s, ParseSignerKey(skey));
      EXPECT_EQ(s.name, v.name);
      EXPECT_EQ(s.key_id, v.key_id);
      EXPECT_EQ(s.key.public_key(), v.public_key);
      EXPECT_EQ(FormatSignerKey(s.name, s.key), skey);
    }
  }
}

// AT-5: notes open exactly as the C2SP and x/mod vectors say: verified and unverified
// signatures, duplicates collapsed, a bad known signature rejects the whole note.
TEST(SignedNoteTest, VectorNotes) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  auto known = VerifiersByName(*doc);
  const auto& cases = doc->at("notes").as_array();
  ASSERT_EQ(cases.size(), 8u);
  for (const auto& c : cases) {
    SCOPED_TRACE(Str(c.at("id")));
    std::vector<NoteVerifier> verifiers;
    for (const auto& name : StrList(c.at("verifiers"))) verifiers.push_back(known.at(name));
    const auto& expect = c.at("expect");
    auto opened = OpenNote(Str(c.at("note")), verifiers);
    if (expect.at("ok").as_bool()) {
      ASSERT_OK(opened);
      EXPECT_EQ(opened->text, Str(expect.at("text")));
      EXPECT_EQ(Names(opened->signatures), StrList(expect.at("verified")));
      EXPECT_EQ(Names(opened->unverified), StrList(expect.at("unverified")));
      continue;
    }
    const std::string error = Str(expect.at("error"));
    if (error.find("invalid signature") != std::string::npos) {
      EXPECT_THAT(opened, StatusIs(StatusCode::kDataLoss, HasSubstr("PeterNeumann+c74f20a3")));
    } else {
      EXPECT_THAT(opened, StatusIs(StatusCode::kUnauthenticated, HasSubstr("no signature")));
      // The note parses; its signatures are exactly the untrusted ones.
      ASSERT_OK_AND_ASSIGN(Note parsed, ParseNote(Str(c.at("note"))));
      EXPECT_EQ(Names(parsed.signatures), StrList(expect.at("unverified")));
      if (expect.as_object().contains("text_if_parsed")) {
        EXPECT_EQ(parsed.text, Str(expect.at("text_if_parsed")));
      }
    }
  }
}

TEST(SignedNoteTest, VectorMalformedNotes) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  auto known = VerifiersByName(*doc);
  for (const auto& c : doc->at("malformed_notes").as_array()) {
    SCOPED_TRACE(Str(c.at("id")));
    std::vector<NoteVerifier> verifiers;
    for (const auto& name : StrList(c.at("verifiers"))) verifiers.push_back(known.at(name));
    std::string note;
    if (c.as_object().contains("construct")) {
      const auto& k = c.at("construct");
      note = Str(k.at("text")) + Str(k.at("separator"));
      for (int64_t i = 0; i < k.at("count").as_int64(); ++i) {
        note += Str(k.at("repeat_signature_line"));
      }
    } else {
      ASSERT_OK_AND_ASSIGN(note, HexDecode(Str(c.at("note_hex"))));
    }
    EXPECT_THAT(ParseNote(note), StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
    EXPECT_THAT(OpenNote(note, verifiers),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
  }
}

TEST(SignedNoteTest, AtMostOneHundredSignatures) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  const boost::json::value* peter_case = NoteCase(*doc, "xmod-sign-peter");
  ASSERT_NE(peter_case, nullptr);
  const std::string peter_note = Str(peter_case->at("note"));
  const size_t split = peter_note.rfind("\n\n");
  const std::string text = peter_note.substr(0, split + 1);
  const std::string line = peter_note.substr(split + 2);
  std::string note = text + "\n";
  for (size_t i = 0; i < kMaxNoteSignatures; ++i) note += line;
  ASSERT_OK_AND_ASSIGN(Note opened, OpenNote(note, {VerifiersByName(*doc).at("PeterNeumann")}));
  EXPECT_THAT(Names(opened.signatures), ElementsAre("PeterNeumann"));
  EXPECT_THAT(ParseNote(note + line), StatusIs(StatusCode::kInvalidArgument, HasSubstr("100")));
}

TEST(SignedNoteTest, VectorInvalidVerifierKeys) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  const std::string peter = KeyField(*doc, "PeterNeumann", "vkey");
  ASSERT_FALSE(peter.empty());
  int rejected = 0;
  for (const auto& c : doc->at("invalid_vkeys").as_array()) {
    if (!c.as_object().contains("vkey")) continue;
    EXPECT_THAT(ParseVerifierKey(Str(c.at("vkey"))), StatusIs(StatusCode::kInvalidArgument, _))
        << Str(c.at("vkey"));
    ++rejected;
  }
  EXPECT_EQ(rejected, 2);
  // As x/mod's test: every proper substring and every one-byte increment is rejected.
  for (size_t i = 0; i <= peter.size(); ++i) {
    for (size_t j = i; j <= peter.size(); ++j) {
      if (i == 0 && j == peter.size()) continue;
      EXPECT_FALSE(ParseVerifierKey(peter.substr(i, j - i)).ok()) << peter.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < peter.size(); ++i) {
    std::string bumped = peter;
    ++bumped[i];
    EXPECT_FALSE(ParseVerifierKey(bumped).ok()) << bumped;
  }
}

// ES-2: Ed25519 is deterministic, so signing the x/mod text with PeterNeumann's key
// reproduces x/mod's note byte for byte.
TEST(SignedNoteTest, SigningReproducesXmodNote) {
  auto doc = LoadNoteVectors();
  if (!doc) GTEST_SKIP() << "test vectors not found (set VELLUM_VECTORS)";
  const boost::json::value* c = NoteCase(*doc, "xmod-sign-peter");
  ASSERT_NE(c, nullptr);
  ASSERT_OK_AND_ASSIGN(NoteSigner signer, ParseSignerKey(KeyField(*doc, "PeterNeumann", "skey")));
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote(Str(c->at("expect").at("text")), signer));
  EXPECT_EQ(note, Str(c->at("note")));
}

// AT-5: round trip with a fresh key; text may hold empty lines, Unicode and lines that
// look like signatures.
TEST(SignedNoteTest, SignAndOpenRoundTrip) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  NoteVerifier verifier = MakeNoteVerifier(signer.name, signer.key.public_key());
  ASSERT_OK_AND_ASSIGN(NoteVerifier parsed_vkey, ParseVerifierKey(FormatVerifierKey(verifier)));
  EXPECT_EQ(parsed_vkey.public_key, verifier.public_key);
  for (const std::string& text : std::vector<std::string>{
           "a\n", "\n", "line one\n\nafter an empty line\n\n", "Dr. Rivera — relecture à 2 mm ✓\n",
           "x\n\n" + std::string(kEmDash) + " fake c2lnbmF0dXJl\n"}) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(std::string note, SignNote(text, signer));
    ASSERT_OK_AND_ASSIGN(Note opened, OpenNote(note, {verifier}));
    EXPECT_EQ(opened.text, text);
    ASSERT_EQ(opened.signatures.size(), 1u);
    EXPECT_EQ(opened.signatures[0].name, signer.name);
    EXPECT_EQ(opened.signatures[0].key_id, signer.key_id);
    EXPECT_EQ(opened.signatures[0].signature.size(), 64u);
    EXPECT_THAT(opened.unverified, IsEmpty());
  }
}

TEST(SignedNoteTest, SignRejectsInvalidText) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  for (const std::string& text : std::vector<std::string>{
           std::string(""), std::string("no newline"), std::string("cr\r\n"),
           std::string("tab\t\n"), std::string("nul\0\n", 5), std::string("\xff\n"),
           std::string("overlong \xC0\xAF\n"), std::string("surrogate \xED\xA0\x80\n"),
           std::string("truncated \xE2\x80\n"), std::string("above max \xF4\x90\x80\x80\n")}) {
    EXPECT_THAT(SignNote(text, signer), StatusIs(StatusCode::kInvalidArgument, _)) << text;
    EXPECT_FALSE(CheckNoteText(text).ok()) << text;
  }
  EXPECT_OK(CheckNoteText("ok \xF4\x8F\xBF\xBF\n"));  // U+10FFFF
}

TEST(SignedNoteTest, SignRejectsInconsistentSigner) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  signer.key_id ^= 1;
  EXPECT_THAT(SignNote("t\n", signer),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("key id does not match")));
  NoteSigner bad_name = NewSigner("bad name");
  EXPECT_THAT(SignNote("t\n", bad_name),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid key name")));
}

TEST(SignedNoteTest, KeyNames) {
  for (std::string_view good : {"example.com/log", "ünïcödé", "\xE2\x80\x94", "a-b_c:d@e"}) {
    EXPECT_TRUE(IsValidNoteKeyName(good)) << good;
  }
  for (std::string_view bad : {"", "a+b", "a b", "a\tb", "a\nb", "a\x01",
                               "a\xC2\xA0"
                               "b" /* NBSP */,
                               "a\xE2\x80\x83"
                               "b" /* EM SPACE */,
                               "a\xE3\x80\x80"
                               "b" /* IDEOGRAPHIC SPACE */,
                               "a\xC2\x85"
                               "b" /* NEL */,
                               "\xff"}) {
    EXPECT_FALSE(IsValidNoteKeyName(bad)) << bad;
  }
}

// The spec: known keys MUST be verified, so a second, different signature line from a
// trusted key must verify too (x/mod skips it), and an Ed25519 signature must be 64 bytes.
TEST(SignedNoteTest, EveryKnownSignatureIsVerified) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  NoteVerifier verifier = MakeNoteVerifier(signer.name, signer.key.public_key());
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("body\n", signer));
  ASSERT_OK_AND_ASSIGN(Note parsed, ParseNote(note));
  const NoteSignature& good = parsed.signatures[0];
  auto line = [&](const NoteSignature& s) {
    std::string raw = {static_cast<char>(s.key_id >> 24), static_cast<char>(s.key_id >> 16),
                       static_cast<char>(s.key_id >> 8), static_cast<char>(s.key_id)};
    return std::string(kEmDash) + " " + s.name + " " + Base64Encode(raw + s.signature) + "\n";
  };
  NoteSignature bad = good;
  bad.signature[5] ^= 0x20;
  EXPECT_THAT(OpenNote(note + line(bad), {verifier}),
              StatusIs(StatusCode::kDataLoss, HasSubstr("invalid signature for key")));
  NoteSignature short_sig = good;
  short_sig.signature.pop_back();
  EXPECT_THAT(OpenNote(note + line(short_sig), {verifier}),
              StatusIs(StatusCode::kDataLoss, HasSubstr("invalid signature for key")));
  // Same name, other id / same id, other name: another key, ignored (not a failure).
  NoteSignature other_id = bad;
  other_id.key_id ^= 1;
  NoteSignature other_name = bad;
  other_name.name = "vellum.example/other";
  ASSERT_OK_AND_ASSIGN(Note opened, OpenNote(note + line(other_id) + line(other_name), {verifier}));
  EXPECT_THAT(Names(opened.signatures), ElementsAre("vellum.example/ledger"));
  EXPECT_THAT(Names(opened.unverified),
              ElementsAre("vellum.example/ledger", "vellum.example/other"));
  // An exact duplicate of the good line is harmless.
  ASSERT_OK_AND_ASSIGN(opened, OpenNote(note + line(good), {verifier}));
  EXPECT_EQ(opened.signatures.size(), 1u);
}

TEST(SignedNoteTest, StrictSignatureLines) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  NoteVerifier verifier = MakeNoteVerifier(signer.name, signer.key.public_key());
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("body\n", signer));
  EXPECT_OK(OpenNote(note, {verifier}));
  const size_t sig_at = note.find(kEmDash);
  const std::string b64 = note.substr(note.rfind(' ') + 1, 92);
  ASSERT_EQ(b64.back(), '=');
  auto with_line = [&](const std::string& l) { return note.substr(0, sig_at) + l + "\n"; };
  const std::string name = signer.name;
  // En dash, hyphen, missing or doubled space, trailing space, CRLF, missing padding.
  for (const std::string& l :
       {"\xE2\x80\x93 " + name + " " + b64, "- " + name + " " + b64,
        std::string(kEmDash) + name + " " + b64, std::string(kEmDash) + "  " + name + " " + b64,
        std::string(kEmDash) + " " + name + "  " + b64,
        std::string(kEmDash) + " " + name + " " + b64 + " ",
        std::string(kEmDash) + " " + name + " " + b64 + "\r",
        std::string(kEmDash) + " " + name + " " + b64.substr(0, 91),
        std::string(kEmDash) + " " + name + " " + "AAAA"}) {
    EXPECT_THAT(ParseNote(with_line(l)), StatusIs(StatusCode::kInvalidArgument, _)) << l;
  }
  // Non-canonical base64 (padding bits set) encodes the same bytes; still rejected.
  std::string noncanonical = b64;
  noncanonical[90] = static_cast<char>(noncanonical[90] + 1);
  EXPECT_THAT(ParseNote(with_line(std::string(kEmDash) + " " + name + " " + noncanonical)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("base64")));
}

TEST(SignedNoteTest, AmbiguousVerifiersAreRejected) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  NoteVerifier verifier = MakeNoteVerifier(signer.name, signer.key.public_key());
  NoteVerifier impostor = verifier;
  impostor.public_key[0] ^= 1;
  ASSERT_OK_AND_ASSIGN(std::string note, SignNote("body\n", signer));
  EXPECT_THAT(OpenNote(note, {verifier, impostor}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ambiguous")));
  EXPECT_OK(OpenNote(note, {verifier, verifier}));
}

TEST(SignedNoteTest, SignerKeyErrorsDoNotLeakTheKey) {
  NoteSigner signer = NewSigner("vellum.example/ledger");
  std::string skey = FormatSignerKey(signer.name, signer.key);
  ASSERT_OK_AND_ASSIGN(NoteSigner parsed, ParseSignerKey(skey));
  EXPECT_EQ(parsed.key.seed(), signer.key.seed());
  // Base64 may itself hold '+': the key starts after "PRIVATE+KEY+<name>+<8 hex>+".
  const std::string secret =
      skey.substr(std::string("PRIVATE+KEY+").size() + signer.name.size() + 10);
  ASSERT_EQ(secret.size(), 44u);
  skey.back() = skey.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {skey, "PRIVATE+KEY+" + signer.name + "+00000000+" + secret,
                                 "PRIVATE+" + signer.name + "+00000000+" + secret}) {
    auto r = ParseSignerKey(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().find(secret.substr(4, 20)), std::string::npos)
        << r.status().ToString();
  }
}

// --- golang.org/x/mod/sumdb/note as an independent oracle -------------------------

// Builds tests/tools/go/notecheck once per process. Empty (and `why` set) when go or
// the x/mod sources are not installed.
const std::string& NoteCheckBinary(std::string* why) {
  static vellum::testing::TempDir dir;
  static std::string why_not;
  static const std::string binary = [] {
    const std::string gopath = "/usr/share/gocode";
    if (!vellum::testing::HaveProgram("go")) {
      why_not = "go is not installed";
      return std::string();
    }
    if (!std::filesystem::exists(gopath + "/src/golang.org/x/mod/sumdb/note/note.go")) {
      why_not = "golang.org/x/mod sources are not installed (golang-golang-x-mod-dev)";
      return std::string();
    }
    const std::string out = dir.Sub("notecheck");
    auto r = vellum::testing::RunProcess(
        {"go", "build", "-o", out,
         vellum::testing::SourceDir() + "/tests/tools/go/notecheck/main.go"},
        "",
        {"GO111MODULE=off", "GOPATH=" + gopath, "GOCACHE=" + dir.Sub("gocache"),
         "GOFLAGS=", "CGO_ENABLED=0"});
    if (r.exit_code != 0) {
      ADD_FAILURE() << "building notecheck failed: " << r.err;
      return std::string();
    }
    return out;
  }();
  *why = why_not;
  return binary;
}

#define REQUIRE_NOTECHECK(var)                              \
  std::string notecheck_why;                                \
  const std::string& var = NoteCheckBinary(&notecheck_why); \
  if (var.empty()) GTEST_SKIP() << "Go oracle skipped: " << notecheck_why

// AT-5: a note Vellum signs opens in x/mod with the vkey Vellum prints.
TEST(SignedNoteGoOracleTest, GoOpensOurNotes) {
  REQUIRE_NOTECHECK(notecheck);
  NoteSigner signer = NewSigner("vellum.example/ledger");
  const std::string vkey =
      FormatVerifierKey(MakeNoteVerifier(signer.name, signer.key.public_key()));
  for (const std::string& text : std::vector<std::string>{
           "vellum.example/ledger\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
           "vellum-time 2026-11-25T13:01:02.123456Z\n",
           "paragraph\n\nrelecture à 2 mm ✓\n\n"}) {
    ASSERT_OK_AND_ASSIGN(std::string note, SignNote(text, signer));
    auto r = vellum::testing::RunProcess({notecheck, "open", vkey}, note);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, text);
    // And x/mod rejects it with one bit of the signature flipped.
    std::string tampered = note;
    tampered[tampered.size() - 10] ^= 0x01;
    r = vellum::testing::RunProcess({notecheck, "open", vkey}, tampered);
    EXPECT_NE(r.exit_code, 0);
  }
}

// AT-5: a note x/mod signs with the skey Vellum prints opens in Vellum, and both
// produce the same bytes (Ed25519 is deterministic).
TEST(SignedNoteGoOracleTest, WeOpenGoNotes) {
  REQUIRE_NOTECHECK(notecheck);
  NoteSigner signer = NewSigner("witness.example/w1");
  const std::string text = "origin\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  auto r = vellum::testing::RunProcess(
      {notecheck, "sign", FormatSignerKey(signer.name, signer.key)}, text);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_OK_AND_ASSIGN(Note opened,
                       OpenNote(r.out, {MakeNoteVerifier(signer.name, signer.key.public_key())}));
  EXPECT_EQ(opened.text, text);
  ASSERT_OK_AND_ASSIGN(std::string ours, SignNote(text, signer));
  EXPECT_EQ(ours, r.out);
}

}  // namespace
}  // namespace vellum::core
