#include "oms/messages/subjects.hpp"

#include <array>
#include <vector>

namespace oms {
namespace {

constexpr char kEscape = '~';
constexpr std::array<std::string_view, 6> kKindNames{"orders", "trades", "positions",
                                                     "transfers", "strategies", "md"};
constexpr std::array<std::string_view, 3> kMdNames{"book", "trade", "ticker"};

bool safe(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Unexpected<SubjectError> fail(std::string_view subject, std::string what) {
  return Unexpected{SubjectError{"subject '" + std::string(subject) + "': " + what}};
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

}  // namespace

std::string escape_token(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (safe(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += kEscape;
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  if (out.empty()) out = "~";  // an empty name still makes a token; "~" alone decodes to ""
  return out;
}

Result<std::string, SubjectError> unescape_token(std::string_view t) {
  if (t == "~") return std::string{};
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (safe(t[i])) {
      out += t[i];
    } else if (t[i] == kEscape && i + 2 < t.size() && hex_value(t[i + 1]) >= 0 &&
               hex_value(t[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(t[i + 1]) * 16 + hex_value(t[i + 2]));
      i += 2;
    } else {
      return Unexpected{SubjectError{"token '" + std::string(t) + "': bad character at " +
                                     std::to_string(i)}};
    }
  }
  if (out.empty()) return Unexpected{SubjectError{"empty token"}};
  return out;
}

std::string symbol_token(const CanonicalSymbol& s) {
  std::string out = s.base + "-" + s.quote;
  if (!s.settle.empty()) out += "_" + s.settle;
  if (!s.expiry.empty()) out += "-" + s.expiry;
  return out;
}

Result<CanonicalSymbol, SubjectError> parse_symbol_token(std::string_view t) {
  std::string canonical;
  const auto underscore = t.find('_');
  const std::string_view pair = t.substr(0, underscore);
  const auto dash = pair.find('-');
  if (dash == std::string_view::npos)
    return Unexpected{SubjectError{"symbol token '" + std::string(t) + "': expected BASE-QUOTE"}};
  canonical = std::string(pair.substr(0, dash)) + "/" + std::string(pair.substr(dash + 1));
  if (underscore != std::string_view::npos) canonical += ":" + std::string(t.substr(underscore + 1));
  auto s = parse_canonical(canonical);
  if (!s) return Unexpected{SubjectError{"symbol token '" + std::string(t) + "': " + s.error().message}};
  if (symbol_token(*s) != t)
    return Unexpected{SubjectError{"symbol token '" + std::string(t) + "' is not canonical"}};
  return *s;
}

std::string orders_subject(ExchangeId ex, std::string_view account, Market m,
                           const CanonicalSymbol& s) {
  return join({"orders", to_string(ex), escape_token(account), to_string(m), symbol_token(s)});
}
std::string trades_subject(ExchangeId ex, std::string_view account, Market m,
                           const CanonicalSymbol& s) {
  return join({"trades", to_string(ex), escape_token(account), to_string(m), symbol_token(s)});
}
std::string positions_subject(ExchangeId ex, std::string_view account, Market m) {
  return join({"positions", to_string(ex), escape_token(account), to_string(m)});
}
std::string transfers_subject(std::string_view from, std::string_view to) {
  return join({"transfers", escape_token(from), escape_token(to)});
}
std::string strategies_subject(std::string_view type, std::string_view action) {
  return join({"strategies", escape_token(type), escape_token(action)});
}
std::string md_subject(ExchangeId ex, Market m, const CanonicalSymbol& s, MarketDataKind k) {
  return join({"md", to_string(ex), to_string(m), symbol_token(s),
               kMdNames[static_cast<std::size_t>(k)]});
}

std::string build_subject(const Subject& s) {
  switch (s.kind) {
    case SubjectKind::kOrders: return orders_subject(s.exchange, s.account, s.market, s.symbol);
    case SubjectKind::kTrades: return trades_subject(s.exchange, s.account, s.market, s.symbol);
    case SubjectKind::kPositions: return positions_subject(s.exchange, s.account, s.market);
    case SubjectKind::kTransfers: return transfers_subject(s.from_account, s.to_account);
    case SubjectKind::kStrategies: return strategies_subject(s.strategy_type, s.action);
    case SubjectKind::kMarketData: return md_subject(s.exchange, s.market, s.symbol, s.md_kind);
  }
  return {};
}

Result<Subject, SubjectError> parse_subject(std::string_view subject) {
  const auto t = tokens(subject);
  Subject s;
  std::size_t kind = kKindNames.size();
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (t[0] == kKindNames[i]) kind = i;
  if (kind == kKindNames.size()) return fail(subject, "unknown kind '" + std::string(t[0]) + "'");
  s.kind = static_cast<SubjectKind>(kind);
  static constexpr std::array<std::size_t, 6> kTokenCount{5, 5, 4, 3, 3, 5};
  if (t.size() != kTokenCount[kind])
    return fail(subject, "expected " + std::to_string(kTokenCount[kind]) + " tokens, got " +
                             std::to_string(t.size()));
  auto name = [&](std::string_view tok, std::string& out) -> bool {
    auto r = unescape_token(tok);
    if (!r) return false;
    out = std::move(r).value();
    return true;
  };
  auto exchange_market = [&](std::string_view ex, std::string_view m) -> bool {
    const auto e = parse_exchange(ex);
    const auto mk = parse_market(m);
    if (!e || !mk) return false;
    s.exchange = *e;
    s.market = *mk;
    return true;
  };
  auto symbol = [&](std::string_view tok) -> Result<bool, SubjectError> {
    auto sym = parse_symbol_token(tok);
    if (!sym) return fail(subject, sym.error().message);
    s.symbol = std::move(sym).value();
    return true;
  };
  switch (s.kind) {
    case SubjectKind::kOrders:
    case SubjectKind::kTrades:
    case SubjectKind::kPositions: {
      if (!exchange_market(t[1], t[3])) return fail(subject, "bad exchange or market token");
      if (!name(t[2], s.account)) return fail(subject, "bad account token '" + std::string(t[2]) + "'");
      if (s.kind != SubjectKind::kPositions)
        if (auto ok = symbol(t[4]); !ok) return Unexpected{ok.error()};
      break;
    }
    case SubjectKind::kTransfers:
      if (!name(t[1], s.from_account) || !name(t[2], s.to_account))
        return fail(subject, "bad account token");
      break;
    case SubjectKind::kStrategies:
      if (!name(t[1], s.strategy_type) || !name(t[2], s.action))
        return fail(subject, "bad strategy token");
      break;
    case SubjectKind::kMarketData: {
      if (!exchange_market(t[1], t[2])) return fail(subject, "bad exchange or market token");
      if (auto ok = symbol(t[3]); !ok) return Unexpected{ok.error()};
      std::size_t k = kMdNames.size();
      for (std::size_t i = 0; i < kMdNames.size(); ++i)
        if (t[4] == kMdNames[i]) k = i;
      if (k == kMdNames.size()) return fail(subject, "unknown market-data kind '" + std::string(t[4]) + "'");
      s.md_kind = static_cast<MarketDataKind>(k);
      break;
    }
  }
  if (build_subject(s) != subject) return fail(subject, "not in canonical form");
  return s;
}

}  // namespace oms
