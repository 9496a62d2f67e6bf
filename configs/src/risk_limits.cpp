#include "risk_limits.hpp"

#include <limits>

namespace oms::configs::detail {
namespace {

// A price band of 100 % lets any price through: the check would be off.
constexpr DecimalRange kBandRange{Decimal{}, false, Decimal::from_raw(10'000 * Decimal::kOne),
                                  true};
constexpr int kMaxInt = std::numeric_limits<int>::max();
// The risk table keeps a limit as one int64 at 1e-9 (actors' kMaxLimit): 9,223,372,036.854775806
// units or USDT at most; a larger limit is an error here, never cut.
constexpr DecimalRange kLimitRange{Decimal{}, false,
                                   Decimal::from_raw(std::numeric_limits<std::int64_t>::max() - 1), true};

// One limit of RiskLimits: its key, its member and its bounds.
struct LimitField {
  std::string_view key;
  std::optional<Decimal> RiskLimits::*decimal;  // exactly one of decimal / integer is set
  std::optional<int> RiskLimits::*integer;
  DecimalRange decimal_range;
  int min;
  int max;
  bool instrument_only;
};

// clang-format off
constexpr std::array<LimitField, kRiskLimitCount> kLimitFields{{
  {"max_order_notional",     &RiskLimits::max_order_notional, nullptr, kLimitRange, 0, 0, false},
  {"max_order_qty",          &RiskLimits::max_order_qty,      nullptr, kPositive, 0, 0, true},
  {"max_position",           &RiskLimits::max_position,       nullptr, kPositive, 0, 0, true},
  {"max_gross_exposure",     &RiskLimits::max_gross_exposure, nullptr, kLimitRange, 0, 0, false},
  {"max_net_exposure",       &RiskLimits::max_net_exposure,   nullptr, kPositive, 0, 0, false},
  {"max_leverage",           nullptr, &RiskLimits::max_leverage,           {}, 1, kMaxLeverage, false},
  {"price_band_bps",         &RiskLimits::price_band_bps,     nullptr, kBandRange, 0, 0, false},
  {"max_open_orders",        nullptr, &RiskLimits::max_open_orders,        {}, 1, kMaxInt, false},
  {"order_rate_per_second",  nullptr, &RiskLimits::order_rate_per_second,  {}, 1, kMaxInt, false},
  {"max_daily_loss",         &RiskLimits::max_daily_loss,     nullptr, kPositive, 0, 0, false},
  {"max_consecutive_losses", nullptr, &RiskLimits::max_consecutive_losses, {}, 1, kMaxInt, false},
}};
// clang-format on

}  // namespace

bool is_limit_key(std::string_view key, bool instrument_level) {
  for (const LimitField& lf : kLimitFields) {
    if (lf.key == key) return instrument_level || !lf.instrument_only;
  }
  return false;
}

LimitsSource read_limits(const MapReader& m, std::string path, bool instrument_level,
                         Diagnostics& diag) {
  LimitsSource out;
  out.path = std::move(path);
  for (std::size_t i = 0; i < kLimitFields.size(); ++i) {
    const LimitField& lf = kLimitFields[i];
    const Field* f = m.find(lf.key);
    if (f == nullptr) continue;
    if (lf.instrument_only && !instrument_level) {
      diag.error(f->key_mark(),
                 f->label() + " is a per-instrument limit (base units); set it under instruments");
      continue;
    }
    out.marks[i] = f->value_mark();
    if (lf.decimal != nullptr) {
      out.limits.*lf.decimal = read_decimal(*f, diag, lf.decimal_range);
    } else {
      out.limits.*lf.integer = read_small_int(*f, diag, lf.min, lf.max);
    }
  }
  return out;
}

void check_within(const LimitsSource& child, const LimitsSource& parent, Diagnostics& diag) {
  for (std::size_t i = 0; i < kLimitFields.size(); ++i) {
    const LimitField& lf = kLimitFields[i];
    std::string mine;
    std::string theirs;
    if (lf.decimal != nullptr) {
      const auto& c = child.limits.*lf.decimal;
      const auto& p = parent.limits.*lf.decimal;
      if (!c || !p || *c <= *p) continue;
      mine = c->to_string();
      theirs = p->to_string();
    } else {
      const auto& c = child.limits.*lf.integer;
      const auto& p = parent.limits.*lf.integer;
      if (!c || !p || *c <= *p) continue;
      mine = std::to_string(*c);
      theirs = std::to_string(*p);
    }
    diag.error(child.marks[i], "'" + std::string(lf.key) + "' in " + child.path + " is " + mine +
                                   ", above " + theirs + " in " + parent.path);
  }
}

}  // namespace oms::configs::detail
