#include "app/serve.hpp"

#include "actors/root_supervisor.hpp"
#include "actors/session_supervisor.hpp"
#include "ai/ai_supervisor.hpp"
#include "ai/pipeline.hpp"
#include "app/auth_setup.hpp"
#include "app/routes.hpp"
#include "billing/billing_supervisor.hpp"
#include "core/error.hpp"
#include "core/heap.hpp"
#include "core/sha256.hpp"
#include "db/migrator.hpp"
#include "db/notify_listener.hpp"
#include "db/pool.hpp"
#include "http/server.hpp"
#include "net/outbound_client.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

namespace trainia {

namespace {

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::string make_instance_id() {
  char host[64] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + random_hex(4);
}

db::pool_options pool_opts(const config& cfg, const std::string& name, const std::string& url, int size,
                           const std::string& instance) {
  db::pool_options o;
  o.name = name;
  o.connect.conninfo = url;
  o.connect.connect_timeout_ms = cfg.database_connect_timeout_ms;
  o.connect.statement_timeout_ms = cfg.database_statement_timeout_ms;
  o.connect.application_name = "trainia-" + name;
  o.size = size;
  o.queue_limit = cfg.database_queue_limit;
  o.queue_timeout_ms = cfg.database_queue_timeout_ms;
  o.instance_id = instance;
  return o;
}

/// A profile or subscription changed in another process: drop our copy.
void invalidate_from_notification(services& svc, const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j["user"].is_string()) return;
  if (j["origin"].is_string() && j["origin"].get<std::string>() == svc.instance_id) return;  // our own write
  svc.sessions.invalidate(j["user"].get<std::string>());
}

}  // namespace

