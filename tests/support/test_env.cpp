#include "support/test_env.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>

namespace trainia::test {

std::string temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TRAINIA_TEST_TMP");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("temp_dir: mkdtemp " + tmpl + ": " + std::strerror(errno));
  return tmpl;
}

std::string random_hex(std::size_t n) {
  static thread_local std::mt19937_64 gen{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned>(gen() & 0xff);
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::string run_command(const std::string& cmd, int* exit_code) {
  FILE* p = popen(cmd.c_str(), "re");
  if (!p) throw std::runtime_error("run_command: cannot start: " + cmd + ": " + std::strerror(errno));
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (exit_code) *exit_code = st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace trainia::test
