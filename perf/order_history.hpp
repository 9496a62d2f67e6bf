// One account's trading history for the benchmarks that need a long one (snapshot_bench,
// restart_bench): BTC/USDT spot (instrument 0) and the USD-M perpetual (1), account "main",
// strategy "basis". N orders through their whole life, each as the groups the engine commits:
// submitted and sent, accepted, then filled (0.01 BTC, buys and sells in pairs, a fee in USDT);
// the last `open` orders stay accepted and unfilled. The account is funded first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oms/cores/position_core.hpp"
#include "oms/messages/events.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/ids.hpp"

namespace oms::perf {

inline constexpr TimeNs kHistoryStart = 1'723'075'200'000'000'000;  // 2024-08-08 00:00 UTC

inline std::vector<Instrument> history_instruments() {
  std::vector<Instrument> ins(2);
  for (std::uint32_t i = 0; i < 2; ++i) {
    ins[i].id = InstrumentId(i);
    ins[i].symbol.base = "BTC";
    ins[i].symbol.quote = "USDT";
    ins[i].venue_symbol = "BTCUSDT";
  }
  ins[1].market = Market::kUsdm;
  ins[1].symbol.settle = "USDT";
  return ins;
}

inline Directory history_names() {
  Directory d;
  (void)d.accounts.intern("main");
  (void)d.strategies.intern("basis");
  (void)d.instruments.intern("binance:spot:BTC/USDT");
  (void)d.instruments.intern("binance:usdm:BTC/USDT:USDT");
  return d;
}

// group(time, payloads) for each group, in commit order.
template <class F>
void past_orders(std::uint64_t orders, std::uint64_t open, F&& group) {
  const auto dec = [](const char* s) { return *Decimal::parse(s); };
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    BalanceUpdated b{};
    b.account = AccountId(0);
    b.market = m;
    b.asset = "USDT";
    b.free = dec("100000000");
    group(kHistoryStart, std::vector<EventPayload>{b});
  }
  BalanceUpdated btc{};
  btc.account = AccountId(0);
  btc.asset = "BTC";
  btc.free = dec("100000");
  group(kHistoryStart, std::vector<EventPayload>{btc});
  for (std::uint64_t i = 0; i < orders + open; ++i) {
    const TimeNs t = kHistoryStart + static_cast<TimeNs>(i) * 1'000'000;
    const InstrumentId ins(static_cast<std::uint32_t>(i % 2));
    ClientOrderIdText id;
    (void)id.assign("O" + std::to_string(i));
    const Side side = i % 4 < 2 ? Side::kBuy : Side::kSell;
    const Decimal price = dec(i % 3 == 0 ? "60000" : "60010");
    group(t, std::vector<EventPayload>{OrderSubmitted{AccountId(0), StrategyId(0), ins, id, side, OrderType::kLimit,
                                                      TimeInForce::kGtc, price, Decimal{}, dec("0.01"), false},
                                       OrderSendRequested{AccountId(0), ins, id}});
    OrderAccepted a{};
    a.account = AccountId(0);
    a.instrument = ins;
    a.client_order_id = id;
    (void)a.venue_order_id.assign(std::to_string(1'000'000 + i));
    group(t, std::vector<EventPayload>{a});
    if (i >= orders) continue;  // the last ones stay open
    FillReceived f{};
    f.account = AccountId(0);
    f.strategy = StrategyId(0);
    f.instrument = ins;
    f.client_order_id = id;
    (void)f.trade_id.assign(std::to_string(5'000'000 + i));
    f.side = side;
    f.price = price;
    f.quantity = dec("0.01");
    f.fee = dec("0.24");
    f.fee_asset = "USDT";
    group(t, std::vector<EventPayload>{f, OrderFilled{AccountId(0), ins, id, dec("0.01"), price}});
  }
}

}  // namespace oms::perf
