#pragma once
// The brute-force side of the churn tests: each customer's first and last event and first cancel,
// straight from the raw events, and the random stream and report times both tests use (shared by
// churn_rate.cpp and lifetimes.cpp).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"
#include "cxm/stream/event.hpp"
#include "stream/stream_support.hpp"

namespace cxm::test {

/// Random events of every built-in kind (a cancel is one kind in twelve), customers over 2024.
inline std::vector<cxm::event<>> random_events(std::size_t events, std::size_t customers, std::uint64_t seed) {
  stream_spec spec;
  spec.events = events;
  spec.customers = customers;
  spec.host_kinds = 0;
  spec.seed = seed;
  return random_stream(spec);
}

inline const timestamp stream_from = cxm::from_unix_ms(1'704'067'200'000);  // 2024-01-01T00:00:00Z
inline const timestamp stream_to = cxm::from_unix_ms(1'735'689'600'000);    // 2025-01-01T00:00:00Z

/// Early (most customers not joined yet; no report before the first event), mid-stream, the
/// present, and later.
inline std::vector<timestamp> report_times() {
  using namespace std::chrono;
  return {stream_from + days{2}, sys_days{2024y / July / 15} + hours{12} + minutes{34} + milliseconds{56'789},
          stream_to, stream_to + days{200}};
}

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
