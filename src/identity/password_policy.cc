#include "identity/password_policy.h"

#include <sodium.h>

#include <algorithm>
#include <utility>

#include "core/password_hash.h"
#include "identity/common_passwords.h"

namespace vellum::identity {
namespace {

constexpr size_t kNistMinLengthFloor = 8;
constexpr size_t kNistMaxLengthFloor = 64;

// ASCII-only folding: the same on every platform and locale, and the list is ASCII.
std::string FoldAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A copy of password material that is wiped when it goes out of scope.
class WipedString {
 public:
  explicit WipedString(std::string s) : s_(std::move(s)) {}
  ~WipedString() { sodium_memzero(s_.data(), s_.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  const std::string& get() const { return s_; }

 private:
  std::string s_;
};

// True when `s` is one shorter sequence said again and again ("passwordpassword",
// "abcabcabcabcabca", fifteen spaces): its smallest period is at most half its length.
bool IsRepetition(std::string_view s) {
  if (s.size() < 2) return false;
  // Prefix function (Knuth–Morris–Pratt): the longest proper border of the whole string.
  std::vector<size_t> border(s.size(), 0);
  for (size_t i = 1; i < s.size(); ++i) {
    size_t k = border[i - 1];
    while (k > 0 && s[i] != s[k]) k = border[k - 1];
    if (s[i] == s[k]) ++k;
    border[i] = k;
  }
  const size_t period = s.size() - border.back();
  const bool repeated = period * 2 <= s.size();
  sodium_memzero(border.data(), border.size() * sizeof(size_t));
  return repeated;
}

// The place of an ASCII digit or (folded) letter in its own cycle, for runs such as
// "abcdef…", "0123456789012…", "zyxw…"; -1 for anything else.
int CyclePosition(char c, int* cycle_length) {
  if (c >= '0' && c <= '9') {
    *cycle_length = 10;
    return c - '0' + 100;  // apart from the letters: a run never crosses from one to the other
  }
  if (c >= 'a' && c <= 'z') {
    *cycle_length = 26;
    return c - 'a';
  }
  return -1;
}

// True when every character is the one after the previous in its cycle, or every one
// the one before ("abcdefghijklmno", "987654321098765"): folded text.
bool IsSequentialRun(std::string_view s) {
  if (s.size() < 2) return false;
  for (int step : {1, -1}) {
    bool run = true;
    for (size_t i = 1; i < s.size() && run; ++i) {
      int n = 0, m = 0;
      const int a = CyclePosition(s[i - 1], &n), b = CyclePosition(s[i], &m);
      if (a < 0 || b < 0 || n != m) {
        run = false;
        break;
      }
      const int base = n == 10 ? 100 : 0;
      run = (b - base) == ((a - base) + step + n) % n;
    }
    if (run) return true;
  }
  return false;
}

// What is left of folded text without the ASCII digits, punctuation and spaces around it
// ("!!iloveyou2024" → "iloveyou").
std::string_view Core(std::string_view s) {
  auto padding = [](char c) { return (c >= '0' && c <= '9') || (c >= ' ' && c <= '/') || (c >= ':' && c <= '@') ||
                                     (c >= '[' && c <= '`') || (c >= '{' && c <= '~'); };
  size_t from = 0, to = s.size();
  while (from < to && padding(s[from])) ++from;
  while (to > from && padding(s[to - 1])) --to;
  return s.substr(from, to - from);
}

}  // namespace

int64_t Utf8CodePoints(std::string_view text) {
  int64_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    size_t len;
    uint32_t cp;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xe0) == 0xc0) {
      len = 2;
      cp = b0 & 0x1f;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3;
      cp = b0 & 0x0f;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return -1;  // a continuation byte or 0xf8..0xff where a character must start
    }
    if (i + len > text.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len]) return -1;       // overlong
    if (cp >= 0xd800 && cp <= 0xdfff) return -1;  // UTF-16 surrogate
    if (cp > 0x10ffff) return -1;                 // beyond Unicode
    i += len;
    ++count;
  }
  return count;
}

Status ValidatePasswordPolicy(const PasswordPolicy& policy) {
  if (policy.min_length < kNistMinLengthFloor) {
    return InvalidArgumentError("password policy: minimum length must be at least " +
                                std::to_string(kNistMinLengthFloor));
  }
  if (policy.max_length < kNistMaxLengthFloor) {
    return InvalidArgumentError("password policy: maximum length must be at least " +
                                std::to_string(kNistMaxLengthFloor));
  }
  if (policy.min_length > policy.max_length) {
    return InvalidArgumentError("password policy: minimum length exceeds maximum length");
  }
  if (policy.max_age_days < 0) {
    return InvalidArgumentError("password policy: maximum age must be 0 (no expiry) or more days");
  }
  return OkStatus();
}

Status CheckNewPassword(std::string_view password, const PasswordPolicy& policy,
                        std::string_view user_id, std::string_view printed_name) {
  int64_t length = Utf8CodePoints(password);
  if (length < 0) return InvalidArgumentError("password is not valid UTF-8");
  if (static_cast<size_t>(length) < policy.min_length) {
    return InvalidArgumentError("password is too short: at least " +
                                std::to_string(policy.min_length) + " characters are required");
  }
  if (static_cast<size_t>(length) > policy.max_length) {
    return InvalidArgumentError("password is too long: at most " +
                                std::to_string(policy.max_length) + " characters are allowed");
  }
  WipedString folded(FoldAscii(password));
  if (!user_id.empty() && folded.get().find(FoldAscii(user_id)) != std::string::npos) {
    return InvalidArgumentError("password must not contain the user id");
  }
  if (!printed_name.empty() && folded.get() == FoldAscii(printed_name)) {
    return InvalidArgumentError("password must not be the user's name");
  }
  if (IsCommonPassword(password)) {
    return InvalidArgumentError("password is on the list of common or breached passwords");
  }
  const std::string_view core = Core(folded.get());
  if (!core.empty() && core.size() < folded.get().size() && IsCommonPassword(core)) {
    return InvalidArgumentError("password is a common or breached password with digits or symbols added");
  }
  if (IsRepetition(folded.get())) {
    return InvalidArgumentError("password is a short sequence repeated: choose one that is not");
  }
  if (IsSequentialRun(folded.get())) {
    return InvalidArgumentError("password is a run of consecutive letters or digits (like abcd or 4321)");
  }
  if (folded.get().find("vellum") != std::string::npos) {
    return InvalidArgumentError("password must not contain the name of this system");
  }
  return OkStatus();
}

Status CheckPasswordReuse(std::string_view password, const PasswordPolicy& policy,
                          const std::vector<std::string>& recent_hashes) {
  size_t n = std::min(policy.history, recent_hashes.size());
  for (size_t i = 0; i < n; ++i) {
    if (core::VerifyPassword(recent_hashes[i], password)) {
      return InvalidArgumentError("password was used recently: the last " +
                                  std::to_string(policy.history) + " may not be reused");
    }
  }
  return OkStatus();
}

bool PasswordExpired(const PasswordPolicy& policy, int64_t changed_at_unix, int64_t now_unix) {
  if (policy.max_age_days <= 0) return false;
  constexpr uint64_t kSecondsPerDay = 86400;
  if (now_unix < changed_at_unix) return false;  // the clock went back: not expired yet
  // Unsigned difference: exact for any now >= changed, with no signed overflow.
  uint64_t age = static_cast<uint64_t>(now_unix) - static_cast<uint64_t>(changed_at_unix);
  return age / kSecondsPerDay >= static_cast<uint64_t>(policy.max_age_days);
}

}  // namespace vellum::identity
