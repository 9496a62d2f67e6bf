#include <doctest/doctest.h>
#include <poll.h>

#include <chrono>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

#include "oms/actors/state_board.hpp"

using namespace oms::actors;

namespace {
struct BoardFile {
  std::string path = "/dev/shm/oms-board-test-" + std::to_string(::getpid());
  ~BoardFile() { ::unlink(path.c_str()); }
};

// Every word of a record carries the same counter: a torn read shows two counters.
PositionRecord position_of(std::uint64_t n) {
  const auto v = static_cast<std::int64_t>(n);
  const BoardDecimal w{n, n};  // both words of a Decimal too
  return {n, n, w, w, w, w, v, w};
}
bool consistent(const PositionRecord& r) {
  const auto v = static_cast<std::int64_t>(r.account);
  const BoardDecimal w{r.account, r.account};
  return r.instrument == r.account && r.size == w && r.entry_price == w && r.unrealized_pnl == w &&
         r.realized_pnl == w && r.time == v && r.fees == w;
}
BoardDecimal raw(std::int64_t v) { return BoardDecimal::of(oms::Decimal::from_raw(v)); }
}  // namespace

TEST_CASE("records written are read back; slots out of range and unwritten ones are empty") {
  BoardFile f;
  auto board = StateBoard::create(f.path, {4, 2, 3, 1});
  REQUIRE(board.ok());
  CHECK_FALSE((*board)->position(0).has_value());
  CHECK((*board)->write(3, position_of(42)));
  CHECK_FALSE((*board)->write(4, position_of(1)));
  TopOfBookRecord top{7, 50093239218, raw(61'837'630'000'000), raw(3'788'260'000), raw(61'837'640'000'000), raw(1'546'980'000), 1, 0};
  CHECK((*board)->write(2, top));
  BalanceRecord bal{};
  bal.account = 1;
  std::memcpy(bal.asset, "USDT", 4);
  bal.free = raw(10'000'000'000);
  CHECK((*board)->write(1, bal));
  CHECK_FALSE((*board)->write(1, StrategyStatusRecord{}));

  auto reader = StateBoard::open_read_only(f.path);
  REQUIRE(reader.ok());
  CHECK((*reader)->layout() == BoardLayout{4, 2, 3, 1});
  CHECK((*reader)->position(3)->size == BoardDecimal{42, 42});
  CHECK((*reader)->top(2)->bid_price.value().to_string() == "61837.63");
  CHECK((*reader)->balance(1)->free.value().to_string() == "10");
  // A negative Decimal keeps its sign through the two words.
  CHECK(BoardDecimal::of(oms::Decimal::from_raw(-5)).value() == oms::Decimal::from_raw(-5));
  CHECK(std::string((*reader)->balance(1)->asset) == "USDT");
  CHECK_FALSE((*reader)->position(9).has_value());
  CHECK_FALSE((*reader)->write(0, position_of(1)));  // read-only mapping
  CHECK(StateBoard::open_read_only("/dev/shm/oms-no-such-board").error().message.starts_with(
      "cannot open state board /dev/shm/oms-no-such-board: "));
}

TEST_CASE("another process reads while this one writes: never a torn record") {
  BoardFile f;
  auto board = StateBoard::create(f.path, {1, 0, 0, 0});
  REQUIRE(board.ok());
  REQUIRE((*board)->write(0, position_of(1)));
  int fds[2], ready[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::pipe(ready) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // the reader: another process, its own read-only mapping
    auto reader = StateBoard::open_read_only(f.path);
    if (!reader) _exit(2);
    if (::write(ready[1], "r", 1) != 1) _exit(5);
    // Reads until it has seen the record change 1,000 times (however the two processes are
    // scheduled on a loaded machine), at most 60 s.
    std::uint64_t reads = 0, torn = 0, last = 0, backwards = 0, changes = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (changes < 1000) {
      const auto r = (*reader)->position(0);
      if (!r) _exit(3);
      ++reads;
      if (!consistent(*r)) ++torn;
      if (r->account < last) ++backwards;
      if (r->account != last) ++changes;
      last = r->account;
      if ((reads & 0xfff) == 0 && std::chrono::steady_clock::now() > give_up) _exit(6);
    }
    const std::uint64_t report[4] = {reads, torn, backwards, changes};
    if (::write(fds[1], report, sizeof report) != sizeof report) _exit(4);
    _exit(0);
  }
  char go = 0;
  REQUIRE(::read(ready[0], &go, 1) == 1);  // the reader is mapped and reading
  // Writes ever newer values until the reader has its report ready.
  for (std::uint64_t n = 2;; ++n) {
    (*board)->write(0, position_of(n));
    if ((n & 0x3ff) != 0) continue;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) break;
  }
  std::uint64_t report[4] = {};
  REQUIRE(::read(fds[0], report, sizeof report) == sizeof report);
  int status = 0;
  ::waitpid(pid, &status, 0);
  for (int fd : {fds[0], fds[1], ready[0], ready[1]}) ::close(fd);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(report[0] > 0);
  CHECK(report[1] == 0);  // no torn record
  CHECK(report[2] == 0);  // never older than a value already seen
  CHECK(report[3] >= 1000);  // the reads really overlapped the writes (values in between seen)
}

