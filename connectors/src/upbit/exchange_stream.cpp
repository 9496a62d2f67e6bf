// Upbit WebSockets: an account's private stream (authenticated on the upgrade request, myOrder
// and myAsset, catch-up after a reconnect) and the public market-data feed.
#include <spdlog/spdlog.h>

#include "exchange_internal.hpp"

namespace oms::upbit {

namespace {

net::WssConfig wss_config(const UpbitConfig& cfg, std::string target) {
  net::WssConfig wc;
  wc.host = cfg.stream.host;
  wc.port = cfg.stream.port;
  wc.target = std::move(target);
  wc.tls = cfg.tls;
  wc.ping_interval = cfg.ws_ping_interval;  // protocol pings; Upbit's "PING" text too
  return wc;
}

// [{"ticket":..},{"type":..,"codes":[..]}...,{"format":"DEFAULT"}]
std::string subscription(std::string_view ticket, const std::vector<std::string>& types) {
  std::string out = "[{\"ticket\":\"";
  out.append(ticket).append("\"}");
  for (const auto& t : types) out.append(",").append(t);
  return out + ",{\"format\":\"DEFAULT\"}]";
}

constexpr TimeNs kNsPerMs = 1'000'000;

}  // namespace

// ---- private stream -----------------------------------------------------------------------

void UpbitAccount::open_stream() {
  auto wc = wss_config(shared_.cfg, "/websocket/v1/private");
  // A fresh JWT (new nonce) on every connect: the venue refuses a nonce it has seen.
  wc.upgrade_headers = [this]() -> std::vector<std::pair<std::string, std::string>> {
    std::lock_guard lk(auth_.mutex);
    if (!auth_.signer) return {};
    auto nonce = new_nonce();
    if (!nonce) return {};
    auto token = ws_token(Credentials{auth_.access_key.view(), &*auth_.signer}, *nonce);
    if (!token) {
      spdlog::error("upbit account {}: private stream token: {}", account_.value, token.error().message);
      return {};
    }
    return {{std::string(kAuthorizationHeader), "Bearer " + *token}};
  };
  net::WssHandlers h;
  h.on_open = [this](bool) {
    auto ticket = new_nonce();
    (void)stream_->send(subscription(ticket ? *ticket : "oms", {R"({"type":"myOrder"})", R"({"type":"myAsset"})"}));
    stream_up_ = true;
    if (const std::int64_t down = stream_down_ms_.exchange(0); down != 0) {
      // What the venue pushed while we were away is not replayed: read it (a margin for clock
      // skew; the stores keep each fact once).
      constexpr std::int64_t kMarginMs = 5'000;
      enqueue([this, since = down - kMarginMs] { catch_up(since); });
    }
  };
  h.on_message = [this](std::string_view msg) { on_stream(msg); };
  h.on_disconnected = [this](const net::WssDisconnect& d) {
    if (stream_up_.exchange(false)) {
      std::int64_t expected = 0;
      (void)stream_down_ms_.compare_exchange_strong(expected, wall_now_ns() / kNsPerMs);
      spdlog::warn("upbit account {}: private stream lost: {} (retry in {} ms)", account_.value, d.reason,
                   d.retry_in.count());
    } else if (!d.was_open && d.attempt == 1 && shared_.cfg.on_alert) {
      shared_.cfg.on_alert("upbit account " + std::to_string(account_.value) + ": private stream refused: " + d.reason);
    }
  };
  std::lock_guard lk(stream_mutex_);
  stream_ = std::make_unique<net::WssClient>(std::move(wc), std::move(h), shared_.streams.get());
  stream_->start();
}

void UpbitAccount::heartbeat() {
  std::lock_guard lk(stream_mutex_);
  if (stream_ && stream_->is_open()) (void)stream_->send("PING");
}

void UpbitAccount::on_stream(std::string_view msg) {
  PrivateMessage m;
  auto r = parse_private(stream_parser_, msg, context(), m);
  if (!r) {
    spdlog::warn("upbit account {}: private stream: {}", account_.value, r.error().message);
    return;
  }
  log_notes(m.notes, m.skipped);
  if (m.kind == PrivateKind::kError) {
    spdlog::error("upbit account {}: private stream error {}: {}", account_.value, m.error_name, m.error_message);
    if (shared_.cfg.on_alert) {
      shared_.cfg.on_alert("upbit account " + std::to_string(account_.value) + ": private stream error " + m.error_name);
    }
    return;
  }
  for (const auto& e : m.events) emit(e);
}

void UpbitAccount::catch_up(std::int64_t since_ms) {
  if (!running_) return;
  const TimeNs since = since_ms * kNsPerMs;
  venue::Pacer pace(std::chrono::milliseconds(40));  // 25 a second, under the default group's 30
  auto closed = closed_since(nullptr, since, "catch-up orders", pace);
  if (!closed) {
    spdlog::warn("upbit account {} catch-up: {}", account_.value, closed.error().message);
    return;
  }
  const std::uint64_t serial = ++query_serial_;
  for (const auto& o : *closed) {
    if (o.cum_qty.is_positive()) {
      if (auto a = order_with_trades(o.venue_order_id.view(), "catch-up trades")) {
        log_notes(a->notes, {});
        for (const auto& f : a->fills) emit(f);
      }
    }
    emit(o, o.venue_order_id.view(), serial, wall_now_ns());
  }
  if (auto open = open_orders(InstrumentId{}); open) {
    const std::uint64_t open_serial = ++query_serial_;
    for (const auto& o : *open) emit(o, o.venue_order_id.view(), open_serial, wall_now_ns());
  }
}

// ---- public market data -------------------------------------------------------------------

MarketDataFeed::MarketDataFeed(UpbitVenue::Shared& shared, std::vector<InstrumentId> instruments,
                               MarketDataStreams streams, MarketDataSink sink)
    : shared_(shared), instruments_(std::move(instruments)), streams_(streams), sink_(std::move(sink)) {
  find_ = [this](std::string_view code) -> std::optional<InstrumentId> {
    const Instrument* in = shared_.instrument(code);
    if (in == nullptr) return std::nullopt;
    return in->id;
  };
}

MarketDataFeed::~MarketDataFeed() { stop(); }

void MarketDataFeed::start() {
  net::WssHandlers h;
  h.on_open = [this](bool) { on_open(); };
  h.on_message = [this](std::string_view msg) { on_message(msg); };
  h.on_disconnected = [](const net::WssDisconnect& d) {
    spdlog::warn("upbit market data: {} (retry in {} ms)", d.reason, d.retry_in.count());
  };
  std::lock_guard lk(ws_mutex_);
  ws_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, "/websocket/v1"), std::move(h));
  ws_->start();
}

