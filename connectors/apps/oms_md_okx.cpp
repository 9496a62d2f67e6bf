// oms-md --venue okx: cryptofeed raw v1 captures of OKX v5 public streams (plain text lines:
// "<url> <-> <ts>" connect, "<url> <- <ts>: <sent>", "<ts>: <received>") through the live
// parser, one BookChecker (every checksum) and one BookCore per instrument.
#include "oms_md_okx.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "oms/connectors/okx/book_checker.hpp"
#include "oms/connectors/okx/market_data.hpp"
#include "oms/cores/book_core.hpp"

namespace oms_md {
namespace {

using oms::okx::BookCheckStatus;
using oms::okx::MarketMessageKind;

// OKX's book rule through BookCore's spot rule: see okx/market_data.hpp.
constexpr oms::BookSequencing kOkxSequencing = oms::BookSequencing::kBinanceSpot;

struct Top {
  std::optional<oms::PriceLevel> bid, ask;
};

class OkxReplay {
 public:
  explicit OkxReplay(int fixed) : fixed_(fixed) {
    // Every instId of the capture gets the next id and contract value 1: the checksum and the
    // book path are the same for every instType; sizes stay in contracts for derivatives.
    find_ = [this](std::string_view inst_id) -> std::optional<oms::okx::InstrumentRef> {
      auto it = ids_.find(std::string(inst_id));
      if (it == ids_.end())
        it = ids_.emplace(std::string(inst_id),
                          oms::InstrumentId{static_cast<std::uint32_t>(ids_.size())})
                 .first;
      return oms::okx::InstrumentRef{it->second};
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
    const auto parsed = oms::okx::parse_market_data(parser_, text.substr(colon + 2), find_, msg_);
    if (!parsed) {
      error(where, parsed.error().message);
      return;
    }
    switch (*parsed) {
      case MarketMessageKind::kBook: on_book(where); break;
      case MarketMessageKind::kBbo: ++bbos_; break;
      case MarketMessageKind::kTrades:
        ++trade_messages_;
        trades_ += msg_.trades.size();
        break;
      case MarketMessageKind::kTicker: ++book(msg_.ticker.inst_id.str()).tickers; break;
      case MarketMessageKind::kEvent:
        ++events_;
        if (msg_.event.is_error()) {
          ++event_errors_;
          std::fprintf(stderr, "oms-md: %s: event %s failed: code %lld %s\n", where.c_str(),
                       msg_.event.event.str().c_str(),
                       static_cast<long long>(msg_.event.code.value_or(0)), msg_.event.msg.c_str());
        }
        break;
      case MarketMessageKind::kPong: ++pongs_; break;
      case MarketMessageKind::kOther: ++other_; break;
    }
  }

  int finish() {
    std::size_t snapshots = 0, updates = 0, verified = 0, mismatches = 0, gaps = 0,
                refused = 0, no_change = 0, applied = 0, top_mismatches = 0, tickers = 0;
    for (auto& [inst, b] : books_) {
      std::fprintf(stderr,
                   "oms-md: okx %s: snapshots %zu, updates %zu (no change %zu); checksums "
                   "verified %zu, mismatches %zu; gaps %zu; refused until a snapshot %zu; "
                   "applied %zu; book %s at %llu (%s); BookCore vs checker top differences %zu; "
                   "tickers %zu\n",
                   inst.c_str(), b.snapshots, b.updates, b.no_change, b.verified, b.mismatches,
                   b.gaps, b.refused, b.applied, oms::to_string(b.core.state()),
                   static_cast<unsigned long long>(b.core.last_update_id()),
                   b.venue_ids ? "venue seqId" : "ids synthesized", b.top_mismatches, b.tickers);
      snapshots += b.snapshots;
      updates += b.updates;
      no_change += b.no_change;
      verified += b.verified;
      mismatches += b.mismatches;
      gaps += b.gaps;
      refused += b.refused;
      applied += b.applied;
      top_mismatches += b.top_mismatches;
      tickers += b.tickers;
    }
    std::fprintf(stderr,
                 "oms-md: okx: instruments %zu; snapshots %zu, updates %zu (no change %zu); "
                 "checksums verified %zu, mismatches %zu; gaps %zu; refused until a snapshot %zu; "
                 "applied %zu; BookCore vs checker top differences %zu; parse errors %zu; rows %zu; "
                 "trades %zu in %zu messages; tickers %zu; bbo %zu; events %zu (failed %zu); "
                 "pongs %zu; other %zu; lines %zu (received %zu, sent %zu, connect %zu)\n",
                 books_.size(), snapshots, updates, no_change, verified, mismatches, gaps,
                 refused, applied, top_mismatches, errors_, rows_, trades_, trade_messages_,
                 tickers, bbos_, events_, event_errors_, pongs_, other_, lines_, received_,
                 sends_, connects_);
    if (mismatches > 0 || top_mismatches > 0) return 1;
    if (gaps > 0 || errors_ > 0 || refused > 0) return 2;
    return 0;
  }

 private:
  struct Book {
    explicit Book(oms::InstrumentId id) : core(oms::BookCoreConfig{id, kOkxSequencing}) {}
    oms::okx::BookChecker checker;
    oms::BookCore core;
    bool venue_ids = false;
    std::size_t snapshots = 0, updates = 0, no_change = 0, verified = 0, mismatches = 0,
                gaps = 0, refused = 0, applied = 0, top_mismatches = 0, tickers = 0;
  };

  Book& book(const std::string& inst) {
    auto it = books_.find(inst);
    if (it == books_.end()) {
      const auto ref = find_(inst);
      it = books_.emplace(inst, Book(ref->id)).first;
    }
    return it->second;
  }

  void on_book(const std::string& where) {
    const auto& m = msg_.book;
    const std::string inst = m.inst_id.str();
    Book& b = book(inst);
    ++(m.snapshot ? b.snapshots : b.updates);
    const auto r = b.checker.apply(m);
    if (r.compared && r.status != BookCheckStatus::kChecksumMismatch) ++b.verified;
    switch (r.status) {
      case BookCheckStatus::kVerified: break;
      case BookCheckStatus::kHeartbeat: ++b.no_change; return;  // nothing for BookCore
      case BookCheckStatus::kChecksumMismatch:
        ++b.mismatches;
        std::fprintf(stderr, "oms-md: %s: %s: CHECKSUM MISMATCH: message %d, book %d; "
                             "resubscribe\n",
                     where.c_str(), inst.c_str(), r.expected, r.computed);
        return;
      case BookCheckStatus::kSequenceGap:
        ++b.gaps;
        std::fprintf(stderr, "oms-md: %s: %s: GAP: prevSeqId %llu, the last seqId %llu\n",
                     where.c_str(), inst.c_str(), static_cast<unsigned long long>(r.gap_got),
                     static_cast<unsigned long long>(r.gap_expected));
        return;
      case BookCheckStatus::kSequenceReset:
      case BookCheckStatus::kSequenceMixed:
        ++b.gaps;
        std::fprintf(stderr, "oms-md: %s: %s: %s; resubscribe\n", where.c_str(), inst.c_str(),
                     oms::okx::to_string(r.status));
        return;
      case BookCheckStatus::kNoSnapshot: ++b.refused; return;
    }
    oms::BookApplyResult res;
    if (m.snapshot) {
      b.venue_ids = m.seq_id.has_value();
      // A fresh book: what the old one buffered is older than the snapshot (as for Bybit).
      b.core = oms::BookCore(oms::BookCoreConfig{b.core.instrument(), kOkxSequencing});
      oms::okx::to_book_snapshots(m, r.sequence.seq_id, snapshots_);
      for (const auto& chunk : snapshots_) res = b.core.apply(chunk);
    } else {
      oms::okx::to_book_deltas(m, r.sequence, deltas_);
      for (const auto& chunk : deltas_) res = b.core.apply(chunk);
    }
    if (res.status != oms::BookApplyStatus::kApplied) {
      ++b.gaps;
      std::fprintf(stderr, "oms-md: %s: %s: BookCore %s (%s): expected %llu, got %llu\n",
                   where.c_str(), inst.c_str(), oms::to_string(res.status),
                   oms::to_string(res.issue), static_cast<unsigned long long>(res.expected),
                   static_cast<unsigned long long>(res.got));
      return;
    }
    ++b.applied;
    const Top top{b.core.best_bid(), b.core.best_ask()};
    if (!same_top(b, top)) {
      ++b.top_mismatches;
      std::fprintf(stderr, "oms-md: %s: %s: BookCore's top %s differs from the checked book's\n",
                   where.c_str(), inst.c_str(), top_text(top).c_str());
    }
    ++rows_;
    std::printf("%s,%llu,%d,%s\n", inst.c_str(),
                static_cast<unsigned long long>(r.sequence.seq_id), m.checksum.value_or(0),
                top_text(top).c_str());
  }

  // BookCore's best levels against the checker's texts (read exactly).
  static bool same_top(const Book& b, const Top& top) {
    const auto side = [&](oms::BookSide s, const std::optional<oms::PriceLevel>& l) {
      if (b.checker.level_count(s) == 0) return !l.has_value();
      if (!l) return false;
      const auto t = b.checker.level(s, 0);
      const auto price = oms::Decimal::parse(t.price), size = oms::Decimal::parse(t.size);
      return price && size && *price == l->price && *size == l->quantity;
    };
    return side(oms::BookSide::kBid, top.bid) && side(oms::BookSide::kAsk, top.ask);
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
  oms::okx::JsonParser parser_;
  oms::okx::MarketMessage msg_;
  oms::okx::InstrumentFinder find_;
  std::map<std::string, oms::InstrumentId> ids_;
  std::vector<oms::BookDelta> deltas_;
  std::vector<oms::BookSnapshot> snapshots_;
  std::map<std::string, Book> books_;
  std::size_t lines_ = 0, received_ = 0, sends_ = 0, connects_ = 0, errors_ = 0, rows_ = 0;
  std::size_t trades_ = 0, trade_messages_ = 0, bbos_ = 0, events_ = 0, event_errors_ = 0;
  std::size_t pongs_ = 0, other_ = 0;
};

}  // namespace

int run_okx(const std::vector<std::string>& files, int fixed) {
  OkxReplay replay(fixed);
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
