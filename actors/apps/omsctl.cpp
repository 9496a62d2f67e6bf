// omsctl: the command-line client of the gateway's gRPC API (messages/proto/oms.proto), and
// `omsctl top`, which reads omsd's shared-memory state board instead (omsctl_top.hpp).
//
//   omsctl [--address HOST:PORT] [--ca FILE] [--token-file FILE] [--data DIR] [--json]
//          [--timeout-ms N] COMMAND [flags]
//
// Defaults: --address 127.0.0.1:50051, --data ./data, the CA at DATA/tls/ca.pem and the token
// at DATA/api/omsctl.token. --json prints one JSON document on stdout (for jq); a table
// otherwise. Exit codes: 0 done, 1 a gRPC error (its status code name and message on stderr),
// 2 a usage error, 3 a command the daemon refused (the reply is printed). `top` needs no token:
// it finds the board of --data DIR the way omsd names it (default_board_path), or --board PATH.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "oms/actors/state_board.hpp"
#include "oms/messages/decimal.hpp"
#include "oms/api/v1/oms.grpc.pb.h"
#include "omsctl_top.hpp"

namespace api = oms::api::v1;
namespace pb = google::protobuf;

namespace {

constexpr const char* kUsage = R"(usage: omsctl [global flags] COMMAND [flags]
global: --address HOST:PORT (127.0.0.1:50051)  --ca FILE  --token-file FILE  --data DIR (./data)
        --json  --timeout-ms N (10000)
        several daemons of one desk (omsd --accounts): --address A,B --data DA,DB (each daemon's
        data dir, in the same order: its token and CA) -- orders, fills, balances and positions
        then list every daemon's accounts in one reply; positions --unified sums each
        instrument over all of them (size, cost, PnL, fees; the entry price from the daemons'
        entries at 1e-9); any other command speaks to one daemon
commands:
  submit     [--account A] --instrument SYM --side buy|sell --qty Q [--price P] [--type T]
             [--tif T] [--stop-price P] [--strategy S] [--id CLIENT_ORDER_ID] [--reduce-only]
             [--wait-ack-ms N]  (wait up to N ms for the venue's answer; without --account,
             accounts.yaml account_routing chooses: the reply's routing says how)
  batch      --account A (--file FILE.jsonl | --file - | --order 'side=buy,instrument=SYM,
             price=P,qty=Q' ...) [--wait-ack-ms N]  orders of one account sent together: each
             answered on its own (a row per order, in order), each command's accepted orders
             one venue batch where the venue has one, singles otherwise. --order repeats; its
             keys are SubmitOrderRequest's fields (instrument side order_type tif price
             stop_price quantity client_order_id strategy reduce_only; also qty type id). A
             file holds one JSON object of those fields a line ({"instrument":"BTC/USDT",
             "side":"buy","price":"100","quantity":"0.01"}; decimals as strings)
  amend      --account A --instrument SYM --id ID [--price P] [--qty Q]
  cancel     --account A --instrument SYM (--id ID | --venue-id VENUE_ORDER_ID)
             (an external order -- placed on the account by another client -- is canceled
             only this way: omsd never cancels it on its own)
  cancel-all --account A [--instrument SYM]
  orders     [--account A] [--day YYYY-MM-DD]  (the orders in memory; with --day every order
             submitted that UTC day, from the store, closed ones that left memory included;
             external: true for an order another client placed on the account)
  fills | balances  [--account A]
  positions  [--account A] [--unified]
             orders, fills, balances, positions without --account: every account the client
             may see, narrowed by [--exchange E] [--main A] (a main account and its subs)
             [--instrument SYM]; balances then also total each asset, valued in USDT at the
             engine's marks
  set-limit  --scope global|account|strategy|instrument --kind K (--value V | --unlimited)
             [--account A] [--strategy S] [--instrument SYM]
  kill       --scope global|account|strategy [--account A] [--strategy S]
             [--state halted|reducing_only] [--reason TEXT]  (halted, global or account scope:
             omsd then also cancels at the venues every open order of the accounts covered,
             ones it does not know included, on each instrument it has market data for)
  reset      --scope global|account|strategy [--account A] [--strategy S]
  health
  premiums   each fiat-quoted market's premium over Binance (Upbit's BTC/KRW at USDT/KRW
             against Binance's BTC/USDT, in bps, from the engine's marks)
  strategy list | show NAME | start NAME | stop NAME [--reason TEXT] | set NAME KEY=VALUE...
             strategies' state, parameters, quoters and PnL; start / stop one; set parameters
             (each checked by the daemon, recorded in order; the first refused ends it)
  algo submit --account A --strategy S --instrument SYM --side buy|sell --qty Q --kind twap|vwap
             --slices N (--end-ns T | --duration-s N) [--start-ns T] [--price LIMIT]
             [--participation X] [--catch-up X] [--curve W1,W2,...] [--algo-id N]
             an execution algo: Q in N IOC slices over [start (now), end], never through LIMIT,
             a slice at most X (0.1 = 10 %) of the volume traded since the last, at most
             --catch-up times its own quantity when behind; vwap weights its slices by --curve
             (equal buckets over the window) or, without one, by the volume recorded at those
             times of day
  algo list [--account A] | show ID | cancel ID | pause ID | resume ID (--account A)
  sor submit --account A --strategy S --instrument SYM --side buy|sell --qty Q [--price LIMIT]
             [--urgency-bps N] [--accounts A1,A2,...] [--parent-id N]
             a smart-routed parent: Q split at once across the venues listing SYM's pair and
             the accounts given (default: every account you may use), from their books net of
             taker fees, balances, order budgets and risk limits, as IOC children at most N bp
             (0..1000, default 0) past each venue's deepest planned level, never through LIMIT
  sor list [--account A] | show ID   the parents (open, then the last ended): state, planned,
             filled, avg price, the children (account:client order id)
  sor cancel ID --account A   cancels the parent's children still out
  transfer   --from A --to B --asset ASSET --amount X [--from-market spot|usdm]
             [--to-market spot|usdm] [--id N] [--wait-ms N]  a transfer: Binance main <-> sub,
             sub <-> sub, one account's spot <-> usdm; Bybit main <-> sub, sub <-> sub; OKX
             main <-> sub (accounts.yaml: email / member_id / sub_account), run by omsd's transfer service and
             recorded in the TRANSFERS stream; waits up to N ms (10000) for its outcome. --id:
             your id (a whole number; the same id twice is answered with the first's transfer)
  transfers  [--limit N]  the recent transfers, newest first, with their status
  rebalance  --dry-run | --run  the rebalancing plan of each Binance, Bybit and OKX family (free USDT: Binance's
             spot wallet, Bybit's / OKX's unified wallet; accounts.yaml target_ratio and
             balance_rules) from omsd's balances now; --run starts one transfer per planned one
  records show --stream S --seq N | quarantine --stream S --seq N [--reason TEXT]
             one stored record of an account stream (ACCOUNT_{exchange}_{account}) and what a
             rebuild thinks of it; quarantine stores a record that every later rebuild reads as
             "pass over sequence N" (only a record a rebuild refuses: one that does not decode,
             does not belong on its subject or fails its MAC), then the account is rebuilt
  top        [--board PATH] [--once]  live balances, positions, open orders and tops of book from
             omsd's state board (not the API): redraws on a terminal until q or Ctrl-C; one
             plain table with --once or when not a terminal. Default board: the one omsd keeps
             for --data DIR (/dev/shm/oms-board-omsd-<hash of DIR>.board)
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;
  std::vector<std::string> args;  // after the command (strategy's)
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  std::vector<std::string> orders;  // --order, repeated (batch)

  [[nodiscard]] std::string get(const std::string& name, const std::string& fallback = {}) const {
    const auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  [[nodiscard]] bool has(const std::string& name) const { return switches.count(name) != 0; }
};

const std::set<std::string> kSwitches = {"json", "unified", "unlimited", "reduce-only", "once", "dry-run", "run"};
const std::set<std::string> kValues = {
    "address", "ca", "token-file", "data", "timeout-ms", "account", "instrument", "side", "qty",
    "price", "stop-price", "type", "tif", "strategy", "id", "scope", "kind", "value", "state",
    "reason", "wait-ack-ms", "board", "day",
    "exchange", "main", "file", "order", "venue-id",
    "slices", "start-ns", "end-ns", "duration-s", "participation", "catch-up", "curve", "algo-id",
    "from", "to", "asset", "amount", "from-market", "to-market", "wait-ms", "limit",
    "stream", "seq", "urgency-bps", "accounts", "parent-id"};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      if (a.command.empty()) {
        a.command = arg;
      } else if (a.command == "strategy" || a.command == "algo" || a.command == "records" ||
                 a.command == "sor") {
        a.args.push_back(arg);
      } else {
        throw UsageError("unexpected argument '" + arg + "'");
      }
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (kSwitches.count(name) != 0 && !value) {
      a.switches.insert(name);
    } else if (kValues.count(name) != 0) {
      if (!value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
        value = argv[++i];
      }
      if (name == "order") a.orders.push_back(*value);
      else a.values[name] = *value;
    } else {
      throw UsageError("unknown flag --" + name);
    }
  }
  if (a.command.empty()) throw UsageError("no command");
  return a;
}

