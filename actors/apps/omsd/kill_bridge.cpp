#include "kill_bridge.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "daemon.hpp"
#include "oms/persistence/stream_layout.hpp"

namespace oms::omsd {

using namespace std::chrono_literals;

namespace {

constexpr std::string_view kKillFilter = "control.kill.>";
constexpr auto kLook = 20ms;          // how often the local switch is looked at
constexpr auto kCommandTimeout = 5s;  // the engine's answer to an applied state

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A stable id from the values that make a record or a command unique, never 0.
std::uint64_t mixed(std::uint64_t a, std::uint64_t b) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint64_t v : {a, b}) h = (h ^ v) * 0x100000001b3ULL;
  return h == 0 ? 1 : h;
}

}  // namespace

std::string encode_kill_record(const KillRecord& r) {
  return nlohmann::json{{"desk", r.desk}, {"state", enum_name(r.state)}, {"reason", r.reason}}.dump();
}

Result<KillRecord, std::string> decode_kill_record(std::string_view payload) {
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return Unexpected(std::string("not a JSON object"));
  KillRecord r;
  const auto desk = j.find("desk");
  if (desk == j.end() || !desk->is_number_unsigned() || desk->get<std::uint64_t>() == 0 ||
      desk->get<std::uint64_t>() > 1295) {
    return Unexpected(std::string("desk: expected 1..1295"));
  }
  r.desk = desk->get<std::uint16_t>();
  const auto state = j.find("state");
  const auto parsed = state != j.end() && state->is_string()
                          ? enum_parse<KillSwitchState>(state->get<std::string>())
                          : std::nullopt;
  if (!parsed) return Unexpected(std::string("state: expected active, reducing_only or halted"));
  r.state = *parsed;
  if (const auto reason = j.find("reason"); reason != j.end()) {
    if (!reason->is_string()) return Unexpected(std::string("reason: expected a string"));
    r.reason = reason->get<std::string>();
  }
  return r;
}

KillBridge::KillBridge(Daemon& daemon, std::function<void(const TripKillSwitch&)> on_remote_trip)
    : daemon_(daemon), on_remote_trip_(std::move(on_remote_trip)) {}

KillBridge::~KillBridge() { stop(); }

KillSwitchState KillBridge::local() const {
  return daemon_.risk()->limits().kill_switch(LimitScope::kGlobal, 0);
}

void KillBridge::start() {
  const std::string stream(persistence::StreamLayout::kControl);
  auto& store = daemon_.store();
  // The desk's state as the stream last said it (the last record, whoever wrote it).
  std::optional<std::pair<KillRecord, std::uint64_t>> last;
  std::uint64_t bad = 0;
  auto read = store.read(persistence::ReadRequest{stream, 1, 0, std::string(kKillFilter)},
                         [&](const persistence::StoredRecord& r) {
                           auto k = decode_kill_record(r.payload);
                           if (k) {
                             last = {std::move(k).value(), r.sequence};
                           } else {
                             ++bad;
                             spdlog::error("kill bridge: {} seq {} ({}) not applied: {}", stream, r.sequence,
                                           std::string(r.subject), k.error());
                           }
                           return true;
                         });
  if (!read) throw std::runtime_error("kill bridge: reading " + stream + ": " + read.error().message);
  const auto end = store.last_sequence(stream);
  if (!end) throw std::runtime_error("kill bridge: " + stream + ": " + end.error().message);
  const auto desk = daemon_.options().desk;
  last_seen_ = *end;
  if (last && last->first.desk != desk) {
    // Another daemon said last: this one takes its state at the first round.
    known_ = local();
    if (last->first.state != known_) target_ = last;
    spdlog::info("kill bridge: desk {} set the global kill switch {} last (CONTROL seq {})", last->first.desk,
                 enum_name(last->first.state), last->second);
  } else {
    // This daemon said last, or nobody has: its own state is published if it differs.
    known_ = last ? last->first.state : KillSwitchState::kActive;
  }
  auto tail = store.tail(persistence::ReadRequest{stream, *end + 1, 0, std::string(kKillFilter)},
                         [this](const persistence::StoredRecord& r) {
                           on_record(r);
                           return true;
                         });
  if (!tail) throw std::runtime_error("kill bridge: following " + stream + ": " + tail.error().message);
  tail_ = std::move(tail).value();
  thread_ = std::thread([this] { run(); });
  spdlog::info("kill bridge: desk {} follows control.kill.* ({} records read, {} not readable)", desk,
               *read, bad);
}

