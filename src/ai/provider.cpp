#include "ai/provider.hpp"

#include "ai/openai_wire.hpp"

#include <random>

namespace trainia::ai {

namespace {

using clock = std::chrono::steady_clock;

double jitter() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

double seconds(clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int64_t count_words(const std::string& s) {
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : s) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace

provider_config choose_provider(const config& cfg, bool have_outbound_client) {
  provider_config p;
  p.call_timeout = std::chrono::milliseconds(cfg.ai_call_timeout_ms);
  p.retry_base = std::chrono::milliseconds(cfg.ai_retry_base_ms);
  if (!cfg.openai_api_key.empty()) {
    if (!have_outbound_client) {
      p.unavailable = "the AI provider cannot be reached (no outbound HTTP client)";
      return p;
    }
    p.kind = provider_kind::openai;
    p.url = cfg.openai_base_url + "/chat/completions";
    p.api_key = cfg.openai_api_key;
    return p;
  }
  if (cfg.auth == auth_mode::dev) {
    p.kind = provider_kind::echo;
    return p;
  }
  p.unavailable = "the AI provider is not configured (OPENAI_API_KEY is unset)";
  return p;
}

net::outbound_request chat_request(const provider_config& p, const task_input& in) {
  net::outbound_request r;
  r.method = "POST";
  r.url = p.url;
  r.headers = {
      {"Authorization", "Bearer " + p.api_key}, {"Content-Type", "application/json"}, {"Accept", "application/json"}};
  r.body = chat_request_body(in);
  r.timeout = p.call_timeout;
  r.connect_timeout = std::min(p.call_timeout, std::chrono::milliseconds(5000));
  return r;
}

provider_reply reply_view(const net::outbound_response& r) {
  provider_reply v;
  v.status = r.status;
  v.timed_out = r.timed_out;
  v.cancelled = r.cancelled;
  v.body = r.body;
  v.retry_after = r.header("retry-after");
  v.retry_after_ms = r.header("retry-after-ms");
  v.network_error = r.error;
  return v;
}

net::retry_options retry_for(const provider_config& p, int budget, clock::time_point deadline,
                             std::shared_ptr<call_trace> trace, obs::histogram* latency) {
  net::retry_options o;
  o.max_attempts = std::max(1, budget);
  o.deadline = deadline;
  o.decide = [trace, latency, deadline, base = p.retry_base, budget = o.max_attempts](
                 const net::outbound_response& r, int attempt) -> std::optional<std::chrono::milliseconds> {
    auto now = clock::now();
    if (latency && !r.cancelled) latency->observe(seconds(now - trace->attempt_started));
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    auto d = decide_retry(reply_view(r), attempt, budget, remaining, base, jitter(), std::time(nullptr));
    if (!d.retry) {
      trace->gave_up = d.gave_up;
      trace->last_observed = true;
      return std::nullopt;
    }
    trace->attempt_started = now + d.delay;
    return d.delay;
  };
  return o;
}

call_outcome finish_call(const net::outbound_response& r, call_trace& trace, const task_input& in,
                         clock::time_point deadline, obs::histogram* latency) {
  auto now = clock::now();
  if (!trace.last_observed && latency && !r.cancelled) latency->observe(seconds(now - trace.attempt_started));
  auto view = reply_view(r);
  std::string gave_up = trace.gave_up;
  if (gave_up.empty() && !r.cancelled && r.status == 0 && now >= deadline)
    gave_up = "the task's deadline passed while waiting for the AI provider";
  auto latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - trace.started).count();
  return outcome_of(view, std::max(r.attempts, r.cancelled ? 0 : 1), latency_ms, gave_up, in.model);
}

call_outcome echo_outcome(const task_input& in) {
  chat_result r;
  r.content = in.prompt;
  r.model = "echo";
  r.finish_reason = "stop";
  r.prompt_tokens = count_words(in.prompt) + (in.system ? count_words(*in.system) : 0);
  r.completion_tokens = count_words(in.prompt);
  r.total_tokens = *r.prompt_tokens + *r.completion_tokens;
  call_outcome o;
  o.status = "succeeded";
  o.result_json = r.to_json();
  o.finish_reason = r.finish_reason;
  o.prompt_tokens = *r.prompt_tokens;
  o.completion_tokens = *r.completion_tokens;
  o.total_tokens = *r.total_tokens;
  o.attempts = 1;
  return o;
}

}  // namespace trainia::ai