std::string read_file(const std::filesystem::path& p, const char* what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw UsageError(std::string(what) + " " + p.string() + " cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

// ---- output ------------------------------------------------------------------------------------
std::string field_text(const pb::Message& m, const pb::FieldDescriptor* f) {
  const auto* r = m.GetReflection();
  if (f->is_repeated()) {
    std::string out;
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      if (i > 0) out += ",";
      out += f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING ? r->GetRepeatedString(m, f, i) : "?";
    }
    return out;
  }
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING: return r->GetString(m, f);
    case pb::FieldDescriptor::CPPTYPE_BOOL: return r->GetBool(m, f) ? "true" : "false";
    case pb::FieldDescriptor::CPPTYPE_UINT32: return std::to_string(r->GetUInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT64: return std::to_string(r->GetUInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT32: return std::to_string(r->GetInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT64: return std::to_string(r->GetInt64(m, f));
    default: return "?";
  }
}

// Rows (the first is the header) as columns two spaces apart.
void print_rows(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

// A list reply (one repeated message field) as aligned columns; anything else as key: value.
void print_table(const pb::Message& m, std::ostream& out) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (!f->is_repeated() || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      out << f->name() << ": " << field_text(m, f) << "\n";
      continue;
    }
    const auto* rd = f->message_type();
    std::vector<std::vector<std::string>> rows(1);
    for (int c = 0; c < rd->field_count(); ++c) rows[0].push_back(rd->field(c)->name());
    for (int k = 0; k < r->FieldSize(m, f); ++k) {
      const auto& row = r->GetRepeatedMessage(m, f, k);
      rows.emplace_back();
      for (int c = 0; c < rd->field_count(); ++c) rows.back().push_back(field_text(row, rd->field(c)));
    }
    print_rows(rows, out);
  }
}

void print(const pb::Message& m, bool json) {
  if (!json) {
    print_table(m, std::cout);
    return;
  }
  pb::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  std::string text;
  (void)pb::util::MessageToJsonString(m, &text, o);
  std::cout << text << "\n";
}

// ---- the calls ---------------------------------------------------------------------------------
struct Client {
  std::unique_ptr<api::Oms::Stub> stub;
  std::string token;
  std::chrono::milliseconds timeout{10000};

  void prepare(grpc::ClientContext& ctx) const {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  }
};

template <class Request, class Reply, class Call>
int call(const Client& c, const Args& a, const Request& req, Call method) {
  grpc::ClientContext ctx;
  c.prepare(ctx);
  Reply reply;
  const grpc::Status s = ((*c.stub).*method)(&ctx, req, &reply);
  if (!s.ok()) {
    std::cerr << "omsctl: " << code_name(s.error_code()) << ": " << s.error_message() << "\n";
    return 1;
  }
  print(reply, a.has("json"));
  if constexpr (std::is_same_v<Reply, api::CommandReply>) {
    if (!reply.accepted()) {
      std::cerr << "omsctl: refused: " << reply.code() << ": " << reply.message() << "\n";
      return 3;
    }
  }
  if constexpr (std::is_same_v<Reply, api::BatchReply>) {
    if (reply.accepted() != static_cast<std::uint32_t>(reply.orders_size())) {
      std::cerr << "omsctl: refused: " << (static_cast<std::uint32_t>(reply.orders_size()) - reply.accepted())
                << " of " << reply.orders_size() << " orders\n";
      return 3;
    }
  }
  return 0;
}

// The list requests' flags (orders, fills, balances; positions).
api::AccountRequest account_request(const Args& a) {
  api::AccountRequest r;
  r.set_account(a.get("account"));
  r.set_exchange(a.get("exchange"));
  r.set_main(a.get("main"));
  r.set_instrument(a.get("instrument"));
  if (a.command == "orders") r.set_day(a.get("day"));
  return r;
}

api::PositionsRequest positions_request(const Args& a) {
  api::PositionsRequest r;
  r.set_account(a.get("account"));
  r.set_unified(a.has("unified"));
  r.set_exchange(a.get("exchange"));
  r.set_main(a.get("main"));
  r.set_instrument(a.get("instrument"));
  return r;
}

// ---- several daemons -------------------------------------------------------------------------------
// A list asked of every daemon (omsd --accounts shares a desk's accounts out): each daemon's rows
// in address order; merge folds one daemon's reply into the whole.
template <class Request, class Reply, class Call, class Merge>
int call_all(const std::vector<Client>& cs, const std::vector<std::string>& addresses, const Args& a,
             const Request& req, Call method, Merge merge) {
  Reply whole;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    grpc::ClientContext ctx;
    cs[i].prepare(ctx);
    Reply reply;
    const grpc::Status s = ((*cs[i].stub).*method)(&ctx, req, &reply);
    if (!s.ok()) {
      std::cerr << "omsctl: " << addresses[i] << ": " << code_name(s.error_code()) << ": " << s.error_message() << "\n";
      return 1;
    }
    merge(whole, reply);
  }
  print(whole, a.has("json"));
  return 0;
}

// A decimal of a reply; throws naming the field (a daemon's reply is never guessed at).
oms::Decimal reply_decimal(const std::string& text, const std::string& what) {
  if (text.empty()) return {};
  auto d = oms::Decimal::parse(text);
  if (!d) throw std::runtime_error(what + ": '" + text + "' is not a decimal");
  return *d;
}

// Unified positions summed over daemons: per instrument the sizes, costs (size x entry), PnL and
// fees add up; the USDT figures only when every daemon had them.
void add_unified(api::PositionList& whole, const api::PositionList& part) {
  for (const auto& p : part.positions()) {
    api::Position* into = nullptr;
    for (auto& w : *whole.mutable_positions()) {
      if (w.instrument() == p.instrument()) into = &w;
    }
    if (into == nullptr) {
      *whole.add_positions() = p;
      continue;
    }
    const auto sum = [&](const std::string& a, const std::string& b, const char* field) {
      const auto x = reply_decimal(a, std::string(field) + " of " + p.instrument());
      const auto y = reply_decimal(b, std::string(field) + " of " + p.instrument());
      return oms::Decimal::from_raw(x.raw() + y.raw()).to_string();
    };
    const auto size_a = reply_decimal(into->size(), "size of " + p.instrument());
    const auto size_b = reply_decimal(p.size(), "size of " + p.instrument());
    // As the daemons' own: cost / size, half-even at 1e-9 (NetPosition::entry_price), the cost
    // from each daemon's entry price; none when flat.
    const oms::Int128 size = oms::Int128{size_a.raw()} + size_b.raw();
    const oms::Int128 cost = oms::Int128{size_a.raw()} * reply_decimal(into->entry_price(), "entry_price").raw() +
                             oms::Int128{size_b.raw()} * reply_decimal(p.entry_price(), "entry_price").raw();
    oms::Int128 entry = 0;
    if (size != 0 && !oms::round_quotient(cost, size, oms::Rounding::kHalfEven, entry)) {
      throw std::runtime_error("entry price of " + p.instrument() + ": out of range");
    }
    into->set_entry_price(oms::Decimal::from_raw(entry).to_string());
    into->set_size(oms::Decimal::from_raw(size).to_string());
    into->set_realized_pnl(sum(into->realized_pnl(), p.realized_pnl(), "realized_pnl"));
    into->set_fees(sum(into->fees(), p.fees(), "fees"));
    for (const auto& name : p.accounts()) into->add_accounts(name);
    const bool valued = !into->value_usdt().empty() && !p.value_usdt().empty();
    into->set_value_usdt(valued ? sum(into->value_usdt(), p.value_usdt(), "value_usdt") : "");
    into->set_unrealized_pnl_usdt(valued ? sum(into->unrealized_pnl_usdt(), p.unrealized_pnl_usdt(), "unrealized_pnl_usdt") : "");
    into->set_realized_pnl_usdt(valued ? sum(into->realized_pnl_usdt(), p.realized_pnl_usdt(), "realized_pnl_usdt") : "");
  }
}

// orders, fills, balances, positions over several daemons; other commands are one daemon's.
int run_all(const std::vector<Client>& cs, const std::vector<std::string>& addresses, const Args& a) {
  const auto& cmd = a.command;
  const auto concat = [](auto& whole, const auto& part) { whole.MergeFrom(part); };
  if (cmd == "orders" || cmd == "fills" || cmd == "balances") {
    const auto r = account_request(a);
    if (cmd == "orders") return call_all<api::AccountRequest, api::OrderList>(cs, addresses, a, r, &api::Oms::Stub::ListOrders, concat);
    if (cmd == "fills") return call_all<api::AccountRequest, api::FillList>(cs, addresses, a, r, &api::Oms::Stub::ListFills, concat);
    return call_all<api::AccountRequest, api::BalanceList>(cs, addresses, a, r, &api::Oms::Stub::ListBalances, concat);
  }
  if (cmd == "positions") {
    const auto r = positions_request(a);
    if (!a.has("unified")) {
      return call_all<api::PositionsRequest, api::PositionList>(cs, addresses, a, r, &api::Oms::Stub::ListPositions, concat);
    }
    return call_all<api::PositionsRequest, api::PositionList>(cs, addresses, a, r, &api::Oms::Stub::ListPositions, add_unified);
  }
  throw UsageError(cmd + ": speaks to one daemon (--address names " + std::to_string(addresses.size()) +
                   "); several daemons answer orders, fills, balances and positions");
}

// ---- batches -------------------------------------------------------------------------------------
// One batch entry from "key=value,key=value": SubmitOrderRequest's fields by name, or submit's
// flag names (qty, type, id, stop-price, reduce-only). where: "--order 2" for errors.
api::SubmitOrderRequest order_entry(const std::string& text, const std::string& where) {
  static const std::map<std::string, std::string> kAliases = {
      {"qty", "quantity"}, {"type", "order_type"}, {"id", "client_order_id"},
      {"stop-price", "stop_price"}, {"reduce-only", "reduce_only"}};
  api::SubmitOrderRequest r;
  const auto* d = r.GetDescriptor();
  const auto* refl = r.GetReflection();
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw UsageError(where + ": '" + item + "' is not key=value");
    std::string key = trim(item.substr(0, eq));
    const std::string value = trim(item.substr(eq + 1));
    if (const auto alias = kAliases.find(key); alias != kAliases.end()) key = alias->second;
    const auto* f = d->FindFieldByName(key);
    if (f == nullptr || key == "account" || key == "wait_ack_ms") {
      throw UsageError(where + ": unknown key '" + key + "'");
    }
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_BOOL) {
      if (value != "true" && value != "false") throw UsageError(where + ": " + key + ": expected true or false");
      refl->SetBool(&r, f, value == "true");
    } else {
      refl->SetString(&r, f, value);
    }
  }
  return r;
}

