#include "daemon.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "oms/actors/state_board.hpp"
#include "oms/connectors/binance/exchange_info.hpp"
#include "oms/connectors/bybit/instruments.hpp"
#include "oms/connectors/bybit/requests.hpp"
#include "oms/connectors/okx/instruments.hpp"
#include "oms/connectors/okx/requests.hpp"
#include "oms/connectors/okx/rest_request.hpp"
#include "oms/connectors/upbit/instruments.hpp"
#include "oms/connectors/upbit/requests.hpp"
#include "oms/connectors/upbit/rest_request.hpp"
#include "oms/connectors/net/https_client.hpp"
#include "oms/connectors/secrets/key_file_store.hpp"
#include "oms/connectors/secrets/vault_store.hpp"
#include "oms/persistence/file_journal.hpp"
#include "oms/persistence/jetstream_store.hpp"
#include "oms/persistence/nats_auth.hpp"
#include "oms/persistence/stream_layout.hpp"
#include "logging.hpp"

namespace oms::omsd {
namespace {

using namespace std::chrono_literals;

// "https://fapi.binance.com" / "wss://stream.binance.com:9443" -> host and port.
net::Origin origin_of(const std::string& url, std::uint16_t default_port, const std::string& what) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error(what + ": '" + url + "' has no scheme");
  std::string rest = url.substr(scheme + 3);
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) return {rest, default_port};
  return {rest.substr(0, colon),
          static_cast<std::uint16_t>(std::stoul(rest.substr(colon + 1)))};
}

std::string instrument_name(const Instrument& i) {
  return std::string(to_string(i.exchange)) + ":" + std::string(to_string(i.market)) + ":" +
         i.symbol.to_string();
}

// The secret name's account part allows [a-z0-9-]: configured names use '_' as well.
std::string secret_account(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

}  // namespace

std::optional<std::string> pin_this_thread(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int c : cpus) CPU_SET(static_cast<std::size_t>(c), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    return std::string("sched_setaffinity failed (CPUs present?)");
  }
  return std::nullopt;
}

namespace {

// Runs `start` with the calling thread on `cpus` (the threads it starts inherit them), then
// puts the calling thread back where it was.
template <class Start>
void start_on(const std::vector<int>& cpus, const std::string& plan, Start&& start) {
  if (cpus.empty()) {
    start();
    return;
  }
  cpu_set_t before;
  CPU_ZERO(&before);
  (void)sched_getaffinity(0, sizeof before, &before);
  if (auto e = pin_this_thread(cpus)) throw std::runtime_error("--cpu-plan " + plan + ": " + *e);
  start();
  (void)sched_setaffinity(0, sizeof before, &before);
}

}  // namespace

Daemon::Daemon(Options options) : options_(std::move(options)) {}

Daemon::~Daemon() { stop(); }

binance::BinanceVenue* Daemon::venue(Market m) const noexcept {
  return m == Market::kSpot ? spot_.get() : m == Market::kUsdm ? usdm_.get() : nullptr;
}

Daemon::VenueBan Daemon::venue_ban(ExchangeId exchange, Market m) const noexcept {
  switch (exchange) {
    case ExchangeId::kBinance:
      if (const auto* v = venue(m)) return {v->banned_until_ns(), 418};
      break;
    case ExchangeId::kBybit:
      if (const auto* v = bybit_venue(m)) return {v->banned_until_ns(), 403};
      break;
    case ExchangeId::kUpbit:
      if (m == Market::kSpot && upbit_ != nullptr) return {upbit_->banned_until_ns(), 418};
      break;
    default: break;  // OKX answers 429 (a rate limit, held by the account's budget), no IP ban
  }
  return {};
}

bybit::BybitVenue* Daemon::bybit_venue(Market m) const noexcept {
  return m == Market::kSpot ? bybit_spot_.get() : m == Market::kUsdm ? bybit_linear_.get() : nullptr;
}

okx::OkxVenue* Daemon::okx_venue(Market m) const noexcept {
  return m == Market::kSpot ? okx_spot_.get() : m == Market::kUsdm ? okx_swap_.get() : nullptr;
}

bool Daemon::trades(ExchangeId e, Market m) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const PaperEntry& p) { return p.exchange == e && p.market == m; });
}

secrets::ApiCredentials Daemon::credentials(const PaperEntry& entry) {
  if (options_.mode == Mode::kPaper) {
    return load_paper_key(options_.data_dir / "paper-keys.json", entry);
  }
  if (vault_) return vault_->credentials(entry.account);  // one secret per account, every market
  // Bybit and OKX: one unified account's key for both markets ("bybit_unified_<account>",
  // "okx_unified_<account>", the OKX one with its passphrase).
  const bool unified = entry.exchange == ExchangeId::kBybit || entry.exchange == ExchangeId::kOkx;
  auto c = secrets_->get(to_string(entry.exchange), unified ? "unified" : to_string(entry.market),
                         secret_account(entry.account));
  if (!c) {
    throw std::runtime_error("account " + entry.account + " (" +
                             std::string(to_string(entry.market)) + "): " + c.error().message);
  }
  return std::move(c).value();
}

std::vector<Instrument> Daemon::load_instruments() {
  // exchangeInfo of every market an account trades: the instruments and their rules.
  std::vector<Instrument> all;
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    if (!trades(ExchangeId::kBinance, m)) continue;
    net::Origin rest;
    if (options_.mode == Mode::kPaper) {
      rest = {options_.venue_for(ExchangeId::kBinance).host, options_.venue_for(ExchangeId::kBinance).port};
    } else {
      const auto* ex = config_.exchanges.find(ExchangeId::kBinance);
      rest = origin_of(ex->markets[static_cast<std::size_t>(m)]->rest_url, 443,
                       "exchanges.yaml binance " + std::string(to_string(m)) + " rest_url");
    }
    net::HttpsClient client(rest, net::TlsClientConfig{options_.ca_file.string()});
    const std::string path = m == Market::kSpot ? "/api/v3/exchangeInfo" : "/fapi/v1/exchangeInfo";
    Result<net::HttpResponse, net::HttpError> r = Unexpected{net::HttpError{}};
    // The venue may still be starting (deploy/run starts it just before): a few tries.
    for (int attempt = 0; attempt < 20; ++attempt) {
      r = client.request(net::HttpRequest{"GET", path, {}, {}, 10s});
      if (r && r->status == 200) break;
      std::this_thread::sleep_for(250ms);
    }
    if (!r) {
      throw std::runtime_error("binance " + std::string(to_string(m)) + ": GET " + path + " on " +
                               rest.host + ":" + std::to_string(rest.port) + ": " +
                               r.error().message);
    }
    if (r->status != 200) {
      throw std::runtime_error("binance " + std::string(to_string(m)) + ": GET " + path +
                               ": HTTP " + std::to_string(r->status));
    }
    auto parsed = binance::parse_exchange_info(r->body, m);
    if (!parsed) {
      throw std::runtime_error("binance " + std::string(to_string(m)) + " exchangeInfo: " +
                               parsed.error().message);
    }
    for (auto& i : *parsed) all.push_back(std::move(i));
  }
  // Bybit's after Binance's: the instrument ids of a Binance-only day stay as they were.
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    if (!trades(ExchangeId::kBybit, m)) continue;
    for (auto& i : load_bybit_instruments(m)) all.push_back(std::move(i));
  }
  // OKX's after Bybit's, Upbit's after OKX's, for the same reason.
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    if (!trades(ExchangeId::kOkx, m)) continue;
    for (auto& i : load_okx_instruments(m)) all.push_back(std::move(i));
  }
  if (trades(ExchangeId::kUpbit, Market::kSpot)) {
    for (auto& i : load_upbit_instruments()) all.push_back(std::move(i));
  }
  return all;
}