TEST_CASE("open orders and names round trip; the live words and the writer's pid are read back") {
  BoardFile f;
  const BoardLayout layout{1, 1, 1, 1, 3, 2, 4};
  auto board = StateBoard::create(f.path, layout);
  REQUIRE(board.ok());
  OpenOrderRecord o;
  o.account = 1;
  o.instrument = 3;
  set_board_text(o.client_order_id, "oms-1-7-000000000000000000000042x");  // 33 characters
  o.price = raw(61'500'000'000'000);
  o.quantity = raw(1'000'000);
  o.cum_qty = raw(400'000);
  o.side = static_cast<std::uint32_t>(oms::Side::kSell);
  o.status = static_cast<std::uint32_t>(oms::OrderStatus::kPartiallyFilled);
  o.time = 1'700'000'000'000'000'000;
  CHECK((*board)->write(2, o));
  CHECK_FALSE((*board)->write(3, o));
  NameRecord account;
  account.id = 1;
  set_board_text(account.name, "binance_main");
  CHECK((*board)->write_account_name(1, account));
  CHECK_FALSE((*board)->write_account_name(2, account));
  NameRecord instrument;
  instrument.id = 3;
  instrument.market = static_cast<std::uint64_t>(oms::Market::kUsdm);
  set_board_text(instrument.name, "BTC/USDT:USDT");
  CHECK((*board)->write_instrument_name(3, instrument));
  (*board)->set_hidden(BoardSection::kOpenOrders, 5);
  (*board)->set_heartbeat(1'700'000'000'123'000'000);

  auto reader = StateBoard::open_read_only(f.path);
  REQUIRE(reader.ok());
  const StateBoard& r = **reader;
  CHECK(r.layout() == layout);
  CHECK(r.count(BoardSection::kOpenOrders) == 3);
  CHECK(r.count(BoardSection::kInstruments) == 4);
  const auto back = r.open_order(2);
  REQUIRE(back.has_value());
  CHECK(board_text(back->client_order_id) == "oms-1-7-000000000000000000000042x");
  CHECK(back->price == raw(61'500'000'000'000));
  CHECK(back->cum_qty == raw(400'000));
  CHECK(back->status == static_cast<std::uint32_t>(oms::OrderStatus::kPartiallyFilled));
  CHECK_FALSE(r.open_order(0).has_value());
  CHECK(board_text(r.account_name(1)->name) == "binance_main");
  CHECK_FALSE(r.account_name(0).has_value());
  CHECK(board_text(r.instrument_name(3)->name) == "BTC/USDT:USDT");
  CHECK(r.instrument_name(3)->market == static_cast<std::uint64_t>(oms::Market::kUsdm));
  CHECK(r.hidden(BoardSection::kOpenOrders) == 5);
  CHECK(r.hidden(BoardSection::kBalances) == 0);
  CHECK(r.heartbeat() == 1'700'000'000'123'000'000);
  CHECK(r.writer_pid() == ::getpid());
  // Sections do not overlap: the last slot of each one holds its own record.
  CHECK((*board)->write(0, position_of(9)));
  CHECK((*board)->write(0, TopOfBookRecord{4, 1, raw(2), raw(3), raw(4), raw(5), 6, 0}));
  CHECK(r.position(0)->size == BoardDecimal{9, 9});
  CHECK(r.top(0)->instrument == 4);
  CHECK(r.open_order(2)->instrument == 3);
  CHECK(board_text(r.instrument_name(3)->name) == "BTC/USDT:USDT");
}

TEST_CASE("a text field cut to its size is read back whole, without a NUL") {
  char field[4];
  set_board_text(field, "BTCUSDT");
  CHECK(board_text(field) == "BTCU");
  set_board_text(field, "BT");
  CHECK(board_text(field) == "BT");
}

TEST_CASE("a new board replaces the old one under its path: an old reader keeps its mapping and sees replaced()") {
  BoardFile f;
  auto first = StateBoard::create(f.path, {2, 0, 0, 0});
  REQUIRE(first.ok());
  REQUIRE((*first)->write(1, position_of(7)));
  auto reader = StateBoard::open_read_only(f.path);
  REQUIRE(reader.ok());
  CHECK_FALSE((*reader)->replaced());
  auto second = StateBoard::create(f.path, {1, 0, 0, 0});  // smaller: the old reader must not fault
  REQUIRE(second.ok());
  CHECK((*reader)->replaced());
  CHECK((*reader)->position(1)->size == BoardDecimal{7, 7});
  auto again = StateBoard::open_read_only(f.path);
  REQUIRE(again.ok());
  CHECK((*again)->layout() == BoardLayout{1, 0, 0, 0});
  CHECK_FALSE((*again)->replaced());
  CHECK(StateBoard::create("/dev/shm/no-such-dir/board", {1, 0, 0, 0}).error().message.starts_with(
      "cannot create state board /dev/shm/no-such-dir/board.tmp-"));
}

TEST_CASE("the default board path is one per data dir, however the dir is spelled") {
  const auto a = default_board_path("/tmp/oms-data-a");
  CHECK(a.starts_with("/dev/shm/oms-board-omsd-"));
  CHECK(a.ends_with(".board"));
  CHECK(a == default_board_path("/tmp/./oms-data-a"));
  CHECK(a == default_board_path("/tmp/oms-data-a/"));
  CHECK(a != default_board_path("/tmp/oms-data-b"));
}
