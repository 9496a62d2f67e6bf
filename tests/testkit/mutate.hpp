// Mutations of a text for the fast-path tests (a scanner must never take a mutated text the
// general reader reads otherwise): one to three edits, each a byte replaced by or inserted from
// JSON's significant characters (and an escape, a control byte, a non-ASCII byte), a short run
// erased, or a piece of the text copied elsewhere.
#pragma once

#include <cstddef>
#include <random>
#include <string>

namespace oms::testkit {

inline std::string mutate(std::string s, std::mt19937_64& rng) {
  static const std::string kSpecials = "{}[]\",:0123456789.-+eE \\\x01\xc3x";
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(pick(3));
  for (int k = 0; k < edits && !s.empty(); ++k) {
    const std::size_t at = pick(s.size());
    switch (pick(4)) {
      case 0: s[at] = kSpecials[pick(kSpecials.size())]; break;
      case 1: s.erase(at, 1 + pick(3)); break;
      case 2: s.insert(at, 1, kSpecials[pick(kSpecials.size())]); break;
      default: s.insert(at, s.substr(pick(s.size()), 1 + pick(12))); break;
    }
  }
  return s;
}

}  // namespace oms::testkit