std::vector<Instrument> Daemon::load_upbit_instruments() {
  // /v1/market/all (with the warnings), then the listed markets' tick sizes.
  net::Origin rest;
  if (options_.mode == Mode::kPaper) {
    rest = {options_.venue_for(ExchangeId::kUpbit).host, options_.venue_for(ExchangeId::kUpbit).port};
  } else {
    const auto* ex = config_.exchanges.find(ExchangeId::kUpbit);
    rest = origin_of(ex->markets[static_cast<std::size_t>(Market::kSpot)]->rest_url, 443, "exchanges.yaml upbit spot rest_url");
  }
  net::HttpsClient client(rest, net::TlsClientConfig{options_.ca_file.string()});
  const auto get = [&](const upbit::Req& req, const std::string& what) {
    if (!req) throw std::runtime_error(what + ": " + req.error().message);
    auto http = upbit::render(*req, upbit::Credentials{}, "");
    if (!http) throw std::runtime_error(what + ": " + http.error().message);
    http->timeout = 10s;
    Result<net::HttpResponse, net::HttpError> r = Unexpected{net::HttpError{}};
    for (int attempt = 0; attempt < 20; ++attempt) {  // the venue may still be starting
      r = client.request(*http);
      if (r && r->status == 200) break;
      std::this_thread::sleep_for(250ms);
    }
    if (!r) throw std::runtime_error(what + " on " + rest.host + ":" + std::to_string(rest.port) + ": " + r.error().message);
    if (r->status != 200) throw std::runtime_error(what + ": HTTP " + std::to_string(r->status));
    return std::move(r->body);
  };
  const std::string all = get(upbit::market_all(true), "upbit markets");
  auto listed = upbit::parse_markets(all);
  if (!listed) throw std::runtime_error("upbit markets: " + listed.error().message);
  // Tick sizes of the listed markets (the KRW and USDT ticks follow the price).
  std::vector<std::string_view> codes;
  for (const auto& i : listed->instruments) codes.push_back(i.instrument.venue_symbol);
  std::string ticks;
  if (!codes.empty()) ticks = get(upbit::orderbook_instruments(codes), "upbit tick sizes");
  auto parsed = upbit::parse_markets(all, ticks);
  if (!parsed) throw std::runtime_error("upbit markets: " + parsed.error().message);
  if (!parsed->skipped.empty()) {
    spdlog::info("upbit markets: {} not mapped (first: {}: {})", parsed->skipped.size(), parsed->skipped.front().market,
                 parsed->skipped.front().reason);
  }
  std::vector<Instrument> out;
  for (auto& i : parsed->instruments) out.push_back(std::move(i.instrument));
  return out;
}

std::vector<Instrument> Daemon::load_okx_instruments(Market m) {
  // public/instruments of the instType (one answer: OKX does not page it).
  net::Origin rest;
  if (options_.mode == Mode::kPaper) {
    rest = {options_.venue_for(ExchangeId::kBybit).host, options_.venue_for(ExchangeId::kBybit).port};
  } else {
    const auto* ex = config_.exchanges.find(ExchangeId::kOkx);
    rest = origin_of(ex->markets[static_cast<std::size_t>(m)]->rest_url, 443,
                     "exchanges.yaml okx " + std::string(to_string(m)) + " rest_url");
  }
  net::HttpsClient client(rest, net::TlsClientConfig{options_.ca_file.string()});
  const auto type = m == Market::kSpot ? okx::InstType::kSpot : okx::InstType::kSwap;
  const std::string what = "okx " + std::string(okx::to_string(type)) + " instruments";
  auto req = okx::instruments(type);
  if (!req) throw std::runtime_error(what + ": " + req.error().message);
  auto http = okx::render(*req, okx::Credentials{}, 0);
  if (!http) throw std::runtime_error(what + ": " + http.error().message);
  http->timeout = 10s;
  Result<net::HttpResponse, net::HttpError> r = Unexpected{net::HttpError{}};
  for (int attempt = 0; attempt < 20; ++attempt) {  // the venue may still be starting
    r = client.request(*http);
    if (r && r->status == 200) break;
    std::this_thread::sleep_for(250ms);
  }
  if (!r) throw std::runtime_error(what + " on " + rest.host + ":" + std::to_string(rest.port) + ": " + r.error().message);
  if (r->status != 200) throw std::runtime_error(what + ": HTTP " + std::to_string(r->status));
  auto parsed = okx::parse_instruments(r->body);
  if (!parsed) throw std::runtime_error(what + ": " + parsed.error().message);
  if (!parsed->skipped.empty()) {
    spdlog::info("{}: {} instruments not mapped (first: {}: {})", what, parsed->skipped.size(),
                 parsed->skipped.front().inst_id, parsed->skipped.front().reason);
  }
  std::vector<Instrument> out;
  for (auto& i : parsed->instruments) {
    if (i.instrument.market != m) continue;
    out.push_back(i.instrument);
    okx_instruments_.push_back(std::move(i));
  }
  return out;
}

