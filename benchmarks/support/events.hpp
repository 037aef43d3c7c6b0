#pragma once
// The pre-generated event stream of the engine benchmarks (benchmarks/engine.cpp and
// benchmarks/engagement.cpp): fixed seed, customers uniform, a realistic mix of kinds, all valid.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"
#include "cxm/stream/event.hpp"

namespace cxm::bench {

using cxm::event_kind;

/// Customer ids as a host's database hands them out: distinct 64-bit values with no order (the
/// splitmix64 finaliser is a bijection, so distinct indices give distinct ids).
inline std::uint64_t customer_id(std::uint64_t index) {
  std::uint64_t z = index + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

struct event_set {
  std::vector<cxm::event<>> events;
  std::size_t distinct_customers = 0;
};

// One year of traffic in time order (each event up to a minute late), customers uniform. The mix of
// kinds: visits 50 %, interactions 20 %, purchases 10 %, support contacts 4 %, csat answers 4 %, nps
// answers 3.5 %, loyalty 3 %, ces answers 2 %, refunds, referrals and signups 1 % each, cancels 0.5 %.
// Amounts are 1.00..200.00 (purchases) and 1.00..100.00 (refunds); scores uniform on their scale.
inline event_set make_events(std::size_t count, std::uint64_t customers, std::uint64_t seed) {
  constexpr std::array<double, cxm::builtin_kind_count> kind_weights{
      10.0 /*purchase*/, 1.0 /*refund*/,  50.0 /*visit*/,  20.0 /*interaction*/, 3.0 /*loyalty*/,
      1.0 /*referral*/,  4.0 /*support*/, 1.0 /*signup*/,  0.5 /*cancel*/,       4.0 /*csat*/,
      2.0 /*ces*/,       3.5 /*nps*/};
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<std::uint64_t> customer(0, customers - 1);
  std::discrete_distribution<int> kind(kind_weights.begin(), kind_weights.end());
  std::uniform_int_distribution<std::int64_t> lateness_ms(0, 60'000);
  std::uniform_int_distribution<int> purchase_cents(100, 20'000);
  std::uniform_int_distribution<int> refund_cents(100, 10'000);
  std::uniform_int_distribution<int> csat_score(1, 5);
  std::uniform_int_distribution<int> ces_score(1, 7);
  std::uniform_int_distribution<int> nps_score(0, 10);
  const auto start = cxm::from_unix_ms(1'704'067'200'000);  // 2024-01-01T00:00:00Z
  const double ms_per_event = 365.0 * 86'400'000.0 / static_cast<double>(count);

  event_set out;
  out.events.resize(count);
  std::vector<bool> seen(customers, false);
  for (std::size_t i = 0; i < count; ++i) {
    auto& e = out.events[i];
    const std::uint64_t c = customer(engine);
    if (!seen[c]) {
      seen[c] = true;
      ++out.distinct_customers;
    }
    e.customer = customer_id(c);
    const auto offset = static_cast<std::int64_t>(static_cast<double>(i) * ms_per_event) - lateness_ms(engine);
    e.time = start + std::chrono::milliseconds{std::max<std::int64_t>(offset, 0)};
    e.kind = static_cast<event_kind>(kind(engine));
    switch (e.kind) {
      case event_kind::purchase: e.value = purchase_cents(engine) / 100.0; break;
      case event_kind::refund: e.value = refund_cents(engine) / 100.0; break;
      case event_kind::csat_answer: e.value = csat_score(engine); break;
      case event_kind::ces_answer: e.value = ces_score(engine); break;
      case event_kind::nps_answer: e.value = nps_score(engine); break;
      default: e.value = 0.0; break;
    }
  }
  return out;
}

}  // namespace cxm::bench
