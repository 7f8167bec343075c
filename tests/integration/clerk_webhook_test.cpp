#include "identity/svix_sign.hpp"
#include "integration/server_fixture.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace trainia::test;
using nlohmann::json;

namespace {

const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string hook = "/api/webhooks/clerk";
const std::string profile = "/api/users/profile";

server_options with_secret() {
  return {.env = {{"CLERK_WEBHOOK_SECRET", secret}}};
}

struct delivery {
  std::string id, timestamp, body, signature;
};

/// A delivery as Svix sends it now, signed with the openssl CLI.
delivery signed_delivery(const json& event, std::string id = "msg_" + random_hex(10)) {
  delivery d{std::move(id), std::to_string(unix_now()), event.dump(), ""};
  d.signature = svix_sign(secret, d.id, d.timestamp, d.body);
  return d;
}

/// The same Svix message delivered again later (a retry is signed afresh).
delivery resigned(delivery d) {
  d.timestamp = std::to_string(unix_now());
  d.signature = svix_sign(secret, d.id, d.timestamp, d.body);
  return d;
}

http_response post(http_client& c, const delivery& d) {
  return c.request("POST", hook, d.body,
                   {{"Content-Type", "application/json"},
                    {"svix-id", d.id},
                    {"svix-timestamp", d.timestamp},
                    {"svix-signature", d.signature}});
}

json user_event(const std::string& type, const std::string& user, int64_t updated_at_ms, const std::string& first,
                const std::string& last, const std::string& primary_email) {
  return {{"object", "event"},
          {"type", type},
          {"timestamp", updated_at_ms + 5},
          {"data",
           {{"object", "user"},
            {"id", user},
            {"first_name", first},
            {"last_name", last},
            {"primary_email_address_id", "idn_primary"},
            {"email_addresses", json::array({{{"id", "idn_old"}, {"email_address", "old-" + primary_email}},
                                             {{"id", "idn_primary"}, {"email_address", primary_email}},
                                             {{"id", "idn_work"}, {"email_address", "work-" + primary_email}}})},
            {"created_at", updated_at_ms - 1000},
            {"updated_at", updated_at_ms}}}};
}

json deleted_event(const std::string& user, int64_t at_ms) {
  return {{"object", "event"},
          {"type", "user.deleted"},
          {"timestamp", at_ms},
          {"data", {{"object", "user"}, {"id", user}, {"deleted", true}}}};
}

int64_t now_ms() {
  return unix_now() * 1000;
}

bool is_received(const http_response& r) {
  return r.status == 200 && r.json() == json{{"received", true}};
}

bool is_duplicate(const http_response& r) {
  return r.status == 200 && r.json() == json{{"received", true}, {"duplicate", true}};
}

std::string error_code(const http_response& r) {
  auto j = r.json();
  return j["error"]["code"].get<std::string>();
}

/// Runs `sql` as the service role (RLS as the webhooks see it).
void as_service(pg& db, const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) {
  db.exec("BEGIN");
  db.exec("SET LOCAL ROLE trainia_service");
  db.exec(sql, params);
  db.exec("COMMIT");
}

}  // namespace

TEST_CASE("clerk user.created stores the primary email and full name, the cached profile is refreshed",
          "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  const std::string user = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  // The session actor caches the empty profile first.
  auto before = c.get(profile, s.auth(user));
  REQUIRE(before.status == 200);
  CHECK(before.json()["email"].is_null());

  auto r = post(c, signed_delivery(user_event("user.created", user, now_ms(), "Ada", "Lovelace", "ada@example.com")));
  CHECK(is_received(r));
  CHECK(r.header("Access-Control-Allow-Origin").empty());

  pg db(s.database_url());
  auto row = db.query(
      "SELECT email, full_name, clerk_updated_at IS NOT NULL AS ordered FROM user_profiles "
      "WHERE clerk_user_id = $1",
      {user});
  REQUIRE(row.size() == 1);
  CHECK(row.at(0, "email") == "ada@example.com");
  CHECK(row.at(0, "full_name") == "Ada Lovelace");
  CHECK(row.at(0, "ordered") == "t");
  // The same profile (created by the token earlier), now filled in, is what GET shows at once.
  auto after = c.get(profile, s.auth(user));
  REQUIRE(after.status == 200);
  CHECK(after.json()["id"] == before.json()["id"]);
  CHECK(after.json()["email"] == "ada@example.com");
  CHECK(after.json()["full_name"] == "Ada Lovelace");
  CHECK(after.header("ETag") != before.header("ETag"));

  CHECK(db.count("SELECT count(*) FROM audit_log WHERE actor = 'clerk' AND action = 'user.created' "
                 "AND clerk_user_id = $1",
                 {user}) == 1);
  CHECK(db.count("SELECT count(*) FROM clerk_events WHERE type = 'user.created' AND outcome = 'applied' "
                 "AND clerk_user_id = $1 AND processed_at IS NOT NULL",
                 {user}) == 1);
}