int serve(const config& cfg) {
  log::set_level(cfg.log);
  raise_fd_limit();
  heap::configure();
  // Signals are taken synchronously by the main thread; every other thread
  // (CAF, Asio) inherits this mask before it starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string err;
  auto verifier = make_verifier(cfg, err);
  if (!verifier) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  auto plans = billing::plan_catalog::load(cfg.plans_file, err);
  if (!plans) {
    std::fprintf(stderr, "config error: TRAINIA_PLANS_FILE: %s\n", err.c_str());
    return 2;
  }
  obs::registry metrics;
  services svc(cfg, metrics, make_instance_id());
  svc.plans = &*plans;

  caf::actor_system_config caf_cfg;
  caf_cfg.set("scheduler.max-threads",
              static_cast<size_t>(scheduler_threads(cfg.actor_threads, std::thread::hardware_concurrency())));
  caf_cfg.set("scheduler.policy", cfg.actor_scheduler == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  caf_cfg.add_error_category(caf::atom("trainia"), [](uint8_t code, caf::atom_value, const caf::message&) {
    return std::string("trainia:") + code_name(static_cast<errc>(code));
  });
  // The outbound HTTP(S) client (src/net) is created here.
  // Declared before the actor system so it outlives it (actors hold calls).
  // Every provider call in flight (at most ai.concurrency) can go back to an
  // idle keep-alive connection: the next call reuses it instead of opening one.
  net::outbound_client::options outbound_opts;
  outbound_opts.max_idle_per_origin =
    std::max(outbound_opts.max_idle_per_origin, static_cast<size_t>(std::max(0, cfg.ai_concurrency)));
  auto outbound = std::make_unique<net::outbound_client>(outbound_opts);
  svc.outbound = outbound.get();
  auto system = std::make_unique<caf::actor_system>(caf_cfg);
  svc.system = system.get();

  std::vector<child_spec> specs;
  specs.push_back({"db_pool/request",
                   [&](caf::actor_system& sys) {
                     return db::spawn_pool(sys, pool_opts(cfg, "request", cfg.database_url, cfg.database_pool_size,
                                                          svc.instance_id),
                                           svc.actors, "root_supervisor");
                   },
                   &svc.request_db});
  specs.push_back({"db_pool/service",
                   [&](caf::actor_system& sys) {
                     return db::spawn_pool(sys, pool_opts(cfg, "service", cfg.database_service_url,
                                                          cfg.database_service_pool_size, svc.instance_id),
                                           svc.actors, "root_supervisor");
                   },
                   &svc.service_db});
  specs.push_back({"session_supervisor",
                   [&](caf::actor_system& sys) { return sys.spawn(session_supervisor, &svc, std::string("root_supervisor")); },
                   &svc.session_supervisor});
  specs.push_back({"notify_listener",
                   [&](caf::actor_system& sys) {
                     db::notify_options o;
                     o.connect.conninfo = cfg.database_service_url;
                     o.connect.connect_timeout_ms = cfg.database_connect_timeout_ms;
                     o.connect.statement_timeout_ms = cfg.database_statement_timeout_ms;
                     o.connect.application_name = "trainia-listen";
                     o.channels["trainia_user_changed"] = [&svc](const std::string& payload) {
                       invalidate_from_notification(svc, payload);
                     };
                     // A task queued by any process (migration 0008): look for work now.
                     o.channels["trainia_ai_queued"] = [&svc](const std::string&) { ai::wake_dispatcher(svc.ai); };
                     // Notifications sent while we were not listening are lost: drop every
                     // cache, and look at the queue.
                     o.on_reconnect = [&svc] {
                       svc.sessions.invalidate_all();
                       ai::wake_dispatcher(svc.ai);
                     };
                     return db::spawn_notify_listener(sys, std::move(o), svc.actors, "root_supervisor");
                   },
                   nullptr});
  // Children of the root: billing (src/billing)
  specs.push_back({"billing_supervisor",
                   [&](caf::actor_system& sys) { return billing::spawn_billing_supervisor(sys, svc); },
                   &svc.billing});
  // Children of the root: identity (src/identity)
  // Children of the root: AI pipeline (src/ai)
  auto ai_pipeline = std::make_unique<ai::pipeline>(svc);  // outlives the actor system (reset below)
  svc.ai = ai_pipeline.get();
  specs.push_back(ai::supervisor_spec(*ai_pipeline));

  std::atomic<bool> root_failed{false};
  auto root = system->spawn(root_supervisor, &svc, std::move(specs));
  caf::actor_cast<caf::abstract_actor*>(root)->attach_functor([&root_failed](const caf::error& reason) {
    if (reason && reason != caf::exit_reason::user_shutdown) root_failed = true;
  });

  http::app_context app{svc, cfg, verifier.get()};
  auto migrations = db::embedded_migration_list();
  app.latest_migration = migrations.empty() ? 0 : migrations.back().version;
  auto srv = std::make_unique<http::server>(app, api_routes(metrics), admin_routes(metrics));
  if (auto e = srv->start(); !e.empty()) {
    std::fprintf(stderr, "%s\n", e.c_str());
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    root = nullptr;
    srv.reset();
    system->await_all_actors_done();
    return 2;
  }
  log::info("trainia listening", {{"public_port", static_cast<int>(srv->public_port())},
                                  {"admin_port", static_cast<int>(srv->admin_port())},
                                  {"auth_mode", cfg.auth == auth_mode::dev ? "dev" : "clerk"},
                                  {"instance", svc.instance_id},
                                  {"version", TRAINIA_VERSION}});

  int signal_number = 0;
  while (!root_failed.load()) {
    timespec tick{0, 200 * 1000 * 1000};
    int s = sigtimedwait(&stop_signals, nullptr, &tick);
    if (s > 0) {
      signal_number = s;
      break;
    }
  }
  log::info("shutting down", {{"signal", signal_number}, {"root_failed", root_failed.load()}});

  // A watchdog in case some part refuses to stop: never hang on shutdown.
  auto grace = std::chrono::milliseconds(cfg.http_shutdown_grace_ms);
  std::thread([limit = grace + std::chrono::seconds(15)] {
    std::this_thread::sleep_for(limit);
    log::error("shutdown did not finish in time; exiting");
    log::flush();
    std::_Exit(3);
  }).detach();

  srv->drain(grace);                                  // 1. stop accepting, finish in-flight requests
  srv->stop();                                        // 2. stop Asio; dropping connections drops their bridges
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);  // 3. stop the actor tree
  root = nullptr;
  svc.sessions.clear();
  system->await_all_actors_done();
  svc.system = nullptr;
  system.reset();                                     // 4. joins scheduler and detached (pool) threads
  srv.reset();                                        //    the routes outlived every reply that could read them
  svc.outbound = nullptr;
  outbound.reset();                                   // 5. cancels outbound calls left, joins its threads
  log::flush();  // the access lines still buffered by the stopped threads
  log::info("stopped");
  return root_failed.load() ? 1 : 0;
}

}  // namespace trainia
