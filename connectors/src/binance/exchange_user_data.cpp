// The user-data stream of one account: listenKey create / keepalive / renewal, the WSS
// connection, and its events as reports (parsed on the stream's I/O thread).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "exchange_internal.hpp"

namespace oms::binance {

namespace {
// {"listenKey":"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"}
std::optional<std::string> listen_key_of(std::string_view body) {
  const auto k = body.find("\"listenKey\"");
  if (k == std::string_view::npos) return std::nullopt;
  const auto colon = body.find(':', k + 11);
  if (colon == std::string_view::npos) return std::nullopt;
  const auto open = body.find('"', colon);
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = body.find('"', open + 1);
  if (close == std::string_view::npos || close == open + 1) return std::nullopt;
  std::string key(body.substr(open + 1, close - open - 1));
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return std::nullopt;  // it goes into a URL path
  return key;
}
}  // namespace

ExchangeResult<std::string> BinanceAccount::create_listen_key() {
  auto req = listen_key_req(HttpMethod::kPost, {});
  if (!req) return Unexpected{exchange_error(ExchangeErrorCode::kBadRequest, req.error().message)};
  auto r = send(*req, "create listenKey");
  if (!r) return Unexpected{std::move(r).error()};
  auto key = listen_key_of(r->body);
  if (!key)
    return Unexpected{exchange_error(ExchangeErrorCode::kBadResponse,
                                     "create listenKey: listenKey: missing or not alphanumeric")};
  return std::move(*key);
}

ExchangeResult<Unit> BinanceAccount::open_user_stream() {
  const std::int64_t started_ms = wall_now_ns() / 1'000'000 + shared_.offset_ms.load();
  auto key = create_listen_key();
  if (!key) return Unexpected{std::move(key).error()};
  net::WssConfig wc;
  wc.host = shared_.cfg.stream.host;
  wc.port = shared_.cfg.stream.port;
  wc.target = shared_.cfg.stream_path_prefix + "/ws/" + *key;
  wc.tls = shared_.cfg.tls;
  wc.ping_interval = shared_.cfg.ws_ping_interval;
  wc.backoff_seed ^= (static_cast<std::uint64_t>(account_.value) << 32);
  net::WssHandlers h;
  h.on_message = [this](std::string_view msg) { on_user_data(msg); };
  h.on_open = [this](bool reconnect) {
    // Events sent while we were away are not replayed by the venue: ask for them (fills of
    // resting orders have no ack timeout that would query them).
    // (A reconnect of this stream, or the first open of a stream that replaced an expired key.)
    stream_open_.store(true, std::memory_order_relaxed);
    if (reconnect) spdlog::info("binance account {}: user-data stream reconnected", account_.value);
    if (const std::int64_t down = stream_down_ms_.exchange(0); down != 0) {
      enqueue([this, down] { catch_up(down); });
    }
  };
  h.on_disconnected = [this](const net::WssDisconnect& d) {
    stream_open_.store(false, std::memory_order_relaxed);
    mark_stream_down();
    spdlog::warn("binance account {}: user-data stream down: {} (retry in {} ms)", account_.value,
                 d.reason, d.retry_in.count());
  };
  auto stream =
      std::make_unique<net::WssClient>(std::move(wc), std::move(h), shared_.streams.get());
  std::unique_ptr<net::WssClient> old;
  {
    std::lock_guard lk(stream_mutex_);
    listen_key_ = std::move(*key);
    old = std::move(stream_);
    stream_ = std::move(stream);
    stream_->start();
    next_keepalive_ = std::chrono::steady_clock::now() + shared_.cfg.listen_key_keepalive;
  }
  std::int64_t renewed_since = 0;
  if (old) {
    // A renewal: what the venue pushed to the old stream after it went down or while it was
    // being replaced is lost; asked for below, once the new stream is up.
    old->stop();
    const std::int64_t down = stream_down_ms_.exchange(0);
    renewed_since = down != 0 ? std::min(down, started_ms) : started_ms;
  }
  // Wait (bounded) until the stream is up: events of orders sent before it would be lost.
  const auto deadline = std::chrono::steady_clock::now() + shared_.cfg.request_timeout;
  for (;;) {
    {
      std::lock_guard lk(stream_mutex_);
      if (!stream_ || stream_->is_open()) break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::warn("binance account {}: user-data stream not open yet; it keeps retrying",
                   account_.value);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (renewed_since != 0) enqueue([this, renewed_since] { catch_up(renewed_since); });
  return Unit{};
}

void BinanceAccount::mark_stream_down() {
  const std::int64_t now_ms = wall_now_ns() / 1'000'000 + shared_.offset_ms.load();
  std::int64_t none = 0;
  (void)stream_down_ms_.compare_exchange_strong(none, now_ms);
}

void BinanceAccount::catch_up(std::int64_t since_ms) {
  HistoryQuery q;
  q.start_time_ms = since_ms - 5'000;  // clock skew between our offset and the venue
  for (const auto& [id_value, in] : shared_.by_id) {
    const InstrumentId instrument = in.id;
    auto orders_req = all_orders_req(in, q);
    auto trades_req_ = trades_req(in, q);
    if (!orders_req || !trades_req_) continue;
    (void)learn_history(in, q);
    auto ro = send(*orders_req, "catch-up all orders");
    auto rt = send(*trades_req_, "catch-up trades");
    if (!ro || !rt) {
      spdlog::warn("binance account {}: user-data catch-up failed: {}", account_.value,
                   !ro ? ro.error().message : rt.error().message);
      continue;
    }
    JsonParser parser;
    std::vector<OrderInfo> orders;
    std::vector<AccountTrade> trades;
    if (!parse_orders(parser, ro->body, orders) ||
        !parse_account_trades(parser, rt->body, trades)) {
      spdlog::warn("binance account {}: user-data catch-up: bad response", account_.value);
      continue;
    }
    // Open orders placed before the window (another client's, found at start) join the list.
    if (auto open_req = open_orders_req(&in)) {
      auto r_open = send(*open_req, "catch-up open orders");
      std::vector<OrderInfo> open;
      if (!r_open || !parse_orders(parser, r_open->body, open)) {
        spdlog::warn("binance account {}: user-data catch-up: open orders: {}", account_.value,
                     !r_open ? r_open.error().message : std::string("bad response"));
      }
      for (auto& o : open) {
        const bool listed = std::any_of(orders.begin(), orders.end(),
                                        [&](const OrderInfo& x) { return x.order_id == o.order_id; });
        if (!listed) orders.push_back(std::move(o));
      }
    }
    // Per order: its description (the desk records it only for another client's order), its
    // fills, then its status.
    std::vector<EventPayload> ev;
    for (const auto& o : orders) {
      if (o.status != OrderStatus::kRejected) ev.emplace_back(external_of(o, account_, instrument));
      for (const auto& t : trades) {
        if (t.order_id != o.order_id) continue;
        FillReceived f = fill_of(t, account_, instrument);
        f.client_order_id = o.client_order_id;
        ev.emplace_back(f);
      }
      emit(ev, o.order_id, 0, ms_to_ns(o.time));
      OrderStatusReconciled st = reconciled(o, account_, instrument, futures());
      if (const auto alias = history_alias(o)) (void)st.venue_order_id.assign(order_id_text(*alias));
      ev.emplace_back(st);
      emit(ev, o.order_id, ++query_serial_, ms_to_ns(o.time));
    }
  }
  // The venue's balances (and USD-M positions) after the fills above: figures fetched before
  // them (at start) already held those fills, and the venue's word must come last -- unless the
  // stream passed on newer figures while these were asked for (a fill's ACCOUNT_UPDATE): then
  // they are asked again, and after three tries the stream's stand.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint64_t seen = account_figures();
    const TimeNs now = wall_now_ns();
    std::vector<EventPayload> ev;
    if (auto b = balances()) {
      for (const auto& x : *b) ev.emplace_back(x);
    } else {
      spdlog::warn("binance account {}: user-data catch-up: balances: {}", account_.value, b.error().message);
    }
    if (futures()) {
      if (auto p = positions()) {
        for (const auto& x : *p) ev.emplace_back(x);
      } else {
        spdlog::warn("binance account {}: user-data catch-up: positions: {}", account_.value, p.error().message);
      }
    }
    if (emit_figures_if_current(ev, seen, ++query_serial_, now)) return;
  }
  spdlog::info("binance account {}: user-data catch-up: the stream's balances and positions kept (newer than "
               "three queries')", account_.value);
}

void BinanceAccount::maintain_user_stream(std::chrono::steady_clock::time_point now) {
  std::string key;
  bool due = false;
  {
    std::lock_guard lk(stream_mutex_);
    if (!stream_) return;
    key = listen_key_;
    due = now >= next_keepalive_;
  }
  bool renew = renew_listen_key_.exchange(false);
  if (due && !renew) {
    auto req = listen_key_req(HttpMethod::kPut, key);
    if (!req) return;
    auto r = send(*req, "keepalive listenKey");
    if (r) {
      std::lock_guard lk(stream_mutex_);
      next_keepalive_ = now + shared_.cfg.listen_key_keepalive;
    } else if (r.error().venue_code == -1125) {  // "This listenKey does not exist."
      renew = true;
    } else {
      spdlog::warn("binance account {}: {}", account_.value, r.error().message);
    }
  }
  if (renew) {
    if (auto r = open_user_stream(); !r) {
      spdlog::error("binance account {}: user-data stream lost: {}", account_.value,
                    r.error().message);
      if (shared_.cfg.on_alert) shared_.cfg.on_alert("binance: user-data stream lost");
      renew_listen_key_ = true;  // try again on the next tick
    }
  }
}

void BinanceAccount::on_user_data(std::string_view msg) {
  auto kind = parse_user_data(stream_parser_, msg, stream_msg_);
  if (!kind) {
    spdlog::warn("binance account {}: user data: {}", account_.value, kind.error().message);
    return;
  }
  const UserDataMessage& m = stream_msg_;
  switch (*kind) {
    case UserDataKind::kExecutionReport:
    case UserDataKind::kOrderTradeUpdate: {
      const OrderUpdate& u = m.order;
      auto in = lookup_instrument(shared_.lookup, m.event.view(), u.symbol.view());
      if (!in) {
        spdlog::warn("binance account {}: {}", account_.value, in.error().message);
        return;
      }
      if (translate_update(u, *in, stream_events_)) {
        // mapped by the market
      } else if (auto r = to_events(u, account_, *in, stream_events_); !r) {
        spdlog::warn("binance account {}: {}", account_.value, r.error().message);
        stream_events_.clear();
        return;
      } else if (!stream_events_.empty() && u.execution_type != ExecutionType::kRejected) {
        // The order's description first: the desk records it when the order is another
        // client's (an external order), before the update it describes.
        ClientOrderIdText cid;
        std::visit(
            [&](const auto& e) {
              if constexpr (requires { e.client_order_id; }) cid = e.client_order_id;
            },
            stream_events_.front());
        stream_events_.insert(stream_events_.begin(), external_of(u, account_, *in, cid));
      }
      const std::uint64_t t = u.transaction_time != 0 ? u.transaction_time : u.event_time;
      emit(stream_events_, u.order_id, 0, ms_to_ns(t));
      return;
    }
    case UserDataKind::kAccountPosition: {
      const auto& p = m.account_position;
      to_balance_events(p, account_, market(), stream_events_);
      const std::uint64_t t = p.last_update_time != 0 ? p.last_update_time : p.event_time;
      emit(stream_events_, 0, t, ms_to_ns(p.event_time));
      return;
    }
    case UserDataKind::kAccountUpdate: {
      const auto& u = m.account_update;
      if (auto r = to_account_events(u, account_, market(), shared_.lookup, stream_events_); !r) {
        spdlog::warn("binance account {}: {}", account_.value, r.error().message);
        stream_events_.clear();
        return;
      }
      const std::uint64_t t = u.transaction_time != 0 ? u.transaction_time : u.event_time;
      emit(stream_events_, 0, t, ms_to_ns(u.event_time));
      return;
    }
    case UserDataKind::kListenKeyExpired:
      mark_stream_down();
      renew_listen_key_ = true;
      shared_.notify();
      return;
    case UserDataKind::kOther:
      on_other_event(m.event.view(), msg);  // USD-M ALGO_UPDATE
      return;
    default:
      // balanceUpdate (a delta; outboundAccountPosition carries the totals), TRADE_LITE (a fill
      // without its fee; ORDER_TRADE_UPDATE follows with it), listStatus, MARGIN_CALL.
      return;
  }
}

}  // namespace oms::binance
