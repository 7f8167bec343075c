#include "identity/svix_sign.hpp"

#include "support/jwt_mint.hpp"
#include "support/test_env.hpp"

#include <filesystem>
#include <stdexcept>

namespace trainia::test {
namespace {

std::string shell(const std::string& cmd) {
  int code = -1;
  auto out = run_command(cmd, &code);
  if (code != 0) throw std::runtime_error("command failed (" + std::to_string(code) + "): " + cmd);
  return out;
}

std::string temp_file(const std::string& contents) {
  auto path = make_temp_dir() + "/data";
  write_file(path, contents);
  return path;
}

}  // namespace

std::string svix_key_hex(const std::string& secret) {
  auto b64 = secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret;
  auto file = temp_file(b64);
  auto hex = shell("openssl base64 -d -A -in '" + file + "' | od -An -v -tx1 | tr -d ' \\n'");
  std::filesystem::remove_all(std::filesystem::path(file).parent_path());
  if (hex.empty()) throw std::runtime_error("svix_key_hex: openssl decoded nothing");
  return hex;
}

std::string svix_sign(const std::string& secret, const std::string& id, const std::string& timestamp,
                      const std::string& body) {
  auto file = temp_file(id + "." + timestamp + "." + body);
  auto sig = shell("openssl dgst -sha256 -mac HMAC -macopt hexkey:" + svix_key_hex(secret) + " -binary '" + file +
                   "' | base64 -w0");
  std::filesystem::remove_all(std::filesystem::path(file).parent_path());
  return "v1," + sig;
}

}  // namespace trainia::test
