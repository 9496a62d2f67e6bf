// Helpers shared by the Binance request builders.
#include "requests_common.hpp"

#include <array>

namespace oms::binance::detail {

std::string_view side_text(Side s) noexcept {
  return s == Side::kBuy ? "BUY" : "SELL";
}

std::string_view tif_text(TimeInForce t) noexcept {
  switch (t) {
    case TimeInForce::kGtc:
      return "GTC";
    case TimeInForce::kIoc:
      return "IOC";
    case TimeInForce::kFok:
      return "FOK";
    case TimeInForce::kPostOnly:
      return "GTX";
  }
  return "GTC";
}

std::string_view response_type_text(ResponseType r) noexcept {
  switch (r) {
    case ResponseType::kAck:
      return "ACK";
    case ResponseType::kResult:
      return "RESULT";
    case ResponseType::kFull:
      return "FULL";
    case ResponseType::kDefault:
      break;
  }
  return {};
}

RequestError error(std::string_view what, std::string_view msg) {
  std::string m(what);
  m.append(": ");
  m.append(msg);
  return RequestError{std::move(m)};
}

Result<Unit, RequestError> check_instrument(const Instrument& in, Market m, std::string_view what) {
  if (in.exchange != ExchangeId::kBinance)
    return Unexpected{error(what, "instrument is not a Binance one")};
  if (in.market != m) {
    return Unexpected{error(what, "instrument " + in.venue_symbol + " is on another market")};
  }
  if (in.venue_symbol.empty()) return Unexpected{error(what, "instrument has no venue symbol")};
  return Unit{};
}

RestRequest make(HttpMethod m, std::string_view path, Security s, std::uint32_t weight,
                 std::uint32_t order_count) {
  RestRequest r;
  r.method = m;
  r.path.assign(path);
  r.security = s;
  r.weight = weight;
  r.order_count = order_count;
  r.params.reserve(12);
  return r;
}

Result<Unit, RequestError> add_order_ref(RestRequest& r, const OrderRef& ref, std::string_view what,
                                         std::string_view id_key, std::string_view client_key) {
  if (ref.order_id != 0) {
    r.add_int(id_key, static_cast<std::int64_t>(ref.order_id));
  } else if (!ref.client_order_id.empty()) {
    r.add(client_key, ref.client_order_id);
  } else {
    return Unexpected{error(what, "order reference needs an order id or a client order id")};
  }
  return Unit{};
}

void add_history(RestRequest& r, const HistoryQuery& q) {
  if (q.order_id != 0) r.add_int("orderId", static_cast<std::int64_t>(q.order_id));
  if (q.from_id != 0) r.add_int("fromId", static_cast<std::int64_t>(q.from_id));
  if (q.start_time_ms != 0) r.add_int("startTime", q.start_time_ms);
  if (q.end_time_ms != 0) r.add_int("endTime", q.end_time_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
}

void append_json_string(std::string_view s, std::string& out) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[b >> 4U]);
      out.push_back(kHex[b & 0x0FU]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace oms::binance::detail
