#include "support/server_process.hpp"

#include "support/http_client.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace trainia::test {

using clock_type = std::chrono::steady_clock;

namespace {

std::string errno_text(int e = errno) {
  return std::strerror(e);
}

/// Closes every descriptor >= 3 except `keep`. Async-signal-safe.
void close_inherited_fds(int keep) {
  bool ok = true;
  if (keep > 3) ok = close_range(3, static_cast<unsigned>(keep) - 1, 0) == 0;
  if (ok) ok = close_range(static_cast<unsigned>(keep) + 1, ~0u, 0) == 0;
  if (ok) return;
  rlimit rl{};
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                ? static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20))
                : 65536;
  for (int fd = 3; fd < max; ++fd)
    if (fd != keep) close(fd);
}

/// The child side of start(); only async-signal-safe calls after fork().
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, const char* dir, int in_fd,
                             int out_fd, int err_pipe) {
  setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  close_inherited_fds(err_pipe);
  if (*dir == 0 || chdir(dir) == 0) execve(path, argv, envp);
  int e = errno;
  [[maybe_unused]] auto n = write(err_pipe, &e, sizeof e);
  _exit(127);
}

int decode(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}

}  // namespace

child_process child_process::start(const process_options& opts) {
  if (opts.binary.empty()) throw std::runtime_error("child_process: no binary given");
  std::map<std::string, std::string> env;
  // The sanitizer settings too, so a sanitized server honours the test run's (scripts/test).
  for (const char* k : {"PATH", "HOME", "LANG", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"})
    if (const char* v = std::getenv(k)) env[k] = v;
  env.emplace("PATH", "/usr/local/bin:/usr/bin:/bin");
  for (const auto& [k, v] : opts.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{opts.binary};
  argv_strings.insert(argv_strings.end(), opts.args.begin(), opts.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const std::string out_path = opts.log_path.empty() ? "/dev/null" : opts.log_path;
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) throw std::runtime_error("child_process: cannot open log " + out_path + ": " + errno_text());
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int err_pipe[2] = {-1, -1};
  if (in_fd < 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    std::string why = errno_text();
    close(out_fd);
    if (in_fd >= 0) close(in_fd);
    throw std::runtime_error("child_process: " + why);
  }
  pid_t pid = fork();
  if (pid == 0)
    exec_child(opts.binary.c_str(), argv.data(), envp.data(), opts.working_dir.c_str(), in_fd, out_fd, err_pipe[1]);
  int fork_errno = errno;
  close(out_fd);
  close(in_fd);
  close(err_pipe[1]);
  if (pid < 0) {
    close(err_pipe[0]);
    throw std::runtime_error("child_process: fork failed: " + errno_text(fork_errno));
  }
  setpgid(pid, pid);  // also here, so the group exists before start() returns (EACCES after exec is fine)
  int child_errno = 0;
  ssize_t n;
  do n = read(err_pipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(err_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int st = 0;
    waitpid(pid, &st, 0);
    throw std::runtime_error("child_process: cannot execute " + opts.binary +
                             (opts.working_dir.empty() ? "" : " in " + opts.working_dir) + ": " +
                             errno_text(child_errno));
  }
  return child_process(pid);
}

child_process::child_process(child_process&& o) noexcept : pid_(o.pid_), status_(o.status_) {
  o.pid_ = -1;
}

child_process& child_process::operator=(child_process&& o) noexcept {
  if (this != &o) {
    kill_hard();
    pid_ = o.pid_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  kill_hard();
}

void child_process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

bool child_process::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_)
    status_ = decode(st);
  else if (r < 0 && errno == ECHILD)
    status_ = -1;  // reaped elsewhere: status unknown
  return !status_;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  if (!running()) return status_;
  // A pidfd becomes readable when the process exits: no polling needed.
  int pfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  auto backoff = std::chrono::milliseconds(1);
  while (running()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) break;
    if (pfd >= 0) {
      pollfd p{pfd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    } else {  // no pidfd support: poll with a growing interval
      std::this_thread::sleep_for(std::min(backoff, left));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(20));
    }
  }
  if (pfd >= 0) close(pfd);
  return running() ? std::nullopt : status_;
}

void child_process::kill_hard() {
  if (!running()) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it left its group
  int st = 0;
  pid_t r;
  do r = waitpid(pid_, &st, 0);
  while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? decode(st) : -1;
}

bool claim_port(uint16_t port) {
  static std::mutex mx;
  static std::set<uint16_t> claimed;
  std::lock_guard<std::mutex> g(mx);
  return claimed.insert(port).second;
}

uint16_t free_port() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("free_port: socket: " + errno_text());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
              ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    int e = errno;
    ::close(fd);
    if (!ok) throw std::runtime_error("free_port: bind 127.0.0.1:0: " + errno_text(e));
    if (uint16_t p = ntohs(a.sin_port); claim_port(p)) return p;
  }
  throw std::runtime_error("free_port: no unclaimed port after 200 attempts");
}

bool wait_for_http(uint16_t port, const std::string& path, std::chrono::milliseconds timeout, int expect_status) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) return false;
    try {
      http_client c("127.0.0.1", port);
      auto attempt = std::clamp(left, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
      if (c.request("GET", path, "", {}, attempt).status == expect_status) return true;
    } catch (const std::runtime_error&) {
      // not listening yet, or too slow: try again
    }
    left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now());
    std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(20)));
  }
}

std::string trainia_binary() {
  const char* v = std::getenv("TRAINIA_BIN");
  if (!v || !*v)
    throw std::runtime_error(
        "TRAINIA_BIN is not set: run the tests through scripts/test, or export "
        "TRAINIA_BIN=/path/to/build/trainia");
  if (access(v, X_OK) != 0) throw std::runtime_error(std::string("TRAINIA_BIN=") + v + " is not an executable file");
  return v;
}

}  // namespace trainia::test
