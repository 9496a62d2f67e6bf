// venue-sim's Binance wallet transfers (/sapi):
//   POST /sapi/v1/asset/transfer                 user universal transfer, MAIN_UMFUTURE / UMFUTURE_MAIN
//   GET  /sapi/v1/asset/transfer                 its history, by type ({"total":n,"rows":[...]})
//   POST /sapi/v1/sub-account/universalTransfer  master <-> sub, sub <-> sub, by email, SPOT /
//                                                USDT_FUTURE; clientTranId unique per caller
//   GET  /sapi/v1/sub-account/universalTransfer  its history ({"result":[...],"totalCount":n})
// One Binance account is venue-sim's spot account NAME and its USD-M account NAME.usdm (the
// paper keys' two entries); a sub-account is addressed by the email of either. The balances
// move at once (Binance answers a transfer once it is booked) and each side's user-data
// stream hears of it: spot balanceUpdate + outboundAccountPosition, USD-M ACCOUNT_UPDATE with
// reason DEPOSIT / WITHDRAW.
#include <algorithm>

#include "front_impl.hpp"
#include "front_orders.hpp"

namespace oms::venue_sim {

namespace {

std::int64_t ms(TimeNs t) { return t / 1'000'000; }

std::string_view base_name(const AccountSpec& s) {
  std::string_view n = s.name;
  if (s.market == Market::kUsdm && n.ends_with(".usdm")) n.remove_suffix(5);
  return n;
}

std::optional<Market> market_of_type(std::string_view t) {
  if (t == "SPOT") return Market::kSpot;
  if (t == "USDT_FUTURE") return Market::kUsdm;
  return std::nullopt;
}

Reply malformed(std::string_view param) {
  return Reply::error(400, -1102,
                      "Mandatory parameter '" + std::string(param) +
                          "' was not sent, was empty/null, or malformed.");
}

std::int64_t int_param(const Params& p, std::string_view key, std::int64_t dflt) {
  const std::string* v = p.find(key);
  if (v == nullptr || v->empty()) return dflt;
  char* end = nullptr;
  const long long n = std::strtoll(v->c_str(), &end, 10);
  return *end == '\0' ? n : -1;
}

}  // namespace

std::optional<std::size_t> Front::Impl::wallet_of(std::string_view base, Market m) const {
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].spec.market == m && base_name(accounts[i].spec) == base) return i;
  }
  return std::nullopt;
}

// Moves amount of asset from one wallet to another, or says why not (nothing moved then).
Reply Front::Impl::move_between(std::size_t from, std::size_t to, const std::string& asset,
                                Decimal amount) {
  Account& src = accounts[from];
  Account& dst = accounts[to];
  sim::Venue& sv = *state(src.spec.market).venue;
  sim::Venue& dv = *state(dst.spec.market).venue;
  if (dst.spec.market == Market::kUsdm && asset != "USDT" && asset != "USDC")
    return Reply::error(400, -5013, "Asset transfer failed: the USD-M wallet holds USDT / USDC only.");
  // What the source may give: spot free; USD-M the available balance (margin in use stays).
  Decimal have;
  if (src.spec.market == Market::kUsdm) {
    if (asset == "USDT") have = sv.available_balance(src.id);
  } else {
    for (const auto& b : sv.balances(src.id)) {
      if (b.asset == asset) have = b.free;
    }
  }
  if (have < amount) return Reply::error(400, -5013, "Asset transfer failed: insufficient balance");
  const TimeNs now = now_ns();
  sim::Outbox out_src, out_dst;
  if (!sv.deposit(src.id, asset, Decimal::from_raw(-amount.raw()), now, out_src).ok())
    return Reply::error(400, -5013, "Asset transfer failed: insufficient balance");
  if (auto r = dv.deposit(dst.id, asset, amount, now, out_dst); !r.ok()) {
    sim::Outbox undo;
    (void)sv.deposit(src.id, asset, amount, now, undo);  // give it back: nothing moved
    return Reply::venue(r.error());
  }
  const auto tell = [&](std::size_t idx, sim::Outbox& out, Decimal delta, bool incoming) {
    const Account& a = accounts[idx];
    std::vector<std::string> events;
    if (a.spec.market == Market::kSpot) {
      JsonOut j;
      j.obj().kv("e", "balanceUpdate").kn("E", ms(now)).kv("a", asset).kv("d", fixed8(delta));
      j.kn("T", ms(now)).end_obj();
      events.push_back(j.take());
      for (const auto& u : out.account_updates) events.push_back(spot_account_position(u));
    } else {
      for (const auto& u : out.account_updates) {
        events.push_back(usdm_account_update(*state(Market::kUsdm).venue, u,
                                             incoming ? "DEPOSIT" : "WITHDRAW"));
      }
    }
    send_user(idx, std::move(events));
  };
  tell(from, out_src, Decimal::from_raw(-amount.raw()), false);
  tell(to, out_dst, amount, true);
  return Reply{200, {}};
}

