// Reading YAML the way a desk can trust: every key checked (known, scalar, not repeated),
// every value parsed from its source text (decimals exactly, durations with a unit), and
// every problem recorded as "FILE:LINE:COL: text" instead of stopping at the first.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/messages/decimal.hpp"
#include "oms/messages/ids.hpp"
#include "oms/messages/symbols.hpp"

namespace oms::configs::detail {

// The errors of one file.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // Records "FILE:LINE:COL: text"; LINE and COL are 1-based (a mark without a position
  // reports 1:1).
  void error(const YAML::Mark& at, std::string_view text);
  // Records "FILE: text" for problems without a position (the file cannot be opened).
  void file_error(std::string_view text);

  [[nodiscard]] bool has_errors() const noexcept { return !errors_.empty(); }
  [[nodiscard]] std::vector<std::string>& errors() noexcept { return errors_; }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

// Parses one YAML document; a syntax error is recorded as "yaml syntax: ..." and gives
// nullopt.
[[nodiscard]] std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag);

// "a mapping", "a sequence", "'text'", "nothing": what a node is, for messages.
[[nodiscard]] std::string describe(const YAML::Node& node);

// One key of a mapping and its value.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string where;  // names the mapping: " in account 'binance_main'"

  // "'key' in account 'binance_main'": how messages name this field.
  [[nodiscard]] std::string label() const { return "'" + key + "'" + where; }
  [[nodiscard]] YAML::Mark key_mark() const { return key_node.Mark(); }
  [[nodiscard]] YAML::Mark value_mark() const;  // the key's mark when the value is empty
};

// A mapping being read. The constructor records keys that are not scalars and repeated
// keys (yaml-cpp keeps both; we keep the first). `where` names the mapping in messages,
// `anchor` is where a missing key is reported.
class MapReader {
 public:
  MapReader(const YAML::Node& map, std::string where, YAML::Mark anchor, Diagnostics& diag);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // Records every key not in `known`.
  void allow_only(std::initializer_list<std::string_view> known);
  // Records every key for which known(key) is false.
  void allow_only_if(const std::function<bool(std::string_view)>& known);
  // The field, or nullptr when absent.
  [[nodiscard]] const Field* find(std::string_view key) const;
  // The field, or nullptr after recording "missing required key".
  const Field* require(std::string_view key);
  // All fields, in file order, first occurrence of each key.
  [[nodiscard]] const std::vector<Field>& fields() const noexcept { return fields_; }
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

 private:
  std::string where_;
  YAML::Mark anchor_;
  Diagnostics& diag_;
  std::vector<Field> fields_;
};

// Checks that the field's value is a mapping / a sequence; records an error otherwise.
bool expect_map(const Field& f, Diagnostics& diag);
bool expect_sequence(const Field& f, Diagnostics& diag);

// Checks a sequence item is a mapping; records "`what` must be a mapping, got ..." otherwise.
bool expect_item_map(const YAML::Node& item, std::string_view what, Diagnostics& diag);
// Checks the field is a sequence with at least one item.
bool expect_nonempty_sequence(const Field& f, Diagnostics& diag);

// The value's text when it is a scalar, else an error. Empty values are errors.
std::optional<std::string> read_string(const Field& f, Diagnostics& diag);
// A scalar of `node` (a sequence item) described by `label`.
std::optional<std::string> read_item_string(const YAML::Node& node, std::string_view label,
                                            Diagnostics& diag);
// true or false, nothing else (no yes/no/on/off).
std::optional<bool> read_bool(const Field& f, Diagnostics& diag);
// A decimal integer within [min, max].
std::optional<std::int64_t> read_int(const Field& f, Diagnostics& diag, std::int64_t min,
                                     std::int64_t max);
// As read_int, narrowed to int (min and max fit an int).
std::optional<int> read_small_int(const Field& f, Diagnostics& diag, int min, int max);

// Bounds of a decimal value: lo < v (or lo <= v), and v < hi (or v <= hi) when hi is set.
struct DecimalRange {
  Decimal lo{};
  bool lo_inclusive = false;
  std::optional<Decimal> hi{};
  bool hi_inclusive = true;
};
inline constexpr DecimalRange kPositive{};
inline constexpr DecimalRange kNonNegative{Decimal{}, true, std::nullopt, true};

// A Decimal parsed exactly from the scalar's source text, within the range.
std::optional<Decimal> read_decimal(const Field& f, Diagnostics& diag, DecimalRange range);
// A positive duration: an integer with a unit ms, s, m or h ("500ms", "1s", "2m").
std::optional<std::chrono::milliseconds> read_duration(const Field& f, Diagnostics& diag);
// One of the venues of ids.hpp.
std::optional<ExchangeId> read_exchange(const Field& f, Diagnostics& diag);
// A canonical symbol: BTC/USDT, BTC/USDT:USDT.
std::optional<CanonicalSymbol> read_symbol(const Field& f, Diagnostics& diag);

// Parses "500ms", "1s", "2m", "1h" exactly; nullopt for anything else (or <= 0).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The market a canonical symbol trades on: spot, usdm (linear, settled in the quote) or
// coinm (inverse, settled in the base).
[[nodiscard]] Market market_of(const CanonicalSymbol& s) noexcept;

// Account and strategy names end up in NATS subjects and file paths: 1..kMaxNameLength
// characters of A-Z a-z 0-9 _ -. Records an error naming `kind` otherwise.
inline constexpr std::size_t kMaxNameLength = 64;
bool check_name(const Field& f, std::string_view kind, Diagnostics& diag);

// "binance, bybit, okx, upbit"
[[nodiscard]] std::string known_exchanges();

}  // namespace oms::configs::detail
