// venue-sim background drivers: recorded-stream replay (through the Binance market-data parser
// and BookCore's sequence rules) and the seeded random walk.
#include "background_feed.hpp"

#include <zlib.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <thread>

#include "oms/connectors/binance/market_data.hpp"
#include "oms/connectors/sim/background.hpp"
#include "oms/cores/book_core.hpp"

namespace oms::venue_sim {

namespace {

class GzLines {
 public:
  explicit GzLines(const std::string& path) : file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw std::runtime_error(path + ": cannot open");
  }
  ~GzLines() { gzclose(file_); }
  GzLines(const GzLines&) = delete;
  GzLines& operator=(const GzLines&) = delete;
  bool next(std::string& line) {
    line.clear();
    char buf[65536];
    while (gzgets(file_, buf, sizeof buf) != nullptr) {
      line += buf;
      if (!line.empty() && line.back() == '\n') {
        line.pop_back();
        return true;
      }
    }
    return !line.empty();
  }

 private:
  gzFile file_;
};

void sleep_until_or_stop(std::chrono::steady_clock::time_point t, const std::atomic<bool>& stop) {
  while (!stop.load() && std::chrono::steady_clock::now() < t) {
    const auto left = t - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(100)));
  }
}

template <class Levels>
std::vector<sim::PriceQty> convert(const Levels& in) {
  std::vector<sim::PriceQty> out;
  out.reserve(in.size());
  for (const auto& l : in) out.push_back({l.price, l.quantity});
  return out;
}

std::vector<sim::PriceQty> side_of(const BookCore& book, BookSide side) {
  std::vector<sim::PriceQty> out;
  const std::size_t n = book.level_count(side);
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const PriceLevel l = book.level(side, i);
    out.push_back({l.price, l.quantity});
  }
  return out;
}

// One recorded stream (market + symbol) kept in step with the venue's rules, as a client
// keeps its local book: diffs before the snapshot wait for it, the snapshot then applies the
// ones that connect and drops the older ones (a diff recorded before the snapshot may already
// be in it, or may remove a level the snapshot still lists), later diffs must follow their
// predecessor. Only what BookCore applied reaches the venue, so the venue's book is the
// recorded venue's book: never a level the venue had removed, never crossed.
class SequencedStream {
 public:
  SequencedStream(LiquiditySink& front, Market m, std::string symbol)
      : front_(front),
        market_(m),
        symbol_(std::move(symbol)),
        book_(BookCoreConfig{InstrumentId{0}, m == Market::kSpot ? BookSequencing::kBinanceSpot
                                                                 : BookSequencing::kBinanceFutures}) {}

  void on_snapshot(const binance::DepthSnapshot& s, ReplayStats& st) {
    binance::to_book_snapshots(s, book_.instrument(), snapshots_);
    BookApplyResult r;
    for (const auto& chunk : snapshots_) r = book_.apply(chunk);
    ++st.snapshots;
    if (r.status == BookApplyStatus::kApplied) {
      // The book after the snapshot and the buffered diffs that follow it.
      front_.on_snapshot(market_, symbol_, {side_of(book_, BookSide::kBid), side_of(book_, BookSide::kAsk)});
    } else if (r.status == BookApplyStatus::kResyncNeeded) {
      ++st.gaps;
    }
  }

  void on_delta(const binance::DepthUpdate& d, ReplayStats& st) {
    binance::to_book_deltas(d, book_.instrument(), deltas_);
    BookApplyResult r;
    for (const auto& chunk : deltas_) r = book_.apply(chunk);
    switch (r.status) {
      case BookApplyStatus::kApplied:
        front_.on_delta(market_, symbol_, {convert(d.bids), convert(d.asks)});
        ++st.deltas;
        break;
      case BookApplyStatus::kBuffered: ++st.buffered; break;
      case BookApplyStatus::kStale: ++st.stale; break;
      case BookApplyStatus::kResyncNeeded: ++st.gaps; break;
      case BookApplyStatus::kChunkPending: ++st.errors; break;
    }
  }

  [[nodiscard]] std::uint64_t update_id() const {
    return book_.state() == BookState::kLive ? book_.last_update_id() : 0;
  }