int batch(const Client& c, const Args& a) {
  api::SubmitBatchRequest r;
  r.set_account(a.get("account"));
  const bool has_file = a.values.count("file") != 0;
  if (has_file == !a.orders.empty()) throw UsageError("batch: give --file FILE or --order ... (one of them)");
  for (std::size_t i = 0; i < a.orders.size(); ++i) {
    *r.add_orders() = order_entry(a.orders[i], "--order " + std::to_string(i + 1));
  }
  if (has_file) {
    const std::string file = a.get("file");
    std::string text;
    if (file == "-") {
      std::stringstream all;
      all << std::cin.rdbuf();
      text = all.str();
    } else {
      text = read_file(file, "orders file");
    }
    std::stringstream lines(text);
    std::string line;
    for (int n = 1; std::getline(lines, line); ++n) {
      if (trim(line).empty()) continue;
      api::SubmitOrderRequest o;
      const auto st = pb::util::JsonStringToMessage(line, &o);
      if (!st.ok()) throw UsageError(file + ":" + std::to_string(n) + ": " + std::string(st.message()));
      *r.add_orders() = std::move(o);
    }
  }
  if (a.values.count("wait-ack-ms") != 0) {
    r.set_wait_ack_ms(static_cast<std::uint32_t>(std::stoul(a.get("wait-ack-ms"))));
  }
  return call<api::SubmitBatchRequest, api::BatchReply>(c, a, r, &api::Oms::Stub::SubmitBatch);
}

