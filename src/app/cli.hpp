#pragma once

namespace trainia {

/// Parses the command line and runs a command: serve (default), migrate
/// [up|status], dev-token USER_ID, --help, --version. Returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace trainia
