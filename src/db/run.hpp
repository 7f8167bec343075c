#pragma once

#include "actors/atoms.hpp"
#include "db/job.hpp"

#include <caf/actor.hpp>
#include <caf/message.hpp>

namespace trainia::db {

/// Sends `fn` to `pool` as a job and returns the response handle; attach
/// `.then([](T& reply) {...}, [](caf::error& e) {...})` where T is what `fn`
/// returns inside `make_message`. The pool always answers (a result, or an
/// error when the database is unreachable or busy), so no CAF time-out is set.
template <class Self, class F>
auto run(Self* self, const caf::actor& pool, access who, std::string label, F fn) {
  return self->request(pool, caf::infinite, db_exec_atom::value,
                       job{std::move(who), std::move(label), std::function<caf::message(tx&)>(std::move(fn))});
}

}  // namespace trainia::db
