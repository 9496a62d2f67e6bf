// oms-md --venue bybit: cryptofeed format-2 captures (zstd JSON lines) of Bybit v5 public
// streams through the live parser and one BookCore per (market of the connection, symbol), with
// the cross-check of linear tickers against the book at the same cross sequence.
#include "oms_md_bybit.hpp"

#include <simdjson.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oms/connectors/bybit/market_data.hpp"
#include "oms/cores/book_core.hpp"

namespace oms_md {
namespace {

namespace od = simdjson::ondemand;
using oms::bybit::MarketMessageKind;

// Bybit's book rule through BookCore's spot rule: see bybit/market_data.hpp.
constexpr oms::BookSequencing kBybitSequencing = oms::BookSequencing::kBinanceSpot;

// Reads a zstd file line by line (streaming: the whole file is never in memory).
class ZstdLines {
 public:
  explicit ZstdLines(const std::string& path)
      : file_(std::fopen(path.c_str(), "rb")), dctx_(ZSTD_createDCtx()) {
    if (file_ == nullptr) throw std::runtime_error("cannot open " + path);
    if (dctx_ == nullptr) throw std::runtime_error("zstd: out of memory");
  }
  ~ZstdLines() {
    if (file_ != nullptr) std::fclose(file_);
    ZSTD_freeDCtx(dctx_);
  }
  ZstdLines(const ZstdLines&) = delete;
  ZstdLines& operator=(const ZstdLines&) = delete;

  // The next line without its newline; false at the end (error: throws).
  bool next(std::string& line) {
    line.clear();
    for (;;) {
      if (pos_ < len_) {
        const char* start = out_.data() + pos_;
        const void* nl = std::memchr(start, '\n', len_ - pos_);
        if (nl != nullptr) {
          const auto n = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
          line.append(start, n);
          pos_ += n + 1;
          return true;
        }
        line.append(start, len_ - pos_);
        pos_ = len_;
      }
      if (!fill()) return !line.empty();
    }
  }

 private:
  // Decompresses the next piece into out_; false at the end of the file.
  bool fill() {
    for (;;) {
      if (in_.pos == in_.size && !output_full_) {
        if (eof_) {
          if (frame_open_) throw std::runtime_error("zstd: the file ends inside a frame");
          return false;
        }
        const std::size_t n = std::fread(in_buf_.data(), 1, in_buf_.size(), file_);
        if (n == 0) {
          if (std::ferror(file_)) throw std::runtime_error("read error");
          eof_ = true;
          continue;
        }
        in_ = ZSTD_inBuffer{in_buf_.data(), n, 0};
      }
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const std::size_t r = ZSTD_decompressStream(dctx_, &out, &in_);
      if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      frame_open_ = r != 0;
      output_full_ = out.pos == out.size;  // more may be waiting inside the decoder
      if (out.pos > 0) {
        pos_ = 0;
        len_ = out.pos;
        return true;
      }
    }
  }

  std::FILE* file_;
  ZSTD_DCtx* dctx_;
  std::vector<char> in_buf_ = std::vector<char>(ZSTD_DStreamInSize());
  std::vector<char> out_ = std::vector<char>(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in_{nullptr, 0, 0};
  std::size_t pos_ = 0, len_ = 0;
  bool eof_ = false, frame_open_ = false, output_full_ = false;
};

// One capture record's fields (views into the record parser: valid until the next record).
struct Record {
  std::string_view type, conn, data, addr, exchange;
  std::optional<std::uint64_t> format;
  bool binary = false;  // "b64": a binary frame
};

struct Top {
  std::optional<oms::PriceLevel> bid, ask;
};

// A ticker field against the book's side: absent fields are not compared; "" means the side
// is empty.
bool same(const oms::bybit::TickerField<oms::Decimal>& f, std::optional<oms::Decimal> book) {
  if (!f.present()) return true;
  if (!f.has_value()) return !book.has_value();
  return book.has_value() && *book == f.value;
}

bool carries_top(const oms::bybit::Ticker& t) {
  return t.bid1_price.present() || t.bid1_size.present() || t.ask1_price.present() ||
         t.ask1_size.present();
}

class BybitReplay {
 public:
  explicit BybitReplay(int fixed) : fixed_(fixed) {}

