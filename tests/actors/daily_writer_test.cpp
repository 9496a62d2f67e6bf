// DailyWriter (actors/daily_writer.hpp): an account's fills, as the store holds them, in the
// daily files -- each fill in its venue day's trades.jsonl (and its strategy's
// executions.jsonl), a pnl.csv row per closed day with exact figures -- and a writer started
// again over the same files writes nothing twice.
#include "oms/actors/daily_writer.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <fstream>
#include <iterator>

#include "actors/recovery_script.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "testkit/temp_dir.hpp"

using namespace oms;
using namespace oms::actors;

namespace {

constexpr TimeNs kDay = 86'400'000'000'000;
constexpr TimeNs kDay1 = 19'943 * kDay;  // 2024-08-08 00:00 UTC

Decimal d(const char* s) { return *Decimal::parse(s); }

// A daily file's text: the plain file, or its gzip once the day closed (compressed on the
// DailyFiles worker: the test waits for it, then reads whichever is there).
std::string read_file(const std::filesystem::path& p) {
  if (std::filesystem::exists(p)) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  std::string out;
  gzFile f = gzopen((p.string() + ".gz").c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

struct Setup {
  testkit::TempDir dir{"daily-writer"};
  Directory directory = testkit::recovery_directory();
  InstrumentTable table = *InstrumentTable::from(testkit::recovery_instruments());
  std::string stream = persistence::StreamLayout::account_stream(ExchangeId::kBinance, "acct-a");
  std::unique_ptr<persistence::FileJournal> journal;
  std::uint64_t id = 16;

  Setup() {
    auto j = persistence::FileJournal::open(
        dir.path() / "journal",
        persistence::StreamLayout({{ExchangeId::kBinance, "acct-a"}}, {ExchangeId::kBinance}));
    REQUIRE(j.ok());
    journal = std::move(j).value();
  }

  // A fill of acct-a on BTC/USDT at venue time t, and an order event beside it (not a fill).
  void fill(TimeNs t, Side side, const char* qty, const char* price, const char* fee, bool strategy) {
    FillReceived f{};
    f.account = AccountId(0);
    if (strategy) f.strategy = StrategyId(0);
    f.instrument = InstrumentId(0);
    (void)f.client_order_id.assign("C" + std::to_string(id));
    (void)f.trade_id.assign("T" + std::to_string(id));
    f.side = side;
    f.price = d(price);
    f.quantity = d(qty);
    f.fee = d(fee);
    f.fee_asset = "USDT";
    OrderAccepted a{};
    a.account = AccountId(0);
    a.instrument = InstrumentId(0);
    (void)a.client_order_id.assign("C" + std::to_string(id));
    (void)a.venue_order_id.assign("V" + std::to_string(id));
    for (const EventPayload& p : {EventPayload{a}, EventPayload{f}}) {
      const Event e{Envelope{id += 16, id, t, t + 1000, 0, 0}, p};
      auto json = encode_json(e, directory);
      REQUIRE(json.ok());
      const std::string subject = SubjectMap(directory).subject(p);
      REQUIRE(!subject.empty());
      journal->append(persistence::AppendRecord{subject, *json, e.envelope.id, t},
                      [](const Result<std::uint64_t, persistence::StoreError>& r) { REQUIRE(r.ok()); });
    }
    REQUIRE(journal->flush(std::chrono::seconds(5)).ok());
  }
};

}  // namespace

TEST_CASE("daily writer: fills into their days' trades and executions files, a pnl row per closed day, nothing twice after a restart") {
  Setup s;
  // Day 1: buy 1 @ 100 (the strategy's), sell 0.5 @ 110; day 2: sell 0.5 @ 90.
  s.fill(kDay1 + 3'600'000'000'000, Side::kBuy, "1", "100", "0.1", true);
  s.fill(kDay1 + 7'200'000'000'000, Side::kSell, "0.5", "110", "0.05", false);
  s.fill(kDay1 + kDay + 60'000'000'000, Side::kSell, "0.5", "90", "0.05", false);

  persistence::DailyFiles files(s.dir.path() / "data");
  {
    DailyWriter w(*s.journal, files, s.directory, s.table, {{AccountId(0), "acct-a", s.stream}});
    // During day 2: day 1 is closed by day 2's fill.
    REQUIRE(w.catch_up(kDay1 + kDay + 3'600'000'000'000).ok());
    CHECK(w.trades_written() == 3);
    CHECK(w.rows_written() == 1);
    // Day 2 closes when the clock is past it.
    REQUIRE(w.catch_up(kDay1 + 2 * kDay + 1).ok());
    CHECK(w.rows_written() == 2);
  }
  REQUIRE(files.wait_for_compressions().ok());  // day 1's files were closed by day 2's fill
  const auto day1 = s.dir.path() / "data/logs/2024/08/08/acct-a/trades.jsonl";
  const auto day2 = s.dir.path() / "data/logs/2024/08/09/acct-a/trades.jsonl";
  const auto lines1 = lines_of(read_file(day1));
  const auto lines2 = lines_of(read_file(day2));
  REQUIRE(lines1.size() == 2);
  REQUIRE(lines2.size() == 1);
  // Each line: the stream sequence and the event as stored.
  std::vector<std::string> stored;
  persistence::ReadRequest r;
  r.stream = s.stream;
  REQUIRE(s.journal->read(r, [&](const persistence::StoredRecord& rec) {
    if (rec.payload.find("FillReceived") != std::string_view::npos) {
      stored.push_back("{\"seq\":" + std::to_string(rec.sequence) + ",\"event\":" + std::string(rec.payload) + "}");
    }
    return true;
  }).ok());
  REQUIRE(stored.size() == 3);
  CHECK(lines1[0] == stored[0]);
  CHECK(lines1[1] == stored[1]);
  CHECK(lines2[0] == stored[2]);
  // The strategy's fill in its executions file.
  const auto exec = lines_of(read_file(s.dir.path() / "data/strategies/2024/08/08/recovery/executions.jsonl"));
  REQUIRE(exec.size() == 1);
  CHECK(exec[0] == stored[0]);
  // pnl.csv: day 1 realized +5 (0.5 sold 10 above the cost), fees 0.15; day 2 -5, fees 0.05.
  const auto pnl = lines_of(read_file(s.dir.path() / "data/reports/2024/08/acct-a/pnl.csv"));
  REQUIRE(pnl.size() == 3);
  CHECK(pnl[0] == "date,quote,fills,volume,fees,realized_pnl,net_pnl");
  CHECK(pnl[1] == "2024-08-08,USDT,2," + d("155").to_string() + "," + d("0.15").to_string() + "," +
                      d("5").to_string() + "," + d("4.85").to_string());
  CHECK(pnl[2] == "2024-08-09,USDT,1," + d("45").to_string() + "," + d("0.05").to_string() + "," +
                      d("-5").to_string() + "," + d("-5.05").to_string());

  SUBCASE("started again over the same files: nothing written twice; a new fill goes on") {
    const std::string before1 = read_file(day1), before2 = read_file(day2);
    const std::string before_pnl = read_file(s.dir.path() / "data/reports/2024/08/acct-a/pnl.csv");
    DailyWriter again(*s.journal, files, s.directory, s.table, {{AccountId(0), "acct-a", s.stream}});
    REQUIRE(again.catch_up(kDay1 + 2 * kDay + 1).ok());
    REQUIRE(files.wait_for_compressions().ok());
    CHECK(again.trades_written() == 0);
    CHECK(again.rows_written() == 0);
    CHECK(read_file(day1) == before1);
    CHECK(read_file(day2) == before2);
    CHECK(read_file(s.dir.path() / "data/reports/2024/08/acct-a/pnl.csv") == before_pnl);
    s.fill(kDay1 + 2 * kDay + 5, Side::kBuy, "0.2", "95", "0", false);
    REQUIRE(again.catch_up(kDay1 + 2 * kDay + 10).ok());
    CHECK(again.trades_written() == 1);
    CHECK(lines_of(read_file(s.dir.path() / "data/logs/2024/08/10/acct-a/trades.jsonl")).size() == 1);
  }
}

TEST_CASE("daily writer: the TRANSFERS stream's steps into the month's transfers.jsonl, nothing twice after a restart") {
  Setup s;
  const auto append = [&](TimeNs t, const EventPayload& p) {
    const Event e{Envelope{s.id += 16, s.id, t, t + 1000, 0, 0}, p};
    auto json = encode_json(e, s.directory);
    REQUIRE(json.ok());
    const std::string subject = SubjectMap(s.directory).subject(p);
    REQUIRE(subject.starts_with("transfers."));
    s.journal->append(persistence::AppendRecord{subject, *json, e.envelope.id, t},
                      [](const Result<std::uint64_t, persistence::StoreError>& r) { REQUIRE(r.ok()); });
    REQUIRE(s.journal->flush(std::chrono::seconds(5)).ok());
  };
  TransferRequested req{};
  req.transfer_id = 1;
  req.from_account = AccountId(0);
  req.to_account = AccountId(1);
  req.asset = "USDT";
  req.amount = d("250.5");
  TransferCompleted done{};
  done.transfer_id = 1;
  (void)done.venue_transfer_id.assign("13526853623");
  append(kDay1 + 1'000, req);
  append(kDay1 + 2'000, done);
  req.transfer_id = 2;
  TransferFailed failed{};
  failed.transfer_id = 2;
  failed.venue_code = -5013;
  append(kDay1 + 3'000, req);

  persistence::DailyFiles files(s.dir.path() / "data");
  const auto path = s.dir.path() / "data/transfers/2024/08/transfers.jsonl";
  std::vector<std::string> stored;
  const auto read_stored = [&] {
    stored.clear();
    persistence::ReadRequest r;
    r.stream = std::string(persistence::StreamLayout::kTransfers);
    REQUIRE(s.journal->read(r, [&](const persistence::StoredRecord& rec) {
      stored.push_back("{\"seq\":" + std::to_string(rec.sequence) + ",\"event\":" + std::string(rec.payload) + "}");
      return true;
    }).ok());
  };
  {
    DailyWriter w(*s.journal, files, s.directory, s.table, {{AccountId(0), "acct-a", s.stream}});
    REQUIRE(w.catch_up(kDay1 + 10'000).ok());
    CHECK(w.transfers_written() == 3);
  }
  read_stored();
  REQUIRE(stored.size() == 3);
  CHECK(lines_of(read_file(path)) == stored);
  CHECK(stored[0].find("\"type\":\"TransferRequested\"") != std::string::npos);
  CHECK(stored[1].find("13526853623") != std::string::npos);

  // Started again: nothing twice; the failed outcome that came since goes on.
  append(kDay1 + 4'000, failed);
  DailyWriter again(*s.journal, files, s.directory, s.table, {{AccountId(0), "acct-a", s.stream}});
  REQUIRE(again.catch_up(kDay1 + 10'000).ok());
  CHECK(again.transfers_written() == 1);
  read_stored();
  REQUIRE(stored.size() == 4);
  CHECK(lines_of(read_file(path)) == stored);
  CHECK(stored[3].find("\"type\":\"TransferFailed\"") != std::string::npos);
}
