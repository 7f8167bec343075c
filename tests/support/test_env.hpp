#pragma once
// Small helpers for tests: temporary directories, random names, shell
// commands, the clock.

#include <cstddef>
#include <cstdint>
#include <string>

namespace trainia::test {

/// Creates a fresh directory `<base>/<prefix>-XXXXXX` (mkdtemp, mode 0700)
/// and returns its path; base is $TRAINIA_TEST_TMP when set (scripts/test
/// removes it afterwards), else /tmp. Not removed automatically. Throws
/// std::runtime_error on failure.
std::string temp_dir(const std::string& prefix);
/// `n` random bytes as 2·n lowercase hex digits (not for cryptography).
/// Thread-safe.
std::string random_hex(std::size_t n);
/// Runs `cmd` with /bin/sh -c (popen) and returns its stdout; stderr is not
/// captured. Stores the exit code in *exit_code when given (128 + signal
/// number if a signal ended the shell). Throws std::runtime_error if the
/// command cannot be started; a non-zero exit is not an error.
std::string run_command(const std::string& cmd, int* exit_code = nullptr);
/// Seconds since the Unix epoch (wall clock).
int64_t unix_now();
// Whole-file read_file / write_file live in support/jwt_mint.hpp (read_file
// is also declared in support/server_process.hpp).

}  // namespace trainia::test
