// Fuzz target "json_bodies": every request body validator, fed exactly as the
// handlers feed them (the raw body; each parses through core/json_body.hpp with
// its depth limit), and every error they return mapped to the HTTP error body
// the client would get (src/http/error_response.cpp).
//
// Input: byte 0 picks the validator (mod 6), the rest is the body:
//   0 PUT /api/users/profile        profiles::validate_update
//   1 POST /api/ai/run              ai::validate_submit (+ stored form round trip)
//   2 POST /api/webhooks/stripe     billing::parse_stripe_event (after the signature)
//   3 POST /api/webhooks/clerk      identity::parse_clerk_event (after the signature)
//   4 any JSON body                 parse_json_body and the text helpers
//   5 POST /api/subscriptions/upgrade billing::read_upgrade_body (built-in plans.json)

#include "fuzz/fuzz.hpp"

#include "ai/task_input.hpp"
#include "billing/stripe_event.hpp"
#include "billing/upgrade_api.hpp"
#include "core/embedded_files.hpp"
#include "core/error.hpp"
#include "core/json_body.hpp"
#include "http/error_response.hpp"
#include "identity/clerk_event.hpp"
#include "profiles/profile_validation.hpp"

#include <nlohmann/json.hpp>

namespace trainia::fuzz {

namespace {

// The client-visible answer for an error: must be well-formed JSON with the
// contract's `error.code`, whatever bytes the input held.
void check_error(const caf::error& e) {
  FUZZ_CHECK(static_cast<bool>(e));
  auto m = http::map_error(e);
  FUZZ_CHECK(static_cast<unsigned>(m.code) >= 400 && static_cast<unsigned>(m.code) < 600);
  auto j = nlohmann::json::parse(m.body, nullptr, false);
  FUZZ_CHECK(!j.is_discarded() && j.is_object() && j.contains("error"));
}

template <class T>
void check(const caf::expected<T>& r) {
  if (!r) check_error(r.error());
}

}  // namespace

void json_bodies_one(const uint8_t* data, size_t size) {
  if (size == 0) return;
  auto body = as_text(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      check(profiles::validate_update(body));
      break;
    }
    case 1: {
      auto r = ai::validate_submit(body, default_config());
      check(r);
      if (r) {
        // What is stored must read back as the same submit.
        auto stored = r->to_json();
        auto back = ai::input_from_json(stored);
        FUZZ_CHECK(back.has_value());
        FUZZ_CHECK(back->prompt == r->prompt && back->model == r->model && back->system == r->system &&
                   back->max_tokens == r->max_tokens);
      }
      break;
    }
    case 2: {
      auto r = billing::parse_stripe_event(body);
      check(r);
      if (r) {
        FUZZ_CHECK(r->doc != nullptr && !r->id.empty() && !r->type.empty() && r->created > 0);
        FUZZ_CHECK(!r->routing_key().empty());
        const auto& obj = (*r->doc)["data"]["object"];
        (void)billing::invoice_subscription(obj);
        if (obj.contains("customer")) (void)billing::stripe_ref(obj["customer"]);
      }
      break;
    }
    case 3: {
      auto r = identity::parse_clerk_event(body, 1750000000000);
      check(r);
      if (r && r->action != identity::clerk_action::ignore) FUZZ_CHECK(!r->user_id.empty());
      break;
    }
    case 5: {
      static const billing::plan_catalog plans = [] {
        std::string err;
        auto c = billing::plan_catalog::parse(find_embedded(embedded_config(), "plans.json"), err);
        if (!c) std::abort();
        return std::move(*c);
      }();
      auto r = billing::read_upgrade_body(body, plans);
      check(r);
      if (r) FUZZ_CHECK(*r != nullptr);
      break;
    }
    default: {
      auto r = parse_json_body(body);
      check(r);
      if (r) FUZZ_CHECK(json_depth(*r) <= 64);
      (void)code_points(body);
      auto t = trim_unicode(body);
      FUZZ_CHECK(t.size() <= body.size());
      (void)has_control_chars(body);
      break;
    }
  }
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::json_bodies_one)