std::vector<Instrument> Daemon::load_bybit_instruments(Market m) {
  // instruments-info of the category, page by page (linear pages by 1000; spot answers at once).
  net::Origin rest;
  if (options_.mode == Mode::kPaper) {
    rest = {options_.venue_for(ExchangeId::kOkx).host, options_.venue_for(ExchangeId::kOkx).port};
  } else {
    const auto* ex = config_.exchanges.find(ExchangeId::kBybit);
    rest = origin_of(ex->markets[static_cast<std::size_t>(m)]->rest_url, 443,
                     "exchanges.yaml bybit " + std::string(to_string(m)) + " rest_url");
  }
  net::HttpsClient client(rest, net::TlsClientConfig{options_.ca_file.string()});
  const auto category = m == Market::kSpot ? bybit::Category::kSpot : bybit::Category::kLinear;
  const std::string what = "bybit " + std::string(to_string(category)) + " instruments-info";
  std::vector<Instrument> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto req = bybit::instruments_info(category, nullptr, cursor);
    auto http = bybit::render(*req, bybit::Credentials{}, 0);
    if (!http) throw std::runtime_error(what + ": " + http.error().message);
    http->timeout = 10s;
    Result<net::HttpResponse, net::HttpError> r = Unexpected{net::HttpError{}};
    for (int attempt = 0; attempt < 20; ++attempt) {  // the venue may still be starting
      r = client.request(*http);
      if (r && r->status == 200) break;
      std::this_thread::sleep_for(250ms);
    }
    if (!r) throw std::runtime_error(what + " on " + rest.host + ":" + std::to_string(rest.port) + ": " + r.error().message);
    if (r->status != 200) throw std::runtime_error(what + ": HTTP " + std::to_string(r->status));
    auto parsed = bybit::parse_instruments_info(r->body, m);
    if (!parsed) throw std::runtime_error(what + ": " + parsed.error().message);
    if (!parsed->skipped.empty()) {
      spdlog::info("{}: {} instruments not mapped (first: {}: {})", what, parsed->skipped.size(),
                   parsed->skipped.front().venue_symbol, parsed->skipped.front().reason);
    }
    for (auto& i : parsed->instruments) out.push_back(std::move(i));
    if (parsed->next_page_cursor.empty() || parsed->next_page_cursor == cursor) break;
    cursor = parsed->next_page_cursor;
  }
  return out;
}

void Daemon::open_store() {
  std::vector<persistence::StreamLayout::AccountRef> refs;
  std::vector<ExchangeId> exchanges;
  for (const auto& a : accounts_) {
    refs.push_back({a.exchange, a.name});
    if (std::find(exchanges.begin(), exchanges.end(), a.exchange) == exchanges.end()) exchanges.push_back(a.exchange);
  }
  std::sort(exchanges.begin(), exchanges.end());
  const persistence::StreamLayout layout(refs, exchanges);
  if (options_.store == "file") {
    auto j = persistence::FileJournal::open(options_.data_dir / "journal", layout);
    if (!j) throw std::runtime_error("file journal: " + j.error().message);
    store_ = std::move(j).value();
  } else {
    persistence::JetStreamOptions o;
    o.servers = options_.nats_servers;
    o.replicas = options_.nats_replicas;
    o.ack_timeout = options_.store_ack_timeout;
    o.retry_deadline = options_.store_retry_window;
    o.duplicate_window = options_.store_duplicate_window;
    if (auto access = persistence::apply_nats_access(o, options_.nats_auth, options_.nats_ca); !access) {
      throw std::runtime_error("--nats-auth/--nats-ca: " + access.error());
    }
    auto j = persistence::JetStreamStore::open(layout, o);
    if (!j) throw std::runtime_error("JetStream at " + options_.nats_url + ": " + j.error().message);
    store_ = std::move(j).value();
  }
  persistence::IntentLogOptions intent_options;
  intent_options.capacity_bytes = options_.intent_log_kib << 10;
  auto intents = persistence::IntentLog::open(
      persistence::data_dir_intent_log_path(options_.data_dir), intent_options);
  if (!intents) throw std::runtime_error("intent log: " + intents.error().message);
  intents_ = std::move(intents).value();
  // What the last run committed and the store never acknowledged goes first.
  auto replayed = persistence::replay_pending(*intents_, *store_, 60s);
  if (!replayed) throw std::runtime_error("intent log replay: " + replayed.error().message);
  if (*replayed > 0) spdlog::warn("intent log: {} events the store had not acknowledged re-published", *replayed);
  snapshots_ = std::make_unique<persistence::SnapshotStore>(options_.data_dir);
  // The key every event is signed with and every account rebuild checks (record_integrity.hpp);
  // made at the first start, after the intent log's records went out: what the store holds now
  // was written unsigned and stays readable.
  std::vector<std::string> streams;
  for (const auto& spec : layout.streams()) {
    if (spec.name != persistence::StreamLayout::kInputs && spec.name != persistence::StreamLayout::kControl &&
        spec.name.rfind("MD_", 0) != 0) {
      streams.push_back(spec.name);
    }
  }
  const auto key_file = options_.data_dir / "store-mac.key";
  const bool existed = std::filesystem::exists(key_file);
  mac_ = persistence::RecordMac::open_or_create(key_file, *store_, streams);
  if (!existed) {
    spdlog::info("store: created {} (0600), the key of the stored events' MACs; the records stored "
                 "before it are read without one",
                 key_file.string());
  }
}

