// oms-md: replays recorded Binance raw streams (hftbacktest format) through the live parser
// and BookCore, prints the top of book after every applied depth update, and cross-checks the
// book against the venue's own bookTicker. --venue bybit does the same for Bybit v5 captures
// (oms_md_bybit.cpp), --venue okx for OKX v5 captures with every book checksum verified
// (oms_md_okx.cpp), --venue upbit for Upbit captures (oms_md_upbit.cpp).
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "oms/cores/book_core.hpp"
#include "oms/connectors/binance/market_data.hpp"
#include "oms_md_bybit.hpp"
#include "oms_md_okx.hpp"
#include "oms_md_upbit.hpp"

namespace {

constexpr const char* kHelp = R"(usage: oms-md [--fixed N] [--market spot|futures] FILE.gz [FILE.gz ...]
       oms-md --venue bybit [--fixed N] FILE.jsonl.zst [FILE.jsonl.zst ...]
       oms-md --venue okx [--fixed N] FILE [FILE ...]
       oms-md --venue upbit [--fixed N] FILE [FILE ...]

--venue binance (the default):
Replays recorded Binance raw streams (hftbacktest collector format: gzip, one
"<recv_ns> <raw JSON>" per line: combined-stream depth diffs, bookTicker and trades,
plus a bare REST depth snapshot line) through the same parser and BookCore as live.
Several files given in order are one continuous stream (e.g. ..._20240808.gz then
..._20240809.gz). One symbol per stream (spot, USD-M or COIN-M).

stdout: CSV, no header, one row per applied depth update:
          update_id,best_bid,bid_qty,best_ask,ask_qty
        (an empty side prints empty fields). A diff applied on its own gives one row with
        its final id u; applying the snapshot (with the buffered diffs it replays) gives
        one row with the id the book is at afterwards.
        Decimals are NORMALIZED: the exact value in canonical shortest form
        ("61837.63", not the venue's "61837.63000000"); --fixed N prints N fractional
        digits instead (an error if a value needs more).
stderr: diagnostics: snapshot buffering, gaps (expected/got ids, file:line), parse
        errors, and a summary with the bookTicker cross-check: every bookTicker whose
        update id u equals an applied depth update's u must show the same best bid/ask
        prices and quantities as the book after that update.

--venue bybit:
Replays Bybit v5 public WebSocket captures in cryptofeed's format 2 (zstd JSON lines: a
header, then {"t":"connect","conn":..,"addr":"wss://stream.bybit.com/v5/public/linear"}
naming each connection's market, {"t":"recv","conn":..,"data":"<message>"}, "send" and
"http" records) through the same parser and BookCore as live. Several files given in order
are one capture. One book per (market of the connection, symbol), fed every orderbook
message: a snapshot replaces the book (also mid-stream, whatever its u; deltas held while
the book waited for it are older and are discarded), a delta must have u == previous u + 1
(BookCore's spot rule with U = u = the delta's u); anything else is a gap.

stdout: CSV, no header, one row per applied orderbook message:
          market,symbol,u,seq,best_bid,bid_qty,best_ask,ask_qty
        decimals as for Binance (NORMALIZED, or --fixed N).
stderr: diagnostics (gaps, parse errors, failed op replies), one summary line per book and
        a total ("oms-md: bybit: ..."), with the tickers cross-check: a tickers message that
        carries bid1Price/bid1Size/ask1Price/ask1Size and whose cs equals the seq of an
        applied orderbook message of the same market and symbol must show exactly that
        book's best bid/ask in every one of those fields it carries ("" = that side empty).
        Tickers and books are pushed on their own ~100 ms clocks, so a ticker's cs usually
        falls between two book messages: the book at that cs was never sent, and the books
        just before and after may legitimately differ from it, so such tickers are counted
        "not comparable" and never compared. (In the cryptofeed BYBIT capture of 2026-08-09
        no linear ticker's cs equals an orderbook.200 seq.)

--venue okx:
Replays OKX v5 public WebSocket captures in cryptofeed's raw v1 text format ("<url> <-> <ts>"
connect lines, "<url> <- <ts>: <sent>" lines, "<ts>: <received>" lines) through the same
parser as live, one BookChecker and one BookCore per instId. Every books snapshot and update
goes through the checker: the book kept as the venue's texts, the CRC32 checksum of its top 25
levels compared with the message's, and the seqId chain (prevSeqId == the last seqId; an update
with seqId == prevSeqId changes nothing and is only checked). Captures without seqId (OKX before
it added them, e.g. the 2022 cryptofeed capture) get consecutive ids per instrument: the
checksum is then the only integrity check. A checked message goes to BookCore (spot rule with
U = prevSeqId + 1, u = seqId; a snapshot to a fresh book), whose best bid/ask must equal the
checker's. After a mismatch or a gap the instrument's updates are refused until its next
snapshot (live: resubscribe). Every instrument has contract value 1: derivative sizes stay in
contracts. Tickers are counted, not compared: OKX pushes them on their own clock (in the 2022
capture no ticker's bid/ask equals the book at the latest book message before it).

stdout: CSV, no header, one row per applied book message:
          instId,seqId,checksum,best_bid,bid_qty,best_ask,ask_qty
        decimals as for Binance (NORMALIZED, or --fixed N).
stderr: diagnostics (mismatches, gaps, parse errors, failed events), one summary line per
        instrument and a total ("oms-md: okx: ...").

--venue upbit:
Replays Upbit public WebSocket captures in cryptofeed's raw v1 text format (as for okx; the
received payloads written as Python bytes literals b'...', unescaped first) through the same
parser as live (DEFAULT and SIMPLE field names), one BookCore per market. Every orderbook
message is a whole top-N snapshot and replaces the market's book; its update id is the message
timestamp, or the previous id + 1 where the timestamp did not advance (counted). BookCore's
best bid / ask after each must equal the message's first unit. Trades are counted per market
and taker side (ask_bid), with sequential ids that do not increase counted.

