// The engagement and churn metrics of issue #14 against what a host would write without them:
//   engagement_ingest/defaults    cxm::engine<> fed 20,000,000 events (fixed seed, 1,000,000 customers
//                                 drawn uniformly, the event mix of benchmarks/engine.cpp) through the
//                                 bulk add(range)
//   engagement_ingest/all         the same with the record extended by cxm::decayed_engagement,
//                                 cxm::cancellation and cxm::active_periods, and the globals by
//                                 cxm::contractual_churn, cxm::inactivity_churn, cxm::cohort_retention,
//                                 cxm::lifecycle and cxm::rfm_scores (report-time: no cost per event)
//     both report items_per_second (events) and bytes_per_customer (the table's memory, the index and
//     the huge-page rounding included, divided by the customers in it: see map_bytes below);
//   decayed_score/cxm             cxm::decayed_engagement::on() over a std::vector of 10,000 states,
//                                 1,000,000 events in time order (the metric alone, no engine)
//   decayed_score/hand            the same update written by hand: S = S·2^(−(t − t_ref)/h) + w
//   report_analysis/cxm           engine.report(as_of).get<cxm::rfm_scores>() over 1,000,000 customers,
//                                 cxm::analysis::segment_customers and cxm::analysis::spearman_correlation
//                                 over their profiles (engagement = decayed score, satisfaction = latest
//                                 CSAT answer)
//   report_analysis/hand          one pass over the same table + std::sort: the same RFM quintile
//                                 breakpoints and cells (3 axes), the same two median thresholds and
//                                 segment counts, and a Spearman correlation of the same pairs
//     both report items_per_second in customers (time per customer = 1 / rate).
// Every input is generated outside the timed regions; the tables are destroyed outside them too. Each
// variant checks its result outside the timed region (every event accepted; hand == cxm) and fails the
// run with SkipWithError when it is wrong.
//
// After the runs, main() prints the ratios and checks the targets: engagement_ingest all / defaults
// >= 0.6, decayed_score cxm / hand >= 0.8, report_analysis cxm / hand >= 0.5 (cxm at most twice the
// hand-written time). A missed target makes the exit code non-zero only with --cxm_enforce_targets
// (benchmarks/support/ratio_report.hpp).
//
//   cxm_bench_engagement --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//                        --benchmark_min_time=0.5 --benchmark_enable_random_interleaving=true
//                        [--cxm_enforce_targets] [--cxm_events=N]
// --cxm_events=N replaces the 20,000,000 ingest events by N, and scales the other inputs alike (the
// decayed score gets N / 20 events, the report N / 20 customers; the smoke test uses a small N).

// GCC 12 at -O2 and above reports a false -Wstringop-overread inside Boost's small_vector move
// constructor (cxm::csat's satisfied set) as inlined into the engine's constructor (as benchmarks/engine.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cxm/analysis/segments.hpp"
#include "cxm/analysis/statistics.hpp"
#include "cxm/churn/churn_rate.hpp"
#include "cxm/churn/retention.hpp"
#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/engagement/active_periods.hpp"
#include "cxm/engagement/decayed_score.hpp"
#include "cxm/engagement/lifecycle.hpp"
#include "cxm/engagement/rfm.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/event.hpp"
#include "support/events.hpp"
#include "support/ratio_report.hpp"
#include "support/table_bytes.hpp"

