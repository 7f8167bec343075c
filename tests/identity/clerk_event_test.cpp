#include "identity/clerk_event.hpp"

#include "core/error.hpp"
#include "core/json_body.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;
using trainia::errc;
using trainia::identity::clerk_action;
using trainia::identity::parse_clerk_event;

namespace {

json user_event(const std::string& type) {
  return {{"object", "event"},
          {"type", type},
          {"timestamp", 1716883200500},
          {"data",
           {{"object", "user"},
            {"id", "user_29w83sxmDNGwOuEthce5gg56FcC"},
            {"first_name", "Ada"},
            {"last_name", "Lovelace"},
            {"primary_email_address_id", "idn_2"},
            {"email_addresses", json::array({{{"id", "idn_1"}, {"email_address", "old@example.com"}},
                                             {{"id", "idn_2"}, {"email_address", "ada@example.com"}},
                                             {{"id", "idn_3"}, {"email_address", "other@example.com"}}})},
            {"created_at", 1716883100000},
            {"updated_at", 1716883200123}}}};
}

bool invalid(const std::string& body) {
  auto r = parse_clerk_event(body, 0);
  return !r && trainia::is(r.error(), errc::invalid_event);
}

}  // namespace

TEST_CASE("clerk event: user.created keeps the primary email among several and the full name", "[identity][clerk]") {
  auto ev = parse_clerk_event(user_event("user.created").dump(), 0);
  REQUIRE(ev);
  CHECK(ev->type == "user.created");
  CHECK(ev->action == clerk_action::upsert_user);
  CHECK(ev->user_id == "user_29w83sxmDNGwOuEthce5gg56FcC");
  CHECK(ev->email == "ada@example.com");
  CHECK(ev->full_name == "Ada Lovelace");
  CHECK(ev->updated_at_ms == 1716883200123);
}

TEST_CASE("clerk event: names are trimmed, null when both are empty", "[identity][clerk]") {
  auto j = user_event("user.updated");
  j["data"]["first_name"] = nullptr;
  j["data"]["last_name"] = "  Curie ";
  CHECK(parse_clerk_event(j.dump(), 0)->full_name == "Curie");
  j["data"]["first_name"] = "Marie";
  j["data"]["last_name"] = nullptr;
  CHECK(parse_clerk_event(j.dump(), 0)->full_name == "Marie");
  j["data"]["first_name"] = " ";
  j["data"]["last_name"] = "";
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->full_name.has_value());
  j["data"].erase("first_name");
  j["data"].erase("last_name");
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->full_name.has_value());
  // Longer than the column allows: cut at 200 code points (not bytes).
  j["data"]["first_name"] = std::string(150, 'a');
  j["data"]["last_name"] = [] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "\xc3\xa9";  // é
    return s;
  }();
  auto name = *parse_clerk_event(j.dump(), 0)->full_name;
  CHECK(trainia::code_points(name) == 200);
  CHECK(name.substr(name.size() - 2) == "\xc3\xa9");
}

TEST_CASE("clerk event: no primary address, or none matching, gives a null email", "[identity][clerk]") {
  auto j = user_event("user.updated");
  j["data"]["primary_email_address_id"] = nullptr;
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->email.has_value());
  j["data"]["primary_email_address_id"] = "idn_9";
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->email.has_value());
  j["data"]["primary_email_address_id"] = "idn_1";
  CHECK(parse_clerk_event(j.dump(), 0)->email == "old@example.com");
  j["data"]["email_addresses"] = json::array();
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->email.has_value());
  j["data"].erase("email_addresses");
  CHECK_FALSE(parse_clerk_event(j.dump(), 0)->email.has_value());
}

TEST_CASE("clerk event: user.deleted takes its time from the envelope, else from Svix", "[identity][clerk]") {
  json j{{"type", "user.deleted"},
         {"timestamp", 1716883300000},
         {"data", {{"object", "user"}, {"id", "user_x"}, {"deleted", true}}}};
  auto ev = parse_clerk_event(j.dump(), 42000);
  REQUIRE(ev);
  CHECK(ev->action == clerk_action::delete_user);
  CHECK(ev->user_id == "user_x");
  CHECK(ev->occurred_at_ms == 1716883300000);
  j.erase("timestamp");
  CHECK(parse_clerk_event(j.dump(), 42000)->occurred_at_ms == 42000);
}

TEST_CASE("clerk event: other types are kept for the ledger only", "[identity][clerk]") {
  auto ev = parse_clerk_event(R"({"type":"session.created","data":{"id":"sess_1","user_id":"user_x"}})", 0);
  REQUIRE(ev);
  CHECK(ev->action == clerk_action::ignore);
  CHECK(ev->type == "session.created");
  CHECK(ev->user_id.empty());
}

TEST_CASE("clerk event: bodies that are not Clerk events are invalid_event", "[identity][clerk]") {
  CHECK(invalid(""));
  CHECK(invalid("not json"));
  CHECK(invalid("[]"));
  CHECK(invalid("\"user.created\""));
  CHECK(invalid(R"({"test": 2432232314})"));
  CHECK(invalid(R"({"type":"user.created"})"));
  CHECK(invalid(R"({"type":"user.created","data":[]})"));
  CHECK(invalid(R"({"type":"user.created","data":"x"})"));
  CHECK(invalid(R"({"type":7,"data":{}})"));
  CHECK(invalid(R"({"type":"","data":{}})"));
  // User events need the user's id, and updates their time.
  auto j = user_event("user.updated");
  j["data"].erase("id");
  CHECK(invalid(j.dump()));
  j = user_event("user.updated");
  j["data"]["id"] = "";
  CHECK(invalid(j.dump()));
  j["data"]["id"] = std::string(256, 'u');
  CHECK(invalid(j.dump()));
  j = user_event("user.created");
  j["data"].erase("updated_at");
  CHECK(invalid(j.dump()));
  j["data"]["updated_at"] = "1716883200123";
  CHECK(invalid(j.dump()));
  j["data"]["updated_at"] = 1.5;
  CHECK(invalid(j.dump()));
  CHECK(invalid(R"({"type":"user.deleted","data":{"deleted":true}})"));
}
