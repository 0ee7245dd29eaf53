// FormatTimestamp / ParseTimestamp (declared in core/clock.h): RFC 3339 UTC text
// with microseconds, in the proleptic Gregorian calendar, years 0000-9999.
#include <cstdio>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace vellum::core {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms,
// http://howardhinnant.github.io/date_algorithms.html).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2);
}

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Reads exactly `n` ASCII digits at text[*pos].
bool ReadDigits(std::string_view text, size_t* pos, size_t n, int64_t* value) {
  if (*pos + n > text.size()) return false;
  int64_t v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = text[*pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

std::string FormatTimestamp(int64_t micros_since_epoch) {
  int64_t seconds = FloorDiv(micros_since_epoch, kMicrosPerSecond);
  int64_t micros = micros_since_epoch - seconds * kMicrosPerSecond;
  int64_t days = FloorDiv(seconds, kSecondsPerDay);
  int64_t sod = seconds - days * kSecondsPerDay;
  int64_t y, m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60),
                static_cast<long long>(sod % 60), static_cast<long long>(micros));
  return buf;
}

StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("invalid timestamp \"" + std::string(text.substr(0, 64)) +
                                "\" (want YYYY-MM-DDTHH:MM:SS[.ffffff]Z or YYYY-MM-DD)");
  };
  size_t pos = 0;
  int64_t y, mo, d, h = 0, mi = 0, s = 0, frac = 0;
  if (!ReadDigits(text, &pos, 4, &y) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &mo) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &d)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return bad();
  if (pos < text.size()) {
    if (!Expect(text, &pos, 'T') || !ReadDigits(text, &pos, 2, &h) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &mi) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &s)) {
      return bad();
    }
    if (h > 23 || mi > 59 || s > 59) return bad();
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      size_t digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 7) {
        frac = frac * 10 + (text[pos++] - '0');
        ++digits;
      }
      if (digits == 0 || digits > 6) return bad();
      for (; digits < 6; ++digits) frac *= 10;
    }
    if (!Expect(text, &pos, 'Z') || pos != text.size()) return bad();
  }
  int64_t seconds = DaysFromCivil(y, mo, d) * kSecondsPerDay + h * 3600 + mi * 60 + s;
  return seconds * kMicrosPerSecond + frac;
}

}  // namespace vellum::core
