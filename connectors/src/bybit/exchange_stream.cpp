// Bybit v5 WebSockets: an account's private stream (auth, subscriptions, events, catch-up
// after a reconnect) and the public market-data feed.
#include <spdlog/spdlog.h>

#include <map>

#include "exchange_internal.hpp"

namespace oms::bybit {

namespace {

std::string quoted_list(const std::vector<std::string>& args) {
  std::string out = "[";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ',';
    out += '"' + args[i] + '"';
  }
  return out + "]";
}

constexpr std::size_t kArgsPerSubscribe = 10;  // Bybit: at most 10 args per spot request

void subscribe(net::WssClient& ws, const std::vector<std::string>& topics) {
  for (std::size_t i = 0; i < topics.size(); i += kArgsPerSubscribe) {
    const std::vector<std::string> part(topics.begin() + static_cast<std::ptrdiff_t>(i),
                                        topics.begin() + static_cast<std::ptrdiff_t>(std::min(topics.size(), i + kArgsPerSubscribe)));
    (void)ws.send(R"({"op":"subscribe","args":)" + quoted_list(part) + "}");
  }
}

net::WssConfig wss_config(const BybitConfig& cfg, std::string target) {
  net::WssConfig wc;
  wc.host = cfg.stream.host;
  wc.port = cfg.stream.port;
  wc.target = std::move(target);
  wc.tls = cfg.tls;
  wc.ping_interval = cfg.ws_ping_interval;  // protocol pings; the venue's own {"op":"ping"} too
  return wc;
}

}  // namespace

// ---- private stream -----------------------------------------------------------------------

void BybitAccount::open_stream() {
  net::WssHandlers h;
  h.on_open = [this](bool reconnect) {
    (void)reconnect;
    // auth: HMAC-SHA256 hex of "GET/realtime" + expires (ms), valid for the next 10 s.
    const std::int64_t expires = shared_.timestamp_ms() + 10'000;
    std::string sig;
    std::string key;
    {
      std::lock_guard lk(auth_.mutex);
      if (!auth_.signer) return;
      if (auto s = auth_.signer->sign_hex("GET/realtime" + std::to_string(expires), sig); !s) {
        spdlog::error("bybit account {}: private stream auth: {}", account_.value, s.error().message);
        return;
      }
      key = std::string(auth_.api_key.view());
    }
    (void)stream_->send(R"({"op":"auth","args":[")" + key + "\"," + std::to_string(expires) + ",\"" + sig + "\"]}");
  };
  h.on_message = [this](std::string_view msg) { on_stream(msg); };
  h.on_disconnected = [this](const net::WssDisconnect& d) {
    stream_subscribed_ = false;
    if (stream_authed_.exchange(false)) {
      std::int64_t expected = 0;
      (void)stream_down_ms_.compare_exchange_strong(expected, shared_.timestamp_ms());
      spdlog::warn("bybit account {}: private stream lost: {} (retry in {} ms)", account_.value, d.reason,
                   d.retry_in.count());
    }
  };
  std::lock_guard lk(stream_mutex_);
  stream_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, "/v5/private"), std::move(h), shared_.streams.get());
  stream_->start();
}

void BybitAccount::heartbeat() {
  std::lock_guard lk(stream_mutex_);
  if (stream_ && stream_->is_open()) (void)stream_->send(R"({"op":"ping"})");
}

