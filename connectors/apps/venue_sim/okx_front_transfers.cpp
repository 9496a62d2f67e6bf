// venue-sim's OKX funds transfers:
//   POST /api/v5/asset/transfer        ccy, amt, from / to ("18" trading: the unified account --
//        out of it, its spot part then its SWAP USDT, as unified_wallet.hpp says; into it, its
//        spot part --; "6" funding), type 0 (within the caller's account), 1 (master -> subAcct),
//        2 (subAcct -> master; both on the master's key), clientId (1..32 letters and digits,
//        unique per caller: a repeat is refused 51000 naming clientId -- OKX's docs name no code
//        of its own -- and nothing moves). Types 3 and 4 (a sub-account's own key) are refused.
//   GET  /api/v5/asset/transfer-state  by transId or clientId (type optional): the rows, none
//        when the caller has no such transfer.
// The balances move at once (state success) and each side's private stream hears of it (the
// account channel, as for any balance change).
#include <algorithm>
#include <cctype>

#include "okx_front_impl.hpp"
#include "unified_wallet.hpp"

namespace oms::venue_sim {

using namespace okxsim;

namespace {

constexpr int kTransferBalance = 58350;  // "Insufficient balance"

Decimal sum(Result<Decimal, DecimalError> r) { return r.ok() ? *r : Decimal{}; }  // in range: amounts of a wallet

bool alnum_id(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::size_t OkxFront::Impl::okx_master_of(std::size_t index) const {
  const std::string& parent = accounts[index].spec.parent;
  if (parent.empty()) return index;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].spec.name == parent) return i;
  }
  return index;
}

std::string OkxFront::Impl::sub_name(std::size_t index) const {
  const auto& s = accounts[index].spec;
  return s.sub_account.empty() ? s.name : s.sub_account;
}

OkxFront::Impl::Answer OkxFront::Impl::funds_transfer(Account& a, const Args& p) {
  const auto caller = static_cast<std::size_t>(&a - accounts.data());
  const std::string ccy = p.required("ccy");
  const auto amt = p.decimal("amt");
  if (!amt) empty_param("amt");
  if (!amt->is_positive()) param_error("amt", "must be positive");
  const std::string type = p.text("type").value_or("0");
  const std::string from = p.required("from"), to = p.required("to");
  for (const auto& [k, v] : {std::pair{"from", from}, std::pair{"to", to}}) {
    if (v != "6" && v != "18") param_error(k, "venue-sim has 6 (funding) and 18 (trading)");
  }
  const auto client_id = p.text("clientId");
  if (client_id && !alnum_id(*client_id)) param_error("clientId");
  if (client_id && std::any_of(funds.begin(), funds.end(), [&](const FundsTransfer& t) {
        return t.caller == caller && t.client_id == *client_id;
      })) {
    param_error("clientId", "already used by a transfer");
  }
  std::size_t src = caller, dst = caller;
  if (type == "0") {
    if (p.text("subAcct")) param_error("subAcct", "only types 1 and 2 name a sub-account");
    if (from == to) param_error("to", "the same account as from");
  } else if (type == "1" || type == "2") {
    if (okx_master_of(caller) != caller) refuse(kNotServed, "No permission to use this API (types 1 and 2 take the master's key)");
    const std::string sub = p.required("subAcct");
    std::optional<std::size_t> s;
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      if (i != caller && okx_master_of(i) == caller && sub_name(i) == sub) s = i;
    }
    if (!s) param_error("subAcct", "no sub-account '" + sub + "' under this master");
    (type == "1" ? dst : src) = *s;
  } else if (type == "3" || type == "4") {
    refuse(kNotServed, "No permission to use this API (venue-sim makes types 0, 1 and 2)");
  } else {
    param_error("type");
  }
  Account& sa = accounts[src];
  Account& da = accounts[dst];
  sim::Outbox out, swap_out;
  const TimeNs now = now_ns();
  std::optional<UnifiedTake> taken;
  if (from == "18") {
    taken = take_unified(*spot.venue, sa.spot_id, *swap.venue, sa.swap_id, ccy, *amt, now, out, swap_out);
    if (!taken) refuse(kTransferBalance, "Insufficient balance");
  } else {
    Decimal& f = sa_fund(src, ccy);
    if (f < *amt) refuse(kTransferBalance, "Insufficient balance");
    f = sum(f.sub(*amt));
  }
  if (to == "18") {
    if (auto r = spot.venue->deposit(da.spot_id, ccy, *amt, now, out); !r.ok()) {
      // Give it back: nothing moved.
      if (taken) give_back_unified(*spot.venue, sa.spot_id, *swap.venue, sa.swap_id, ccy, *taken, now);
      else sa_fund(src, ccy) = sum(sa_fund(src, ccy).add(*amt));
      param_error("ccy", r.error().msg);
    }
  } else {
    Decimal& f = sa_fund(dst, ccy);
    f = sum(f.add(*amt));
  }
  FundsTransfer t;
  t.trans_id = std::to_string(next_trans_id++);
  t.caller = caller;
  t.client_id = client_id.value_or("");
  t.ccy = ccy;
  t.amt = *amt;
  t.from = from;
  t.to = to;
  t.type = type;
  t.sub_acct = type == "0" ? std::string() : p.required("subAcct");
  funds.push_back(t);
  flush(spot, out);  // the account channel of each side
  flush(swap, swap_out);
  JsonOut j;
  j.arr().obj().kv("transId", t.trans_id).kv("ccy", ccy).kv("clientId", t.client_id).kv("from", from);
  j.kv("amt", text(*amt)).kv("to", to).end_obj().end_arr();
  return {kOk, "", j.take()};
}

OkxFront::Impl::Answer OkxFront::Impl::funds_transfer_state(Account& a, const Args& p) {
  const auto caller = static_cast<std::size_t>(&a - accounts.data());
  const auto trans_id = p.text("transId"), client_id = p.text("clientId"), type = p.text("type");
  if (!trans_id && !client_id) empty_param("transId");
  JsonOut j;
  j.arr();
  for (const auto& t : funds) {
    if (t.caller != caller) continue;
    if ((trans_id && t.trans_id != *trans_id) || (client_id && t.client_id != *client_id)) continue;
    if (type && t.type != *type) continue;
    j.obj().kv("amt", text(t.amt)).kv("ccy", t.ccy).kv("clientId", t.client_id).kv("from", t.from);
    j.kv("instId", "").kv("state", "success").kv("subAcct", t.sub_acct).kv("to", t.to).kv("toInstId", "");
    j.kv("transId", t.trans_id).kv("type", t.type).end_obj();
  }
  j.end_arr();
  return {kOk, "", j.take()};
}

}  // namespace oms::venue_sim