void Daemon::start_venues() {
  const auto* ex = config_.exchanges.find(ExchangeId::kBinance);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    binance::BinanceConfig c;
    c.market = m;
    for (const auto& e : entries_) {
      if (e.market != m || e.exchange != ExchangeId::kBinance) continue;
      const auto id = built_->directory.accounts.find(e.account);
      c.accounts.push_back({*id, credentials(e), e.account});
    }
    if (c.accounts.empty()) continue;
    c.max_queued_requests = options_.venue_queue;
    if (options_.mode == Mode::kPaper) {
      c.rest = {options_.venue_for(ExchangeId::kBinance).host, options_.venue_for(ExchangeId::kBinance).port};
      c.stream = c.rest;
      // venue-sim serves the USD-M streams (fstream.binance.com) under /fstream.
      if (m == Market::kUsdm) c.stream_path_prefix = "/fstream";
    } else {
      const auto& mc = *ex->markets[static_cast<std::size_t>(m)];
      c.rest = origin_of(mc.rest_url, 443, "exchanges.yaml binance rest_url");
      c.stream = origin_of(mc.ws_url, 443, "exchanges.yaml binance ws_url");
    }
    c.tls.ca_file = options_.ca_file.string();
    if (ex->recv_window) c.recv_window_ms = static_cast<std::uint32_t>(ex->recv_window->count());
    if (ex->ip_ban) c.rate_limit_config.default_ban_ms = ex->ip_ban->count() * 1000;
    // The budgets the connector keeps every request under: exchanges.yaml's (the venue's own
    // numbers replace the estimates from its response headers).
    c.rate_limits = binance::default_rate_limits(m);
    if (const auto& mc = ex->markets[static_cast<std::size_t>(m)]) {
      for (auto& rule : c.rate_limits) {
        const auto& rl = mc->rate_limits;
        if (rule.type == binance::RateLimitType::kRequestWeight && rule.header_suffix == "1M")
          rule.limit = static_cast<std::uint32_t>(rl.weight_per_minute);
        if (rule.type == binance::RateLimitType::kOrders && rule.header_suffix == "10S")
          rule.limit = static_cast<std::uint32_t>(rl.orders_per_10s);
        if (rule.type == binance::RateLimitType::kOrders && rule.header_suffix == "1D" && rl.orders_per_day)
          rule.limit = static_cast<std::uint32_t>(*rl.orders_per_day);
      }
    }
    c.pool_size = options_.venue_connections;
    for (const auto& i : built_->instruments) {
      if (i.exchange == ExchangeId::kBinance && i.market == m) c.instruments.push_back(i);
    }
    c.latency = send_latency_;
    c.on_alert = [m](std::string_view text) {
      spdlog::critical("binance {}: {}", to_string(m), text);
    };
    auto venue = std::make_unique<binance::BinanceVenue>(std::move(c));
    if (auto r = venue->start(); !r) {
      throw std::runtime_error("binance " + std::string(to_string(m)) + ": " + r.error().message);
    }
    spdlog::info("binance {}: connected, clock offset {} ms", to_string(m), venue->time_offset_ms());
    (m == Market::kSpot ? spot_ : usdm_) = std::move(venue);
  }
  start_bybit_venues();
  start_okx_venues();
  start_upbit_venue();
  for (auto& a : accounts_) {
    Exchange* spot = nullptr;
    Exchange* usdm = nullptr;
    for (const Market m : a.markets) {
      Exchange* x = nullptr;
      if (a.exchange == ExchangeId::kBybit) {
        auto* v = bybit_venue(m);
        x = &v->account(*v->account_index(a.id));
      } else if (a.exchange == ExchangeId::kOkx) {
        auto* v = okx_venue(m);
        x = &v->account(*v->account_index(a.id));
      } else if (a.exchange == ExchangeId::kUpbit) {
        x = &upbit_->account(*upbit_->account_index(a.id));
      } else {
        auto* v = venue(m);
        x = &v->account(*v->account_index(a.id));
      }
      (m == Market::kSpot ? spot : usdm) = x;
    }
    a.session = std::make_shared<AccountSession>(a.name, markets_, spot, usdm);
  }
}

void Daemon::start_bybit_venues() {
  const auto* ex = config_.exchanges.find(ExchangeId::kBybit);
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    bybit::BybitConfig c;
    c.market = m;
    for (const auto& e : entries_) {
      if (e.market != m || e.exchange != ExchangeId::kBybit) continue;
      const auto id = built_->directory.accounts.find(e.account);
      // One wallet per unified account: the spot connection reports it when the account
      // trades spot, else the linear one.
      const bool report_wallet = m == Market::kSpot || !std::any_of(entries_.begin(), entries_.end(), [&](const PaperEntry& o) {
        return o.exchange == ExchangeId::kBybit && o.account == e.account && o.market == Market::kSpot;
      });
      c.accounts.push_back({*id, credentials(e), report_wallet});
    }
    if (c.accounts.empty()) continue;
    if (options_.mode == Mode::kPaper) {
      c.rest = {options_.venue_for(ExchangeId::kBybit).host, options_.venue_for(ExchangeId::kBybit).port};
      c.stream = c.rest;  // venue-sim serves /v5 REST and the /v5 WebSockets on one origin
    } else {
      const auto& mc = *ex->markets[static_cast<std::size_t>(m)];
      c.rest = origin_of(mc.rest_url, 443, "exchanges.yaml bybit rest_url");
      c.stream = origin_of(mc.ws_url, 443, "exchanges.yaml bybit ws_url");
    }
    c.tls.ca_file = options_.ca_file.string();
    if (ex != nullptr && ex->recv_window) c.recv_window_ms = static_cast<std::uint32_t>(ex->recv_window->count());
    if (ex != nullptr && ex->ip_ban) c.ip_ban_fallback = *ex->ip_ban;
    c.pool_size = options_.venue_connections;
    for (const auto& i : built_->instruments) {
      if (i.exchange == ExchangeId::kBybit && i.market == m) c.instruments.push_back(i);
    }
    c.on_alert = [m](std::string_view text) { spdlog::critical("bybit {}: {}", to_string(m), text); };
    auto v = std::make_unique<bybit::BybitVenue>(std::move(c));
    if (auto r = v->start(); !r) {
      throw std::runtime_error("bybit " + std::string(to_string(m)) + ": " + r.error().message);
    }
    spdlog::info("bybit {}: connected, clock offset {} ms", to_string(m), v->time_offset_ms());
    (m == Market::kSpot ? bybit_spot_ : bybit_linear_) = std::move(v);
  }
}

void Daemon::start_okx_venues() {
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    okx::OkxConfig c;
    c.market = m;
    for (const auto& e : entries_) {
      if (e.market != m || e.exchange != ExchangeId::kOkx) continue;
      const auto id = built_->directory.accounts.find(e.account);
      // One wallet per unified account: the spot connection reports it when the account
      // trades spot, else the swap one.
      const bool report_wallet = m == Market::kSpot || !std::any_of(entries_.begin(), entries_.end(), [&](const PaperEntry& o) {
        return o.exchange == ExchangeId::kOkx && o.account == e.account && o.market == Market::kSpot;
      });
      c.accounts.push_back({*id, credentials(e), report_wallet});
    }
    if (c.accounts.empty()) continue;
    if (options_.mode == Mode::kPaper) {
      c.rest = {options_.venue_for(ExchangeId::kOkx).host, options_.venue_for(ExchangeId::kOkx).port};
      c.stream = c.rest;  // venue-sim serves /api/v5 and /ws/v5 on one origin
    } else {
      const auto* ex = config_.exchanges.find(ExchangeId::kOkx);
      const auto& mc = *ex->markets[static_cast<std::size_t>(m)];
      c.rest = origin_of(mc.rest_url, 443, "exchanges.yaml okx rest_url");
      c.stream = origin_of(mc.ws_url, 8443, "exchanges.yaml okx ws_url");
      c.simulated = ex->testnet;  // OKX's demo trading: the same hosts, x-simulated-trading: 1
    }
    c.tls.ca_file = options_.ca_file.string();
    c.pool_size = options_.venue_connections;
    // The instruments with their contract values, under the ids the registry gave them.
    for (const auto& i : built_->instruments) {
      if (i.exchange != ExchangeId::kOkx || i.market != m) continue;
      for (const auto& listed : okx_instruments_) {
        if (listed.instrument.market != m || listed.instrument.venue_symbol != i.venue_symbol) continue;
        okx::OkxInstrument in = listed;
        in.instrument = i;
        c.instruments.push_back(std::move(in));
        break;
      }
    }
    c.on_alert = [m](std::string_view text) { spdlog::critical("okx {}: {}", to_string(m), text); };
    auto v = std::make_unique<okx::OkxVenue>(std::move(c));
    if (auto r = v->start(); !r) {
      throw std::runtime_error("okx " + std::string(to_string(m)) + ": " + r.error().message);
    }
    spdlog::info("okx {}: connected, clock offset {} ms", to_string(m), v->time_offset_ms());
    (m == Market::kSpot ? okx_spot_ : okx_swap_) = std::move(v);
  }
}

