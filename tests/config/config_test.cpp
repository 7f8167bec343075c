#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using trainia::load_config;
using env_map = std::map<std::string, std::string>;

namespace {

const std::string db = "postgresql://u:hunter2@127.0.0.1:5432/x";

std::string load_error(env_map env, trainia::load_options opts = {}) {
  std::string err;
  auto cfg = load_config(env, opts, err);
  REQUIRE_FALSE(cfg);
  CHECK(err.find('\n') == std::string::npos);  // one line
  CHECK(err.rfind("config error: ", 0) == 0);
  return err;
}

trainia::config load_ok(env_map env, trainia::load_options opts = {}) {
  std::string err;
  auto cfg = load_config(env, opts, err);
  INFO(err);
  REQUIRE(cfg);
  return *cfg;
}

std::string write_temp(const std::string& text) {
  char name[] = "/tmp/trainia-config-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}

}  // namespace

TEST_CASE("defaults come from the built-in default.json", "[config]") {
  auto c = load_ok({{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}});
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 8080);
  CHECK(c.admin_port == 9090);
  CHECK(c.database_pool_size == 8);
  CHECK(c.database_service_url == db);  // defaults to DATABASE_URL
  CHECK(c.database_migrate_url == db);
  CHECK(c.rate_limit_per_user_per_second == 20);
  CHECK(c.rate_limit_burst == 40);
  CHECK(c.stripe_api_base == "https://api.stripe.com");
  CHECK(c.openai_base_url == "https://api.openai.com/v1");
  CHECK(c.openai_model == "gpt-4o-mini");
  CHECK(c.cors_allowed_origins == std::vector<std::string>{"http://localhost:3000"});  // APP_BASE_URL
  CHECK(c.log == trainia::log_level::info);
  CHECK(c.auth == trainia::auth_mode::dev);
  CHECK_FALSE(c.enable_test_hooks);
}

TEST_CASE("the environment overrides the TRAINIA_CONFIG file, which overrides defaults", "[config]") {
  auto file = write_temp(R"({"port": 1234, "admin_port": 9999, "rate_limit": {"burst": 7}, "log_level": "warn"})");
  auto c = load_ok({{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}, {"TRAINIA_CONFIG", file}, {"PORT", "4321"}});
  CHECK(c.port == 4321);
  CHECK(c.admin_port == 9999);
  CHECK(c.rate_limit_burst == 7);
  CHECK(c.log == trainia::log_level::warn);
  std::remove(file.c_str());
}

TEST_CASE("a missing required setting names it", "[config]") {
  CHECK(load_error({{"AUTH_MODE", "dev"}}).find("DATABASE_URL") != std::string::npos);
  auto e = load_error({{"DATABASE_URL", db}});
  CHECK(e.find("CLERK_JWT_KEY") != std::string::npos);
  // Commands that need neither still load.
  load_ok({}, {.need_database = false, .need_auth = false});
}

TEST_CASE("malformed settings name the setting and say what was expected", "[config]") {
  env_map base{{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}};
  auto with = [&](std::string k, std::string v) {
    auto e = base;
    e[k] = v;
    return load_error(e);
  };
  CHECK(with("PORT", "abc").rfind("config error: PORT: expected an integer between 1 and 65535", 0) == 0);
  CHECK(with("PORT", "70000").find("PORT") != std::string::npos);
  CHECK(with("PORT", "").find("PORT") != std::string::npos);
  CHECK(with("PORT", "80 ").find("PORT") != std::string::npos);
  CHECK(with("ADMIN_PORT", "-1").find("ADMIN_PORT") != std::string::npos);
  CHECK(with("DATABASE_POOL_SIZE", "0").find("DATABASE_POOL_SIZE") != std::string::npos);
  CHECK(with("AUTH_MODE", "none").find("AUTH_MODE") != std::string::npos);
  CHECK(with("LOG_LEVEL", "verbose").find("LOG_LEVEL") != std::string::npos);
  CHECK(with("STRIPE_API_BASE", "ftp://x").find("STRIPE_API_BASE") != std::string::npos);
  CHECK(with("OPENAI_BASE_URL", "not a url").find("OPENAI_BASE_URL") != std::string::npos);
  CHECK(with("STRIPE_WEBHOOK_SECRET", "whsec_a,nope").find("STRIPE_WEBHOOK_SECRET") != std::string::npos);
  CHECK(with("CLERK_WEBHOOK_SECRET", "plain").find("CLERK_WEBHOOK_SECRET") != std::string::npos);
  CHECK(with("TRAINIA_RATE_LIMIT_PER_SECOND", "fast").find("TRAINIA_RATE_LIMIT_PER_SECOND") != std::string::npos);
  CHECK(with("TRAINIA_TEST_HOOKS", "yes").find("TRAINIA_TEST_HOOKS") != std::string::npos);
  CHECK(with("PORT", "9090").find("ADMIN_PORT: must differ from PORT") != std::string::npos);
}

