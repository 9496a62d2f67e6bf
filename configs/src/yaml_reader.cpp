#include "yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace oms::configs::detail {
namespace {

// "> 0", ">= 1 and <= 125", "> 0 and < 1": the bounds a value broke, for messages.
std::string range_text(const std::string& lo, bool lo_inclusive, const std::string* hi,
                       bool hi_inclusive) {
  std::string out = (lo_inclusive ? ">= " : "> ") + lo;
  if (hi != nullptr) out += (hi_inclusive ? " and <= " : " and < ") + *hi;
  return out;
}

std::optional<std::string> scalar_text(const YAML::Node& value, const YAML::Mark& key_mark,
                                       const YAML::Mark& value_mark, std::string_view label,
                                       Diagnostics& diag) {
  if (!value.IsDefined() || value.IsNull()) {
    diag.error(key_mark, std::string(label) + " has no value");
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    diag.error(value_mark, std::string(label) + " must be a scalar, got " + describe(value));
    return std::nullopt;
  }
  if (value.Scalar().empty()) {
    diag.error(value_mark, std::string(label) + " is empty");
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<std::string> field_text(const Field& f, Diagnostics& diag) {
  return scalar_text(f.value, f.key_mark(), f.value_mark(), f.label(), diag);
}

}  // namespace

void Diagnostics::error(const YAML::Mark& at, std::string_view text) {
  const int line = at.line >= 0 ? at.line + 1 : 1;
  const int column = at.column >= 0 ? at.column + 1 : 1;
  errors_.push_back(file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                    std::string(text));
}

void Diagnostics::file_error(std::string_view text) {
  errors_.push_back(file_ + ": " + std::string(text));
}

std::optional<YAML::Node> parse_document(std::string_view text, Diagnostics& diag) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, "yaml syntax: " + e.msg);
    return std::nullopt;
  }
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  return "'" + node.Scalar() + "'";
}

YAML::Mark Field::value_mark() const {
  if (!value.IsDefined() || value.IsNull()) return key_node.Mark();
  return value.Mark();
}

MapReader::MapReader(const YAML::Node& map, std::string where, YAML::Mark anchor, Diagnostics& diag)
    : where_(std::move(where)), anchor_(anchor), diag_(diag) {
  // `kv` is a value (yaml-cpp iterators hand out proxies): keep it alive while using it.
  for (const auto& kv : map) {
    const YAML::Node& key = kv.first;
    if (!key.IsScalar()) {
      diag_.error(key.Mark(), "key" + where_ + " must be a scalar, got " + describe(key));
      continue;
    }
    const auto first = std::find_if(fields_.begin(), fields_.end(),
                                    [&](const Field& f) { return f.key == key.Scalar(); });
    if (first != fields_.end()) {
      diag_.error(key.Mark(), "duplicate key '" + key.Scalar() + "'" + where_ + " (first at line " +
                                  std::to_string(first->key_mark().line + 1) + ")");
      continue;
    }
    fields_.push_back(Field{key.Scalar(), key, kv.second, where_});
  }
}

void MapReader::allow_only(std::initializer_list<std::string_view> known) {
  allow_only_if([&](std::string_view key) {
    return std::find(known.begin(), known.end(), key) != known.end();
  });
}

void MapReader::allow_only_if(const std::function<bool(std::string_view)>& known) {
  for (const Field& f : fields_) {
    if (!known(f.key)) diag_.error(f.key_mark(), "unknown key '" + f.key + "'" + where_);
  }
}

const Field* MapReader::find(std::string_view key) const {
  const auto it =
      std::find_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.key == key; });
  return it == fields_.end() ? nullptr : &*it;
}

const Field* MapReader::require(std::string_view key) {
  const Field* f = find(key);
  if (f == nullptr)
    diag_.error(anchor_, "missing required key '" + std::string(key) + "'" + where_);
  return f;
}

bool expect_map(const Field& f, Diagnostics& diag) {
  if (f.value.IsMap()) return true;
  diag.error(f.value_mark(), f.label() + " must be a mapping, got " + describe(f.value));
  return false;
}

bool expect_sequence(const Field& f, Diagnostics& diag) {
  if (f.value.IsSequence()) return true;
  diag.error(f.value_mark(), f.label() + " must be a sequence, got " + describe(f.value));
  return false;
}

bool expect_item_map(const YAML::Node& item, std::string_view what, Diagnostics& diag) {
  if (item.IsMap()) return true;
  diag.error(item.Mark(), std::string(what) + " must be a mapping, got " + describe(item));
  return false;
}

bool expect_nonempty_sequence(const Field& f, Diagnostics& diag) {
  if (!expect_sequence(f, diag)) return false;
  if (f.value.size() > 0) return true;
  diag.error(f.value_mark(), f.label() + " must not be empty");
  return false;
}

std::optional<std::string> read_string(const Field& f, Diagnostics& diag) {
  return field_text(f, diag);
}

