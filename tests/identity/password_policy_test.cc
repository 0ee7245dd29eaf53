// Password rules after NIST SP 800-63B rev. 4 (AC-2, Part 11 §11.300): length in code points,
// the embedded common/breached list, user id and name, reuse history, optional expiry, no
// composition rules, and messages that never repeat the password.
#include "identity/password_policy.h"

#include <algorithm>

#include "core/password_hash.h"
#include "identity/common_passwords.h"
#include "testing/status_matchers.h"

namespace vellum::identity {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `n` characters drawn from `units` in an order that neither repeats nor runs (a string of one
// character repeated is refused by its own rule, which length tests must not trip over).
std::string Varied(const std::vector<std::string_view>& units, size_t n) {
  std::string out;
  uint32_t x = 2463534242u;  // xorshift32: no period within any length tested here
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out += units[x % units.size()];
  }
  return out;
}

const std::vector<std::string_view> kAscii = {"q", "w", "h", "z", "k", "m", "t", "r", "p", "y", "v"};

Status Check(std::string_view pw, const PasswordPolicy& policy = {}) {
  return CheckNewPassword(pw, policy, "jdoe", "Jane Doe");
}

// A failed check names its rule and never repeats the password (nor the user id or name,
// which the password may contain).
void ExpectRejected(std::string_view pw, std::string_view rule, const PasswordPolicy& policy = {},
                    std::string_view user_id = "jdoe", std::string_view name = "Jane Doe") {
  SCOPED_TRACE(pw);
  Status s = CheckNewPassword(pw, policy, user_id, name);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr(rule)));
  if (!pw.empty()) {
    EXPECT_THAT(s.ToString(), Not(HasSubstr(pw)));
  }
  EXPECT_THAT(s.ToString(), Not(HasSubstr(user_id)));
  if (!name.empty()) {
    EXPECT_THAT(s.ToString(), Not(HasSubstr(name)));
  }
}

TEST(Utf8CodePointsTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8CodePoints(""), 0);
  EXPECT_EQ(Utf8CodePoints("abc"), 3);
  EXPECT_EQ(Utf8CodePoints("ä"), 1);  // 2 bytes
  EXPECT_EQ(Utf8CodePoints("€"), 1);  // 3 bytes
  EXPECT_EQ(Utf8CodePoints("🔑"), 1);  // 4 bytes
  EXPECT_EQ(Utf8CodePoints("aä€🔑"), 4);
  EXPECT_EQ(Utf8CodePoints(std::string("a\0b", 3)), 3);
}

TEST(Utf8CodePointsTest, RejectsInvalidUtf8) {
  for (const char* bad : {"\x80", "\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xe2\x82", "\xc3\x28"}) {
    EXPECT_EQ(Utf8CodePoints(bad), -1) << ::testing::PrintToString(bad);
  }
  EXPECT_EQ(Utf8CodePoints("\xf4\x8f\xbf\xbf"), 1);  // U+10FFFF, the last code point
}

TEST(PasswordPolicyTest, DefaultsFollowNist) {
  PasswordPolicy policy;
  EXPECT_EQ(policy.min_length, 15u);
  EXPECT_EQ(policy.max_length, 256u);
  EXPECT_EQ(policy.history, 5u);
  EXPECT_EQ(policy.max_age_days, 0);
  EXPECT_OK(ValidatePasswordPolicy(policy));
}