  void line(std::string& text, const std::string& where) {
    ++records_;
    Record r;
    if (!read_record(text, where, r)) return;
    if (r.type == "recv") on_recv(r, where);
    else if (r.type == "connect") on_connect(r, where);
    else if (r.type == "send") ++sends_;
    else if (r.type == "http") ++https_;
    else if (r.type == "header") on_header(r, where);
    else ++other_records_;
  }

  int finish() {
    std::size_t messages = 0, snapshots = 0, applied = 0, buffered = 0, stale = 0, refused = 0,
                discarded = 0, gaps = 0, checked = 0, mismatches = 0, not_comparable = 0;
    for (auto& [key, b] : books_) {
      b.not_comparable += b.pending.size();  // the book never reached their cs
      b.pending.clear();
      std::fprintf(stderr,
                   "oms-md: %s %s: book messages %zu (snapshots %zu), applied %zu, buffered %zu, "
                   "stale %zu, refused after a gap %zu, discarded at a snapshot %zu; gaps %zu; "
                   "book %s at u=%llu seq=%llu; tickers cross-checked %zu, mismatches %zu, "
                   "not comparable %zu\n",
                   key.first.c_str(), key.second.c_str(), b.messages, b.snapshots, b.applied,
                   b.buffered, b.stale, b.refused, b.discarded, b.gaps,
                   oms::to_string(b.core.state()),
                   static_cast<unsigned long long>(b.core.last_update_id()),
                   static_cast<unsigned long long>(b.last_seq), b.checked, b.mismatches,
                   b.not_comparable);
      messages += b.messages;
      snapshots += b.snapshots;
      applied += b.applied;
      buffered += b.buffered;
      stale += b.stale;
      refused += b.refused;
      discarded += b.discarded;
      gaps += b.gaps;
      checked += b.checked;
      mismatches += b.mismatches;
      not_comparable += b.not_comparable;
    }
    std::fprintf(stderr,
                 "oms-md: bybit: books %zu; book messages %zu (snapshots %zu), applied %zu, "
                 "buffered %zu, stale %zu, refused after a gap %zu, discarded at a snapshot %zu; "
                 "gaps %zu; parse errors %zu; "
                 "rows %zu; trades %zu in %zu messages; tickers %zu (with bid1/ask1 %zu); "
                 "op replies %zu (failed %zu); other topics %zu; records %zu (recv %zu, send %zu, "
                 "connect %zu, http %zu, other %zu); tickers cross-checked %zu, mismatches %zu, "
                 "not comparable %zu\n",
                 books_.size(), messages, snapshots, applied, buffered, stale, refused, discarded,
                 gaps, errors_, rows_, trades_, trade_messages_, tickers_, tickers_with_top_,
                 op_replies_, op_failures_, other_topics_, records_, recvs_, sends_, connects_,
                 https_, other_records_, checked, mismatches, not_comparable);
    if (mismatches > 0) return 1;
    if (gaps > 0 || errors_ > 0) return 2;
    return 0;
  }

 private:
  struct Pending {
    oms::bybit::Ticker ticker;
    std::string where;
  };
  struct Book {
    explicit Book(oms::InstrumentId id) : core(oms::BookCoreConfig{id, kBybitSequencing}) {}
    oms::BookCore core;
    std::uint64_t last_seq = 0;              // seq of the last applied message
    std::map<std::uint64_t, Top> tops;       // by seq, after each applied message
    std::map<std::uint64_t, Pending> pending;  // tickers waiting for a book message at their cs
    std::size_t messages = 0, snapshots = 0, applied = 0, buffered = 0, stale = 0, refused = 0,
                discarded = 0, gaps = 0, checked = 0, mismatches = 0, not_comparable = 0;
  };
  static constexpr std::size_t kKeptTops = 1 << 16;

