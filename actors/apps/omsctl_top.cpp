#include "omsctl_top.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oms/actors/state_board.hpp"

namespace oms::omsctl {
namespace {

using actors::board_text;
using actors::BoardSection;
using actors::StateBoard;

constexpr int kRefreshMs = 250;  // ~4 frames a second: live, yet no load on a 2-core box

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) {
  g_stop = 1;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dec(oms::actors::BoardDecimal d) {
  return d.value().to_string();
}

// How long ago: 0.3s, 42.0s, 17m, 5h, 3d.
std::string age(std::int64_t then, std::int64_t now) {
  if (then <= 0) return "-";
  const double s = static_cast<double>(std::max<std::int64_t>(0, now - then)) / 1e9;
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%.0fm", s / 60);
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%.0fh", s / 3600);
  else
    std::snprintf(buf, sizeof buf, "%.0fd", s / 86400);
  return buf;
}

// Aligned columns; numeric columns (`right`) are right-aligned.
struct Table {
  std::vector<std::string> header;
  std::vector<bool> right;
  std::vector<std::vector<std::string>> rows;

  void render(std::vector<std::string>& out) const {
    std::vector<std::size_t> width(header.size(), 0);
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    for (const auto& r : rows)
      for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    const auto line = [&](const std::vector<std::string>& cells) {
      std::string s = " ";
      for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::string pad(width[c] - cells[c].size(), ' ');
        s += right[c] ? pad + cells[c] : cells[c] + pad;
        if (c + 1 < cells.size()) s += "  ";
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    };
    out.push_back(line(header));
    for (const auto& r : rows) out.push_back(line(r));
    if (rows.empty()) out.push_back(" (none)");
  }
};

// One consistent-per-record reading of the whole board, as lines of text.
std::vector<std::string> frame(const StateBoard& b) {
  const std::int64_t now = now_ns();
  std::map<std::uint64_t, std::string> accounts, instruments, venues;
  for (std::uint32_t i = 0; i < b.count(BoardSection::kAccounts); ++i)
    if (auto r = b.account_name(i)) accounts[r->id] = std::string(board_text(r->name));
  for (std::uint32_t i = 0; i < b.count(BoardSection::kInstruments); ++i) {
    if (auto r = b.instrument_name(i)) {
      instruments[r->id] = std::string(board_text(r->name));
      venues[r->id] = std::string(to_string(static_cast<ExchangeId>(r->exchange)));
    }
  }
  const auto name = [](const std::map<std::uint64_t, std::string>& m, std::uint64_t id) {
    const auto it = m.find(id);
    return it != m.end() ? it->second : "#" + std::to_string(id);
  };

  std::vector<std::string> out;
  const std::int64_t pid = b.writer_pid();
  const bool alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
  out.push_back("omsd state board " + b.path() + "  writer pid " + std::to_string(pid) +
                (alive ? "" : " (not running: its last state)") + "  updated " +
                age(b.heartbeat(), now) + " ago");
  const auto more = [&](BoardSection s) {
    if (const auto n = b.hidden(s)) {
      out.push_back(" +" + std::to_string(n) +
                    " more not shown (the account's share of the board is full)");
    }
  };

  out.emplace_back();
  out.emplace_back("BALANCES");
  Table bal{{"ACCOUNT", "MARKET", "ASSET", "FREE", "LOCKED", "CHANGED"},
            {false, false, false, true, true, true},
            {}};
  for (std::uint32_t i = 0; i < b.count(BoardSection::kBalances); ++i) {
    const auto r = b.balance(i);
    if (!r || (r->free.is_zero() && r->locked.is_zero())) continue;
    bal.rows.push_back(
        {name(accounts, r->account), std::string(to_string(static_cast<Market>(r->market))),
         std::string(board_text(r->asset)), dec(r->free), dec(r->locked), age(r->time, now)});
  }
  bal.render(out);
  more(BoardSection::kBalances);

  out.emplace_back();
  out.emplace_back("POSITIONS");
  Table pos{{"ACCOUNT", "INSTRUMENT", "SIZE", "ENTRY", "UNREALIZED", "REALIZED", "FEES"},
            {false, false, true, true, true, true, true},
            {}};
  for (std::uint32_t i = 0; i < b.count(BoardSection::kPositions); ++i) {
    const auto r = b.position(i);
    if (!r || (r->size.is_zero() && r->realized_pnl.is_zero())) continue;
    pos.rows.push_back({name(accounts, r->account), name(instruments, r->instrument), dec(r->size),
                        dec(r->entry_price), dec(r->unrealized_pnl), dec(r->realized_pnl),
                        dec(r->fees)});
  }
  pos.render(out);

  out.emplace_back();
  out.emplace_back("OPEN ORDERS");
  Table ord{{"ACCOUNT", "INSTRUMENT", "CLIENT ORDER ID", "SIDE", "PRICE", "QTY", "CUM QTY",
             "STATUS", "CHANGED"},
            {false, false, false, false, true, true, true, false, true},
            {}};
  for (std::uint32_t i = 0; i < b.count(BoardSection::kOpenOrders); ++i) {
    const auto r = b.open_order(i);
    if (!r || r->status == static_cast<std::uint32_t>(OrderStatus::kInitialized)) continue;
    ord.rows.push_back({name(accounts, r->account), name(instruments, r->instrument),
                        std::string(board_text(r->client_order_id)),
                        std::string(enum_name(static_cast<Side>(r->side))),
                        r->price.is_zero() ? "market" : dec(r->price), dec(r->quantity), dec(r->cum_qty),
                        std::string(enum_name(static_cast<OrderStatus>(r->status))),
                        age(r->time, now)});
  }
  ord.render(out);
  more(BoardSection::kOpenOrders);

  out.emplace_back();
  out.emplace_back("TOP OF BOOK");
  Table top{{"VENUE", "INSTRUMENT", "BID QTY", "BID", "ASK", "ASK QTY", "AGE"},
            {false, false, true, true, true, true, true},
            {}};
  for (std::uint32_t i = 0; i < b.count(BoardSection::kTops); ++i) {
    const auto r = b.top(i);
    if (!r) continue;
    top.rows.push_back({name(venues, r->instrument), name(instruments, r->instrument),
                        dec(r->bid_qty), dec(r->bid_price), dec(r->ask_price), dec(r->ask_qty),
                        age(r->time, now)});
  }
  top.render(out);

  Table str{{"STRATEGY", "STATE", "INVENTORY", "REALIZED", "UNREALIZED", "OPEN ORDERS"},
            {false, false, true, true, true, true},
            {}};
  for (std::uint32_t i = 0; i < b.count(BoardSection::kStrategies); ++i) {
    const auto r = b.strategy(i);
    if (!r) continue;
    str.rows.push_back({"#" + std::to_string(r->strategy),
                        std::string(enum_name(static_cast<StrategyState>(r->state))),
                        dec(r->inventory), dec(r->realized_pnl), dec(r->unrealized_pnl),
                        std::to_string(r->orders_open)});
  }
  if (!str.rows.empty()) {
    out.emplace_back();
    out.emplace_back("STRATEGIES");
    str.render(out);
  }
  return out;
}

// The terminal in non-canonical mode without echo (a key press is read at once); restored on
// destruction. Ctrl-C still raises SIGINT.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

struct TerminalSize {
  std::size_t rows = 24, cols = 80;
};
TerminalSize terminal_size() {
  winsize w{};
  TerminalSize t;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_row > 0 && w.ws_col > 0) {
    t.rows = w.ws_row;
    t.cols = w.ws_col;
  }
  t.rows = std::max<std::size_t>(t.rows, 4);  // room for a line, the cut notice and the key help
  return t;
}

// Waits up to one refresh for a key; true when it was q (or Q). Without a terminal on stdin
// (a pipe, /dev/null) only waits: Ctrl-C or SIGTERM end the loop.
bool quit_pressed() {
  static const bool keys = ::isatty(STDIN_FILENO) != 0;
  if (!keys) {
    (void)::poll(nullptr, 0, kRefreshMs);
    return false;
  }
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, kRefreshMs) <= 0 || (p.revents & POLLIN) == 0) return false;
  char c = 0;
  return ::read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q');
}

