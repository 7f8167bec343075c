#include "core/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace trainia {
namespace {

bool digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int num(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::string rfc3339_from_pg(std::string_view pg) {
  // "YYYY-MM-DD HH:MM:SS[.ffffff]+00"
  if (pg.size() < 22 || !digits(pg, 0, 4) || pg[10] != ' ' || !digits(pg, 11, 2)) return std::string(pg);
  std::string out;
  out.reserve(24);
  out.append(pg.substr(0, 10));
  out += 'T';
  out.append(pg.substr(11, 8));
  out += '.';
  size_t i = 19;
  std::string frac;
  if (i < pg.size() && pg[i] == '.') {
    ++i;
    while (i < pg.size() && pg[i] >= '0' && pg[i] <= '9') frac += pg[i++];
  }
  frac.resize(3, '0');
  out += frac.substr(0, 3);
  out += 'Z';
  return out;
}

std::optional<int64_t> parse_rfc3339_us(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM)
  if (s.size() < 20 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2) ||
      (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2) || s[16] != ':' ||
      !digits(s, 17, 2))
    return std::nullopt;
  int y = num(s, 0, 4), mo = num(s, 5, 2), d = num(s, 8, 2), h = num(s, 11, 2), mi = num(s, 14, 2),
      se = num(s, 17, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (scale > 0) micros += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (!digits(s, i + 1, 2) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2)) return std::nullopt;
    int oh = num(s, i + 1, 2), om = num(s, i + 4, 2);
    if (oh > 23 || om > 59) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                 mi * 60 + se - offset;
  return secs * 1000000 + micros;
}

std::string rfc3339_from_unix(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace trainia
