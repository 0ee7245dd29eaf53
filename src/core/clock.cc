#include "core/clock.h"

#include <sys/timex.h>
#include <time.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace vellum::core {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Floor division: rounds towards negative infinity, so times before 1970 land
// in the right second and day.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
// Low-Level Date Algorithms"). Exact for every year representable here, unlike timegm,
// which depends on time_t range and the C library.
constexpr int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

constexpr CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month, day};
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);
static_assert(CivilFromDays(-1).year == 1969 && CivilFromDays(-1).day == 31);

bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

Status BadTimestamp(std::string_view text, std::string_view why) {
  constexpr size_t kMaxQuoted = 64;  // untrusted input: never echo an unbounded string
  std::string m = "invalid timestamp \"";
  m += text.substr(0, kMaxQuoted);
  if (text.size() > kMaxQuoted) m += "...";
  m += "\": ";
  m += why;
  return InvalidArgumentError(std::move(m));
}

// Parses text[pos, pos+n) as decimal digits only (no sign, no spaces).
bool ParseDigits(std::string_view text, size_t pos, size_t n, int64_t* out) {
  if (pos + n > text.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

const char* ClockStateName(int state) {
  switch (state) {
    case TIME_OK:
      return "TIME_OK";
    case TIME_INS:
      return "TIME_INS";
    case TIME_DEL:
      return "TIME_DEL";
    case TIME_OOP:
      return "TIME_OOP";
    case TIME_WAIT:
      return "TIME_WAIT";
    case TIME_ERROR:
      return "TIME_ERROR";
    default:
      return "unknown";
  }
}

}  // namespace

int64_t SystemClock::NowMicros() {
  // Through libc (not a raw syscall) so libfaketime's interposer sees the call.
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kMicrosPerSecond + ts.tv_nsec / 1000;
}

std::string SystemClock::DescribeJson() {
  boost::json::object o;
  o["source"] = "CLOCK_REALTIME";
  // modes = 0 only reads the kernel's NTP state; it needs no privilege.
  struct timex tx;
  std::memset(&tx, 0, sizeof tx);
  int state = ::ntp_adjtime(&tx);
  if (state < 0) {
    o["synchronized"] = false;
    o["error"] = std::string("ntp_adjtime: ") + std::strerror(errno);
  } else {
    o["synchronized"] = (tx.status & STA_UNSYNC) == 0;
    o["clock_state"] = ClockStateName(state);
    o["max_error_us"] = static_cast<int64_t>(tx.maxerror);
    o["est_error_us"] = static_cast<int64_t>(tx.esterror);
  }
  // libfaketime shifts what clock_gettime returns but not the kernel's NTP state,
  // so say so: a record made under it must not look like real synchronised time.
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload != nullptr && std::strstr(preload, "faketime") != nullptr) {
    o["libfaketime"] = true;
  }
  return boost::json::serialize(o);
}

namespace {

// A time split into what its text shows.
struct TimeParts {
  CivilDate date;
  int64_t second_of_day;
  int64_t micros;  // the fraction of the second, 0..999999
};

TimeParts SplitTime(int64_t micros_since_epoch) {
  const int64_t secs = FloorDiv(micros_since_epoch, kMicrosPerSecond);
  int64_t frac = micros_since_epoch % kMicrosPerSecond;  // not via secs * 10^6: may overflow
  if (frac < 0) frac += kMicrosPerSecond;
  const int64_t days = FloorDiv(secs, kSecondsPerDay);
  return {CivilFromDays(days), secs - days * kSecondsPerDay, frac};
}

// The size of FormatTimestamp's text for the years RFC 3339 covers.
constexpr size_t kRfc3339Size = sizeof "0000-00-00T00:00:00.000000Z" - 1;

bool InRfc3339Range(const TimeParts& t) { return t.date.year >= 0 && t.date.year <= 9999; }

// FormatTimestamp's text for a time in the RFC 3339 range, digit by digit:
// snprintf was most of the cost, and every event is formatted when written and
// checked again when verified.
// REQUIRES: InRfc3339Range(t); out holds kRfc3339Size chars.
void WriteRfc3339(const TimeParts& t, char* out) {
  std::memcpy(out, "0000-00-00T00:00:00.000000Z", kRfc3339Size);
  auto put = [out](size_t at, size_t width, int64_t v) {
    for (size_t i = at + width; i-- > at; v /= 10) out[i] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, t.date.year);
  put(5, 2, t.date.month);
  put(8, 2, t.date.day);
  put(11, 2, t.second_of_day / 3600);
  put(14, 2, t.second_of_day / 60 % 60);
  put(17, 2, t.second_of_day % 60);
  put(20, 6, t.micros);
}

}  // namespace