void BybitAccount::on_stream(std::string_view msg) {
  PrivateMessage m;
  auto r = parse_private(msg, context(), m);
  if (!r) {
    spdlog::warn("bybit account {}: private stream: {}", account_.value, r.error().message);
    return;
  }
  for (const auto& s : m.skipped) spdlog::debug("bybit account {}: {}", account_.value, s);
  switch (m.kind) {
    case PrivateKind::kAuth:
      if (!m.success) {
        spdlog::error("bybit account {}: private stream auth refused: {}", account_.value, m.ret_msg);
        if (shared_.cfg.on_alert) shared_.cfg.on_alert("bybit account " + std::to_string(account_.value) + ": private stream auth refused: " + m.ret_msg);
        return;
      }
      // Positions are the linear connection's (spot holds balances only).
      if (shared_.cfg.market == Market::kSpot) subscribe(*stream_, {"order", "execution", "wallet"});
      else subscribe(*stream_, {"order", "execution", "wallet", "position"});
      stream_authed_ = true;
      if (const std::int64_t down = stream_down_ms_.exchange(0); down != 0) {
        // What the venue pushed while we were away is not replayed: read it (a margin for
        // clock skew; the stores keep each fact once).
        constexpr std::int64_t kMarginMs = 5'000;
        enqueue([this, since = down - kMarginMs] { catch_up(since); });
      }
      return;
    case PrivateKind::kSubscribe:
      if (!m.success) {
        spdlog::error("bybit account {}: private subscribe refused: {}", account_.value, m.ret_msg);
        return;
      }
      stream_subscribed_ = true;
      return;
    case PrivateKind::kPong:
    case PrivateKind::kOther:
      return;
    default:
      break;
  }
  if (m.kind == PrivateKind::kWallet && !report_wallet_) return;  // the other connection reports it
  for (const auto& e : m.events) {
    const bool timed = std::holds_alternative<BalanceUpdated>(e.payload) || std::holds_alternative<PositionUpdated>(e.payload) ||
                       std::holds_alternative<FundingPaid>(e.payload);
    emit(e, timed ? static_cast<std::uint64_t>(e.venue_time) : 0);
  }
}

void BybitAccount::catch_up(std::int64_t since_ms) {
  if (!running_) return;
  const auto ctx = context();
  for (const auto& [id, in] : shared_.by_id) {
    (void)id;
    HistoryQuery q;
    q.start_time_ms = since_ms;
    q.limit = 100;
    auto body = body_of(send(*executions(shared_.category(), &in, q), "catch-up executions"), "catch-up executions");
    if (body) {
      if (auto p = parse_executions(*body, shared_.cfg.market, ctx)) {
        for (const auto& e : p->events) emit(e, std::holds_alternative<FundingPaid>(e.payload) ? static_cast<std::uint64_t>(e.venue_time) : 0);
      } else {
        spdlog::warn("bybit account {} catch-up: {}", account_.value, p.error().message);
      }
    }
    auto hist = body_of(send(*order_history(shared_.category(), &in, q), "catch-up orders"), "catch-up orders");
    if (hist) {
      if (auto p = parse_orders(*hist, shared_.cfg.market, ctx)) {
        const std::uint64_t serial = ++query_serial_;
        for (const auto& o : p->orders) emit(o, o.venue_order_id.view(), serial, wall_now_ns());
      }
    }
  }
  if (auto open = open_orders(InstrumentId{}); open) {
    const std::uint64_t serial = ++query_serial_;
    for (const auto& o : *open) emit(o, o.venue_order_id.view(), serial, wall_now_ns());
  }
}

// ---- public market data -------------------------------------------------------------------

MarketDataFeed::MarketDataFeed(BybitVenue::Shared& shared, std::vector<InstrumentId> instruments,
                               MarketDataStreams streams, MarketDataSink sink)
    : shared_(shared), instruments_(std::move(instruments)), streams_(streams), sink_(std::move(sink)) {}

MarketDataFeed::~MarketDataFeed() { stop(); }

void MarketDataFeed::start() {
  net::WssHandlers h;
  h.on_open = [this](bool) { on_open(); };
  h.on_message = [this](std::string_view msg) { on_message(msg); };
  h.on_disconnected = [](const net::WssDisconnect& d) {
    spdlog::warn("bybit market data: {} (retry in {} ms)", d.reason, d.retry_in.count());
  };
  const std::string target = shared_.cfg.market == Market::kSpot ? "/v5/public/spot" : "/v5/public/linear";
  std::lock_guard lk(ws_mutex_);
  ws_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, target), std::move(h));
  ws_->start();
}

void MarketDataFeed::stop() {
  std::lock_guard lk(ws_mutex_);  // on_open uses ws_ unlocked: it goes after stop() returned
  if (ws_) ws_->stop();
  ws_.reset();
}