  bool read_record(std::string& text, const std::string& where, Record& r) {
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    od::document doc;
    od::object obj;
    if (auto e = record_parser_.iterate(text.data(), text.size(), text.capacity()).get(doc);
        e || (e = doc.get_object().get(obj))) {
      error(where, std::string("record: malformed JSON (") + simdjson::error_message(e) + ")");
      return false;
    }
    for (auto field : obj) {
      std::string_view key;
      od::value v;
      if (auto e = field.unescaped_key().get(key); e || (e = field.value().get(v))) {
        error(where, std::string("record: malformed JSON (") + simdjson::error_message(e) + ")");
        return false;
      }
      std::string_view* target = key == "t"          ? &r.type
                                 : key == "conn"     ? &r.conn
                                 : key == "data"     ? &r.data
                                 : key == "addr"     ? &r.addr
                                 : key == "exchange" ? &r.exchange
                                                     : nullptr;
      if (target != nullptr && v.get_string().get(*target) != simdjson::SUCCESS) {
        error(where, "record." + std::string(key) + ": expected a string");
        return false;
      }
      if (key == "b64") r.binary = true;
      if (key == "format") {
        std::uint64_t f = 0;
        if (v.get_uint64().get(f) != simdjson::SUCCESS) {
          error(where, "record.format: expected an unsigned integer");
          return false;
        }
        r.format = f;
      }
    }
    if (r.type.empty()) {
      error(where, "record.t: missing");
      return false;
    }
    return true;
  }

  void on_header(const Record& r, const std::string& where) {
    if (r.format != 2u) error(where, "header: expected cryptofeed capture format 2");
    if (r.exchange != "BYBIT")
      error(where, "header: exchange '" + std::string(r.exchange) + "' is not BYBIT");
  }

  // wss://stream.bybit.com/v5/public/{linear|spot|inverse|option}: the market of the conn.
  void on_connect(const Record& r, const std::string& where) {
    ++connects_;
    constexpr std::string_view kPublic = "/v5/public/";
    const auto at = r.addr.find(kPublic);
    if (r.conn.empty() || at == std::string_view::npos || !r.addr.starts_with("wss://")) {
      error(where, "connect: '" + std::string(r.addr) + "' is not a Bybit v5 public stream");
      return;
    }
    std::string market(r.addr.substr(at + kPublic.size()));
    if (const auto q = market.find_first_of("?/"); q != std::string::npos) market.resize(q);
    conn_market_[std::string(r.conn)] = market;
  }

  void on_recv(const Record& r, const std::string& where) {
    ++recvs_;
    if (r.binary) {
      error(where, "recv: a binary frame (b64); Bybit sends text");
      return;
    }
    const auto conn = conn_market_.find(std::string(r.conn));
    if (conn == conn_market_.end()) {
      error(where, "recv: connection '" + std::string(r.conn) + "' has no connect record");
      return;
    }
    const auto parsed = oms::bybit::parse_market_data(parser_, r.data, msg_);
    if (!parsed) {
      error(where, parsed.error().message);
      return;
    }
    switch (*parsed) {
      case MarketMessageKind::kOrderBook: on_book(conn->second, where); break;
      case MarketMessageKind::kTicker: on_ticker(conn->second, where); break;
      case MarketMessageKind::kTrades:
        ++trade_messages_;
        trades_ += msg_.trades.trades.size();
        break;
      case MarketMessageKind::kOpReply: on_op_reply(r, where); break;
      case MarketMessageKind::kOther: ++other_topics_; break;
    }
  }

