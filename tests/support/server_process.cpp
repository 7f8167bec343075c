#include "support/server_process.hpp"

#include "support/http_client.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace trainia::test {

child_process child_process::start(const process_options& opts) {
  std::vector<std::string> env_strings;
  for (const char* k : {"PATH", "HOME", "LANG", "TRAINIA_TEST_TMP"})
    if (const char* v = std::getenv(k)) env_strings.push_back(std::string(k) + "=" + v);
  for (const auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{opts.binary};
  argv_strings.insert(argv_strings.end(), opts.args.begin(), opts.args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    // Signals blocked in the test thread must not stay blocked in the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = opts.log_path.empty() ? open("/dev/null", O_WRONLY)
                                   : open(opts.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 3; i < static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 65536)); ++i) close(i);
    execve(opts.binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return child_process(pid);
}

child_process::child_process(child_process&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }

child_process& child_process::operator=(child_process&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && running()) kill_hard();
    pid_ = o.pid_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

child_process::~child_process() {
  if (pid_ > 0 && running()) kill_hard();
}

void child_process::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool child_process::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  int r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

void child_process::kill_hard() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  status_ = 128 + SIGKILL;
}

uint16_t free_port() {
  static std::mutex mx;
  static std::set<uint16_t> used;
  std::lock_guard<std::mutex> g(mx);
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    uint16_t p = ntohs(a.sin_port);
    if (used.insert(p).second) return p;
  }
  throw std::runtime_error("no free port");
}

bool wait_for_http(uint16_t port, const std::string& path, std::chrono::milliseconds timeout, int expect_status) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    try {
      http_client c("127.0.0.1", port);
      if (c.request("GET", path, "", {}, std::chrono::milliseconds(1000)).status == expect_status) return true;
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

std::string trainia_binary() {
  const char* v = std::getenv("TRAINIA_BIN");
  if (!v || !*v) throw std::runtime_error("TRAINIA_BIN is not set: run the tests through scripts/test");
  return v;
}

}  // namespace trainia::test