// ---- strategies ----------------------------------------------------------------------------------
std::string pnl_text(const api::Strategy& s) {
  std::string out;
  for (const auto& p : s.pnl()) out += (out.empty() ? "" : ", ") + p.net() + " " + p.quote();
  return out.empty() ? "0" : out;
}

void print_strategies(const api::StrategyList& list, bool detailed, std::ostream& out) {
  if (!detailed) {
    std::vector<std::vector<std::string>> rows{{"name", "type", "state", "orders", "pairs", "quoters", "net_pnl"}};
    for (const auto& s : list.strategies()) {
      rows.push_back({s.name(), s.type(), s.state(), std::to_string(s.orders()),
                      std::to_string(s.pairs()), std::to_string(s.quoters_size()), pnl_text(s)});
    }
    print_rows(rows, out);
    return;
  }
  for (const auto& s : list.strategies()) {
    out << "strategy: " << s.name() << "\ntype: " << s.type() << "\nstate: " << s.state()
        << "\norders: " << s.orders() << "\npairs: " << s.pairs() << "\n";
    out << "params:" << (s.params_size() == 0 ? " (as configured)" : "") << "\n";
    for (const auto& p : s.params()) out << "  " << p.key() << "=" << p.value() << "\n";
    for (const auto& p : s.pnl()) {
      out << "pnl " << p.quote() << ": realized " << p.realized() << ", unrealized "
          << p.unrealized() << ", fees " << p.fees() << ", net " << p.net() << "\n";
    }
    for (const auto& q : s.quoters()) {
      out << "quoter " << q.account() << " " << q.instrument() << ": " << q.state() << ", fair "
          << q.fair() << ", inventory " << q.inventory() << ", quotes " << q.quotes()
          << ", actions " << q.actions() << ", pulls " << q.pulls() << "\n";
    }
    if (s.has_sagas()) {
      const auto& g = s.sagas();
      out << "sagas: opened " << g.opened() << ", open " << g.open() << ", closed " << g.closed()
          << " (hedged " << g.hedged() << "), missed " << g.missed() << ", unwound " << g.unwound()
          << ", failed " << g.failed() << ", refused " << g.refused() << "\n";
      out << "sagas pnl: " << g.pnl() << ", leg latency avg "
          << (g.leg_latency_avg_us() > 0 ? std::to_string(g.leg_latency_avg_us()) + " us" : std::string("-"))
          << ", slippage avg " << (g.slippage_avg().empty() ? std::string("-") : g.slippage_avg()) << "\n";
      if (!g.last_refusal().empty()) out << "last refusal: " << g.last_refusal() << "\n";
      for (const auto& o : g.open_sagas()) {
        out << "saga " << o.saga() << " " << o.state() << ": buy " << o.buy() << ", sell " << o.sell()
            << ", quantity " << o.quantity() << ", bought " << o.bought() << ", sold " << o.sold()
            << (o.repair_order().empty() ? std::string() : ", repair " + o.repair_order() + " #" +
                                                               std::to_string(o.attempts()))
            << " -- " << o.reason() << "\n";
      }
    }
  }
}

