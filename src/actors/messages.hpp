#pragma once

#include <cstdint>
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

/// The plan a user is on now and the period its quota counts in (RFC 3339
/// UTC). Cached by the user's session actor; billing invalidates it.
struct plan_info {
  std::string plan;
  int64_t ai_runs_per_month = 0;
  int32_t ai_max_concurrent = 0;
  std::string period_start;
  std::string period_end;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_info& x) {
  return f(x.plan, x.ai_runs_per_month, x.ai_max_concurrent, x.period_start, x.period_end);
}

}  // namespace trainia
