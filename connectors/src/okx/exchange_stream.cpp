// OKX v5 WebSockets: an account's private stream (login, subscriptions, events, catch-up after
// a reconnect), its business stream (orders-algo) and the public market-data feed (books
// checked by their checksum).
#include <spdlog/spdlog.h>

#include "exchange_internal.hpp"

namespace oms::okx {

namespace {

net::WssConfig wss_config(const OkxConfig& cfg, std::string target) {
  net::WssConfig wc;
  wc.host = cfg.stream.host;
  wc.port = cfg.stream.port;
  wc.target = std::move(target);
  wc.tls = cfg.tls;
  wc.ping_interval = cfg.ws_ping_interval;  // protocol pings; OKX's own "ping" text too
  return wc;
}

// {"op":"subscribe","args":[...]} of the given arg objects (JSON texts).
std::string subscribe_op(std::string_view op, const std::vector<std::string>& args) {
  std::string out = "{\"op\":\"";
  out.append(op).append("\",\"args\":[");
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ',';
    out += args[i];
  }
  return out + "]}";
}

std::string channel_arg(std::string_view channel, std::string_view key, std::string_view value) {
  std::string out = "{\"channel\":\"";
  out.append(channel).append("\"");
  if (!key.empty()) out.append(",\"").append(key).append("\":\"").append(value).append("\"");
  return out + "}";
}

constexpr std::size_t kArgsPerRequest = 20;  // keep each subscribe request small

void send_in_parts(net::WssClient& ws, std::string_view op, const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); i += kArgsPerRequest) {
    const std::vector<std::string> part(args.begin() + static_cast<std::ptrdiff_t>(i),
                                        args.begin() + static_cast<std::ptrdiff_t>(std::min(args.size(), i + kArgsPerRequest)));
    (void)ws.send(subscribe_op(op, part));
  }
}

}  // namespace

// ---- private stream -----------------------------------------------------------------------

std::string OkxAccount::login_op(std::string_view stream) {
  std::lock_guard lk(auth_.mutex);
  if (!auth_.signer) return {};
  Credentials creds;
  creds.api_key = auth_.api_key.view();
  creds.passphrase = auth_.passphrase.view();
  creds.signer = &*auth_.signer;
  auto l = ws_login(creds, shared_.timestamp_ms() / 1'000);
  if (!l) {
    spdlog::error("okx account {}: {} stream login: {}", account_.value, stream, l.error().message);
    return {};
  }
  return std::move(*l);
}

void OkxAccount::open_stream() {
  net::WssHandlers h;
  h.on_open = [this](bool reconnect) {
    (void)reconnect;
    if (std::string login = login_op("private"); !login.empty()) (void)stream_->send(std::move(login));
  };
  h.on_message = [this](std::string_view msg) { on_stream(msg); };
  h.on_disconnected = [this](const net::WssDisconnect& d) {
    orders_subscribed_ = false;
    if (stream_logged_in_.exchange(false)) {
      std::int64_t expected = 0;
      (void)stream_down_ms_.compare_exchange_strong(expected, shared_.timestamp_ms());
      spdlog::warn("okx account {}: private stream lost: {} (retry in {} ms)", account_.value, d.reason,
                   d.retry_in.count());
    }
  };
  std::lock_guard lk(stream_mutex_);
  stream_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, "/ws/v5/private"), std::move(h), shared_.streams.get());
  stream_->start();
}

void OkxAccount::open_business() {
  net::WssHandlers h;
  h.on_open = [this](bool) {
    if (std::string login = login_op("business"); !login.empty()) (void)business_->send(std::move(login));
  };
  h.on_message = [this](std::string_view msg) { on_business(msg); };
  h.on_disconnected = [this](const net::WssDisconnect& d) {
    algos_subscribed_ = false;
    if (business_logged_in_.exchange(false)) {
      business_dropped_ = true;
      spdlog::warn("okx account {}: business stream lost: {} (retry in {} ms)", account_.value, d.reason,
                   d.retry_in.count());
    }
  };
  std::lock_guard lk(stream_mutex_);
  business_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, "/ws/v5/business"), std::move(h), shared_.streams.get());
  business_->start();
}

void OkxAccount::on_business(std::string_view msg) {
  PrivateMessage m;
  auto r = parse_private(msg, context(), m);
  if (!r) {
    spdlog::warn("okx account {}: business stream: {}", account_.value, r.error().message);
    return;
  }
  log_notes(m.notes, m.skipped);
  switch (m.kind) {
    case PrivateKind::kLogin:
      if (m.code != "0") {
        spdlog::error("okx account {}: business stream login refused: {} {}", account_.value, m.code, m.msg);
        if (shared_.cfg.on_alert) {
          shared_.cfg.on_alert("okx account " + std::to_string(account_.value) + ": business stream login refused: " +
                               m.code + " " + m.msg);
        }
        return;
      }
      send_in_parts(*business_, "subscribe", {channel_arg("orders-algo", "instType", to_string(shared_.inst_type()))});
      business_logged_in_ = true;
      // What orders-algo pushed while we were away is not replayed: read each algo order again.
      if (business_dropped_.exchange(false)) enqueue([this] { catch_up_algos(); });
      return;
    case PrivateKind::kError:
      spdlog::error("okx account {}: business stream error {}: {}", account_.value, m.code, m.msg);
      if (!business_logged_in_.load() && shared_.cfg.on_alert) {
        shared_.cfg.on_alert("okx account " + std::to_string(account_.value) + ": business stream login refused: " +
                             m.code + " " + m.msg);
      }
      return;
    case PrivateKind::kSubscribe:
      if (m.channel == "orders-algo") algos_subscribed_ = true;
      return;
    case PrivateKind::kOrdersAlgo:
      for (const auto& a : m.algos) on_algo(a);
      return;
    default:
      return;  // pong, channels we do not read
  }
}

