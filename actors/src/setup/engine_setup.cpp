#include "oms/setup/engine_setup.hpp"

#include "oms/cores/valuation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "oms/configs/trading_day.hpp"
#include "oms/setup/risk_setup.hpp"
#include "oms/setup/strategy_setup.hpp"

namespace oms::setup {

namespace {

using nlohmann::json;

std::string instrument_name(const Instrument& i) {
  return std::string(to_string(i.exchange)) + ":" + std::string(to_string(i.market)) + ":" +
         i.symbol.to_string();
}

// Rules: only the ones a venue sets (zero means "no such rule"), as exact decimal text.
#define OMS_SETUP_RULES(X)                                                                    \
  X(tick_size) X(min_price) X(max_price) X(step_size) X(min_qty) X(max_qty)                   \
  X(market_step_size) X(market_min_qty) X(market_max_qty) X(min_notional) X(max_notional)

json rules_json(const InstrumentRules& r) {
  json j = json::object();
#define OMS_PUT(f) \
  if (!r.f.is_zero()) j[#f] = r.f.to_string();
  OMS_SETUP_RULES(OMS_PUT)
#undef OMS_PUT
  if (!r.bid_band.up.is_zero()) j["bid_band_up"] = r.bid_band.up.to_string();
  if (!r.bid_band.down.is_zero()) j["bid_band_down"] = r.bid_band.down.to_string();
  if (!r.ask_band.up.is_zero()) j["ask_band_up"] = r.ask_band.up.to_string();
  if (!r.ask_band.down.is_zero()) j["ask_band_down"] = r.ask_band.down.to_string();
  if (!r.min_notional_applies_to_market) j["min_notional_applies_to_market"] = false;
  if (r.max_notional_applies_to_market) j["max_notional_applies_to_market"] = true;
  if (r.max_num_orders != 0) j["max_num_orders"] = r.max_num_orders;
  if (r.max_num_algo_orders != 0) j["max_num_algo_orders"] = r.max_num_algo_orders;
  return j;
}

Decimal decimal_at(const json& j, const char* field, const std::string& where) {
  const auto it = j.find(field);
  if (it == j.end()) return Decimal{};
  if (!it->is_string()) throw std::runtime_error(where + "." + field + ": expected a decimal string");
  auto d = Decimal::parse(it->get<std::string>());
  if (!d) throw std::runtime_error(where + "." + field + ": '" + it->get<std::string>() + "': " + to_string(d.error()));
  return *d;
}

InstrumentRules rules_from(const json& j, const std::string& where) {
  InstrumentRules r;
#define OMS_GET(f) r.f = decimal_at(j, #f, where);
  OMS_SETUP_RULES(OMS_GET)
#undef OMS_GET
  r.bid_band.up = decimal_at(j, "bid_band_up", where);
  r.bid_band.down = decimal_at(j, "bid_band_down", where);
  r.ask_band.up = decimal_at(j, "ask_band_up", where);
  r.ask_band.down = decimal_at(j, "ask_band_down", where);
  r.min_notional_applies_to_market = j.value("min_notional_applies_to_market", true);
  r.max_notional_applies_to_market = j.value("max_notional_applies_to_market", false);
  r.max_num_orders = j.value("max_num_orders", std::uint32_t{0});
  r.max_num_algo_orders = j.value("max_num_algo_orders", std::uint32_t{0});
  return r;
}

template <class T>
T field(const json& j, const char* name, const std::string& where) {
  const auto it = j.find(name);
  if (it == j.end()) throw std::runtime_error(where + "." + name + ": missing");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(where + "." + name + ": wrong type");
  }
}

}  // namespace

std::string encode_setup(const EngineSetup& s) {
  json j;
  j["version"] = 1;
  j["desk"] = s.desk;
  j["config"] = {{configs::kExchangesFile, s.config.exchanges},
                 {configs::kAccountsFile, s.config.accounts},
                 {configs::kStrategiesFile, s.config.strategies},
                 {configs::kRiskFile, s.config.risk}};
  json instruments = json::array();
  for (const auto& i : s.instruments) {
    json ij{{"exchange", to_string(i.exchange)}, {"market", to_string(i.market)},
            {"venue_symbol", i.venue_symbol}, {"symbol", i.symbol.to_string()},
            {"rules", rules_json(i.rules)}};
    if (!i.trading) ij["trading"] = false;
    instruments.push_back(std::move(ij));
  }
  j["instruments"] = std::move(instruments);
  json accounts = json::array();
  for (const auto& a : s.accounts) {
    json markets = json::array();
    for (const Market m : a.markets) markets.push_back(to_string(m));
    accounts.push_back({{"name", a.name}, {"exchange", to_string(a.exchange)}, {"markets", markets}});
  }
  j["accounts"] = std::move(accounts);
  if (!s.other_accounts.empty()) j["other_accounts"] = s.other_accounts;
  j["engine"] = {{"ack_timeout_ms", s.ack_timeout.count()},
                 {"in_doubt_ttl_ms", s.in_doubt_ttl.count()},
                 {"snapshot_every", s.snapshot_every},
                 {"snapshot_interval_min", s.snapshot_interval.count()},
                 {"closed_order_retention_ms", s.closed_order_retention.count()}};
  return j.dump();
}

Result<EngineSetup, std::string> decode_setup(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return Unexpected(std::string("setup: expected an object"));
    if (field<int>(j, "version", "setup") != 1) {
      return Unexpected("setup.version " + std::to_string(field<int>(j, "version", "setup")) +
                        ": this build reads 1");
    }
    EngineSetup s;
    s.desk = field<std::uint16_t>(j, "desk", "setup");
    const json& c = j.at("config");
    s.config.exchanges = field<std::string>(c, configs::kExchangesFile, "setup.config");
    s.config.accounts = field<std::string>(c, configs::kAccountsFile, "setup.config");
    s.config.strategies = field<std::string>(c, configs::kStrategiesFile, "setup.config");
    s.config.risk = field<std::string>(c, configs::kRiskFile, "setup.config");
    std::size_t n = 0;
    for (const json& ij : j.at("instruments")) {
      const std::string where = "setup.instruments[" + std::to_string(n++) + "]";
      Instrument i;
      const auto ex = parse_exchange(field<std::string>(ij, "exchange", where));
      const auto m = parse_market(field<std::string>(ij, "market", where));
      if (!ex || !m) throw std::runtime_error(where + ": unknown exchange or market");
      i.exchange = *ex;
      i.market = *m;
      i.venue_symbol = field<std::string>(ij, "venue_symbol", where);
      auto sym = parse_canonical(field<std::string>(ij, "symbol", where));
      if (!sym) throw std::runtime_error(where + ".symbol: " + sym.error().message);
      i.symbol = *sym;
      i.trading = ij.value("trading", true);
      i.rules = rules_from(ij.at("rules"), where + ".rules");
      s.instruments.push_back(std::move(i));
    }
    n = 0;
    for (const json& aj : j.at("accounts")) {
      const std::string where = "setup.accounts[" + std::to_string(n++) + "]";
      SetupAccount a;
      a.name = field<std::string>(aj, "name", where);
      const auto ex = parse_exchange(field<std::string>(aj, "exchange", where));
      if (!ex) throw std::runtime_error(where + ".exchange: unknown");
      a.exchange = *ex;
      for (const auto& mj : aj.at("markets")) {
        const auto m = parse_market(mj.get<std::string>());
        if (!m) throw std::runtime_error(where + ".markets: unknown market");
        a.markets.push_back(*m);
      }
      s.accounts.push_back(std::move(a));
    }
    // Recorded since omsd --accounts: a run recorded before it ran every account.
    if (j.contains("other_accounts")) {
      s.other_accounts = field<std::vector<std::string>>(j, "other_accounts", "setup");
    }
    const json& e = j.at("engine");
    s.ack_timeout = std::chrono::milliseconds(field<std::int64_t>(e, "ack_timeout_ms", "setup.engine"));
    // Recorded since the in-doubt rule: a run recorded before it had none (0).
    if (e.contains("in_doubt_ttl_ms")) {
      s.in_doubt_ttl = std::chrono::milliseconds(field<std::int64_t>(e, "in_doubt_ttl_ms", "setup.engine"));
    }
    s.snapshot_every = field<std::uint64_t>(e, "snapshot_every", "setup.engine");
    s.snapshot_interval = std::chrono::minutes(field<std::int64_t>(e, "snapshot_interval_min", "setup.engine"));
    s.closed_order_retention =
        std::chrono::milliseconds(field<std::int64_t>(e, "closed_order_retention_ms", "setup.engine"));
    return s;
  } catch (const json::exception& e) {
    return Unexpected(std::string("setup: ") + e.what());
  } catch (const std::runtime_error& e) {
    return Unexpected(std::string(e.what()));
  }
}