void MarketDataFeed::heartbeat() {
  std::lock_guard lk(ws_mutex_);
  if (ws_ && ws_->is_open()) (void)ws_->send(R"({"op":"ping"})");
}

void MarketDataFeed::on_open() {
  last_u_.clear();  // a new connection: every book starts again from its snapshot
  std::vector<std::string> topics;
  for (const InstrumentId id : instruments_) {
    const Instrument* in = shared_.instrument(id);
    if (in == nullptr) continue;
    if (streams_.depth) topics.push_back("orderbook.50." + in->venue_symbol);
    if (streams_.book_ticker) topics.push_back("orderbook.1." + in->venue_symbol);
    if (streams_.trades) topics.push_back("publicTrade." + in->venue_symbol);
  }
  subscribe(*ws_, topics);
}

void MarketDataFeed::on_message(std::string_view raw) {
  const TimeNs received = wall_now_ns();
  auto r = parse_market_data(parser_, raw, msg_);
  if (!r) {
    spdlog::warn("bybit market data: {}", r.error().message);
    return;
  }
  switch (*r) {
    case MarketMessageKind::kOrderBook: {
      const OrderBookUpdate& b = msg_.book;
      const Instrument* in = shared_.instrument(std::string_view(b.symbol.view()));
      if (in == nullptr) return;
      const TimeNs t = static_cast<TimeNs>(b.cts.value_or(b.ts)) * 1'000'000;
      if (b.depth == 1) {
        // The top of the book: a snapshot or delta of one level a side; a side left out of a
        // delta is unchanged, a zero quantity empties it.
        BestBidOffer& top = tops_[in->id.value];
        top.instrument = in->id;
        top.update_id = b.update_id;
        if (b.snapshot) top = BestBidOffer{in->id, b.update_id, {}, {}, {}, {}};
        if (!b.bids.empty()) {
          top.bid_price = b.bids.front().price;
          top.bid_qty = b.bids.front().quantity;
        }
        if (!b.asks.empty()) {
          top.ask_price = b.asks.front().price;
          top.ask_qty = b.asks.front().quantity;
        }
        if (top.bid_qty.is_positive() && top.ask_qty.is_positive()) sink_(t, top, received);
        return;
      }
      std::uint64_t& last = last_u_[in->id.value];
      if (b.snapshot) {
        last = b.update_id;
        to_book_snapshots(b, in->id, snapshots_);
        for (const auto& s : snapshots_) sink_(t, s, received);
        return;
      }
      if (last == 0) return;  // waiting for the snapshot a resubscription brings
      if (b.update_id != last + 1) {
        // A gap: Bybit sends no snapshot by itself; subscribing the topic again makes it.
        ++resubscribes_;
        spdlog::warn("bybit market data: {} gap (u {} after {}), subscribing again", msg_.topic.view(),
                     b.update_id, last);
        last = 0;
        const std::string topic(msg_.topic.view());
        (void)ws_->send(R"({"op":"unsubscribe","args":[")" + topic + "\"]}");
        (void)ws_->send(R"({"op":"subscribe","args":[")" + topic + "\"]}");
        return;
      }
      last = b.update_id;
      to_book_deltas(b, in->id, deltas_);
      for (const auto& d : deltas_) sink_(t, d, received);
      return;
    }
    case MarketMessageKind::kTrades: {
      const Instrument* in = shared_.instrument(std::string_view(msg_.trades.symbol.view()));
      if (in == nullptr) return;
      for (const auto& tr : msg_.trades.trades) {
        sink_(static_cast<TimeNs>(tr.trade_time) * 1'000'000, to_trade_printed(tr, in->id), received);
      }
      return;
    }
    case MarketMessageKind::kOpReply:
      if (msg_.op_reply.success && !*msg_.op_reply.success)
        spdlog::error("bybit market data: {} refused: {}", msg_.op_reply.op.view(), msg_.op_reply.ret_msg);
      return;
    default:
      return;
  }
}

}  // namespace oms::bybit
