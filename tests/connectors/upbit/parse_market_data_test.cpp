// Upbit public market data (orderbook, trade, ticker, status, error) in both formats: exact values
// from Upbit's documented examples (written here as literals, source noted) and from the
// cryptofeed Upbit capture (read at test time), numbers read from their text (127.0, 9.9E-7),
// every orderbook of the capture through BookCore, and errors naming the field.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <string>

#include "oms/connectors/upbit/market_data.hpp"
#include "oms/cores/book_core.hpp"
#include "testkit/paths.hpp"

using namespace oms;
using namespace oms::upbit;

namespace {
Decimal d(const char* s) { return *Decimal::parse(s); }

constexpr InstrumentId kKrwBtc{11};
constexpr InstrumentId kKrwEth{12};

const InstrumentFinder kFind = [](std::string_view code) -> std::optional<InstrumentId> {
  if (code == "KRW-BTC") return kKrwBtc;
  if (code == "KRW-ETH") return kKrwEth;
  return std::nullopt;
};
// Every code known (the capture's markets): ids by first sight.
struct AnyFinder {
  std::map<std::string, InstrumentId, std::less<>> ids;
  InstrumentFinder finder() {
    return [this](std::string_view code) -> std::optional<InstrumentId> {
      auto it = ids.find(code);
      if (it == ids.end())
        it = ids.emplace(std::string(code), InstrumentId{static_cast<std::uint32_t>(ids.size() + 1)})
                 .first;
      return it->second;
    };
  }
};

// The received payloads of the cryptofeed Upbit capture ("<ts>: b'<json>'" lines), in order. The
// capture has no escapes inside its bytes literals (checked): the JSON is between b' and '.
const std::vector<std::string>& capture() {
  static const std::vector<std::string> kPayloads = [] {
    std::ifstream in(testkit::shared_data() / "cryptofeed" / "UPBIT.ws.62.0");
    REQUIRE(in.good());
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line.starts_with("wss://")) continue;
      const auto payload = line.substr(line.find(": ") + 2);
      REQUIRE(payload.starts_with("b'"));
      REQUIRE(payload.ends_with("'"));
      REQUIRE(payload.find('\\') == std::string::npos);
      out.push_back(payload.substr(2, payload.size() - 3));
    }
    return out;
  }();
  return kPayloads;
}
const std::string& captured(std::string_view needle) {
  for (const auto& p : capture())
    if (p.find(needle) != std::string::npos) return p;
  FAIL("no captured message contains " << needle);
  static const std::string kNone;
  return kNone;
}

MarketMessage parsed(std::string_view json, MarketMessageKind kind,
                     const InstrumentFinder& find = kFind) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, find, m);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(*r == kind);
  CHECK(m.kind == kind);
  return m;
}

std::string error_of(std::string_view json, const InstrumentFinder& find = kFind) {
  JsonParser p;
  MarketMessage m;
  auto r = parse_market_data(p, json, find, m);
  return r.ok() ? std::string("ok") : r.error().message;
}

std::string with(std::string_view base, std::string_view from, std::string_view to) {
  std::string s(base);
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}