TEST_CASE("a secret's value is never echoed in an error", "[config]") {
  auto e = load_error({{"DATABASE_URL", "mysql://root:topsecret@db"}, {"AUTH_MODE", "dev"}});
  CHECK(e.find("DATABASE_URL") != std::string::npos);
  CHECK(e.find("topsecret") == std::string::npos);
}

TEST_CASE("the TRAINIA_CONFIG file is checked: JSON, known keys, no secrets", "[config]") {
  env_map base{{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}};
  auto bad_json = write_temp("{\"port\": ");
  base["TRAINIA_CONFIG"] = bad_json;
  CHECK(load_error(base).find("TRAINIA_CONFIG") != std::string::npos);

  auto unknown = write_temp(R"({"http": {"max_body_byts": 5}})");
  base["TRAINIA_CONFIG"] = unknown;
  CHECK(load_error(base).find("http.max_body_byts: unknown setting") != std::string::npos);

  auto secret = write_temp(R"({"stripe": {"secret_key": "sk_live_x"}})");
  base["TRAINIA_CONFIG"] = secret;
  auto e = load_error(base);
  CHECK(e.find("stripe.secret_key: secrets come only from the environment (STRIPE_SECRET_KEY)") != std::string::npos);
  CHECK(e.find("sk_live_x") == std::string::npos);

  auto wrong_type = write_temp(R"({"port": "8080"})");
  base["TRAINIA_CONFIG"] = wrong_type;
  CHECK(load_error(base).find("config error: port: expected an integer") == 0);

  base["TRAINIA_CONFIG"] = "/nonexistent/trainia.json";
  CHECK(load_error(base).find("cannot read /nonexistent/trainia.json") != std::string::npos);
  for (auto f : {bad_json, unknown, secret, wrong_type}) std::remove(f.c_str());
}

