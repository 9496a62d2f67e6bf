// OkxAccount::cancel_all: OKX v5 has no cancel-all REST call for SPOT / SWAP orders (only
// cancel-all-after, a dead man's switch), so the sweep lists what is open at the venue and
// cancels it in batches -- the algo orders (orders-algo-pending per algo type, cancel-algos at
// most 10 a request), then the plain orders (orders-pending, cancel-batch-orders at most 20).
// Every order of the account on the instrument, ours or not: ids are the venue's (algoId, ordId).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "exchange_internal.hpp"

namespace oms::okx {

namespace {

constexpr std::uint32_t kPageLimit = 100;  // OKX's maximum for the list queries
// sCode of an item that ended between the list and the cancel: not canceled by us, no error.
//   51400 "does not exist", 51401 "already canceled", 51402 "already completed" (filled),
//   51412 (cancel-algos) "has been triggered": its order is swept with the plain orders.
bool ended_meanwhile(std::int32_t code) noexcept {
  return code == 51400 || code == 51401 || code == 51402 || code == 51412;
}

ExchangeError list_error(const RestError& e, std::string_view what) {
  if (e.refused) {
    return exchange_error(ExchangeErrorCode::kVenueRejected,
                          std::string(what) + ": code " + std::to_string(e.refusal.code) + " " + e.refusal.msg,
                          e.refusal.code);
  }
  return exchange_error(ExchangeErrorCode::kBadResponse, std::string(what) + ": " + e.message);
}

// The sweep's tally: canceled, and the refusals that are not an order ending meanwhile.
struct Tally {
  std::uint32_t canceled = 0;
  std::vector<std::string> refused;  // "id: code msg", or a list / batch call that failed
  ExchangeErrorCode code = ExchangeErrorCode::kVenueRejected;  // the first failed call's, else a refusal
  bool failed_call = false;
  void call_failed(const ExchangeError& e) {
    if (!failed_call) code = e.code;
    failed_call = true;
    refused.push_back(e.message);
  }
  void item(std::string_view id, std::int32_t s_code, std::string_view msg) {
    if (s_code == 0) {
      ++canceled;
    } else if (!ended_meanwhile(s_code)) {
      refused.push_back(std::string(id) + ": " + std::to_string(s_code) + " " + std::string(msg));
    }
  }
};

}  // namespace

ExchangeResult<std::uint32_t> OkxAccount::cancel_all(InstrumentId instrument) {
  const OkxInstrument* in = shared_.instrument(instrument);
  if (in == nullptr) return Unexpected{exchange_error(ExchangeErrorCode::kUnknownInstrument, "cancel all: instrument not configured")};
  const InstrumentSpec spec = spec_of(*in);
  const auto ctx = context();
  Tally tally;
  // ids in requests of at most `max`: request(start, n) builds one, answered(body, start, n)
  // tallies its items; a call that fails is tallied and the next one sent.
  const auto cancel_batches = [&](const std::vector<std::string>& ids, std::size_t max, std::string_view call,
                                  auto&& request, auto&& answered) {
    const std::string what = "cancel all: " + std::string(call);
    for (std::size_t start = 0; start < ids.size(); start += max) {
      const std::size_t n = std::min(max, ids.size() - start);
      auto req = request(start, n);
      if (!req) {
        tally.call_failed(exchange_error(ExchangeErrorCode::kBadRequest, std::string(call) + ": " + req.error().message));
        continue;
      }
      auto body = body_of(send(*req, what), what);
      if (!body) {
        tally.call_failed(body.error());
        continue;
      }
      if (auto r = answered(*body, start, n); !r) tally.call_failed(list_error(r.error(), call));
    }
  };

  // 1. Algo orders waiting for their trigger, each type listed on its own.
  for (const AlgoOrdType t : {AlgoOrdType::kConditional, AlgoOrdType::kOco, AlgoOrdType::kTrigger, AlgoOrdType::kMoveOrderStop}) {
    const std::string what = "cancel all: orders-algo-pending " + std::string(to_string(t));
    auto ids = pages<std::string>(
        [&](std::string_view after) {
          ListQuery q;
          q.inst_type = shared_.inst_type();
          q.instrument = &spec;
          q.after = after;
          q.limit = kPageLimit;
          return algo_orders_pending(t, q);
        },
        [&](std::string_view body) -> Result<std::pair<std::vector<std::string>, std::string>, RestError> {
          auto p = parse_algo_orders(body, ctx);
          if (!p) return Unexpected{p.error()};
          std::vector<std::string> out;
          for (const auto& a : p->algos) out.push_back(a.algo_id);
          return std::pair{std::move(out), p->count < kPageLimit ? std::string() : std::move(p->last_algo_id)};
        },
        what);
    if (!ids) {  // the sweep goes on: the plain orders are the ones that trade now
      tally.call_failed(ids.error());
      continue;
    }
    cancel_batches(*ids, max_algo_cancel(), "cancel-algos",
                   [&](std::size_t start, std::size_t n) {
                     std::vector<AlgoCancelItem> items;
                     for (std::size_t i = 0; i < n; ++i) items.push_back(AlgoCancelItem{&spec, AlgoRef{(*ids)[start + i], {}}});
                     return okx::cancel_algos(std::span<const AlgoCancelItem>(items));
                   },
                   [&](std::string_view body, std::size_t start, std::size_t n) -> Result<std::monostate, RestError> {
                     auto acks = parse_algo_acks(body);
                     if (!acks) return Unexpected{acks.error()};
                     for (std::size_t i = 0; i < acks->size(); ++i) {
                       const auto& a = (*acks)[i];
                       tally.item(a.algo_id.empty() && i < n ? (*ids)[start + i] : a.algo_id, a.refusal.code, a.refusal.msg);
                     }
                     return std::monostate{};
                   });
  }

  // 2. Plain orders (those placed by a trigger included).
  auto ids = pages<std::string>(
      [&](std::string_view after) {
        ListQuery q;
        q.inst_type = shared_.inst_type();
        q.instrument = &spec;
        q.after = after;
        q.limit = kPageLimit;
        return orders_pending(q);
      },
      [&](std::string_view body) -> Result<std::pair<std::vector<std::string>, std::string>, RestError> {
        auto p = parse_orders(body, ctx);
        if (!p) return Unexpected{p.error()};
        std::vector<std::string> out;
        for (const auto& o : p->orders) out.emplace_back(o.venue_order_id.view());
        return std::pair{std::move(out), p->count < kPageLimit ? std::string() : std::move(p->last_order_id)};
      },
      "cancel all: orders-pending");
  if (!ids) tally.call_failed(ids.error());
  if (ids) {
    cancel_batches(*ids, max_batch(), "cancel-batch-orders",
                   [&](std::size_t start, std::size_t n) {
                     std::vector<CancelItem> items;
                     for (std::size_t i = 0; i < n; ++i) items.push_back(CancelItem{&spec, OrderRef{(*ids)[start + i], {}}});
                     return okx::cancel_batch(std::span<const CancelItem>(items));
                   },
                   [&](std::string_view body, std::size_t start, std::size_t n) -> Result<std::monostate, RestError> {
                     auto answers = parse_batch_ack(body);
                     if (!answers) return Unexpected{answers.error()};
                     for (std::size_t i = 0; i < answers->size(); ++i) {
                       const auto& a = (*answers)[i];
                       tally.item(a.ack.order_id.empty() && i < n ? (*ids)[start + i] : a.ack.order_id, a.refusal.code, a.refusal.msg);
                     }
                     return std::monostate{};
                   });
  }

  if (!tally.refused.empty()) {
    std::string list;
    for (const auto& r : tally.refused) list += (list.empty() ? "" : "; ") + r;
    return Unexpected{exchange_error(tally.code,
                                     "cancel all " + in->instrument.venue_symbol + ": " + std::to_string(tally.canceled) +
                                         " canceled; " + std::to_string(tally.refused.size()) + " failed: " + list)};
  }
  return tally.canceled;
}

}  // namespace oms::okx
