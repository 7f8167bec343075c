#include "db/statement.hpp"

#include "core/embedded_files.hpp"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <sstream>

namespace trainia::db {
namespace {

struct catalog {
  std::deque<statement> all;  // stable addresses
  catalog() {
    uint32_t id = 0;
    for (const auto& f : embedded_sql()) {
      std::string_view name = f.name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".sql") name.remove_suffix(4);
      all.push_back(statement{name, f.text, id++});
    }
  }
};

const catalog& the_catalog() {
  static const catalog c;
  return c;
}

}  // namespace

const statement& sql(std::string_view name) {
  for (const auto& s : the_catalog().all)
    if (s.name == name) return s;
  std::fprintf(stderr, "fatal: no SQL statement named %.*s\n", static_cast<int>(name.size()), name.data());
  std::abort();
}

size_t statement_count() { return the_catalog().all.size(); }

param::param(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  v_ = o.str();
}

}  // namespace trainia::db