Reply Front::Impl::transfers_endpoint(std::string_view method, std::string_view path,
                                      const Params& p, Account& a) {
  const std::string caller(base_name(a.spec));
  Reply err;
  if (path == "/sapi/v1/asset/transfer") {
    const std::string* type = p.find("type");
    if (type == nullptr || type->empty()) return malformed("type");
    Market from = Market::kSpot, to = Market::kUsdm;
    if (*type == "UMFUTURE_MAIN") {
      std::swap(from, to);
    } else if (*type != "MAIN_UMFUTURE") {
      return Reply::error(400, -1100, "Illegal characters found in parameter 'type'; venue-sim "
                                      "moves MAIN_UMFUTURE and UMFUTURE_MAIN only.");
    }
    if (method == "GET") {
      const std::int64_t start = int_param(p, "startTime", 0), end = int_param(p, "endTime", 0);
      const std::int64_t current = int_param(p, "current", 1), size = int_param(p, "size", 10);
      if (start < 0 || end < 0) return malformed(start < 0 ? "startTime" : "endTime");
      if (current < 1) return malformed("current");
      if (size < 1 || size > 100) return malformed("size");
      std::vector<const VenueTransfer*> rows;
      for (auto it = transfers.rbegin(); it != transfers.rend(); ++it) {
        if (it->sub_account || it->caller != caller || it->type != *type) continue;
        if ((start != 0 && it->time_ms < start) || (end != 0 && it->time_ms > end)) continue;
        rows.push_back(&*it);
      }
      JsonOut j;
      j.obj().kn("total", static_cast<std::int64_t>(rows.size()));
      const auto first = static_cast<std::size_t>((current - 1) * size);
      if (first < rows.size()) {
        j.key("rows").arr();
        for (std::size_t i = first; i < rows.size() && i < first + static_cast<std::size_t>(size); ++i) {
          const VenueTransfer& t = *rows[i];
          j.obj().kv("asset", t.asset).kv("amount", fixed8(t.amount)).kv("type", t.type);
          j.kv("status", "CONFIRMED").kn("tranId", static_cast<std::int64_t>(t.tran_id));
          j.kn("timestamp", t.time_ms).end_obj();
        }
        j.end_arr();
      }
      j.end_obj();
      return Reply{200, j.take()};
    }
    const std::string* asset = p.find("asset");
    if (asset == nullptr || asset->empty()) return malformed("asset");
    Decimal amount;
    if (p.find("amount") == nullptr) return malformed("amount");
    if (!parse_decimal(p, "amount", amount, err)) return err;
    if (!amount.is_positive()) return malformed("amount");
    const auto src = wallet_of(caller, from), dst = wallet_of(caller, to);
    if (!src || !dst)
      return Reply::error(400, -5013, "Asset transfer failed: account " + caller + " has no " +
                                          (src ? "USD-M" : "spot") + " wallet on venue-sim.");
    if (Reply r = move_between(*src, *dst, *asset, amount); r.status != 200) return r;
    VenueTransfer t;
    t.tran_id = next_tran_id++;
    t.caller = caller;
    t.type = *type;
    t.asset = *asset;
    t.amount = amount;
    t.time_ms = now_ms();
    transfers.push_back(t);
    JsonOut j;
    j.obj().kn("tranId", static_cast<std::int64_t>(t.tran_id)).end_obj();
    return Reply{200, j.take()};
  }

  // /sapi/v1/sub-account/universalTransfer
  const std::string* from_email = p.find("fromEmail");
  const std::string* to_email = p.find("toEmail");
  const std::string fe = from_email ? *from_email : std::string{};
  const std::string te = to_email ? *to_email : std::string{};
  const std::string* client_id = p.find("clientTranId");
  if (method == "GET") {
    if (!fe.empty() && !te.empty())
      return Reply::error(400, -1102, "fromEmail and toEmail cannot be sent together.");
    const std::int64_t start = int_param(p, "startTime", 0), end = int_param(p, "endTime", 0);
    const std::int64_t page = int_param(p, "page", 1), limit = int_param(p, "limit", 500);
    if (start < 0 || end < 0) return malformed(start < 0 ? "startTime" : "endTime");
    if (page < 1) return malformed("page");
    if (limit < 1 || limit > 500) return malformed("limit");
    std::vector<const VenueTransfer*> rows;
    for (auto it = transfers.rbegin(); it != transfers.rend(); ++it) {
      if (!it->sub_account || it->caller != caller) continue;
      if (client_id != nullptr && !client_id->empty() && it->client_tran_id != *client_id) continue;
      if (!fe.empty() && it->from_email != fe) continue;
      if (!te.empty() && it->to_email != te) continue;
      // Neither email: the venue answers the transfers out of the master account.
      if (fe.empty() && te.empty() && (client_id == nullptr || client_id->empty()) &&
          !it->from_email.empty())
        continue;
      if ((start != 0 && it->time_ms < start) || (end != 0 && it->time_ms > end)) continue;
      rows.push_back(&*it);
    }
    JsonOut j;
    j.obj().key("result").arr();
    const auto first = static_cast<std::size_t>((page - 1) * limit);
    for (std::size_t i = first; i < rows.size() && i < first + static_cast<std::size_t>(limit); ++i) {
      const VenueTransfer& t = *rows[i];
      j.obj().kn("tranId", static_cast<std::int64_t>(t.tran_id)).kv("fromEmail", t.from_email);
      j.kv("toEmail", t.to_email).kv("asset", t.asset).kv("amount", fixed8(t.amount));
      j.kn("createTimeStamp", t.time_ms).kv("fromAccountType", t.from_type);
      j.kv("toAccountType", t.to_type).kv("status", "SUCCESS").kv("clientTranId", t.client_tran_id);
      j.end_obj();
    }
    j.end_arr().kn("totalCount", static_cast<std::int64_t>(rows.size())).end_obj();
    return Reply{200, j.take()};
  }
  if (fe.empty() && te.empty()) return malformed("toEmail");
  const std::string* from_type = p.find("fromAccountType");
  const std::string* to_type = p.find("toAccountType");
  if (from_type == nullptr || from_type->empty()) return malformed("fromAccountType");
  if (to_type == nullptr || to_type->empty()) return malformed("toAccountType");
  const auto from_m = market_of_type(*from_type), to_m = market_of_type(*to_type);
  if (!from_m || !to_m)
    return Reply::error(400, -1100, "Illegal characters found in parameter '" +
                                        std::string(from_m ? "toAccountType" : "fromAccountType") +
                                        "'; venue-sim moves SPOT and USDT_FUTURE only.");
  const std::string* asset = p.find("asset");
  if (asset == nullptr || asset->empty()) return malformed("asset");
  Decimal amount;
  if (p.find("amount") == nullptr) return malformed("amount");
  if (!parse_decimal(p, "amount", amount, err)) return err;
  if (!amount.is_positive()) return malformed("amount");
  const bool has_client_id = client_id != nullptr && !client_id->empty();
  if (has_client_id) {
    for (const auto& t : transfers) {
      if (t.sub_account && t.caller == caller && t.client_tran_id == *client_id)
        return Reply::error(400, -4111, "clientTranId is duplicated.");
    }
  }
  // An email names the account whose wallet carries it; none: the caller (the master).
  const auto account_of = [&](const std::string& email) -> std::optional<std::string> {
    if (email.empty()) return caller;
    for (const auto& acc : accounts) {
      if (acc.spec.email == email) return std::string(base_name(acc.spec));
    }
    return std::nullopt;
  };
  const auto from_acct = account_of(fe), to_acct = account_of(te);
  if (!from_acct) return malformed("fromEmail");
  if (!to_acct) return malformed("toEmail");
  if (*from_acct == *to_acct && *from_m == *to_m)
    return Reply::error(400, -1102, "fromEmail/fromAccountType and toEmail/toAccountType name the same wallet.");
  const auto src = wallet_of(*from_acct, *from_m), dst = wallet_of(*to_acct, *to_m);
  if (!src || !dst)
    return Reply::error(400, -5013, "Asset transfer failed: " + (src ? *to_acct : *from_acct) +
                                        " has no " + (src ? *to_type : *from_type) +
                                        " wallet on venue-sim.");
  if (Reply r = move_between(*src, *dst, *asset, amount); r.status != 200) return r;
  VenueTransfer t;
  t.tran_id = next_tran_id++;
  t.sub_account = true;
  t.caller = caller;
  t.client_tran_id = has_client_id ? *client_id : std::string{};
  t.from_email = fe;
  t.to_email = te;
  t.from_type = *from_type;
  t.to_type = *to_type;
  t.asset = *asset;
  t.amount = amount;
  t.time_ms = now_ms();
  transfers.push_back(t);
  JsonOut j;
  j.obj().kn("tranId", static_cast<std::int64_t>(t.tran_id)).kv("clientTranId", t.client_tran_id);
  j.end_obj();
  return Reply{200, j.take()};
}

}  // namespace oms::venue_sim