TEST(PasswordPolicyTest, PolicyItselfIsValidated) {
  EXPECT_THAT(ValidatePasswordPolicy({.min_length = 7}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("minimum length")));
  EXPECT_OK(ValidatePasswordPolicy({.min_length = 8}));
  EXPECT_THAT(ValidatePasswordPolicy({.max_length = 63}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("maximum length")));
  EXPECT_THAT(ValidatePasswordPolicy({.min_length = 100, .max_length = 64}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("exceeds")));
  EXPECT_THAT(ValidatePasswordPolicy({.max_age_days = -1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("maximum age")));
}

// AC-2: the minimum is counted in characters (code points), so 14 two-, three- or four-byte
// characters are too short even though they are 28 to 56 bytes long.
TEST(PasswordPolicyTest, MinimumLengthBoundaryInCodePoints) {
  for (const std::vector<std::string_view>& units : std::vector<std::vector<std::string_view>>{
           kAscii, {"ä", "ö", "ü", "é", "ß", "ø", "å"}, {"€", "₹", "★", "✓", "中", "文"}, {"🔑", "🔒", "🎉", "🚀", "🌍"}}) {
    SCOPED_TRACE(std::string(units[0]));
    std::string fourteen = Varied(units, 14);
    EXPECT_GE(fourteen.size(), 14u);
    ExpectRejected(fourteen, "too short");
    EXPECT_OK(Check(Varied(units, 15)));
  }
  // Mixed widths: 14 code points in 30 bytes is still too short.
  const std::string mixed = "Grüße aus Köln";  // 14 code points
  ASSERT_EQ(Utf8CodePoints(mixed), 14);
  ExpectRejected(mixed, "at least 15");
  EXPECT_OK(Check(mixed + "!"));
}

TEST(PasswordPolicyTest, MaximumLengthBoundaryInCodePoints) {
  EXPECT_OK(Check(Varied(kAscii, 256)));
  ExpectRejected(Varied(kAscii, 257), "too long");
  const std::vector<std::string_view> wide = {"€", "₹", "★", "✓", "中", "文"};
  EXPECT_OK(Check(Varied(wide, 256)));  // 768 bytes: the limit is in characters
  ExpectRejected(Varied(wide, 257), "at most 256");
}

TEST(PasswordPolicyTest, InvalidUtf8IsRejected) {
  ExpectRejected("valid prefix then \xff\xfe junk", "UTF-8");
  ExpectRejected("overlong slash \xc0\xaf in here", "UTF-8");
}

// NIST: no composition rules. Lower-case only, digits only, spaces: all fine when long enough.
TEST(PasswordPolicyTest, NoCompositionRules) {
  EXPECT_OK(Check("thisisjustwords"));  // 15 lower-case letters
  EXPECT_OK(Check("correct horse battery staple"));
  EXPECT_OK(Check("739184627501938"));
  EXPECT_OK(Check("   spaces  are   allowed   "));  // NIST allows spaces
}

// AC-2 (NIST SP 800-63B blocklist: "commonly used, expected" values, repetitive or sequential
// characters, context-specific words): what passes the length rule only by being long.
TEST(PasswordPolicyTest, RepetitiveSequentialAndPaddedPasswordsAreRejected) {
  for (const char* pw : {"passwordpassword", "PasswordPassword", "abcabcabcabcabca", "               ",
                         "zzzzzzzzzzzzzzzz", "12121212121212121", "€€€€€€€€€€€€€€€€"}) {
    ExpectRejected(pw, "a short sequence repeated");
  }
  for (const char* pw : {"abcdefghijklmnop", "ABCDEFGHIJKLMNOPQRST", "zyxwvutsrqponmlk", "1234567890123456",
                         "9876543210987654", "xyzabcdefghijklm"}) {
    ExpectRejected(pw, "consecutive letters or digits");
  }
  for (const char* pw : {"iloveyou1234567", "!!!trustno1!!!!!", "Qwertyuiop2024!!", "2024 superman 2024"}) {
    ExpectRejected(pw, "with digits or symbols added");
  }
  ExpectRejected("my Vellum password 7", "name of this system");
  // Near misses are fine: a repetition with a change, a run that breaks, a word inside a phrase.
  for (const char* pw : {"passwordpassworx", "abcdefghijklmnoq", "0123456789 and more", "i love you, said the cat",
                         "trustno1 is not my password"}) {
    EXPECT_OK(Check(pw)) << pw;
  }
}

// The list is the one committed in data/ and compiled in: sorted, unique, lower-case.
TEST(CommonPasswordsTest, EmbeddedListIsSortedUniqueLowerCase) {
  auto list = internal::CommonPasswordList();
  EXPECT_EQ(list.size(), 30000u);
  EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
  EXPECT_EQ(std::adjacent_find(list.begin(), list.end()), list.end());
  for (std::string_view w : list) {
    ASSERT_FALSE(w.empty());
    ASSERT_EQ(std::count_if(w.begin(), w.end(), [](char c) { return c >= 'A' && c <= 'Z'; }), 0)
        << w;
  }
}

TEST(CommonPasswordsTest, ListHitsAreCaseInsensitive) {
  for (const char* pw : {"password", "PASSWORD", "PassWord", "qwertyuiop", "QwErTyUiOp", "123456",
                         "iloveyou", "trustno1", "1qaz2wsx", "asdfjkl;"}) {
    EXPECT_TRUE(IsCommonPassword(pw)) << pw;
  }
  for (const char* pw : {"", "correct horse battery staple", "passwordx", "qwertyuio p"}) {
    EXPECT_FALSE(IsCommonPassword(pw)) << pw;
  }
}

// AC-2: a listed password is refused whatever its case, with the default policy too.
TEST(PasswordPolicyTest, CommonPasswordsAreRejected) {
  const PasswordPolicy eight{.min_length = 8};
  for (const char* pw : {"Password", "PASSWORD", "qwertyuiop", "QWERTYUIOP", "1qaz2wsx3edc"}) {
    ExpectRejected(pw, "common or breached", eight);
  }
  // ("password" itself is a word of every message, so only its code and rule are checked.)
  EXPECT_THAT(Check("password", eight),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("common or breached")));
  // The list entries that are long enough for the default policy are refused by it.
  int long_entries = 0;
  for (std::string_view w : internal::CommonPasswordList()) {
    if (w.size() < 15) continue;
    ++long_entries;
    ExpectRejected(w, "common or breached");
    std::string upper(w);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ExpectRejected(upper, "common or breached");
  }
  EXPECT_GT(long_entries, 10);
}

