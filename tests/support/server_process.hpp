#pragma once
// Child processes (the server under test, helper tools) and local ports.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainia::test {

/// How to start a child process.
struct process_options {
  /// Path of the executable (not searched in PATH).
  std::string binary;
  /// Arguments after argv[0] (which is `binary`).
  std::vector<std::string> args;
  /// Set on top of a clean minimal environment holding only PATH, HOME and
  /// LANG from this process (PATH defaults to /usr/local/bin:/usr/bin:/bin
  /// when unset); entries here win.
  std::map<std::string, std::string> env;
  /// stdout and stderr are both appended to this file (created if needed);
  /// "" sends them to /dev/null. stdin is always /dev/null.
  std::string log_path;
  /// The child's working directory; "" keeps this process's.
  std::string working_dir = {};
};

/// A child process started with fork/execve in its own process group, with
/// every inherited file descriptor other than 0, 1, 2 closed and default
/// signal dispositions and mask. Movable, not copyable, not thread-safe.
/// The destructor SIGKILLs the whole group and reaps the child if it is
/// still running.
class child_process {
 public:
  /// Starts the process. Throws std::runtime_error if the log file cannot be
  /// opened, fork fails, or execve fails (e.g. "no such file": reported
  /// from the child before start returns).
  static child_process start(const process_options& opts);
  child_process(child_process&& o) noexcept;
  child_process& operator=(child_process&& o) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  /// The child's process id (also its process group id); -1 once moved from.
  int pid() const { return pid_; }
  /// Sends `sig` to the process itself (not its group); nothing once it exited.
  void signal(int sig);
  /// Waits up to `timeout` for the process to exit and reaps it. Returns its
  /// exit code, or 128 + the signal number if a signal killed it; nullopt if
  /// it is still running at the end. Once exited, returns the same value again.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// SIGKILLs the process group and reaps the child (no-op once exited).
  void kill_hard();
  /// True until the process has exited (reaps it when it has).
  bool running();

 private:
  explicit child_process(int pid) : pid_(pid) {}
  int pid_ = -1;
  std::optional<int> status_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
/// it, close). One test process never gets the same port twice, nor one that
/// a fake_http_server of this process listens on. Thread-safe; throws
/// std::runtime_error if no port can be found.
uint16_t free_port();

/// Records `port` as handed out in this process; false if it already was.
/// Used by free_port() and fake_http_server. Thread-safe.
bool claim_port(uint16_t port);

/// Polls GET `path` on 127.0.0.1:`port` (fresh connection each attempt)
/// until it answers `expect_status`; false if that did not happen within
/// `timeout`. Connection errors count as "not yet".
bool wait_for_http(uint16_t port, const std::string& path, std::chrono::milliseconds timeout, int expect_status = 200);

/// The server binary under test: $TRAINIA_BIN. Throws std::runtime_error
/// saying how to set it when it is unset or not executable.
std::string trainia_binary();

/// The whole file at `path` (binary); throws std::runtime_error if it cannot
/// be read. (Shared declaration: defined in support/jwt_mint.cpp, which
/// declares the same function.)
std::string read_file(const std::string& path);

}  // namespace trainia::test