// docs.upbit.com/kr/reference/websocket-orderbook (v1.5.x, "Response" example, DEFAULT format,
// KRW-BTC with level 1): the 15 units as documented.
constexpr std::string_view kDocsOrderbook = R"({
    "type": "orderbook", "code": "KRW-BTC", "total_ask_size": 450.3526, "total_bid_size": 63.3006,
    "orderbook_units": [
        {"ask_price": 478800, "bid_price": 478300, "ask_size": 4.3478, "bid_size": 5.6370},
        {"ask_price": 489700, "bid_price": 477900, "ask_size": 2.3642, "bid_size": 0.9705},
        {"ask_price": 493100, "bid_price": 471200, "ask_size": 411.8686, "bid_size": 3.9279},
        {"ask_price": 493300, "bid_price": 471100, "ask_size": 2.0241, "bid_size": 1.4699},
        {"ask_price": 493700, "bid_price": 471000, "ask_size": 1.7870, "bid_size": 2.2573},
        {"ask_price": 493800, "bid_price": 470700, "ask_size": 3.9372, "bid_size": 9.7805},
        {"ask_price": 494900, "bid_price": 470400, "ask_size": 5.7560, "bid_size": 0.8093},
        {"ask_price": 495300, "bid_price": 470300, "ask_size": 3.6418, "bid_size": 4.6606},
        {"ask_price": 495700, "bid_price": 470100, "ask_size": 2.9617, "bid_size": 5.4907},
        {"ask_price": 495800, "bid_price": 469700, "ask_size": 0.2349, "bid_size": 2.3941},
        {"ask_price": 496100, "bid_price": 469600, "ask_size": 2.6019, "bid_size": 4.5505},
        {"ask_price": 496800, "bid_price": 469500, "ask_size": 3.4651, "bid_size": 5.4469},
        {"ask_price": 496900, "bid_price": 469200, "ask_size": 0.8400, "bid_size": 10.1685},
        {"ask_price": 497400, "bid_price": 469100, "ask_size": 2.1924, "bid_size": 5.1646},
        {"ask_price": 497900, "bid_price": 469000, "ask_size": 2.3299, "bid_size": 0.5723}
    ],
    "level": 1, "timestamp": 1725930007672, "stream_type": "REALTIME"
})";

// docs.upbit.com/kr/reference/websocket-trade ("수신 메시지 예제", DEFAULT, 2026 docs).
constexpr std::string_view kDocsTrade = R"({
  "type": "trade", "code": "KRW-BTC", "timestamp": 1787728554853, "trade_date": "2026-08-26",
  "trade_time": "07:15:54", "trade_timestamp": 1787728554797, "trade_price": 109847000.0,
  "trade_volume": 0.00509799, "ask_bid": "ASK", "prev_closing_price": 109165000.0,
  "change": "RISE", "change_price": 682000.0, "sequential_id": 17877285547970000,
  "best_ask_price": 109867000, "best_ask_size": 0.0099545, "best_bid_price": 109847000,
  "best_bid_size": 0.1583673, "stream_type": "SNAPSHOT"
})";

// docs.upbit.com/kr/reference/websocket-ticker (example, format DEFAULT).
constexpr std::string_view kDocsTicker = R"({
  "type": "ticker", "code": "KRW-BTC", "opening_price": 31883000, "high_price": 32310000,
  "low_price": 31855000, "trade_price": 32287000, "prev_closing_price": 31883000.00000000,
  "acc_trade_price": 78039261076.51241000, "change": "RISE", "change_price": 404000.00000000,
  "signed_change_price": 404000.00000000, "change_rate": 0.0126713295,
  "signed_change_rate": 0.0126713295, "ask_bid": "ASK", "trade_volume": 0.03103806,
  "acc_trade_volume": 2429.58834336, "trade_date": "20230221", "trade_time": "074102",
  "trade_timestamp": 1676965262139, "acc_ask_volume": 1146.25573608,
  "acc_bid_volume": 1283.33260728, "highest_52_week_price": 57678000.00000000,
  "highest_52_week_date": "2022-03-28", "lowest_52_week_price": 20700000.00000000,
  "lowest_52_week_date": "2022-12-30", "market_state": "ACTIVE", "is_trading_suspended": false,
  "delisting_date": null, "market_warning": "NONE", "timestamp": 1676965262177,
  "acc_trade_price_24h": 228827082483.70729000, "acc_trade_volume_24h": 7158.80283560,
  "stream_type": "REALTIME"
})";
}  // namespace

