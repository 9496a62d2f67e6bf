// The parameters of strategies that trade a list of instruments, each on one venue with one
// account: market making and trend following.
#include <algorithm>

#include "loaders.hpp"

namespace oms::configs::detail {
namespace {

// A spread wider than 100 % of the price quotes nothing useful.
constexpr DecimalRange kSpreadRange{Decimal{}, false, Decimal::from_raw(10'000 * Decimal::kOne),
                                    true};
// bps that may be zero (a skew, a step), at most 100 %.
constexpr DecimalRange kSpreadNonNegative{Decimal{}, true, Decimal::from_raw(10'000 * Decimal::kOne),
                                          true};
// Fractions of a value: 0 < x < 1.
constexpr DecimalRange kFractionRange{Decimal{}, false, Decimal::from_raw(Decimal::kOne), false};
// Moving-average lengths in bars; longer windows belong to another timeframe.
constexpr int kMaxPeriod = 10'000;

// Symbol, venue and account of one instrument, checked against the other files.
struct Placement {
  CanonicalSymbol symbol;
  Market market = Market::kSpot;
  ExchangeId exchange = ExchangeId::kBinance;
  std::string account;
  bool ok = false;  // symbol, exchange and account all read
};

Placement read_placement(MapReader& m, const std::string& strategy, const References& refs,
                         Diagnostics& diag) {
  Placement p;
  const Field* symbol = m.require("symbol");
  const Field* exchange = m.require("exchange");
  const Field* account = m.require("account");
  auto s = symbol != nullptr ? read_symbol(*symbol, diag) : std::nullopt;
  const auto e = exchange != nullptr ? read_exchange(*exchange, diag) : std::nullopt;
  const auto a = account != nullptr ? read_string(*account, diag) : std::nullopt;
  if (!s || !e || !a) return p;
  p.symbol = std::move(*s);
  p.market = market_of(p.symbol);
  p.exchange = *e;
  p.account = *a;
  p.ok = true;
  const std::string what =
      "instrument '" + p.symbol.to_string() + "' of strategy '" + strategy + "'";
  check_market_enabled(refs, p.exchange, p.market, exchange->value_mark(), what, diag);
  check_account_for(refs, p.account, p.exchange, p.market, strategy, account->value_mark(), what,
                    diag);
  return p;
}

// Records a repeated (symbol, exchange, account) among the instruments read so far.
template <class Instrument>
bool is_repeat(const std::vector<Instrument>& seen, const std::vector<std::size_t>& seen_index,
               const Placement& p, const YAML::Node& item, const std::string& item_name,
               Diagnostics& diag) {
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].symbol == p.symbol && seen[i].exchange == p.exchange &&
        seen[i].account == p.account) {
      diag.error(item.Mark(), item_name + " repeats " + p.symbol.to_string() + " on " +
                                  std::string(to_string(p.exchange)) + " with account '" +
                                  p.account + "' (first in instrument " +
                                  std::to_string(seen_index[i]) + ")");
      return true;
    }
  }
  return false;
}

QuotedInstrument read_quoted(MapReader& m, const std::string& strategy, const References& refs,
                             Placement& p, Diagnostics& diag) {
  m.allow_only({"symbol", "exchange", "account", "spread_bps", "quote_size", "max_inventory",
                "refresh_rate", "levels", "level_step_bps", "fair", "skew_bps", "requote_bps",
                "vol_multiplier", "vol_interval", "vol_samples", "shock_move", "shock_window",
                "shock_pause", "stale_after", "max_actions_per_second"});
  p = read_placement(m, strategy, refs, diag);
  QuotedInstrument q;
  q.symbol = p.symbol;
  q.market = p.market;
  q.exchange = p.exchange;
  q.account = p.account;
  if (const Field* f = m.require("spread_bps"))
    q.spread_bps = read_decimal(*f, diag, kSpreadRange).value_or(Decimal{});
  const Field* size = m.require("quote_size");
  if (size != nullptr) q.quote_size = read_decimal(*size, diag, kPositive).value_or(Decimal{});
  if (const Field* f = m.require("max_inventory")) {
    if (const auto v = read_decimal(*f, diag, kPositive)) {
      q.max_inventory = *v;
      if (q.quote_size.is_positive() && *v < q.quote_size) {
        diag.error(f->value_mark(), f->label() + " is " + v->to_string() + ", below quote_size " +
                                        q.quote_size.to_string());
      }
    }
  }
  if (const Field* f = m.require("refresh_rate")) {
    q.refresh_rate = read_duration(*f, diag).value_or(std::chrono::milliseconds{0});
  }
  const auto bps_of = [&](std::string_view key, Decimal fallback) {
    const Field* f = m.find(key);
    return f != nullptr ? read_decimal(*f, diag, kSpreadNonNegative).value_or(fallback) : fallback;
  };
  const auto duration_of = [&](std::string_view key, std::chrono::milliseconds fallback) {
    const Field* f = m.find(key);
    return f != nullptr ? read_duration(*f, diag).value_or(fallback) : fallback;
  };
  if (const Field* f = m.find("levels")) q.levels = read_small_int(*f, diag, 1, 20).value_or(1);
  const auto half = Decimal::from_raw(q.spread_bps.raw() / 2);
  q.level_step_bps = bps_of("level_step_bps", half);
  q.skew_bps = bps_of("skew_bps", Decimal{});
  q.requote_bps = bps_of("requote_bps", Decimal::from_raw(q.spread_bps.raw() / 4));
  if (const Field* f = m.find("fair")) {
    if (const auto v = read_string(*f, diag)) {
      if (*v == "micro") q.micro_price = true;
      else if (*v != "mid")
        diag.error(f->value_mark(), f->label() + " must be mid or micro, got '" + *v + "'");
    }
  }
  if (const Field* f = m.find("vol_multiplier"))
    q.vol_multiplier = read_decimal(*f, diag, kNonNegative).value_or(Decimal{});
  q.vol_interval = duration_of("vol_interval", q.vol_interval);
  if (const Field* f = m.find("vol_samples"))
    q.vol_samples = read_small_int(*f, diag, 1, 100'000).value_or(60);
  if (const Field* f = m.find("shock_move"))
    q.shock_move = read_decimal(*f, diag, kFractionRange).value_or(Decimal{});
  q.shock_window = duration_of("shock_window", q.shock_window);
  q.shock_pause = duration_of("shock_pause", q.shock_pause);
  q.stale_after = duration_of("stale_after", q.stale_after);
  if (const Field* f = m.find("max_actions_per_second"))
    q.max_actions_per_second = read_small_int(*f, diag, 1, 100'000).value_or(0);
  return q;
}

MarketMakingRiskLimits read_mm_limits(const Field& f, const std::string& strategy,
                                      Diagnostics& diag) {
  MarketMakingRiskLimits out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in risk_limits of strategy '" + strategy + "'", f.key_mark(), diag);
  m.allow_only({"max_daily_loss", "max_position_value", "auto_stop_loss"});
  if (const Field* g = m.require("max_daily_loss")) {
    out.max_daily_loss = read_decimal(*g, diag, kPositive).value_or(Decimal{});
  }
  if (const Field* g = m.require("max_position_value")) {
    out.max_position_value = read_decimal(*g, diag, kPositive).value_or(Decimal{});
  }
  if (const Field* g = m.require("auto_stop_loss")) {
    out.auto_stop_loss = read_decimal(*g, diag, kFractionRange).value_or(Decimal{});
  }
  return out;
}

TrendInstrument read_trend(MapReader& m, const std::string& strategy, const References& refs,
                           Placement& p, Diagnostics& diag) {
  m.allow_only({"symbol", "exchange", "account", "timeframe", "fast_period", "slow_period",
                "order_size", "max_position", "leverage"});
  p = read_placement(m, strategy, refs, diag);
  TrendInstrument t;
  t.symbol = p.symbol;
  t.market = p.market;
  t.exchange = p.exchange;
  t.account = p.account;
  if (const Field* f = m.require("timeframe")) {
    t.timeframe = read_duration(*f, diag).value_or(std::chrono::milliseconds{0});
  }
  if (const Field* f = m.require("fast_period"))
    t.fast_period = read_small_int(*f, diag, 1, kMaxPeriod).value_or(0);
  if (const Field* f = m.require("slow_period")) {
    if (const auto v = read_small_int(*f, diag, 1, kMaxPeriod)) {
      t.slow_period = *v;
      if (t.fast_period > 0 && *v <= t.fast_period) {
        diag.error(f->value_mark(), f->label() + " must be greater than fast_period " +
                                        std::to_string(t.fast_period) + ", got '" +
                                        std::to_string(*v) + "'");
      }
    }
  }
  if (const Field* f = m.require("order_size"))
    t.order_size = read_decimal(*f, diag, kPositive).value_or(Decimal{});
  if (const Field* f = m.require("max_position")) {
    if (const auto v = read_decimal(*f, diag, kPositive)) {
      t.max_position = *v;
      if (t.order_size.is_positive() && *v < t.order_size) {
        diag.error(f->value_mark(), f->label() + " is " + v->to_string() + ", below order_size " +
                                        t.order_size.to_string());
      }
    }
  }
  if (const Field* f = m.find("leverage")) {
    if (const auto v = read_small_int(*f, diag, 1, kMaxLeverage)) {
      t.leverage = *v;
      const Account* a =
          p.ok && refs.accounts != nullptr ? refs.accounts->find(p.account) : nullptr;
      if (p.ok && p.market == Market::kSpot && *v != 1) {
        diag.error(f->value_mark(), f->label() + " must be 1 for spot symbol '" +
                                        p.symbol.to_string() + "', got '" + std::to_string(*v) +
                                        "'");
      } else if (a != nullptr && a->max_leverage && *v > *a->max_leverage) {
        diag.error(f->value_mark(), f->label() + " is " + std::to_string(*v) +
                                        ", above max_leverage " + std::to_string(*a->max_leverage) +
                                        " of account '" + a->name + "'");
      }
    }
  }
  return t;
}

// Reads the `instruments` list with read_one for each item; repeats are errors.
template <class Instrument, class ReadOne>
std::vector<Instrument> read_instruments(MapReader& m, const std::string& strategy,
                                         ReadOne read_one, Diagnostics& diag) {
  std::vector<Instrument> out;
  std::vector<std::size_t> out_index;  // file position of each instrument kept
  const Field* f = m.require("instruments");
  if (f == nullptr || !expect_nonempty_sequence(*f, diag)) return out;
  std::size_t index = 0;
  for (const YAML::Node& item : f->value) {
    ++index;
    const std::string item_name =
        "instrument " + std::to_string(index) + " of strategy '" + strategy + "'";
    if (!expect_item_map(item, item_name, diag)) continue;
    MapReader im(item, " in " + item_name, item.Mark(), diag);
    Placement p;
    Instrument instrument = read_one(im, p);
    if (p.ok && is_repeat(out, out_index, p, item, item_name, diag)) continue;
    out.push_back(std::move(instrument));
    out_index.push_back(index);
  }
  return out;
}

}  // namespace

MarketMakingParams read_market_making(MapReader& m, const std::string& strategy,
                                      const References& refs, Diagnostics& diag) {
  MarketMakingParams out;
  m.allow_only({"type", "enabled", "schedule", "instruments", "risk_limits"});
  out.instruments = read_instruments<QuotedInstrument>(
      m, strategy,
      [&](MapReader& im, Placement& p) { return read_quoted(im, strategy, refs, p, diag); }, diag);
  if (const Field* f = m.require("risk_limits"))
    out.risk_limits = read_mm_limits(*f, strategy, diag);
  return out;
}

TrendFollowingParams read_trend_following(MapReader& m, const std::string& strategy,
                                          const References& refs, Diagnostics& diag) {
  TrendFollowingParams out;
  m.allow_only({"type", "enabled", "schedule", "instruments"});
  out.instruments = read_instruments<TrendInstrument>(
      m, strategy,
      [&](MapReader& im, Placement& p) { return read_trend(im, strategy, refs, p, diag); }, diag);
  return out;
}

}  // namespace oms::configs::detail