namespace {

using cxm::event_kind;

constexpr std::size_t default_events = 20'000'000;
std::size_t events_per_run = default_events;  // --cxm_events=N
constexpr std::uint64_t seed = 20250114;
constexpr std::uint64_t ingest_customers = 1'000'000;
constexpr std::uint64_t decayed_customers = 10'000;

/// The decayed-score events: 1,000,000 by default (events_per_run / 20).
std::size_t decayed_events() { return std::max<std::size_t>(events_per_run / 20, 1000); }
/// The customers of the report benchmark: 1,000,000 by default (events_per_run / 20), 20 events each.
std::uint64_t report_customers() { return std::max<std::uint64_t>(events_per_run / 20, 100); }

// --- input ----------------------------------------------------------------------------------------

using cxm::bench::customer_id;
using cxm::bench::event_set;
using cxm::bench::make_events;

/// The ingest events (generated on first use, outside every timed region, and kept).
const event_set& ingest_events() {
  static const event_set set = make_events(events_per_run, ingest_customers, seed);
  return set;
}

// --- the engines ----------------------------------------------------------------------------------

using defaults_engine = cxm::engine<>;
using all_globals =
    cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers, cxm::contractual_churn,
                     cxm::inactivity_churn, cxm::cohort_retention, cxm::lifecycle, cxm::rfm_scores>;
using all_customer_metrics =
    cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, cxm::decayed_engagement, cxm::cancellation,
                     cxm::active_periods>;
using all_engine = cxm::engine<std::uint64_t, all_globals, all_customer_metrics>;
/// The report benchmark's engine: only rfm_scores as a global, so that report() is RFM's cost.
using report_engine = cxm::engine<std::uint64_t, cxm::metric_list<cxm::rfm_scores>,
                                  cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction,
                                                   cxm::decayed_engagement, cxm::cancellation>>;

using cxm::bench::huge_page_block;
using cxm::bench::map_bytes;

// --- 1. ingest ------------------------------------------------------------------------------------

template <class Engine>
void engagement_ingest(benchmark::State& state) {
  const auto& input = ingest_events();
  double bytes = 0.0;
  std::size_t customers = 0;
  for (auto _ : state) {
    auto engine = std::make_unique<Engine>();
    benchmark::DoNotOptimize(engine->add(input.events));
    benchmark::ClobberMemory();
    state.PauseTiming();
    bytes = map_bytes(engine->customers().map());
    customers = engine->customers().size();
    std::uint64_t accepted = 0;
    for (const auto c : engine->result().events_by_kind) accepted += c;
    engine.reset();
    state.ResumeTiming();
    if (accepted != input.events.size() || customers != input.distinct_customers) {
      state.SkipWithError("wrong result: events accepted or customers in the table do not match the input");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(input.events.size()));
  state.counters["bytes_per_customer"] = customers == 0 ? 0.0 : bytes / static_cast<double>(customers);
  state.counters["record_bytes"] = static_cast<double>(Engine::record_bytes);
}

// --- 2. decayed score -----------------------------------------------------------------------------

struct decayed_input {
  std::vector<std::uint32_t> customer;        ///< index 0 .. decayed_customers − 1
  std::vector<cxm::observation> observations; ///< in time order (non-decreasing seconds)
};

/// One year of events on 10,000 customers in time order (no lateness: the hand loop assumes order).
const decayed_input& decayed_events_input() {
  static const decayed_input input = [] {
    const event_set set = make_events(decayed_events(), decayed_customers, seed + 1);
    decayed_input in;
    in.customer.reserve(set.events.size());
    in.observations.reserve(set.events.size());
    std::vector<std::uint64_t> ids(decayed_customers);
    for (std::uint64_t c = 0; c < decayed_customers; ++c) ids[c] = customer_id(c);
    // Back from ids to indices: sort the (id, index) pairs once.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> by_id(decayed_customers);
    for (std::uint32_t c = 0; c < decayed_customers; ++c) by_id[c] = {ids[c], c};
    std::sort(by_id.begin(), by_id.end());
    auto events = set.events;
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    for (const auto& e : events) {
      const auto it = std::lower_bound(by_id.begin(), by_id.end(), std::pair<std::uint64_t, std::uint32_t>{e.customer, 0});
      in.customer.push_back(it->second);
      in.observations.push_back(cxm::observation{e.time, cxm::to_seconds32(e.time), e.kind, e.value, 0});
    }
    return in;
  }();
  return input;
}

/// The trivial context decayed_engagement::on() is given (it reads nothing from it).
struct no_context {};

/// The hand-written state: the score as of t_ref (the latest weighted event's second).
struct hand_score {
  double score = 0.0;
  std::uint32_t t_ref = 0;
};

void hand_decayed(std::vector<hand_score>& states, const decayed_input& in,
                  const std::array<double, cxm::max_event_kinds>& weights, double half_life_s) {
  for (std::size_t i = 0; i < in.observations.size(); ++i) {
    const auto& o = in.observations[i];
    const double w = weights[static_cast<std::size_t>(o.kind) % cxm::max_event_kinds];
    if (w == 0.0) continue;
    hand_score& s = states[in.customer[i]];
    s.score = s.score * std::exp2(-static_cast<double>(o.seconds - s.t_ref) / half_life_s) + w;
    s.t_ref = o.seconds;
  }
}

void decayed_score_cxm(benchmark::State& state) {
  const auto& in = decayed_events_input();
  const cxm::decayed_engagement metric;
  std::vector<cxm::decayed_engagement::state> states(decayed_customers);
  for (auto _ : state) {
    state.PauseTiming();
    std::fill(states.begin(), states.end(), cxm::decayed_engagement::state{});
    state.ResumeTiming();
    for (std::size_t i = 0; i < in.observations.size(); ++i) metric.on(states[in.customer[i]], in.observations[i], no_context{});
    benchmark::DoNotOptimize(states.data());
    benchmark::ClobberMemory();
  }
  // Check against the hand loop (outside the timed region): the same scores to 1e-12 relative.
  std::vector<hand_score> hand(decayed_customers);
  hand_decayed(hand, in, metric.weights, static_cast<double>(metric.half_life.count()));
  for (std::size_t c = 0; c < decayed_customers; ++c) {
    if (states[c].t_ref != hand[c].t_ref ||
        std::abs(states[c].score - hand[c].score) > 1e-12 * std::max(1.0, std::abs(hand[c].score))) {
      state.SkipWithError("wrong result: decayed_engagement and the hand loop disagree");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(in.observations.size()));
}

void decayed_score_hand(benchmark::State& state) {
  const auto& in = decayed_events_input();
  const auto weights = cxm::decayed_engagement::default_weights();
  const double half_life_s = static_cast<double>(cxm::decayed_engagement::default_half_life.count());
  std::vector<hand_score> states(decayed_customers);
  for (auto _ : state) {
    state.PauseTiming();
    std::fill(states.begin(), states.end(), hand_score{});
    state.ResumeTiming();
    hand_decayed(states, in, weights, half_life_s);
    benchmark::DoNotOptimize(states.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(in.observations.size()));
}

// --- 3. report and analysis -----------------------------------------------------------------------

struct report_input {
  std::unique_ptr<report_engine> engine;
  cxm::timestamp as_of{};
  std::vector<cxm::analysis::customer_profile> profiles;  ///< one per customer, in table order
};

/// The engine of 1,000,000 customers (20 events each) and their profiles, built once.
const report_input& report_data() {
  static const report_input data = [] {
    report_input d;
    const std::uint64_t customers = report_customers();
    const event_set set = make_events(customers * 20, customers, seed + 2);
    d.engine = std::make_unique<report_engine>();
    d.engine->add(set.events);
    d.as_of = d.engine->watermark().value_or(cxm::earliest_time);
    d.profiles.reserve(d.engine->customers().size());
    d.engine->for_each_customer([&](const auto&, const auto& view) {
      cxm::analysis::customer_profile p;
      p.engagement = view.template result<cxm::decayed_engagement>(d.as_of).score;
      const auto sat = view.template result<cxm::satisfaction>(d.as_of);
      if (sat.csat.latest) {
        p.satisfaction = static_cast<double>(*sat.csat.latest);
        p.csat_answer = *sat.csat.latest;
      }
      if (sat.nps.latest) p.nps_answer = *sat.nps.latest;
      p.churned = view.template state<cxm::cancellation>().cancelled();
      p.spend = view.template state<cxm::spend>().purchase_amount;
      p.referred = view.template state<cxm::activity>().count(event_kind::referral) != 0;
      d.profiles.push_back(p);
    });
    return d;
  }();
  return data;
}

/// What both variants compute (the parts compared).
struct report_figures {
  std::array<std::vector<double>, 3> breakpoints;  ///< recency, frequency, monetary
  std::vector<std::uint64_t> cells;                ///< bins³
  double engagement_threshold = 0;
  std::optional<double> satisfaction_threshold;
  std::array<std::uint64_t, cxm::analysis::segment_count> segment_customers{};
  std::array<std::uint64_t, cxm::analysis::segment_count> segment_churned{};
  std::optional<double> spearman;
};

/// The surveyed customers' (engagement, satisfaction) pairs, for the Spearman correlation.
void surveyed_pairs(std::span<const cxm::analysis::customer_profile> profiles, std::vector<double>& x, std::vector<double>& y) {
  x.clear();
  y.clear();
  for (const auto& p : profiles) {
    if (!p.satisfaction) continue;
    x.push_back(p.engagement);
    y.push_back(*p.satisfaction);
  }
}

report_figures cxm_report(const report_input& d) {
  report_figures f;
  const auto report = d.engine->report(d.as_of);
  const cxm::rfm_result& rfm = report.get<cxm::rfm_scores>();
  f.breakpoints = {rfm.recency.breakpoints, rfm.frequency.breakpoints, rfm.monetary.breakpoints};
  f.cells = rfm.cells;
  const auto seg = cxm::analysis::segment_customers(d.profiles);
  f.engagement_threshold = seg.engagement_threshold;
  f.satisfaction_threshold = seg.satisfaction_threshold;
  for (std::size_t s = 0; s < cxm::analysis::segment_count; ++s) {
    f.segment_customers[s] = seg.segments[s].customers;
    f.segment_churned[s] = seg.segments[s].churned;
  }
  std::vector<double> x, y;
  surveyed_pairs(d.profiles, x, y);
  f.spearman = cxm::analysis::spearman_correlation(x, y).r;
  return f;
}

/// The linear (type 7) quantile of sorted values: h = (n − 1)q, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])
/// (Hyndman & Fan 1996).
double hand_quantile(const std::vector<double>& sorted, double q) {
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

/// 1-based average ranks (ties share the mean of their positions).
std::vector<double> hand_ranks(const std::vector<double>& v) {
  std::vector<std::uint32_t> order(v.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

report_figures hand_report(const report_input& d) {
  constexpr std::uint32_t bins = 5;
  report_figures f;
  // One pass over the table: recency (days since the last activity), frequency, monetary.
  const std::int64_t as_of_ms = d.as_of.time_since_epoch().count();
  const auto as_of_s = static_cast<std::uint32_t>(as_of_ms / 1000);
  std::array<std::vector<double>, 3> axes;
  for (auto& a : axes) a.reserve(d.engine->customers().size());
  for (const auto& [id, record] : d.engine->customers()) {
    const auto& a = record.template get<cxm::activity>();
    if (!a.seen() || a.first_seen > as_of_s || a.last_seen > as_of_s) continue;
    axes[0].push_back(static_cast<double>(as_of_ms - std::int64_t{a.last_seen} * 1000) / 86'400'000.0);
    axes[1].push_back(static_cast<double>(a.count(event_kind::purchase)));
    axes[2].push_back(record.template get<cxm::spend>().purchase_amount);
  }
  std::array<std::vector<std::uint8_t>, 3> scores;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    std::vector<double> sorted = axes[axis];
    std::sort(sorted.begin(), sorted.end());
    auto& b = f.breakpoints[axis];
    for (std::uint32_t k = 1; k < bins; ++k) b.push_back(hand_quantile(sorted, static_cast<double>(k) / bins));
    scores[axis].reserve(axes[axis].size());
    for (const double v : axes[axis]) {
      const auto below = static_cast<std::uint32_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
      scores[axis].push_back(static_cast<std::uint8_t>(axis == 0 ? bins - below : 1 + below));  // recency reversed
    }
  }
  f.cells.assign(bins * bins * bins, 0);
  for (std::size_t i = 0; i < axes[0].size(); ++i) {
    ++f.cells[((scores[0][i] - 1u) * bins + (scores[1][i] - 1u)) * bins + (scores[2][i] - 1u)];
  }
  // The two medians (engagement over all, satisfaction over the surveyed), then the segments.
  std::vector<double> engagement, satisfaction;
  engagement.reserve(d.profiles.size());
  for (const auto& p : d.profiles) {
    engagement.push_back(p.engagement);
    if (p.satisfaction) satisfaction.push_back(*p.satisfaction);
  }
  std::sort(engagement.begin(), engagement.end());
  std::sort(satisfaction.begin(), satisfaction.end());
  f.engagement_threshold = engagement.empty() ? 0.0 : hand_quantile(engagement, 0.5);
  const double sat_threshold = satisfaction.empty() ? 0.0 : hand_quantile(satisfaction, 0.5);
  if (!satisfaction.empty()) f.satisfaction_threshold = sat_threshold;
  for (const auto& p : d.profiles) {
    using cxm::analysis::segment;
    const bool engaged = p.engagement >= f.engagement_threshold;
    const segment s = !p.satisfaction ? segment::unsurveyed
                      : *p.satisfaction >= sat_threshold ? (engaged ? segment::loyal : segment::latent)
                                                         : (engaged ? segment::spurious : segment::at_risk);
    ++f.segment_customers[static_cast<std::size_t>(s)];
    f.segment_churned[static_cast<std::size_t>(s)] += p.churned ? 1 : 0;
  }
  // Spearman: Pearson of the average ranks (two-pass).
  std::vector<double> x, y;
  surveyed_pairs(d.profiles, x, y);
  if (x.size() >= 3) {
    const auto rx = hand_ranks(x), ry = hand_ranks(y);
    const double mean = (static_cast<double>(rx.size()) + 1) / 2;  // the mean of 1..n, ties included
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < rx.size(); ++i) {
      sxy += (rx[i] - mean) * (ry[i] - mean);
      sxx += (rx[i] - mean) * (rx[i] - mean);
      syy += (ry[i] - mean) * (ry[i] - mean);
    }
    if (sxx > 0 && syy > 0) f.spearman = sxy / std::sqrt(sxx * syy);
  }
  return f;
}

bool same_figures(const report_figures& a, const report_figures& b) {
  const auto near = [](double u, double v) { return std::abs(u - v) <= 1e-9 * std::max(1.0, std::abs(v)); };
  for (std::size_t axis = 0; axis < 3; ++axis) {
    if (a.breakpoints[axis].size() != b.breakpoints[axis].size()) return false;
    for (std::size_t k = 0; k < a.breakpoints[axis].size(); ++k) {
      if (!near(a.breakpoints[axis][k], b.breakpoints[axis][k])) return false;
    }
  }
  if (a.spearman.has_value() != b.spearman.has_value() || (a.spearman && !near(*a.spearman, *b.spearman))) return false;
  return a.cells == b.cells && near(a.engagement_threshold, b.engagement_threshold) &&
         a.satisfaction_threshold == b.satisfaction_threshold && a.segment_customers == b.segment_customers &&
         a.segment_churned == b.segment_churned;
}

template <bool Cxm>
void report_analysis(benchmark::State& state) {
  const auto& d = report_data();
  report_figures f;
  for (auto _ : state) {
    f = Cxm ? cxm_report(d) : hand_report(d);
    benchmark::DoNotOptimize(f);
    benchmark::ClobberMemory();
  }
  // The other variant, outside the timed region: both must give the same figures.
  if (!same_figures(f, Cxm ? hand_report(d) : cxm_report(d))) {
    state.SkipWithError("wrong result: the cxm report and the hand-written one disagree");
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(d.profiles.size()));
}

void register_benchmarks() {
  benchmark::RegisterBenchmark("engagement_ingest/defaults", engagement_ingest<defaults_engine>)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("engagement_ingest/all", engagement_ingest<all_engine>)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("decayed_score/cxm", decayed_score_cxm)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("decayed_score/hand", decayed_score_hand)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("report_analysis/cxm", report_analysis<true>)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("report_analysis/hand", report_analysis<false>)->Unit(benchmark::kMillisecond);
}

// --- reporting -----------------------------------------------------------------------------------

/// Prints the rates, ratios and memory, then the targets; returns the number missed (or not measured).
int report_targets(const cxm::bench::counter_reporter& reporter) {
  using cxm::bench::format;
  using cxm::bench::format_rate;
  using cxm::bench::ratio;
  const auto rate = [&](const std::string& name) { return reporter.items_per_second(name); };
  const auto memory = [&](const std::string& name) { return reporter.get(name, "bytes_per_customer"); };

  std::printf("\ncxm engagement benchmarks (%s)\n", cxm::bench::runs_description(reporter));
  std::printf("%-28s %14s %12s\n", "benchmark", "M items/s", "bytes/cust");
  for (const char* name : {"engagement_ingest/defaults", "engagement_ingest/all"}) {
    std::printf("%-28s %14s %12s\n", name, format_rate(rate(name)).c_str(), format(memory(name), 1, "%.1f").c_str());
  }
  for (const char* name : {"decayed_score/cxm", "decayed_score/hand"}) {
    std::printf("%-28s %14s %12s\n", name, format_rate(rate(name)).c_str(), "-");
  }
  const auto per_customer_ns = [](std::optional<double> r) {
    return r && *r > 0 ? std::optional<double>(1e9 / *r) : std::nullopt;
  };
  for (const char* name : {"report_analysis/cxm", "report_analysis/hand"}) {
    std::printf("%-28s %14s %12s   (%s ns per customer)\n", name, format_rate(rate(name)).c_str(), "-",
                format(per_customer_ns(rate(name)), 1, "%.1f").c_str());
  }

  std::printf("\n");
  return cxm::bench::print_targets({
      {"engagement_ingest all / defaults (bulk rate)", ratio(rate("engagement_ingest/all"), rate("engagement_ingest/defaults")), 0.6},
      {"decayed_score cxm / hand", ratio(rate("decayed_score/cxm"), rate("decayed_score/hand")), 0.8},
      {"report_analysis cxm / hand (rate)", ratio(rate("report_analysis/cxm"), rate("report_analysis/hand")), 0.5},
  });
}

constexpr std::string_view events_flag = "--cxm_events=";

// --cxm_events=N: the number of ingest events (events_per_run); the other inputs scale with it.
cxm::bench::flag_result parse_flag(std::string_view arg, const char* program) {
  if (!arg.starts_with(events_flag)) return cxm::bench::flag_result::not_mine;
  const auto digits = arg.substr(events_flag.size());
  std::size_t n = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (error != std::errc{} || end != digits.data() + digits.size() || n == 0) {
    std::fprintf(stderr, "%s: %.*s wants a positive number of events\n", program, static_cast<int>(arg.size()),
                 arg.data());
    return cxm::bench::flag_result::invalid;
  }
  events_per_run = n;
  return cxm::bench::flag_result::taken;
}

void print_flag_help() {
  std::printf("  [%sN]  generate N ingest events instead of %zu, the other inputs scaled alike (smoke tests)\n",
              events_flag.data(), default_events);
}

}  // namespace

int main(int argc, char** argv) {
  return cxm::bench::run(argc, argv,
                         {.register_benchmarks = register_benchmarks,
                          .report = report_targets,
                          .parse_flag = parse_flag,
                          .known_flags = {"--cxm_events=N"},
                          .print_flag_help = print_flag_help});
}