// ---- orderbook ------------------------------------------------------------------------------
TEST_CASE("orderbook DEFAULT (the docs' example): 15 units exact, level, stream type, timestamp") {
  const auto m = parsed(kDocsOrderbook, MarketMessageKind::kOrderbook);
  CHECK(m.format == MessageFormat::kDefault);
  CHECK(m.type.view() == "orderbook");
  const auto& b = m.orderbook;
  CHECK(b.code.view() == "KRW-BTC");
  CHECK(b.instrument == kKrwBtc);
  CHECK(b.timestamp == 1725930007672ULL);
  CHECK(b.stream_type == StreamType::kRealtime);
  REQUIRE(b.level.has_value());
  CHECK(*b.level == d("1"));
  REQUIRE(b.units.size() == 15);
  CHECK(b.units[0] == OrderbookUnit{d("478800"), d("478300"), d("4.3478"), d("5.637")});
  CHECK(b.units[2].ask_size == d("411.8686"));
  CHECK(b.units[12].ask_size == d("0.84"));  // "0.8400" as sent
  CHECK(b.units[14] == OrderbookUnit{d("497900"), d("469000"), d("2.3299"), d("0.5723")});

  // 30 levels: a chunk of 24 (the 15 bids, then 9 asks) and one of 6, sharing the id.
  std::vector<BookSnapshot> chunks;
  to_book_snapshots(b, 77, chunks);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].levels.size() == 24);
  CHECK_FALSE(chunks[0].last_chunk);
  CHECK(chunks[1].levels.size() == 6);
  CHECK(chunks[1].chunk == 1);
  CHECK(chunks[1].last_chunk);
  CHECK(chunks[0].levels.begin()[0] == BookLevel{BookSide::kBid, d("478300"), d("5.637")});
  CHECK(chunks[0].levels.begin()[15] == BookLevel{BookSide::kAsk, d("478800"), d("4.3478")});
  CHECK(chunks[1].levels.begin()[5] == BookLevel{BookSide::kAsk, d("497900"), d("2.3299")});
  for (const auto& c : chunks) CHECK(c.last_update_id == 77);

  BookCore core(BookCoreConfig{kKrwBtc, BookSequencing::kBinanceSpot});
  BookApplyResult r;
  for (const auto& c : chunks) r = core.apply(c);
  CHECK(r.status == BookApplyStatus::kApplied);
  CHECK(core.level_count(BookSide::kBid) == 15);
  CHECK(core.best_ask()->price == d("478800"));
  CHECK(core.best_bid()->quantity == d("5.637"));

  const auto bbo = to_best_bid_offer(b, 77);
  REQUIRE(bbo.has_value());
  CHECK(*bbo == BestBidOffer{kKrwBtc, 77, d("478300"), d("5.637"), d("478800"), d("4.3478")});
}

TEST_CASE("orderbook SIMPLE (the capture): 127.0 and 25752275.55420627 read from their text") {
  AnyFinder any;
  const auto m = parsed(captured(R"("ty":"orderbook","cd":"KRW-LAMB")"),
                        MarketMessageKind::kOrderbook, any.finder());
  CHECK(m.format == MessageFormat::kSimple);
  const auto& b = m.orderbook;
  CHECK(b.code.view() == "KRW-LAMB");
  CHECK(b.timestamp == 1618678262640ULL);
  CHECK(b.stream_type == StreamType::kRealtime);
  CHECK_FALSE(b.level.has_value());  // 2021: no level field
  REQUIRE(b.units.size() == 15);
  CHECK(b.units[0] == OrderbookUnit{d("127"), d("126"), d("280460.37885666"), d("688682.44561413")});
  CHECK(b.units[5].ask_size == d("1208400.2473932"));
  CHECK(b.units[14] == OrderbookUnit{d("141"), d("112"), d("1185868.7185461"), d("446759.1304656")});
}

TEST_CASE("numbers in exponent form are exact: 9.9E-7, 6E-8, 1.0E-4") {
  AnyFinder any;
  const auto m = parsed(captured(R"("bp":9.9E-7)"), MarketMessageKind::kOrderbook, any.finder());
  bool found = false;
  for (const auto& u : m.orderbook.units) found = found || u.bid_price == Decimal::from_raw(990);
  CHECK(found);
  const auto t = parsed(captured(R"("cp":6E-8)"), MarketMessageKind::kTrade, any.finder());
  CHECK(t.trade.change_price == Decimal::from_raw(60));
  const auto e = parsed(with(kDocsTrade, "0.00509799", "1.0E-4"), MarketMessageKind::kTrade);
  CHECK(e.trade.volume == d("0.0001"));
  const auto big = parsed(with(kDocsTrade, "109847000.0", "1.09847E8"), MarketMessageKind::kTrade);
  CHECK(big.trade.price == d("109847000"));
  // Decimal strings are read too (Upbit's REST form).
  const auto text = parsed(with(kDocsTrade, "0.00509799", "\"0.00509799\""), MarketMessageKind::kTrade);
  CHECK(text.trade.volume == d("0.00509799"));
}

