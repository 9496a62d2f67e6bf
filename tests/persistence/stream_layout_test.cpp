#include <doctest/doctest.h>

#include "oms/persistence/stream_layout.hpp"

using namespace oms;
using namespace oms::persistence;

TEST_CASE("subject filters follow NATS wildcard rules") {
  CHECK(subject_matches("", "orders.binance.main.spot.BTC-USDT"));
  CHECK(subject_matches("orders.>", "orders.binance.main.spot.BTC-USDT"));
  CHECK(subject_matches("orders.*.main.>", "orders.binance.main.spot.BTC-USDT"));
  CHECK(subject_matches("orders.binance.main.spot.BTC-USDT", "orders.binance.main.spot.BTC-USDT"));
  CHECK(subject_matches("orders.*.*.*.*", "orders.binance.main.spot.BTC-USDT"));
  CHECK_FALSE(subject_matches("orders.*.*.*", "orders.binance.main.spot.BTC-USDT"));
  CHECK_FALSE(subject_matches("orders.>", "orders"));
  CHECK_FALSE(subject_matches("trades.>", "orders.binance.main.spot.BTC-USDT"));
  CHECK_FALSE(subject_matches("orders.binance.main.spot.BTC-USDT.x", "orders.binance.main.spot.BTC-USDT"));
  CHECK_FALSE(subject_matches("orders.binance.sub.>", "orders.binance.main.spot.BTC-USDT"));
}

TEST_CASE("every subject finds its stream, and unknown ones are named") {
  const StreamLayout layout({{ExchangeId::kBinance, "main"}, {ExchangeId::kBinance, "sub.arb"},
                             {ExchangeId::kOkx, "okx_arb"}},
                            {ExchangeId::kBinance});
  CHECK(layout.streams().size() == 8);
  CHECK(*layout.stream_for("inputs.1.command") == "INPUTS");
  CHECK(*layout.stream_for("control.kill.2") == "CONTROL");
  CHECK(*layout.stream_for("orders.binance.main.spot.BTC-USDT") == "ACCOUNT_binance_main");
  CHECK(*layout.stream_for("trades.binance.sub~2Earb.usdm.BTC-USDT_USDT") == "ACCOUNT_binance_sub~2Earb");
  CHECK(*layout.stream_for("positions.okx.okx_arb.usdm") == "ACCOUNT_okx_okx_arb");
  CHECK(*layout.stream_for("transfers.main.sub~2Earb") == "TRANSFERS");
  CHECK(*layout.stream_for("strategies.arbitrage.started") == "STRATEGIES");
  CHECK(*layout.stream_for("md.binance.spot.BTC-USDT.book") == "MD_binance");
  CHECK(layout.stream_for("md.okx.spot.BTC-USDT.book").error().message ==
        "no stream holds subject 'md.okx.spot.BTC-USDT.book'");
  CHECK(layout.stream_for("orders.binance.nobody.spot.BTC-USDT").error().code ==
        StoreErrorCode::kUnknownStream);
  CHECK_FALSE(layout.stream_for("orders").ok());
  const auto* s = layout.find("ACCOUNT_binance_main");
  REQUIRE(s != nullptr);
  CHECK(s->subjects == std::vector<std::string>{"orders.binance.main.>", "trades.binance.main.>",
                                                "positions.binance.main.>"});
  for (const auto& spec : layout.streams())
    for (const auto& subject_filter : spec.subjects)
      CHECK(subject_filter.find(' ') == std::string::npos);
}

TEST_CASE("utc days split at midnight, also before 1970") {
  CHECK(utc_day(0) == 0);
  CHECK(utc_day(86'400'000'000'000 - 1) == 0);
  CHECK(utc_day(86'400'000'000'000) == 1);
  CHECK(utc_day(-1) == -1);
  CHECK(utc_day(1723161599999999999) == 19943);  // 2024-08-08 23:59:59.999999999
  CHECK(utc_day(1723161600000000000) == 19944);  // 2024-08-09 00:00:00
}