stdout: CSV, no header, one row per applied orderbook message:
          code,update_id,best_bid,bid_qty,best_ask,ask_qty
        decimals as for Binance (NORMALIZED, or --fixed N).
stderr: diagnostics (parse errors, venue errors, books BookCore refused), one summary line
        per market and a total ("oms-md: upbit: ...").

options:
  --venue binance|bybit|okx|upbit  the recording's venue and format (default binance)
  --market spot|futures  Binance only: sequence rule (default: detected from the first
                         diff: futures diffs carry "pu")
  --fixed N              print decimals with N (0..8) fractional digits
  -h, --help             this text

exit status: 0 when every line parsed, no gap was seen and no cross-check mismatched;
             1 on a cross-check mismatch (okx: a checksum mismatch; upbit: BookCore's top not the
             message's); 2 on a gap or a parse error; 64 on bad usage;
             66 when a file cannot be read.
)";

struct Options {
  std::vector<std::string> files;
  bool bybit = false;  // --venue bybit
  bool okx = false;    // --venue okx
  bool upbit = false;  // --venue upbit
  std::optional<oms::BookSequencing> sequencing;
  int fixed = -1;
};

// Reads a gzip file line by line.
class GzLines {
 public:
  explicit GzLines(const std::string& path) : file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw std::runtime_error("cannot open " + path);
    (void)gzbuffer(file_, 1 << 17);
  }
  ~GzLines() { gzclose(file_); }
  GzLines(const GzLines&) = delete;
  GzLines& operator=(const GzLines&) = delete;

  // The next line without its newline; false at the end (error: throws).
  bool next(std::string& line) {
    line.clear();
    for (;;) {
      if (pos_ < len_) {
        const char* start = buf_.data() + pos_;
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
      const int got = gzread(file_, buf_.data(), static_cast<unsigned>(buf_.size()));
      if (got < 0) {
        int err = 0;
        throw std::runtime_error(std::string("gzip read error: ") + gzerror(file_, &err));
      }
      if (got == 0) return !line.empty();
      pos_ = 0;
      len_ = static_cast<std::size_t>(got);
    }
  }

 private:
  gzFile file_;
  std::vector<char> buf_ = std::vector<char>(1 << 17);
  std::size_t pos_ = 0, len_ = 0;
};

