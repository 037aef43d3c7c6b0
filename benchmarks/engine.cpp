// The engine against what a host would write without cxm, on the same pre-generated events
// (20,000,000 by default, fixed seed, customers drawn uniformly, a realistic mix of kinds, all valid):
//   engine_add/cxm                cxm::engine<> fed one cxm::event<> at a time through add(e)
//   engine_add/cxm_bulk           the same engine fed the whole vector through add(range)
//   engine_add/cxm_custom         engine_add/cxm with three more metrics attached, written outside the
//                                 library (tests/stream/custom_metrics.hpp): the cost per added metric
//   engine_add/std_unordered_map  a host record per customer in a std::unordered_map<std::uint64_t, ...>
//                                 plus global NPS/CSAT/CES counters, with a careful host's validation
//   engine_add/hand               the same host loop on boost::unordered_flat_map with std::allocator
// each at 10,000 and 1,000,000 customers (`.../customers:N`), and
//   engine_parallel/threads:1|2   cxm::parallel_ingest<cxm::engine<>> at 1,000,000 customers (wall time)
// One iteration folds every event into a fresh table (its growth included); the table is destroyed
// outside the timed region. Every variant reports items_per_second, and bytes_per_customer: the
// memory of the table, the map's own overhead included, divided by the customers in it (see
// flat_map_bytes, std_map_bytes and map_bytes below, and docs/benchmarks.md).
//
// After the runs, main() prints the ratios and checks the targets at 1,000,000 customers:
// cxm_bulk >= 2.5 x std_unordered_map, cxm_bulk and cxm >= 0.8 x hand, at most 128 bytes per customer
// for cxm; and at 10,000 customers (the table in the caches) cxm one event at a time >= 0.7 x hand. (One event at a time, cxm / std_unordered_map is printed but not a target: without the
// events ahead there is nothing to prefetch, and each event waits for its own memory misses.)
// A missed target makes the exit code non-zero only with --cxm_enforce_targets. The flags, the
// collection of the counters and the exit code are shared with the other families
// (benchmarks/support/ratio_report.hpp).
//
//   cxm_bench_engine --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//                    --benchmark_min_time=0.5 --benchmark_enable_random_interleaving=true
//                    [--cxm_enforce_targets] [--cxm_events=N]
// --cxm_events=N replaces the 20,000,000 events by N (the smoke test uses a small N).
// Figures and the machine they come from: docs/benchmarks.md.

// GCC 12 at -O2 and above reports a false -Wstringop-overread inside Boost's small_vector move
// constructor (cxm::csat's satisfied set) as inlined into the engine's constructor (tests/stream/engine.cpp).
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
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/event.hpp"
#include "cxm/stream/parallel.hpp"
#include "stream/custom_metrics.hpp"
#include "support/events.hpp"
#include "support/ratio_report.hpp"
#include "support/table_bytes.hpp"

