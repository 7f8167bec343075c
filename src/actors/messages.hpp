#pragma once

#include <string>

/// Message payload types shared between actors (and the HTTP bridge). Each is
/// a plain struct with an `inspect` overload, as CAF 0.17 requires.
namespace trainia {

/// A user's profile rendered once as the JSON body the API returns, with the
/// entity tag of that representation.
struct profile_doc {
  std::string body;
  std::string etag;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_doc& x) {
  return f(x.body, x.etag);
}

/// A validated PUT /api/users/profile.
struct profile_update {
  bool set_full_name = false;
  std::string full_name;
  bool set_preferences = false;
  std::string preferences_json;  // a JSON object, already validated
  std::string if_match;          // empty: unconditional
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, profile_update& x) {
  return f(x.set_full_name, x.full_name, x.set_preferences, x.preferences_json, x.if_match);
}

}  // namespace trainia
