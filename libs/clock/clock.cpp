#include "clock/clock.hpp"

#include <cctype>
#include <ctime>

namespace berth::clock {

int64_t now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return to_ns(ts);
}

int64_t to_ns(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string rfc3339(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// `n` decimal digits at `at`, advancing it; -1 when they are not all digits.
int digits(std::string_view s, std::size_t& at, std::size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
    v = v * 10 + (c - '0');
  }
  at += n;
  return v;
}

bool expect(std::string_view s, std::size_t& at, char c) {
  if (at >= s.size() || s[at] != c) return false;
  ++at;
  return true;
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  std::size_t at = 0;
  std::tm tm{};
  const int year = digits(s, at, 4);
  if (year < 0 || !expect(s, at, '-')) return std::nullopt;
  const int month = digits(s, at, 2);
  if (month < 1 || month > 12 || !expect(s, at, '-')) return std::nullopt;
  const int day = digits(s, at, 2);
  if (day < 1 || day > 31 || at >= s.size() || (s[at] != 'T' && s[at] != 't')) return std::nullopt;
  ++at;
  const int hour = digits(s, at, 2);
  if (hour < 0 || hour > 23 || !expect(s, at, ':')) return std::nullopt;
  const int minute = digits(s, at, 2);
  if (minute < 0 || minute > 59 || !expect(s, at, ':')) return std::nullopt;
  const int second = digits(s, at, 2);
  if (second < 0 || second > 60) return std::nullopt;
  int64_t frac_ns = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    int64_t scale = 100'000'000;
    const std::size_t start = at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) {
      frac_ns += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '-' ? -1 : 1;
    ++at;
    const int oh = digits(s, at, 2);
    if (oh < 0 || oh > 23 || !expect(s, at, ':')) return std::nullopt;
    const int om = digits(s, at, 2);
    if (om < 0 || om > 59) return std::nullopt;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = ::timegm(&tm);
  return (static_cast<int64_t>(t) - offset_s) * 1'000'000'000 + frac_ns;
}

}  // namespace berth::clock