namespace {

using cxm::event_kind;

constexpr std::size_t default_events = 20'000'000;
std::size_t events_per_run = default_events;  // --cxm_events=N
constexpr std::uint64_t events_seed = 20240612;
constexpr std::int64_t small_table = 10'000;
constexpr std::int64_t large_table = 1'000'000;

// --- input ----------------------------------------------------------------------------------------

using cxm::bench::customer_id;
using cxm::bench::event_set;
using cxm::bench::make_events;

/// The events for a number of customers, generated on first use (outside every timed region) and kept.
const event_set& events_for(std::int64_t customers) {
  static std::map<std::int64_t, event_set> sets;
  auto it = sets.find(customers);
  if (it == sets.end()) {
    it = sets.emplace(customers, make_events(events_per_run, static_cast<std::uint64_t>(customers),
                                             events_seed + static_cast<std::uint64_t>(customers)))
             .first;
  }
  return it->second;
}

// --- what a host writes without cxm -----------------------------------------------------------------

/// The per-customer fields of cxm's default record, written the plain way: first and last activity
/// (seconds since 1970), a count per kind, purchase and refund amounts, and per survey (csat, ces, nps)
/// the sum of the scores and the latest answer. 104 bytes (cxm's record: 96, with narrower counters
/// for rare kinds).
struct host_record {
  static constexpr std::uint8_t no_answer = 0xFF;
  std::uint32_t first_seen = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t last_seen = 0;
  std::array<std::uint32_t, cxm::builtin_kind_count> events_by_kind{};
  double purchase_amount = 0.0;
  double refund_amount = 0.0;
  std::array<std::uint32_t, 3> score_sum{};    // score − scale low
  std::array<std::uint32_t, 3> latest_time{};  // s since 1970
  std::array<std::uint8_t, 3> latest_score{no_answer, no_answer, no_answer};
};

/// The global counters: NPS 0..10, CSAT 1..5, CES 1..7 answers by score, events by kind, rejections.
struct host_totals {
  std::array<std::uint64_t, 11> nps{};
  std::array<std::uint64_t, 5> csat{};
  std::array<std::uint64_t, 7> ces{};
  std::array<std::uint64_t, cxm::builtin_kind_count> events_by_kind{};
  std::uint64_t rejected = 0;
  std::int64_t latest_ms = 0;
};

/// A careful host's checks: time within what 32-bit seconds hold, known kind, finite and non-negative
/// amount, integral score on its scale. A bad event is counted and skipped.
template <class Map>
void host_add(Map& customers, host_totals& totals, const cxm::event<>& e) {
  constexpr std::int64_t max_ms = std::int64_t{0xFFFFFFFF} * 1000 + 999;
  const std::int64_t ms = e.time.time_since_epoch().count();
  const auto kind = static_cast<std::size_t>(e.kind);
  if (ms < 0 || ms > max_ms || kind >= cxm::builtin_kind_count) [[unlikely]] {
    ++totals.rejected;
    return;
  }
  const auto on_scale = [](double v, int low, int high) { return v >= low && v <= high && v == std::floor(v); };
  std::size_t survey = 0;
  int score = 0;
  switch (e.kind) {
    case event_kind::purchase:
    case event_kind::refund:
      if (!std::isfinite(e.value) || e.value < 0) [[unlikely]] {
        ++totals.rejected;
        return;
      }
      break;
    case event_kind::csat_answer:
      if (!on_scale(e.value, 1, 5)) [[unlikely]] {
        ++totals.rejected;
        return;
      }
      survey = 0;
      score = static_cast<int>(e.value) - 1;
      ++totals.csat[static_cast<std::size_t>(score)];
      break;
    case event_kind::ces_answer:
      if (!on_scale(e.value, 1, 7)) [[unlikely]] {
        ++totals.rejected;
        return;
      }
      survey = 1;
      score = static_cast<int>(e.value) - 1;
      ++totals.ces[static_cast<std::size_t>(score)];
      break;
    case event_kind::nps_answer:
      if (!on_scale(e.value, 0, 10)) [[unlikely]] {
        ++totals.rejected;
        return;
      }
      survey = 2;
      score = static_cast<int>(e.value);
      ++totals.nps[static_cast<std::size_t>(score)];
      break;
    default: break;
  }
  const auto seconds = static_cast<std::uint32_t>(ms / 1000);
  host_record& r = customers[e.customer];  // one lookup, inserting an empty record on first sight
  r.first_seen = std::min(r.first_seen, seconds);
  r.last_seen = std::max(r.last_seen, seconds);
  ++r.events_by_kind[kind];
  if (e.kind == event_kind::purchase) r.purchase_amount += e.value;
  if (e.kind == event_kind::refund) r.refund_amount += e.value;
  if (cxm::is_survey_answer(e.kind)) {
    const auto s = static_cast<std::uint8_t>(score);
    r.score_sum[survey] += s;
    if (r.latest_score[survey] == host_record::no_answer || seconds > r.latest_time[survey] ||
        (seconds == r.latest_time[survey] && s > r.latest_score[survey])) {
      r.latest_score[survey] = s;
      r.latest_time[survey] = seconds;
    }
  }
  ++totals.events_by_kind[kind];
  totals.latest_ms = std::max(totals.latest_ms, ms);
}

using host_std_map = std::unordered_map<std::uint64_t, host_record>;
using host_flat_map = boost::unordered_flat_map<std::uint64_t, host_record>;

// --- memory of a table ------------------------------------------------------------------------------

/// boost::unordered_flat_map (Boost 1.81) keeps its elements and its metadata in one block: capacity
/// element slots (capacity = 15 × groups − 1, groups a power of two; one slot is the sentinel's), then
/// one 16-byte group word per 15 slots (15 tag bytes, one overflow byte), aligned to 16 bytes. The block
/// is rounded up to whole elements. An allocator that asks for huge pages rounds large blocks up to 2 MiB.
template <class Map>
double flat_map_bytes(const Map& map, bool huge_pages) {
  constexpr std::size_t group_bytes = 16, slots_per_group = 15;
  const std::size_t capacity = map.bucket_count();
  if (capacity == 0) return 0.0;
  const std::size_t groups = (capacity + 1) / slots_per_group;
  const std::size_t element = sizeof(typename Map::value_type);
  const std::size_t raw = element * capacity + group_bytes * (groups + 1) - 1;
  std::size_t bytes = (raw + element - 1) / element * element;
  if (huge_pages && bytes >= cxm::huge_page_size) {
    bytes = (bytes + cxm::huge_page_size - 1) / cxm::huge_page_size * cxm::huge_page_size;
  }
  return static_cast<double>(bytes);
}

/// std::unordered_map (libstdc++): a bucket array of pointers, and one heap node per element holding
/// the value and the next-node link (the hash is not cached for std::hash<std::uint64_t>). malloc adds an
/// 8-byte header to each node and rounds the chunk to 16 bytes: value + 2 pointers, rounded to 16.
double std_map_bytes(const host_std_map& map) {
  const std::size_t node = (sizeof(host_std_map::value_type) + 2 * sizeof(void*) + 15) / 16 * 16;
  return static_cast<double>(map.bucket_count() * sizeof(void*) + map.size() * node);
}

using cxm::bench::huge_page_block;
using cxm::bench::map_bytes;

template <class Map>
double map_bytes(const Map& map) {
  return flat_map_bytes(map, true);
}

template <class Engine>
double engine_table_bytes(const Engine& e) {
  return map_bytes(e.customers().map());
}

// --- the benchmarks --------------------------------------------------------------------------------

void set_counters(benchmark::State& state, const event_set& input, double bytes, std::size_t customers) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(input.events.size()));
  state.counters["bytes_per_customer"] = customers == 0 ? 0.0 : bytes / static_cast<double>(customers);
  state.counters["customers"] = static_cast<double>(customers);
}

