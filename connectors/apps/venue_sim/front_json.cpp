// venue-sim: JSON text (a tiny writer), decimals as Binance prints them, request parameters,
// error replies, and the user-data / order / exchangeInfo renderings in Binance's field names.
#include <cstdio>
#include <string>

#include "front_impl.hpp"

namespace oms::venue_sim {

// ---- JsonOut ---------------------------------------------------------------------------------
void JsonOut::sep() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) s_ += ',';
    first_.back() = false;
  }
}
JsonOut& JsonOut::open(char c) {
  sep();
  s_ += c;
  first_.push_back(true);
  return *this;
}
JsonOut& JsonOut::close(char c) {
  s_ += c;
  first_.pop_back();
  return *this;
}
JsonOut& JsonOut::key(std::string_view k) {
  sep();
  quote(k);
  s_ += ':';
  after_key_ = true;
  return *this;
}
JsonOut& JsonOut::str(std::string_view v) {
  sep();
  quote(v);
  return *this;
}
void JsonOut::quote(std::string_view v) {
  s_ += '"';
  for (const char c : v) {
    switch (c) {
      case '"': s_ += "\\\""; break;
      case '\\': s_ += "\\\\"; break;
      case '\n': s_ += "\\n"; break;
      case '\r': s_ += "\\r"; break;
      case '\t': s_ += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          s_ += buf;
        } else {
          s_ += c;
        }
    }
  }
  s_ += '"';
}
JsonOut& JsonOut::num(std::int64_t v) {
  sep();
  s_ += std::to_string(v);
  return *this;
}
JsonOut& JsonOut::boolean(bool v) {
  sep();
  s_ += v ? "true" : "false";
  return *this;
}
JsonOut& JsonOut::null() {
  sep();
  s_ += "null";
  return *this;
}
JsonOut& JsonOut::raw(std::string_view json) {
  sep();
  s_ += json;
  return *this;
}

std::string fixed8(Decimal d) {
  if (auto f = d.to_fixed(8)) return *f;
  return d.to_string();  // a 9th decimal Binance never prints: shown whole rather than cut
}
std::string canon(Decimal d) { return d.to_string(); }

// ---- parameters ------------------------------------------------------------------------------
const std::string* Params::find(std::string_view k) const {
  for (const auto& [key, value] : kv) {
    if (key == k) return &value;
  }
  return nullptr;
}

namespace {
int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int h = hex_val(in[i + 1]), l = hex_val(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}
}  // namespace

bool parse_form(std::string_view text, Params& out) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    std::string k, v;
    if (!decode(part.substr(0, eq), k)) return false;
    if (eq != std::string_view::npos && !decode(part.substr(eq + 1), v)) return false;
    out.kv.emplace_back(std::move(k), std::move(v));
  }
  return true;
}

// ---- replies ---------------------------------------------------------------------------------
Reply Reply::error(unsigned status, int code, std::string_view msg) {
  JsonOut j;
  j.obj().kn("code", code).kv("msg", msg).end_obj();
  return Reply{status, j.take()};
}
Reply Reply::venue(const sim::VenueError& e) { return error(400, e.code, e.msg); }
Reply Reply::missing(std::string_view param) {
  return error(400, -1102,
               "Mandatory parameter '" + std::string(param) +
                   "' was not sent, was empty/null, or malformed.");
}
Reply Reply::bad_param(std::string_view param, std::string_view value) {
  return error(400, -1100,
               "Illegal characters found in parameter '" + std::string(param) +
                   "'; legal range is '" + std::string(value) + "'.");
}

// ---- renderings ------------------------------------------------------------------------------
const char* side_str(Side s) noexcept { return s == Side::kBuy ? "BUY" : "SELL"; }
const char* position_side_str(PositionSide s) noexcept {
  switch (s) {
    case PositionSide::kLong: return "LONG";
    case PositionSide::kShort: return "SHORT";
    case PositionSide::kBoth: break;
  }
  return "BOTH";
}

namespace {
std::int64_t ms(TimeNs t) { return t / 1'000'000; }
Decimal product(Decimal a, Decimal b) {
  const auto r = a.mul(b, Rounding::kHalfEven);
  return r.ok() ? *r : Decimal{};
}
}  // namespace

