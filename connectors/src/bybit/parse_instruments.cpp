// Bybit v5 instruments-info -> Instruments (see instruments.hpp for which field feeds which rule).
#include <simdjson.h>

#include "oms/connectors/bybit/instruments.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::bybit {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

class Fields {
 public:
  explicit Fields(std::string where) : where_(std::move(where)) {}

  // A decimal written as a string ("0.001"); missing or empty is an error when required.
  bool decimal(object o, std::string_view field, Decimal& out, bool required = true) {
    std::string_view text;
    if (o[field].get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      if (!required && o[field].error() == simdjson::NO_SUCH_FIELD) return true;
      return fail(field, o[field].error() == simdjson::NO_SUCH_FIELD ? "missing" : "expected a decimal string");
    }
    const auto d = Decimal::parse(text);
    if (!d) return fail(field, std::string(to_string(d.error())) + ": '" + std::string(text) + "'");
    if (d->is_negative()) return fail(field, "negative: '" + std::string(text) + "'");
    out = *d;
    return true;
  }
  bool sub(object o, std::string_view field, object& out) {
    if (o[field].get_object().get(out) != simdjson::SUCCESS) return fail(field, "expected an object");
    return true;
  }
  bool fail(std::string_view field, const std::string& what) {
    if (error_.empty()) error_ = where_ + std::string(field) + ": " + what;
    return false;
  }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] Fields at(std::string_view field) const { return Fields(where_ + std::string(field) + "."); }

 private:
  std::string where_;
  std::string error_;
};

std::string str(object o, std::string_view field) {
  std::string_view v;
  if (o[field].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

bool spot_rules(const std::string& where, object s, InstrumentRules& r, std::string& error) {
  Fields top(where + ".");
  object price, lot;
  if (!top.sub(s, "priceFilter", price) || !top.sub(s, "lotSizeFilter", lot)) {
    error = top.error();
    return false;
  }
  Fields p = top.at("priceFilter");
  Fields l = top.at("lotSizeFilter");
  Decimal max_limit, max_any;
  const bool ok = p.decimal(price, "tickSize", r.tick_size) &&
                  l.decimal(lot, "basePrecision", r.step_size) &&
                  l.decimal(lot, "minOrderQty", r.min_qty) &&
                  l.decimal(lot, "maxOrderQty", max_any) &&
                  l.decimal(lot, "maxLimitOrderQty", max_limit, false) &&
                  l.decimal(lot, "maxMarketOrderQty", r.market_max_qty, false) &&
                  l.decimal(lot, "minOrderAmt", r.min_notional) &&
                  l.decimal(lot, "maxOrderAmt", r.max_notional, false);
  if (!ok) {
    error = !p.error().empty() ? p.error() : l.error();
    return false;
  }
  r.max_qty = max_limit.is_zero() ? max_any : max_limit;
  r.min_notional_applies_to_market = true;
  r.max_notional_applies_to_market = true;
  return true;
}

bool linear_rules(const std::string& where, object s, InstrumentRules& r, std::string& error) {
  Fields top(where + ".");
  object price, lot;
  if (!top.sub(s, "priceFilter", price) || !top.sub(s, "lotSizeFilter", lot)) {
    error = top.error();
    return false;
  }
  Fields p = top.at("priceFilter");
  Fields l = top.at("lotSizeFilter");
  const bool ok = p.decimal(price, "tickSize", r.tick_size) && p.decimal(price, "minPrice", r.min_price) &&
                  p.decimal(price, "maxPrice", r.max_price) && l.decimal(lot, "qtyStep", r.step_size) &&
                  l.decimal(lot, "minOrderQty", r.min_qty) && l.decimal(lot, "maxOrderQty", r.max_qty) &&
                  l.decimal(lot, "maxMktOrderQty", r.market_max_qty, false) &&
                  l.decimal(lot, "minNotionalValue", r.min_notional, false);
  if (!ok) {
    error = !p.error().empty() ? p.error() : l.error();
    return false;
  }
  if (!r.market_max_qty.is_zero()) r.market_step_size = r.step_size;
  return true;
}

}  // namespace

Result<InstrumentsPage, InstrumentsError> parse_instruments_info(std::string_view body, Market market) {
  auto fail = [](std::string m) { return Unexpected{InstrumentsError{"instruments-info: " + std::move(m)}}; };
  if (market == Market::kCoinm) return fail("inverse contracts are not traded");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  element doc;
  if (auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS)
    return fail(std::string("malformed JSON: ") + simdjson::error_message(e));
  std::int64_t ret_code = 0;
  if (doc["retCode"].get_int64().get(ret_code) != simdjson::SUCCESS) return fail("retCode: missing");
  if (ret_code != 0) {
    std::string_view msg;
    if (doc["retMsg"].get_string().get(msg) != simdjson::SUCCESS) msg = "(no retMsg)";
    return fail("retCode " + std::to_string(ret_code) + ": " + std::string(msg));
  }
  object result;
  if (doc["result"].get_object().get(result) != simdjson::SUCCESS) return fail("result: missing");
  simdjson::dom::array list;
  if (result["list"].get_array().get(list) != simdjson::SUCCESS) return fail("result.list: missing");
  InstrumentsPage page;
  page.next_page_cursor = str(result, "nextPageCursor");  // null / "" on the last page
  page.instruments.reserve(list.size());
  std::size_t index = 0;
  for (element item : list) {
    const std::string at = "list[" + std::to_string(index++) + "]";
    object s;
    if (item.get_object().get(s) != simdjson::SUCCESS) return fail(at + ": expected an object");
    Instrument inst;
    inst.exchange = ExchangeId::kBybit;
    inst.market = market;
    inst.venue_symbol = str(s, "symbol");
    if (inst.venue_symbol.empty()) return fail(at + ".symbol: missing");
    const std::string where = at + " (" + inst.venue_symbol + ")";
    const std::string base = str(s, "baseCoin"), quote = str(s, "quoteCoin");
    if (base.empty() || quote.empty()) return fail(where + ": missing baseCoin or quoteCoin");
    std::string settle;
    if (market == Market::kUsdm) {
      settle = str(s, "settleCoin");
      if (settle.empty()) return fail(where + ".settleCoin: missing");
      const std::string type = str(s, "contractType");
      if (type != "LinearPerpetual") {
        page.skipped.push_back({inst.venue_symbol, "contractType '" + type + "': only linear perpetuals are mapped"});
        continue;
      }
    }
    auto symbol = from_venue(ExchangeId::kBybit, market, inst.venue_symbol, base, quote, settle);
    if (!symbol) {
      page.skipped.push_back({inst.venue_symbol, symbol.error().message});
      continue;
    }
    inst.symbol = std::move(symbol).value();
    inst.trading = str(s, "status") == "Trading";
    std::string error;
    const bool ok = market == Market::kSpot ? spot_rules(where, s, inst.rules, error)
                                            : linear_rules(where, s, inst.rules, error);
    if (!ok) return fail(error);
    page.instruments.push_back(std::move(inst));
  }
  return page;
}

}  // namespace oms::bybit