std::vector<std::string> strategy_accounts(const configs::Strategy& strategy) {
  std::vector<std::string> out;
  const auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, configs::ArbitrageParams>) {
          for (const auto& a : p.accounts) add(a);
        } else {
          for (const auto& i : p.instruments) add(i.account);
        }
      },
      strategy.params);
  return out;
}

std::unique_ptr<BuiltEngine> build_engine(EngineSetup setup) {
  auto b = std::make_unique<BuiltEngine>();
  b->config = configs::load_config_from_strings(setup.config);
  // Daemons sharing a desk split the accounts; a strategy's accounts stay on one of them (its
  // legs, inventory and sagas are decided on one shard).
  for (const auto& other : setup.other_accounts) {
    if (b->config.accounts.find(other) == nullptr) {
      throw std::runtime_error("setup.other_accounts: '" + other + "' is not in accounts.yaml");
    }
  }
  for (const auto& st : b->config.strategies.strategies) {
    std::string here, there;
    for (const auto& n : strategy_accounts(st)) {
      const bool other = std::find(setup.other_accounts.begin(), setup.other_accounts.end(), n) !=
                         setup.other_accounts.end();
      auto& list = other ? there : here;
      list += (list.empty() ? "" : ", ") + n;
    }
    if (!here.empty() && !there.empty()) {
      throw std::runtime_error("strategy '" + st.name + "' trades " + here + " (run here) and " + there +
                               " (left to another daemon by --accounts): a strategy's accounts run "
                               "on one daemon");
    }
  }
  // Ids as omsd has always given them: accounts and strategies in config order, then the
  // instruments in the venues' order.
  for (const auto& a : b->config.accounts.accounts) (void)b->directory.accounts.intern(a.name);
  for (std::size_t s = 0; s < b->config.strategies.ids.size(); ++s) {
    (void)b->directory.strategies.intern(
        b->config.strategies.ids.name(StrategyId(static_cast<StrategyId::rep_type>(s))));
  }
  b->instruments = setup.instruments;
  for (auto& i : b->instruments) {
    const auto id = b->directory.instruments.intern(instrument_name(i));
    if (!id) throw std::runtime_error("setup: too many instruments");
    i.id = *id;
  }
  auto table = actors::InstrumentTable::from(b->instruments);
  if (!table) throw std::runtime_error("instruments: " + table.error());
  b->table = std::make_unique<actors::InstrumentTable>(std::move(table).value());
  b->risk = std::make_shared<actors::RiskCore>(
      b->directory.accounts.size(), std::max<std::size_t>(1, b->directory.strategies.size()),
      b->instruments.size());
  for (auto& p : apply_risk_config(b->config.risk, b->directory, b->risk->limits())) {
    b->notes.push_back(std::move(p));
  }
  // accounts.yaml's own limits, where tighter than risk.yaml's: max_position_usdt bounds the
  // account's gross exposure (its positions valued in USDT at the marks), max_leverage its
  // leverage (gross exposure over equity).
  for (const auto& a : b->config.accounts.accounts) {
    const auto id = b->directory.accounts.find(a.name);
    if (!id) continue;
    auto& limits = b->risk->limits();
    const auto scope_id = static_cast<std::uint32_t>(id->index());
    const auto tighter = [&](LimitKind kind, std::int64_t raw) {
      const auto have = limits.get(LimitScope::kAccount, scope_id, kind);
      if (raw < have) (void)limits.set(LimitScope::kAccount, scope_id, kind, raw);
    };
    if (a.max_position_usdt) {
      if (*a.max_position_usdt > actors::kMaxLimit) {
        b->notes.push_back("accounts.yaml " + a.name + ".max_position_usdt: beyond the largest limit " +
                           actors::kMaxLimit.to_string() + " (not placed)");
      } else {
        tighter(LimitKind::kGrossExposure, static_cast<std::int64_t>(a.max_position_usdt->raw()));
      }
    }
    if (a.max_leverage) tighter(LimitKind::kLeverage, std::int64_t{*a.max_leverage} * Decimal::kOne);
  }
  // Limits are in USDT: each instrument quoted in another currency is valued through the spot
  // instrument that prices its quote (Upbit's USDT/KRW for KRW); its market data is subscribed.
  const auto sources = actors::quote_sources(*b->table, &b->notes);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const InstrumentId id(static_cast<InstrumentId::rep_type>(i));
    if (!sources[i].rate.valid() && !sources[i].unpriced) continue;
    if (!b->risk->set_quote_source(id, sources[i])) {
      throw std::runtime_error("setup: instrument " + instrument_name(b->instruments[i]) +
                               ": its quote's rate instrument is itself priced through another");
    }
  }
  b->books.reserve(b->instruments.size());
  for (const auto& i : b->instruments) {
    // Bybit's rule (u == previous u + 1, a snapshot's u then +1) is the spot rule once its
    // connector numbers a delta U = u = its u (bybit/market_data.hpp).
    // Bybit's and OKX's books arrive numbered for the spot rule (market_data.hpp of each).
    const bool spot_rule = i.market == Market::kSpot || i.exchange == ExchangeId::kBybit || i.exchange == ExchangeId::kOkx;
    b->books.push_back(BookCoreConfig{i.id, spot_rule ? BookSequencing::kBinanceSpot
                                                      : BookSequencing::kBinanceFutures});
  }
  std::vector<std::pair<AccountId, Market>> running;
  for (const auto& a : setup.accounts) {
    const auto id = b->directory.accounts.find(a.name);
    if (!id) throw std::runtime_error("setup: account " + a.name + " is not in accounts.yaml");
    b->account_ids.push_back(*id);
    for (const Market m : a.markets) running.emplace_back(*id, m);
  }
  b->arbitrage = arbitrage_groups(b->config, b->directory, b->instruments, running, b->notes);
  b->quoters = quoters(b->config, b->directory, b->instruments, running, b->notes);
  b->setup = std::move(setup);
  return b;
}

