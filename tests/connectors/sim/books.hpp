// The two RestingBook implementations every scenario runs on (STYLE.md: one suite, two
// implementations).
#pragma once

#include "naive_book.hpp"
#include "oms/connectors/sim/resting_book.hpp"

namespace oms::sim::testing {
struct FastBook {
  static constexpr BookFactory kMake = &LevelBook::make;
};
struct ReferenceBook {
  static constexpr BookFactory kMake = &NaiveBook::make;
};
}  // namespace oms::sim::testing

#define SIM_BOOKS oms::sim::testing::FastBook, oms::sim::testing::ReferenceBook
