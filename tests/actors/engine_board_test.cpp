// The engine shard writes the state board (EngineOptions::board_path): an account's balances
// once its venue reports them, a book's top, an order resting at the venue -- read from the
// board file by another mapping, never by asking the engine.
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "oms/actors/engine.hpp"
#include "oms/actors/state_board.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "recovery_script.hpp"
#include "testkit/scripted_venue.hpp"
#include "testkit/temp_dir.hpp"
#include "testkit/wait.hpp"

using namespace oms;
using namespace oms::actors;
using namespace std::chrono_literals;

namespace {

Decimal d(const char* s) {
  return *Decimal::parse(s);
}

using testkit::eventually;

// A client order id the scripted venue leaves resting.
std::string resting_id(std::uint64_t seed) {
  for (int n = 0;; ++n) {
    const std::string id = "BOARD-" + std::to_string(n);
    if (testkit::ScriptedVenue::fate_of(seed, id) == testkit::ScriptedVenue::Fate::kRest) return id;
  }
}

}  // namespace

TEST_CASE("engine: the shard writes balances, tops of book and open orders on the state board") {
  spdlog::set_level(spdlog::level::warn);
  testkit::TempDir tmp{"engine-board"};
  const Directory directory = testkit::recovery_directory();
  const persistence::StreamLayout layout{{{ExchangeId::kBinance, "acct-a"}}, {}};
  auto journal = persistence::FileJournal::open(tmp.path() / "journal", layout);
  REQUIRE(journal.ok());
  const InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  EventLog log(**journal, nullptr, directory);
  constexpr std::uint64_t kSeed = 7;
  auto venue =
      std::make_shared<testkit::ScriptedVenue>(kSeed, std::filesystem::path{}, AccountId(0));
  EngineOptions o;
  o.books = {BookCoreConfig{InstrumentId(0), BookSequencing::kBinanceSpot},
             BookCoreConfig{InstrumentId(1), BookSequencing::kBinanceSpot}};
  o.board_path = (tmp.path() / "board").string();
  Engine engine(std::move(o), table, log, **journal, nullptr, std::make_shared<RiskCore>(1, 1, 2),
                {{AccountId(0), "acct-a",
                  persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a"), venue,
                  nullptr}});
  venue->start([&engine](const VenueReport& r) { engine.report(AccountId(0), r); });
  engine.reconcile();

  auto opened = StateBoard::open_read_only((tmp.path() / "board").string());
  REQUIRE(opened.ok());
  const StateBoard& board = **opened;
  CHECK(board_text(board.account_name(0)->name) == "acct-a");
  CHECK(board_text(board.instrument_name(1)->name) == "ETH/USDT");

  // The venue's deposits, as balance updates at the session's start.
  const auto balance_of = [&](std::string_view asset) -> std::optional<BalanceRecord> {
    for (std::uint32_t i = 0; i < board.count(BoardSection::kBalances); ++i) {
      if (auto r = board.balance(i); r && board_text(r->asset) == asset) return r;
    }
    return std::nullopt;
  };
  REQUIRE(eventually([&] { return balance_of("USDT").has_value(); }));
  CHECK(balance_of("USDT")->free.value() == d("1000000"));

  // A book's top.
  BookSnapshot snap{};
  snap.instrument = InstrumentId(0);
  snap.last_update_id = 100;
  (void)snap.levels.push_back(BookLevel{BookSide::kBid, d("100"), d("1")});
  (void)snap.levels.push_back(BookLevel{BookSide::kAsk, d("101"), d("2")});
  engine.market_data(0, snap);
  REQUIRE(eventually([&] { return board.top(0).has_value(); }));
  CHECK(board.top(0)->bid_price.value() == d("100"));
  CHECK(board.top(0)->ask_qty.value() == d("2"));

  // An order that rests: on the board with its status, and its lock in the balance.
  SubmitOrder order{};
  order.account = AccountId(0);
  order.instrument = InstrumentId(0);
  const std::string id = resting_id(kSeed);
  (void)order.client_order_id.assign(id);
  order.side = Side::kBuy;
  order.price = d("100");
  order.quantity = d("0.5");
  const auto ack = engine.submit(Command{Envelope{42, 0, 1, 1, 0, 42}, order}, 5s);
  REQUIRE(ack.ok());
  REQUIRE(ack->accepted);
  REQUIRE(eventually([&] {
    const auto r = board.open_order(0);
    return r && r->status == static_cast<std::uint32_t>(OrderStatus::kAccepted);
  }));
  CHECK(board_text(board.open_order(0)->client_order_id) == id);
  CHECK(board.open_order(0)->quantity.value() == d("0.5"));
  CHECK(balance_of("USDT")->locked.value() == d("50"));
  CHECK(board.heartbeat() > 0);
  venue->stop();
}
