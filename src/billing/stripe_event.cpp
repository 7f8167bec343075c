#include "billing/stripe_event.hpp"

#include "core/error.hpp"

namespace trainia::billing {
namespace {

caf::error bad(std::string why) {
  return fail(errc::invalid_event, "the body is not a Stripe event", std::move(why));
}

bool valid_event_id(const std::string& s) {
  if (s.size() <= 4 || s.size() > 255 || s.compare(0, 4, "evt_") != 0) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool has_nul(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::string:
      return j.get_ref<const std::string&>().find('\0') != std::string::npos;
    case nlohmann::json::value_t::array:
      for (const auto& x : j)
        if (has_nul(x)) return true;
      return false;
    case nlohmann::json::value_t::object:
      for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key().find('\0') != std::string::npos || has_nul(it.value())) return true;
      return false;
    default:
      return false;
  }
}

std::string string_at(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string stripe_ref(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) return string_at(v, "id");
  return {};
}

std::string invoice_subscription(const nlohmann::json& invoice) {
  if (auto it = invoice.find("subscription"); it != invoice.end()) {
    if (auto s = stripe_ref(*it); !s.empty()) return s;
  }
  auto parent = invoice.find("parent");
  if (parent == invoice.end() || !parent->is_object()) return {};
  auto details = parent->find("subscription_details");
  if (details == parent->end() || !details->is_object()) return {};
  auto sub = details->find("subscription");
  return sub == details->end() ? std::string() : stripe_ref(*sub);
}

caf::expected<stripe_event> parse_stripe_event(std::string_view body) {
  auto doc = std::make_shared<nlohmann::json>(nlohmann::json::parse(body, nullptr, false));
  auto& j = *doc;
  if (j.is_discarded()) return bad("not JSON");
  if (!j.is_object()) return bad("not a JSON object");
  stripe_event e;
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() || !valid_event_id(id->get<std::string>())) return bad("id is not an evt_ id");
  e.id = id->get<std::string>();
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || type->get_ref<const std::string&>().empty() ||
      type->get_ref<const std::string&>().size() > 255)
    return bad("type is not a string");
  e.type = type->get<std::string>();
  auto created = j.find("created");
  if (created == j.end() || !created->is_number_integer() || created->get<int64_t>() <= 0 ||
      created->get<int64_t>() > 253402300799)  // 9999-12-31: what timestamptz round-trips
    return bad("created is not a unix time");
  e.created = created->get<int64_t>();
  auto data = j.find("data");
  if (data == j.end() || !data->is_object()) return bad("data is not an object");
  auto obj = data->find("object");
  if (obj == data->end() || !obj->is_object()) return bad("data.object is not an object");
  if (has_nul(j)) return bad("contains U+0000");

  const auto& o = *obj;
  if (e.type.rfind("customer.subscription.", 0) == 0) {
    e.subscription_id = string_at(o, "id");
    if (auto c = o.find("customer"); c != o.end()) e.customer_id = stripe_ref(*c);
  } else if (e.type.rfind("invoice.", 0) == 0) {
    e.subscription_id = invoice_subscription(o);
    if (auto c = o.find("customer"); c != o.end()) e.customer_id = stripe_ref(*c);
  } else {
    if (auto s = o.find("subscription"); s != o.end()) e.subscription_id = stripe_ref(*s);
    if (auto c = o.find("customer"); c != o.end()) e.customer_id = stripe_ref(*c);
  }
  // Ids are keys and labels: keep them short and printable, or drop them.
  auto sane = [](std::string& s) {
    if (s.size() > 255) s.clear();
    for (char c : s)
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        s.clear();
        break;
      }
  };
  sane(e.subscription_id);
  sane(e.customer_id);
  e.doc = std::move(doc);
  return e;
}

}  // namespace trainia::billing