void Daemon::start_upbit_venue() {
  upbit::UpbitConfig c;
  for (const auto& e : entries_) {
    if (e.exchange != ExchangeId::kUpbit) continue;
    c.accounts.push_back({*built_->directory.accounts.find(e.account), credentials(e)});
  }
  if (c.accounts.empty()) return;
  if (options_.mode == Mode::kPaper) {
    c.rest = {options_.venue_for(ExchangeId::kUpbit).host, options_.venue_for(ExchangeId::kUpbit).port};
    c.stream = c.rest;  // venue-sim serves /v1 and /websocket/v1 on one origin
  } else {
    const auto* ex = config_.exchanges.find(ExchangeId::kUpbit);
    const auto& mc = *ex->markets[static_cast<std::size_t>(Market::kSpot)];
    c.rest = origin_of(mc.rest_url, 443, "exchanges.yaml upbit rest_url");
    c.stream = origin_of(mc.ws_url, 443, "exchanges.yaml upbit ws_url");
  }
  c.tls.ca_file = options_.ca_file.string();
  if (const auto* ex = config_.exchanges.find(ExchangeId::kUpbit); ex != nullptr && ex->ip_ban) c.ip_ban_fallback = *ex->ip_ban;
  c.pool_size = options_.venue_connections;
  for (const auto& i : built_->instruments) {
    if (i.exchange == ExchangeId::kUpbit) c.instruments.push_back(i);
  }
  c.on_alert = [](std::string_view text) { spdlog::critical("upbit: {}", text); };
  upbit_ = std::make_unique<upbit::UpbitVenue>(std::move(c));
  if (auto r = upbit_->start(); !r) throw std::runtime_error("upbit: " + r.error().message);
  spdlog::info("upbit: {} accounts connected", upbit_->account_count());
}

void Daemon::start_market_data() {
  // The instruments the strategies and risk.yaml name, and every instrument of a market that
  // lists few (the simulator): depth into the engine's books (marks for risk, the strategy
  // stage), best bid/offer as the mark until a book is live, trades (recorded with the rest
  // of the engine's inputs: a backtest of the day places resting orders behind them), ages
  // for health.
  std::set<std::string> wanted;
  for (const auto& i : config_.risk.instruments) {
    wanted.insert(std::string(to_string(i.exchange)) + ":" + std::string(to_string(i.market)) +
                  ":" + i.symbol.to_string());
  }
  // Strategy legs name instruments too: their books feed the strategy stage.
  for (const auto& st : config_.strategies.strategies) {
    const auto* arb = std::get_if<configs::ArbitrageParams>(&st.params);
    if (arb == nullptr || !st.enabled) continue;
    for (const auto& pair : arb->pairs) {
      for (const auto& leg : pair.legs) {
        wanted.insert(std::string(to_string(leg.exchange)) + ":" + std::string(to_string(leg.market)) + ":" +
                      leg.symbol.to_string());
      }
    }
  }
  // The rate instruments that value other quotes in USDT for risk (USDT/KRW for Upbit's KRW
  // market): any instrument may be ordered, so every rate in use is subscribed.
  std::set<std::size_t> rates;
  for (const auto& i : built_->instruments) {
    const auto source = built_->risk->quote_source(i.id);
    if (source.rate.valid()) rates.insert(source.rate.index());
  }
  for (const auto r : rates) {
    if (r < built_->instruments.size()) wanted.insert(instrument_name(built_->instruments[r]));
  }
  std::map<std::pair<ExchangeId, Market>, std::size_t> per_market;
  for (const auto& i : built_->instruments) ++per_market[{i.exchange, i.market}];
  for (const ExchangeId x : {ExchangeId::kBinance, ExchangeId::kBybit, ExchangeId::kOkx, ExchangeId::kUpbit})
  for (const Market m : {Market::kSpot, Market::kUsdm}) {
    Exchange* first = nullptr;
    if (x == ExchangeId::kBinance) {
      auto* v = venue(m);
      if (v != nullptr && v->account_count() > 0) first = &v->account(0);
    } else if (x == ExchangeId::kBybit) {
      auto* v = bybit_venue(m);
      if (v != nullptr && v->account_count() > 0) first = &v->account(0);
    } else if (x == ExchangeId::kOkx) {
      auto* v = okx_venue(m);
      if (v != nullptr && v->account_count() > 0) first = &v->account(0);
    } else if (m == Market::kSpot && upbit_ && upbit_->account_count() > 0) {
      first = &upbit_->account(0);
    }
    if (first == nullptr) continue;
    std::vector<InstrumentId> ids;
    for (const auto& i : built_->instruments) {
      if (i.exchange != x || i.market != m || !i.trading) continue;
      if (per_market[{x, m}] <= 20 || wanted.count(instrument_name(i)) > 0) ids.push_back(i.id);
    }
    if (ids.empty()) continue;
    MarketDataStreams streams;
    streams.depth = true;
    streams.book_ticker = true;
    streams.trades = true;  // recorded for replays and backtests (queue position from prints)
    auto& stats = md_[md_index(x)][m == Market::kSpot ? 0 : 1];
    auto r = first->subscribe_market_data(
        ids, streams, [this, &stats](TimeNs venue_time, const EventPayload& e, TimeNs received) {
          stats.last_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count(),
                              std::memory_order_relaxed);
          stats.messages.fetch_add(1, std::memory_order_relaxed);
          if (runtime_) runtime_->market_data(venue_time, e, received);
        });
    if (!r) {
      spdlog::error("{} {}: market data not subscribed: {}", to_string(x), to_string(m), r.error().message);
      continue;
    }
    md_instruments_.insert(md_instruments_.end(), ids.begin(), ids.end());
    spdlog::info("{} {}: depth, best bid/offer and trades of {} instruments", to_string(x), to_string(m), ids.size());
  }
}

