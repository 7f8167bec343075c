#pragma once

#include "actors/messages.hpp"

#include <caf/expected.hpp>

#include <string_view>

namespace trainia::profiles {

/// Validates a PUT /api/users/profile body (api.md §3): `full_name` a string
/// of 1..200 code points after trimming (stored trimmed, no control
/// characters), `preferences` an object of at most 16 KiB serialised and
/// depth ≤ 8, at least one of them, no other fields. Errors are
/// `invalid_json` or `validation_failed` with one detail per field.
caf::expected<profile_update> validate_update(std::string_view body);

}  // namespace trainia::profiles
