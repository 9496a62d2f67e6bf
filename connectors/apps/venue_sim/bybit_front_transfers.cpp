// venue-sim's Bybit universal transfers between the UIDs of one master account:
//   POST /v5/asset/transfer/universal-transfer          transferId (a UUID, unique across the
//        venue: a repeat is refused 131214 "TransferId exist" and nothing moves), coin, amount,
//        fromMemberId / toMemberId (UIDs, never equal), fromAccountType / toAccountType
//        (UNIFIED: the unified account -- out of it, its spot part then its linear USDT, as
//        unified_wallet.hpp says; into it, its spot part --; FUND: the funding account)
//   GET  /v5/asset/transfer/query-universal-transfer-list  by transferId, coin, status, window
// A master's key moves between any two UIDs of its family (itself and its sub-accounts); a
// sub-account's key only from itself to its master (Bybit's rule). The balances move at once
// (status SUCCESS) and each side's private stream hears of it (wallet topic).
#include <algorithm>
#include <cctype>

#include "bybit_front_impl.hpp"
#include "unified_wallet.hpp"

namespace oms::venue_sim {

using namespace bysim;

namespace {

constexpr int kInvalidMemberId = 131202;    // "Invalid memberId"
constexpr int kSubMemberRelation = 131209;  // "Get subMember relation error"
// kTransferParam 131002, kTransferBalance 131212, kTransferIdExists 131214, kTransferAmount
// 131215: bybit_front_impl.hpp
constexpr std::int64_t kWeekMs = 7 * 86'400'000LL;

bool uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::uint64_t member_param(const Args& p, std::string_view key) {
  const auto v = p.integer(key);
  if (!v || *v <= 0) refuse(kTransferParam, "Parameter error: " + std::string(key) + " is required (a UID)");
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

std::uint64_t BybitFront::Impl::uid_of(std::size_t index) const {
  constexpr std::uint64_t kFirstUid = 100'000'001;  // venue-sim's user ids: one per account, in order
  return accounts[index].spec.member_id != 0 ? accounts[index].spec.member_id : kFirstUid + index;
}

std::size_t BybitFront::Impl::master_of(std::size_t index) const {
  const std::string& parent = accounts[index].spec.parent;
  if (parent.empty()) return index;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].spec.name == parent) return i;
  }
  return index;  // a parent venue-sim does not hold: the account stands alone
}

std::optional<std::size_t> BybitFront::Impl::member(std::uint64_t uid) const {
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (uid_of(i) == uid) return i;
  }
  return std::nullopt;
}

BybitFront::Impl::Answer BybitFront::Impl::universal_transfer(UtaAccount& a, const Args& p) {
  p.only({"transferId", "coin", "amount", "fromMemberId", "toMemberId", "fromAccountType", "toAccountType"});
  const auto caller = static_cast<std::size_t>(&a - accounts.data());
  const auto id = p.text("transferId");
  if (!id || !uuid(*id)) refuse(kTransferParam, "Parameter error: transferId must be a UUID");
  if (std::any_of(universal.begin(), universal.end(), [&](const UniTransfer& t) { return t.transfer_id == *id; }))
    refuse(kTransferIdExists, "TransferId exist");
  const auto coin = p.text("coin");
  if (!coin) refuse(kTransferParam, "Parameter error: coin is required");
  const auto amount = p.decimal("amount");
  if (!amount || !amount->is_positive()) refuse(kTransferAmount, "Amount error: amount must be positive");
  const std::uint64_t from_uid = member_param(p, "fromMemberId"), to_uid = member_param(p, "toMemberId");
  if (from_uid == to_uid) refuse(kTransferParam, "Parameter error: you can not transfer between the same UID");
  const std::string from_type = p.required_text("fromAccountType"), to_type = p.required_text("toAccountType");
  for (const auto& [field, v] : {std::pair{"fromAccountType", from_type}, std::pair{"toAccountType", to_type}}) {
    if (v != "UNIFIED" && v != "FUND")
      refuse(kTransferParam, std::string("Parameter error: ") + field + " '" + v + "' (venue-sim has UNIFIED and FUND)");
  }
  const auto from = member(from_uid), to = member(to_uid);
  if (!from || !to) refuse(kInvalidMemberId, "Invalid memberId");
  // The caller's family: a master moves among itself and its subs; a sub only to its master.
  const std::size_t family = master_of(caller);
  if (master_of(*from) != family || master_of(*to) != family) refuse(kSubMemberRelation, "Get subMember relation error");
  if (family != caller && (*from != caller || *to != family)) refuse(kSubMemberRelation, "Get subMember relation error");
  UtaAccount& src = accounts[*from];
  UtaAccount& dst = accounts[*to];
  sim::Outbox out, linear_out;
  const TimeNs now = now_ns();
  std::optional<UnifiedTake> taken;
  if (from_type == "UNIFIED") {
    taken = take_unified(*spot.venue, src.spot_id, *linear.venue, src.linear_id, *coin, *amount, now, out, linear_out);
    if (!taken)
      refuse(kTransferBalance, "Insufficient balance (" + *coin + " free in the unified account of UID " +
                                   std::to_string(from_uid) + " is less than " + text(*amount) + ")");
  } else {
    Decimal& fund = src.fund[*coin];
    if (fund < *amount) refuse(kTransferBalance, "Insufficient balance (" + *coin + " in FUND: " + text(fund) + ")");
    fund = dsub(fund, *amount);
  }
  if (to_type == "UNIFIED") {
    if (auto r = spot.venue->deposit(dst.spot_id, *coin, *amount, now, out); !r.ok()) {
      // Give it back: nothing moved.
      if (taken) give_back_unified(*spot.venue, src.spot_id, *linear.venue, src.linear_id, *coin, *taken, now);
      else src.fund[*coin] = dadd(src.fund[*coin], *amount);
      refuse(kTransferParam, "Parameter error: " + r.error().msg);
    }
  } else {
    dst.fund[*coin] = dadd(dst.fund[*coin], *amount);
  }
  UniTransfer t;
  t.transfer_id = *id;
  t.coin = *coin;
  t.amount = *amount;
  t.from_uid = from_uid;
  t.to_uid = to_uid;
  t.from_type = from_type;
  t.to_type = to_type;
  t.time_ms = now_ms();
  universal.push_back(std::move(t));
  flush(spot, out);  // the wallet topic of each side
  flush(linear, linear_out);
  JsonOut j;
  j.obj().kv("transferId", *id).kv("status", "SUCCESS").end_obj();
  return {j.take()};
}

