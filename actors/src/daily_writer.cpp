#include "oms/actors/daily_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "oms/persistence/stream_layout.hpp"

namespace oms::actors {

namespace {

namespace fs = std::filesystem;

// A file's text, plain or gzip (concatenated members); empty when it cannot be read.
std::string read_text(const fs::path& path) {
  std::string out;
  if (path.extension() == ".gz") {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) return out;
    char buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    gzclose(f);
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return out;
}

// "seq" of a trades line: {"seq":N,...}; 0 when the line is not one.
std::uint64_t seq_of(std::string_view line) {
  constexpr std::string_view kHead = "{\"seq\":";
  if (!line.starts_with(kHead)) return 0;
  std::uint64_t v = 0;
  const char* p = line.data() + kHead.size();
  std::from_chars(p, line.data() + line.size(), v);
  return v;
}

std::string day_text(std::int32_t day) {
  const std::time_t t = static_cast<std::time_t>(day) * 86'400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string e18_text(Int128 v) {
  Decimal d;
  return round_e18(v, d) ? d.to_string() : std::string("overflow");
}
// The same for a day's figure: "overflow" where it could not be had (a - b left 128 bits, or the
// positions' own sums did), never a wrapped number.
std::string e18_text(std::optional<Int128> v) { return v ? e18_text(*v) : std::string("overflow"); }
std::optional<Int128> minus(std::optional<Int128> a, std::optional<Int128> b) {
  Int128 r = 0;
  if (!a || !b || __builtin_sub_overflow(*a, *b, &r)) return std::nullopt;
  return r;
}
// Whether the account's figures in `quote` left 128 bits somewhere (PnlFigures::overflow).
bool overflowed(const PositionCore& positions, AccountId account, std::string_view quote) {
  for (const auto& p : positions.account_pnl(account)) {
    if (p.quote.view() == quote) return p.overflow;
  }
  return false;
}

constexpr std::string_view kPnlHeader = "date,quote,fills,volume,fees,realized_pnl,net_pnl";

}  // namespace

DailyWriter::DailyWriter(persistence::EventStore& store, persistence::DailyFiles& files,
                         const Directory& directory, const InstrumentTable& instruments,
                         std::vector<DailyAccount> accounts)
    : store_(store), files_(files), directory_(directory), instruments_(instruments),
      positions_(instruments, directory.accounts.size()) {
  for (auto& a : accounts) accounts_.push_back(Account{std::move(a), false, 0, 0, 0, 0, {}});
}

// The last fill already in the files: the last line of the account's newest trades file.
Result<Unit, std::string> DailyWriter::start(Account& a) {
  a.started = true;
  const fs::path any = files_.path_for(persistence::DailyKind::kTrades, a.cfg.name, 0);
  const fs::path account_dir_name = any.parent_path().filename();
  const fs::path logs = any.parent_path().parent_path().parent_path().parent_path().parent_path();
  std::error_code ec;
  if (!fs::exists(logs, ec)) return Unit{};
  // Days, newest first: logs/YYYY/MM/DD.
  std::vector<fs::path> days;
  for (const auto& y : fs::directory_iterator(logs, ec)) {
    if (!y.is_directory()) continue;
    for (const auto& m : fs::directory_iterator(y.path(), ec)) {
      if (!m.is_directory()) continue;
      for (const auto& d : fs::directory_iterator(m.path(), ec)) {
        if (d.is_directory()) days.push_back(d.path());
      }
    }
  }
  std::sort(days.rbegin(), days.rend());
  for (const auto& d : days) {
    for (const char* name : {"trades.jsonl", "trades.jsonl.gz"}) {
      const fs::path f = d / account_dir_name / name;
      if (!fs::exists(f, ec)) continue;
      const std::string text = read_text(f);
      std::size_t end = text.size();
      while (end > 0 && text[end - 1] == '\n') --end;
      const std::size_t begin = text.rfind('\n', end == 0 ? 0 : end - 1);
      const std::string_view last(text.data() + (begin == std::string::npos ? 0 : begin + 1),
                                  end - (begin == std::string::npos ? 0 : begin + 1));
      a.written = std::max(a.written, seq_of(last));
    }
    if (a.written != 0) break;
  }
  return Unit{};
}

Int128 DailyWriter::realized(AccountId account, std::string_view quote) const {
  for (const auto& p : positions_.account_pnl(account)) {
    if (p.quote.view() == quote) return p.realized_e18;
  }
  return 0;
}

Int128 DailyWriter::fees(AccountId account, std::string_view quote) const {
  for (const auto& p : positions_.account_pnl(account)) {
    if (p.quote.view() == quote) return p.fees_e18;
  }
  return 0;
}

Result<Unit, std::string> DailyWriter::on_fill(Account& a, std::uint64_t seq, const Event& e,
                                              std::string_view payload) {
  const auto& fill = std::get<FillReceived>(e.payload);
  const TimeNs t = e.envelope.event_time != 0 ? e.envelope.event_time : e.envelope.init_time;
  const std::int32_t day = persistence::utc_day(t);
  if (a.day != 0 && day > a.day) {
    if (auto c = close_day(a); !c) return c;
  }
  if (a.day == 0 || day > a.day) a.day = day;
  const InstrumentAssets* ins = instruments_.find(fill.instrument);
  const std::string quote = ins == nullptr ? std::string()
                            : std::string(ins->settle.empty() ? ins->quote.view() : ins->settle.view());
  auto [it, fresh] = a.by_quote.try_emplace(quote);
  if (fresh) {
    it->second.realized_start_e18 = realized(a.cfg.id, quote);
    it->second.fees_start_e18 = fees(a.cfg.id, quote);
  }
  // The positions and the day see every fill once, also those already in the files.
  if (seq > a.folded) {
    if (auto p = positions_.on_fill(fill); !p) {
      return Unexpected(a.cfg.stream + " seq " + std::to_string(seq) + ": a fill the positions refuse");
    }
    ++it->second.fills;
    Int128 volume = 0;  // the positions took the fill: its product fits
    if (!product_e18(fill.price, fill.quantity, volume) ||
        __builtin_add_overflow(it->second.volume_e18, volume, &it->second.volume_e18)) {
      return Unexpected(a.cfg.stream + " seq " + std::to_string(seq) + ": the day's volume is beyond 128 bits");
    }
    a.folded = seq;
  }
  if (seq <= a.written) return Unit{};
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"event\":";
  line += payload;
  line += '}';
  // The strategy's line first: the account's is the mark of a fill done (start()).
  if (fill.strategy.valid() && fill.strategy.index() < directory_.strategies.size()) {
    if (auto w = files_.append_execution(directory_.strategies.name(fill.strategy), t, line); !w) {
      return Unexpected(w.error().message);
    }
  }
  if (auto w = files_.append_trade(a.cfg.name, t, line); !w) return Unexpected(w.error().message);
  a.written = seq;
  ++trades_written_;
  return Unit{};
}

Result<Unit, std::string> DailyWriter::close_day(Account& a) {
  const std::string date = day_text(a.day);
  const TimeNs at = static_cast<TimeNs>(a.day) * 86'400'000'000'000;
  std::string existing;
  bool read = false;
  for (const auto& [quote, f] : a.by_quote) {
    if (!read) {
      const fs::path plain = files_.path_for(persistence::DailyKind::kPnl, a.cfg.name, at);
      existing = read_text(plain);
      existing += read_text(fs::path(plain.string() + ".gz"));
      read = true;
    }
    const std::string key = date + "," + quote + ",";
    if (existing.starts_with(key) || existing.find("\n" + key) != std::string::npos) continue;
    std::optional<Int128> realized_day, fees_day;
    if (!overflowed(positions_, a.cfg.id, quote)) {
      realized_day = minus(realized(a.cfg.id, quote), f.realized_start_e18);
      fees_day = minus(fees(a.cfg.id, quote), f.fees_start_e18);
    }
    const std::string row = key + std::to_string(f.fills) + "," + e18_text(f.volume_e18) + "," +
                            e18_text(fees_day) + "," + e18_text(realized_day) + "," +
                            e18_text(minus(realized_day, fees_day));
    if (auto w = files_.append_pnl_row(a.cfg.name, at, kPnlHeader, row); !w) {
      return Unexpected(w.error().message);
    }
    ++rows_written_;
  }
  a.day = 0;
  a.by_quote.clear();
  return Unit{};
}

Result<Unit, std::string> DailyWriter::catch_up(TimeNs now) {
  for (auto& a : accounts_) {
    if (!a.started) {
      if (auto s = start(a); !s) return s;
    }
    auto last = store_.last_sequence(a.cfg.stream);
    if (!last) return Unexpected(last.error().message);
    if (*last > a.read) {
      persistence::ReadRequest r;
      r.stream = a.cfg.stream;
      r.from_sequence = a.read + 1;
      r.to_sequence = *last;
      std::string failure;
      auto n = store_.read(r, [&](const persistence::StoredRecord& rec) {
        // Only fills are parsed in full; the rest is passed over by its type.
        if (rec.payload.find("\"type\":\"FillReceived\"") == std::string_view::npos) {
          a.read = rec.sequence;
          return true;
        }
        auto e = decode_event_json(rec.payload, directory_);
        if (!e) {
          failure = a.cfg.stream + " seq " + std::to_string(rec.sequence) + ": " + e.error().message;
          return false;
        }
        if (auto f = on_fill(a, rec.sequence, *e, rec.payload); !f) {
          failure = f.error();
          return false;  // read again next time (folded into the positions once)
        }
        a.read = rec.sequence;
        return true;
      });
      if (!n) return Unexpected(a.cfg.stream + ": " + n.error().message);
      if (!failure.empty()) return Unexpected(failure);
    }
    if (a.day != 0 && persistence::utc_day(now) > a.day) {
      if (auto c = close_day(a); !c) return c;
    }
  }
  return catch_up_transfers();
}

// transfers.jsonl: the TRANSFERS stream's steps, each in the month of its event time.
Result<Unit, std::string> DailyWriter::catch_up_transfers() {
  const std::string stream(persistence::StreamLayout::kTransfers);
  if (!transfers_started_) {
    transfers_started_ = true;
    // The last step already written: the last line of the newest month's file.
    const fs::path top = files_.path_for(persistence::DailyKind::kTransfers, {}, 0)
                             .parent_path().parent_path().parent_path();
    std::error_code ec;
    std::vector<fs::path> months;
    if (fs::exists(top, ec)) {
      for (const auto& y : fs::directory_iterator(top, ec)) {
        if (!y.is_directory()) continue;
        for (const auto& m : fs::directory_iterator(y.path(), ec)) {
          if (m.is_directory()) months.push_back(m.path());
        }
      }
    }
    std::sort(months.rbegin(), months.rend());
    for (const auto& m : months) {
      for (const char* name : {"transfers.jsonl", "transfers.jsonl.gz"}) {
        const std::string text = read_text(m / name);
        std::size_t end = text.size();
        while (end > 0 && text[end - 1] == '\n') --end;
        if (end == 0) continue;
        const std::size_t begin = text.rfind('\n', end - 1);
        const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
        transfers_last_line_ = std::max(transfers_last_line_,
                                        seq_of(std::string_view(text.data() + from, end - from)));
      }
      if (transfers_last_line_ != 0) break;
    }
  }
  auto last = store_.last_sequence(stream);
  if (!last) return Unexpected(last.error().message);
  if (*last <= transfers_read_) return Unit{};
  persistence::ReadRequest r;
  r.stream = stream;
  r.from_sequence = transfers_read_ + 1;
  r.to_sequence = *last;
  std::string failure;
  auto n = store_.read(r, [&](const persistence::StoredRecord& rec) {
    const bool step = rec.payload.find("\"type\":\"TransferRequested\"") != std::string_view::npos ||
                      rec.payload.find("\"type\":\"TransferCompleted\"") != std::string_view::npos ||
                      rec.payload.find("\"type\":\"TransferFailed\"") != std::string_view::npos;
    if (!step || rec.sequence <= transfers_last_line_) {
      transfers_read_ = rec.sequence;
      return true;
    }
    auto e = decode_event_json(rec.payload, directory_);
    if (!e) {
      failure = stream + " seq " + std::to_string(rec.sequence) + ": " + e.error().message;
      return false;
    }
    const TimeNs t = e->envelope.event_time != 0 ? e->envelope.event_time : e->envelope.init_time;
    std::string line = "{\"seq\":" + std::to_string(rec.sequence) + ",\"event\":";
    line += rec.payload;
    line += '}';
    if (auto w = files_.append_transfer(t, line); !w) {
      failure = w.error().message;
      return false;
    }
    transfers_read_ = transfers_last_line_ = rec.sequence;
    ++transfers_written_;
    return true;
  });
  if (!n) return Unexpected(stream + ": " + n.error().message);
  if (!failure.empty()) return Unexpected(failure);
  return Unit{};
}

}  // namespace oms::actors
