// Public market-data requests (Security NONE) for spot /api/v3 and USD-M /fapi.
#include "requests_common.hpp"

namespace oms::binance {

using detail::error;
using detail::make;

namespace {

Result<Unit, RequestError> check_market(Market m, std::string_view what) {
  if (m != Market::kSpot && m != Market::kUsdm)
    return Unexpected{error(what, "market: spot or usdm only")};
  return Unit{};
}

Result<Unit, RequestError> check_all(Market m, std::span<const Instrument* const> ins,
                                     std::string_view what) {
  if (auto c = check_market(m, what); !c) return c;
  for (const Instrument* in : ins) {
    if (in == nullptr) return Unexpected{error(what, "instrument: missing")};
    if (auto c = detail::check_instrument(*in, m, what); !c) return c;
  }
  return Unit{};
}

// symbols=["BTCUSDT","ETHUSDT"] (spot's multi-symbol form).
void add_symbols(RestRequest& r, std::span<const Instrument* const> ins) {
  std::string json = "[";
  for (std::size_t i = 0; i < ins.size(); ++i) {
    if (i != 0) json.push_back(',');
    detail::append_json_string(ins[i]->venue_symbol, json);
  }
  json.push_back(']');
  r.add("symbols", json);
}

// spot: 2 for 1-20 symbols, 40 for 21-100, 80 beyond (and for all).
std::uint32_t spot_ticker_weight(std::size_t n) {
  constexpr std::size_t kSmall = 20, kMedium = 100;
  if (n == 0) return 80;
  return n <= kSmall ? 2 : (n <= kMedium ? 40 : 80);
}

// One symbol, several (spot: symbols=[...]; USD-M has no multi form: every symbol), or all.
Req ticker_like(Market m, std::span<const Instrument* const> ins, std::string_view spot_path,
                std::string_view usdm_path, std::uint32_t spot_one, std::uint32_t spot_all,
                std::uint32_t usdm_one, std::uint32_t usdm_all, std::string_view what) {
  if (auto c = check_all(m, ins, what); !c) return Unexpected{std::move(c).error()};
  const bool spot = m == Market::kSpot;
  RestRequest r =
      make(HttpMethod::kGet, spot ? spot_path : usdm_path, Security::kNone,
           spot ? (ins.empty() ? spot_all : spot_one) : (ins.size() == 1 ? usdm_one : usdm_all));
  if (ins.size() == 1) {
    r.add("symbol", ins[0]->venue_symbol);
  } else if (!ins.empty() && spot) {
    add_symbols(r, ins);
  }
  return r;
}

}  // namespace

Req depth(const Instrument& in, std::uint32_t limit) {
  constexpr std::string_view what = "depth";
  if (auto c = check_market(in.market, what); !c) return Unexpected{std::move(c).error()};
  if (auto c = detail::check_instrument(in, in.market, what); !c)
    return Unexpected{std::move(c).error()};
  std::uint32_t weight = 0;
  if (in.market == Market::kSpot) {
    constexpr std::uint32_t kDefault = 100, kMax = 5000;
    const std::uint32_t l = limit == 0 ? kDefault : limit;
    if (l > kMax) return Unexpected{error(what, "limit: at most 5000")};
    weight = l <= 100 ? 5 : (l <= 500 ? 25 : (l <= 1000 ? 50 : 250));
  } else {
    constexpr std::uint32_t kDefault = 500, kMax = 1000;
    const std::uint32_t l = limit == 0 ? kDefault : limit;
    if (l > kMax) return Unexpected{error(what, "limit: at most 1000")};
    weight = l <= 50 ? 2 : (l <= 100 ? 5 : (l <= 500 ? 10 : 20));
  }
  RestRequest r =
      make(HttpMethod::kGet, in.market == Market::kSpot ? "/api/v3/depth" : "/fapi/v1/depth",
           Security::kNone, weight);
  r.add("symbol", in.venue_symbol);
  if (limit != 0) r.add_int("limit", limit);
  return r;
}

Req usdm_rpi_depth(const Instrument& in, std::uint32_t limit) {
  if (auto c = detail::check_instrument(in, Market::kUsdm, "rpi depth"); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet, "/fapi/v1/rpiDepth", Security::kNone, 20);
  r.add("symbol", in.venue_symbol);
  if (limit != 0) r.add_int("limit", limit);
  return r;
}

Req exchange_info(Market m) {
  if (auto c = check_market(m, "exchange info"); !c) return Unexpected{std::move(c).error()};
  return m == Market::kSpot ? make(HttpMethod::kGet, "/api/v3/exchangeInfo", Security::kNone, 20)
                            : make(HttpMethod::kGet, "/fapi/v1/exchangeInfo", Security::kNone, 1);
}

Req server_time(Market m) {
  if (auto c = check_market(m, "server time"); !c) return Unexpected{std::move(c).error()};
  return make(HttpMethod::kGet, m == Market::kSpot ? "/api/v3/time" : "/fapi/v1/time",
              Security::kNone, 1);
}

Req book_ticker(Market m, std::span<const Instrument* const> ins) {
  return ticker_like(m, ins, "/api/v3/ticker/bookTicker", "/fapi/v1/ticker/bookTicker", 2, 4, 2, 5,
                     "book ticker");
}

Req ticker_24hr(Market m, std::span<const Instrument* const> ins) {
  auto r = ticker_like(m, ins, "/api/v3/ticker/24hr", "/fapi/v1/ticker/24hr",
                       spot_ticker_weight(ins.size()), 80, 1, 40, "24hr ticker");
  return r;
}

Req ticker_price(Market m, std::span<const Instrument* const> ins) {
  return ticker_like(m, ins, "/api/v3/ticker/price", "/fapi/v2/ticker/price",
                     ins.size() <= 1 ? 2 : 4, 4, 1, 2, "price ticker");
}

Req spot_rolling_ticker(std::span<const Instrument* const> ins) {
  constexpr std::string_view what = "rolling ticker";
  constexpr std::uint32_t kPerSymbol = 4, kCap = 200;
  if (ins.empty()) return Unexpected{error(what, "symbols: at least one")};
  if (auto c = check_all(Market::kSpot, ins, what); !c) return Unexpected{std::move(c).error()};
  const auto w = static_cast<std::uint32_t>(std::min<std::size_t>(ins.size() * kPerSymbol, kCap));
  RestRequest r = make(HttpMethod::kGet, "/api/v3/ticker", Security::kNone, w);
  if (ins.size() == 1) {
    r.add("symbol", ins[0]->venue_symbol);
  } else {
    add_symbols(r, ins);
  }
  return r;
}

Req klines(const Instrument& in, const KlineQuery& q, KlinePrice p) {
  constexpr std::string_view what = "klines";
  if (auto c = check_market(in.market, what); !c) return Unexpected{std::move(c).error()};
  if (auto c = detail::check_instrument(in, in.market, what); !c)
    return Unexpected{std::move(c).error()};
  if (q.interval.empty()) return Unexpected{error(what, "interval: required")};
  const bool spot = in.market == Market::kSpot;
  if (spot && p != KlinePrice::kTrade)
    return Unexpected{error(what, "price: spot has trade klines only")};
  std::string_view path = "/api/v3/klines";
  if (!spot) {
    path = p == KlinePrice::kMark
               ? "/fapi/v1/markPriceKlines"
               : (p == KlinePrice::kIndex ? "/fapi/v1/indexPriceKlines" : "/fapi/v1/klines");
  }
  std::uint32_t weight = 2;
  if (!spot) {
    const std::uint32_t l = q.limit == 0 ? 500 : q.limit;
    weight = l < 100 ? 1 : (l < 500 ? 2 : (l <= 1000 ? 5 : 10));
  }
  RestRequest r = make(HttpMethod::kGet, path, Security::kNone, weight);
  if (p == KlinePrice::kIndex) {
    // Index klines are per pair (BTCUSDT's pair is BTCUSDT for perpetuals).
    r.add("pair", in.symbol.base + in.symbol.quote);
  } else {
    r.add("symbol", in.venue_symbol);
  }
  r.add("interval", q.interval);
  if (q.start_time_ms != 0) r.add_int("startTime", q.start_time_ms);
  if (q.end_time_ms != 0) r.add_int("endTime", q.end_time_ms);
  if (q.limit != 0) r.add_int("limit", q.limit);
  return r;
}

Req agg_trades(const Instrument& in, const HistoryQuery& q) {
  constexpr std::string_view what = "agg trades";
  if (auto c = check_market(in.market, what); !c) return Unexpected{std::move(c).error()};
  if (auto c = detail::check_instrument(in, in.market, what); !c)
    return Unexpected{std::move(c).error()};
  RestRequest r = make(HttpMethod::kGet,
                       in.market == Market::kSpot ? "/api/v3/aggTrades" : "/fapi/v1/aggTrades",
                       Security::kNone, in.market == Market::kSpot ? 4 : 20);
  r.add("symbol", in.venue_symbol);
  HistoryQuery h = q;
  h.order_id = 0;
  detail::add_history(r, h);
  return r;
}

Req usdm_premium_index(const Instrument* in) {
  if (in == nullptr) return make(HttpMethod::kGet, "/fapi/v1/premiumIndex", Security::kNone, 10);
  if (auto c = detail::check_instrument(*in, Market::kUsdm, "premium index"); !c) {
    return Unexpected{std::move(c).error()};
  }
  RestRequest r = make(HttpMethod::kGet, "/fapi/v1/premiumIndex", Security::kNone, 1);
  r.add("symbol", in->venue_symbol);
  return r;
}

}  // namespace oms::binance
