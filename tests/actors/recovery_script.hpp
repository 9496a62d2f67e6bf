// The scripted trading sequence of the recovery test, shared by the child (which trades it)
// and the test (which compares runs): a pure function of the seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "oms/messages/codec.hpp"
#include "oms/messages/commands.hpp"
#include "oms/messages/instrument.hpp"

namespace oms::testkit {

inline Directory recovery_directory() {
  Directory d;
  (void)d.accounts.intern("acct-a");
  (void)d.accounts.intern("acct-b");
  (void)d.strategies.intern("recovery");
  (void)d.instruments.intern("binance:spot:BTC/USDT");
  (void)d.instruments.intern("binance:spot:ETH/USDT");
  return d;
}

inline std::vector<Instrument> recovery_instruments() {
  std::vector<Instrument> out(2);
  for (std::uint32_t i = 0; i < 2; ++i) {
    out[i].id = InstrumentId(i);
    out[i].symbol.base = i == 0 ? "BTC" : "ETH";
    out[i].symbol.quote = "USDT";
    out[i].venue_symbol = out[i].symbol.base + "USDT";
  }
  return out;
}

// Commands with ids 1..n: submits, and cancels of earlier orders (some of them already filled
// or rejected by the scripted venue, which the runtime must take in its stride).
inline std::vector<Command> recovery_script(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<Command> out;
  std::vector<SubmitOrder> placed;
  for (std::size_t i = 0; i < n; ++i) {
    Command c{};
    c.envelope.id = i + 1;
    c.envelope.init_time = 1'700'000'000'000'000'000 + static_cast<TimeNs>(i);
    if (!placed.empty() && rng() % 5 == 0) {
      const auto& o = placed[rng() % placed.size()];
      c.payload = CancelOrder{o.account, o.instrument, o.client_order_id};
    } else {
      SubmitOrder o{};
      o.account = AccountId(static_cast<std::uint16_t>(rng() % 2));
      o.strategy = StrategyId(0);
      o.instrument = InstrumentId(static_cast<std::uint32_t>(rng() % 2));
      (void)o.client_order_id.assign("R" + std::to_string(seed % 100000) + "-" + std::to_string(i));
      o.side = rng() % 2 == 0 ? Side::kBuy : Side::kSell;
      o.order_type = OrderType::kLimit;
      o.tif = TimeInForce::kGtc;
      // Buys at 100..124, sells at 125..149: the script's orders never cross each other (the
      // engine refuses an order that would trade against one of ours, and which one it refuses
      // would then depend on when the scripted venue answered the resting one).
      const auto step = static_cast<std::int64_t>(rng() % 50) / 2;
      o.price = Decimal::from_raw((o.side == Side::kBuy ? 100 + step : 125 + step) * Decimal::kOne);
      o.quantity = Decimal::from_raw(static_cast<Int128>(1 + rng() % 5) * 10'000'000);  // 0.01 .. 0.05
      placed.push_back(o);
      c.payload = o;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace oms::testkit
