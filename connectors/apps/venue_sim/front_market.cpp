// venue-sim front: public market-data endpoints (ping, time, exchangeInfo, depth, bookTicker)
// of both markets, exchangeInfo generated from the venue's own instruments, and the default
// instrument list.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <span>

#include "front_impl.hpp"

namespace oms::venue_sim {

namespace {

Decimal dec(const char* s) { return *Decimal::parse(s); }

// The fractional digits of d (Binance's precision fields); 8 for zero, as Binance prints it.
int decimals_of(Decimal d) { return d.is_zero() ? 8 : d.decimals(); }

void levels_json(JsonOut& j, std::span<const sim::PriceQty> lv, bool spot) {
  j.arr();
  for (const auto& l : lv) {
    j.arr().str(spot ? fixed8(l.price) : canon(l.price)).str(spot ? fixed8(l.qty) : canon(l.qty));
    j.end_arr();
  }
  j.end_arr();
}

void filters_json(JsonOut& j, const Instrument& ins, bool spot) {
  const auto& r = ins.rules;
  auto f = [&](Decimal d) { return spot ? fixed8(d) : canon(d); };
  j.key("filters").arr();
  j.obj().kv("filterType", "PRICE_FILTER").kv("minPrice", f(r.min_price));
  j.kv("maxPrice", f(r.max_price)).kv("tickSize", f(r.tick_size)).end_obj();
  j.obj().kv("filterType", "LOT_SIZE").kv("minQty", f(r.min_qty)).kv("maxQty", f(r.max_qty));
  j.kv("stepSize", f(r.step_size)).end_obj();
  j.obj().kv("filterType", "MARKET_LOT_SIZE");
  j.kv("minQty", f(r.market_min_qty.raw() != 0 ? r.market_min_qty : r.min_qty));
  j.kv("maxQty", f(r.market_max_qty.raw() != 0 ? r.market_max_qty : r.max_qty));
  j.kv("stepSize", f(r.market_step_size.raw() != 0 ? r.market_step_size : r.step_size)).end_obj();
  if (spot) {
    j.obj().kv("filterType", "NOTIONAL").kv("minNotional", f(r.min_notional));
    j.kb("applyMinToMarket", r.min_notional_applies_to_market);
    j.kv("maxNotional", f(r.max_notional.raw() != 0 ? r.max_notional : dec("9000000")));
    j.kb("applyMaxToMarket", r.max_notional_applies_to_market).kn("avgPriceMins", 5).end_obj();
    if (r.max_num_orders != 0) {
      j.obj().kv("filterType", "MAX_NUM_ORDERS").kn("maxNumOrders", r.max_num_orders).end_obj();
    }
    if (r.max_num_algo_orders != 0) {
      j.obj().kv("filterType", "MAX_NUM_ALGO_ORDERS");
      j.kn("maxNumAlgoOrders", r.max_num_algo_orders).end_obj();
    }
  } else {
    if (r.max_num_orders != 0) {
      j.obj().kv("filterType", "MAX_NUM_ORDERS").kn("limit", r.max_num_orders).end_obj();
    }
    if (r.max_num_algo_orders != 0) {
      j.obj().kv("filterType", "MAX_NUM_ALGO_ORDERS").kn("limit", r.max_num_algo_orders).end_obj();
    }
    j.obj().kv("filterType", "MIN_NOTIONAL").kv("notional", f(r.min_notional)).end_obj();
  }
  if (r.bid_band.up.raw() != 0) {
    j.obj().kv("filterType", spot ? "PERCENT_PRICE_BY_SIDE" : "PERCENT_PRICE");
    if (spot) {
      j.kv("bidMultiplierUp", f(r.bid_band.up)).kv("bidMultiplierDown", f(r.bid_band.down));
      j.kv("askMultiplierUp", f(r.ask_band.up)).kv("askMultiplierDown", f(r.ask_band.down));
      j.kn("avgPriceMins", 5);
    } else {
      j.kv("multiplierUp", f(r.bid_band.up)).kv("multiplierDown", f(r.bid_band.down));
      j.kv("multiplierDecimal", "4");
    }
    j.end_obj();
  }
  j.end_arr();
}

void rate_limits_json(JsonOut& j, const RateLimits& l, bool spot) {
  auto one = [&](const char* type, const char* interval, int n, std::uint32_t limit) {
    j.obj().kv("rateLimitType", type).kv("interval", interval).kn("intervalNum", n);
    j.kn("limit", limit).end_obj();
  };
  j.key("rateLimits").arr();
  one("REQUEST_WEIGHT", "MINUTE", 1, spot ? l.spot_weight_1m : l.usdm_weight_1m);
  one("ORDERS", "SECOND", 10, spot ? l.spot_orders_10s : l.usdm_orders_10s);
  if (spot) one("ORDERS", "DAY", 1, l.spot_orders_1d);
  else one("ORDERS", "MINUTE", 1, l.usdm_orders_1m);
  j.end_arr();
}

}  // namespace

std::vector<Instrument> default_instruments(Market m) {
  std::vector<Instrument> out;
  const bool spot = m == Market::kSpot;
  for (const char* base : {"BTC", "ETH"}) {
    const bool btc = std::string_view(base) == "BTC";
    Instrument ins;
    ins.market = m;
    ins.venue_symbol = std::string(base) + "USDT";
    ins.symbol.base = base;
    ins.symbol.quote = "USDT";
    if (!spot) ins.symbol.settle = "USDT";
    auto& r = ins.rules;
    r.tick_size = spot ? dec("0.01") : (btc ? dec("0.1") : dec("0.01"));
    r.min_price = r.tick_size;
    r.max_price = dec("1000000");
    r.step_size = spot ? (btc ? dec("0.00001") : dec("0.0001")) : dec("0.001");
    r.min_qty = r.step_size;
    r.max_qty = spot ? dec("9000") : dec("1000");
    r.min_notional = spot ? dec("5") : (btc ? dec("100") : dec("20"));
    r.max_num_orders = 200;
    out.push_back(ins);
  }
  return out;
}

Reply Front::Impl::exchange_info(Market m) {
  const bool spot = m == Market::kSpot;
  MarketState& st = state(m);
  JsonOut j;
  j.obj().kv("timezone", "UTC").kn("serverTime", now_ms());
  if (!spot) j.kv("futuresType", "U_MARGINED");
  rate_limits_json(j, cfg.limits, spot);
  j.key("exchangeFilters").arr().end_arr();
  if (!spot) {
    j.key("assets").arr().obj().kv("asset", "USDT").kb("marginAvailable", true);
    j.kv("autoAssetExchange", "-10000").end_obj().end_arr();
  }
  j.key("symbols").arr();
  for (sim::SymbolIndex s = 0; s < st.symbols.size(); ++s) {
    const Instrument& ins = st.venue->instrument(s);
    j.obj().kv("symbol", ins.venue_symbol);
    if (!spot) j.kv("pair", ins.venue_symbol).kv("contractType", "PERPETUAL");
    if (!spot) j.kn("deliveryDate", 4133404800000).kn("onboardDate", 1569398400000);
    j.kv("status", ins.trading ? "TRADING" : "BREAK");
    j.kv("baseAsset", ins.symbol.base);
    if (spot) j.kn("baseAssetPrecision", 8);
    j.kv("quoteAsset", ins.symbol.quote);
    if (!spot) {
      j.kv("marginAsset", ins.symbol.settle).kn("pricePrecision", decimals_of(ins.rules.tick_size));
      j.kn("quantityPrecision", decimals_of(ins.rules.step_size)).kn("baseAssetPrecision", 8);
      j.kv("underlyingType", "COIN").key("underlyingSubType").arr().end_arr();
      j.kv("maintMarginPercent", "2.5000").kv("requiredMarginPercent", "5.0000");
    }
    j.kn("quotePrecision", 8);
    if (spot) {
      j.kn("quoteAssetPrecision", 8).kn("baseCommissionPrecision", 8);
      j.kn("quoteCommissionPrecision", 8).key("orderTypes").arr();
      for (const char* t : {"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                            "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"}) {
        j.str(t);
      }
      j.end_arr().kb("icebergAllowed", false).kb("ocoAllowed", false).kb("otoAllowed", false);
      j.kb("quoteOrderQtyMarketAllowed", true).kb("allowTrailingStop", false);
      j.kb("cancelReplaceAllowed", true).kb("isSpotTradingAllowed", true);
      j.kb("isMarginTradingAllowed", false);
    }
    filters_json(j, ins, spot);
    if (spot) {
      j.key("permissions").arr().end_arr().key("permissionSets").arr().arr().str("SPOT");
      j.end_arr().end_arr().kv("defaultSelfTradePreventionMode", "EXPIRE_MAKER");
      j.key("allowedSelfTradePreventionModes").arr().str("EXPIRE_MAKER").end_arr();
    } else {
      j.key("orderTypes").arr();
      for (const char* t : {"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                            "TAKE_PROFIT_MARKET"}) {
        j.str(t);
      }
      j.end_arr().key("timeInForce").arr();
      for (const char* t : {"GTC", "IOC", "FOK", "GTX"}) j.str(t);
      j.end_arr();
    }
    j.end_obj();
  }
  j.end_arr().end_obj();
  return Reply{200, j.take()};
}

Reply Front::Impl::depth(Market m, const Params& p) {
  Reply err;
  const auto sym = symbol_of(m, p, err);
  if (!sym) return err;
  const bool spot = m == Market::kSpot;
  long limit = spot ? 100 : 500;
  if (const auto* l = p.find("limit"); l != nullptr && !l->empty()) {
    char* end = nullptr;
    limit = std::strtol(l->c_str(), &end, 10);
    if (*end != '\0' || limit <= 0 || limit > 5000) {
      return Reply::error(400, -1100, "Illegal characters found in parameter 'limit'.");
    }
  }
  MarketState& st = state(m);
  const auto n = static_cast<std::size_t>(limit);
  JsonOut j;
  j.obj().kn("lastUpdateId", static_cast<std::int64_t>(st.published[*sym].update_id));
  if (!spot) j.kn("E", now_ms()).kn("T", now_ms());
  // The snapshot is the published book (what the stream's diffs describe), so a client's
  // snapshot + diffs agree exactly.
  const auto& pub = st.published[*sym];
  j.key("bids");
  levels_json(j, std::span(pub.bids).first(std::min(n, pub.bids.size())), spot);
  j.key("asks");
  levels_json(j, std::span(pub.asks).first(std::min(n, pub.asks.size())), spot);
  j.end_obj();
  return Reply{200, j.take()};
}

Reply Front::Impl::book_ticker(Market m, const Params& p) {
  MarketState& st = state(m);
  const bool spot = m == Market::kSpot;
  auto one = [&](JsonOut& j, sim::SymbolIndex s) {
    const auto& pub = st.published[s];
    auto f = [&](Decimal d) { return spot ? fixed8(d) : canon(d); };
    j.obj();
    if (!spot) j.kn("lastUpdateId", static_cast<std::int64_t>(pub.update_id));
    j.kv("symbol", st.symbols[s]);
    j.kv("bidPrice", f(pub.bid ? pub.bid->price : Decimal{}));
    j.kv("bidQty", f(pub.bid ? pub.bid->qty : Decimal{}));
    j.kv("askPrice", f(pub.ask ? pub.ask->price : Decimal{}));
    j.kv("askQty", f(pub.ask ? pub.ask->qty : Decimal{}));
    if (!spot) j.kn("time", now_ms());
    j.end_obj();
  };
  JsonOut j;
  if (p.find("symbol") != nullptr) {
    Reply err;
    const auto sym = symbol_of(m, p, err);
    if (!sym) return err;
    one(j, *sym);
  } else {
    j.arr();
    for (sim::SymbolIndex s = 0; s < st.symbols.size(); ++s) one(j, s);
    j.end_arr();
  }
  return Reply{200, j.take()};
}

Reply Front::Impl::spot_public(std::string_view path, const Params& p) {
  if (path == "/api/v3/ping") return Reply{200, "{}"};
  if (path == "/api/v3/time") return Reply{200, "{\"serverTime\":" + std::to_string(now_ms()) + "}"};
  if (path == "/api/v3/exchangeInfo") return exchange_info(Market::kSpot);
  if (path == "/api/v3/depth") return depth(Market::kSpot, p);
  return book_ticker(Market::kSpot, p);
}

Reply Front::Impl::usdm_public(std::string_view path, const Params& p) {
  if (path == "/fapi/v1/ping") return Reply{200, "{}"};
  if (path == "/fapi/v1/time") return Reply{200, "{\"serverTime\":" + std::to_string(now_ms()) + "}"};
  if (path == "/fapi/v1/exchangeInfo") return exchange_info(Market::kUsdm);
  if (path == "/dapi/v1/exchangeInfo") {
    // COIN-M: no contract listed (venue-sim serves Binance Spot and USD-M).
    JsonOut j;
    j.obj().kv("timezone", "UTC").kn("serverTime", now_ms());
    rate_limits_json(j, cfg.limits, false);
    j.key("exchangeFilters").arr().end_arr().key("symbols").arr().end_arr().end_obj();
    return Reply{200, j.take()};
  }
  if (path == "/fapi/v1/depth") return depth(Market::kUsdm, p);
  return book_ticker(Market::kUsdm, p);
}

Reply Front::Impl::sapi(std::string_view path, const Params& p, Account& a) {
  (void)p;
  // No margin trading on venue-sim: no cross or isolated margin pair (Binance answers an empty
  // list to an account without margin pairs).
  if (path == "/sapi/v1/margin/allPairs" || path == "/sapi/v1/margin/isolated/allPairs") return Reply{200, "[]"};
  // /sapi/v1/capital/config/getall: every asset of the spot instruments with the account's
  // free and locked amounts, each on one network named after it; deposits and withdrawals are
  // not open anywhere (venue-sim's balances come from its configuration).
  std::set<std::string, std::less<>> assets;
  MarketState& st = state(Market::kSpot);
  for (sim::SymbolIndex s = 0; s < st.symbols.size(); ++s) {
    const Instrument& ins = st.venue->instrument(s);
    assets.insert(ins.symbol.base);
    assets.insert(ins.symbol.quote);
  }
  std::map<std::string, std::pair<Decimal, Decimal>, std::less<>> held;
  for (const auto& b : st.venue->balances(a.id)) held[b.asset] = {b.free, b.locked};
  JsonOut j;
  j.arr();
  for (const auto& asset : assets) {
    const auto it = held.find(asset);
    const Decimal free = it == held.end() ? Decimal{} : it->second.first;
    const Decimal locked = it == held.end() ? Decimal{} : it->second.second;
    j.obj().kv("coin", asset).kb("depositAllEnable", false).kb("withdrawAllEnable", false).kv("name", asset);
    j.kv("free", fixed8(free)).kv("locked", fixed8(locked)).kv("freeze", "0").kv("withdrawing", "0");
    j.kv("ipoing", "0").kv("ipoable", "0").kv("storage", "0").kb("isLegalMoney", false).kb("trading", true);
    j.key("networkList").arr().obj().kv("network", asset).kv("coin", asset).kv("withdrawIntegerMultiple", "0.00000001");
    j.kb("isDefault", true).kb("depositEnable", false).kb("withdrawEnable", false).kv("depositDesc", "");
    j.kv("withdrawDesc", "").kv("specialTips", "").kv("name", asset).kb("resetAddressStatus", false);
    j.kv("addressRegex", "").kv("memoRegex", "").kv("withdrawFee", "0").kv("withdrawMin", "0").kv("withdrawMax", "0");
    j.kn("minConfirm", 1).kn("unLockConfirm", 0).kb("sameAddress", false).kn("estimatedArrivalTime", 0);
    j.kb("busy", false).kv("contractAddressUrl", "").kv("contractAddress", "").end_obj().end_arr().end_obj();
  }
  j.end_arr();
  return Reply{200, j.take()};
}

}  // namespace oms::venue_sim
