#pragma once
// A period's label from the C library's calendar (gmtime + strftime), independent of cxm's own period
// arithmetic: the reference the window tests compare cxm's periods against.

#include <chrono>
#include <ctime>
#include <string>

#include <doctest/doctest.h>

#include "cxm/events/time.hpp"

namespace cxm::test {

/// `format` is strftime's: "%Y-%m" for a month, "%G-W%V" for an ISO week.
inline std::string c_label(cxm::timestamp t, const char* format) {
  const std::time_t s = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count());
  const std::tm* parts = std::gmtime(&s);
  REQUIRE(parts != nullptr);
  char buf[32];
  REQUIRE(std::strftime(buf, sizeof buf, format, parts) > 0);
  return buf;
}

}  // namespace cxm::test