BybitFront::Impl::Answer BybitFront::Impl::universal_transfers(UtaAccount& a, const Args& p) {
  p.only({"transferId", "coin", "status", "startTime", "endTime", "limit", "cursor"});
  const auto caller = static_cast<std::size_t>(&a - accounts.data());
  const auto id = p.text("transferId");
  const auto coin = p.text("coin");
  const auto status = p.text("status");
  if (status && *status != "SUCCESS" && *status != "PENDING" && *status != "FAILED")
    params_error("status: '" + *status + "' is not SUCCESS, PENDING or FAILED");
  // Bybit: at most 7 days apart; none given, the last 7 days.
  const auto start = p.integer("startTime"), end = p.integer("endTime");
  std::int64_t lo = now_ms() - kWeekMs, hi = now_ms();
  if (start && end) {
    if (*start > *end) params_error("startTime: after endTime");
    if (*end - *start > kWeekMs) params_error("startTime, endTime: at most 7 days apart");
    lo = *start;
    hi = *end;
  } else if (start) {
    lo = *start;
    hi = *start + kWeekMs;
  } else if (end) {
    lo = *end - kWeekMs;
    hi = *end;
  }
  const auto limit_v = p.integer("limit");
  if (limit_v && (*limit_v < 1 || *limit_v > 50)) params_error("limit: " + std::to_string(*limit_v) + " is not in [1, 50]");
  const std::size_t limit = limit_v ? static_cast<std::size_t>(*limit_v) : 20;
  std::size_t from = 0;
  if (const auto c = p.text("cursor")) {
    for (const char ch : *c) {
      if (ch < '0' || ch > '9') params_error("cursor: '" + *c + "' is not a cursor venue-sim gave");
      from = from * 10 + static_cast<std::size_t>(ch - '0');
    }
  }
  // A master sees its family's transfers; a sub-account the ones it is an end of.
  const std::size_t family = master_of(caller);
  const auto visible = [&](const UniTransfer& t) {
    const auto f = member(t.from_uid), to = member(t.to_uid);
    if (!f || !to) return false;
    if (family == caller) return master_of(*f) == family || master_of(*to) == family;
    return *f == caller || *to == caller;
  };
  JsonOut j;
  j.obj().key("list").arr();
  std::size_t shown = 0, k = 0;
  bool more = false;
  for (auto it = universal.rbegin(); it != universal.rend(); ++it) {
    if (!visible(*it)) continue;
    if ((id && it->transfer_id != *id) || (coin && it->coin != *coin) || (status && *status != "SUCCESS")) continue;
    if (it->time_ms < lo || it->time_ms > hi) continue;
    if (k++ < from) continue;
    if (shown == limit) {
      more = true;
      break;
    }
    j.obj().kv("transferId", it->transfer_id).kv("coin", it->coin).kv("amount", text(it->amount));
    j.kv("fromMemberId", std::to_string(it->from_uid)).kv("toMemberId", std::to_string(it->to_uid));
    j.kv("fromAccountType", it->from_type).kv("toAccountType", it->to_type);
    j.kv("timestamp", ms_text(it->time_ms)).kv("status", "SUCCESS").end_obj();
    ++shown;
  }
  j.end_arr().kv("nextPageCursor", more ? std::to_string(from + limit) : std::string()).end_obj();
  return {j.take()};
}

}  // namespace oms::venue_sim