void Daemon::start() {
  if (started_) return;
  config_ = configs::load_config_dir(options_.config_dir);
  entries_ = paper_entries(config_);
  if (entries_.empty()) {
    throw std::runtime_error(options_.config_dir.string() +
                             ": no account trades an enabled market (nothing to run)");
  }

  // --accounts: this daemon runs those accounts; the others are another daemon's of the desk
  // (their keys are neither made nor read here).
  std::vector<std::string> others;
  if (!options_.accounts.empty()) {
    for (const auto& name : options_.accounts) {
      if (config_.accounts.find(name) == nullptr) {
        throw std::runtime_error("--accounts: '" + name + "' is not an account of " +
                                 (options_.config_dir / "accounts.yaml").string());
      }
      if (std::none_of(entries_.begin(), entries_.end(), [&](const PaperEntry& e) { return e.account == name; })) {
        throw std::runtime_error("--accounts: '" + name + "' trades no enabled market (" +
                                 (options_.config_dir / "accounts.yaml").string() + ")");
      }
    }
    const auto owned = [&](const std::string& n) {
      return std::find(options_.accounts.begin(), options_.accounts.end(), n) != options_.accounts.end();
    };
    std::erase_if(entries_, [&](const PaperEntry& e) { return !owned(e.account); });
    for (const auto& a : config_.accounts.accounts) {
      if (!owned(a.name)) others.push_back(a.name);
    }
    spdlog::info("desk {}: this daemon runs {} of the {} configured accounts", options_.desk,
                 options_.accounts.size(), config_.accounts.accounts.size());
  }
  if (options_.mode == Mode::kPaper) {
    if (const auto added = ensure_paper_keys(options_.data_dir / "paper-keys.json", entries_)) {
      spdlog::info("paper keys: {} new entries in {}", added,
                   (options_.data_dir / "paper-keys.json").string());
    }
  } else {
    const auto& spec = options_.secrets;
    if (spec.rfind("keyfile:", 0) == 0) {
      auto pass = options_.passphrase_file.empty()
                      ? secrets::passphrase_from_env()
                      : secrets::passphrase_from_file(options_.passphrase_file);
      if (!pass) throw std::runtime_error("key file passphrase: " + pass.error().message);
      auto store = secrets::KeyFileStore::open(spec.substr(8), std::move(pass).value());
      if (!store) throw std::runtime_error("key file " + spec.substr(8) + ": " + store.error().message);
      secrets_ = std::make_unique<secrets::KeyFileStore>(std::move(store).value());
    } else if (spec.rfind("vault:", 0) == 0) {
      std::vector<VaultAccount> read;
      for (const auto& e : entries_) {
        if (std::any_of(read.begin(), read.end(), [&](const VaultAccount& v) { return v.name == e.account; })) continue;
        const auto it = std::find_if(config_.accounts.accounts.begin(), config_.accounts.accounts.end(),
                                     [&](const configs::Account& a) { return a.name == e.account; });
        read.push_back({e.account, it == config_.accounts.accounts.end() ? std::string() : it->api_key_vault_path});
      }
      vault_ = std::make_unique<VaultKeys>(
          VaultOptions{spec.substr(6), options_.vault_token_file, options_.vault_approle_file, options_.vault_ca,
                       options_.vault_mount, std::chrono::seconds(options_.vault_refresh_s)},
          std::move(read));
      vault_->start();  // the token's renewal from now on
    } else {
      throw std::runtime_error("--secrets " + spec + ": expected keyfile:PATH or vault:https://HOST:PORT");
    }
  }
  for (const auto& e : entries_) {
    auto it = std::find_if(accounts_.begin(), accounts_.end(),
                           [&](const RunAccount& a) { return a.name == e.account; });
    if (it == accounts_.end()) {
      accounts_.push_back({AccountId{}, e.account, e.exchange, {}, nullptr});
      it = std::prev(accounts_.end());
    }
    it->markets.push_back(e.market);
  }
  // The engine's setup -- the config files as read, the venues' instruments, the accounts run
  // here -- builds the Directory (accounts and strategies in config order, then instruments),
  // the risk limits, the books and the strategy stage; the engine records it at start, so a
  // replay builds the same engine.
  setup::EngineSetup es;
  es.config = configs::read_config_texts(options_.config_dir);
  es.instruments = load_instruments();
  for (const auto& a : accounts_) es.accounts.push_back({a.name, a.exchange, a.markets});
  es.ack_timeout = std::chrono::milliseconds(options_.ack_timeout_ms);
  es.in_doubt_ttl = std::chrono::seconds(options_.in_doubt_ttl_s);
  es.snapshot_every = options_.snapshot_every;
  es.closed_order_retention = options_.closed_order_retention;
  es.desk = options_.desk;
  es.other_accounts = std::move(others);
  built_ = setup::build_engine(std::move(es));
  for (std::size_t i = 0; i < accounts_.size(); ++i) accounts_[i].id = built_->account_ids[i];
  auto markets = std::make_shared<std::vector<Market>>(built_->instruments.size());
  for (const auto& i : built_->instruments) (*markets)[i.id.index()] = i.market;
  markets_ = std::move(markets);
  for (const auto& p : built_->notes) spdlog::warn("{}", p);
  if (!built_->arbitrage.empty()) {
    spdlog::info("strategy stage: {} arbitrage pairs trade", built_->arbitrage.size());
  }
  if (!built_->quoters.empty()) {
    spdlog::info("strategy stage: {} market makers quote", built_->quoters.size());
  }
  open_store();
  start_on(options_.cpus.io, options_.cpu_plan, [this] { start_venues(); });
  if (vault_) {
    vault_->set_on_rotate([this](const std::string& account, const secrets::ApiCredentials& c) { rotate_keys(account, c); });
  }
  actors::RuntimeOptions ro;
  ro.scheduler_threads = options_.scheduler_threads;
  ro.engine = built_->engine_options();
  ro.engine.on_kill_switch = [this](const KillSwitchTripped& k) {
    const std::lock_guard lock(kill_listener_mu_);
    if (kill_listener_) kill_listener_(k);
  };
  ro.engine.on_snapshot = [this](std::int64_t shard_ns, std::int64_t total_ns) {
    snapshot_shard_.observe_ns(shard_ns);
    snapshot_total_.observe_ns(total_ns);
  };
  ro.engine.record_inputs = options_.record_inputs;
  ro.engine.checkpoint_interval = options_.checkpoint_every;
  ro.engine.cpu = options_.cpus.engine.empty() ? -1 : options_.cpus.engine.front();
  ro.engine.wait = options_.engine_busy_poll ? actors::WaitMode::kBusyPoll
                                             : actors::WaitMode::kSpinThenPark;
  ro.engine.keep_warm = std::chrono::microseconds(options_.keep_warm_us);
  for (const auto& st : built_->config.strategies.strategies) {
    if (st.schedule.empty()) continue;
    const auto id = built_->directory.strategies.find(st.name);
    if (!id) continue;
    if (std::any_of(ro.engine.strategies.begin(), ro.engine.strategies.end(),
                    [&](const actors::EngineStrategy& e) { return e.id == *id && e.elsewhere; })) {
      continue;  // its daemon keeps its schedule
    }
    ro.schedules.push_back({*id, st.name, [windows = st.schedule](TimeNs t) {
                              return configs::in_schedule(windows, t);
                            }});
    spdlog::info("strategy {}: runs on its schedule ({} windows, UTC)", st.name, st.schedule.size());
  }
  ro.engine.board_path = actors::default_board_path(options_.data_dir);  // omsctl top --data DIR reads it
  ro.mac = mac_;
  ro.account_logger = [this](AccountId id) {
    return account_logger(options_.data_dir, built_->directory.accounts.name(id));
  };
  std::vector<actors::RuntimeAccount> run;
  for (const auto& a : accounts_) run.push_back({a.id, a.exchange, a.session});
  runtime_ = std::make_unique<actors::Runtime>(ro, built_->directory, *built_->table, *store_,
                                               intents_.get(), snapshots_.get(), built_->risk,
                                               std::move(run));
  start_on(options_.cpus.io, options_.cpu_plan, [this] { start_market_data(); });
  // The venues' fee rates against exchanges.yaml's, off the start path (a slow venue delays
  // nothing): logged, and on /metrics.
  fee_thread_ = std::thread([this] { check_fees(); });
  // Market orders are valued, and limit orders banded, at the mark: wait (bounded) for the
  // first mark of every subscribed instrument before taking orders.
  const auto md_deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    std::size_t have = 0;
    for (const auto id : md_instruments_) have += runtime_->has_mark(id) ? 1U : 0U;
    if (have == md_instruments_.size()) break;
    if (std::chrono::steady_clock::now() > md_deadline) {
      spdlog::warn("market data: {} of {} instruments have no mark yet; market orders on them "
                   "are refused until one arrives", md_instruments_.size() - have,
                   md_instruments_.size());
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  // The balances the sessions fetched at start are folded before the API opens (the engine
  // values an account each time its balances move, and every second at the marks).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (const auto& a : accounts_) {
    while (std::chrono::steady_clock::now() < deadline) {
      auto v = runtime_->view(a.id, 2s);
      if (v && !(*v)->balances.empty()) break;
      std::this_thread::sleep_for(20ms);
    }
  }
  start_daily_files();
  started_ = true;
  spdlog::info("omsd: {} accounts, {} instruments, store {}, state board {}", accounts_.size(),
               built_->instruments.size(), options_.store, ro.engine.board_path);
}

