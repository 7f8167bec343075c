#include "actors/crash_log.hpp"

#include "observability/log.hpp"

#include <caf/sec.hpp>

namespace trainia {

std::function<caf::error(std::exception_ptr&)> crash_logger(std::string kind, std::string name) {
  return [kind = std::move(kind), name = std::move(name)](std::exception_ptr& ep) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::error("actor crashed", {{"actor", kind}, {"name", name}, {"reason", what}});
    return caf::make_error(caf::sec::runtime_error, std::move(what));
  };
}

}  // namespace trainia
