// Fuzz target "config": the configuration loader (src/config/config.cpp) over a
// fuzzed TRAINIA_CONFIG file and fuzzed environment values, through its
// injectable inputs (the environment map; the file named by TRAINIA_CONFIG).
//
// Input: the file's content, then for each '\0'-separated chunk after it: one
// byte choosing a documented setting's environment variable, then its value.
// Besides "never crash": an error is one line starting "config error: " and
// never repeats the value of a secret setting. To tell an echoed secret from a
// value that merely happens to be part of the error's own text (the fuzzer
// learns those words), every secret value gets a marker appended that no error
// text contains; the check looks for the marker (skipped if the input holds it).

#include "fuzz/fuzz.hpp"

#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

namespace trainia::fuzz {

namespace {

constexpr std::string_view secret_marker = "\x07secret-marker\x07";

const std::string& scratch_file() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string p = std::string(dir && *dir ? dir : "/tmp") + "/trainia-fuzz-config-" + std::to_string(::getpid()) +
                    ".json";
    return p;
  }();
  return path;
}

struct remove_at_exit {
  ~remove_at_exit() { ::unlink(scratch_file().c_str()); }
};

}  // namespace

void config_one(const uint8_t* data, size_t size) {
  static remove_at_exit cleanup;
  const auto& docs = setting_docs();
  auto text = as_text(data, size);
  auto nul = text.find('\0');
  auto file = text.substr(0, nul);
  std::map<std::string, std::string> env;
  bool any_secret = false;
  if (nul != std::string_view::npos) {
    auto rest = text.substr(nul + 1);
    while (!rest.empty()) {
      auto end = rest.find('\0');
      auto chunk = rest.substr(0, end);
      if (!chunk.empty()) {
        const auto& doc = docs[static_cast<unsigned char>(chunk[0]) % docs.size()];
        env[doc.env] = std::string(chunk.substr(1));
        if (doc.secret) {
          env[doc.env] += secret_marker;
          any_secret = true;
        }
      }
      if (end == std::string_view::npos) break;
      rest = rest.substr(end + 1);
    }
  }
  {
    std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  env["TRAINIA_CONFIG"] = scratch_file();
  std::string err;
  auto c = load_config(env, load_options{.need_database = (size % 2) == 0, .need_auth = (size % 3) == 0}, err);
  if (c) {
    FUZZ_CHECK(c->http_max_header_bytes > 0 && c->http_max_body_bytes > 0);
    FUZZ_CHECK(!c->cors_allowed_origins.empty());
  } else {
    FUZZ_CHECK(err.rfind("config error: ", 0) == 0);
    if (any_secret && text.find(secret_marker) == std::string_view::npos)
      FUZZ_CHECK(err.find(secret_marker) == std::string::npos);
  }
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::config_one)