void MarketDataFeed::stop() {
  std::lock_guard lk(ws_mutex_);  // on_open uses ws_ unlocked: it goes after stop() returned
  if (ws_) ws_->stop();
  ws_.reset();
}

void MarketDataFeed::heartbeat() {
  std::lock_guard lk(ws_mutex_);
  if (ws_ && ws_->is_open()) (void)ws_->send("PING");
}

void MarketDataFeed::on_open() {
  std::string codes;
  for (const InstrumentId id : instruments_) {
    const Instrument* in = shared_.instrument(id);
    if (in == nullptr) continue;
    codes.append(codes.empty() ? "\"" : ",\"").append(in->venue_symbol).append("\"");
  }
  std::vector<std::string> types;
  // Upbit's orderbook is the whole top of the book each time: depth and best bid/offer alike.
  if (streams_.depth || streams_.book_ticker) types.push_back(R"({"type":"orderbook","codes":[)" + codes + "]}");
  if (streams_.trades) types.push_back(R"({"type":"trade","codes":[)" + codes + "]}");
  auto ticket = new_nonce();
  (void)ws_->send(subscription(ticket ? *ticket : "oms-md", types));
}

void MarketDataFeed::on_message(std::string_view raw) {
  const TimeNs received = wall_now_ns();
  auto r = parse_market_data(parser_, raw, find_, msg_);
  if (!r) {
    spdlog::warn("upbit market data: {}", r.error().message);
    return;
  }
  switch (*r) {
    case MarketMessageKind::kOrderbook: {
      const Orderbook& b = msg_.orderbook;
      std::uint64_t& last = last_id_[b.instrument.value];
      last = next_update_id(last, b.timestamp);
      const TimeNs t = static_cast<TimeNs>(b.timestamp) * kNsPerMs;
      if (streams_.depth) {
        to_book_snapshots(b, last, snapshots_);
        for (const auto& s : snapshots_) sink_(t, s, received);
      }
      if (streams_.book_ticker) {
        if (const auto top = to_best_bid_offer(b, last)) sink_(t, *top, received);
      }
      return;
    }
    case MarketMessageKind::kTrade:
      sink_(static_cast<TimeNs>(msg_.trade.trade_timestamp) * kNsPerMs, to_trade_printed(msg_.trade), received);
      return;
    case MarketMessageKind::kError:
      spdlog::error("upbit market data: error {}: {}", msg_.error.name.view(), msg_.error.message);
      return;
    default:
      return;
  }
}

}  // namespace oms::upbit
