#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainia::identity {

/// What a Clerk event asks of the user table.
enum class clerk_action : uint8_t {
  upsert_user,  // user.created, user.updated
  delete_user,  // user.deleted
  ignore,       // any other type: recorded, no effect
};

/// A verified Clerk webhook body, reduced to what trainia keeps. No other
/// field of the payload (phone numbers, metadata, …) is retained.
struct clerk_event {
  std::string type;  // "user.updated"
  clerk_action action = clerk_action::ignore;
  std::string user_id;                   // data.id (Clerk user id); empty for ignored types
  std::optional<std::string> email;      // primary address, if any (upsert)
  std::optional<std::string> full_name;  // first + " " + last, trimmed; nullopt when empty (upsert)
  int64_t updated_at_ms = 0;             // data.updated_at (upsert): orders updates
  int64_t occurred_at_ms = 0;            // when Clerk emitted the event (delete): the tombstone's time
};

/// Parses a body whose signature was verified. `svix_timestamp_ms` stands in
/// for the event's time when the envelope has no `timestamp`. Fails with
/// `invalid_event` unless the body is a JSON object with a string `type` and
/// an object `data`, and — for user events — `data.id` is a Clerk id and
/// (created/updated) `data.updated_at` an integer of milliseconds. Pure.
caf::expected<clerk_event> parse_clerk_event(std::string_view body, int64_t svix_timestamp_ms);

}  // namespace trainia::identity
