#include "support/private_cluster.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace trainia::test {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

uint16_t pick_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

std::string private_cluster::run_as(const std::string& cmd) const {
  auto user = env_or("TRAINIA_TEST_PG_RUN_AS", "");
  return user.empty() ? cmd : "runuser -u " + user + " -- " + cmd;
}

private_cluster::private_cluster() {
  auto pg_ctl = env_or("TRAINIA_TEST_PG_CTL", "/usr/lib/postgresql/15/bin/pg_ctl");
  bin_ = pg_ctl.substr(0, pg_ctl.rfind('/'));
  char tmpl[] = "/tmp/trainia-pgpriv-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  data_ = dir_ + "/data";
  log_ = dir_ + "/pg.log";
  sh("chmod 755 " + dir_);
  auto user = env_or("TRAINIA_TEST_PG_RUN_AS", "");
  if (!user.empty()) sh("chown " + user + " " + dir_);
  if (sh(run_as(bin_ + "/initdb -D " + data_ + " -U postgres -A trust -E UTF8 >/dev/null 2>&1")) != 0)
    throw std::runtime_error("initdb failed in " + dir_);
  port_ = pick_port();
  start();
}

private_cluster::~private_cluster() {
  stop();
  sh("rm -rf " + dir_);
}

std::string private_cluster::url(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

void private_cluster::start() {
  auto opts = "-p " + std::to_string(port_) + " -k " + data_ +
              " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100";
  if (sh(run_as(bin_ + "/pg_ctl -D " + data_ + " -o '" + opts + "' -l " + log_ + " -w -t 60 start >/dev/null 2>&1")) !=
      0)
    throw std::runtime_error("pg_ctl start failed (log " + log_ + ")");
  running_ = true;
}

void private_cluster::stop() {
  if (!running_) return;
  sh(run_as(bin_ + "/pg_ctl -D " + data_ + " -m fast -w -t 60 stop >/dev/null 2>&1"));
  running_ = false;
}

void private_cluster::psql(const std::string& sql, const std::string& db) {
  auto cmd = bin_ + "/psql -q -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres -d " + db +
             " -v ON_ERROR_STOP=1 -c \"" + sql + "\" >/dev/null";
  if (sh(cmd) != 0) throw std::runtime_error("psql failed: " + sql);
}

std::string private_cluster::create_database(const std::string& name) {
  psql("CREATE DATABASE " + name);
  return url(name);
}

}  // namespace trainia::test