TEST_CASE("a side Upbit does not have (size 0) is no level and no best offer") {
  std::string json(kDocsOrderbook);
  json = with(json, R"("ask_price": 478800, "bid_price": 478300, "ask_size": 4.3478)",
              R"("ask_price": 0, "bid_price": 478300, "ask_size": 0)");
  const auto m = parsed(json, MarketMessageKind::kOrderbook);
  std::vector<BookSnapshot> chunks;
  to_book_snapshots(m.orderbook, 5, chunks);
  std::size_t levels = 0;
  for (const auto& c : chunks) levels += c.levels.size();
  CHECK(levels == 29);
  CHECK_FALSE(to_best_bid_offer(m.orderbook, 5).has_value());
  // A size at price 0 is refused: BookCore would refuse the level.
  CHECK(error_of(with(kDocsOrderbook, R"("ask_price": 478800, "bid_price": 478300)",
                      R"("ask_price": 0, "bid_price": 478300)")) ==
        "orderbook.orderbook_units[0]: a size at a price that is not positive");
}

TEST_CASE("update ids: the timestamp, or the previous + 1 where it did not advance") {
  CHECK(next_update_id(0, 1618678262640) == 1618678262640);
  CHECK(next_update_id(1618678262640, 1618678262952) == 1618678262952);
  CHECK(next_update_id(1618678262952, 1618678262952) == 1618678262953);  // same millisecond
  CHECK(next_update_id(1618678262953, 1618678262000) == 1618678262954);  // went back
}

TEST_CASE("every orderbook of the capture through BookCore: its top is the first unit") {
  AnyFinder any;
  const auto find = any.finder();
  JsonParser p;
  MarketMessage m;
  std::map<std::string, BookCore> books;
  std::map<std::string, std::uint64_t> ids;
  std::vector<BookSnapshot> chunks;
  std::size_t orderbooks = 0, trades = 0, sells = 0;
  for (const auto& payload : capture()) {
    auto r = parse_market_data(p, payload, find, m);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    if (*r == MarketMessageKind::kTrade) {
      ++trades;
      sells += m.trade.taker_side == Side::kSell ? 1 : 0;
      continue;
    }
    REQUIRE(*r == MarketMessageKind::kOrderbook);
    ++orderbooks;
    const std::string code = m.orderbook.code.str();
    auto [it, fresh] = books.try_emplace(
        code, BookCore(BookCoreConfig{m.orderbook.instrument, BookSequencing::kBinanceSpot}));
    const std::uint64_t id = next_update_id(ids[code], m.orderbook.timestamp);
    CHECK(id > ids[code]);
    ids[code] = id;
    to_book_snapshots(m.orderbook, id, chunks);
    BookApplyResult res;
    for (const auto& c : chunks) res = it->second.apply(c);
    REQUIRE(res.status == BookApplyStatus::kApplied);
    const auto bbo = to_best_bid_offer(m.orderbook, id);
    REQUIRE(bbo.has_value());
    CHECK(it->second.best_bid()->price == bbo->bid_price);
    CHECK(it->second.best_bid()->quantity == bbo->bid_qty);
    CHECK(it->second.best_ask()->price == bbo->ask_price);
    CHECK(it->second.best_ask()->quantity == bbo->ask_qty);
    CHECK(it->second.last_update_id() == id);
  }
  // Counted apart (Python over the same file): 145 orderbooks, 304 trades of which 200 ASK.
  CHECK(orderbooks == 145);
  CHECK(trades == 304);
  CHECK(sells == 200);
  CHECK(books.size() == 5);
}

