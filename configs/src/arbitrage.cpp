// The parameters of an arbitrage strategy: pairs, execution and one account per venue.
#include <algorithm>

#include "loaders.hpp"

namespace oms::configs::detail {
namespace {

// A leg retried more often than this is chasing a market that has moved.
constexpr int kMaxRetry = 10;
// min_profit_rate is a fraction of notional: 0 < rate < 1.
constexpr DecimalRange kRateRange{Decimal{}, false, Decimal::from_raw(Decimal::kOne), false};
// A repair limit's reach through the touch: 0 (at the touch) to 10 % (1000 bps).
constexpr DecimalRange kBandRange{Decimal{}, true, Decimal::from_raw(1000 * Decimal::kOne), true};

std::optional<ExecutionMode> parse_mode(std::string_view s) {
  if (s == "aggressive") return ExecutionMode::kAggressive;
  if (s == "passive") return ExecutionMode::kPassive;
  if (s == "hybrid") return ExecutionMode::kHybrid;
  return std::nullopt;
}

ArbitrageExecution read_execution(const Field& f, const std::string& strategy, Diagnostics& diag) {
  ArbitrageExecution out;
  if (!expect_map(f, diag)) return out;
  MapReader m(f.value, " in execution of strategy '" + strategy + "'", f.key_mark(), diag);
  m.allow_only({"mode", "timeout", "retry", "leg_risk", "repair_order", "repair_band_bps",
                "leg_risk_time_limit", "max_book_age"});
  if (const Field* g = m.require("mode")) {
    if (const auto text = read_string(*g, diag)) {
      if (const auto mode = parse_mode(*text)) {
        out.mode = *mode;
      } else {
        diag.error(g->value_mark(),
                   g->label() + " must be aggressive, passive or hybrid, got '" + *text + "'");
      }
    }
  }
  if (const Field* g = m.require("timeout")) {
    out.timeout = read_duration(*g, diag).value_or(std::chrono::milliseconds{0});
  }
  if (const Field* g = m.require("retry"))
    out.retry = read_small_int(*g, diag, 0, kMaxRetry).value_or(0);
  if (const Field* g = m.find("leg_risk")) {
    if (const auto text = read_string(*g, diag)) {
      if (*text == "hedge") out.leg_risk = LegRiskPolicy::kHedge;
      else if (*text == "unwind") out.leg_risk = LegRiskPolicy::kUnwind;
      else diag.error(g->value_mark(), g->label() + " must be hedge or unwind, got '" + *text + "'");
    }
  }
  if (const Field* g = m.find("repair_order")) {
    if (const auto text = read_string(*g, diag)) {
      if (*text == "market") out.repair_market = true;
      else if (*text != "limit")
        diag.error(g->value_mark(), g->label() + " must be limit or market, got '" + *text + "'");
    }
  }
  if (const Field* g = m.find("repair_band_bps"))
    out.repair_band_bps = read_decimal(*g, diag, kBandRange).value_or(out.repair_band_bps);
  if (const Field* g = m.find("leg_risk_time_limit"))
    out.leg_risk_time_limit = read_duration(*g, diag).value_or(out.leg_risk_time_limit);
  if (const Field* g = m.find("max_book_age"))
    out.max_book_age = read_duration(*g, diag).value_or(out.max_book_age);
  return out;
}

// accounts: {exchange: account}.
void read_accounts_by_venue(const Field& f, const std::string& strategy, ArbitrageParams& out,
                            Diagnostics& diag) {
  if (!expect_map(f, diag)) return;
  MapReader m(f.value, " in accounts of strategy '" + strategy + "'", f.key_mark(), diag);
  for (const Field& g : m.fields()) {
    const auto ex = parse_exchange(g.key);
    if (!ex) {
      diag.error(g.key_mark(), "unknown exchange '" + g.key + "'" + m.where() +
                                   " (known: " + known_exchanges() + ")");
      continue;
    }
    const auto i = static_cast<std::size_t>(*ex);
    out.accounts[i] = read_string(g, diag).value_or("");
  }
}

// One pair; nullopt when its symbol could not be read (the error is recorded).
std::optional<ArbitragePair> read_pair(const YAML::Node& item, std::size_t index,
                                       const std::string& strategy, const ArbitrageParams& params,
                                       const References& refs, bool accounts_read,
                                       Diagnostics& diag) {
  ArbitragePair out;
  bool symbol_ok = false;
  const std::string where = " in pair " + std::to_string(index) + " of strategy '" + strategy + "'";
  MapReader m(item, where, item.Mark(), diag);
  m.allow_only({"symbol", "exchanges", "legs", "min_profit_rate", "max_position"});
  const auto check_leg_account = [&](ExchangeId ex, Market market, const YAML::Mark& at,
                                     const std::string& what) {
    check_market_enabled(refs, ex, market, at, what, diag);
    const std::string& account = params.accounts[static_cast<std::size_t>(ex)];
    if (account.empty()) {
      if (accounts_read) {
        diag.error(at, what + " trades on " + std::string(to_string(ex)) +
                           ", but 'accounts' in strategy '" + strategy + "' has no account for " +
                           std::string(to_string(ex)));
      }
    } else {
      check_account_for(refs, account, ex, market, strategy, at,
                        what + " on " + std::string(to_string(ex)), diag);
    }
  };
  if (const Field* f = m.find("legs")) {
    if (m.find("symbol") != nullptr || m.find("exchanges") != nullptr) {
      diag.error(f->key_mark(), f->label() + " replaces 'symbol' and 'exchanges'" + where +
                                    ": give one form or the other");
    }
    if (!expect_sequence(*f, diag)) return std::nullopt;
    for (const YAML::Node& node : f->value) {
      const auto text = read_item_string(node, "a leg in 'legs'" + where, diag);
      if (!text) continue;
      const auto colon = text->find(':');
      const auto ex = colon == std::string::npos ? std::nullopt : parse_exchange(text->substr(0, colon));
      if (!ex) {
        diag.error(node.Mark(), f->label() + ": '" + *text +
                                    "' is not EXCHANGE:SYMBOL with a known exchange (known: " +
                                    known_exchanges() + ")");
        continue;
      }
      auto symbol = parse_canonical(text->substr(colon + 1));
      if (!symbol) {
        diag.error(node.Mark(), f->label() + ": '" + *text + "' is not EXCHANGE:SYMBOL: " +
                                    symbol.error().message);
        continue;
      }
      ArbitrageLeg leg{*ex, std::move(symbol).value(), Market::kSpot};
      leg.market = market_of(leg.symbol);
      if (std::find(out.legs.begin(), out.legs.end(), leg) != out.legs.end()) {
        diag.error(node.Mark(), f->label() + " lists '" + *text + "' twice");
        continue;
      }
      check_leg_account(leg.exchange, leg.market, node.Mark(),
                        "leg '" + *text + "' of strategy '" + strategy + "'");
      out.legs.push_back(std::move(leg));
    }
    if (f->value.size() < 2) diag.error(f->value_mark(), f->label() + " must list at least 2 legs");
    if (out.legs.size() < 2) return std::nullopt;  // each problem has its error already
    out.symbol = out.legs.front().symbol;
    out.market = out.legs.front().market;
    for (const auto& leg : out.legs) {
      if (std::find(out.exchanges.begin(), out.exchanges.end(), leg.exchange) == out.exchanges.end())
        out.exchanges.push_back(leg.exchange);
    }
    if (const Field* g = m.require("min_profit_rate")) {
      out.min_profit_rate = read_decimal(*g, diag, kRateRange).value_or(Decimal{});
    }
    if (const Field* g = m.require("max_position")) {
      out.max_position = read_decimal(*g, diag, kPositive).value_or(Decimal{});
    }
    return out;
  }
  if (const Field* f = m.require("symbol")) {
    if (auto symbol = read_symbol(*f, diag)) {
      out.symbol = std::move(*symbol);
      out.market = market_of(out.symbol);
      symbol_ok = true;
    }
  }
  const std::string what = "pair '" + out.symbol.to_string() + "' of strategy '" + strategy + "'";
  if (const Field* f = m.require("exchanges"); f != nullptr && expect_sequence(*f, diag)) {
    for (const YAML::Node& node : f->value) {
      const auto text = read_item_string(node, "an exchange in 'exchanges'" + where, diag);
      if (!text) continue;
      const auto ex = parse_exchange(*text);
      if (!ex) {
        diag.error(node.Mark(), f->label() + " names unknown exchange '" + *text +
                                    "' (known: " + known_exchanges() + ")");
        continue;
      }
      if (std::find(out.exchanges.begin(), out.exchanges.end(), *ex) != out.exchanges.end()) {
        diag.error(node.Mark(), f->label() + " lists '" + *text + "' twice");
        continue;
      }
      out.exchanges.push_back(*ex);
      if (!symbol_ok) continue;
      out.legs.push_back(ArbitrageLeg{*ex, out.symbol, out.market});
      check_leg_account(*ex, out.market, node.Mark(), what);
    }
    // A pair lists the venues it buys and sells on: one venue is no arbitrage.
    if (f->value.size() < 2) {
      diag.error(f->value_mark(), f->label() + " must list at least 2 exchanges");
    }
  }
  if (const Field* f = m.require("min_profit_rate")) {
    out.min_profit_rate = read_decimal(*f, diag, kRateRange).value_or(Decimal{});
  }
  if (const Field* f = m.require("max_position")) {
    out.max_position = read_decimal(*f, diag, kPositive).value_or(Decimal{});
  }
  if (!symbol_ok) return std::nullopt;
  return out;
}

}  // namespace

ArbitrageParams read_arbitrage(MapReader& m, const std::string& strategy, const References& refs,
                               Diagnostics& diag) {
  ArbitrageParams out;
  m.allow_only({"type", "enabled", "schedule", "pairs", "execution", "accounts"});
  const Field* accounts = m.require("accounts");
  if (accounts != nullptr) read_accounts_by_venue(*accounts, strategy, out, diag);
  const bool accounts_read = accounts != nullptr && accounts->value.IsMap();

  if (const Field* f = m.require("pairs"); f != nullptr && expect_nonempty_sequence(*f, diag)) {
    std::size_t index = 0;
    std::vector<std::size_t> pair_index;  // file position of each pair kept
    for (const YAML::Node& item : f->value) {
      ++index;
      const std::string item_name =
          "pair " + std::to_string(index) + " of strategy '" + strategy + "'";
      if (!expect_item_map(item, item_name, diag)) continue;
      auto pair = read_pair(item, index, strategy, out, refs, accounts_read, diag);
      if (!pair) continue;
      const auto first =
          std::find_if(out.pairs.begin(), out.pairs.end(), [&](const ArbitragePair& p) {
            // The same legs, or the same symbol watched across exchanges twice.
            const auto one_symbol = [](const ArbitragePair& q) {
              return std::all_of(q.legs.begin(), q.legs.end(),
                                 [&](const ArbitrageLeg& l) { return l.symbol == q.symbol; });
            };
            return p.legs == pair->legs ||
                   (p.symbol == pair->symbol && one_symbol(p) && one_symbol(*pair));
          });
      if (first != out.pairs.end()) {
        diag.error(
            item.Mark(),
            item_name + " repeats symbol '" + pair->symbol.to_string() + "' (first in pair " +
                std::to_string(pair_index[static_cast<std::size_t>(first - out.pairs.begin())]) +
                ")");
        continue;
      }
      out.pairs.push_back(std::move(*pair));
      pair_index.push_back(index);
    }
  }
  if (const Field* f = m.require("execution")) out.execution = read_execution(*f, strategy, diag);
  return out;
}

}  // namespace oms::configs::detail
