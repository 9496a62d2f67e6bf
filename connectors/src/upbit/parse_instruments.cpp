// Upbit's tick tables and /v1/market/all (+ /v1/orderbook/instruments) -> Instruments (see
// instruments.hpp for the tables and which field feeds which rule).
#include <simdjson.h>

#include <array>
#include <unordered_map>

#include "oms/connectors/upbit/instruments.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::upbit {
namespace {

// Prices and ticks as Decimal mantissas (1e-9 units); Upbit's finest tick and volume step is
// 1e-8 (kE8 mantissas).
constexpr std::int64_t kOne = Decimal::kOne;
constexpr std::int64_t kE8 = kOne / 100'000'000;

struct Band {
  std::int64_t from;  // the band's lowest price (inclusive), raw
  std::int64_t tick;  // raw
};

// clang-format off
constexpr std::array<Band, 15> kKrwBands{{
  {1'000'000 * kOne, 1'000 * kOne},
  {  500'000 * kOne,   500 * kOne},
  {  100'000 * kOne,   100 * kOne},
  {   50'000 * kOne,    50 * kOne},
  {   10'000 * kOne,    10 * kOne},
  {    5'000 * kOne,     5 * kOne},
  {      100 * kOne,         kOne},
  {       10 * kOne,     kOne / 10},       // 0.1
  {            kOne,    kOne / 100},       // 0.01
  {       kOne / 10,   kOne / 1'000},      // >= 0.1: 0.001
  {      kOne / 100,  kOne / 10'000},      // >= 0.01: 0.0001
  {    kOne / 1'000, kOne / 100'000},      // >= 0.001: 0.00001
  {   kOne / 10'000,       100 * kE8},     // >= 0.0001: 0.000001
  {  kOne / 100'000,        10 * kE8},     // >= 0.00001: 0.0000001
  {               0,             kE8},     // below: 0.00000001
}};
constexpr std::array<Band, 7> kUsdtBands{{
  {10 * kOne,     kOne / 100},    // 0.01
  {     kOne,   kOne / 1'000},    // 0.001
  {kOne / 10,  kOne / 10'000},    // >= 0.1: 0.0001
  {kOne / 100, kOne / 100'000},   // >= 0.01: 0.00001
  {kOne / 1'000,    100 * kE8},   // >= 0.001: 0.000001
  {kOne / 10'000,    10 * kE8},   // >= 0.0001: 0.0000001
  {         0,            kE8},   // below: 0.00000001
}};
// clang-format on
constexpr std::int64_t kBtcTick = kE8;               // 0.00000001 BTC at every price
constexpr std::int64_t kKrwMinOrder = 5'000 * kOne;  // 5,000 KRW
constexpr std::int64_t kBtcMinOrder = 5'000 * kE8;   // 0.00005 BTC
constexpr std::int64_t kUsdtMinOrder = kOne / 2;     // 0.5 USDT
constexpr std::int64_t kBtcMaxOrder = 10 * kOne;     // 10 BTC a BTC-market order (2025-05-19)
constexpr std::int64_t kVolumeStep = kE8;            // volumes have 8 decimals

template <std::size_t N>
Decimal band_tick(const std::array<Band, N>& bands, Decimal price) {
  for (const Band& b : bands) {
    if (price.raw() >= b.from) return Decimal::from_raw(b.tick);
  }
  return Decimal::from_raw(bands.back().tick);
}

using simdjson::dom::element;
using simdjson::dom::object;

std::string str(object o, std::string_view field) {
  std::string_view v;
  if (o[field].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

bool flag(object o, std::string_view field) {
  bool b = false;
  return o[field].get_bool().get(b) == simdjson::SUCCESS && b;
}

// The /v1/orderbook/instruments answer: market -> tick_size.
Result<std::unordered_map<std::string, Decimal>, std::string> parse_ticks(std::string_view body) {
  std::unordered_map<std::string, Decimal> out;
  if (body.empty()) return out;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::array items;
  if (auto e = parser.parse(padded).get_array().get(items); e != simdjson::SUCCESS)
    return Unexpected{std::string("orderbook/instruments: expected a JSON array: ") + simdjson::error_message(e)};
  std::size_t index = 0;
  for (element item : items) {
    const std::string at = "orderbook/instruments: [" + std::to_string(index++) + "]";
    object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) return Unexpected{at + ": expected an object"};
    const std::string market = str(o, "market");
    if (market.empty()) return Unexpected{at + ".market: missing"};
    std::string_view text;
    if (o["tick_size"].get_string().get(text) != simdjson::SUCCESS)
      return Unexpected{at + " (" + market + ").tick_size: missing or not a string"};
    const auto tick = Decimal::parse(text);
    if (!tick || !tick->is_positive())
      return Unexpected{at + " (" + market + ").tick_size: '" + std::string(text) + "' is not a positive decimal at 1e-9"};
    out[market] = *tick;
  }
  return out;
}

}  // namespace

Result<Decimal, RequestError> tick_size(std::string_view quote, Decimal price) {
  if (!price.is_positive()) return Unexpected{RequestError{"tick_size: price must be positive"}};
  if (quote == "KRW") return band_tick(kKrwBands, price);
  if (quote == "USDT") return band_tick(kUsdtBands, price);
  if (quote == "BTC") return Decimal::from_raw(kBtcTick);
  return Unexpected{RequestError{"tick_size: quote '" + std::string(quote) + "' has no table here (KRW, BTC, USDT)"}};
}

Result<Decimal, RequestError> min_order_amount(std::string_view quote) {
  if (quote == "KRW") return Decimal::from_raw(kKrwMinOrder);
  if (quote == "BTC") return Decimal::from_raw(kBtcMinOrder);
  if (quote == "USDT") return Decimal::from_raw(kUsdtMinOrder);
  return Unexpected{RequestError{"min_order_amount: quote '" + std::string(quote) + "' has no rule here (KRW, BTC, USDT)"}};
}

Result<MarketsPage, InstrumentsError> parse_markets(std::string_view market_all, std::string_view instruments) {
  auto fail = [](std::string m) { return Unexpected{InstrumentsError{std::move(m)}}; };
  auto ticks = parse_ticks(instruments);
  if (!ticks) return fail(ticks.error());
  simdjson::dom::parser parser;
  simdjson::padded_string padded(market_all);
  simdjson::dom::array items;
  if (auto e = parser.parse(padded).get_array().get(items); e != simdjson::SUCCESS)
    return fail(std::string("market/all: expected a JSON array: ") + simdjson::error_message(e));
  MarketsPage page;
  page.instruments.reserve(items.size());
  std::size_t index = 0;
  for (element item : items) {
    const std::string at = "market/all: [" + std::to_string(index++) + "]";
    object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) return fail(at + ": expected an object");
    const std::string market = str(o, "market");
    if (market.empty()) return fail(at + ".market: missing");
    auto symbol = from_venue(ExchangeId::kUpbit, Market::kSpot, market);
    if (!symbol) return fail(at + ".market: " + symbol.error().message);
    const std::string& quote = symbol->quote;
    const auto min = min_order_amount(quote);
    if (!min) {
      page.skipped.push_back({market, "quote " + quote + ": a regional market (rules not known here)"});
      continue;
    }
    UpbitInstrument out;
    out.english_name = str(o, "english_name");
    // Old form: "market_warning":"CAUTION"|"NONE"; is_details form: "market_event":{"warning":
    // bool,"caution":{"PRICE_FLUCTUATIONS":bool,...}}.
    const std::string warning = str(o, "market_warning");
    out.warning = warning == "CAUTION";
    object event;
    if (o["market_event"].get_object().get(event) == simdjson::SUCCESS) {
      out.warning = out.warning || flag(event, "warning");
      object caution;
      if (event["caution"].get_object().get(caution) == simdjson::SUCCESS) {
        for (auto field : caution) {
          bool b = false;
          if (field.value.get_bool().get(b) == simdjson::SUCCESS && b) out.caution = true;
        }
      }
    }
    Instrument& in = out.instrument;
    in.exchange = ExchangeId::kUpbit;
    in.market = Market::kSpot;
    in.venue_symbol = market;
    in.symbol = std::move(symbol).value();
    in.trading = true;  // /v1/market/all lists the pairs that trade
    InstrumentRules& rules = in.rules;
    rules.step_size = Decimal::from_raw(kVolumeStep);
    rules.min_notional = *min;
    rules.min_notional_applies_to_market = true;
    if (in.symbol.quote == "BTC") rules.max_notional = Decimal::from_raw(kBtcMaxOrder);
    out.price_banded = in.symbol.quote != "BTC";
    if (const auto it = ticks->find(market); it != ticks->end()) {
      rules.tick_size = it->second;
      out.tick_from_venue = true;
    } else if (!out.price_banded) {
      rules.tick_size = Decimal::from_raw(kBtcTick);
    }
    page.instruments.push_back(std::move(out));
  }
  return page;
}

}  // namespace oms::upbit
