#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainia::test {

struct process_options {
  std::string binary;
  std::vector<std::string> args;
  /// Added on top of a minimal environment (PATH, HOME, LANG).
  std::map<std::string, std::string> env;
  /// stdout and stderr are appended here ("" → /dev/null).
  std::string log_path;
};

/// A child process in its own process group. The destructor kills (SIGKILL)
/// and reaps it if it is still running.
class child_process {
 public:
  static child_process start(const process_options& opts);
  child_process(child_process&& o) noexcept;
  child_process& operator=(child_process&& o) noexcept;
  child_process(const child_process&) = delete;
  ~child_process();

  int pid() const { return pid_; }
  void signal(int sig);
  /// The exit status (or 128+signal) once it exits, or nullopt after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void kill_hard();
  bool running();

 private:
  explicit child_process(int pid) : pid_(pid) {}
  int pid_ = -1;
  std::optional<int> status_;
};

/// A port on 127.0.0.1 that was free a moment ago; never the same twice in
/// one test process.
uint16_t free_port();

/// Polls GET `path` on 127.0.0.1:`port` until it answers `expect_status`.
bool wait_for_http(uint16_t port, const std::string& path, std::chrono::milliseconds timeout, int expect_status = 200);

/// The server binary under test ($TRAINIA_BIN).
std::string trainia_binary();

}  // namespace trainia::test
