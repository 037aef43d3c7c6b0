#pragma once
// The brute-force side of the churn tests: each customer's first and last event and first cancel,
// straight from the raw events (shared by churn_rate.cpp and lifetimes.cpp).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"
#include "cxm/stream/event.hpp"

namespace cxm::test {

/// One customer's raw facts, at the per-customer resolution (seconds).
struct raw_customer {
  timestamp first = timestamp::max();
  timestamp last = timestamp::min();
  std::optional<timestamp> first_cancel;
};

inline std::map<std::uint64_t, raw_customer> raw_facts(const std::vector<cxm::event<>>& events) {
  std::map<std::uint64_t, raw_customer> out;
  for (const auto& e : events) {
    const timestamp t = std::chrono::floor<std::chrono::seconds>(e.time);
    auto& c = out[e.customer];
    c.first = std::min(c.first, t);
    c.last = std::max(c.last, t);
    if (e.kind == event_kind::cancel && (!c.first_cancel || t < *c.first_cancel)) c.first_cancel = t;
  }
  return out;
}

}  // namespace cxm::test
