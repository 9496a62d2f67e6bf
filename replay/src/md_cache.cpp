#include "oms/replay/md_cache.hpp"

#include <zlib.h>

#include <charconv>
#include <chrono>
#include <fstream>

#include "oms/actors/input_record.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::replay {

namespace {

constexpr const char* kComplete = "COMPLETE";

persistence::StreamLayout cache_layout() { return persistence::StreamLayout({}, {ExchangeId::kBinance}); }

}  // namespace

std::filesystem::path md_cache_dir(const std::filesystem::path& root, const DataFile& f) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(f.path, ec);
  const auto mtime = std::filesystem::last_write_time(f.path, ec).time_since_epoch().count();
  return root / (f.path.filename().string() + "." + std::to_string(ec ? 0 : size) + "." +
                 std::to_string(mtime) + ".v" + std::to_string(kMdCacheVersion));
}

bool md_cache_ready(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / kComplete);
}

Result<ConvertStats, std::string> convert_capture(const DataFile& f, const std::filesystem::path& dir) {
  const auto began = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  persistence::FileJournalOptions jo;
  jo.fsync = persistence::FsyncPolicy::kNever;  // COMPLETE is written after the flush
  jo.dedup_window = 0;
  ConvertStats st;
  {
    auto j = persistence::FileJournal::open(dir, cache_layout(), jo);
    if (!j) return Unexpected(dir.string() + ": " + j.error().message);
    auto& journal = **j;
    gzFile in = gzopen(f.path.c_str(), "rb");
    if (in == nullptr) return Unexpected(f.path.string() + ": cannot open");
    const std::string market(to_string(f.market));
    const std::string prefix = "md.binance." + market + "." + f.venue_symbol + ".";
    const std::string subjects[3] = {prefix + "book", prefix + "trade", prefix + "ticker"};
    binance::JsonParser parser;
    binance::MarketMessage msg;
    std::vector<BookDelta> deltas;
    std::vector<BookSnapshot> snapshots;
    std::string line, payload;
    std::string failure;
    char buf[65536];
    const auto put = [&](TimeNs ts, TimeNs venue_time, const EventPayload& p, int kind) {
      actors::InputRecord r;
      r.step = actors::InputStep::kMarketData;
      r.desk = 0;
      r.seq = ++st.records;
      r.now = ts;
      r.body = Event{Envelope{0, 0, venue_time, 0, 0, 0}, p};
      if (!actors::encode_input(r, payload)) {
        failure = f.path.string() + " line " + std::to_string(st.lines) + ": a message over the codec's bound";
        return;
      }
      journal.append({subjects[kind], payload, actors::input_msg_id(0, 0, r.seq), ts},
                     [&](const Result<std::uint64_t, persistence::StoreError>& a) {
                       if (!a && failure.empty()) failure = dir.string() + ": " + a.error().message;
                     });
    };
    for (;;) {
      line.clear();
      bool got = false;
      while (gzgets(in, buf, sizeof buf) != nullptr) {
        got = true;
        line += buf;
        if (line.back() == '\n') {
          line.pop_back();
          break;
        }
      }
      if (!got) break;
      ++st.lines;
      const auto space = line.find(' ');
      std::int64_t ts = 0;
      if (space == std::string::npos ||
          std::from_chars(line.data(), line.data() + space, ts).ec != std::errc{}) {
        gzclose(in);
        return Unexpected(f.path.string() + " line " + std::to_string(st.lines) + ": not '<recv_ns> <json>'");
      }
      const auto r = binance::parse_market_data(parser, std::string_view(line).substr(space + 1), msg);
      if (!r) {
        ++st.skipped;  // a message we do not parse (counted, as venue-sim's replay does)
        continue;
      }
      const InstrumentId ins(0);
      switch (*r) {
        case binance::MarketMessageKind::kDepthSnapshot:
          binance::to_book_snapshots(msg.snapshot, ins, snapshots);
          for (const auto& s : snapshots) put(ts, ts, s, 0);
          break;
        case binance::MarketMessageKind::kDepthUpdate:
          binance::to_book_deltas(msg.depth, ins, deltas);
          for (const auto& d : deltas) put(ts, static_cast<TimeNs>(msg.depth.event_time) * 1'000'000, d, 0);
          break;
        case binance::MarketMessageKind::kBookTicker:
          put(ts, ts, binance::to_best_bid_offer(msg.book_ticker, ins), 2);
          break;
        case binance::MarketMessageKind::kTrade:
        case binance::MarketMessageKind::kAggTrade:
          put(ts, static_cast<TimeNs>(msg.trade.trade_time) * 1'000'000, binance::to_trade_printed(msg.trade, ins), 1);
          break;
        default: ++st.skipped; continue;
      }
      ++st.messages;
      if (!failure.empty()) break;
    }
    gzclose(in);
    if (!failure.empty()) return Unexpected(failure);
    if (auto fl = journal.flush(std::chrono::seconds(60)); !fl) return Unexpected(dir.string() + ": " + fl.error().message);
  }
  std::ofstream(dir / kComplete) << st.messages << "\n";
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return st;
}

}  // namespace oms::replay