  void on_op_reply(const Record& r, const std::string& where) {
    ++op_replies_;
    const auto& o = msg_.op_reply;
    if (o.success == false) {
      ++op_failures_;
      std::fprintf(stderr, "oms-md: %s: %.*s: op %s failed: %s\n", where.c_str(),
                   static_cast<int>(r.conn.size()), r.conn.data(), o.op.str().c_str(),
                   o.ret_msg.c_str());
    }
  }

  Book& book(const std::string& market, std::string_view symbol) {
    auto key = std::make_pair(market, std::string(symbol));
    auto it = books_.find(key);
    if (it == books_.end()) {
      const oms::InstrumentId id{static_cast<std::uint32_t>(books_.size())};
      it = books_.emplace(std::move(key), Book(id)).first;
    }
    return it->second;
  }

  void on_book(const std::string& market, const std::string& where) {
    const auto& m = msg_.book;
    Book& b = book(market, m.symbol.view());
    ++b.messages;
    oms::BookApplyResult r;
    if (m.snapshot) {
      ++b.snapshots;
      // A fresh book: what the old one buffered is older than the snapshot (market_data.hpp).
      b.discarded += b.core.buffered_messages();
      b.core = oms::BookCore(oms::BookCoreConfig{b.core.instrument(), kBybitSequencing});
      oms::bybit::to_book_snapshots(m, b.core.instrument(), snapshots_);
      for (const auto& chunk : snapshots_) r = b.core.apply(chunk);
    } else {
      oms::bybit::to_book_deltas(m, b.core.instrument(), deltas_);
      for (const auto& chunk : deltas_) r = b.core.apply(chunk);
    }
    switch (r.status) {
      case oms::BookApplyStatus::kApplied: applied(b, market); break;
      case oms::BookApplyStatus::kBuffered:
        ++b.buffered;
        if (b.core.state() == oms::BookState::kResyncNeeded) ++b.refused;
        break;
      case oms::BookApplyStatus::kStale: ++b.stale; break;
      case oms::BookApplyStatus::kResyncNeeded:
        ++b.gaps;
        std::fprintf(stderr, "oms-md: %s: %s %s: GAP (%s): expected u=%llu, got %llu\n",
                     where.c_str(), market.c_str(), m.symbol.str().c_str(),
                     oms::to_string(r.issue), static_cast<unsigned long long>(r.expected),
                     static_cast<unsigned long long>(r.got));
        break;
      case oms::BookApplyStatus::kChunkPending:
        error(where, "orderbook message left incomplete");
        break;
    }
  }

  void applied(Book& b, const std::string& market) {
    const auto& m = msg_.book;
    ++b.applied;
    ++rows_;
    const Top top{b.core.best_bid(), b.core.best_ask()};
    std::printf("%s,%s,%llu,%llu,%s\n", market.c_str(), m.symbol.str().c_str(),
                static_cast<unsigned long long>(m.update_id),
                static_cast<unsigned long long>(m.cross_sequence.value_or(0)),
                top_text(top).c_str());
    if (!m.cross_sequence) return;  // option books carry no seq: nothing to cross-check
    const std::uint64_t seq = *m.cross_sequence;
    b.last_seq = seq;
    // Tickers that arrived before this message: at its seq compared, before it never will be.
    for (auto it = b.pending.begin(); it != b.pending.end() && it->first <= seq;) {
      if (it->first == seq) check(b, top, it->second.ticker, it->second.where);
      else ++b.not_comparable;
      it = b.pending.erase(it);
    }
    b.tops.emplace(seq, top);
    while (b.tops.size() > kKeptTops) b.tops.erase(b.tops.begin());
  }

  void on_ticker(const std::string& market, const std::string& where) {
    ++tickers_;
    const auto& t = msg_.ticker;
    if (!carries_top(t) || !t.cross_sequence) return;
    ++tickers_with_top_;
    Book& b = book(market, t.symbol.view());
    const std::uint64_t cs = *t.cross_sequence;
    if (const auto it = b.tops.find(cs); it != b.tops.end()) {
      check(b, it->second, t, where);
    } else if (cs > b.last_seq) {
      b.pending.emplace(cs, Pending{t, where});
    } else {
      ++b.not_comparable;  // between two book messages: the book at cs was never sent
    }
  }