// ---- trade ----------------------------------------------------------------------------------
TEST_CASE("trade DEFAULT (the docs' example): ASK is a selling taker, best levels kept") {
  const auto m = parsed(kDocsTrade, MarketMessageKind::kTrade);
  const auto& t = m.trade;
  CHECK(t.code.view() == "KRW-BTC");
  CHECK(t.instrument == kKrwBtc);
  CHECK(t.price == d("109847000"));
  CHECK(t.volume == d("0.00509799"));
  CHECK(t.taker_side == Side::kSell);
  CHECK(t.sequential_id == 17877285547970000ULL);
  CHECK(t.trade_timestamp == 1787728554797ULL);
  CHECK(t.timestamp == 1787728554853ULL);
  CHECK(t.prev_closing_price == d("109165000"));
  CHECK(t.change_price == d("682000"));
  CHECK(t.best_ask_price == d("109867000"));
  CHECK(t.best_ask_size == d("0.0099545"));
  CHECK(t.best_bid_price == d("109847000"));
  CHECK(t.best_bid_size == d("0.1583673"));
  CHECK(t.stream_type == StreamType::kSnapshot);
  const TradePrinted p = to_trade_printed(t);
  CHECK(p.trade_id.view() == "17877285547970000");
  CHECK(p.aggressor == Side::kSell);
  CHECK(p.instrument == kKrwBtc);
  CHECK(p.price == d("109847000"));
  CHECK(p.quantity == d("0.00509799"));
}

TEST_CASE("trade SIMPLE (the capture's first): BID is a buying taker") {
  AnyFinder any;
  const auto m = parsed(capture().front(), MarketMessageKind::kTrade, any.finder());
  CHECK(m.format == MessageFormat::kSimple);
  const auto& t = m.trade;
  CHECK(t.code.view() == "KRW-LAMB");
  CHECK(t.price == d("127"));
  CHECK(t.volume == d("46.48838371"));
  CHECK(t.taker_side == Side::kBuy);
  CHECK(t.sequential_id == 1618678262000003ULL);
  CHECK(t.trade_timestamp == 1618678262000ULL);
  CHECK(t.timestamp == 1618678262712ULL);
  CHECK(t.prev_closing_price == d("123"));
  CHECK(t.change_price == d("4"));
  CHECK_FALSE(t.best_ask_price.has_value());  // 2021: not sent yet
}

// ---- ticker, status, error, other --------------------------------------------------------------
TEST_CASE("ticker DEFAULT (the docs' example): prices exact, the 24h turnover not read") {
  const auto m = parsed(kDocsTicker, MarketMessageKind::kTicker);
  const auto& t = m.ticker;
  CHECK(t.instrument == kKrwBtc);
  CHECK(t.trade_price == d("32287000"));
  CHECK(t.opening_price == d("31883000"));
  CHECK(t.high_price == d("32310000"));
  CHECK(t.low_price == d("31855000"));
  CHECK(t.prev_closing_price == d("31883000"));
  CHECK(t.change_price == d("404000"));
  CHECK(t.signed_change_price == d("404000"));
  CHECK(t.trade_volume == d("0.03103806"));
  CHECK(t.highest_52_week_price == d("57678000"));
  CHECK(t.lowest_52_week_price == d("20700000"));
  CHECK(t.last_taker_side == Side::kSell);
  CHECK(t.trade_timestamp == 1676965262139ULL);
  CHECK(t.timestamp == 1676965262177ULL);
  CHECK(t.stream_type == StreamType::kRealtime);
  // SIMPLE names (the docs' SIMPLE_LIST example's fields, one object).
  const auto s = parsed(
      R"({"ty":"ticker","cd":"KRW-ETH","op":148500000.0,"hp":149064000.0,"lp":148050000.0,)"
      R"("tp":148956000.0,"pcp":148500000.0,"atp":16115868486.03173,"c":"RISE","cp":456000.0,)"
      R"("scp":456000.0,"cr":0.0030707071,"scr":0.0030707071,"ab":"BID","tv":0.0602652,)"
      R"("atv":108.51228784,"tdt":"20250707","ttm":"022055","ttms":1751854855934,"tms":1751854855960,"st":"SNAPSHOT"})",
      MarketMessageKind::kTicker);
  CHECK(s.format == MessageFormat::kSimple);
  CHECK(s.ticker.instrument == kKrwEth);
  CHECK(s.ticker.trade_price == d("148956000"));
  CHECK(s.ticker.last_taker_side == Side::kBuy);
  CHECK(s.ticker.stream_type == StreamType::kSnapshot);
}

