#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainia {

/// PostgreSQL's text form of a timestamptz in a UTC session
/// ("2026-11-25 10:00:00.123456+00") → RFC 3339 UTC with milliseconds
/// ("2026-11-25T10:00:00.123Z"). Returns the input unchanged if it does not
/// look like one.
std::string rfc3339_from_pg(std::string_view pg);

/// Parses an RFC 3339 timestamp (Z or ±hh:mm offset, optional fraction) into
/// microseconds since the epoch; nullopt if malformed.
std::optional<int64_t> parse_rfc3339_us(std::string_view s);

/// Formats unix seconds as RFC 3339 UTC ("…T…Z", no fraction).
std::string rfc3339_from_unix(int64_t seconds);

/// Current unix time in seconds.
int64_t unix_now();

}  // namespace trainia
