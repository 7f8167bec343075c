// Access lines are buffered per thread and written whole, in order, by size,
// before the thread's next unbuffered line, by the flusher, and by flush().
#include "observability/log.hpp"
#include "support/poll.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace trainia;

namespace {

/// Sends fd 2 to a fresh file while alive; `text()` reads what it holds.
class stderr_capture {
 public:
  stderr_capture() {
    log::flush();  // lines buffered before the capture are not ours
    char name[] = "/tmp/trainia-log-test-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    path_ = name;
    saved_ = dup(2);
    dup2(fd, 2);
    close(fd);
  }
  ~stderr_capture() {
    log::flush();
    dup2(saved_, 2);
    close(saved_);
    std::remove(path_.c_str());
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<nlohmann::json> lines() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(text());
    std::string l;
    while (std::getline(in, l)) out.push_back(nlohmann::json::parse(l));  // throws on a torn line
    return out;
  }

 private:
  std::string path_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("access lines are written whole and in order by flush()", "[observability][log]") {
  log::set_level(log_level::info);
  stderr_capture cap;
  for (int i = 0; i < 100; ++i) log::access("request", {{"n", i}, {"route", "/api/users/profile"}});
  log::flush();
  auto lines = cap.lines();
  REQUIRE(lines.size() == 100);
  for (int i = 0; i < 100; ++i) {
    CHECK(lines[i]["msg"] == "request");
    CHECK(lines[i]["level"] == "info");
    CHECK(lines[i]["n"] == i);
  }
}

TEST_CASE("a thread's unbuffered line comes after its buffered access lines", "[observability][log]") {
  log::set_level(log_level::info);
  stderr_capture cap;
  log::access("request", {{"n", 1}});
  log::access("request", {{"n", 2}});
  log::warn("something happened", {{"n", 3}});
  // No flush: the warning took the thread's buffered lines with it.
  auto lines = cap.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["n"] == 1);
  CHECK(lines[1]["n"] == 2);
  CHECK(lines[2]["msg"] == "something happened");
  CHECK(lines[2]["level"] == "warn");
}

TEST_CASE("access lines reach the log without flush() (the flusher writes them)", "[observability][log]") {
  log::set_level(log_level::info);
  stderr_capture cap;
  log::access("request", {{"request_id", "flushed-by-the-flusher"}});
  CHECK(test::poll_until([&] { return cap.text().find("flushed-by-the-flusher") != std::string::npos; },
                         std::chrono::seconds(5)));
}

TEST_CASE("access lines of many threads are all written, whole, each thread's in order", "[observability][log]") {
  log::set_level(log_level::info);
  stderr_capture cap;
  constexpr int threads = 4, per_thread = 3000;  // several 4 KB buffers each
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([t] {
      for (int i = 0; i < per_thread; ++i)
        log::access("request", {{"thread", t}, {"n", i}, {"route", "/api/ai/tasks/{id}"}});
    });
  for (auto& t : ts) t.join();
  log::flush();
  auto lines = cap.lines();
  REQUIRE(lines.size() == static_cast<size_t>(threads * per_thread));
  std::vector<int> next(threads, 0);
  for (const auto& l : lines) {
    int t = l["thread"];
    CHECK(l["n"] == next[t]);
    next[t] = l["n"].get<int>() + 1;
  }
  for (int t = 0; t < threads; ++t) CHECK(next[t] == per_thread);
}

TEST_CASE("below LOG_LEVEL info, access lines are not written", "[observability][log]") {
  stderr_capture cap;
  log::set_level(log_level::warn);
  log::access("request", {{"n", 1}});
  log::flush();
  log::set_level(log_level::info);
  CHECK(cap.text().empty());
}
