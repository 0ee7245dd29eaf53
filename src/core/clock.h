// The only source of time. Production uses SystemClock; tests inject FakeClock.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace vellum::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (UTC), from the wall clock.
  virtual int64_t NowMicros() = 0;
  // What the clock is and whether it is synchronised, recorded at start (AT-6),
  // e.g. {"source":"CLOCK_REALTIME","synchronized":true,"max_error_us":1200}.
  virtual std::string DescribeJson() = 0;
};

// CLOCK_REALTIME; synchronisation state from adjtimex(2).
// Honours libfaketime when the process runs under it (it intercepts clock_gettime).
// DescribeJson: {"source","synchronized" (STA_UNSYNC clear),"clock_state","max_error_us",
// "est_error_us"}, plus "error" if the kernel state cannot be read and "libfaketime":true
// when preloaded. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMicros() override;
  std::string DescribeJson() override;
};

// A settable clock for tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros) : now_(start_micros) {}
  int64_t NowMicros() override { return now_.load(); }
  std::string DescribeJson() override { return R"({"source":"fake","synchronized":true})"; }
  void Set(int64_t micros) { now_.store(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

// "2026-11-25T13:01:02.123456Z" (RFC 3339, UTC, always six fractional digits).
// Proleptic Gregorian calendar; RFC 3339 only covers years 0000-9999, so times outside
// that range format but do not parse back.
std::string FormatTimestamp(int64_t micros_since_epoch);
// The same appended to *out (no temporary string: the sequencer writes one per event).
void AppendTimestamp(int64_t micros_since_epoch, std::string* out);
// Accepts the form above, and also a date ("2026-11-25", midnight UTC) or a
// timestamp with fewer fractional digits or none; always UTC ('Z').
// Anything else is kInvalidArgument: other offsets, lowercase 't'/'z', spaces,
// more than six fractional digits, impossible dates (2025-02-29) and leap second :60.
StatusOr<int64_t> ParseTimestamp(std::string_view text);
// Whether `text` is exactly FormatTimestamp(t) for the t that ParseTimestamp
// reads from it (the one form a stored event's time takes), decided without
// allocating (verify checks every event's); *micros is t when it is.
bool ParseCanonicalTimestamp(std::string_view text, int64_t* micros);

}  // namespace vellum::core