int strategy(const Client& c, const Args& a) {
  if (a.args.empty()) throw UsageError("strategy: list, show, start, stop or set");
  const std::string& what = a.args[0];
  if (what == "list" || what == "show") {
    api::StrategiesRequest r;
    if (what == "show") {
      if (a.args.size() != 2) throw UsageError("strategy show NAME");
      r.set_name(a.args[1]);
    } else if (a.args.size() != 1) {
      throw UsageError("strategy list takes no name (strategy show NAME)");
    }
    grpc::ClientContext ctx;
    c.prepare(ctx);
    api::StrategyList reply;
    const grpc::Status st = c.stub->ListStrategies(&ctx, r, &reply);
    if (!st.ok()) {
      std::cerr << "omsctl: " << code_name(st.error_code()) << ": " << st.error_message() << "\n";
      return 1;
    }
    if (a.has("json")) print(reply, true);
    else print_strategies(reply, what == "show", std::cout);
    return 0;
  }
  if (what != "start" && what != "stop" && what != "set") {
    throw UsageError("strategy: unknown action '" + what + "' (list, show, start, stop, set)");
  }
  if (a.args.size() < 2) throw UsageError("strategy " + what + " NAME");
  api::StrategyControlRequest r;
  r.set_name(a.args[1]);
  r.set_action(what);
  r.set_reason(a.get("reason"));
  if (what == "set") {
    if (a.args.size() < 3) throw UsageError("strategy set NAME KEY=VALUE...");
    for (std::size_t i = 2; i < a.args.size(); ++i) {
      const auto eq = a.args[i].find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UsageError("strategy set: '" + a.args[i] + "' is not KEY=VALUE");
      }
      auto* p = r.add_params();
      p->set_key(a.args[i].substr(0, eq));
      p->set_value(a.args[i].substr(eq + 1));
    }
  } else if (a.args.size() != 2) {
    throw UsageError("strategy " + what + " NAME (one name)");
  }
  return call<api::StrategyControlRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::ControlStrategy);
}

std::uint64_t whole(const std::string& flag, const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    throw UsageError(flag + ": '" + text + "' is not a whole number");
  }
  return std::stoull(text);
}