struct Top {
  std::optional<oms::PriceLevel> bid, ask;
};

bool same_top(const Top& t, const oms::binance::BookTicker& b) {
  return t.bid && t.ask && t.bid->price == b.bid_price && t.bid->quantity == b.bid_qty &&
         t.ask->price == b.ask_price && t.ask->quantity == b.ask_qty;
}

class Replay {
 public:
  explicit Replay(const Options& o) : options_(o) {}

  void line(std::string_view text, const std::string& where) {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) {
      error(where, "expected '<recv_ns> <json>'");
      return;
    }
    const auto parsed = oms::binance::parse_market_data(parser_, text.substr(space + 1), msg_);
    if (!parsed) {
      error(where, parsed.error().message);
      return;
    }
    switch (*parsed) {
      case oms::binance::MarketMessageKind::kDepthUpdate: on_depth(where); break;
      case oms::binance::MarketMessageKind::kDepthSnapshot: on_snapshot(where); break;
      case oms::binance::MarketMessageKind::kBookTicker: on_book_ticker(where); break;
      default: ++other_;
    }
  }

  int finish() {
    std::fprintf(stderr,
                 "oms-md: %s: depth updates received %zu, applied %zu, buffered %zu, stale %zu, "
                 "refused after a gap %zu; snapshots %zu; gaps %zu; parse errors %zu; rows %zu; "
                 "bookTicker cross-checked %zu, mismatches %zu; book state %s at %llu\n",
                 symbol_.c_str(), received_, applied_, buffered_, stale_, refused_, snapshots_,
                 gaps_, errors_, rows_, checked_, mismatches_,
                 book_ ? oms::to_string(book_->state()) : "none",
                 static_cast<unsigned long long>(book_ ? book_->last_update_id() : 0));
    if (mismatches_ > 0) return 1;
    if (gaps_ > 0 || errors_ > 0) return 2;
    return 0;
  }

 private:
  void error(const std::string& where, std::string_view what) {
    ++errors_;
    std::fprintf(stderr, "oms-md: %s: %.*s\n", where.c_str(), static_cast<int>(what.size()),
                 what.data());
  }

  bool ensure_book(const std::string& where, std::optional<oms::BookSequencing> detected) {
    if (book_) return true;
    auto seq = options_.sequencing ? options_.sequencing : detected;
    if (!seq) return false;
    book_.emplace(oms::BookCoreConfig{oms::InstrumentId{0}, *seq});
    std::fprintf(stderr, "oms-md: %s: book for %s with %s sequencing\n", where.c_str(),
                 symbol_.c_str(), *seq == oms::BookSequencing::kBinanceSpot ? "spot" : "futures");
    if (pending_snapshot_) {
      std::fprintf(stderr, "oms-md: %s: applying the snapshot held for the first diff\n",
                   where.c_str());
      apply_snapshot(*pending_snapshot_, pending_snapshot_where_);
      pending_snapshot_.reset();
    }
    return true;
  }

  void on_depth(const std::string& where) {
    const auto& d = msg_.depth;
    if (symbol_.empty()) symbol_ = std::string(d.symbol.view());
    if (d.symbol.view() != symbol_) {
      error(where, "depthUpdate for " + std::string(d.symbol.view()) + " in a " + symbol_ +
                       " stream (one symbol per stream)");
      return;
    }
    ++received_;
    (void)ensure_book(where, d.has_prev_update_id ? oms::BookSequencing::kBinanceFutures
                                                  : oms::BookSequencing::kBinanceSpot);
    oms::binance::to_book_deltas(d, book_->instrument(), deltas_);
    oms::BookApplyResult r;
    for (const auto& delta : deltas_) r = book_->apply(delta);
    switch (r.status) {
      case oms::BookApplyStatus::kApplied: {
        ++applied_;
        row(d.last_update_id);
        break;
      }
      case oms::BookApplyStatus::kBuffered:
        ++buffered_;
        if (book_->state() == oms::BookState::kResyncNeeded) ++refused_;
        else
          std::fprintf(stderr, "oms-md: %s: diff U=%llu u=%llu buffered until the snapshot (%zu)\n",
                       where.c_str(), static_cast<unsigned long long>(d.first_update_id),
                       static_cast<unsigned long long>(d.last_update_id),
                       book_->buffered_messages());
        break;
      case oms::BookApplyStatus::kStale: ++stale_; break;
      case oms::BookApplyStatus::kResyncNeeded: report_gap(where, r); break;
      case oms::BookApplyStatus::kChunkPending: error(where, "diff left incomplete"); break;
    }
  }

  void report_gap(const std::string& where, const oms::BookApplyResult& r) {
    ++gaps_;
    std::fprintf(stderr, "oms-md: %s: GAP (%s): expected %llu, got %llu; book needs a resync\n",
                 where.c_str(), oms::to_string(r.issue),
                 static_cast<unsigned long long>(r.expected),
                 static_cast<unsigned long long>(r.got));
  }

  void on_snapshot(const std::string& where) {
    ++snapshots_;
    if (!book_ && !ensure_book(where, std::nullopt)) {
      pending_snapshot_ = msg_.snapshot;  // sequencing unknown until the first diff
      pending_snapshot_where_ = where;
      return;
    }
    apply_snapshot(msg_.snapshot, where);
  }

  void apply_snapshot(const oms::binance::DepthSnapshot& s, const std::string& where) {
    const std::size_t waiting = book_->buffered_messages();
    oms::binance::to_book_snapshots(s, book_->instrument(), snapshots_out_);
    oms::BookApplyResult r;
    for (const auto& chunk : snapshots_out_) r = book_->apply(chunk);
    std::fprintf(stderr,
                 "oms-md: %s: snapshot lastUpdateId=%llu (%zu bids, %zu asks) with %zu buffered "
                 "diffs -> %s at %llu\n",
                 where.c_str(), static_cast<unsigned long long>(s.last_update_id), s.bids.size(),
                 s.asks.size(), waiting, oms::to_string(book_->state()),
                 static_cast<unsigned long long>(book_->last_update_id()));
    if (r.status == oms::BookApplyStatus::kApplied) {
      ++applied_;
      row(book_->last_update_id());
    } else if (r.status == oms::BookApplyStatus::kResyncNeeded) {
      report_gap(where, r);
    }
  }

  void on_book_ticker(const std::string& where) {
    const auto& t = msg_.book_ticker;
    if (!symbol_.empty() && t.symbol.view() != symbol_) {
      error(where, "bookTicker for " + std::string(t.symbol.view()) + " in a " + symbol_ +
                       " stream");
      return;
    }
    const auto it = applied_tops_.find(t.update_id);
    if (it != applied_tops_.end()) {
      check(it->second, t, where);
    } else if (!book_ || t.update_id > book_->last_update_id()) {
      pending_tickers_.emplace(t.update_id, Pending{t, where});
    }
  }

  void check(const Top& top, const oms::binance::BookTicker& t, const std::string& where) {
    ++checked_;
    if (same_top(top, t)) return;
    ++mismatches_;
    std::fprintf(stderr, "oms-md: %s: MISMATCH at u=%llu: bookTicker %s %s / %s %s, book %s\n",
                 where.c_str(), static_cast<unsigned long long>(t.update_id),
                 t.bid_price.to_string().c_str(), t.bid_qty.to_string().c_str(),
                 t.ask_price.to_string().c_str(), t.ask_qty.to_string().c_str(),
                 top_text(top).c_str());
  }

  std::string number(oms::Decimal d) const {
    if (options_.fixed < 0) return d.to_string();
    auto s = d.to_fixed(options_.fixed);
    if (!s) throw std::runtime_error("--fixed " + std::to_string(options_.fixed) + ": " +
                                     d.to_string() + " needs more digits");
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

  void row(std::uint64_t update_id) {
    Top top{book_->best_bid(), book_->best_ask()};
    ++rows_;
    std::printf("%llu,%s\n", static_cast<unsigned long long>(update_id), top_text(top).c_str());
    // bookTickers that arrived before this update, then keep it for later ones.
    auto it = pending_tickers_.find(update_id);
    if (it != pending_tickers_.end()) check(top, it->second.ticker, it->second.where);
    pending_tickers_.erase(pending_tickers_.begin(), pending_tickers_.upper_bound(update_id));
    applied_tops_.emplace(update_id, top);
    while (applied_tops_.size() > kKeptTops) applied_tops_.erase(applied_tops_.begin());
  }

  static constexpr std::size_t kKeptTops = 1 << 16;
  struct Pending {
    oms::binance::BookTicker ticker;
    std::string where;
  };

  const Options& options_;
  oms::binance::JsonParser parser_;
  oms::binance::MarketMessage msg_;
  std::vector<oms::BookDelta> deltas_;
  std::vector<oms::BookSnapshot> snapshots_out_;
  std::optional<oms::BookCore> book_;
  std::optional<oms::binance::DepthSnapshot> pending_snapshot_;
  std::string pending_snapshot_where_;
  std::string symbol_;
  std::map<std::uint64_t, Top> applied_tops_;
  std::map<std::uint64_t, Pending> pending_tickers_;
  std::size_t received_ = 0, applied_ = 0, buffered_ = 0, stale_ = 0, refused_ = 0;
  std::size_t snapshots_ = 0, gaps_ = 0, errors_ = 0, rows_ = 0, other_ = 0;
  std::size_t checked_ = 0, mismatches_ = 0;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    } else if (a == "--venue" && i + 1 < argc) {
      const std::string_view v = argv[++i];
      if (v == "bybit") o.bybit = true;
      else if (v == "okx") o.okx = true;
      else if (v == "upbit") o.upbit = true;
      else if (v != "binance")
        throw std::invalid_argument("--venue: expected binance, bybit, okx or upbit, got " +
                                    std::string(v));
    } else if (a == "--market" && i + 1 < argc) {
      const std::string_view m = argv[++i];
      if (m == "spot") o.sequencing = oms::BookSequencing::kBinanceSpot;
      else if (m == "futures") o.sequencing = oms::BookSequencing::kBinanceFutures;
      else throw std::invalid_argument("--market: expected spot or futures, got " + std::string(m));
    } else if (a == "--fixed" && i + 1 < argc) {
      const std::string v = argv[++i];
      if (v.size() != 1 || v[0] < '0' || v[0] > '8')
        throw std::invalid_argument("--fixed: expected 0..8, got " + v);
      o.fixed = v[0] - '0';
    } else if (!a.empty() && a[0] == '-') {
      throw std::invalid_argument("unknown option " + std::string(a));
    } else {
      o.files.emplace_back(a);
    }
  }
  if (o.files.empty()) throw std::invalid_argument("no input file");
  if ((o.bybit || o.okx || o.upbit) && o.sequencing) throw std::invalid_argument("--market: Binance only");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oms-md: %s\n%s", e.what(), kHelp);
    return 64;
  }
  if (options.bybit) return oms_md::run_bybit(options.files, options.fixed);
  if (options.okx) return oms_md::run_okx(options.files, options.fixed);
  if (options.upbit) return oms_md::run_upbit(options.files, options.fixed);
  Replay replay(options);
  std::string line;
  for (const auto& file : options.files) {
    try {
      GzLines lines(file);
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
