// oms-md --venue upbit: cryptofeed raw v1 captures of Upbit's public stream (plain text lines:
// "<url> <-> <ts>" connect, "<url> <- <ts>: <sent>", "<ts>: b'<received>'") through the live
// parser and one BookCore per market. Every orderbook message is a whole top-N snapshot: it
// replaces the market's book (update id: upbit::next_update_id over the message timestamps),
// and BookCore's best bid / ask after it must be the message's first unit.
#include "oms_md_upbit.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/upbit/market_data.hpp"
#include "oms/cores/book_core.hpp"

namespace oms_md {
namespace {

using oms::upbit::MarketMessageKind;
using oms::upbit::StreamType;

// The id rule is irrelevant to BookCore here (snapshots only: see upbit/market_data.hpp).
constexpr oms::BookSequencing kUpbitSequencing = oms::BookSequencing::kBinanceSpot;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class UpbitReplay {
 public:
  explicit UpbitReplay(int fixed) : fixed_(fixed) {
    // Every market of the capture gets the next id.
    find_ = [this](std::string_view code) -> std::optional<oms::InstrumentId> {
      auto it = ids_.find(std::string(code));
      if (it == ids_.end())
        it = ids_.emplace(std::string(code),
                          oms::InstrumentId{static_cast<std::uint32_t>(ids_.size() + 1)})
                 .first;
      return it->second;
    };
  }

  void line(std::string_view text, const std::string& where) {
    ++lines_;
    if (text.starts_with("wss://") || text.starts_with("https://")) {
      if (text.find(" <-> ") != std::string_view::npos) ++connects_;
      else if (text.find(" <- ") != std::string_view::npos) ++sends_;
      else error(where, "expected '<url> <-> <ts>' or '<url> <- <ts>: <payload>'");
      return;
    }
    const auto colon = text.find(": ");
    if (colon == std::string_view::npos || colon == 0) {
      error(where, "expected '<ts>: <payload>'");
      return;
    }
    ++received_;
    std::string_view payload = text.substr(colon + 2);
    if (payload.starts_with("b'") || payload.starts_with("b\"")) {
      if (!python_bytes_literal(payload, unescaped_)) {
        error(where, "a malformed bytes literal");
        return;
      }
      payload = unescaped_;
    }
    const auto parsed = oms::upbit::parse_market_data(parser_, payload, find_, msg_);
    if (!parsed) {
      error(where, parsed.error().message);
      return;
    }
    switch (*parsed) {
      case MarketMessageKind::kOrderbook: on_orderbook(where); break;
      case MarketMessageKind::kTrade: on_trade(); break;
      case MarketMessageKind::kTicker: ++book(msg_.ticker.code.str()).tickers; break;
      case MarketMessageKind::kStatus: ++status_; break;
      case MarketMessageKind::kError:
        ++venue_errors_;
        std::fprintf(stderr, "oms-md: %s: venue error %s: %s\n", where.c_str(),
                     msg_.error.name.str().c_str(), msg_.error.message.c_str());
        break;
      case MarketMessageKind::kOther: ++other_; break;
    }
  }

  int finish() {
    std::size_t orderbooks = 0, snapshots = 0, applied = 0, refused = 0, top_mismatches = 0,
                crossed = 0, stalled = 0, trades = 0, buys = 0, sells = 0, unordered = 0,
                tickers = 0, levels = 0;
    for (auto& [code, b] : books_) {
      std::fprintf(stderr,
                   "oms-md: upbit %s: orderbooks %zu (snapshot %zu); applied %zu; refused %zu; "
                   "book %s at %llu with %zu bids, %zu asks; top differences %zu; crossed %zu; "
                   "timestamps not advancing %zu; trades %zu (buy %zu, sell %zu; sequential ids "
                   "not increasing %zu); tickers %zu\n",
                   code.c_str(), b.orderbooks, b.snapshots, b.applied, b.refused,
                   oms::to_string(b.core.state()),
                   static_cast<unsigned long long>(b.core.last_update_id()),
                   b.core.level_count(oms::BookSide::kBid), b.core.level_count(oms::BookSide::kAsk),
                   b.top_mismatches, b.crossed, b.stalled, b.trades, b.buys, b.sells, b.unordered,
                   b.tickers);
      orderbooks += b.orderbooks;
      snapshots += b.snapshots;
      applied += b.applied;
      refused += b.refused;
      top_mismatches += b.top_mismatches;
      crossed += b.crossed;
      stalled += b.stalled;
      trades += b.trades;
      buys += b.buys;
      sells += b.sells;
      unordered += b.unordered;
      tickers += b.tickers;
      levels += b.levels;
    }
    std::fprintf(stderr,
                 "oms-md: upbit: markets %zu; orderbooks %zu (snapshot %zu); applied %zu; "
                 "levels %zu; refused %zu; BookCore vs message top differences %zu; crossed %zu; "
                 "timestamps not advancing %zu; trades %zu (buy %zu, sell %zu; sequential ids "
                 "not increasing %zu); tickers %zu; status %zu; venue errors %zu; other %zu; "
                 "parse errors %zu; rows %zu; lines %zu (received %zu, sent %zu, connect %zu)\n",
                 books_.size(), orderbooks, snapshots, applied, levels, refused, top_mismatches,
                 crossed, stalled, trades, buys, sells, unordered, tickers, status_,
                 venue_errors_, other_, errors_, rows_, lines_, received_, sends_, connects_);
    if (top_mismatches > 0) return 1;
    if (errors_ > 0 || refused > 0) return 2;
    return 0;
  }

 private:
  struct Book {
    explicit Book(oms::InstrumentId id) : core(oms::BookCoreConfig{id, kUpbitSequencing}) {}
    oms::BookCore core;
    std::uint64_t last_id = 0, last_sequential_id = 0;
    std::size_t orderbooks = 0, snapshots = 0, applied = 0, refused = 0, top_mismatches = 0,
                crossed = 0, stalled = 0, trades = 0, buys = 0, sells = 0, unordered = 0,
                tickers = 0, levels = 0;
  };

  Book& book(const std::string& code) {
    auto it = books_.find(code);
    if (it == books_.end()) it = books_.emplace(code, Book(*find_(code))).first;
    return it->second;
  }

  void on_trade() {
    const auto& t = msg_.trade;
    Book& b = book(t.code.str());
    ++b.trades;
    ++(t.taker_side == oms::Side::kBuy ? b.buys : b.sells);
    if (t.sequential_id <= b.last_sequential_id) ++b.unordered;
    b.last_sequential_id = t.sequential_id;
  }

  void on_orderbook(const std::string& where) {
    const auto& m = msg_.orderbook;
    const std::string code = m.code.str();
    Book& b = book(code);
    ++b.orderbooks;
    if (m.stream_type == StreamType::kSnapshot) ++b.snapshots;
    if (m.timestamp <= b.last_id) ++b.stalled;
    const std::uint64_t id = oms::upbit::next_update_id(b.last_id, m.timestamp);
    b.last_id = id;
    oms::upbit::to_book_snapshots(m, id, snapshots_);
    oms::BookApplyResult res;
    for (const auto& chunk : snapshots_) res = b.core.apply(chunk);
    if (res.status != oms::BookApplyStatus::kApplied) {
      ++b.refused;
      std::fprintf(stderr, "oms-md: %s: %s: BookCore %s (%s)\n", where.c_str(), code.c_str(),
                   oms::to_string(res.status), oms::to_string(res.issue));
      return;
    }
    ++b.applied;
    for (const auto& chunk : snapshots_) b.levels += chunk.levels.size();
    if (res.crossed) ++b.crossed;
    const auto bid = b.core.best_bid();
    const auto ask = b.core.best_ask();
    // The message's own top: its first unit (size 0 = that side is empty).
    const auto& top = m.units.front();
    const bool same_bid = top.bid_size.is_zero()
                              ? !bid.has_value()
                              : bid && bid->price == top.bid_price && bid->quantity == top.bid_size;
    const bool same_ask = top.ask_size.is_zero()
                              ? !ask.has_value()
                              : ask && ask->price == top.ask_price && ask->quantity == top.ask_size;
    if (!same_bid || !same_ask) {
      ++b.top_mismatches;
      std::fprintf(stderr, "oms-md: %s: %s: BookCore's top differs from the message's first unit\n",
                   where.c_str(), code.c_str());
    }
    ++rows_;
    std::string row = code + "," + std::to_string(id) + ",";
    row += bid ? number(bid->price) + "," + number(bid->quantity) : std::string(",");
    row += ",";
    row += ask ? number(ask->price) + "," + number(ask->quantity) : std::string(",");
    std::printf("%s\n", row.c_str());
  }

  std::string number(oms::Decimal d) const {
    if (fixed_ < 0) return d.to_string();
    auto s = d.to_fixed(fixed_);
    if (!s) throw std::runtime_error("--fixed " + std::to_string(fixed_) + ": " + d.to_string() +
                                     " needs more digits");
    return *s;
  }

  void error(const std::string& where, std::string_view what) {
    ++errors_;
    std::fprintf(stderr, "oms-md: %s: %.*s\n", where.c_str(), static_cast<int>(what.size()),
                 what.data());
  }

  int fixed_;
  oms::upbit::JsonParser parser_;
  oms::upbit::MarketMessage msg_;
  oms::upbit::InstrumentFinder find_;
  std::map<std::string, oms::InstrumentId> ids_;
  std::vector<oms::BookSnapshot> snapshots_;
  std::map<std::string, Book> books_;
  std::string unescaped_;
  std::size_t lines_ = 0, received_ = 0, sends_ = 0, connects_ = 0, errors_ = 0, rows_ = 0;
  std::size_t status_ = 0, venue_errors_ = 0, other_ = 0;
};

}  // namespace

bool python_bytes_literal(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() < 3 || text[0] != 'b' || (text[1] != '\'' && text[1] != '"') ||
      text.back() != text[1])
    return false;
  const char quote = text[1];
  const std::string_view body = text.substr(2, text.size() - 3);
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == quote) return false;  // an unescaped quote inside
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == body.size()) return false;
    switch (body[i]) {
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'x': {
        if (i + 2 >= body.size()) return false;
        const int hi = hex_digit(body[i + 1]), lo = hex_digit(body[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  return true;
}

int run_upbit(const std::vector<std::string>& files, int fixed) {
  UpbitReplay replay(fixed);
  std::string line;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "oms-md: %s: cannot open\n", file.c_str());
      return 66;
    }
    try {
      std::size_t n = 0;
      while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        replay.line(line, file + ":" + std::to_string(n));
      }
      if (in.bad()) throw std::runtime_error("read error");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "oms-md: %s: %s\n", file.c_str(), e.what());
      return 66;
    }
  }
  std::fflush(stdout);
  return replay.finish();
}

}  // namespace oms_md
