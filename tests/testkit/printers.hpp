// doctest printers for the vocabulary types, so a failed CHECK shows values.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "oms/messages/decimal.hpp"

namespace doctest {
template <>
struct StringMaker<oms::Decimal> {
  static String convert(const oms::Decimal& d) { return d.to_string().c_str(); }
};
}  // namespace doctest
