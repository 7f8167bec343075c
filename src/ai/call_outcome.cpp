#include "ai/call_outcome.hpp"

#include "ai/openai_wire.hpp"

namespace trainia::ai {

namespace {

constexpr size_t max_message = 1000;

std::string bounded(std::string s) {
  if (s.size() <= max_message) return s;
  s.resize(max_message);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole code points
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s + "…";
}

std::string provider_text(const provider_reply& r) {
  auto m = error_message_of(r.body);
  if (!m.empty()) return bounded(std::move(m));
  return "the AI provider answered HTTP " + std::to_string(r.status);
}

}  // namespace

call_outcome outcome_of(const provider_reply& last, int attempts, int64_t latency_ms, const std::string& gave_up,
                        const std::string& requested_model) {
  call_outcome o;
  o.attempts = attempts;
  o.latency_ms = latency_ms;
  switch (classify_attempt(last)) {
    case attempt_kind::success: {
      std::string why;
      auto r = parse_chat_response(last.body, requested_model, why);
      if (!r) {
        o.status = "failed";
        o.error_message = "the AI provider's answer could not be read";
        o.refund = true;
        o.log_note = why;
        return o;
      }
      o.status = "succeeded";
      o.result_json = r->to_json();
      o.finish_reason = r->finish_reason;
      o.prompt_tokens = r->prompt_tokens.value_or(-1);
      o.completion_tokens = r->completion_tokens.value_or(-1);
      o.total_tokens = r->total_tokens.value_or(-1);
      return o;
    }
    case attempt_kind::cancelled:
      o.status = "cancelled";
      return o;
    case attempt_kind::retryable:
      o.status = "failed";
      o.refund = true;
      if (!gave_up.empty())
        o.error_message = gave_up;
      else if (last.status == 0 && last.timed_out)
        o.error_message = "the AI provider did not answer in time";
      else if (last.status == 0)
        o.error_message = "the AI provider could not be reached";
      else
        o.error_message = provider_text(last);
      if (gave_up.empty() && attempts > 1) o.error_message += " (after " + std::to_string(attempts) + " attempts)";
      o.log_note = last.status == 0 ? last.network_error : "provider HTTP " + std::to_string(last.status);
      return o;
    case attempt_kind::fatal:
      o.status = "failed";
      o.log_note = "provider HTTP " + std::to_string(last.status);
      if (last.status == 401) {
        // Our key was refused: the caller did nothing wrong and must not see
        // the provider's text (it can quote part of the key).
        o.error_message = "the AI provider is misconfigured on our side; the run was not charged";
        o.refund = true;
        o.misconfigured = true;
        return o;
      }
      o.error_message = provider_text(last);
      o.refund = !(last.status == 400 || last.status == 413 || last.status == 422);
      o.misconfigured = last.status == 403 || last.status == 404;
      return o;
  }
  return o;
}

}  // namespace trainia::ai