TEST_CASE("clerk user.created for a user never seen creates the profile", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  auto ev = user_event("user.created", "user_new", now_ms(), "", "", "new@example.com");
  ev["data"]["first_name"] = nullptr;
  ev["data"]["last_name"] = nullptr;
  CHECK(is_received(post(c, signed_delivery(ev))));
  auto g = c.get(profile, s.auth("user_new"));
  REQUIRE(g.status == 200);
  CHECK(g.json()["email"] == "new@example.com");
  CHECK(g.json()["full_name"].is_null());
}

TEST_CASE("clerk user.updated: a newer update applies, an older one is ignored", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  const std::string user = "user_upd";
  const int64_t t = now_ms() - 60000;
  REQUIRE(
      is_received(post(c, signed_delivery(user_event("user.created", user, t, "Grace", "Hopper", "g@example.com")))));
  CHECK(c.get(profile, s.auth(user)).json()["full_name"] == "Grace Hopper");

  REQUIRE(is_received(
      post(c, signed_delivery(user_event("user.updated", user, t + 2000, "Grace", "Murray", "grace@navy.mil")))));
  auto g = c.get(profile, s.auth(user));
  CHECK(g.json()["full_name"] == "Grace Murray");
  CHECK(g.json()["email"] == "grace@navy.mil");

  // Delivered late, made earlier: no change, still 200.
  auto stale = post(c, signed_delivery(user_event("user.updated", user, t + 1000, "Old", "Name", "old@example.com")));
  CHECK(is_received(stale));
  g = c.get(profile, s.auth(user));
  CHECK(g.json()["full_name"] == "Grace Murray");
  CHECK(g.json()["email"] == "grace@navy.mil");
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = $1", {user}) == "Grace Murray");
  CHECK(db.count("SELECT count(*) FROM clerk_events WHERE clerk_user_id = $1 AND outcome = 'stale'", {user}) == 1);
  CHECK(db.count("SELECT count(*) FROM audit_log WHERE clerk_user_id = $1 AND action = 'user.updated'", {user}) == 1);
}

TEST_CASE("clerk user.deleted removes the profile and all it owns, a late update never revives it",
          "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  const std::string user = "user_gone";
  const int64_t t = now_ms() - 60000;
  REQUIRE(
      is_received(post(c, signed_delivery(user_event("user.created", user, t, "Alan", "Turing", "alan@example.com")))));
  auto old = c.get(profile, s.auth(user)).json();
  REQUIRE(old["email"] == "alan@example.com");
  const std::string old_id = old["id"];
  as_service(db,
             "INSERT INTO subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_name, status) "
             "VALUES ($1, 'sub_gone', 'cus_gone', 'pro', 'active')",
             {old_id});
  as_service(db, "INSERT INTO ai_tasks (user_id, input) VALUES ($1, '{\"prompt\":\"hi\"}')", {old_id});
  REQUIRE(db.count("SELECT count(*) FROM subscriptions WHERE user_id = $1", {old_id}) == 1);
  REQUIRE(db.count("SELECT count(*) FROM ai_tasks WHERE user_id = $1", {old_id}) == 1);

  const int64_t deleted_at = t + 30000;
  auto del = signed_delivery(deleted_event(user, deleted_at));
  CHECK(is_received(post(c, del)));
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1", {user}) == 0);
  CHECK(db.count("SELECT count(*) FROM subscriptions WHERE user_id = $1", {old_id}) == 0);
  CHECK(db.count("SELECT count(*) FROM ai_tasks WHERE user_id = $1", {old_id}) == 0);
  CHECK(db.count("SELECT count(*) FROM audit_log WHERE actor = 'clerk' AND action = 'user.deleted' "
                 "AND clerk_user_id = $1 AND subject = $2",
                 {user, old_id}) == 1);
  CHECK(db.count("SELECT count(*) FROM clerk_user_tombstones WHERE clerk_user_id = $1", {user}) == 1);

  // Late updates made before the deletion (or at its instant) are ignored.
  for (int64_t at : {t + 10000, deleted_at}) {
    CHECK(is_received(
        post(c, signed_delivery(user_event("user.updated", user, at, "Late", "Ghost", "ghost@example.com")))));
    CHECK(is_received(
        post(c, signed_delivery(user_event("user.created", user, at, "Late", "Ghost", "ghost@example.com")))));
  }
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1", {user}) == 0);

  // Signing in again (the token is still valid) gives a fresh, empty profile.
  auto fresh = c.get(profile, s.auth(user));
  REQUIRE(fresh.status == 200);
  auto f = fresh.json();
  CHECK(f["id"] != old_id);
  CHECK(f["email"].is_null());
  CHECK(f["full_name"].is_null());
  CHECK(f["preferences"] == json::object());
  // A late update still does not bring the old data into the fresh profile.
  CHECK(is_received(
      post(c, signed_delivery(user_event("user.updated", user, t + 20000, "Late", "Ghost", "ghost@example.com")))));
  CHECK(c.get(profile, s.auth(user)).json()["email"].is_null());
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1 AND email IS NOT NULL", {user}) == 0);
}

