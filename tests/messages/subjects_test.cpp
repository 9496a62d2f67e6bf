#include <doctest/doctest.h>

#include <random>

#include "oms/messages/client_order_id.hpp"
#include "oms/messages/subjects.hpp"

using namespace oms;

namespace {
CanonicalSymbol sym(const char* s) { return *parse_canonical(s); }
}  // namespace

TEST_CASE("subjects have the documented shapes") {
  CHECK(orders_subject(ExchangeId::kBinance, "sub_spot_arb", Market::kSpot, sym("BTC/USDT")) ==
        "orders.binance.sub_spot_arb.spot.BTC-USDT");
  CHECK(trades_subject(ExchangeId::kBinance, "main", Market::kUsdm, sym("BTC/USDT:USDT")) ==
        "trades.binance.main.usdm.BTC-USDT_USDT");
  CHECK(positions_subject(ExchangeId::kOkx, "okx-arb", Market::kUsdm) ==
        "positions.okx.okx-arb.usdm");
  CHECK(transfers_subject("main", "sub_spot_arb") == "transfers.main.sub_spot_arb");
  CHECK(strategies_subject("arbitrage", "started") == "strategies.arbitrage.started");
  CHECK(md_subject(ExchangeId::kBinance, Market::kUsdm, sym("BTC/USDT:USDT-210924"),
                   MarketDataKind::kBook) == "md.binance.usdm.BTC-USDT_USDT-210924.book");
  CHECK(md_subject(ExchangeId::kUpbit, Market::kSpot, sym("BTC/KRW"), MarketDataKind::kTrade) ==
        "md.upbit.spot.BTC-KRW.trade");
}

TEST_CASE("names with NATS wildcards, dots or spaces are escaped reversibly") {
  CHECK(escape_token("desk.1 *>") == "desk~2E1~20~2A~3E");
  CHECK(escape_token("a~b") == "a~7Eb");
  CHECK(*unescape_token("desk~2E1~20~2A~3E") == "desk.1 *>");
  CHECK(*unescape_token("a~7Eb") == "a~b");
  const auto s = orders_subject(ExchangeId::kBinance, "my.acct", Market::kSpot, sym("ETH/BTC"));
  CHECK(s == "orders.binance.my~2Eacct.spot.ETH-BTC");
  const auto back = parse_subject(s);
  REQUIRE(back.ok());
  CHECK(back->account == "my.acct");
  CHECK(back->symbol.to_string() == "ETH/BTC");
}

TEST_CASE("every subject parses back to what built it") {
  std::mt19937_64 rng(7);
  const char* names[] = {"main", "sub.x", "a b", "*", ">", "ü", "x~y", "sub_1-2"};
  const char* symbols[] = {"BTC/USDT", "BTC/USDT:USDT", "ETH/USD:ETH", "BTC/USDT:USDT-210924", "BTC/KRW"};
  for (int i = 0; i < 5000; ++i) {
    Subject s;
    s.kind = static_cast<SubjectKind>(rng() % 6);
    s.exchange = static_cast<ExchangeId>(rng() % kExchangeCount);
    const auto symbol = sym(symbols[rng() % 5]);
    s.market = symbol.kind() == ContractKind::kSpot ? Market::kSpot
               : symbol.settle == symbol.quote       ? Market::kUsdm
                                                     : Market::kCoinm;
    if (s.kind == SubjectKind::kOrders || s.kind == SubjectKind::kTrades ||
        s.kind == SubjectKind::kMarketData)
      s.symbol = symbol;
    if (s.kind == SubjectKind::kOrders || s.kind == SubjectKind::kTrades ||
        s.kind == SubjectKind::kPositions)
      s.account = names[rng() % 8];
    if (s.kind == SubjectKind::kTransfers) {
      s.from_account = names[rng() % 8];
      s.to_account = names[rng() % 8];
    }
    if (s.kind == SubjectKind::kStrategies) {
      s.strategy_type = names[rng() % 8];
      s.action = names[rng() % 8];
    }
    if (s.kind == SubjectKind::kMarketData) s.md_kind = static_cast<MarketDataKind>(rng() % 3);
    if (s.kind == SubjectKind::kTransfers || s.kind == SubjectKind::kStrategies) {
      s.exchange = ExchangeId::kBinance;
      s.market = Market::kSpot;
    }
    const std::string text = build_subject(s);
    for (char c : text) REQUIRE((c != '*' && c != '>' && c != ' '));
    const auto back = parse_subject(text);
    REQUIRE_MESSAGE(back.ok(), text);
    REQUIRE_MESSAGE(*back == s, text);
  }
}

