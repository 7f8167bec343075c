#pragma once

#include "ai/call_outcome.hpp"
#include "ai/retry_policy.hpp"
#include "ai/task_input.hpp"
#include "config/config.hpp"
#include "net/outbound_client.hpp"
#include "observability/metrics.hpp"

#include <chrono>
#include <memory>
#include <string>

/// The AI provider as the workers see it: any OpenAI-compatible
/// `POST {OPENAI_BASE_URL}/chat/completions` through the server's one
/// outbound client (net::call_from_actor), or the built-in `echo` provider of
/// dev mode. Pure functions; the worker actor drives the call.
namespace trainia::ai {

enum class provider_kind { none, echo, openai };

struct provider_config {
  provider_kind kind = provider_kind::none;
  std::string url;  // …/chat/completions
  std::string api_key;
  std::chrono::milliseconds call_timeout{60000};
  std::chrono::milliseconds retry_base{500};
  std::string unavailable;  // kind == none: why (the 503 text on submit)
};

/// OPENAI_API_KEY set → openai (needs the outbound client); unset → echo in
/// AUTH_MODE=dev, else none.
provider_config choose_provider(const config& cfg, bool have_outbound_client);

/// The chat completions request: JSON body, Bearer key, per-attempt time-out.
net::outbound_request chat_request(const provider_config& p, const task_input& in);

/// What one call learns across its attempts; written on the client's thread
/// by the retry decider, read by the worker once the call is done.
struct call_trace {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point attempt_started = started;
  std::string gave_up;  // the retry policy stopped early (deadline)
  bool last_observed = false;
};

/// Retries per ai/retry_policy.hpp, at most `budget` attempts, never past
/// `deadline`; each attempt's duration goes to `latency`.
net::retry_options retry_for(const provider_config& p, int budget, std::chrono::steady_clock::time_point deadline,
                             std::shared_ptr<call_trace> trace, obs::histogram* latency);

/// The policy's view of a response.
provider_reply reply_view(const net::outbound_response& r);

/// The task's outcome once the call delivered `r` (records the last
/// attempt's duration).
call_outcome finish_call(const net::outbound_response& r, call_trace& trace, const task_input& in,
                         std::chrono::steady_clock::time_point deadline, obs::histogram* latency);

/// The echo provider's answer: the prompt back, model "echo".
call_outcome echo_outcome(const task_input& in);

}  // namespace trainia::ai
