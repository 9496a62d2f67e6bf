// exchanges.yaml -> ExchangesConfig.
#include "oms/configs/exchanges.hpp"

#include <limits>

#include "loaders.hpp"

namespace oms::configs {
namespace detail {
namespace {

// Binance caps recvWindow at 60 s; no venue accepts more.
constexpr int kMaxRecvWindowMs = 60'000;
constexpr int kMaxIpBanS = 86'400;
// A fee above 1 % of notional is a typo (bps written as percent), not a tariff.
constexpr Decimal kMaxFeeBps = Decimal::from_raw(100 * Decimal::kOne);
constexpr DecimalRange kMakerFeeRange{Decimal::from_raw(-100 * Decimal::kOne), true, kMaxFeeBps,
                                      true};
constexpr DecimalRange kTakerFeeRange{Decimal{}, true, kMaxFeeBps, true};
constexpr int kMaxInt = std::numeric_limits<int>::max();

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// A URL with the scheme we require: credentials and orders travel only over TLS.
std::string read_url(const Field& f, std::string_view scheme, Diagnostics& diag) {
  auto url = read_string(f, diag);
  if (!url) return {};
  if (!starts_with(*url, scheme) || url->size() == scheme.size()) {
    diag.error(f.value_mark(),
               f.label() + " must start with " + std::string(scheme) + ", got '" + *url + "'");
    return {};
  }
  return *url;
}

RateLimits read_rate_limits(const Field& f, Diagnostics& diag) {
  RateLimits out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, f.where + "." + f.key, f.key_mark(), diag);
  m.allow_only({"weight_per_minute", "orders_per_10s", "orders_per_day"});
  if (const Field* g = m.require("weight_per_minute")) {
    out.weight_per_minute = read_small_int(*g, diag, 1, kMaxInt).value_or(0);
  }
  if (const Field* g = m.require("orders_per_10s")) {
    out.orders_per_10s = read_small_int(*g, diag, 1, kMaxInt).value_or(0);
  }
  if (const Field* g = m.find("orders_per_day"))
    out.orders_per_day = read_small_int(*g, diag, 1, kMaxInt);
  return out;
}

Fees read_fees(const Field& f, Diagnostics& diag) {
  Fees out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, f.where + "." + f.key, f.key_mark(), diag);
  m.allow_only({"maker_bps", "taker_bps"});
  if (const Field* g = m.require("maker_bps")) {
    out.maker_bps = read_decimal(*g, diag, kMakerFeeRange).value_or(Decimal{});
  }
  if (const Field* g = m.require("taker_bps")) {
    out.taker_bps = read_decimal(*g, diag, kTakerFeeRange).value_or(Decimal{});
  }
  return out;
}

MarketConfig read_market(const Field& f, Market market, const std::string& path,
                         Diagnostics& diag) {
  MarketConfig out;
  out.market = market;
  MapReader m(f.value, " in " + path, f.key_mark(), diag);
  m.allow_only({"enabled", "rest_url", "ws_url", "rate_limits", "fees"});
  if (const Field* g = m.require("enabled")) out.enabled = read_bool(*g, diag).value_or(false);
  if (const Field* g = m.require("rest_url")) out.rest_url = read_url(*g, "https://", diag);
  if (const Field* g = m.require("ws_url")) out.ws_url = read_url(*g, "wss://", diag);
  if (const Field* g = m.require("rate_limits")) out.rate_limits = read_rate_limits(*g, diag);
  if (const Field* g = m.require("fees")) out.fees = read_fees(*g, diag);
  return out;
}

std::optional<ExchangeConfig> read_venue(const Field& f, Diagnostics& diag) {
  const auto id = parse_exchange(f.key);
  if (!id) {
    diag.error(f.key_mark(), "unknown exchange '" + f.key + "' (known: " + known_exchanges() + ")");
    return std::nullopt;
  }
  if (!expect_map(f, diag)) return std::nullopt;
  ExchangeConfig out;
  out.id = *id;
  const std::string path = "exchanges." + f.key;
  MapReader m(f.value, " in " + path, f.key_mark(), diag);
  m.allow_only({"enabled", "testnet", "recv_window_ms", "ip_ban_s", "markets"});
  if (const Field* g = m.require("enabled")) out.enabled = read_bool(*g, diag).value_or(false);
  if (const Field* g = m.require("testnet")) out.testnet = read_bool(*g, diag).value_or(false);
  if (const Field* g = m.find("recv_window_ms")) {
    if (const auto ms = read_small_int(*g, diag, 1, kMaxRecvWindowMs)) {
      out.recv_window = std::chrono::milliseconds(*ms);
    }
  }
  if (const Field* g = m.find("ip_ban_s")) {
    if (const auto s = read_small_int(*g, diag, 1, kMaxIpBanS)) out.ip_ban = std::chrono::seconds(*s);
  }
  const Field* markets = m.require("markets");
  if (markets == nullptr || !expect_map(*markets, diag)) return out;
  MapReader mm(markets->value, " in " + path + ".markets", markets->key_mark(), diag);
  bool any_enabled = false;
  for (const Field& g : mm.fields()) {
    const auto market = parse_market(g.key);
    if (!market) {
      diag.error(g.key_mark(), "unknown market '" + g.key + "' in " + path +
                                   ".markets (known: spot, usdm, coinm)");
      continue;
    }
    if (!expect_map(g, diag)) continue;
    auto& slot = out.markets[static_cast<std::size_t>(*market)];
    slot = read_market(g, *market, path + ".markets." + g.key, diag);
    any_enabled = any_enabled || slot->enabled;
  }
  if (out.enabled && !any_enabled) {
    diag.error(markets->key_mark(),
               "exchange '" + f.key + "' is enabled but none of its markets is");
  }
  return out;
}

}  // namespace

ExchangesConfig read_exchanges(const YAML::Node& doc, Diagnostics& diag) {
  ExchangesConfig out;
  if (!expect_document_map(doc, diag)) return out;
  MapReader top(doc, " at top level", doc.Mark(), diag);
  top.allow_only({"exchanges"});
  const Field* exchanges = top.require("exchanges");
  if (exchanges == nullptr || !expect_map(*exchanges, diag)) return out;
  MapReader venues(exchanges->value, " in exchanges", exchanges->key_mark(), diag);
  for (const Field& f : venues.fields()) {
    if (auto ex = read_venue(f, diag)) out.by_id[static_cast<std::size_t>(ex->id)] = std::move(*ex);
  }
  return out;
}

}  // namespace detail

bool ExchangeConfig::market_enabled(Market m) const noexcept {
  const auto& market = markets[static_cast<std::size_t>(m)];
  return market.has_value() && market->enabled;
}

const ExchangeConfig* ExchangesConfig::find(ExchangeId e) const noexcept {
  const auto& ex = by_id[static_cast<std::size_t>(e)];
  return ex ? &*ex : nullptr;
}

bool ExchangesConfig::trades(ExchangeId e, Market m) const noexcept {
  const ExchangeConfig* ex = find(e);
  return ex != nullptr && ex->enabled && ex->market_enabled(m);
}

ExchangesConfig load_exchanges_from_string(std::string_view text, std::string_view filename) {
  detail::Diagnostics diag{std::string(filename)};
  ExchangesConfig out;
  if (const auto doc = detail::parse_document(text, diag)) out = detail::read_exchanges(*doc, diag);
  detail::throw_if_errors(diag);
  return out;
}

}  // namespace oms::configs