TEST_CASE("clerk: a replayed svix-id is a duplicate with no second effect", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  const std::string user = "user_replay";
  auto created = signed_delivery(user_event("user.created", user, now_ms() - 60000, "Kurt", "Gödel", "k@example.com"));
  REQUIRE(is_received(post(c, created)));
  CHECK(is_duplicate(post(c, created)));
  CHECK(is_duplicate(post(c, resigned(created))));
  CHECK(db.count("SELECT row_version FROM user_profiles WHERE clerk_user_id = $1", {user}) == 1);
  CHECK(db.count("SELECT count(*) FROM audit_log WHERE clerk_user_id = $1", {user}) == 1);

  // A deletion replayed after the user signed in again must not delete the fresh profile.
  auto del = signed_delivery(deleted_event(user, now_ms() - 1000));
  REQUIRE(is_received(post(c, del)));
  auto fresh = c.get(profile, s.auth(user));
  REQUIRE(fresh.status == 200);
  CHECK(is_duplicate(post(c, resigned(del))));
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1", {user}) == 1);
  CHECK(c.get(profile, s.auth(user)).json()["id"] == fresh.json()["id"]);
  CHECK(db.count("SELECT count(*) FROM audit_log WHERE clerk_user_id = $1 AND action = 'user.deleted'", {user}) == 1);
  CHECK(db.count("SELECT count(*) FROM clerk_events WHERE clerk_user_id = $1", {user}) == 2);
}

TEST_CASE("clerk: ten concurrent copies of one delivery have exactly one effect", "[integration][clerk]") {
  trainia_server s(with_secret());
  pg db(s.database_url());
  const std::string user = "user_race";
  auto d = signed_delivery(user_event("user.created", user, now_ms(), "Emmy", "Noether", "emmy@example.com"));
  constexpr int copies = 10;
  std::vector<http_response> replies(copies);
  std::vector<std::string> failures(copies);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < copies; ++i) {
    threads.emplace_back([&, i] {
      auto c = s.client();
      ++ready;
      while (ready.load() < copies) std::this_thread::yield();
      try {
        replies[i] = post(c, d);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int applied = 0, duplicates = 0;
  for (int i = 0; i < copies; ++i) {
    INFO(failures[i] << " " << replies[i].status << " " << replies[i].body);
    REQUIRE(failures[i].empty());
    if (is_received(replies[i]))
      ++applied;
    else if (is_duplicate(replies[i]))
      ++duplicates;
  }
  CHECK(applied == 1);
  CHECK(duplicates == copies - 1);
  CHECK(db.count("SELECT count(*) FROM clerk_events WHERE svix_id = $1", {d.id}) == 1);
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1", {user}) == 1);
  CHECK(db.count("SELECT row_version FROM user_profiles WHERE clerk_user_id = $1", {user}) == 1);
  CHECK(db.count("SELECT count(*) FROM audit_log WHERE clerk_user_id = $1", {user}) == 1);
}

TEST_CASE("clerk: a bad signature is 400 invalid_signature and stores nothing", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  auto ev = user_event("user.created", "user_forged", now_ms(), "Eve", "Forger", "eve@example.com");
  auto good = signed_delivery(ev);

  std::vector<delivery> bad;
  auto d = good;
  d.signature = svix_sign("whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", d.id, d.timestamp, d.body);  // other secret
  bad.push_back(d);
  d = good;
  d.body += " ";  // the signed bytes changed
  bad.push_back(d);
  d = good;
  d.timestamp = std::to_string(unix_now() - 301);
  d.signature = svix_sign(secret, d.id, d.timestamp, d.body);  // well signed, but stale
  bad.push_back(d);
  d = good;
  d.timestamp = std::to_string(unix_now() + 400);
  d.signature = svix_sign(secret, d.id, d.timestamp, d.body);  // from the future
  bad.push_back(d);
  d = good;
  d.signature = "v2," + good.signature.substr(3);  // not a v1 signature
  bad.push_back(d);
  for (const auto& b : bad) {
    auto r = post(c, b);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "invalid_signature");
    CHECK(r.body.find("whsec") == std::string::npos);
  }
  // Missing headers.
  for (const std::string& drop : {"svix-id", "svix-timestamp", "svix-signature"}) {
    header_list h{{"Content-Type", "application/json"}};
    if (drop != "svix-id") h.emplace_back("svix-id", good.id);
    if (drop != "svix-timestamp") h.emplace_back("svix-timestamp", good.timestamp);
    if (drop != "svix-signature") h.emplace_back("svix-signature", good.signature);
    auto r = c.request("POST", hook, good.body, h);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "invalid_signature");
  }
  CHECK(db.count("SELECT count(*) FROM clerk_events") == 0);
  CHECK(db.count("SELECT count(*) FROM user_profiles") == 0);
  CHECK(db.count("SELECT count(*) FROM audit_log") == 0);
  // The genuine delivery still works afterwards (nothing was claimed by the forgeries).
  CHECK(is_received(post(c, good)));
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_forged'") == 1);
}

TEST_CASE("clerk: a valid signature over a body that is not an event is 400 invalid_event", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  for (const std::string& body :
       {std::string(R"({"test": 2432232314})"), std::string("[1,2,3]"), std::string("not json at all"),
        std::string(R"({"type":"user.created","data":{"id":"user_x"}})"), std::string("")}) {
    delivery d{"msg_" + random_hex(10), std::to_string(unix_now()), body, ""};
    d.signature = svix_sign(secret, d.id, d.timestamp, d.body);
    auto r = post(c, d);
    INFO(body);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "invalid_event");
  }
  CHECK(db.count("SELECT count(*) FROM clerk_events") == 0);
  CHECK(db.count("SELECT count(*) FROM user_profiles") == 0);
}