void OkxAccount::heartbeat() {
  std::lock_guard lk(stream_mutex_);
  if (stream_ && stream_->is_open()) (void)stream_->send("ping");
  if (business_ && business_->is_open()) (void)business_->send("ping");
}

void OkxAccount::on_stream(std::string_view msg) {
  PrivateMessage m;
  auto r = parse_private(msg, context(), m);
  if (!r) {
    spdlog::warn("okx account {}: private stream: {}", account_.value, r.error().message);
    return;
  }
  log_notes(m.notes, m.skipped);
  switch (m.kind) {
    case PrivateKind::kLogin: {
      if (m.code != "0") {
        spdlog::error("okx account {}: private stream login refused: {} {}", account_.value, m.code, m.msg);
        if (shared_.cfg.on_alert) {
          shared_.cfg.on_alert("okx account " + std::to_string(account_.value) + ": private stream login refused: " + m.code +
                               " " + m.msg);
        }
        return;
      }
      const std::string_view type = to_string(shared_.inst_type());
      std::vector<std::string> args{channel_arg("orders", "instType", type)};
      if (report_wallet_) args.push_back(channel_arg("account", {}, {}));
      if (shared_.cfg.market != Market::kSpot) args.push_back(channel_arg("positions", "instType", type));
      send_in_parts(*stream_, "subscribe", args);
      stream_logged_in_ = true;
      if (const std::int64_t down = stream_down_ms_.exchange(0); down != 0) {
        // What the venue pushed while we were away is not replayed: read it (a margin for clock
        // skew; the stores keep each fact once).
        constexpr std::int64_t kMarginMs = 5'000;
        enqueue([this, since = down - kMarginMs] { catch_up(since); });
      }
      return;
    }
    case PrivateKind::kError:
      // Before the login succeeded, an error is the login's refusal (60009 login failed, 60024
      // wrong passphrase, 60005 invalid key ...): an operator's problem, alerted.
      spdlog::error("okx account {}: private stream error {}: {}", account_.value, m.code, m.msg);
      if (!stream_logged_in_.load() && shared_.cfg.on_alert) {
        shared_.cfg.on_alert("okx account " + std::to_string(account_.value) + ": private stream login refused: " + m.code +
                             " " + m.msg);
      }
      return;
    case PrivateKind::kSubscribe:
      if (m.channel == "orders") orders_subscribed_ = true;
      return;
    case PrivateKind::kPong:
    case PrivateKind::kOther:
      return;
    default:
      break;
  }
  if (m.kind == PrivateKind::kAccount && !report_wallet_) return;  // the other connection reports it
  for (const auto& e : m.events) {
    if (const auto* acc = std::get_if<OrderAccepted>(&e.payload)) {
      // The order an algo order placed at its trigger: ours already (the algo's OrderAccepted);
      // its ordId is where a cancel goes now.
      if (algo_of(acc->client_order_id.view())) {
        remember_algo(acc->client_order_id.view(), {}, e.venue_order_id, false);
        continue;
      }
    }
    emit(e);
  }
  for (const auto& f : m.amend_failed) {
    spdlog::warn("okx account {}: amendment of {} failed at the venue; asking its state", account_.value,
                 f.client_order_id.view());
    query(f.instrument, f.client_order_id);
  }
}

void OkxAccount::catch_up(std::int64_t since_ms) {
  if (!running_) return;
  // One request family for every instrument of the market (paged): fills, then the orders'
  // history, then what is open now.
  // The orders are read first: an order an algo order placed names its client id there
  // (algoClOrdId), its fills do not.
  const TimeNs since = since_ms * 1'000'000;
  auto orders = orders_since(nullptr, since, "catch-up orders");
  if (orders) {
    for (const auto& o : *orders) remember_algo(o.client_order_id.view(), {}, o.venue_order_id.view(), false);
  }
  if (auto events = fills_since(nullptr, since, "catch-up fills")) {
    for (const auto& e : *events) emit(e);
  } else {
    spdlog::warn("okx account {} catch-up: {}", account_.value, events.error().message);
  }
  if (orders) {
    const std::uint64_t serial = ++query_serial_;
    for (const auto& o : *orders) emit(o, o.venue_order_id.view(), serial, wall_now_ns());
  } else {
    spdlog::warn("okx account {} catch-up: {}", account_.value, orders.error().message);
  }
  if (auto open = open_orders(InstrumentId{}); open) {
    const std::uint64_t serial = ++query_serial_;
    for (const auto& o : *open) emit(o, o.venue_order_id.view(), serial, wall_now_ns());
  }
}