TEST_CASE("malformed subjects are refused with the reason") {
  CHECK(parse_subject("fills.binance.main.spot.BTC-USDT").error().message ==
        "subject 'fills.binance.main.spot.BTC-USDT': unknown kind 'fills'");
  CHECK(parse_subject("orders.binance.main.spot").error().message ==
        "subject 'orders.binance.main.spot': expected 5 tokens, got 4");
  CHECK(parse_subject("orders.kraken.main.spot.BTC-USDT").error().message ==
        "subject 'orders.kraken.main.spot.BTC-USDT': bad exchange or market token");
  CHECK(parse_subject("orders.binance.main.spot.BTCUSDT").error().message ==
        "subject 'orders.binance.main.spot.BTCUSDT': symbol token 'BTCUSDT': expected BASE-QUOTE");
  CHECK(parse_subject("md.binance.spot.BTC-USDT.depth").error().message ==
        "subject 'md.binance.spot.BTC-USDT.depth': unknown market-data kind 'depth'");
  CHECK_FALSE(parse_subject("orders.binance.ma~ZZin.spot.BTC-USDT").ok());
}

TEST_CASE("client order ids are deterministic, short, alphanumeric and parse back") {
  ClientOrderId id{3, AccountId(17), StrategyId(2), 123456789};
  const auto text = format_client_order_id(id);
  REQUIRE(text.has_value());
  CHECK(text->view() == "C103000h0002000000021i3v9");
  CHECK(text->size() == kClientOrderIdLen);
  CHECK(*parse_client_order_id(text->view()) == id);

  std::mt19937_64 rng(11);
  for (int i = 0; i < 100'000; ++i) {
    ClientOrderId r{static_cast<std::uint16_t>(rng() % (kMaxDesk + 1)),
                    AccountId(static_cast<std::uint16_t>(rng())),
                    StrategyId(static_cast<std::uint16_t>(rng())), rng()};
    const auto t = format_client_order_id(r);
    REQUIRE(t.has_value());
    REQUIRE(t->size() <= kMaxOkxClientIdLen);
    for (char c : t->view()) REQUIRE(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == 'C'));
    REQUIRE(*parse_client_order_id(t->view()) == r);
  }
  // Manual orders (no strategy) and the largest values fit too.
  ClientOrderId manual{kMaxDesk, AccountId(65535), StrategyId{}, UINT64_MAX};
  CHECK(*parse_client_order_id(format_client_order_id(manual)->view()) == manual);
  CHECK_FALSE(format_client_order_id({kMaxDesk + 1, AccountId(0), StrategyId(0), 0}).has_value());
}

TEST_CASE("ids not ours are not parsed as ours") {
  CHECK_FALSE(parse_client_order_id("web_1234567890abcdef").has_value());
  CHECK_FALSE(parse_client_order_id("C103000h0002000000021i3v").has_value());   // short
  CHECK_FALSE(parse_client_order_id("C103000h0002000000021i3V9").has_value());  // upper case
  CHECK_FALSE(parse_client_order_id("C2030000h002000000021i3v9").has_value());  // other version
  CHECK_FALSE(parse_client_order_id("C100zzzz0002000000021i3v9").has_value());  // account > 65535
  CHECK_FALSE(parse_client_order_id("C10000000000zzzzzzzzzzzzz").has_value());  // sequence > 2^64
}