/// Checks an iteration's outcome: every event accepted, every customer in the table.
bool check(benchmark::State& state, const event_set& input, std::uint64_t accepted, std::size_t customers) {
  if (accepted != input.events.size() || customers != input.distinct_customers) {
    state.SkipWithError("wrong result: events accepted or customers in the table do not match the input");
    return false;
  }
  return true;
}

cxm::engine<> default_engine() { return cxm::engine<>{}; }

/// `make` builds the engine of one iteration: the defaults, or the defaults with the three custom
/// metrics of tests/stream/custom_metrics.hpp attached.
template <bool Bulk, class Engine = cxm::engine<>>
void engine_add_cxm(benchmark::State& state, Engine (*make)() = default_engine) {
  const auto& input = events_for(state.range(0));
  double bytes = 0.0;
  std::size_t customers = 0;
  for (auto _ : state) {
    auto engine = std::make_unique<Engine>(make());
    if constexpr (Bulk) {
      benchmark::DoNotOptimize(engine->add(input.events));
    } else {
      for (const auto& e : input.events) engine->add(e);
    }
    benchmark::ClobberMemory();
    state.PauseTiming();
    bytes = engine_table_bytes(*engine);
    customers = engine->customers().size();
    const auto report = engine->result();
    const bool ok = check(state, input, report.events, customers);
    engine.reset();
    state.ResumeTiming();
    if (!ok) break;
  }
  set_counters(state, input, bytes, customers);
}