// ---- public market data -------------------------------------------------------------------

MarketDataFeed::MarketDataFeed(OkxVenue::Shared& shared, std::vector<InstrumentId> instruments,
                               MarketDataStreams streams, MarketDataSink sink)
    : shared_(shared), instruments_(std::move(instruments)), streams_(streams), sink_(std::move(sink)) {
  find_ = [this](std::string_view inst_id) -> std::optional<InstrumentRef> {
    const OkxInstrument* in = shared_.instrument(inst_id);
    if (in == nullptr) return std::nullopt;
    return InstrumentRef{in->instrument.id, in->contract_value};
  };
}

MarketDataFeed::~MarketDataFeed() { stop(); }

void MarketDataFeed::start() {
  net::WssHandlers h;
  h.on_open = [this](bool) { on_open(); };
  h.on_message = [this](std::string_view msg) { on_message(msg); };
  h.on_disconnected = [](const net::WssDisconnect& d) {
    spdlog::warn("okx market data: {} (retry in {} ms)", d.reason, d.retry_in.count());
  };
  std::lock_guard lk(ws_mutex_);
  ws_ = std::make_unique<net::WssClient>(wss_config(shared_.cfg, "/ws/v5/public"), std::move(h));
  ws_->start();
}

void MarketDataFeed::stop() {
  std::lock_guard lk(ws_mutex_);  // on_open uses ws_ unlocked: it goes after stop() returned
  if (ws_) ws_->stop();
  ws_.reset();
}

void MarketDataFeed::heartbeat() {
  std::lock_guard lk(ws_mutex_);
  if (ws_ && ws_->is_open()) (void)ws_->send("ping");
}

void MarketDataFeed::on_open() {
  checkers_.clear();  // a new connection: every book starts again from its snapshot
  std::vector<std::string> args;
  for (const InstrumentId id : instruments_) {
    const OkxInstrument* in = shared_.instrument(id);
    if (in == nullptr) continue;
    const std::string& inst = in->instrument.venue_symbol;
    if (streams_.depth) args.push_back(channel_arg("books", "instId", inst));
    if (streams_.book_ticker) args.push_back(channel_arg("bbo-tbt", "instId", inst));
    if (streams_.trades) args.push_back(channel_arg("trades", "instId", inst));
  }
  send_in_parts(*ws_, "subscribe", args);
}

void MarketDataFeed::resubscribe(const OkxInstrument& in, std::string_view why) {
  // OKX sends a fresh snapshot for a book subscribed again.
  shared_.book_resyncs.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("okx market data: {} book {}, subscribing again", in.instrument.venue_symbol, why);
  checkers_.erase(in.instrument.id.value);
  const std::vector<std::string> arg{channel_arg("books", "instId", in.instrument.venue_symbol)};
  (void)ws_->send(subscribe_op("unsubscribe", arg));
  (void)ws_->send(subscribe_op("subscribe", arg));
}

void MarketDataFeed::on_message(std::string_view raw) {
  const TimeNs received = wall_now_ns();
  auto r = parse_market_data(parser_, raw, find_, msg_);
  if (!r) {
    spdlog::warn("okx market data: {}", r.error().message);
    return;
  }
  switch (*r) {
    case MarketMessageKind::kBook: {
      const OrderBookUpdate& b = msg_.book;
      const OkxInstrument* in = shared_.instrument(b.instrument.id);
      if (in == nullptr) return;
      const TimeNs t = static_cast<TimeNs>(b.ts) * 1'000'000;
      BookChecker& checker = checkers_[in->instrument.id.value];
      if (!b.snapshot && !checker.live()) return;  // waiting for the snapshot a resubscription brings
      const BookCheckResult check = checker.apply(b);
      if (!check.ok()) {
        resubscribe(*in, to_string(check.status));
        return;
      }
      if (b.snapshot) {
        to_book_snapshots(b, check.sequence.seq_id, snapshots_);
        for (const auto& s : snapshots_) sink_(t, s, received);
      } else {
        to_book_deltas(b, check.sequence, deltas_);
        for (const auto& d : deltas_) sink_(t, d, received);
      }
      return;
    }
    case MarketMessageKind::kBbo: {
      if (const auto top = to_best_bid_offer(msg_.book)) sink_(static_cast<TimeNs>(msg_.book.ts) * 1'000'000, *top, received);
      return;
    }
    case MarketMessageKind::kTrades:
      for (const auto& tr : msg_.trades) sink_(static_cast<TimeNs>(tr.ts) * 1'000'000, to_trade_printed(tr), received);
      return;
    case MarketMessageKind::kEvent:
      if (msg_.event.is_error()) {
        spdlog::error("okx market data: {} refused: {} {}", msg_.event.event.view(),
                      msg_.event.code.value_or(0), msg_.event.msg);
      }
      return;
    default:
      return;
  }
}

}  // namespace oms::okx
