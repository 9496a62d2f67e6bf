#include "oms/connectors/binance/exchange_info.hpp"

#include <simdjson.h>

#include <optional>

namespace oms::binance {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

class Context {
 public:
  explicit Context(std::string where) : where_(std::move(where)) {}

  // A decimal field written as a string ("0.00000100"), or as a JSON number in old docs.
  bool decimal(object o, std::string_view field, Decimal& out) {
    element e;
    if (o[field].get(e) != simdjson::SUCCESS) return fail(field, "missing");
    std::string_view text;
    if (e.is_string()) {
      text = e.get_string().value_unsafe();
    } else if (e.is_number()) {
      text = raw_number(e);
    } else {
      return fail(field, "expected a decimal string");
    }
    const auto d = Decimal::parse(text);
    if (!d) return fail(field, std::string(to_string(d.error())) + ": '" + std::string(text) + "'");
    out = *d;
    return true;
  }
  bool optional_decimal(object o, std::string_view field, Decimal& out) {
    element e;
    if (o[field].get(e) != simdjson::SUCCESS) return true;
    return decimal(o, field, out);
  }
  bool count(object o, std::string_view field, std::uint32_t& out) {
    std::uint64_t v;
    if (o[field].get_uint64().get(v) != simdjson::SUCCESS) return fail(field, "expected a count");
    if (v > UINT32_MAX) return fail(field, "count out of range");
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  bool flag(object o, std::string_view field, bool& out) {
    element e;
    if (o[field].get(e) != simdjson::SUCCESS) return true;  // optional; keep the default
    if (!e.is_bool()) return fail(field, "expected true or false");
    out = e.get_bool().value_unsafe();
    return true;
  }
  bool fail(std::string_view field, std::string what) {
    if (error_.empty()) error_ = where_ + std::string(field) + ": " + what;
    return false;
  }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  // simdjson parses numbers as doubles; print them back exactly only when integral.
  static std::string_view raw_number(element e) {
    thread_local std::string buf;
    std::int64_t i;
    if (e.get_int64().get(i) == simdjson::SUCCESS) {
      buf = std::to_string(i);
      return buf;
    }
    buf = "non-integer JSON number";  // Decimal::parse refuses it: exactness cannot be shown
    return buf;
  }

  std::string where_;
  std::string error_;
};

// Applies one filter object to the rules; false with ctx's error on a bad value.
bool apply_filter(Context& ctx, object f, std::string_view type, Market market,
                  InstrumentRules& r) {
  if (type == "PRICE_FILTER")
    return ctx.decimal(f, "minPrice", r.min_price) && ctx.decimal(f, "maxPrice", r.max_price) &&
           ctx.decimal(f, "tickSize", r.tick_size);
  if (type == "LOT_SIZE")
    return ctx.decimal(f, "minQty", r.min_qty) && ctx.decimal(f, "maxQty", r.max_qty) &&
           ctx.decimal(f, "stepSize", r.step_size);
  if (type == "MARKET_LOT_SIZE")
    return ctx.decimal(f, "minQty", r.market_min_qty) &&
           ctx.decimal(f, "maxQty", r.market_max_qty) &&
           ctx.decimal(f, "stepSize", r.market_step_size);
  if (type == "MIN_NOTIONAL") {
    if (market == Market::kSpot)
      return ctx.decimal(f, "minNotional", r.min_notional) &&
             ctx.flag(f, "applyToMarket", r.min_notional_applies_to_market);
    return ctx.decimal(f, "notional", r.min_notional);  // futures: "notional"
  }
  if (type == "NOTIONAL")
    return ctx.optional_decimal(f, "minNotional", r.min_notional) &&
           ctx.optional_decimal(f, "maxNotional", r.max_notional) &&
           ctx.flag(f, "applyMinToMarket", r.min_notional_applies_to_market) &&
           ctx.flag(f, "applyMaxToMarket", r.max_notional_applies_to_market);
  if (type == "PERCENT_PRICE") {
    if (!ctx.decimal(f, "multiplierUp", r.bid_band.up) ||
        !ctx.decimal(f, "multiplierDown", r.bid_band.down))
      return false;
    r.ask_band = r.bid_band;
    return true;
  }
  if (type == "PERCENT_PRICE_BY_SIDE")
    return ctx.decimal(f, "bidMultiplierUp", r.bid_band.up) &&
           ctx.decimal(f, "bidMultiplierDown", r.bid_band.down) &&
           ctx.decimal(f, "askMultiplierUp", r.ask_band.up) &&
           ctx.decimal(f, "askMultiplierDown", r.ask_band.down);
  if (type == "MAX_NUM_ORDERS")
    return ctx.count(f, market == Market::kSpot ? "maxNumOrders" : "limit", r.max_num_orders);
  if (type == "MAX_NUM_ALGO_ORDERS")
    return ctx.count(f, market == Market::kSpot ? "maxNumAlgoOrders" : "limit",
                     r.max_num_algo_orders);
  return true;  // a filter we do not apply
}

std::string str(object o, std::string_view field) {
  std::string_view v;
  if (o[field].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

}  // namespace

Result<std::vector<Instrument>, ExchangeInfoError> parse_exchange_info(std::string_view body,
                                                                        Market market) {
  auto fail = [](std::string m) { return Unexpected{ExchangeInfoError{std::move(m)}}; };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  element doc;
  if (auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS)
    return fail(std::string("exchangeInfo: malformed JSON: ") + simdjson::error_message(e));
  simdjson::dom::array symbols;
  if (doc["symbols"].get_array().get(symbols) != simdjson::SUCCESS)
    return fail("exchangeInfo: missing array 'symbols'");

  std::vector<Instrument> out;
  out.reserve(symbols.size());
  std::size_t index = 0;
  for (element item : symbols) {
    const std::string at = "exchangeInfo: symbols[" + std::to_string(index++) + "]";
    object s;
    if (item.get_object().get(s) != simdjson::SUCCESS) return fail(at + ": expected an object");
    Instrument inst;
    inst.exchange = ExchangeId::kBinance;
    inst.market = market;
    inst.venue_symbol = str(s, "symbol");
    const std::string base = str(s, "baseAsset"), quote = str(s, "quoteAsset");
    if (inst.venue_symbol.empty()) return fail(at + ".symbol: missing");
    if (base.empty() || quote.empty())
      return fail(at + " (" + inst.venue_symbol + "): missing baseAsset or quoteAsset");
    const std::string where = at + " (" + inst.venue_symbol + ")";
    std::string settle;
    if (market == Market::kUsdm) settle = quote;
    if (market == Market::kCoinm) settle = base;
    auto symbol = from_venue(ExchangeId::kBinance, market, inst.venue_symbol, base, quote, settle);
    if (!symbol) return fail(where + ": " + symbol.error().message);
    inst.symbol = std::move(symbol).value();
    if (market != Market::kSpot) {
      // A perpetual has no expiry in its symbol; a delivery's expiry must match its type.
      const std::string type = str(s, "contractType");
      const bool delivery = type == "CURRENT_QUARTER" || type == "NEXT_QUARTER" ||
                            type == "CURRENT_MONTH" || type == "NEXT_MONTH";
      if (delivery != (inst.symbol.kind() == ContractKind::kDelivery))
        return fail(where + ".contractType: '" + type + "' disagrees with the symbol");
    }
    inst.trading = str(s, "status") == "TRADING";

    simdjson::dom::array filters;
    if (s["filters"].get_array().get(filters) != simdjson::SUCCESS)
      return fail(where + ".filters: missing");
    std::size_t fi = 0;
    for (element fe : filters) {
      object f;
      std::string_view type;
      const std::string fat = where + ".filters[" + std::to_string(fi++) + "]";
      if (fe.get_object().get(f) != simdjson::SUCCESS || f["filterType"].get_string().get(type) != simdjson::SUCCESS)
        return fail(fat + ": expected an object with filterType");
      Context ctx(fat + " " + std::string(type) + ".");
      if (!apply_filter(ctx, f, type, market, inst.rules)) return fail(ctx.error());
    }
    out.push_back(std::move(inst));
  }
  return out;
}

}  // namespace oms::binance
