#include "ai/worker.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "ai/pipeline.hpp"
#include "ai/recorder.hpp"
#include "ai/task_store.hpp"
#include "core/error.hpp"
#include "db/run.hpp"
#include "net/actor_call.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

namespace trainia::ai {

namespace {

using clock = std::chrono::steady_clock;
constexpr int max_save_failures = 20;
constexpr std::chrono::milliseconds save_retry_delay{500};

void save(worker_pointer self);

void report(worker_pointer self, task_doc doc) {
  auto& st = self->state;
  auto id = st.current->id;
  st.current.reset();
  st.input.reset();
  st.unsaved.reset();
  *st.call = {};
  st.info->state("idle");
  self->send(st.dispatcher, ai_done_atom::value, std::move(id), std::move(doc));
}

/// Persists `o` (the lease holder's final write) and tells the dispatcher.
/// `slot_told`: the provider call's end already freed the run's slot (see
/// start()).
void conclude(worker_pointer self, call_outcome o, bool slot_told = false) {
  auto& st = self->state;
  const auto& t = *st.current;
  if (o.misconfigured)
    log::error("AI provider rejected the call: check OPENAI_API_KEY / OPENAI_BASE_URL / ai.models",
               {{"task_id", t.id}, {"detail", o.log_note}});
  else if (o.status == "failed")
    log::warn("AI task failed", {{"task_id", t.id},
                                 {"user_id", t.user_id},
                                 {"reason", o.error_message},
                                 {"detail", o.log_note},
                                 {"refund", o.refund}});
  st.unsaved = std::move(o);
  st.save_failures = 0;
  // The provider is done with this run: its concurrency slot can serve the
  // next task while the outcome is written.
  if (!slot_told) self->send(st.dispatcher, ai_called_atom::value, t.id);
  if (t.uncommitted) {
    st.info->state("awaiting commit");  // the row is not durable yet: saved once it is
    return;
  }
  st.info->state("saving");
  save(self);
}

void save(worker_pointer self) {
  auto& st = self->state;
  auto gen = st.gen;
  // Attempts so far: those before this claim, plus this run's.
  finish_request req;
  req.task_id = st.current->id;
  req.attempts = st.current->attempts - 1 + std::max(st.unsaved->attempts, 1);
  req.outcome = *st.unsaved;
  self->request(st.recorder, caf::infinite, ai_finish_atom::value, std::move(req))
      .then(
          [self, gen](task_doc& doc) {
            if (self->state.gen != gen || !self->state.unsaved) return;
            report(self, std::move(doc));
          },
          [self, gen](const caf::error& e) {
            auto& st = self->state;
            if (st.gen != gen || !st.unsaved) return;
            if (++st.save_failures >= max_save_failures) {
              // The lease runs out and another claim runs the task again.
              log::error("AI task outcome could not be saved; its lease will expire",
                         {{"task_id", st.current->id}, {"error", self->system().render(e)}});
              report(self, task_doc{});
              return;
            }
            self->delayed_send(self, save_retry_delay, ai_retry_atom::value, gen);
          });
}

void start(worker_pointer self, claimed_task t) {
  auto& st = self->state;
  st.current = std::move(t);
  st.input.reset();
  st.unsaved.reset();
  st.cancel_requested = false;
  ++st.gen;
  st.info->state("busy");
  const auto& task = *st.current;
  if (task.cancel_requested) {
    call_outcome o;
    o.status = "cancelled";
    return conclude(self, std::move(o));
  }
  st.input = input_from_json(task.input_json);
  if (!st.input) {
    call_outcome o;
    o.status = "failed";
    o.error_message = "the task's input could not be read";
    o.refund = true;
    return conclude(self, std::move(o));
  }
  if (st.pipe->cfg.enable_test_hooks && st.input->prompt == crash_prompt && task.attempts <= 1)
    throw std::runtime_error("injected AI worker crash");
  const auto& prov = st.pipe->provider;
  if (prov.kind == provider_kind::echo) return conclude(self, echo_outcome(*st.input));
  if (prov.kind == provider_kind::none || !st.pipe->svc.outbound) {
    call_outcome o;
    o.status = "failed";
    o.error_message = prov.unavailable.empty() ? "the AI provider is not available" : prov.unavailable;
    o.refund = true;
    return conclude(self, std::move(o));
  }
  st.deadline = clock::now() + std::chrono::milliseconds(task.remaining_ms);
  if (task.remaining_ms <= 0) {
    call_outcome o;
    o.status = "failed";
    o.error_message = "the task's deadline passed before it could run";
    o.refund = true;
    return conclude(self, std::move(o));
  }
  // This run may use what the claim left: the attempts before it are spent.
  int budget = std::max(1, task.max_attempts - (task.attempts - 1));
  auto trace = std::make_shared<call_trace>();
  auto gen = st.gen;
  // The call's end frees its slot at once, from the client's thread: the
  // dispatcher does not wait until the response has reached this worker,
  // whose turn may come behind the session actors' in the scheduler's queue
  // (under a burst, that wait kept slots idle).
  auto called = [dispatcher = st.dispatcher, id = task.id, me = self->address()] {
    caf::anon_send(dispatcher, ai_called_atom::value, id, me);
  };
  *st.call =
      net::call_from_actor(self, *st.pipe->svc.outbound, chat_request(prov, *st.input),
                           retry_for(prov, budget, st.deadline, trace, st.pipe->provider_duration),
                           [self, gen, trace](net::outbound_response& r) {
                             auto& st = self->state;
                             if (st.gen != gen || !st.current || st.unsaved) return;
                             conclude(self, finish_call(r, *trace, *st.input, st.deadline, st.pipe->provider_duration),
                                      true);
                           },
                           std::move(called));
}

}  // namespace

caf::behavior ai_worker(worker_pointer self, pipeline* pipe, caf::actor dispatcher, caf::actor recorder,
                        std::string name) {
  auto& st = self->state;
  st.pipe = pipe;
  st.dispatcher = std::move(dispatcher);
  st.recorder = std::move(recorder);
  st.info = pipe->svc.actors.add("ai_worker", name, "ai_dispatcher");
  st.info->state("idle");
  st.call = std::make_shared<net::call_handle>();
  auto info = st.info;
  auto call = st.call;
  auto* svc = &pipe->svc;
  self->attach_functor([svc, info, call](const caf::error&) {
    call->cancel();  // a crashed or stopped worker leaves no provider call running
    svc->actors.remove(info);
  });
  self->set_exception_handler(crash_logger("ai_worker", name));
  self->set_error_handler([](caf::error&) {});
  return {
      [=](ai_run_atom, claimed_task& t) {
        self->state.info->handled();
        start(self, std::move(t));
      },
      [=](ai_cancel_atom, const std::string& id) {
        auto& st = self->state;
        st.info->handled();
        if (!st.current || st.current->id != id || st.unsaved) return;
        st.cancel_requested = true;
        st.call->cancel();  // the reply comes back as cancelled
      },
      [=](ai_commit_atom, const std::string& id, bool ok) {
        auto& st = self->state;
        st.info->handled();
        if (!st.current || st.current->id != id || !st.current->uncommitted) return;
        if (ok) {
          st.current->uncommitted = false;
          if (st.unsaved) {
            st.info->state("saving");
            save(self);
          }
          return;
        }
        // The task was never stored: drop the run (a provider reply still on
        // its way belongs to an older generation and changes nothing).
        ++st.gen;
        st.call->cancel();
        report(self, task_doc{});
      },
      [=](run_atom, net::actor_task& task) {
        self->state.info->handled();
        task();
      },
      [=](ai_retry_atom, uint64_t gen) {
        auto& st = self->state;
        if (st.gen == gen && st.unsaved) save(self);
      },
  };
}

}  // namespace trainia::ai