namespace {

actors::TripThresholds thresholds(const configs::KillSwitchTrips& t) {
  actors::TripThresholds out;
  out.max_daily_loss = t.max_daily_loss;
  if (t.max_consecutive_losses) out.max_consecutive_losses = *t.max_consecutive_losses;
  out.max_drawdown = t.max_drawdown;
  if (t.max_rejects) out.max_rejects = *t.max_rejects;
  out.reject_window = TimeNs{t.reject_window_seconds.value_or(0)} * 1'000'000'000;
  out.venue_ban = t.venue_ban;
  return out;
}

}  // namespace

actors::KillSwitchRules kill_switch_rules(const configs::KillSwitchConfig& k, const Directory& directory) {
  actors::KillSwitchRules r;
  r.enabled = k.enabled;
  r.cancel_open_orders = k.cancel_open_orders;
  r.flatten_positions = k.flatten_positions;
  r.flatten_band_bps = k.flatten_band_bps;
  r.global = thresholds(configs::KillSwitchTrips{k.max_daily_loss, k.max_consecutive_losses, k.max_drawdown,
                                                 k.max_rejects, k.reject_window_seconds, k.venue_ban});
  r.accounts.resize(directory.accounts.size());
  r.strategies.resize(directory.strategies.size());
  for (const auto& a : k.accounts) {
    if (const auto id = directory.accounts.find(a.name)) r.accounts[id->index()] = thresholds(a.trips);
  }
  for (const auto& st : k.strategies) {
    if (const auto id = directory.strategies.find(st.name)) r.strategies[id->index()] = thresholds(st.trips);
  }
  return r;
}

