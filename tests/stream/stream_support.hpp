#pragma once
// Shared by the stream tests: a random event stream, a brute-force reference that recomputes every
// per-customer figure from the raw events with plain std::map code, and field-by-field comparisons of
// engine reports and customer tables (counts exact, floating point 1e-12 relative).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "cxm/events/customer_metrics.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/event.hpp"
#include "cxm/events/time.hpp"
#include "support/invariants.hpp"
#include "support/same_results.hpp"

namespace cxm::test {

// --- random streams -------------------------------------------------------------------------------

struct stream_spec {
  std::size_t events = 100'000;
  std::size_t customers = 10'000;
  unsigned host_kinds = 2;  ///< host_kind(0) .. host_kind(host_kinds - 1) are drawn too
  timestamp from = from_unix_ms(1'704'067'200'000);  ///< 2024-01-01T00:00:00Z
  timestamp to = from_unix_ms(1'735'689'600'000);    ///< 2025-01-01T00:00:00Z
  std::uint64_t seed = 20261123;
};

/// A customer id that is not simply 1..n (exercises the hash).
inline std::uint64_t sparse_id(std::size_t i) { return 0x9E3779B97F4A7C15ull * (i + 1) ^ 0x5bd1e995ull; }

/// One valid event of a random kind (every built-in kind and the spec's host kinds), with an amount for
/// purchases and refunds and a valid score (on the default scales) for answers.
inline cxm::event<> random_event(std::mt19937_64& rng, std::uint64_t customer, const stream_spec& spec) {
  const auto span_ms = static_cast<std::uint64_t>((spec.to - spec.from).count());
  const auto kinds = builtin_kind_count + spec.host_kinds;
  cxm::event<> e;
  e.customer = customer;
  e.time = spec.from + std::chrono::milliseconds{static_cast<std::int64_t>(rng() % span_ms)};
  e.kind = static_cast<event_kind>(rng() % kinds);
  switch (e.kind) {
    case event_kind::purchase: e.value = static_cast<double>(rng() % 50'000) / 100.0; break;  // 0.00 .. 499.99
    case event_kind::refund: e.value = static_cast<double>(rng() % 10'000) / 100.0; break;
    case event_kind::csat_answer: e.value = static_cast<double>(1 + rng() % 5); break;
    case event_kind::ces_answer: e.value = static_cast<double>(1 + rng() % 7); break;
    case event_kind::nps_answer: e.value = static_cast<double>(rng() % 11); break;
    default: e.value = 0.0; break;
  }
  return e;
}

/// `spec.events` events; every one of `spec.customers` customers appears at least once.
inline std::vector<cxm::event<>> random_stream(const stream_spec& spec) {
  std::mt19937_64 rng(spec.seed);
  std::vector<cxm::event<>> out;
  out.reserve(spec.events);
  for (std::size_t i = 0; i < spec.events; ++i) {
    const std::size_t c = i < spec.customers ? i : static_cast<std::size_t>(rng() % spec.customers);
    out.push_back(random_event(rng, sparse_id(c), spec));
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

inline engine_config config_for(const stream_spec& spec) {
  engine_config c;
  c.kinds.declare_host_kinds(spec.host_kinds);
  return c;
}

// --- the brute-force reference -----------------------------------------------------------------------

/// What a customer's record must hold, recomputed from the raw events without cxm's metric code.
struct expected_customer {
  std::uint32_t first_seen = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t last_seen = 0;
  std::array<std::uint64_t, builtin_kind_count> counts{};
  std::uint64_t host_events = 0;
  double purchase_amount = 0.0;
  double refund_amount = 0.0;
  std::array<std::uint64_t, 3> score_sums{};                        ///< Σ (score − scale low)
  std::array<std::optional<std::pair<std::uint32_t, int>>, 3> latest;  ///< (second, score − low), max of both
};

/// Per customer, from plain loops over the events; answers on the default scales (csat 1..5, ces 1..7,
/// nps 0..10). Every event must be valid.
template <class Id>
std::map<Id, expected_customer> reference_customers(const std::vector<cxm::event<Id>>& events) {
  std::map<Id, expected_customer> out;
  for (const auto& e : events) {
    auto& c = out[e.customer];
    const auto ms = e.time.time_since_epoch().count();
    const auto seconds = static_cast<std::uint32_t>(ms / 1000);  // times are >= 1970, so / rounds down
    c.first_seen = std::min(c.first_seen, seconds);
    c.last_seen = std::max(c.last_seen, seconds);
    const auto k = static_cast<std::size_t>(e.kind);
    if (k < builtin_kind_count) {
      ++c.counts[k];
    } else {
      ++c.host_events;
    }
    if (e.kind == event_kind::purchase) c.purchase_amount += e.value;
    if (e.kind == event_kind::refund) c.refund_amount += e.value;
    int survey = -1, low = 0;
    if (e.kind == event_kind::csat_answer) survey = 0, low = 1;
    if (e.kind == event_kind::ces_answer) survey = 1, low = 1;
    if (e.kind == event_kind::nps_answer) survey = 2, low = 0;
    if (survey >= 0) {
      const auto i = static_cast<std::size_t>(survey);
      const int index = static_cast<int>(e.value) - low;
      c.score_sums[i] += static_cast<std::uint64_t>(index);
      const std::pair<std::uint32_t, int> candidate{seconds, index};
      if (!c.latest[i] || candidate > *c.latest[i]) c.latest[i] = candidate;
    }
  }
  return out;
}

/// Customers whose last activity lies in (as_of − window, as_of], from the reference.
template <class Id>
std::uint64_t reference_active(const std::map<Id, expected_customer>& customers, timestamp as_of,
                               std::chrono::milliseconds window = std::chrono::days{30}) {
  std::uint64_t n = 0;
  const auto as_of_ms = as_of.time_since_epoch().count();
  const auto from_ms = as_of_ms - window.count();
  for (const auto& [id, c] : customers) {
    const std::int64_t last_ms = std::int64_t{c.last_seen} * 1000;
    if (last_ms > from_ms && last_ms <= as_of_ms) ++n;
  }
  return n;
}

/// Number of customers of `engine` whose results (as of the end of time) differ from the reference
/// (first mismatch described in `first`). Counts and times exact, amounts 1e-12 relative, means from the
/// reference's sums. Reads the metrics' results, not their storage.
template <class Engine, class Id>
std::size_t mismatches_against_reference(const Engine& e, const std::map<Id, expected_customer>& reference,
                                         std::string& first) {
  std::size_t bad = 0;
  auto note = [&](const Id& id, const char* what) {
    if (bad++ == 0) {
      std::ostringstream s;
      s << "customer " << id << ": " << what;
      first = s.str();
    }
  };
  constexpr std::array<int, 3> lows{1, 1, 0};  // csat, ces, nps on the default scales
  for (const auto& [id, want] : reference) {
    const auto view = e.customer(id);
    if (!view) {
      note(id, "missing from the table");
      continue;
    }
    const auto a = view->template result<activity>(latest_time);
    const auto s = view->template result<spend>(latest_time);
    const auto q = view->template result<satisfaction>(latest_time);
    bool ok = a.first_seen == from_seconds32(want.first_seen) && a.last_seen == from_seconds32(want.last_seen) &&
              a.host_events == want.host_events && !a.saturated && !a.includes_later_events;
    for (std::size_t k = 0; k < builtin_kind_count; ++k) ok = ok && a.events_by_kind[k] == want.counts[k];
    if (!ok) {
      note(id, "activity differs");
      continue;
    }
    if (!close(s.purchase_amount, want.purchase_amount) || !close(s.refund_amount, want.refund_amount) ||
        // net is a difference: its error is relative to the amounts, not to itself (which may be ~0).
        std::abs(s.net - (want.purchase_amount - want.refund_amount)) >
            1e-12 * (want.purchase_amount + want.refund_amount)) {
      note(id, "spend differs");
      continue;
    }
    const std::array<const survey_answers*, 3> got{&q.csat, &q.ces, &q.nps};
    for (std::size_t i = 0; i < 3; ++i) {
      const std::uint64_t n = want.counts[static_cast<std::size_t>(satisfaction::surveys[i])];
      const bool has = want.latest[i].has_value();
      ok = ok && got[i]->answers == n && got[i]->latest.has_value() == has && got[i]->mean.has_value() == has;
      if (has) {
        ok = ok && *got[i]->latest_time == from_seconds32(want.latest[i]->first) &&
             *got[i]->latest == lows[i] + want.latest[i]->second &&
             close(*got[i]->mean, lows[i] + static_cast<double>(want.score_sums[i]) / static_cast<double>(n));
      }
    }
    if (!ok) note(id, "satisfaction differs");
  }
  if (e.customers().size() != reference.size()) note(Id{}, "the table has another number of customers");
  return bad;
}

// --- comparisons of results -------------------------------------------------------------------------
// same_summary and same_result for nps, csat and ces results and tumbling windows: support/same_results.hpp.

/// Two engine reports (of engines with the same global metrics), field by field.
template <class ReportA, class ReportB>
void same_report(const ReportA& a, const ReportB& b) {
  CHECK(a.as_of == b.as_of);
  CHECK(a.events == b.events);
  CHECK(a.events_by_kind == b.events_by_kind);
  CHECK(a.rejected.by_reason == b.rejected.by_reason);
  CHECK(a.rejected.total == b.rejected.total);
  CHECK(a.customers == b.customers);
  CHECK(a.saturated_customers == b.saturated_customers);
  std::apply([&](const auto&... x) { std::apply([&](const auto&... y) { (same_result(x, y), ...); }, b.metrics); },
             a.metrics);
}

/// Number of customers whose records differ between two engines of the default per-customer
/// composition: activity and satisfaction exactly, spend 1e-12 relative.
template <class Engine>
std::size_t customer_mismatches(const Engine& a, const Engine& b, std::string& first) {
  std::size_t bad = 0;
  auto note = [&](const char* what) {
    if (bad++ == 0) first = what;
  };
  if (a.customers().size() != b.customers().size()) note("the tables have different numbers of customers");
  for (const auto& [id, mine] : a.customers()) {
    const auto* theirs = b.find(id);
    if (theirs == nullptr) {
      note("a customer is missing");
      continue;
    }
    if (!(mine.template get<activity>() == theirs->template get<activity>())) note("activity differs");
    if (!(mine.template get<satisfaction>() == theirs->template get<satisfaction>())) note("satisfaction differs");
    const auto& s = mine.template get<spend>();
    const auto& t = theirs->template get<spend>();
    if (!close(s.purchase_amount, t.purchase_amount) || !close(s.refund_amount, t.refund_amount)) note("spend differs");
  }
  return bad;
}

/// Reports as of `as_of` field by field, then every customer's record.
template <class Engine>
void same_engine(const Engine& a, const Engine& b, timestamp as_of) {
  same_report(a.report(as_of), b.report(as_of));
  std::string first;
  const auto bad = customer_mismatches(a, b, first);
  CHECK_MESSAGE(bad == 0, bad, " customers differ; first: ", first);
}

}  // namespace cxm::test
