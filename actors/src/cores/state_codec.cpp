// StateWriter / StateReader: the name tables and the checked reads. See state_codec.hpp.
#include "oms/cores/state_codec.hpp"

namespace oms::actors {

namespace {

template <class Id>
void put_names(StateWriter& w, const Interner<Id>& names) {
  w.put(static_cast<std::uint32_t>(names.size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    w.put(names.name(Id(static_cast<typename Id::rep_type>(i))));
  }
}

}  // namespace

StateWriter::StateWriter(const Directory& names) {
  put_names(*this, names.accounts);
  put_names(*this, names.strategies);
  put_names(*this, names.instruments);
}

StateReader::StateReader(std::string_view bytes, const Directory& names)
    : at_(bytes.data()), end_(bytes.data() + bytes.size()) {
  const auto read_table = [this](Table& t, const auto& interner, const char* kind) {
    const std::uint32_t n = count();
    t.names.reserve(n);
    for (std::uint32_t i = 0; i < n && ok(); ++i) {
      get(t.names.emplace_back());
      const auto id = interner.find(t.names.back());
      t.now.push_back(id ? static_cast<std::uint32_t>(id->value) : kMissing);
    }
    if (!ok()) fail(std::string("the ") + kind + " name table");
  };
  read_table(accounts_, names.accounts, "account");
  read_table(strategies_, names.strategies, "strategy");
  read_table(instruments_, names.instruments, "instrument");
}

std::uint32_t StateReader::count() {
  const auto n = raw<std::uint32_t>();
  if (n > remaining()) {
    fail("a count of " + std::to_string(n) + " with " + std::to_string(remaining()) + " bytes left");
    return 0;
  }
  return n;
}

void StateReader::fail(std::string what) {
  if (error_) return;
  error_ = context_.empty() ? std::move(what) : context_ + ": " + what;
  at_ = end_;
}

bool StateReader::take(std::size_t n) {
  if (error_) return false;
  if (n > remaining()) {
    fail("the state ends " + std::to_string(n - remaining()) + " bytes early");
    return false;
  }
  at_ += n;
  return true;
}

bool StateReader::same_names(const Directory& names) const {
  const auto same = [](const Table& t, std::size_t size) {
    if (t.names.size() != size) return false;
    for (std::size_t i = 0; i < t.now.size(); ++i) {
      if (t.now[i] != i) return false;
    }
    return true;
  };
  return same(accounts_, names.accounts.size()) && same(strategies_, names.strategies.size()) &&
         same(instruments_, names.instruments.size());
}

}  // namespace oms::actors
