// Named failpoints (kill points): places in omsd where a test may end the process at once, as a
// crash would -- SIGKILL to itself: no destructor, no flush, no cleanup -- to prove that nothing
// is lost or doubled whatever instant omsd dies at (issue 13, "Kill points").
//
// Compiled in when the build's OMS_FAILPOINTS option is ON (the default, and the builds the
// tests use: deploy/setup's release and asan builds); a production build may configure
// -DOMS_FAILPOINTS=OFF, and then OMS_FAILPOINT(...) is nothing at all. Compiled in and not
// armed, a point costs one branch on a plain global bool that arm_from_env() writes once, before
// any thread starts, and nothing writes again: always not taken, so always predicted.
//
// Armed only from the environment, read once when omsd starts:
//   OMS_FAILPOINTS=name[@hit][,name[@hit]...]      e.g. OMS_FAILPOINTS=order.after_send@3
// hit: the hit-th time the point is reached in this process ends it (default 1; 1..1000000).
// Just before the kill the point writes one line to stderr (write(2), nothing buffered):
//   failpoint <name> hit <n>: killing the process (SIGKILL)
// An unknown name, a bad hit count or a point named twice refuses the start: omsd prints the
// variable, its value and what is wrong, and exits 2. Set in a build without failpoints, the
// variable refuses the start too (a test would otherwise wait for a kill that cannot come).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifndef OMS_FAILPOINTS
#error "OMS_FAILPOINTS is not defined: link the oms_failpoints target (persistence/CMakeLists.txt)"
#endif

namespace oms::failpoints {

// clang-format off
enum class Point : std::uint8_t {
  kOrderAfterIntentLog,  // engine: a group committed (intent log, publisher's queue), a request not handed to the session yet
  kOrderAfterSend,       // engine: the request handed to the session (written, or on its lane) while the store has not acknowledged every committed event
  kJournalStoreAck,      // event log: the store acknowledged a record, the intent log not released yet
  kIntentLogReplayed,    // start: the intent log's pending entries republished and flushed, not released yet
  kSnapshotMidWrite,     // snapshot store: the temp file holds the header, not the state
  kSnapshotBeforeRename, // snapshot store: the temp file written and fsynced, not renamed
  kRebuildMidFold,       // engine: an account's rebuild folded a stream record (hit n: the n-th since start)
  kReconcileQueried,     // engine: an account's reconciliation asked the venue about its live orders
  kReconcileAnswer,      // engine: a venue report arrived while the account reconciles, before it is folded
  kCount
};
inline constexpr std::array<std::string_view, static_cast<std::size_t>(Point::kCount)> kNames{
  "order.after_intent_log",
  "order.after_send",
  "journal.store_ack",
  "intent_log.replayed",
  "snapshot.mid_write",
  "snapshot.before_rename",
  "rebuild.mid_fold",
  "reconcile.queried",
  "reconcile.answer",
};
// clang-format on
inline constexpr std::string_view kVariable = "OMS_FAILPOINTS";
inline constexpr std::uint64_t kMaxHit = 1'000'000;

struct Arm {
  Point point = Point::kCount;
  std::uint64_t hit = 1;
};

// Parses the variable's value ("name[@hit],..."); the error says what is wrong in it (not the
// variable's name: the caller adds it). An empty value arms nothing.
[[nodiscard]] std::optional<std::string> parse(std::string_view value, std::vector<Arm>& out);

// Reads OMS_FAILPOINTS once and arms its points; call before any thread starts. nullopt: armed
// as asked, or nothing asked; else the message to refuse the start with, naming the variable and
// its value. `armed_text` gets what was armed ("order.after_send@3"), empty when nothing.
[[nodiscard]] std::optional<std::string> arm_from_env(std::string& armed_text);

[[nodiscard]] constexpr bool compiled_in() noexcept { return OMS_FAILPOINTS != 0; }

namespace detail {
// Any point armed. Written by arm_from_env() before any thread starts, only read afterwards.
inline bool armed = false;
// Counts the point's hits; at the armed one writes the line and SIGKILLs the process.
[[gnu::cold, gnu::noinline]] void reached(Point point) noexcept;
}  // namespace detail

}  // namespace oms::failpoints

#if OMS_FAILPOINTS
#define OMS_FAILPOINT(point)                                                        \
  do {                                                                              \
    if (::oms::failpoints::detail::armed) [[unlikely]]                              \
      ::oms::failpoints::detail::reached(::oms::failpoints::Point::point);          \
  } while (false)
// The point counts only where `condition` holds (evaluated only when a point is armed).
#define OMS_FAILPOINT_IF(condition, point)                                          \
  do {                                                                              \
    if (::oms::failpoints::detail::armed && (condition)) [[unlikely]]               \
      ::oms::failpoints::detail::reached(::oms::failpoints::Point::point);          \
  } while (false)
#else
#define OMS_FAILPOINT(point) static_cast<void>(0)
#define OMS_FAILPOINT_IF(condition, point) static_cast<void>(0)
#endif
