#include "ops/ops_support.hpp"

#include "support/jwt_mint.hpp"
#include "support/pg.hpp"
#include "support/test_env.hpp"

#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace trainia::test::ops {

namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("deploy/nginx.conf no longer contains '" + from + "'");
  text.replace(at, from.size(), to);
}

}  // namespace

std::string source_root() {
  if (const char* d = std::getenv("TRAINIA_SOURCE_DIR"); d && *d) return d;
  char real[PATH_MAX];
  if (!::realpath(trainia_binary().c_str(), real)) throw std::runtime_error("cannot resolve TRAINIA_BIN");
  std::string dir = real;
  while (dir.size() > 1) {
    dir = dir.substr(0, dir.rfind('/'));
    if (dir.empty()) dir = "/";
    if (exists(dir + "/scripts/backup") && exists(dir + "/deploy/nginx.conf")) return dir;
  }
  throw std::runtime_error("source tree not found above TRAINIA_BIN; set TRAINIA_SOURCE_DIR");
}

prom_document scrape(const trainia_server& s) {
  auto r = s.admin().get("/metrics");
  if (r.status != 200) throw std::runtime_error("/metrics answered " + std::to_string(r.status));
  return parse_prometheus(r.body);
}

double sum_of(const prom_document& d, const std::string& name, const std::map<std::string, std::string>& match) {
  double total = 0;
  for (const auto& [fname, f] : d.families)
    for (const auto& s : f.samples) {
      if (s.name != name) continue;
      bool ok = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) ok = false;
      }
      if (ok) total += s.value;
    }
  return total;
}

nginx_proxy::nginx_proxy(uint16_t upstream_a, uint16_t upstream_b) {
  const std::string binary = "/usr/sbin/nginx";
  if (!exists(binary)) throw std::runtime_error("nginx is not installed (scripts/lib.sh installs nginx-light)");
  dir_ = temp_dir("trainia-nginx");
  port_ = free_port();
  // The shipped file, with the test's ports: upstreams, then the listener.
  std::string site = read_file(source_root() + "/deploy/nginx.conf");
  replace_once(site, "server 127.0.0.1:8081", "server 127.0.0.1:" + std::to_string(upstream_a));
  replace_once(site, "server 127.0.0.1:8082", "server 127.0.0.1:" + std::to_string(upstream_b));
  replace_once(site, "listen 8080;", "listen 127.0.0.1:" + std::to_string(port_) + ";");
  // What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf, with
  // every file of this run kept in dir_.
  conf_ = std::string(::geteuid() == 0 ? "user root;\n" : "") + "worker_processes 1;\n" + "pid " + dir_ +
          "/nginx.pid;\n" + "error_log " + dir_ + "/error.log info;\n" + "events { worker_connections 512; }\n" +
          "http {\n" + "  access_log " + dir_ + "/access.log;\n" + "  client_body_temp_path " + dir_ + "/body;\n" +
          "  proxy_temp_path " + dir_ + "/proxy;\n" + "  fastcgi_temp_path " + dir_ + "/fastcgi;\n" +
          "  uwsgi_temp_path " + dir_ + "/uwsgi;\n" + "  scgi_temp_path " + dir_ + "/scgi;\n" + site + "}\n";
  write_file(dir_ + "/nginx.conf", conf_);
  proc_ = std::make_unique<child_process>(child_process::start(
    {binary, {"-p", dir_, "-c", dir_ + "/nginx.conf", "-g", "daemon off;"}, {}, dir_ + "/stdout.log"}));
  // Any path answers once nginx listens (404 from the operator-path rule or a
  // proxied answer); poll the listening socket.
  for (int i = 0; i < 200; ++i) {
    try {
      http_client c("127.0.0.1", port_);
      c.request("GET", "/metrics", "", {}, std::chrono::seconds(2));
      return;
    } catch (const std::exception&) {
      if (!proc_->running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  throw std::runtime_error("nginx did not start; error log:\n" + error_log() + "\n" + read_file(dir_ + "/stdout.log"));
}

nginx_proxy::~nginx_proxy() {
  if (proc_ && proc_->running()) {
    proc_->signal(SIGQUIT);  // graceful shutdown
    if (!proc_->wait(std::chrono::seconds(10))) proc_->kill_hard();
  }
  run_command("rm -rf " + sh_quote(dir_));
}

std::string nginx_proxy::error_log() const {
  try {
    return read_file(dir_ + "/error.log");
  } catch (...) {
    return {};
  }
}

std::map<std::string, table_digest> table_digests(const std::string& url) {
  pg db(url);
  std::map<std::string, table_digest> out;
  auto tables = db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  for (const auto& t : tables) {
    auto name = t[0].value();
    // Run as the superuser (RLS does not apply); rows compared by their text.
    auto r = db.query("SELECT count(*), coalesce(md5(string_agg(x.t, E'\\n' ORDER BY x.t)), '') FROM (SELECT r::text AS t FROM public.\"" +
                      name + "\" r) x");
    out[name] = {std::stoll(r.at(0, "count").value()), r[0][1].value_or("")};
  }
  return out;
}

shell_result shell(const std::string& cmd) {
  shell_result r;
  r.output = run_command("(" + cmd + ") 2>&1", &r.exit_code);
  return r;
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace trainia::test::ops
