#include "app/cli.hpp"

#include "app/commands.hpp"
#include "app/serve.hpp"
#include "billing/reconcile.hpp"
#include "config/config.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace trainia {

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "trainia %s — the backend of an AI-automation SaaS\n\n"
               "usage:\n"
               "  trainia [serve]             run the HTTP server (public and operator listeners)\n"
               "  trainia migrate [up]        apply pending database migrations\n"
               "  trainia migrate status      list applied and pending migrations\n"
               "  trainia dev-token USER_ID   print a session token for AUTH_MODE=dev\n"
               "  trainia stripe reconcile    apply Stripe's undelivered events and customers' subscriptions\n"
               "  trainia --help | --version\n\n"
               "configuration: config/default.json (built in), the JSON file named by TRAINIA_CONFIG,\n"
               "then environment variables, which win:\n",
               TRAINIA_VERSION);
  for (const auto& d : setting_docs())
    std::fprintf(out, "  %-32s %-28s %s%s\n", d.env.c_str(), d.key.c_str(), d.description.c_str(),
                 d.secret ? " (secret: environment only)" : "");
}

std::optional<config> load(const load_options& opts) {
  std::string err;
  auto cfg = load_config(process_env(), opts, err);
  if (!cfg) std::fprintf(stderr, "%s\n", err.c_str());
  return cfg;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string cmd = args.empty() ? "serve" : args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version") {
    std::printf("trainia %s\n", TRAINIA_VERSION);
    return 0;
  }
  if (cmd == "serve") {
    if (args.size() > 1) {
      std::fprintf(stderr, "serve takes no arguments\n");
      return 2;
    }
    auto cfg = load({});
    return cfg ? serve(*cfg) : 2;
  }
  if (cmd == "migrate") {
    std::string sub = args.size() > 1 ? args[1] : "up";
    if (args.size() > 2 || (sub != "up" && sub != "status")) {
      std::fprintf(stderr, "usage: trainia migrate [up|status]\n");
      return 2;
    }
    auto cfg = load({.need_database = true, .need_auth = false});
    if (!cfg) return 2;
    return sub == "up" ? migrate_up_command(*cfg) : migrate_status_command(*cfg);
  }
  if (cmd == "dev-token") {
    if (args.size() != 2) {
      std::fprintf(stderr, "usage: trainia dev-token USER_ID\n");
      return 2;
    }
    auto cfg = load({.need_database = false, .need_auth = false});
    return cfg ? dev_token_command(*cfg, args[1]) : 2;
  }
  if (cmd == "stripe") {
    if (args.size() != 2 || args[1] != "reconcile") {
      std::fprintf(stderr, "usage: trainia stripe reconcile\n");
      return 2;
    }
    auto cfg = load({.need_database = true, .need_auth = false});
    return cfg ? billing::reconcile_command(*cfg) : 2;
  }
  std::fprintf(stderr, "unknown command '%s' (try --help)\n", cmd.c_str());
  return 2;
}

}  // namespace trainia