template <class Map>
void engine_add_host(benchmark::State& state) {
  const auto& input = events_for(state.range(0));
  double bytes = 0.0;
  std::size_t customers = 0;
  for (auto _ : state) {
    auto table = std::make_unique<Map>();
    host_totals totals;
    for (const auto& e : input.events) host_add(*table, totals, e);
    benchmark::DoNotOptimize(totals);
    benchmark::ClobberMemory();
    state.PauseTiming();
    if constexpr (std::is_same_v<Map, host_std_map>) {
      bytes = std_map_bytes(*table);
    } else {
      bytes = flat_map_bytes(*table, false);
    }
    customers = table->size();
    std::uint64_t accepted = 0;
    for (const auto c : totals.events_by_kind) accepted += c;
    const bool ok = check(state, input, accepted, customers);
    table.reset();
    state.ResumeTiming();
    if (!ok) break;
  }
  set_counters(state, input, bytes, customers);
}

void engine_parallel(benchmark::State& state) {
  const auto& input = events_for(large_table);
  const auto threads = static_cast<unsigned>(state.range(0));
  double bytes = 0.0;
  std::size_t customers = 0;
  for (auto _ : state) {
    auto engine = std::make_unique<cxm::engine<>>(cxm::parallel_ingest<cxm::engine<>>(input.events, threads));
    benchmark::ClobberMemory();
    state.PauseTiming();
    bytes = engine_table_bytes(*engine);
    customers = engine->customers().size();
    const bool ok = check(state, input, engine->result().events, customers);
    engine.reset();
    state.ResumeTiming();
    if (!ok) break;
  }
  set_counters(state, input, bytes, customers);
}