std::vector<double> Daemon::snapshot_bounds() {
  std::vector<double> bounds;
  for (double decade = 1e-4; decade < 10.0; decade *= 10.0) {
    for (const double m : {1.0, 1.5, 2.0, 3.0, 5.0, 7.0}) bounds.push_back(decade * m);
  }
  bounds.push_back(10.0);
  return bounds;
}

void Daemon::set_kill_switch_listener(std::function<void(const KillSwitchTripped&)> listener) {
  const std::lock_guard lock(kill_listener_mu_);
  kill_listener_ = std::move(listener);
}

actors::AccountViewPtr Daemon::summary(std::size_t index) const {
  if (!runtime_ || index >= accounts_.size()) return nullptr;
  auto v = runtime_->summary(accounts_[index].id, 2s);
  return v ? *v : nullptr;
}

namespace {

TimeNs utc_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Daemon::start_daily_files() {
  daily_files_ = std::make_unique<persistence::DailyFiles>(options_.data_dir);
  if (auto c = daily_files_->compress_closed_files_before(persistence::utc_day(utc_now())); !c) {
    spdlog::warn("daily files: {}", c.error().message);
  }
  std::vector<actors::DailyAccount> accounts;
  for (const auto& a : accounts_) {
    accounts.push_back({a.id, a.name, persistence::StreamLayout::account_stream(a.exchange, a.name)});
  }
  daily_writer_ = std::make_unique<actors::DailyWriter>(*store_, *daily_files_, built_->directory,
                                                        *built_->table, std::move(accounts));
  daily_stop_ = false;
  daily_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "oms-daily");
    std::unique_lock lock(daily_mu_);
    std::string last_error;
    while (!daily_stop_) {
      lock.unlock();
      auto r = daily_writer_->catch_up(utc_now());
      lock.lock();
      // A failing store or file is said once, then again when it changes; the next pass retries.
      if (!r && r.error() != last_error) spdlog::error("daily files: {}", r.error());
      last_error = r ? std::string() : r.error();
      daily_cv_.wait_for(lock, 1s, [this] { return daily_stop_; });
    }
  });
}

void Daemon::stop_daily_files() {
  if (!daily_thread_.joinable()) return;
  {
    std::lock_guard lock(daily_mu_);
    daily_stop_ = true;
  }
  daily_cv_.notify_all();
  daily_thread_.join();
  // What the store holds now (the runtime flushed it): into the files, then closed.
  if (auto r = daily_writer_->catch_up(utc_now()); !r) spdlog::error("daily files at stop: {}", r.error());
  if (auto c = daily_files_->close(); !c) spdlog::error("daily files: {}", c.error().message);
  daily_writer_.reset();
  daily_files_.reset();
}

void Daemon::check_fees() {
  for (const auto& a : accounts_) {
    for (const Market m : a.markets) {
      if (fee_stop_.load()) return;
      Exchange* x = a.session ? a.session->exchange(m) : nullptr;
      if (x == nullptr) continue;
      // One instrument per account and market: the first that market data runs for.
      const Instrument* in = nullptr;
      for (const auto id : md_instruments_) {
        const Instrument& i = built_->instruments[id.index()];
        if (i.exchange == a.exchange && i.market == m) {
          in = &i;
          break;
        }
      }
      if (in == nullptr) continue;
      FeeCheck c;
      c.account = a.name;
      c.instrument = in->symbol.to_string();
      c.exchange = a.exchange;
      c.market = m;
      if (const auto* ex = config_.exchanges.find(a.exchange)) {
        if (const auto& mc = ex->markets[static_cast<std::size_t>(m)]) c.configured = mc->fees;
      }
      auto r = x->fee_rates(in->id);
      if (r) {
        c.venue = *r;
      } else {
        c.error = r.error().message;
      }
      if (!c.venue) {
        spdlog::warn("{}", describe(c));
      } else if (c.differs()) {
        spdlog::warn("{} -- they differ: the arbitrage legs on it price with the venue's", describe(c));
      } else {
        spdlog::info("{}", describe(c));
      }
      std::lock_guard lock(fee_mu_);
      fee_checks_.push_back(std::move(c));
    }
  }
  set_leg_fees();
}

