#pragma once
// Test-side reading of application/x-www-form-urlencoded bodies (what a fake
// Stripe receives), written independently of the server's encoder.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trainia::test {

/// The fields of a form body in order: `+` is a space, `%XX` a byte; throws
/// std::runtime_error on a malformed escape.
std::vector<std::pair<std::string, std::string>> decode_form(const std::string& body);

/// The same as a map (the last value of a repeated key wins).
std::map<std::string, std::string> form_map(const std::string& body);

}  // namespace trainia::test
