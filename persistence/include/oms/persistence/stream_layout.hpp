// Which stream holds which subjects (DESIGN.md "Events, subjects, streams"):
//   ACCOUNT_{exchange}_{account}  orders|trades|positions.{exchange}.{account}.>
//   TRANSFERS                     transfers.>
//   STRATEGIES                    strategies.>
//   INPUTS                        inputs.{desk}.{step}: the engine's recorded inputs other than
//                                 market data (actors/input_record.hpp), for replay
//   CONTROL                       control.>: what daemons sharing a NATS cluster tell each
//                                 other (control.kill.{desk}: the global kill switch)
//   MD_{exchange}                 md.{exchange}.>
// The same layout names the JetStream streams and the file journal's stream directories.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "oms/messages/ids.hpp"
#include "oms/persistence/event_store.hpp"

namespace oms::persistence {

struct StreamSpec {
  std::string name;                   // valid as a JetStream stream name and a directory name
  std::vector<std::string> subjects;  // NATS subject filters
  friend bool operator==(const StreamSpec&, const StreamSpec&) = default;
};

class StreamLayout {
 public:
  struct AccountRef {
    ExchangeId exchange;
    std::string account;  // the configured name
  };

  // One stream per account, TRANSFERS, STRATEGIES, INPUTS, CONTROL, and one market-data stream
  // per exchange.
  StreamLayout(const std::vector<AccountRef>& accounts, const std::vector<ExchangeId>& md_exchanges);

  [[nodiscard]] const std::vector<StreamSpec>& streams() const noexcept { return streams_; }
  [[nodiscard]] const StreamSpec* find(std::string_view stream) const;
  // The stream holding subject, or kUnknownStream naming the subject.
  [[nodiscard]] Result<std::string, StoreError> stream_for(std::string_view subject) const;

  [[nodiscard]] static std::string account_stream(ExchangeId ex, std::string_view account);
  [[nodiscard]] static std::string md_stream(ExchangeId ex);
  static constexpr std::string_view kTransfers = "TRANSFERS";
  static constexpr std::string_view kStrategies = "STRATEGIES";
  static constexpr std::string_view kInputs = "INPUTS";
  static constexpr std::string_view kControl = "CONTROL";

 private:
  std::vector<StreamSpec> streams_;
  // "binance.<account token>" -> account stream name
  std::unordered_map<std::string, std::string> account_streams_;
  std::unordered_map<std::string, std::string> md_streams_;  // "binance" -> MD_binance
};

}  // namespace oms::persistence