void Daemon::set_leg_fees() {
  // Each (account, instrument) is asked once; each (strategy, leg) set once.
  std::map<std::pair<std::uint32_t, std::uint32_t>, ExchangeResult<FeeRates>> asked;
  std::set<std::pair<std::uint16_t, std::string>> done;
  std::uint64_t sequence = 0;
  for (const auto& group : built_->arbitrage) {
    const std::string strategy(built_->directory.strategies.name(group.strategy));
    for (const auto& leg : group.legs) {
      if (fee_stop_.load()) return;
      const Instrument& in = built_->instruments[leg.instrument.index()];
      const std::string where = std::string(to_string(in.exchange)) + ":" + in.symbol.to_string();
      const std::string key = leg_fee_key(in.exchange, in.symbol.to_string());
      if (key.empty()) {
        spdlog::warn("strategy {}: leg {}: its fee parameter would be over 31 characters; it prices "
                     "with exchanges.yaml's fee", strategy, where);
        continue;
      }
      if (!done.emplace(group.strategy.value, key).second) continue;
      const auto account = std::find_if(accounts_.begin(), accounts_.end(),
                                        [&](const RunAccount& a) { return a.id == leg.account; });
      Exchange* x = account != accounts_.end() && account->session ? account->session->exchange(in.market) : nullptr;
      if (x == nullptr) continue;
      auto it = asked.find({leg.account.value, leg.instrument.value});
      if (it == asked.end()) it = asked.emplace(std::pair{leg.account.value, leg.instrument.value}, x->fee_rates(in.id)).first;
      Decimal current;  // what the leg prices with: the parameter as set, else exchanges.yaml's
      if (const auto* ex = config_.exchanges.find(in.exchange)) {
        if (const auto& m = ex->markets[static_cast<std::size_t>(in.market)]) current = m->fees.taker_bps;
      }
      auto view = runtime_->strategy(group.strategy, 5s);
      if (view && *view) {
        if (const std::string* set = (*view)->param(key)) {
          if (const auto d = Decimal::parse(*set)) current = *d;
        }
      }
      if (!it->second) {
        spdlog::warn("strategy {}: leg {}: {} did not state its fee ({}); the leg prices with {} bps",
                     strategy, where, account->name, it->second.error().message, current.to_string());
        continue;
      }
      const Decimal venue = to_bps(it->second->taker);
      if (venue == current) {
        spdlog::info("strategy {}: leg {} prices with {} bps, as {} states for {}", strategy, where,
                     current.to_string(), to_string(in.exchange), account->name);
        continue;
      }
      SetStrategyParam set{group.strategy, {}, {}};
      (void)set.key.assign(key);
      if (!set.value.assign(venue.to_string())) continue;  // 63 characters hold any rate in bps
      // Ids with the top bit set: apart from the gateway's (nanoseconds since 1970, below 2^63).
      const TimeNs now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
      const EventId id = (EventId{1} << 63U) | (static_cast<EventId>(now) + sequence++);
      const auto ack = runtime_->submit(Command{Envelope{id, 0, now, now, 0, id}, set}, 5s);
      if (!ack || !ack->accepted) {
        spdlog::error("strategy {}: leg {}: the venue's fee of {} bps not set: {}", strategy, where,
                      venue.to_string(), ack ? ack->message : ack.error());
        continue;
      }
      spdlog::warn("strategy {}: leg {} now prices with {} bps, as {} states for {} (was {} bps; "
                   "{}={})", strategy, where, venue.to_string(), to_string(in.exchange),
                   account->name, current.to_string(), key, venue.to_string());
    }
  }
}

std::vector<FeeCheck> Daemon::fee_checks() const {
  std::lock_guard lock(fee_mu_);
  return fee_checks_;
}

void Daemon::rotate_keys(const std::string& account, const secrets::ApiCredentials& c) {
  const auto id = built_->directory.accounts.find(account);
  if (!id) return;
  for (const auto& e : entries_) {
    if (e.account != account) continue;
    std::optional<std::string> error = std::string("no connection");
    const auto swap = [&](auto* v) {
      if (v == nullptr) return;
      if (const auto i = v->account_index(*id)) error = v->replace_credentials(*i, copy_credentials(c));
    };
    switch (e.exchange) {
      case ExchangeId::kBinance: swap(venue(e.market)); break;
      case ExchangeId::kBybit: swap(bybit_venue(e.market)); break;
      case ExchangeId::kOkx: swap(okx_venue(e.market)); break;
      case ExchangeId::kUpbit: swap(upbit_.get()); break;
      default: break;
    }
    if (error) {
      spdlog::error("vault: account {} ({}): version {} not installed, the old key stays: {}", account,
                    to_string(e.market), c.version, *error);
    } else {
      spdlog::warn("vault: account {} ({}): signs with version {} (key {}) from now on", account,
                   to_string(e.market), c.version, secrets::fingerprint(c.api_key));
    }
  }
}

void Daemon::stop() {
  if (vault_) vault_->stop();  // no key swapped into a connection that stops
  fee_stop_.store(true);
  if (fee_thread_.joinable()) fee_thread_.join();  // it asks the venues: before they stop
  if (spot_) spot_->stop();  // market data and user-data streams first: no new reports
  if (usdm_) usdm_->stop();
  if (bybit_spot_) bybit_spot_->stop();
  if (bybit_linear_) bybit_linear_->stop();
  if (okx_spot_) okx_spot_->stop();
  if (okx_swap_) okx_swap_->stop();
  if (upbit_) upbit_->stop();
  if (runtime_) {
    if (auto f = runtime_->flush(10s); !f) spdlog::error("store flush at stop: {}", f.error().message);
  }
  stop_daily_files();
  if (runtime_) runtime_.reset();
  // The snapshots the engine queued are written (their callbacks observe into this daemon's
  // histograms) before anything they touch goes.
  if (snapshots_) snapshots_->drain();
  spot_.reset();
  usdm_.reset();
  bybit_spot_.reset();
  bybit_linear_.reset();
  okx_spot_.reset();
  okx_swap_.reset();
  upbit_.reset();
  started_ = false;
}

}  // namespace oms::omsd