// NIST: context-specific words. The user id may not appear anywhere in the password.
TEST(PasswordPolicyTest, UserIdMayNotBeContained) {
  const std::string id = "jane.smith.qa01";
  ExpectRejected(id, "user id", {}, id, "");
  ExpectRejected("my jane.smith.qa01 password", "user id", {}, id, "");
  ExpectRejected("MY JANE.SMITH.QA01 PASSWORD", "user id", {}, id, "");
  ExpectRejected("prefix-Jane.Smith.QA01", "user id", {}, id, "");
  EXPECT_OK(CheckNewPassword("jane smith qa 01 is fine", {}, id, ""));
  // An empty user id (not known yet) disables the rule rather than matching everything.
  EXPECT_OK(CheckNewPassword("a perfectly fine passphrase", {}, "", ""));
}

TEST(PasswordPolicyTest, PrintedNameMayNotBeThePassword) {
  const std::string name = "Jane Elizabeth Smith";
  ExpectRejected(name, "name", {}, "jsmith", name);
  ExpectRejected("jane elizabeth smith", "name", {}, "jsmith", name);
  // The rule is equality: a longer phrase that contains the name is allowed.
  EXPECT_OK(CheckNewPassword("Jane Elizabeth Smith likes tea", {}, "jsmith", name));
}

// Issue 3: passwords never appear in error messages, whichever rule fails.
TEST(PasswordPolicyTest, MessagesNeverContainThePassword) {
  const std::vector<std::string> failing = {
      "tiny!",
      "Grüße aus Köln",
      Varied(kAscii, 300),
      "qwertzqwertzqwertz",
      "iloveyou1234567",
      "bad utf8 \xff here......",
      "xx jdoe xx jdoe xx",
      "Jane Doe",
  };
  for (const auto& pw : failing) {
    Status s = Check(pw, {.min_length = 15});
    ASSERT_FALSE(s.ok()) << pw;
    EXPECT_THAT(s.ToString(), Not(HasSubstr(pw)));
    EXPECT_THAT(s.ToString(), Not(HasSubstr(pw.substr(0, 5))));
  }
  Status listed = Check("qwertyuiop", {.min_length = 8});
  ASSERT_FALSE(listed.ok());
  EXPECT_THAT(listed.ToString(), Not(HasSubstr("qwerty")));
}

// Reuse history: the last `history` passwords (newest first) are refused, older ones are not.
TEST(PasswordPolicyTest, RecentPasswordsMayNotBeReused) {
  const core::PasswordHashParams fast{.ops_limit = 1, .mem_limit = 64 * 1024};
  std::vector<std::string> previous;  // newest first
  for (int i = 6; i >= 1; --i) {
    auto hash = core::HashPassword("previous password number " + std::to_string(i), fast);
    ASSERT_TRUE(hash.ok());
    previous.push_back(*hash);
  }
  const PasswordPolicy policy;  // history 5
  for (int i = 6; i >= 2; --i) {
    std::string pw = "previous password number " + std::to_string(i);
    Status s = CheckPasswordReuse(pw, policy, previous);
    EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr("used recently"))) << i;
    EXPECT_THAT(s.ToString(), Not(HasSubstr(pw)));
  }
  EXPECT_OK(CheckPasswordReuse("previous password number 1", policy, previous));  // 6th newest
  EXPECT_OK(CheckPasswordReuse("a brand new password", policy, previous));
  EXPECT_OK(CheckPasswordReuse("previous password number 6", {.history = 0}, previous));
  EXPECT_OK(CheckPasswordReuse("anything", policy, {}));
}

// Periodic expiry is off by default (NIST) and counts whole days when configured (§11.300(b)).
TEST(PasswordPolicyTest, ExpiryIsOffByDefaultAndConfigurable) {
  constexpr int64_t kDay = 86400;
  const int64_t set_at = 1'700'000'000;
  EXPECT_FALSE(PasswordExpired({}, set_at, set_at + 10'000 * kDay));
  const PasswordPolicy ninety{.max_age_days = 90};
  EXPECT_FALSE(PasswordExpired(ninety, set_at, set_at + 90 * kDay - 1));
  EXPECT_TRUE(PasswordExpired(ninety, set_at, set_at + 90 * kDay));
  EXPECT_FALSE(PasswordExpired(ninety, set_at, set_at - kDay));  // clock behind: not expired
  EXPECT_TRUE(PasswordExpired(ninety, 0, INT64_MAX));
}

}  // namespace
}  // namespace vellum::identity
