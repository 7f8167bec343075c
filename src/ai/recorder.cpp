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
    // The requests (results included) move into the job; the promises wait here.
    size_t n = std::min(st.queue.size(), recorder_batch_max);
    std::vector<finish_request> reqs;
    auto promises = std::make_shared<std::vector<caf::response_promise>>();
    reqs.reserve(n);
    promises->reserve(n);
    for (size_t i = 0; i < n; ++i) {
      reqs.push_back(std::move(st.queue[i].req));
      promises->push_back(std::move(st.queue[i].promise));
    }
    st.queue.erase(st.queue.begin(), st.queue.begin() + static_cast<std::ptrdiff_t>(n));
    ++st.in_flight;
    db::run(self, pool, {db::role::service, {}, true}, "ai/finish_batch", finish_batch_job(*st.pipe, std::move(reqs)))
        .then(
            [self, promises](std::vector<task_doc>& docs) {
              // One document per request, in their order (finish_batch_job).
              for (size_t i = 0; i < promises->size(); ++i) (*promises)[i].deliver(std::move(docs[i]));
              --self->state.in_flight;
              flush(self);
            },
            [self, promises](caf::error& e) {
              for (auto& rp : *promises) rp.deliver(e);
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