// `algo|sor list` and `algo|sor show ID`: the engine's algos (ListAlgos), only the smart-routed
// parents (kind "sor") when sor_only; show prints the one with the id (exit 3 when none).
int list_algos(const Client& c, const Args& a, const std::string& cmd, bool sor_only) {
  const bool show = a.args[0] == "show";
  if (show && a.args.size() != 2) throw UsageError(cmd + " show ID");
  if (!show && a.args.size() != 1) throw UsageError(cmd + " list takes no id (" + cmd + " show ID)");
  const std::uint64_t id = show ? whole(cmd + " show", a.args[1]) : 0;
  api::AlgosRequest r;
  r.set_account(a.get("account"));
  grpc::ClientContext ctx;
  c.prepare(ctx);
  api::AlgoList reply;
  const grpc::Status st = c.stub->ListAlgos(&ctx, r, &reply);
  if (!st.ok()) {
    std::cerr << "omsctl: " << code_name(st.error_code()) << ": " << st.error_message() << "\n";
    return 1;
  }
  api::AlgoList kept;
  for (const auto& al : reply.algos()) {
    if (sor_only && al.kind() != "sor") continue;
    if (!show) {
      *kept.add_algos() = al;
    } else if (al.algo() == id) {
      if (a.has("json")) print(al, true);
      else print_table(al, std::cout);
      return 0;
    }
  }
  if (show) {
    std::cerr << "omsctl: no " << (sor_only ? "sor parent " : "algo ") << id << "\n";
    return 3;
  }
  print(kept, a.has("json"));
  return 0;
}
int algo(const Client& c, const Args& a) {
  if (a.args.empty()) throw UsageError("algo: submit, list, show, cancel, pause or resume");
  const std::string& what = a.args[0];
  if (what == "submit") {
    if (a.args.size() != 1) throw UsageError("algo submit takes flags only");
    api::SubmitAlgoRequest r;
    r.set_account(a.get("account"));
    r.set_strategy(a.get("strategy"));
    r.set_instrument(a.get("instrument"));
    r.set_kind(a.get("kind"));
    r.set_side(a.get("side"));
    r.set_quantity(a.get("qty"));
    r.set_limit_price(a.get("price"));
    r.set_participation(a.get("participation"));
    r.set_catch_up(a.get("catch-up"));
    r.set_slices(static_cast<std::uint32_t>(whole("--slices", a.get("slices"))));
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::int64_t start = a.values.count("start-ns") != 0
                                   ? static_cast<std::int64_t>(whole("--start-ns", a.get("start-ns"))) : now;
    r.set_start_ns(start);
    if (a.values.count("end-ns") != 0) {
      r.set_end_ns(static_cast<std::int64_t>(whole("--end-ns", a.get("end-ns"))));
    } else if (a.values.count("duration-s") != 0) {
      r.set_end_ns(start + static_cast<std::int64_t>(whole("--duration-s", a.get("duration-s"))) * 1'000'000'000);
    } else {
      throw UsageError("algo submit: --end-ns T or --duration-s N");
    }
    const std::string curve = a.get("curve");
    for (std::size_t at = 0; !curve.empty() && at <= curve.size();) {
      const auto comma = std::min(curve.find(',', at), curve.size());
      r.add_curve(static_cast<std::uint32_t>(whole("--curve", curve.substr(at, comma - at))));
      at = comma + 1;
    }
    if (a.values.count("algo-id") != 0) r.set_algo(whole("--algo-id", a.get("algo-id")));
    return call<api::SubmitAlgoRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::SubmitAlgo);
  }
  if (what == "list" || what == "show") return list_algos(c, a, "algo", false);
  if (what != "cancel" && what != "pause" && what != "resume") {
    throw UsageError("algo: unknown action '" + what + "' (submit, list, show, cancel, pause, resume)");
  }
  if (a.args.size() != 2) throw UsageError("algo " + what + " ID --account A");
  api::AlgoControlRequest r;
  r.set_account(a.get("account"));
  r.set_algo(whole("algo " + what, a.args[1]));
  r.set_action(what);
  return call<api::AlgoControlRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::ControlAlgo);
}

int sor(const Client& c, const Args& a) {
  if (a.args.empty()) throw UsageError("sor: submit, list, show or cancel");
  // The parents are the engine's algos of kind "sor" (ListAlgos).
  if (a.args[0] == "list" || a.args[0] == "show") return list_algos(c, a, "sor", true);
  if (a.args[0] == "submit") {
    if (a.args.size() != 1) throw UsageError("sor submit takes flags only");
    api::SubmitSorRequest r;
    r.set_account(a.get("account"));
    r.set_strategy(a.get("strategy"));
    r.set_instrument(a.get("instrument"));
    r.set_side(a.get("side"));
    r.set_quantity(a.get("qty"));
    r.set_limit_price(a.get("price"));
    if (a.values.count("urgency-bps") != 0) {
      r.set_urgency_bps(static_cast<std::uint32_t>(whole("--urgency-bps", a.get("urgency-bps"))));
    }
    const std::string accounts = a.get("accounts");
    for (std::size_t at = 0; !accounts.empty() && at <= accounts.size();) {
      const auto comma = std::min(accounts.find(',', at), accounts.size());
      r.add_accounts(accounts.substr(at, comma - at));
      at = comma + 1;
    }
    if (a.values.count("parent-id") != 0) r.set_parent(whole("--parent-id", a.get("parent-id")));
    return call<api::SubmitSorRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::SubmitSor);
  }
  if (a.args[0] != "cancel") throw UsageError("sor: unknown action '" + a.args[0] + "' (submit, list, show, cancel)");
  if (a.args.size() != 2) throw UsageError("sor cancel ID --account A");
  api::AlgoControlRequest r;
  r.set_account(a.get("account"));
  r.set_algo(whole("sor cancel", a.args[1]));
  r.set_action("cancel");
  return call<api::AlgoControlRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::ControlAlgo);
}

