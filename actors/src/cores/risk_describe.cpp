// Off the hot path: a rejection as text for logs and operators, and as a journal event.
#include <string>

#include "oms/cores/risk_core.hpp"

namespace oms::actors {
namespace {

std::string_view scope_name(LimitScope s) noexcept {
  switch (s) {
    case LimitScope::kGlobal: return "global";
    case LimitScope::kAccount: return "account";
    case LimitScope::kStrategy: return "strategy";
    case LimitScope::kInstrument: return "instrument";
  }
  return "?";
}

// The unit a code's numbers are in: quote currency, base units, bps, x, or a count.
enum class Measure : std::uint8_t { kQuote, kBase, kBps, kTimes, kCount, kTokens };

Measure unit_of(RiskCode c) noexcept {
  switch (c) {
    case RiskCode::kOrderNotional:
    case RiskCode::kGrossExposure:
    case RiskCode::kNetExposure:
    case RiskCode::kDailyLoss: return Measure::kQuote;
    case RiskCode::kPriceBand: return Measure::kBps;
    case RiskCode::kLeverage: return Measure::kTimes;
    case RiskCode::kOpenOrders:
    case RiskCode::kConsecutiveLosses: return Measure::kCount;
    case RiskCode::kOrderRate: return Measure::kTokens;
    default: return Measure::kBase;
  }
}

}  // namespace

std::string describe(const RiskDecision& d, std::string_view quote) {
  std::string out = "risk ";
  if (d.passed()) return out + "passed";
  out += std::to_string(static_cast<unsigned>(d.code));
  out += ": ";
  out += to_string(d.code);
  const std::string value = d.value.to_string();
  const std::string limit = d.limit.to_string();
  switch (d.code) {
    case RiskCode::kKillSwitchHalted: break;
    case RiskCode::kReducingOnly:
      out += " admits only reducing orders: quantity " + value + " against position " + limit;
      break;
    case RiskCode::kOverflow:
    case RiskCode::kInvalidOrder:
      out += ": quantity " + value + " at price " + limit;
      break;
    case RiskCode::kUnknownId:
      out += ": account " + std::to_string(d.account.value) + ", strategy " +
             std::to_string(d.strategy.value) + ", instrument " +
             std::to_string(d.instrument.value);
      break;
    case RiskCode::kNoReferencePrice: out += " for a price band of " + limit + " bps"; break;
    case RiskCode::kNoQuoteRate:
      // value: the order's price in its own quote; the limits are in USDT.
      out += ": instrument " + std::to_string(d.instrument.value) + " at " + value +
             " cannot be valued in USDT until its rate instrument has a mark";
      break;
    case RiskCode::kOrderRate:
      out += " " + value + " tokens < 1 (limit " + limit + "/s)";
      break;
    case RiskCode::kConsecutiveLosses:
      out += " " + value + " >= limit " + limit;
      break;
    case RiskCode::kVenueRule:
      // "risk 2020: venue rule 3116 PRICE_FILTER: price is not a multiple of tickSize: ..."
      out += " " + FilterReject{d.rule, d.value, d.limit}.describe();
      break;
    case RiskCode::kSelfTrade:
      // value: our resting order's price; limit: the new order's (0: a market order); the
      // scope names the resting order's account.
      out += ": the order at " + (d.limit.is_zero() ? std::string("market") : limit) +
             " would trade against our resting order at " + value;
      break;
    default: {
      std::string unit;
      switch (unit_of(d.code)) {
        case Measure::kQuote: unit = " " + std::string(quote); break;
        case Measure::kBps: unit = " bps"; break;
        case Measure::kTimes: unit = "x"; break;
        default: break;
      }
      out += " " + value + unit + " > limit " + limit;
    }
  }
  out += " (";
  out += scope_name(d.scope);
  if (d.scope != LimitScope::kGlobal) out += " " + std::to_string(d.scope_id);
  out += ")";
  return out;
}

RiskBreached to_event(const RiskDecision& d) noexcept {
  RiskBreached e;
  e.scope = d.scope;
  e.account = d.account;
  e.strategy = d.strategy;
  e.instrument = d.instrument;
  e.code = static_cast<std::uint16_t>(d.code);
  e.value = d.value;
  e.limit = d.limit;
  return e;
}

}  // namespace oms::actors
