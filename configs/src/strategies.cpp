// strategies.yaml -> StrategiesConfig: names, types and the common keys; the parameters of
// each type are read in arbitrage.cpp and instruments.cpp.
#include "oms/configs/strategies.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "loaders.hpp"

namespace oms::configs {
namespace detail {
namespace {

std::optional<StrategyType> parse_strategy_type(std::string_view s) {
  for (const auto t :
       {StrategyType::kArbitrage, StrategyType::kMarketMaking, StrategyType::kTrendFollowing}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// "HH:MM" -> minutes after midnight (24:00 allowed as an end); -1 when it does not read.
int read_time_of_day(const Field& f, bool end, Diagnostics& diag) {
  const auto text = read_string(f, diag);
  if (!text) return -1;
  const auto& t = *text;
  const bool shape = t.size() == 5 && t[2] == ':' && std::isdigit(static_cast<unsigned char>(t[0])) &&
                     std::isdigit(static_cast<unsigned char>(t[1])) &&
                     std::isdigit(static_cast<unsigned char>(t[3])) &&
                     std::isdigit(static_cast<unsigned char>(t[4]));
  const int h = shape ? (t[0] - '0') * 10 + (t[1] - '0') : -1;
  const int m = shape ? (t[3] - '0') * 10 + (t[4] - '0') : -1;
  if (!shape || m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) {
    diag.error(f.value_mark(), f.label() + " must be a UTC time HH:MM" +
                                   std::string(end ? " (24:00 for midnight)" : "") + ", got '" + t + "'");
    return -1;
  }
  return h * 60 + m;
}

std::vector<ScheduleWindow> read_schedule(const Field& f, const std::string& strategy,
                                          Diagnostics& diag) {
  std::vector<ScheduleWindow> out;
  if (!expect_nonempty_sequence(f, diag)) return out;
  std::size_t index = 0;
  for (const YAML::Node& item : f.value) {
    ++index;
    const std::string where = " in schedule window " + std::to_string(index) + " of strategy '" + strategy + "'";
    if (!item.IsMap()) {
      diag.error(item.Mark(), "schedule window " + std::to_string(index) + " of strategy '" +
                                  strategy + "' must be a mapping with from, to and optional days");
      continue;
    }
    MapReader m(item, where, item.Mark(), diag);
    m.allow_only({"days", "from", "to"});
    ScheduleWindow w;
    const Field* from = m.require("from");
    const Field* to = m.require("to");
    const int a = from != nullptr ? read_time_of_day(*from, false, diag) : -1;
    const int b = to != nullptr ? read_time_of_day(*to, true, diag) : -1;
    if (a >= 0 && b >= 0 && b <= a) {
      diag.error(to->value_mark(), to->label() + " must be after from (" + from->value.as<std::string>() +
                                       "); a window across midnight is two windows");
    }
    if (const Field* days = m.find("days"); days != nullptr && expect_nonempty_sequence(*days, diag)) {
      w.days = 0;
      for (const YAML::Node& d : days->value) {
        const std::string name = d.IsScalar() ? d.as<std::string>() : std::string();
        const auto it = std::find(kDays.begin(), kDays.end(), name);
        if (it == kDays.end()) {
          diag.error(d.Mark(), "'days'" + where + " must list mon, tue, wed, thu, fri, sat, sun; got '" + name + "'");
          continue;
        }
        w.days = static_cast<std::uint8_t>(w.days | (1U << (it - kDays.begin())));
      }
    }
    if (a < 0 || b < 0) continue;
    w.from_minute = a;
    w.to_minute = b;
    out.push_back(w);
  }
  return out;
}

std::optional<Strategy> read_strategy(const Field& entry, const References& refs,
                                      Diagnostics& diag) {
  if (!check_name(entry, "strategy", diag) || !expect_map(entry, diag)) return std::nullopt;
  Strategy s;
  s.name = entry.key;
  MapReader m(entry.value, " in strategy '" + entry.key + "'", entry.key_mark(), diag);
  const Field* type_field = m.require("type");
  const auto type_text = type_field != nullptr ? read_string(*type_field, diag) : std::nullopt;
  const auto type = type_text ? parse_strategy_type(*type_text) : std::nullopt;
  if (type_text && !type) {
    diag.error(type_field->value_mark(),
               type_field->label() + " must be arbitrage, market_making or trend_following, got '" +
                   *type_text + "'");
  }
  if (const Field* f = m.require("enabled")) s.enabled = read_bool(*f, diag).value_or(false);
  if (const Field* f = m.find("schedule")) s.schedule = read_schedule(*f, s.name, diag);
  if (!type) return s;  // without a type its other keys cannot be checked
  s.type = *type;
  switch (s.type) {
    case StrategyType::kArbitrage:
      s.params = read_arbitrage(m, s.name, refs, diag);
      break;
    case StrategyType::kMarketMaking:
      s.params = read_market_making(m, s.name, refs, diag);
      break;
    case StrategyType::kTrendFollowing:
      s.params = read_trend_following(m, s.name, refs, diag);
      break;
  }
  return s;
}

}  // namespace

StrategiesConfig read_strategies(const YAML::Node& doc, const References& refs, Diagnostics& diag) {
  StrategiesConfig out;
  if (!expect_document_map(doc, diag)) return out;
  MapReader top(doc, " at top level", doc.Mark(), diag);
  top.allow_only({"strategies"});
  const Field* strategies = top.require("strategies");
  if (strategies == nullptr || !expect_map(*strategies, diag)) return out;
  MapReader entries(strategies->value, " in strategies", strategies->key_mark(), diag);
  // Quoting: one owner per (exchange, account, instrument) across every strategy.
  struct Quoted {
    ExchangeId exchange;
    std::string account;
    CanonicalSymbol symbol;
    std::string strategy;
    std::size_t index;
  };
  std::vector<Quoted> quoted;
  for (const Field& entry : entries.fields()) {
    auto s = read_strategy(entry, refs, diag);
    if (!s) continue;
    if (const auto* mm = std::get_if<MarketMakingParams>(&s->params)) {
      const YAML::Node items = entry.value.IsMap() ? entry.value["instruments"] : YAML::Node();
      for (std::size_t i = 0; i < mm->instruments.size(); ++i) {
        const auto& q = mm->instruments[i];
        const auto owner = std::find_if(quoted.begin(), quoted.end(), [&](const Quoted& o) {
          return o.exchange == q.exchange && o.account == q.account && o.symbol == q.symbol &&
                 o.strategy != s->name;
        });
        if (owner != quoted.end()) {
          const YAML::Mark at = items.IsSequence() && i < items.size() ? items[i].Mark() : entry.key_mark();
          diag.error(at, "instrument " + std::to_string(i + 1) + " of strategy '" + s->name +
                             "' quotes " + q.symbol.to_string() + " on " +
                             std::string(to_string(q.exchange)) + " with account '" + q.account +
                             "', which strategy '" + owner->strategy + "' quotes (instrument " +
                             std::to_string(owner->index) +
                             "): one quoting strategy per account and instrument");
        }
        quoted.push_back(Quoted{q.exchange, q.account, q.symbol, s->name, i + 1});
      }
    }
    const auto id = out.ids.intern(s->name);
    if (!id) {
      diag.error(entry.key_mark(),
                 "too many strategies (at most " + std::to_string(StrategyId::kInvalid) + ")");
      continue;
    }
    s->id = *id;
    out.strategies.push_back(std::move(*s));
  }
  return out;
}

}  // namespace detail

std::string_view to_string(StrategyType t) noexcept {
  switch (t) {
    case StrategyType::kArbitrage:
      return "arbitrage";
    case StrategyType::kMarketMaking:
      return "market_making";
    case StrategyType::kTrendFollowing:
      return "trend_following";
  }
  return "unknown";
}

bool in_schedule(const std::vector<ScheduleWindow>& schedule, std::int64_t utc_ns) noexcept {
  if (schedule.empty()) return true;
  constexpr std::int64_t kMinute = 60'000'000'000;
  const std::int64_t minutes = utc_ns / kMinute;
  const std::int64_t day = minutes / 1440;  // days since 1970-01-01, a Thursday
  const int minute = static_cast<int>(minutes % 1440);
  const int weekday = static_cast<int>((day + 3) % 7);  // 0 Monday
  for (const auto& w : schedule) {
    if ((w.days & (1U << weekday)) != 0 && minute >= w.from_minute && minute < w.to_minute) return true;
  }
  return false;
}

const Strategy* StrategiesConfig::find(std::string_view name) const {
  const auto id = ids.find(name);
  return id ? &strategies[id->index()] : nullptr;
}

StrategiesConfig load_strategies_from_string(std::string_view text, std::string_view filename) {
  detail::Diagnostics diag{std::string(filename)};
  StrategiesConfig out;
  if (const auto doc = detail::parse_document(text, diag)) {
    out = detail::read_strategies(*doc, detail::References{}, diag);
  }
  detail::throw_if_errors(diag);
  return out;
}

}  // namespace oms::configs