int live(const TopOptions& o) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  RawTerminal raw;
  std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // the alternate screen, cursor hidden
  std::unique_ptr<StateBoard> board;
  std::string problem;
  while (g_stop == 0) {
    if (!board || board->replaced()) {  // omsd (re)started: it made a new board
      auto b = StateBoard::open_read_only(o.board_path);
      if (b)
        board = std::move(b).value();
      else
        problem = b.error().message;
    }
    std::vector<std::string> lines =
        board ? frame(*board) : std::vector<std::string>{"waiting for the state board: " + problem};
    const TerminalSize t = terminal_size();
    const std::size_t room = t.rows - 1;  // a newline on the last row would scroll the screen
    if (lines.size() + 1 > room) {
      const auto cut = lines.size() - (room - 2);
      lines.resize(room - 2);
      lines.push_back(" ... " + std::to_string(cut) +
                      " more lines (a taller terminal, or omsctl top --once)");
    }
    lines.push_back("q or Ctrl-C: quit");
    std::string screen = "\x1b[H";
    for (const auto& l : lines)
      screen += l.substr(0, t.cols) + "\x1b[K\n";  // a wrapped line would scroll
    screen += "\x1b[J";
    std::fwrite(screen.data(), 1, screen.size(), stdout);
    std::fflush(stdout);
    if (quit_pressed()) break;
  }
  std::fputs("\x1b[?25h\x1b[?1049l", stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int run_top(const TopOptions& o) {
  if (!o.once && ::isatty(STDOUT_FILENO) != 0) return live(o);
  auto board = StateBoard::open_read_only(o.board_path);
  if (!board) {
    std::cerr << "omsctl: " << board.error().message << " (is omsd running with this --data?)\n";
    return 1;
  }
  for (const auto& l : frame(**board)) std::cout << l << "\n";
  return 0;
}

}  // namespace oms::omsctl