std::string spot_execution_report(const sim::Venue& v, const sim::ExecutionReport& r) {
  const auto& ins = v.instrument(r.symbol);
  JsonOut j;
  j.obj().kv("e", "executionReport").kn("E", ms(r.event_time)).kv("s", ins.venue_symbol);
  j.kv("c", r.client_order_id).kv("S", side_str(r.side)).kv("o", to_string(r.type, Market::kSpot));
  j.kv("f", to_string(r.tif)).kv("q", fixed8(r.quantity)).kv("p", fixed8(r.price));
  j.kv("P", fixed8(r.stop_price)).kv("F", fixed8(Decimal{})).kn("g", -1);
  j.kv("C", r.orig_client_order_id).kv("x", to_string(r.exec_type)).kv("X", to_string(r.status));
  j.kv("r", r.exec_type == sim::ExecType::kRejected ? "INSUFFICIENT_BALANCES" : "NONE");
  j.kn("i", r.order_id).kv("l", fixed8(r.last_qty)).kv("z", fixed8(r.cum_qty));
  j.kv("L", fixed8(r.last_price));
  if (r.commission_asset.empty()) {
    j.kv("n", "0").key("N").null();
  } else {
    j.kv("n", fixed8(r.commission)).kv("N", r.commission_asset);
  }
  // "w": on the book. A NEW limit order is (the venue marks it resting only after matching).
  const bool working = r.working || (r.exec_type == sim::ExecType::kNew && !sim::is_stop(r.type));
  j.kn("T", ms(r.transaction_time)).kn("t", r.trade_id).kn("I", 0).kb("w", working);
  j.kb("m", r.maker).kb("M", false).kn("O", ms(r.order_time)).kv("Z", fixed8(r.cum_quote));
  j.kv("Y", fixed8(product(r.last_qty, r.last_price))).kv("Q", fixed8(r.quote_order_qty));
  if (working) j.kn("W", ms(r.order_time));
  j.kv("V", to_string(r.stp)).end_obj();
  return j.take();
}

std::string spot_account_position(const sim::AccountUpdate& u) {
  JsonOut j;
  j.obj().kv("e", "outboundAccountPosition").kn("E", ms(u.event_time)).kn("u", ms(u.event_time));
  j.key("B").arr();
  for (const auto& b : u.balances) {
    j.obj().kv("a", b.asset).kv("f", fixed8(b.free)).kv("l", fixed8(b.locked)).end_obj();
  }
  j.end_arr().end_obj();
  return j.take();
}

std::string usdm_order_update(const sim::Venue& v, const sim::ExecutionReport& r) {
  const auto& ins = v.instrument(r.symbol);
  const char* type = to_string(r.type, Market::kUsdm);
  JsonOut j;
  j.obj().kv("e", "ORDER_TRADE_UPDATE").kn("T", ms(r.transaction_time)).kn("E", ms(r.event_time));
  j.key("o").obj().kv("s", ins.venue_symbol).kv("c", r.client_order_id).kv("S", side_str(r.side));
  j.kv("o", type).kv("f", to_string(r.tif)).kv("q", canon(r.quantity)).kv("p", canon(r.price));
  j.kv("ap", canon(r.avg_price)).kv("sp", canon(r.stop_price)).kv("x", to_string(r.exec_type));
  j.kv("X", to_string(r.status)).kn("i", r.order_id).kv("l", canon(r.last_qty));
  j.kv("z", canon(r.cum_qty)).kv("L", canon(r.last_price));
  if (!r.commission_asset.empty()) j.kv("N", r.commission_asset).kv("n", canon(r.commission));
  j.kn("T", ms(r.transaction_time)).kn("t", r.trade_id < 0 ? 0 : r.trade_id);
  j.kv("b", "0").kv("a", "0").kb("m", r.maker).kb("R", r.reduce_only);
  j.kv("wt", "CONTRACT_PRICE").kv("ot", type).kv("ps", position_side_str(r.position_side));
  j.kb("cp", false).kb("pP", false).kn("si", 0).kn("ss", 0).kv("rp", canon(r.realized_profit));
  j.kv("V", to_string(r.stp)).kv("pm", "NONE").kn("gtd", 0);
  if (!r.expiry_reason.empty()) j.kv("er", r.expiry_reason);
  j.end_obj().end_obj();
  return j.take();
}

