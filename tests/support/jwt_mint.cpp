#include "support/jwt_mint.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace trainia::test {

namespace {

std::string unique_path(const std::string& stem) {
  static std::atomic<unsigned> counter{0};
  return scratch_dir() + "/" + stem + "-" + std::to_string(counter.fetch_add(1));
}

struct scratch_holder {
  std::string path;
  scratch_holder() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/trainia-jwt-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    path = tmpl;
  }
  ~scratch_holder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// What a finished command left: exit status (-1 if killed), stdout, stderr.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};

/// Runs argv[0] (searched in PATH, no shell) with stdin from /dev/null and
/// stdout/stderr captured through files in scratch_dir().
run_result run(const std::vector<std::string>& argv) {
  const std::string out_path = unique_path("stdout");
  const std::string err_path = unique_path("stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  run_result r;
  r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return r;
}

const char* digest_flag(jwt_alg alg) {
  switch (alg) {
    case jwt_alg::rs384: return "-sha384";
    case jwt_alg::rs512: return "-sha512";
    default: return "-sha256";
  }
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

/// Minimal big-endian bytes of a non-negative decimal number.
std::string decimal_to_bytes(unsigned long long v) {
  std::string out;
  while (v > 0) {
    out.insert(out.begin(), static_cast<char>(v & 0xFF));
    v >>= 8;
  }
  return out.empty() ? std::string(1, '\0') : out;
}

}  // namespace

std::string b64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  while (i + 2 < bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
    i += 3;
  }
  if (bytes.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

std::string hex_to_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("odd-length hex");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error(std::string("bad hex digit ") + c);
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

const std::string& scratch_dir() {
  static const scratch_holder holder;
  return holder.path;
}

std::string make_temp_dir() {
  const std::string dir = unique_path("dir");
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string run_openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  if (r.status != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + cmd + "\n" +
                             r.err);
  }
  return r.out;
}

rsa_key_files make_rsa_key(const std::string& dir, const std::string& name, int bits) {
  rsa_key_files k{dir + "/" + name + ".pem", dir + "/" + name + ".pub.pem"};
  run_openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt",
               "rsa_keygen_bits:" + std::to_string(bits), "-out", k.private_pem});
  run_openssl({"pkey", "-in", k.private_pem, "-pubout", "-out", k.public_pem});
  return k;
}

const rsa_key_files& test_key(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, rsa_key_files> keys;
  std::lock_guard lock(mutex);
  auto it = keys.find(name);
  if (it == keys.end()) it = keys.emplace(name, make_rsa_key(scratch_dir(), "test-" + name)).first;
  return it->second;
}

std::string hmac_sha256(std::string_view data, std::string_view secret) {
  const std::string in = unique_path("hmac-in");
  const std::string out = unique_path("hmac-out");
  write_file(in, data);
  run_openssl({"dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + to_hex(secret),
               "-binary", "-out", out, in});
  std::string mac = read_file(out);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return mac;
}

std::string sign_bytes(std::string_view data, const std::string& private_key_pem_path,
                       jwt_alg alg) {
  if (alg == jwt_alg::none) return {};
  if (alg == jwt_alg::hs256) return hmac_sha256(data, read_file(private_key_pem_path));
  const std::string in = unique_path("sign-in");
  const std::string out = unique_path("sign-out");
  write_file(in, data);
  run_openssl({"dgst", digest_flag(alg), "-sign", private_key_pem_path, "-binary", "-out", out, in});
  std::string sig = read_file(out);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return sig;
}

std::string signing_input(std::string_view header_json, std::string_view payload_json) {
  return b64url(header_json) + "." + b64url(payload_json);
}

std::string mint_jwt(const std::string& header_json, const std::string& payload_json,
                     const std::string& key_path, jwt_alg alg) {
  const std::string input = signing_input(header_json, payload_json);
  return input + "." + b64url(sign_bytes(input, key_path, alg));
}

std::string mint_hs256(const std::string& header_json, const std::string& payload_json,
                       std::string_view secret) {
  const std::string input = signing_input(header_json, payload_json);
  return input + "." + b64url(hmac_sha256(input, secret));
}

std::string join_segments(const std::vector<std::string>& segments) {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += segments[i];
  }
  return out;
}

std::string jwk_json(const std::string& public_pem_path, const std::string& kid) {
  // "Modulus=C0FFEE...\n"
  std::string modulus = run_openssl({"rsa", "-pubin", "-in", public_pem_path, "-modulus", "-noout"});
  const auto eq = modulus.find('=');
  if (eq == std::string::npos) throw std::runtime_error("unexpected -modulus output: " + modulus);
  modulus = modulus.substr(eq + 1);
  while (!modulus.empty() && (modulus.back() == '\n' || modulus.back() == '\r')) modulus.pop_back();
  if (modulus.size() % 2 != 0) modulus.insert(modulus.begin(), '0');
  // "Exponent: 65537 (0x10001)"
  const std::string text = run_openssl({"rsa", "-pubin", "-in", public_pem_path, "-text", "-noout"});
  const auto at = text.find("Exponent:");
  if (at == std::string::npos) throw std::runtime_error("no Exponent in: " + text);
  const unsigned long long e = std::stoull(text.substr(at + 9));
  nlohmann::json jwk = {{"kty", "RSA"}, {"use", "sig"}, {"alg", "RS256"},
                        {"n", b64url(hex_to_bytes(modulus))}, {"e", b64url(decimal_to_bytes(e))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk.dump();
}

std::string jwks_json(const std::vector<std::string>& jwk_objects) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < jwk_objects.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += jwk_objects[i];
  }
  return out + "]}";
}

std::string pkcs1_public_pem(const std::string& public_pem_path) {
  return run_openssl({"rsa", "-pubin", "-in", public_pem_path, "-RSAPublicKey_out"});
}

}  // namespace trainia::test
