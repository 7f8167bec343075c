#pragma once

#include "ai/retry_policy.hpp"

#include <cstdint>
#include <string>

namespace trainia::ai {

/// How a task's run ended, as the worker persists it.
struct call_outcome {
  std::string status;         // "succeeded", "failed" or "cancelled"
  std::string result_json;    // succeeded: the task's `result`
  std::string error_message;  // failed: public text (the provider's message where it has one)
  std::string finish_reason;
  int64_t prompt_tokens = -1, completion_tokens = -1, total_tokens = -1;  // -1: unknown
  int64_t latency_ms = 0;      // the whole provider call, back-off waits included
  int32_t attempts = 0;        // provider attempts made by this run (≥ 1 unless cancelled before)
  bool refund = false;         // give the run back: the failure is not the user's
  std::string log_note;        // for the server log only (never sent to clients)
  bool misconfigured = false;  // our configuration is wrong (provider 401/403/404): log as an error
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_outcome& x) {
  return f(x.status, x.result_json, x.error_message, x.finish_reason, x.prompt_tokens, x.completion_tokens,
           x.total_tokens, x.latency_ms, x.attempts, x.refund, x.log_note, x.misconfigured);
}

/// Turns the last attempt of a provider call into the task's outcome. Who
/// pays for a failure (`refund`):
///   - the user's: a provider 400, 413 or 422 (their prompt or parameters);
///   - ours, given back: 401 (our key), 403, 404 (a model we allowed),
///     429 insufficient_quota (our provider account), retries exhausted on
///     429/408/409/5xx/time-outs/network errors, the deadline, an answer we
///     cannot read;
///   - a cancelled call is not given back (the provider may have done the work).
/// `gave_up` is the retry policy's reason when it stopped early for the deadline.
call_outcome outcome_of(const provider_reply& last, int attempts, int64_t latency_ms, const std::string& gave_up,
                        const std::string& requested_model);

}  // namespace trainia::ai