TEST_CASE("lists and rotation secrets parse from comma lists", "[config]") {
  auto c = load_ok({{"DATABASE_URL", db},
                    {"AUTH_MODE", "dev"},
                    {"CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example"},
                    {"STRIPE_WEBHOOK_SECRET", "whsec_old,whsec_new"},
                    {"CLERK_AUTHORIZED_PARTIES", "https://app.example"},
                    {"CLERK_ISSUER", "https://clerk.example"}});
  CHECK(c.cors_allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(c.stripe_webhook_secrets == std::vector<std::string>{"whsec_old", "whsec_new"});
  CHECK(c.clerk_authorized_parties == std::vector<std::string>{"https://app.example"});
  REQUIRE(c.clerk_issuer);
  CHECK(*c.clerk_issuer == "https://clerk.example");
}

TEST_CASE("AI pipeline settings: defaults, environment, file and bounds", "[config][ai]") {
  auto d = load_ok({{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}});
  CHECK(d.ai_models.empty());
  CHECK(d.ai_concurrency == 32);
  CHECK(d.ai_queue_limit == 1000);
  CHECK(d.ai_max_attempts == 5);
  CHECK(d.ai_lease_seconds == 30);
  CHECK(d.ai_call_timeout_ms == 60000);
  CHECK(d.ai_task_deadline_ms == 300000);
  CHECK(d.ai_retry_base_ms == 500);
  CHECK(d.ai_poll_interval_ms == 1000);
  CHECK(d.ai_metrics_interval_ms == 5000);

  auto c = load_ok({{"DATABASE_URL", db},
                    {"AUTH_MODE", "dev"},
                    {"TRAINIA_AI_MODELS", "gpt-4o, llama3.1:8b"},
                    {"TRAINIA_AI_CONCURRENCY", "4"},
                    {"TRAINIA_AI_QUEUE_LIMIT", "10"},
                    {"TRAINIA_AI_MAX_ATTEMPTS", "3"},
                    {"TRAINIA_AI_LEASE_SECONDS", "2"},
                    {"TRAINIA_AI_CALL_TIMEOUT_MS", "1500"},
                    {"TRAINIA_AI_TASK_DEADLINE_MS", "9000"},
                    {"TRAINIA_AI_RETRY_BASE_MS", "20"},
                    {"TRAINIA_AI_POLL_INTERVAL_MS", "50"},
                    {"TRAINIA_AI_METRICS_INTERVAL_MS", "200"}});
  CHECK(c.ai_models == std::vector<std::string>{"gpt-4o", "llama3.1:8b"});
  CHECK(c.ai_concurrency == 4);
  CHECK(c.ai_queue_limit == 10);
  CHECK(c.ai_max_attempts == 3);
  CHECK(c.ai_lease_seconds == 2);
  CHECK(c.ai_call_timeout_ms == 1500);
  CHECK(c.ai_task_deadline_ms == 9000);
  CHECK(c.ai_retry_base_ms == 20);
  CHECK(c.ai_poll_interval_ms == 50);
  CHECK(c.ai_metrics_interval_ms == 200);

  auto file = write_temp(R"({"ai": {"models": ["a", "b"], "concurrency": 7}})");
  auto f = load_ok({{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}, {"TRAINIA_CONFIG", file}});
  CHECK(f.ai_models == std::vector<std::string>{"a", "b"});
  CHECK(f.ai_concurrency == 7);
  std::remove(file.c_str());

  env_map base{{"DATABASE_URL", db}, {"AUTH_MODE", "dev"}};
  auto bad = [&](const char* key, const char* value) {
    auto env = base;
    env[key] = value;
    return load_error(env);
  };
  CHECK(bad("TRAINIA_AI_CONCURRENCY", "0").find("config error: TRAINIA_AI_CONCURRENCY: expected an integer between 1 and") == 0);
  CHECK(bad("TRAINIA_AI_MAX_ATTEMPTS", "101").find("TRAINIA_AI_MAX_ATTEMPTS") != std::string::npos);
  CHECK(bad("TRAINIA_AI_LEASE_SECONDS", "soon").find("TRAINIA_AI_LEASE_SECONDS: expected an integer") != std::string::npos);
  CHECK(bad("TRAINIA_AI_CALL_TIMEOUT_MS", "50").find("TRAINIA_AI_CALL_TIMEOUT_MS") != std::string::npos);
  CHECK(bad("TRAINIA_AI_QUEUE_LIMIT", "-1").find("TRAINIA_AI_QUEUE_LIMIT") != std::string::npos);
}

TEST_CASE("actors.threads 0 starts one scheduler thread per core, at least 2, and a number is taken as it is", "[config]") {
  CHECK(trainia::scheduler_threads(0, 2) == 2);
  CHECK(trainia::scheduler_threads(0, 8) == 8);
  CHECK(trainia::scheduler_threads(0, 1) == 2);
  CHECK(trainia::scheduler_threads(0, 0) == 2);  // hardware_concurrency() may not know
  CHECK(trainia::scheduler_threads(1, 8) == 1);
  CHECK(trainia::scheduler_threads(6, 2) == 6);
}