actors::EngineOptions BuiltEngine::engine_options() const {
  actors::EngineOptions o;
  o.ack_timeout = setup.ack_timeout;
  o.in_doubt_ttl = setup.in_doubt_ttl;
  o.snapshot_every = setup.snapshot_every;
  o.snapshot_interval = setup.snapshot_interval;
  o.closed_order_retention = setup.closed_order_retention;
  o.books = books;
  o.arbitrage = arbitrage;
  o.quoters = quoters;
  for (const auto& i : instruments) {
    const auto k = i.id.index();
    if (o.algo_rules.size() <= k) o.algo_rules.resize(k + 1);
    o.algo_rules[k] = actors::AlgoRules{i.rules.tick_size, i.rules.step_size, i.rules.min_qty,
                                        i.rules.min_notional};
    if (o.venue_rules.size() <= k) o.venue_rules.resize(k + 1);
    o.venue_rules[k] = i;
    // Upbit's KRW markets step their prices by a table of price levels: the tick read at start
    // holds only near the price of that moment, so the venue alone judges those prices.
    if (i.exchange == ExchangeId::kUpbit && i.symbol.quote == "KRW") {
      o.venue_rules[k].rules.tick_size = Decimal{};
    }
    if (o.taker_fees.size() <= k) o.taker_fees.resize(k + 1);
    if (const auto* ex = config.exchanges.find(i.exchange)) {
      if (const auto& m = ex->markets[static_cast<std::size_t>(i.market)]) {
        // Rounded up: the router never counts on a smaller fee than configured.
        if (const auto f = m->fees.taker_bps.div(Decimal::from_raw(Int128{10'000} * Decimal::kOne), Rounding::kUp)) {
          o.taker_fees[k] = *f;
        }
      }
    }
  }
  for (const auto& st : config.strategies.strategies) {
    const auto id = directory.strategies.find(st.name);
    if (!id) continue;
    const auto kind = st.type == configs::StrategyType::kArbitrage ? actors::StrategyKind::kArbitrage
                      : st.type == configs::StrategyType::kMarketMaking
                          ? actors::StrategyKind::kMarketMaking
                          : actors::StrategyKind::kOther;
    actors::EngineStrategy es{*id, kind, st.enabled};
    const auto names = strategy_accounts(st);
    es.elsewhere = !names.empty() && std::all_of(names.begin(), names.end(), [&](const std::string& n) {
      return std::find(setup.other_accounts.begin(), setup.other_accounts.end(), n) !=
             setup.other_accounts.end();
    });
    o.strategies.push_back(es);
  }
  o.desk = setup.desk;
  o.setup = encode_setup(setup);
  o.kill_switch = kill_switch_rules(config.risk.kill_switch, directory);
  // risk.yaml's trading_day, validated at load: a zone the tzdata no longer has is an error here.
  std::string why;
  const auto calendar = configs::TradingDayCalendar::make(config.risk.trading_day, &why);
  if (!calendar) throw std::runtime_error("risk.yaml trading_day: " + why);
  o.trading_day = [calendar = *calendar](TimeNs t) {
    const configs::TradingDay d = calendar.day_of(t);
    return actors::TradingDayBounds{d.day, d.start, d.next};
  };
  return o;
}

std::vector<actors::EngineAccount> BuiltEngine::engine_accounts() const {
  std::vector<actors::EngineAccount> out;
  for (std::size_t i = 0; i < setup.accounts.size(); ++i) {
    actors::EngineAccount a;
    a.id = account_ids[i];
    a.name = setup.accounts[i].name;
    a.stream = persistence::StreamLayout::account_stream(setup.accounts[i].exchange, a.name);
    a.exchange = setup.accounts[i].exchange;
    out.push_back(std::move(a));
  }
  return out;
}

persistence::StreamLayout BuiltEngine::stream_layout() const {
  std::vector<persistence::StreamLayout::AccountRef> refs;
  std::vector<ExchangeId> exchanges;
  for (const auto& a : setup.accounts) {
    refs.push_back({a.exchange, a.name});
    if (std::find(exchanges.begin(), exchanges.end(), a.exchange) == exchanges.end())
      exchanges.push_back(a.exchange);
  }
  return persistence::StreamLayout(refs, exchanges);
}

}  // namespace oms::setup