TEST_CASE("status, venue errors and types we do not parse") {
  const auto up = parsed(R"({"status":"UP"})", MarketMessageKind::kStatus);
  CHECK(up.status.view() == "UP");
  // docs.upbit.com/kr/reference/websocket-guide: the error object.
  const auto err = parsed(R"({"error":{"name":"INVALID_AUTH","message":"인증 정보가 올바르지 않습니다."}})",
                          MarketMessageKind::kError);
  CHECK(err.error.name.view() == "INVALID_AUTH");
  CHECK(err.error.message == "인증 정보가 올바르지 않습니다.");
  // A candle: its fields are not judged (a turnover past Decimal's range is fine here).
  const auto candle = parsed(
      R"({"ty":"candle.1s","cd":"KRW-BTC","op":1.5,"tp":2.5,"catp":1234567890123.123456789,"tms":1})",
      MarketMessageKind::kOther);
  CHECK(candle.type.view() == "candle.1s");
}

// ---- errors name the field ----------------------------------------------------------------------
TEST_CASE("errors name the field in the message's own names") {
  AnyFinder any;
  const std::string& simple = captured(R"("ty":"orderbook","cd":"KRW-LAMB")");
  CHECK(error_of(with(simple, R"("as":280460.37885666)", R"("as":280460.3788566612)"), any.finder()) ==
        "orderbook.obu[0].as: more than 9 fractional digits '280460.3788566612'");
  CHECK(error_of(with(simple, R"("tms":1618678262640,)", ""), any.finder()) == "orderbook.tms: missing");
  CHECK(error_of(with(kDocsOrderbook, R"("timestamp": 1725930007672,)", "")) ==
        "orderbook.timestamp: missing");
  CHECK(error_of(with(simple, R"("cd":"KRW-LAMB")", R"("cd":"KRW-DOGE")")) ==
        "orderbook.cd: unknown instrument 'KRW-DOGE'");
  CHECK(error_of(with(simple, R"("bp":126.0,)", ""), any.finder()) == "orderbook.obu[0].bp: missing");
  CHECK(error_of(with(kDocsOrderbook, R"("bid_size": 5.6370)", R"("bid_size": -5.6370)")) ==
        "orderbook.orderbook_units[0]: negative price or size");
  CHECK(error_of(with(kDocsOrderbook, R"("bid_size": 5.6370)", R"("bid_size": true)")) ==
        "orderbook.orderbook_units[0].bid_size: expected a decimal string");
  CHECK(error_of(with(kDocsOrderbook, R"("orderbook_units": [)", R"("orderbook_units": [], "x": [)")) ==
        "orderbook.orderbook_units: empty");
  CHECK(error_of(with(kDocsTrade, R"("ask_bid": "ASK")", R"("ask_bid": "SELL")")) ==
        "trade.ask_bid: expected ASK or BID, got 'SELL'");
  CHECK(error_of(with(kDocsTrade, R"("stream_type": "SNAPSHOT")", R"("stream_type": "LIVE")")) ==
        "trade.stream_type: expected SNAPSHOT or REALTIME, got 'LIVE'");
  CHECK(error_of(with(kDocsTrade, R"("sequential_id": 17877285547970000,)", "")) ==
        "trade.sequential_id: missing");
  CHECK(error_of(with(kDocsTrade, R"("trade_volume": 0.00509799)", R"("trade_volume": 0)")) ==
        "trade.trade_volume: not positive");
  CHECK(error_of(with(kDocsTrade, "109847000.0", "1e300")) ==
        "trade.trade_price: decimal overflow (beyond +/-1.7e29) '1e300'");
  CHECK(error_of(R"([{"ty":"trade"}])") ==
        "market data: a list (format JSON_LIST or SIMPLE_LIST): subscribe with DEFAULT or SIMPLE");
  CHECK(error_of(R"({"code":"KRW-BTC"})") == "market data.type: missing");
  CHECK(error_of(R"({"error":{"message":"x"}})") == "error.name: missing");
  CHECK(error_of("PONG").starts_with("market data: malformed JSON"));
}
