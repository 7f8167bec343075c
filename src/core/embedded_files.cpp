#include "core/embedded_files.hpp"

namespace trainia {

std::string_view find_embedded(const std::vector<embedded_file>& files, std::string_view name) {
  for (const auto& f : files)
    if (f.name == name) return f.text;
  return {};
}

}  // namespace trainia
