// Account valuation for the leverage cap: what an account holds, in USDT, at the engine's marks.
// Pure: the marks are an argument.
#pragma once

#include <span>
#include <vector>

#include "oms/cores/account_core.hpp"
#include "oms/cores/position_core.hpp"

namespace oms::actors {

// For each asset, the spot instrument that prices it in USDT (ASSET/USDT); built once.
class UsdtPricing {
 public:
  explicit UsdtPricing(const InstrumentTable& instruments);
  // The account's balances (free + locked, every market) in USDT: USDT at 1, another asset at
  // the mark of its ASSET/USDT spot instrument, rounded down; an asset without a mark is not
  // counted (the leverage then reads higher: conservative).
  [[nodiscard]] Decimal equity(const AccountCore& account, std::span<const Decimal> marks) const;

 private:
  struct Priced {
    AssetCode asset;
    InstrumentId instrument;
  };
  std::vector<Priced> priced_;
};

}  // namespace oms::actors