int run(const Client& c, const Args& a) {
  const auto& cmd = a.command;
  if (cmd == "submit") {
    api::SubmitOrderRequest r;
    r.set_account(a.get("account"));
    r.set_instrument(a.get("instrument"));
    r.set_strategy(a.get("strategy"));
    r.set_client_order_id(a.get("id"));
    r.set_side(a.get("side"));
    r.set_order_type(a.get("type"));
    r.set_tif(a.get("tif"));
    r.set_price(a.get("price"));
    r.set_stop_price(a.get("stop-price"));
    r.set_quantity(a.get("qty"));
    r.set_reduce_only(a.has("reduce-only"));
    if (a.values.count("wait-ack-ms") != 0) {
      r.set_wait_ack_ms(static_cast<std::uint32_t>(std::stoul(a.get("wait-ack-ms"))));
    }
    return call<api::SubmitOrderRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::SubmitOrder);
  }
  if (cmd == "batch") return batch(c, a);
  if (cmd == "amend") {
    api::AmendOrderRequest r;
    r.set_account(a.get("account"));
    r.set_instrument(a.get("instrument"));
    r.set_client_order_id(a.get("id"));
    r.set_new_price(a.get("price"));
    r.set_new_quantity(a.get("qty"));
    return call<api::AmendOrderRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::AmendOrder);
  }
  if (cmd == "cancel") {
    api::CancelOrderRequest r;
    r.set_account(a.get("account"));
    r.set_instrument(a.get("instrument"));
    r.set_client_order_id(a.get("id"));
    r.set_venue_order_id(a.get("venue-id"));
    return call<api::CancelOrderRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::CancelOrder);
  }
  if (cmd == "cancel-all") {
    api::CancelAllRequest r;
    r.set_account(a.get("account"));
    r.set_instrument(a.get("instrument"));
    return call<api::CancelAllRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::CancelAll);
  }
  if (cmd == "orders" || cmd == "fills" || cmd == "balances") {
    const auto r = account_request(a);
    if (cmd == "orders") return call<api::AccountRequest, api::OrderList>(c, a, r, &api::Oms::Stub::ListOrders);
    if (cmd == "fills") return call<api::AccountRequest, api::FillList>(c, a, r, &api::Oms::Stub::ListFills);
    return call<api::AccountRequest, api::BalanceList>(c, a, r, &api::Oms::Stub::ListBalances);
  }
  if (cmd == "positions") {
    const auto r = positions_request(a);
    return call<api::PositionsRequest, api::PositionList>(c, a, r, &api::Oms::Stub::ListPositions);
  }
  if (cmd == "set-limit") {
    api::SetRiskLimitRequest r;
    r.set_scope(a.get("scope"));
    r.set_account(a.get("account"));
    r.set_strategy(a.get("strategy"));
    r.set_instrument(a.get("instrument"));
    r.set_kind(a.get("kind"));
    r.set_value(a.get("value"));
    r.set_unlimited(a.has("unlimited"));
    return call<api::SetRiskLimitRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::SetRiskLimit);
  }
  if (cmd == "kill" || cmd == "reset") {
    api::KillSwitchRequest r;
    r.set_scope(a.get("scope"));
    r.set_account(a.get("account"));
    r.set_strategy(a.get("strategy"));
    r.set_state(a.get("state"));
    r.set_reason(a.get("reason"));
    if (cmd == "kill")
      return call<api::KillSwitchRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::TripKillSwitch);
    return call<api::KillSwitchRequest, api::CommandReply>(c, a, r, &api::Oms::Stub::ResetKillSwitch);
  }
  if (cmd == "strategy") return strategy(c, a);
  if (cmd == "algo") return algo(c, a);
  if (cmd == "sor") return sor(c, a);
  if (cmd == "transfer") {
    api::TransferRequest r;
    r.set_from_account(a.get("from"));
    r.set_to_account(a.get("to"));
    r.set_from_market(a.get("from-market"));
    r.set_to_market(a.get("to-market"));
    r.set_asset(a.get("asset"));
    r.set_amount(a.get("amount"));
    if (a.values.count("id") != 0) r.set_transfer_id(whole("--id", a.get("id")));
    if (a.values.count("wait-ms") != 0) r.set_wait_ms(static_cast<std::uint32_t>(whole("--wait-ms", a.get("wait-ms"))));
    grpc::ClientContext ctx;
    c.prepare(ctx);
    // The call waits for the outcome (wait_ms, 10000 unset): the deadline leaves it that long.
    const auto wait = std::chrono::milliseconds(r.wait_ms() == 0 ? 10'000 : r.wait_ms());
    ctx.set_deadline(std::chrono::system_clock::now() + std::max(c.timeout, wait + std::chrono::milliseconds(5'000)));
    api::TransferReply reply;
    const grpc::Status st = c.stub->RequestTransfer(&ctx, r, &reply);
    if (!st.ok()) {
      std::cerr << "omsctl: " << code_name(st.error_code()) << ": " << st.error_message() << "\n";
      return 1;
    }
    if (a.has("json")) {
      print(reply, true);
    } else {
      print_table(reply.transfer(), std::cout);
      std::cout << "duplicate: " << (reply.duplicate() ? "true" : "false") << "\n";
    }
    if (reply.transfer().status() == "failed") {
      std::cerr << "omsctl: transfer failed: " << reply.transfer().code() << ": " << reply.transfer().reason() << "\n";
      return 3;
    }
    return 0;
  }
  if (cmd == "transfers") {
    api::TransfersRequest r;
    if (a.values.count("limit") != 0) r.set_limit(static_cast<std::uint32_t>(whole("--limit", a.get("limit"))));
    return call<api::TransfersRequest, api::TransferList>(c, a, r, &api::Oms::Stub::ListTransfers);
  }
  if (cmd == "rebalance") {
    if (a.has("dry-run") == a.has("run")) throw UsageError("rebalance: --dry-run or --run (one of them)");
    api::RebalanceRequest r;
    r.set_dry_run(a.has("dry-run"));
    return call<api::RebalanceRequest, api::RebalanceReply>(c, a, r, &api::Oms::Stub::Rebalance);
  }
  if (cmd == "records") {
    const std::string what = a.args.empty() ? std::string() : a.args[0];
    if (a.args.size() != 1 || (what != "show" && what != "quarantine")) {
      throw UsageError("records: show or quarantine (--stream S --seq N)");
    }
    if (a.values.count("seq") == 0) throw UsageError("records " + what + ": --seq N missing");
    if (what == "show") {
      api::RecordRequest r;
      r.set_stream(a.get("stream"));
      r.set_sequence(whole("--seq", a.get("seq")));
      return call<api::RecordRequest, api::RecordReply>(c, a, r, &api::Oms::Stub::ShowRecord);
    }
    api::QuarantineRequest r;
    r.set_stream(a.get("stream"));
    r.set_sequence(whole("--seq", a.get("seq")));
    r.set_reason(a.get("reason"));
    return call<api::QuarantineRequest, api::RecordReply>(c, a, r, &api::Oms::Stub::QuarantineRecord);
  }
  if (cmd == "health") {
    return call<api::HealthRequest, api::HealthReply>(c, a, api::HealthRequest{}, &api::Oms::Stub::Health);
  }
  if (cmd == "premiums") {
    return call<api::PremiumsRequest, api::PremiumList>(c, a, api::PremiumsRequest{}, &api::Oms::Stub::ListPremiums);
  }
  throw UsageError("unknown command '" + cmd + "'");
}

// Holds gRPC initialised for the whole call and shuts it down synchronously at the end: the
// channel's own shutdown is asynchronous (a cleanup thread that may still run, holding its
// OpenSSL thread state, when the process exits).
struct GrpcLifetime {
  GrpcLifetime() { grpc_init(); }
  ~GrpcLifetime() { grpc_shutdown_blocking(); }
  GrpcLifetime(const GrpcLifetime&) = delete;
  GrpcLifetime& operator=(const GrpcLifetime&) = delete;
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (;;) {
    const auto comma = text.find(',', at);
    out.push_back(text.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (out.back().empty()) throw UsageError("an empty item in '" + text + "'");
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

// A client of one daemon: its token and the CA its certificate chains to.
Client connect(const std::string& address, const std::filesystem::path& ca,
               const std::filesystem::path& token_file, std::chrono::milliseconds timeout) {
  Client c;
  c.token = trim(read_file(token_file, "token file"));
  if (c.token.empty()) throw UsageError("token file " + token_file.string() + " is empty");
  c.timeout = timeout;
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = read_file(ca, "CA file");
  c.stub = api::Oms::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(tls)));
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const GrpcLifetime grpc_lifetime;
  try {
    const Args a = parse(argc, argv);
    const std::filesystem::path data = a.get("data", "./data");
    if (a.command == "top") {  // the board only: no token, no connection to the daemon
      return oms::omsctl::run_top({a.get("board", oms::actors::default_board_path(data)), a.has("once")});
    }
    const auto timeout_text = a.get("timeout-ms", "10000");
    std::size_t used = 0;
    long long ms = 0;
    try {
      ms = std::stoll(timeout_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != timeout_text.size() || ms <= 0) throw UsageError("--timeout-ms: expected a positive whole number");
    const std::chrono::milliseconds timeout(ms);
    if (const auto addresses = split_commas(a.get("address", "127.0.0.1:50051")); addresses.size() > 1) {
      // Each daemon's token and CA from its own data dir.
      const auto datas = split_commas(a.get("data", "./data"));
      if (datas.size() != addresses.size()) {
        throw UsageError("--address names " + std::to_string(addresses.size()) + " daemons: --data names each one's data dir (" +
                         std::to_string(datas.size()) + " given)");
      }
      std::vector<Client> cs;
      for (std::size_t i = 0; i < addresses.size(); ++i) {
        const std::filesystem::path d = datas[i];
        cs.push_back(connect(addresses[i], d / "tls" / "ca.pem", d / "api" / "omsctl.token", timeout));
      }
      return run_all(cs, addresses, a);
    }
    const auto ca = a.values.count("ca") != 0 ? std::filesystem::path(a.get("ca")) : data / "tls" / "ca.pem";
    const auto token_file = a.values.count("token-file") != 0 ? std::filesystem::path(a.get("token-file"))
                                                              : data / "api" / "omsctl.token";
    const Client c = connect(a.get("address", "127.0.0.1:50051"), ca, token_file, timeout);
    return run(c, a);
  } catch (const UsageError& e) {
    std::cerr << "omsctl: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "omsctl: " << e.what() << "\n";
    return 1;
  }
}