void KillBridge::stop() {
  tail_.reset();  // no callback after this
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void KillBridge::on_record(const persistence::StoredRecord& r) {
  auto k = decode_kill_record(r.payload);
  if (!k) {
    spdlog::error("kill bridge: {} seq {} ({}) not applied: {}", std::string(r.stream), r.sequence,
                  std::string(r.subject), k.error());
    return;
  }
  if (k->desk == daemon_.options().desk) return;  // this daemon's own
  {
    std::lock_guard lock(mu_);
    if (r.sequence <= last_seen_) return;  // delivered again: an older state never wins
    last_seen_ = r.sequence;
    inbox_.emplace_back(std::move(k).value(), r.sequence);
  }
  cv_.notify_all();
}

void KillBridge::run() {
  for (;;) {
    std::deque<std::pair<KillRecord, std::uint64_t>> in;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kLook, [&] { return stop_ || !inbox_.empty(); });
      if (stop_) return;
      in.swap(inbox_);
    }
    // The latest of another daemon's records is the one to reach.
    if (!in.empty()) target_ = in.back();
    if (target_) {
      if (apply(target_->first, target_->second)) {
        known_ = target_->first.state;
        target_.reset();
      }
      continue;  // nothing of this daemon's is published while the cluster's state is pending
    }
    const auto now = local();
    if (now != known_) publish(now);
  }
}

bool KillBridge::apply(const KillRecord& r, std::uint64_t sequence) {
  const KillSwitchState here = local();
  if (here == r.state) return true;
  const TimeNs now = wall_ns();
  const std::string reason = "desk " + std::to_string(r.desk) + ": " +
                             (r.reason.empty() ? std::string("global kill switch ") + std::string(enum_name(r.state))
                                               : r.reason);
  // The same record gives the same command id (a repeated attempt is the engine's duplicate).
  const Envelope env{mixed(sequence, 0x6b696c6c00000000ULL | r.desk), 0, now, now, 0, 0};
  TripKillSwitch trip{LimitScope::kGlobal, {}, {}, r.state, {}};
  (void)trip.reason.assign(reason.substr(0, ReasonText::kCapacity));
  const Command cmd = r.state == KillSwitchState::kActive
                          ? Command{env, ResetKillSwitch{LimitScope::kGlobal, {}, {}}}
                          : Command{env, trip};
  auto ack = daemon_.runtime().submit(cmd, kCommandTimeout);
  if (!ack || !ack->accepted) {
    spdlog::error("kill bridge: desk {}'s global kill switch {} (CONTROL seq {}) not applied here yet: {}", r.desk,
                  enum_name(r.state), sequence, ack ? ack->message : ack.error());
    return false;
  }
  spdlog::critical("kill bridge: global kill switch {} -> {} here, as desk {} set it (CONTROL seq {}): {}",
                   enum_name(here), enum_name(r.state), r.desk, sequence, reason);
  if (r.state != KillSwitchState::kActive && on_remote_trip_) on_remote_trip_(trip);
  return true;
}

void KillBridge::publish(KillSwitchState state) {
  const auto desk = daemon_.options().desk;
  const TimeNs now = wall_ns();
  KillRecord r{desk, state, "global kill switch " + std::string(enum_name(state)) + " on desk " + std::to_string(desk)};
  // The store answers on its thread; a late answer (past the bound below) finds this alive.
  struct Answer {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<bool> ok;
    std::string error;
  };
  auto answer = std::make_shared<Answer>();
  daemon_.store().append(
      persistence::AppendRecord{"control.kill." + std::to_string(desk), encode_kill_record(r),
                                mixed(static_cast<std::uint64_t>(now), desk), now},
      [answer](Result<std::uint64_t, persistence::StoreError> seq) {
        std::lock_guard lock(answer->mu);
        answer->ok = seq.ok();
        if (!seq) answer->error = seq.error().message;
        answer->cv.notify_all();
      });
  std::unique_lock lock(answer->mu);
  if (!answer->cv.wait_for(lock, kCommandTimeout, [&] { return answer->ok.has_value(); }) || !*answer->ok) {
    // Tried again at the next round (known_ unchanged): the other daemons must hear it. The
    // same state published twice is the same news (the receivers compare it with their own).
    spdlog::error("kill bridge: the global kill switch {} not published to the other daemons yet: {}",
                  enum_name(state), answer->ok ? answer->error : std::string("the store did not answer in 5 s"));
    return;
  }
  known_ = state;
  spdlog::warn("kill bridge: global kill switch {} published to the desk's other daemons", enum_name(state));
}

}  // namespace oms::omsd
