#include "ai/recorder.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "core/error.hpp"
#include "db/run.hpp"

#include <caf/all.hpp>

namespace trainia::ai {

namespace {

void flush(recorder_pointer self) {
  auto& st = self->state;
  while (st.in_flight < recorder_batches_in_flight && !st.queue.empty()) {
    auto pool = st.pipe->svc.service_db.get();
    if (!pool) {
      for (auto& w : st.queue) w.promise.deliver(fail_unavailable("the database is unavailable", 1, "no service pool"));
      st.queue.clear();
      return;
    }
    size_t n = std::min(st.queue.size(), recorder_batch_max);
    auto batch = std::make_shared<std::vector<recorder_state::waiting>>(
        std::make_move_iterator(st.queue.begin()), std::make_move_iterator(st.queue.begin() + static_cast<long>(n)));
    st.queue.erase(st.queue.begin(), st.queue.begin() + static_cast<long>(n));
    std::vector<finish_request> reqs;
    reqs.reserve(batch->size());
    for (const auto& w : *batch) reqs.push_back(w.req);
    ++st.in_flight;
    db::run(self, pool, {db::role::service, {}}, "ai/finish_batch", finish_batch_job(*st.pipe, std::move(reqs)))
        .then(
            [self, batch](std::vector<task_doc>& docs) {
              for (size_t i = 0; i < batch->size(); ++i)
                (*batch)[i].promise.deliver(i < docs.size() ? std::move(docs[i]) : task_doc{});
              --self->state.in_flight;
              flush(self);
            },
            [self, batch](caf::error& e) {
              for (auto& w : *batch) w.promise.deliver(e);
              --self->state.in_flight;
              flush(self);
            });
  }
}

}  // namespace

caf::behavior ai_recorder(recorder_pointer self, pipeline* pipe) {
  auto& st = self->state;
  st.pipe = pipe;
  st.info = pipe->svc.actors.add("ai_recorder", "ai_recorder", "ai_dispatcher");
  st.info->state("running");
  auto info = st.info;
  auto* svc = &pipe->svc;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_exception_handler(crash_logger("ai_recorder", "ai_recorder"));
  self->set_error_handler([](caf::error&) {});
  return {
      [=](ai_finish_atom, finish_request& req) -> caf::result<task_doc> {
        auto& st = self->state;
        st.info->handled();
        auto rp = self->make_response_promise();
        st.queue.push_back({std::move(req), rp});
        st.info->mailbox(static_cast<int64_t>(st.queue.size()));
        flush(self);
        return rp;
      },
  };
}

}  // namespace trainia::ai
