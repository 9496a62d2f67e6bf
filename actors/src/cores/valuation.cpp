#include "oms/cores/valuation.hpp"

namespace oms::actors {

UsdtPricing::UsdtPricing(const InstrumentTable& instruments) {
  for (std::uint32_t i = 0; i < instruments.size(); ++i) {
    const InstrumentAssets* a = instruments.find(InstrumentId(i));
    if (a == nullptr || a->market != Market::kSpot || a->quote.view() != "USDT") continue;
    priced_.push_back(Priced{a->base, InstrumentId(i)});
  }
}

Decimal UsdtPricing::equity(const AccountCore& account, std::span<const Decimal> marks) const {
  Decimal equity;
  for (const Balance& b : account.balances()) {
    const auto total = b.free.add(b.locked);
    if (!total) continue;
    Decimal value;
    if (b.asset.view() == "USDT") {
      value = *total;
    } else {
      const Priced* p = nullptr;
      for (const Priced& x : priced_) {
        if (x.asset == b.asset) p = &x;
      }
      if (p == nullptr || p->instrument.index() >= marks.size()) continue;
      const Decimal mark = marks[p->instrument.index()];
      if (!mark.is_positive()) continue;
      const auto product = total->mul(mark, Rounding::kDown);
      if (!product) continue;
      value = *product;
    }
    if (const auto sum = equity.add(value)) equity = *sum;
  }
  return equity;
}

}  // namespace oms::actors