TEST_CASE("clerk: other event types are recorded as ignored and answered 200", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  pg db(s.database_url());
  auto d = signed_delivery({{"type", "session.created"}, {"data", {{"id", "sess_1"}, {"user_id", "user_x"}}}});
  CHECK(is_received(post(c, d)));
  CHECK(is_duplicate(post(c, resigned(d))));
  CHECK(*db.scalar("SELECT outcome FROM clerk_events WHERE svix_id = $1", {d.id}) == "ignored");
  CHECK(db.count("SELECT count(*) FROM user_profiles") == 0);
}

TEST_CASE("clerk: without CLERK_WEBHOOK_SECRET the endpoint answers 503", "[integration][clerk]") {
  trainia_server s;  // the fixture sets no webhook secret
  auto c = s.client();
  auto r = post(c, signed_delivery(user_event("user.created", "user_x", now_ms(), "A", "B", "a@example.com")));
  CHECK(r.status == 503);
  CHECK(error_code(r) == "service_unavailable");
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM clerk_events") == 0);
  CHECK(db.count("SELECT count(*) FROM user_profiles") == 0);
}

TEST_CASE("clerk: the wrong Content-Type is 415 and a wrong method 405", "[integration][clerk]") {
  trainia_server s(with_secret());
  auto c = s.client();
  auto d = signed_delivery(user_event("user.created", "user_x", now_ms(), "A", "B", "a@example.com"));
  auto r = c.request("POST", hook, d.body,
                     {{"Content-Type", "text/plain"},
                      {"svix-id", d.id},
                      {"svix-timestamp", d.timestamp},
                      {"svix-signature", d.signature}});
  CHECK(r.status == 415);
  CHECK(c.get(hook).status == 405);
}

TEST_CASE("clerk: database unreachable → 503 and nothing recorded, Svix's retry then succeeds",
          "[integration][clerk][fault]") {
  private_cluster cluster;
  auto url = cluster.create_database("trainia");
  migrate(url);
  trainia_server s(
      {.env = {{"CLERK_WEBHOOK_SECRET", secret}, {"TRAINIA_DB_CONNECT_TIMEOUT_MS", "1000"}}, .database_url = url});
  auto c = s.client();
  auto d = signed_delivery(user_event("user.created", "user_down", now_ms(), "Ada", "Byron", "ab@example.com"));
  cluster.stop();
  auto r = post(c, d);
  CHECK(r.status == 503);
  CHECK(error_code(r) == "service_unavailable");
  CHECK(r.body.find("SQL") == std::string::npos);
  cluster.start();
  // Svix retries the same message; it was not recorded, so it applies now.
  bool applied = false;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!applied && std::chrono::steady_clock::now() < until) {
    auto again = post(c, resigned(d));
    applied = is_received(again);
    if (!applied) {
      REQUIRE(again.status == 503);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  CHECK(applied);
  pg db(url);
  CHECK(db.count("SELECT count(*) FROM clerk_events WHERE svix_id = $1", {d.id}) == 1);
  CHECK(*db.scalar("SELECT email FROM user_profiles WHERE clerk_user_id = 'user_down'") == "ab@example.com");
}