 private:
  LiquiditySink& front_;
  Market market_;
  std::string symbol_;
  BookCore book_;
  std::vector<BookSnapshot> snapshots_;
  std::vector<BookDelta> deltas_;
};

}  // namespace

ReplayStats replay_files(LiquiditySink& front, const std::vector<std::string>& files, double speed,
                         const std::atomic<bool>& stop, const ReplayObserver& observe) {
  ReplayStats st;
  binance::JsonParser parser;
  binance::MarketMessage msg;
  std::string line;
  std::int64_t first_ns = -1;
  const auto start = std::chrono::steady_clock::now();
  std::map<std::pair<Market, std::string>, SequencedStream> books;
  for (const auto& file : files) {
    const std::string name = std::filesystem::path(file).filename().string();
    const auto us1 = name.find('_');
    const auto us2 = name.find('_', us1 == std::string::npos ? 0 : us1 + 1);
    if (us1 == std::string::npos || us2 == std::string::npos) {
      throw std::runtime_error(file + ": file name is not <market>_<symbol>_<date>.gz");
    }
    const std::string market = name.substr(0, us1);
    Market m;
    if (market == "spot") m = Market::kSpot;
    else if (market == "usdm") m = Market::kUsdm;
    else throw std::runtime_error(file + ": market '" + market + "' is not spot or usdm");
    std::string symbol = name.substr(us1 + 1, us2 - us1 - 1);
    for (char& c : symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    SequencedStream& book =
        books.try_emplace({m, symbol}, front, m, symbol).first->second;
    GzLines lines(file);
    while (!stop.load() && lines.next(line)) {
      const auto space = line.find(' ');
      if (space == std::string::npos) {
        ++st.errors;
        continue;
      }
      if (speed > 0) {
        const std::int64_t ns = std::strtoll(line.c_str(), nullptr, 10);
        if (first_ns < 0) first_ns = ns;
        const auto offset = std::chrono::nanoseconds(
            static_cast<std::int64_t>(static_cast<double>(ns - first_ns) / speed));
        sleep_until_or_stop(start + offset, stop);
      }
      line.reserve(line.size() + 64);
      const auto r = binance::parse_market_data(parser, std::string_view(line).substr(space + 1), msg);
      if (!r.ok()) {
        ++st.errors;
        continue;
      }
      switch (*r) {
        case binance::MarketMessageKind::kDepthSnapshot: book.on_snapshot(msg.snapshot, st); break;
        case binance::MarketMessageKind::kDepthUpdate: book.on_delta(msg.depth, st); break;
        case binance::MarketMessageKind::kTrade: {
          front.on_trade(m, symbol, {msg.trade.price, msg.trade.quantity, msg.trade.buyer_is_maker});
          ++st.trades;
          break;
        }
        default: ++st.skipped; break;
      }
      if (observe) observe(m, symbol, msg, book.update_id());
    }
  }
  return st;
}

void random_walk(LiquiditySink& front, const Instrument& ins, Decimal start_mid, std::uint64_t seed,
                 std::chrono::milliseconds interval, const std::atomic<bool>& stop,
                 std::size_t max_steps, Decimal lot, const WalkShocks* shocks) {
  sim::RandomWalk::Config c;
  c.start_mid = start_mid;
  c.tick = ins.rules.tick_size;
  c.lot = lot.is_zero() ? ins.rules.step_size : lot;
  c.seed = seed;
  sim::RandomWalk walk(c);
  auto next = std::chrono::steady_clock::now();
  std::uint64_t shocked = 0;
  for (std::size_t i = 0; !stop.load() && (max_steps == 0 || i < max_steps); ++i) {
    for (const auto n = shocks != nullptr ? shocks->count.load() : 0; shocked < n; ++shocked) walk.shift_bps(shocks->bps);
    const auto step = walk.next();
    front.on_snapshot(ins.market, ins.venue_symbol, step.book);
    front.on_trade(ins.market, ins.venue_symbol, step.trade);
    next += interval;
    if (interval.count() > 0) sleep_until_or_stop(next, stop);
  }
}

}  // namespace oms::venue_sim
