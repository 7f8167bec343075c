#pragma once

#include <cstdint>
#include <string>

namespace trainia::test {

/// A fresh directory under /tmp (or $TRAINIA_TEST_TMP).
std::string temp_dir(const std::string& prefix);
/// `n` random bytes as hex.
std::string random_hex(size_t n);
/// Runs a shell command, returns its stdout; sets *exit_code when given.
std::string run_command(const std::string& cmd, int* exit_code = nullptr);
int64_t unix_now();
// Whole-file read_file / write_file live in support/jwt_mint.hpp.

}  // namespace trainia::test
