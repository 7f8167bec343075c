#include "auth/dev_signer.hpp"

#include "auth/base64url.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace trainia::auth {

namespace {

constexpr int key_bits = 2048;
constexpr std::uintmax_t max_key_file_bytes = 64 * 1024;

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct bio_deleter {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct decoder_ctx_deleter {
  void operator()(OSSL_DECODER_CTX* p) const noexcept { OSSL_DECODER_CTX_free(p); }
};

using unique_pkey = std::unique_ptr<EVP_PKEY, pkey_deleter>;

std::string errno_text(int e) { return std::strerror(e); }

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string{};
}

std::optional<std::string> private_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return std::nullopt;
  return bio_contents(bio.get());
}

std::optional<std::string> public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return std::nullopt;
  return bio_contents(bio.get());
}

/// Decodes an unencrypted PEM private key; never prompts for a passphrase.
unique_pkey decode_private(const std::string& pem) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, decoder_ctx_deleter> dctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, "RSA", EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!dctx) return nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t len = pem.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1) {
    EVP_PKEY_free(raw);
    return nullptr;
  }
  return unique_pkey(raw);
}

std::optional<std::string> read_small_file(const std::string& path, std::string& err) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    err = "cannot stat dev key file " + path + ": " + ec.message();
    return std::nullopt;
  }
  if (size > max_key_file_bytes) {
    err = "dev key file " + path + " is too large to be a PEM key";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = "cannot open dev key file " + path;
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

/// Writes `pem` to `path` with mode 0600 unless the file already exists.
/// Returns false with `err` set on failure; `existed` tells a lost race.
bool create_key_file(const std::string& path, const std::string& pem, bool& existed,
                     std::string& err) {
  existed = false;
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());  // mode 0600
  if (fd < 0) {
    err = "cannot create temporary key file next to " + path + ": " + errno_text(errno);
    return false;
  }
  const bool written = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0 && write_all(fd, pem) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    err = "cannot write dev key file " + tmp + ": " + errno_text(write_errno);
    return false;
  }
  const int rc = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (link_errno == EEXIST) {
      existed = true;
      return false;
    }
    err = "cannot create dev key file " + path + ": " + errno_text(link_errno);
    return false;
  }
  return true;
}

std::optional<std::shared_ptr<EVP_PKEY>> load_key(const std::string& path, std::string& err) {
  const auto pem = read_small_file(path, err);
  if (!pem) return std::nullopt;
  unique_pkey key = decode_private(*pem);
  ERR_clear_error();
  if (!key) {
    err = "dev key file " + path + " does not hold an unencrypted PEM RSA private key";
    return std::nullopt;
  }
  if (EVP_PKEY_get_bits(key.get()) < key_bits) {
    err = "dev key file " + path + " holds an RSA key shorter than 2048 bits";
    return std::nullopt;
  }
  return std::shared_ptr<EVP_PKEY>(key.release(), pkey_deleter{});
}

std::optional<std::shared_ptr<EVP_PKEY>> create_key(const std::string& path, std::string& err) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      err = "cannot create directory " + p.parent_path().string() + ": " + ec.message();
      return std::nullopt;
    }
  }
  unique_pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(key_bits)));
  if (!key) {
    ERR_clear_error();
    err = "RSA key generation failed";
    return std::nullopt;
  }
  const auto pem = private_pem(key.get());
  if (!pem) {
    ERR_clear_error();
    err = "cannot encode the dev key as PEM";
    return std::nullopt;
  }
  bool existed = false;
  if (!create_key_file(path, *pem, existed, err)) {
    if (existed) return load_key(path, err);  // another process created it first
    return std::nullopt;
  }
  return std::shared_ptr<EVP_PKEY>(key.release(), pkey_deleter{});
}

std::optional<std::string> sign_rs256(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return std::nullopt;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  sig.resize(len);
  return sig;
}

}  // namespace

std::optional<dev_signer> dev_signer::load_or_create(const std::string& path, std::string& err) {
  try {
    if (path.empty()) {
      err = "dev key file path is empty";
      return std::nullopt;
    }
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    if (ec) {
      err = "cannot access dev key file " + path + ": " + ec.message();
      return std::nullopt;
    }
    auto key = exists ? load_key(path, err) : create_key(path, err);
    if (!key) return std::nullopt;
    auto pub = public_pem(key->get());
    if (!pub) {
      ERR_clear_error();
      err = "cannot encode the dev public key as PEM";
      return std::nullopt;
    }
    return dev_signer(std::move(*key), std::move(*pub));
  } catch (const std::exception& ex) {
    err = std::string("dev key: ") + ex.what();
    return std::nullopt;
  }
}

std::string dev_signer::sign(const std::string& user_id, int64_t now, int64_t ttl_seconds) const {
  try {
    unsigned char random[8];
    if (RAND_bytes(random, sizeof random) != 1) {
      ERR_clear_error();
      return {};
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string sid = "dev_";
    for (const unsigned char b : random) {
      sid.push_back(hex[b >> 4]);
      sid.push_back(hex[b & 0xF]);
    }
    const nlohmann::json header = {{"alg", "RS256"}, {"kid", key_id}, {"typ", "JWT"}};
    const nlohmann::json payload = {{"sub", user_id},         {"iat", now},
                                    {"nbf", now},             {"exp", now + ttl_seconds},
                                    {"iss", issuer},          {"sid", sid}};
    std::string token = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
    const auto sig = sign_rs256(key_.get(), token);
    if (!sig) {
      ERR_clear_error();
      return {};
    }
    token.push_back('.');
    token += base64url_encode(*sig);
    return token;
  } catch (...) {
    return {};
  }
}

}  // namespace trainia::auth