std::string FormatTimestamp(int64_t micros_since_epoch) {
  std::string out;
  AppendTimestamp(micros_since_epoch, &out);
  return out;
}

void AppendTimestamp(int64_t micros_since_epoch, std::string* out) {
  const TimeParts t = SplitTime(micros_since_epoch);
  if (InRfc3339Range(t)) {
    char text[kRfc3339Size];
    WriteRfc3339(t, text);
    out->append(text, sizeof text);
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                static_cast<long long>(t.date.year), t.date.month, t.date.day,
                static_cast<int>(t.second_of_day / 3600), static_cast<int>(t.second_of_day / 60 % 60),
                static_cast<int>(t.second_of_day % 60), static_cast<long long>(t.micros));
  out->append(buf);
}

bool ParseCanonicalTimestamp(std::string_view text, int64_t* micros) {
  // ParseTimestamp reads only four-digit years, and FormatTimestamp writes
  // those in the fixed-size form; any other text cannot be its output.
  if (text.size() != kRfc3339Size) return false;
  // Text of this size that ParseTimestamp accepts is FormatTimestamp's form
  // already, so it is not written back to compare: ParseTimestamp reads it as
  // fixed-width digit fields (a four-digit year, whose RFC 3339 range holds
  // all of them) and exactly six fractional digits before the 'Z', each
  // field in its range, and writing those values back gives the same digits.
  // tests/core/clock_test.cc holds this against the round trip.
  const StatusOr<int64_t> parsed = ParseTimestamp(text);
  if (!parsed.ok()) return false;
  *micros = *parsed;
  return true;
}

StatusOr<int64_t> ParseTimestamp(std::string_view text) {
  constexpr std::string_view kForms = "expected YYYY-MM-DDTHH:MM:SS[.ffffff]Z (UTC) or YYYY-MM-DD";
  int64_t year, month, day;
  if (text.size() < 10 || !ParseDigits(text, 0, 4, &year) || text[4] != '-' ||
      !ParseDigits(text, 5, 2, &month) || text[7] != '-' || !ParseDigits(text, 8, 2, &day)) {
    return BadTimestamp(text, kForms);
  }
  int64_t hour = 0, minute = 0, second = 0, frac = 0;
  if (text.size() > 10) {
    // "THH:MM:SS" then optional ".f{1,6}" then "Z", nothing after.
    if (text.size() < 20 || text[10] != 'T' || !ParseDigits(text, 11, 2, &hour) ||
        text[13] != ':' || !ParseDigits(text, 14, 2, &minute) || text[16] != ':' ||
        !ParseDigits(text, 17, 2, &second)) {
      return BadTimestamp(text, kForms);
    }
    size_t pos = 19;
    if (text[pos] == '.') {
      size_t digits = 0;
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (++digits > 6) return BadTimestamp(text, "more than 6 fractional digits");
        frac = frac * 10 + (text[pos] - '0');
        ++pos;
      }
      if (digits == 0) return BadTimestamp(text, "no digits after '.'");
      for (size_t i = digits; i < 6; ++i) frac *= 10;
    }
    if (pos + 1 != text.size() || text[pos] != 'Z') {
      return BadTimestamp(text, "must end in 'Z' (UTC); " + std::string(kForms));
    }
  }
  if (month < 1 || month > 12) return BadTimestamp(text, "month out of range");
  if (day < 1 || day > DaysInMonth(year, static_cast<int>(month))) {
    return BadTimestamp(text, "day out of range for the month");
  }
  if (hour > 23) return BadTimestamp(text, "hour out of range");
  if (minute > 59) return BadTimestamp(text, "minute out of range");
  // Unix time has no leap seconds, so :60 cannot be represented.
  if (second > 59) return BadTimestamp(text, "second out of range");
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t secs = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  return secs * kMicrosPerSecond + frac;
}

}  // namespace vellum::core
