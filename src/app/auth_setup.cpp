#include "app/auth_setup.hpp"

#include "auth/dev_signer.hpp"

#include <fstream>
#include <sstream>

namespace trainia {

std::unique_ptr<auth::caching_verifier> make_verifier(const config& cfg, std::string& err) {
  std::optional<auth::key_set> keys;
  auth::verify_options opts;
  opts.issuer = cfg.clerk_issuer;
  opts.authorized_parties = cfg.clerk_authorized_parties;
  std::string why;
  if (cfg.auth == auth_mode::dev) {
    auto signer = auth::dev_signer::load_or_create(cfg.dev_key_file, why);
    if (!signer) {
      err = "config error: TRAINIA_DEV_KEY_FILE: " + why;
      return nullptr;
    }
    keys = auth::key_set::from_pem(signer->public_key_pem(), why);
    if (!keys) {
      err = "config error: TRAINIA_DEV_KEY_FILE: " + why;
      return nullptr;
    }
    // Dev tokens are the server's own: pin their issuer whatever CLERK_ISSUER says.
    opts.issuer = std::string(auth::dev_signer::issuer);
  } else if (!cfg.clerk_jwks_file.empty()) {
    std::ifstream in(cfg.clerk_jwks_file);
    if (!in) {
      err = "config error: CLERK_JWKS_FILE: cannot read " + cfg.clerk_jwks_file;
      return nullptr;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    keys = auth::key_set::from_jwks(ss.str(), why);
    if (!keys) {
      err = "config error: CLERK_JWKS_FILE: " + why;
      return nullptr;
    }
  } else {
    keys = auth::key_set::from_pem(cfg.clerk_jwt_key, why);
    if (!keys) {
      err = "config error: CLERK_JWT_KEY: " + why;
      return nullptr;
    }
  }
  return std::make_unique<auth::caching_verifier>(std::make_shared<const auth::key_set>(std::move(*keys)), opts,
                                                  static_cast<size_t>(cfg.auth_cache_entries));
}

}  // namespace trainia
