#include "oms/persistence/stream_layout.hpp"

#include "oms/messages/subjects.hpp"

namespace oms::persistence {
namespace {

// The first n dot-separated tokens of s (fewer if s has fewer).
std::vector<std::string_view> leading_tokens(std::string_view s, std::size_t n) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (out.size() < n) {
    const auto dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? s.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

bool subject_matches(std::string_view filter, std::string_view subject) noexcept {
  if (filter.empty()) return true;
  std::size_t f = 0, s = 0;
  while (true) {
    const auto fe = filter.find('.', f);
    const auto se = subject.find('.', s);
    const std::string_view ft = filter.substr(f, fe == filter.npos ? filter.npos : fe - f);
    const std::string_view st = subject.substr(s, se == subject.npos ? subject.npos : se - s);
    if (ft == ">") return s < subject.size() || !st.empty();  // one or more tokens remain
    if (ft != "*" && ft != st) return false;
    if (fe == filter.npos || se == subject.npos) return fe == filter.npos && se == subject.npos;
    f = fe + 1;
    s = se + 1;
  }
}

std::string StreamLayout::account_stream(ExchangeId ex, std::string_view account) {
  return "ACCOUNT_" + std::string(to_string(ex)) + "_" + escape_token(account);
}

std::string StreamLayout::md_stream(ExchangeId ex) { return "MD_" + std::string(to_string(ex)); }

StreamLayout::StreamLayout(const std::vector<AccountRef>& accounts,
                           const std::vector<ExchangeId>& md_exchanges) {
  for (const auto& a : accounts) {
    const std::string ex(to_string(a.exchange));
    const std::string token = escape_token(a.account);
    const std::string name = account_stream(a.exchange, a.account);
    if (!account_streams_.emplace(ex + "." + token, name).second) continue;  // listed twice
    streams_.push_back({name,
                        {"orders." + ex + "." + token + ".>", "trades." + ex + "." + token + ".>",
                         "positions." + ex + "." + token + ".>"}});
  }
  streams_.push_back({std::string(kTransfers), {"transfers.>"}});
  streams_.push_back({std::string(kStrategies), {"strategies.>"}});
  streams_.push_back({std::string(kInputs), {"inputs.>"}});
  streams_.push_back({std::string(kControl), {"control.>"}});
  for (const auto ex : md_exchanges) {
    const std::string name(to_string(ex));
    if (!md_streams_.emplace(name, md_stream(ex)).second) continue;
    streams_.push_back({md_stream(ex), {"md." + name + ".>"}});
  }
}

const StreamSpec* StreamLayout::find(std::string_view stream) const {
  for (const auto& s : streams_)
    if (s.name == stream) return &s;
  return nullptr;
}

Result<std::string, StoreError> StreamLayout::stream_for(std::string_view subject) const {
  const auto t = leading_tokens(subject, 3);
  auto unknown = [&] {
    return Unexpected{StoreError{StoreErrorCode::kUnknownStream,
                                 "no stream holds subject '" + std::string(subject) + "'"}};
  };
  if (t.size() < 2 || t.back().empty()) return unknown();
  if (t[0] == "transfers") return std::string(kTransfers);
  if (t[0] == "strategies") return std::string(kStrategies);
  if (t[0] == "inputs") return std::string(kInputs);
  if (t[0] == "control") return std::string(kControl);
  if (t[0] == "md") {
    const auto it = md_streams_.find(std::string(t[1]));
    if (it == md_streams_.end()) return unknown();
    return it->second;
  }
  if ((t[0] == "orders" || t[0] == "trades" || t[0] == "positions") && t.size() == 3) {
    const auto it = account_streams_.find(std::string(t[1]) + "." + std::string(t[2]));
    if (it == account_streams_.end()) return unknown();
    return it->second;
  }
  return unknown();
}

}  // namespace oms::persistence