std::optional<std::string> read_item_string(const YAML::Node& node, std::string_view label,
                                            Diagnostics& diag) {
  return scalar_text(node, node.Mark(), node.Mark(), label, diag);
}

std::optional<bool> read_bool(const Field& f, Diagnostics& diag) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  diag.error(f.value_mark(), f.label() + " must be true or false, got '" + *text + "'");
  return std::nullopt;
}

std::optional<std::int64_t> read_int(const Field& f, Diagnostics& diag, std::int64_t min,
                                     std::int64_t max) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (ec != std::errc{} || ptr != end) {
    diag.error(f.value_mark(), f.label() + " must be an integer, got '" + *text + "'");
    return std::nullopt;
  }
  if (v < min || v > max) {
    const std::string hi = std::to_string(max);
    const bool bounded = max != std::numeric_limits<std::int64_t>::max();
    diag.error(f.value_mark(),
               f.label() + " must be " +
                   range_text(std::to_string(min), true, bounded ? &hi : nullptr, true) +
                   ", got '" + *text + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<int> read_small_int(const Field& f, Diagnostics& diag, int min, int max) {
  const auto v = read_int(f, diag, min, max);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);  // within [min, max], which are ints
}

std::optional<Decimal> read_decimal(const Field& f, Diagnostics& diag, DecimalRange range) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  const auto parsed = Decimal::parse(*text);
  if (!parsed) {
    diag.error(f.value_mark(), f.label() + " must be a decimal, got '" + *text + "' (" +
                                   to_string(parsed.error()) + ")");
    return std::nullopt;
  }
  const Decimal v = *parsed;
  const bool above_lo = range.lo_inclusive ? v >= range.lo : v > range.lo;
  const bool below_hi = !range.hi || (range.hi_inclusive ? v <= *range.hi : v < *range.hi);
  if (!above_lo || !below_hi) {
    const std::string hi = range.hi ? range.hi->to_string() : std::string();
    diag.error(f.value_mark(), f.label() + " must be " +
                                   range_text(range.lo.to_string(), range.lo_inclusive,
                                              range.hi ? &hi : nullptr, range.hi_inclusive) +
                                   ", got '" + *text + "'");
    return std::nullopt;
  }
  return v;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // Nine digits keep even hours far inside int64 milliseconds.
  constexpr std::size_t kMaxDigits = 9;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > kMaxDigits) return std::nullopt;
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + digits, n);
  const std::string_view unit = text.substr(digits);
  std::chrono::milliseconds ms{0};
  if (unit == "ms") {
    ms = std::chrono::milliseconds(n);
  } else if (unit == "s") {
    ms = std::chrono::seconds(n);
  } else if (unit == "m") {
    ms = std::chrono::minutes(n);
  } else if (unit == "h") {
    ms = std::chrono::hours(n);
  } else {
    return std::nullopt;
  }
  if (ms.count() <= 0) return std::nullopt;
  return ms;
}

std::optional<std::chrono::milliseconds> read_duration(const Field& f, Diagnostics& diag) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  const auto ms = parse_duration(*text);
  if (!ms) {
    diag.error(f.value_mark(),
               f.label() + " must be a positive duration such as 500ms, 1s, 2m or 1h, got '" +
                   *text + "'");
  }
  return ms;
}

std::string known_exchanges() {
  std::string out;
  for (std::size_t i = 0; i < kExchangeCount; ++i) {
    if (i != 0) out += ", ";
    out += to_string(static_cast<ExchangeId>(i));
  }
  return out;
}

std::optional<ExchangeId> read_exchange(const Field& f, Diagnostics& diag) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  const auto id = parse_exchange(*text);
  if (!id) {
    diag.error(f.value_mark(), f.label() + " names unknown exchange '" + *text +
                                   "' (known: " + known_exchanges() + ")");
  }
  return id;
}

std::optional<CanonicalSymbol> read_symbol(const Field& f, Diagnostics& diag) {
  const auto text = field_text(f, diag);
  if (!text) return std::nullopt;
  auto parsed = parse_canonical(*text);
  if (!parsed) {
    diag.error(f.value_mark(), f.label() + " is not a canonical symbol: " + parsed.error().message);
    return std::nullopt;
  }
  return std::move(parsed).value();
}

Market market_of(const CanonicalSymbol& s) noexcept {
  if (s.kind() == ContractKind::kSpot) return Market::kSpot;
  return s.settle == s.quote ? Market::kUsdm : Market::kCoinm;
}

bool check_name(const Field& f, std::string_view kind, Diagnostics& diag) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  if (!f.key.empty() && f.key.size() <= kMaxNameLength &&
      std::all_of(f.key.begin(), f.key.end(), allowed)) {
    return true;
  }
  diag.error(f.key_mark(), std::string(kind) + " name '" + f.key + "' must be 1 to " +
                               std::to_string(kMaxNameLength) +
                               " characters of A-Z a-z 0-9 _ - (it is used in subjects and paths)");
  return false;
}

}  // namespace oms::configs::detail
