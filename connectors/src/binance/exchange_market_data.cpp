// MarketDataFeed: depth diffs + REST snapshots, bookTicker and trades from one combined stream.
// See exchange_internal.hpp for the ordering rules.
#include <spdlog/spdlog.h>

#include <cctype>

#include "exchange_internal.hpp"

namespace oms::binance {

MarketDataFeed::MarketDataFeed(BinanceVenue::Shared& shared, std::vector<InstrumentId> instruments,
                               MarketDataStreams streams, MarketDataSink sink)
    : shared_(shared), streams_(streams), sink_(std::move(sink)) {
  for (InstrumentId id : instruments) books_.push_back(Book{id});
}

MarketDataFeed::~MarketDataFeed() {
  stop();
}

void MarketDataFeed::start() {
  // /stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade
  const bool futures = shared_.cfg.market == Market::kUsdm;
  std::string target = shared_.cfg.stream_path_prefix + "/stream?streams=";
  bool first = true;
  auto add = [&](const std::string& s) {
    if (!first) target.push_back('/');
    first = false;
    target += s;
  };
  for (const auto& b : books_) {
    std::string sym = shared_.instrument(b.instrument)->venue_symbol;
    for (char& c : sym) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (streams_.depth) add(sym + "@depth@100ms");
    if (streams_.book_ticker) add(sym + "@bookTicker");
    if (streams_.trades) add(sym + (futures ? "@aggTrade" : "@trade"));
  }
  net::WssConfig wc;
  wc.host = shared_.cfg.stream.host;
  wc.port = shared_.cfg.stream.port;
  wc.target = std::move(target);
  wc.tls = shared_.cfg.tls;
  wc.ping_interval = shared_.cfg.ws_ping_interval;
  net::WssHandlers h;
  h.on_message = [this](std::string_view msg) { on_message(msg); };
  h.on_open = [this](bool reconnect) {
    if (!reconnect) return;
    // Diffs were missed: every book starts over (the next diff asks for a snapshot).
    std::lock_guard lk(mutex_);
    for (auto& b : books_) {
      b.last_u = 0;
      b.first_u = 0;
      b.synced = false;
      if (b.pending) b.again = true;
    }
  };
  h.on_disconnected = [](const net::WssDisconnect& d) {
    spdlog::warn("binance market data: stream down: {} (retry in {} ms)", d.reason,
                 d.retry_in.count());
  };
  snapshot_thread_ = std::thread([this] { snapshot_loop(); });
  stream_ = std::make_unique<net::WssClient>(std::move(wc), std::move(h));
  stream_->start();
}

void MarketDataFeed::stop() {
  if (stream_) stream_->stop();
  {
    std::lock_guard lk(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
}

MarketDataFeed::Book* MarketDataFeed::book_of(std::string_view symbol) {
  auto id = shared_.lookup(symbol);
  if (!id) return nullptr;
  for (auto& b : books_)
    if (b.instrument == *id) return &b;
  return nullptr;
}

void MarketDataFeed::on_message(std::string_view msg) {
  const TimeNs received = wall_now_ns();  // the message's bytes are off the socket
  auto kind = parse_market_data(parser_, msg, msg_);
  if (!kind) {
    spdlog::warn("binance market data: {}", kind.error().message);
    return;
  }
  switch (*kind) {
    case MarketMessageKind::kDepthUpdate: {
      const auto& d = msg_.depth;
      on_depth(d, ms_to_ns(d.transaction_time != 0 ? d.transaction_time : d.event_time), received);
      return;
    }
    case MarketMessageKind::kBookTicker: {
      const auto& t = msg_.book_ticker;
      auto id = shared_.lookup(t.symbol.view());
      if (!id) return;
      const std::uint64_t ms = t.transaction_time != 0 ? t.transaction_time : t.event_time;
      std::lock_guard lk(mutex_);
      sink_(ms != 0 ? ms_to_ns(ms) : received, to_best_bid_offer(t, *id), received);
      return;
    }
    case MarketMessageKind::kTrade:
    case MarketMessageKind::kAggTrade: {
      const auto& t = msg_.trade;
      auto id = shared_.lookup(t.symbol.view());
      if (!id) return;
      std::lock_guard lk(mutex_);
      sink_(ms_to_ns(t.trade_time != 0 ? t.trade_time : t.event_time), to_trade_printed(t, *id),
            received);
      return;
    }
    default:
      return;
  }
}

void MarketDataFeed::on_depth(const DepthUpdate& d, TimeNs t, TimeNs received) {
  std::lock_guard lk(mutex_);
  Book* b = book_of(d.symbol.view());
  if (b == nullptr) return;
  // Continuity of the stream itself (BookCore checks it too; we need it to know when to
  // fetch a new snapshot).
  if (b->last_u != 0) {
    const bool follows =
        d.has_prev_update_id ? d.prev_update_id == b->last_u : d.first_update_id == b->last_u + 1;
    if (!follows) {
      spdlog::warn("binance market data {}: gap after u={} (U={}), resync", d.symbol.view(),
                   b->last_u, d.first_update_id);
      b->synced = false;
      b->first_u = 0;
      if (b->pending) b->again = true;
    }
  }
  b->last_u = d.last_update_id;
  if (b->first_u == 0) b->first_u = d.first_update_id;
  to_book_deltas(d, b->instrument, deltas_);
  for (const auto& delta : deltas_) sink_(t, delta, received);
  if (!b->synced && !b->pending) request_snapshot(*b);
}

void MarketDataFeed::request_snapshot(Book& b) {
  b.pending = true;
  b.again = false;
  snapshot_queue_.push_back(static_cast<std::size_t>(&b - books_.data()));
  cv_.notify_all();
}

void MarketDataFeed::snapshot_loop() {
  JsonParser parser;
  MarketMessage scratch;
  std::vector<BookSnapshot> chunks;
  std::unique_lock lk(mutex_);
  for (;;) {
    cv_.wait(lk, [this] { return stopping_ || !snapshot_queue_.empty(); });
    if (stopping_) return;
    const std::size_t i = snapshot_queue_.front();
    snapshot_queue_.pop_front();
    const InstrumentId id = books_[i].instrument;
    lk.unlock();
    const Instrument* in = shared_.instrument(id);
    // 1,000 levels on both markets: far deeper than anything trades from (the engine's books
    // read 50), and on spot a fifth of the weight of 5,000 (50 against 250 of the IP's 6,000 a
    // minute -- four books at 5,000 were two thirds of a start's weight).
    auto req = depth(*in, 1000);
    bool ok = false;
    if (req) {
      auto r = check(shared_.send(0, *req, nullptr, "depth snapshot"), "depth snapshot");
      if (!r) {
        spdlog::warn("binance market data: {}", r.error().message);
      } else if (auto p = parse_depth_snapshot(parser, r->body, scratch); !p) {
        spdlog::warn("binance market data: depth snapshot: {}", p.error().message);
      } else {
        ok = true;
        to_book_snapshots(scratch.snapshot, id, chunks);
      }
    }
    lk.lock();
    if (stopping_) return;
    Book& b = books_[i];
    b.pending = false;
    if (!ok) {
      // Retry after a pause (the rate limiter has the final word on pacing).
      cv_.wait_for(lk, std::chrono::seconds(1), [this] { return stopping_; });
      if (stopping_) return;
      request_snapshot(b);
      continue;
    }
    const std::uint64_t last = scratch.snapshot.last_update_id;
    const bool futures = shared_.cfg.market == Market::kUsdm;
    // Too old for the diffs already passed on: the first must satisfy U <= L+1 (spot) or
    // U <= L (futures). Fetch again; BookCore keeps buffering meanwhile.
    const bool too_old = b.first_u != 0 && (futures ? last < b.first_u : last + 1 < b.first_u);
    if (too_old || b.again) {
      request_snapshot(b);
      continue;
    }
    const TimeNs t = scratch.snapshot.transaction_time != 0
                         ? ms_to_ns(scratch.snapshot.transaction_time)
                         : wall_now_ns();
    const TimeNs received = wall_now_ns();
    for (const auto& c : chunks) sink_(t, c, received);
    b.synced = true;
  }
}

}  // namespace oms::binance