void register_benchmarks() {
  const auto sizes = [](benchmark::internal::Benchmark* b) {
    b->ArgName("customers")->Arg(small_table)->Arg(large_table)->Unit(benchmark::kMillisecond);
  };
  benchmark::RegisterBenchmark("engine_add/cxm", [](benchmark::State& s) { engine_add_cxm<false>(s); })->Apply(sizes);
  // The defaults plus three metrics written outside the library (one per protocol): the cost of adding metrics.
  benchmark::RegisterBenchmark("engine_add/cxm_custom", [](benchmark::State& s) {
    engine_add_cxm<false, cxm::test::custom_engine>(s, [] { return cxm::test::make_custom_engine(); });
  })->Apply(sizes);
  benchmark::RegisterBenchmark("engine_add/cxm_bulk", [](benchmark::State& s) { engine_add_cxm<true>(s); })->Apply(sizes);
  benchmark::RegisterBenchmark("engine_add/std_unordered_map", engine_add_host<host_std_map>)->Apply(sizes);
  benchmark::RegisterBenchmark("engine_add/hand", engine_add_host<host_flat_map>)->Apply(sizes);
  // Several threads: the rate is measured on the wall clock (CPU time would only count the main thread).
  benchmark::RegisterBenchmark("engine_parallel", engine_parallel)
      ->ArgName("threads")
      ->Arg(1)
      ->Arg(2)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

// --- reporting -----------------------------------------------------------------------------------

/// Prints the rates, ratios and memory, then the targets; returns the number of targets missed (or not measured).
int report_targets(const cxm::bench::counter_reporter& reporter) {
  using cxm::bench::format;
  using cxm::bench::format_rate;
  using cxm::bench::format_ratio;
  using cxm::bench::ratio;
  const auto rate = [&](const std::string& name) { return reporter.get(name, "items_per_second"); };
  const auto memory = [&](const std::string& name) { return reporter.get(name, "bytes_per_customer"); };
  const std::vector<std::string> variants = {"cxm", "cxm_bulk", "cxm_custom", "std_unordered_map", "hand"};

  std::printf("\ncxm engine benchmarks: events per second in millions (%s), bytes per customer\n",
              cxm::bench::runs_description(reporter));
  std::printf("%-10s %-18s %10s %10s %10s %12s\n", "customers", "variant", "M events/s", "/ std_map", "/ hand",
              "bytes/cust");
  for (const std::int64_t customers : {small_table, large_table}) {
    const std::string arg = "/customers:" + std::to_string(customers);
    const auto std_rate = rate("engine_add/std_unordered_map" + arg);
    const auto hand_rate = rate("engine_add/hand" + arg);
    for (const auto& v : variants) {
      const std::string name = "engine_add/" + v + arg;
      std::printf("%-10lld %-18s %10s %10s %10s %12s\n", static_cast<long long>(customers), v.c_str(),
                  format_rate(rate(name)).c_str(), format_ratio(rate(name), std_rate).c_str(),
                  format_ratio(rate(name), hand_rate).c_str(), format(memory(name), 1, "%.1f").c_str());
    }
  }
  // Three metrics added (one per-customer, one global reading the record, one report-time): the cost
  // of each, as the share of the default engine's time per event that it adds.
  for (const std::int64_t customers : {small_table, large_table}) {
    const std::string arg = "/customers:" + std::to_string(customers);
    const auto defaults = ratio(rate("engine_add/cxm" + arg), rate("engine_add/cxm_custom" + arg));
    std::printf("engine_add/cxm_custom at %lld customers: %s x the defaults' time per event, %s%% per added metric\n",
                static_cast<long long>(customers), format(defaults, 1, "%.3f").c_str(),
                format(defaults ? std::optional<double>((*defaults - 1) / 3 * 100) : std::nullopt, 1, "%.1f").c_str());
  }
  const auto one = rate("engine_parallel/threads:1");
  const auto two = rate("engine_parallel/threads:2");
  std::printf("engine_parallel (1,000,000 customers, wall clock): threads:1 %s, threads:2 %s M events/s; speed-up %s\n",
              format_rate(one).c_str(), format_rate(two).c_str(), format_ratio(two, one).c_str());

  // The speed-up over std::unordered_map needs the bulk add: only a range lets the engine prefetch the
  // customers of the events ahead. One event at a time, each event waits for its own memory misses.
  const std::string large = "/customers:" + std::to_string(large_table);
  const std::string small = "/customers:" + std::to_string(small_table);
  const auto one_rate = rate("engine_add/cxm" + large);
  const auto bulk_rate = rate("engine_add/cxm_bulk" + large);
  const auto std_rate = rate("engine_add/std_unordered_map" + large);
  const auto hand_rate = rate("engine_add/hand" + large);
  std::printf("\n");
  return cxm::bench::print_targets({
      {"engine_add/cxm_bulk / std_unordered_map at 1M", ratio(bulk_rate, std_rate), 2.5},
      {"engine_add/cxm_bulk / hand at 1M", ratio(bulk_rate, hand_rate), 0.8},
      {"engine_add/cxm / hand at 1M", ratio(one_rate, hand_rate), 0.8},
      // In the cache the per-event work shows: validation, routing, the context of each update.
      {"engine_add/cxm / hand at 10k", ratio(rate("engine_add/cxm" + small), rate("engine_add/hand" + small)), 0.7},
      {"engine_add/cxm bytes_per_customer at 1M", memory("engine_add/cxm" + large), 128, false},
      {.what = "engine_add/cxm / std_unordered_map at 1M",
       .measured = ratio(one_rate, std_rate),
       .not_a_target = "(one event at a time: reported, not a target)"},
  });
}

constexpr std::string_view events_flag = "--cxm_events=";

// --cxm_events=N: the number of events to generate (events_per_run).
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
  std::printf("  [%sN]  generate N events instead of %zu (smoke tests)\n", events_flag.data(), default_events);
}

}  // namespace

int main(int argc, char** argv) {
  // register_benchmarks: the events are generated on first use, before the timed loops.
  return cxm::bench::run(argc, argv,
                         {.register_benchmarks = register_benchmarks,
                          .report = report_targets,
                          .parse_flag = parse_flag,
                          .known_flags = {"--cxm_events=N"},
                          .print_flag_help = print_flag_help});
}