std::string usdm_trade_lite(const sim::Venue& v, const sim::ExecutionReport& r) {
  JsonOut j;
  j.obj().kv("e", "TRADE_LITE").kn("E", ms(r.event_time)).kn("T", ms(r.transaction_time));
  j.kv("s", v.instrument(r.symbol).venue_symbol).kv("q", canon(r.quantity));
  j.kv("p", canon(r.price)).kb("m", r.maker).kv("c", r.client_order_id).kv("S", side_str(r.side));
  j.kv("L", canon(r.last_price)).kv("l", canon(r.last_qty)).kn("t", r.trade_id);
  j.kn("i", r.order_id).end_obj();
  return j.take();
}

std::string usdm_account_update(const sim::Venue& v, const sim::AccountUpdate& u,
                                std::string_view reason) {
  JsonOut j;
  j.obj().kv("e", "ACCOUNT_UPDATE").kn("T", ms(u.event_time)).kn("E", ms(u.event_time));
  j.key("a").obj().kv("m", reason).key("B").arr();
  for (const auto& b : u.balances) {
    j.obj().kv("a", b.asset).kv("wb", canon(b.free)).kv("cw", canon(b.free)).kv("bc", "0");
    j.end_obj();
  }
  j.end_arr().key("P").arr();
  for (const auto& p : u.positions) {
    j.obj().kv("s", v.instrument(p.symbol).venue_symbol).kv("pa", canon(p.amount));
    j.kv("ep", canon(p.entry_price)).kv("bep", canon(p.entry_price));
    j.kv("cr", canon(p.realized_pnl)).kv("up", canon(p.unrealized_pnl));
    j.kv("mt", p.margin_type == MarginType::kCross ? "cross" : "isolated");
    j.kv("iw", canon(p.isolated_wallet)).kv("ps", position_side_str(p.position_side)).end_obj();
  }
  j.end_arr().end_obj().end_obj();
  return j.take();
}

void spot_order_json(JsonOut& j, const sim::Venue& v, const sim::OrderView& o, bool query) {
  j.kv("symbol", v.instrument(o.symbol).venue_symbol).kn("orderId", o.order_id);
  j.kn("orderListId", -1).kv("clientOrderId", o.client_order_id);
  if (!query) j.kn("transactTime", ms(o.update_time));
  j.kv("price", fixed8(o.price)).kv("origQty", fixed8(o.quantity));
  j.kv("executedQty", fixed8(o.executed_qty)).kv("origQuoteOrderQty", fixed8(o.quote_order_qty));
  j.kv("cummulativeQuoteQty", fixed8(o.cum_quote)).kv("status", to_string(o.status));
  j.kv("timeInForce", to_string(o.tif)).kv("type", to_string(o.type, Market::kSpot));
  j.kv("side", side_str(o.side));
  if (sim::is_stop(o.type) || query) j.kv("stopPrice", fixed8(o.stop_price));
  if (query) {
    j.kv("icebergQty", fixed8(Decimal{})).kn("time", ms(o.time)).kn("updateTime", ms(o.update_time));
    j.kb("isWorking", o.working);
  }
  j.kn("workingTime", o.working || query ? ms(o.time) : -1);
  j.kv("selfTradePreventionMode", to_string(o.stp));
}

void usdm_order_json(JsonOut& j, const sim::Venue& v, const sim::OrderView& o) {
  const char* type = to_string(o.type, Market::kUsdm);
  Decimal avg;
  if (o.executed_qty.raw() > 0) {
    const auto a = o.cum_quote.div(o.executed_qty, Rounding::kHalfEven);
    if (a.ok()) avg = *a;
  }
  j.kn("orderId", o.order_id).kv("symbol", v.instrument(o.symbol).venue_symbol);
  j.kv("status", to_string(o.status)).kv("clientOrderId", o.client_order_id);
  j.kv("price", canon(o.price)).kv("avgPrice", canon(avg)).kv("origQty", canon(o.quantity));
  j.kv("executedQty", canon(o.executed_qty)).kv("cumQty", canon(o.executed_qty));
  j.kv("cumQuote", canon(o.cum_quote)).kv("timeInForce", to_string(o.tif)).kv("type", type);
  j.kb("reduceOnly", o.reduce_only).kb("closePosition", false).kv("side", side_str(o.side));
  j.kv("positionSide", position_side_str(o.position_side)).kv("stopPrice", canon(o.stop_price));
  j.kv("workingType", "CONTRACT_PRICE").kb("priceProtect", false).kv("origType", type);
  j.kv("priceMatch", "NONE").kv("selfTradePreventionMode", to_string(o.stp)).kn("goodTillDate", 0);
  j.kn("time", ms(o.time)).kn("updateTime", ms(o.update_time));
}

}  // namespace oms::venue_sim