  void check(Book& b, const Top& top, const oms::bybit::Ticker& t, const std::string& where) {
    ++b.checked;
    const auto price = [](const std::optional<oms::PriceLevel>& l) {
      return l ? std::optional<oms::Decimal>(l->price) : std::nullopt;
    };
    const auto qty = [](const std::optional<oms::PriceLevel>& l) {
      return l ? std::optional<oms::Decimal>(l->quantity) : std::nullopt;
    };
    if (same(t.bid1_price, price(top.bid)) && same(t.bid1_size, qty(top.bid)) &&
        same(t.ask1_price, price(top.ask)) && same(t.ask1_size, qty(top.ask)))
      return;
    ++b.mismatches;
    std::fprintf(stderr,
                 "oms-md: %s: MISMATCH %s at cs=%llu: ticker bid1 %s %s / ask1 %s %s, book %s\n",
                 where.c_str(), t.symbol.str().c_str(),
                 static_cast<unsigned long long>(t.cross_sequence.value_or(0)),
                 field_text(t.bid1_price).c_str(), field_text(t.bid1_size).c_str(),
                 field_text(t.ask1_price).c_str(), field_text(t.ask1_size).c_str(),
                 top_text(top).c_str());
  }

  static std::string field_text(const oms::bybit::TickerField<oms::Decimal>& f) {
    if (!f.present()) return "(absent)";
    if (!f.has_value()) return "(empty)";
    return f.value.to_string();
  }

  std::string number(oms::Decimal d) const {
    if (fixed_ < 0) return d.to_string();
    auto s = d.to_fixed(fixed_);
    if (!s) throw std::runtime_error("--fixed " + std::to_string(fixed_) + ": " + d.to_string() +
                                     " needs more digits");
    return *s;
  }
  std::string top_text(const Top& t) const {
    std::string out;
    if (t.bid) out += number(t.bid->price) + "," + number(t.bid->quantity);
    else out += ",";
    out += ",";
    if (t.ask) out += number(t.ask->price) + "," + number(t.ask->quantity);
    else out += ",";
    return out;
  }

  void error(const std::string& where, std::string_view what) {
    ++errors_;
    std::fprintf(stderr, "oms-md: %s: %.*s\n", where.c_str(), static_cast<int>(what.size()),
                 what.data());
  }

  int fixed_;
  od::parser record_parser_;
  oms::bybit::JsonParser parser_;
  oms::bybit::MarketMessage msg_;
  std::vector<oms::BookDelta> deltas_;
  std::vector<oms::BookSnapshot> snapshots_;
  std::map<std::string, std::string> conn_market_;           // conn -> linear / spot / ...
  std::map<std::pair<std::string, std::string>, Book> books_;  // (market, symbol)
  std::size_t records_ = 0, recvs_ = 0, sends_ = 0, connects_ = 0, https_ = 0, other_records_ = 0;
  std::size_t errors_ = 0, rows_ = 0, trades_ = 0, trade_messages_ = 0, tickers_ = 0;
  std::size_t tickers_with_top_ = 0, op_replies_ = 0, op_failures_ = 0, other_topics_ = 0;
};

}  // namespace

int run_bybit(const std::vector<std::string>& files, int fixed) {
  BybitReplay replay(fixed);
  std::string line;
  for (const auto& file : files) {
    try {
      ZstdLines lines(file);
      std::size_t n = 0;
      while (lines.next(line)) {
        ++n;
        if (line.empty()) continue;
        replay.line(line, file + ":" + std::to_string(n));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "oms-md: %s: %s\n", file.c_str(), e.what());
      return 66;
    }
  }
  std::fflush(stdout);
  return replay.finish();
}

}  // namespace oms_md
