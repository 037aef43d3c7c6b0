// Survey accumulators (NPS 0..10, CSAT 1..5) against their baselines, on the same pre-generated
// scores (1M answers, uniform on the scale, fixed seed):
//   <family>/cxm                 cxm::nps / cxm::csat
//   <family>/hand                a plain loop incrementing one 64-bit counter per score of the scale
//   <family>/boost_accumulators  an accumulator_set with the cxm::tag::nps / cxm::tag::csat feature
// Families: nps_add and csat_add fold in one score at a time (add(int)); nps_add_bulk and
// csat_add_bulk hand the whole vector to add(range). Every variant reports items_per_second.
//
// After the runs, main() prints the ratios cxm / hand and cxm / boost_accumulators and checks the
// targets: one score at a time cxm >= 0.5 x hand, bulk cxm >= 0.9 x hand. A missed target makes the
// exit code non-zero only with --cxm_enforce_targets (the `benchmark.survey` test of the bench preset).
// The flags, the collection of the rates and the exit code are shared with the other families
// (benchmarks/support/ratio_report.hpp).
//
//   cxm_bench_survey --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//                    --benchmark_min_time=0.5 --benchmark_enable_random_interleaving=true
//                    [--cxm_enforce_targets]
// Figures and the machine they come from: docs/benchmarks.md.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "support/ratio_report.hpp"

// The Boost.Accumulators adapter is optional: without it the boost_accumulators variants are left out.
#if __has_include("cxm/boost/accumulators.hpp")
#include <boost/accumulators/framework/accumulator_set.hpp>
#include <boost/accumulators/framework/features.hpp>

#include "cxm/boost/accumulators.hpp"
#define CXM_BENCH_HAVE_BOOST_ACCUMULATORS 1
#else
#define CXM_BENCH_HAVE_BOOST_ACCUMULATORS 0
#endif

namespace {

constexpr std::size_t answers_per_run = 1'000'000;
constexpr std::uint64_t scores_seed = 20240611;

// Uniform answers on low..high, all valid. Consecutive equal scores, which make a one-counter-per-score
// loop wait on the store of the answer before, come once in 11 answers (NPS) or once in 5 (CSAT).
std::vector<std::uint8_t> make_scores(int low, int high, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_int_distribution<int> score(low, high);
  std::vector<std::uint8_t> out(answers_per_run);
  for (auto& s : out) s = static_cast<std::uint8_t>(score(engine));
  return out;
}

const std::vector<std::uint8_t>& nps_scores() {
  static const auto scores = make_scores(0, 10, scores_seed);
  return scores;
}
const std::vector<std::uint8_t>& csat_scores() {
  static const auto scores = make_scores(1, 5, scores_seed + 1);
  return scores;
}

void set_items(benchmark::State& state, const std::vector<std::uint8_t>& scores) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(scores.size()));
}

// --- baselines ---------------------------------------------------------------------------------

// The practical limit: one 64-bit counter per score of the scale, incremented in a plain loop. It
// checks the range like cxm does (an unchecked ++counts[s] is undefined behaviour on bad input);
// on these scores the check is never taken and costs a predicted branch.
template <int Low, int High>
void add_hand(benchmark::State& state, const std::vector<std::uint8_t>& scores) {
  constexpr auto points = static_cast<std::size_t>(High - Low + 1);
  for (auto _ : state) {
    std::array<std::uint64_t, points> counts{};
    std::uint64_t rejected = 0;
    for (const std::uint8_t s : scores) {
      const auto i = static_cast<std::size_t>(static_cast<unsigned>(s - Low));
      if (i < points) {
        ++counts[i];
      } else {
        ++rejected;
      }
    }
    benchmark::DoNotOptimize(counts);
    benchmark::DoNotOptimize(rejected);
    benchmark::ClobberMemory();
  }
  set_items(state, scores);
}

#if CXM_BENCH_HAVE_BOOST_ACCUMULATORS
// What a user of Boost.Accumulators writes: one call of the accumulator_set per answer.
template <class Feature>
void add_boost_accumulators(benchmark::State& state, const std::vector<std::uint8_t>& scores) {
  namespace acc = boost::accumulators;
  for (auto _ : state) {
    acc::accumulator_set<int, acc::features<Feature>> set;
    for (const std::uint8_t s : scores) set(int{s});
    benchmark::DoNotOptimize(set);
    benchmark::ClobberMemory();
  }
  set_items(state, scores);
}
#endif

// --- cxm -----------------------------------------------------------------------------------------

template <class Metric>
void add_cxm(benchmark::State& state, const std::vector<std::uint8_t>& scores) {
  for (auto _ : state) {
    Metric metric;
    for (const std::uint8_t s : scores) metric.add(int{s});
    benchmark::DoNotOptimize(metric);
    benchmark::ClobberMemory();
  }
  set_items(state, scores);
}

template <class Metric>
void add_bulk_cxm(benchmark::State& state, const std::vector<std::uint8_t>& scores) {
  for (auto _ : state) {
    Metric metric;
    auto added = metric.add(scores);
    benchmark::DoNotOptimize(added);
    benchmark::DoNotOptimize(metric);
    benchmark::ClobberMemory();
  }
  set_items(state, scores);
}

void register_benchmarks() {
  const auto& nps = nps_scores();
  const auto& csat = csat_scores();
  benchmark::RegisterBenchmark("nps_add/cxm", add_cxm<cxm::nps>, std::cref(nps));
  benchmark::RegisterBenchmark("nps_add/hand", add_hand<0, 10>, std::cref(nps));
#if CXM_BENCH_HAVE_BOOST_ACCUMULATORS
  benchmark::RegisterBenchmark("nps_add/boost_accumulators", add_boost_accumulators<cxm::tag::nps>, std::cref(nps));
#endif
  benchmark::RegisterBenchmark("csat_add/cxm", add_cxm<cxm::csat>, std::cref(csat));
  benchmark::RegisterBenchmark("csat_add/hand", add_hand<1, 5>, std::cref(csat));
#if CXM_BENCH_HAVE_BOOST_ACCUMULATORS
  benchmark::RegisterBenchmark("csat_add/boost_accumulators", add_boost_accumulators<cxm::tag::csat>, std::cref(csat));
#endif
  benchmark::RegisterBenchmark("nps_add_bulk/cxm", add_bulk_cxm<cxm::nps>, std::cref(nps));
  benchmark::RegisterBenchmark("nps_add_bulk/hand", add_hand<0, 10>, std::cref(nps));
  benchmark::RegisterBenchmark("csat_add_bulk/cxm", add_bulk_cxm<cxm::csat>, std::cref(csat));
  benchmark::RegisterBenchmark("csat_add_bulk/hand", add_hand<1, 5>, std::cref(csat));
}

// --- reporting -----------------------------------------------------------------------------------

struct family {
  std::string name;
  double target;  // cxm / hand must be at least this
  bool has_boost_accumulators;
};

/// Prints the ratio table and the targets; returns the number of targets missed (or not measured).
int report_targets(const cxm::bench::counter_reporter& reporter) {
  using cxm::bench::format_rate;
  using cxm::bench::format_ratio;
  const std::vector<family> families = {
      {"nps_add", 0.5, true},
      {"csat_add", 0.5, true},
      {"nps_add_bulk", 0.9, false},
      {"csat_add_bulk", 0.9, false},
  };
  std::printf("\ncxm survey benchmarks: items per second in millions (%s)\n", cxm::bench::runs_description(reporter));
  std::printf("%-15s %10s %10s %10s %10s %10s %8s  %s\n", "family", "cxm", "hand", "boost_acc", "cxm/hand",
              "cxm/boost", "target", "result");
  int missed = 0;
  for (const auto& f : families) {
    const auto cxm_rate = reporter.items_per_second(f.name + "/cxm");
    const auto hand_rate = reporter.items_per_second(f.name + "/hand");
    const auto boost_rate = f.has_boost_accumulators ? reporter.items_per_second(f.name + "/boost_accumulators")
                                                     : std::nullopt;
    const bool measured = cxm_rate && hand_rate && *hand_rate > 0;
    const bool met = measured && *cxm_rate / *hand_rate >= f.target;
    if (!met) ++missed;
    std::array<char, 16> target{};
    std::snprintf(target.data(), target.size(), ">= %.1f", f.target);
    std::printf("%-15s %10s %10s %10s %10s %10s %8s  %s\n", f.name.c_str(), format_rate(cxm_rate).c_str(),
                format_rate(hand_rate).c_str(), format_rate(boost_rate).c_str(),
                format_ratio(cxm_rate, hand_rate).c_str(), format_ratio(cxm_rate, boost_rate).c_str(), target.data(),
                cxm::bench::verdict(measured, met));
  }
  if (!CXM_BENCH_HAVE_BOOST_ACCUMULATORS) {
    std::printf("(built without cxm/boost/accumulators.hpp: no boost_accumulators variants)\n");
  }
  return missed;
}

}  // namespace

int main(int argc, char** argv) {
  // register_benchmarks generates the scores, outside every timed region.
  return cxm::bench::run(argc, argv, {.register_benchmarks = register_benchmarks, .report = report_targets});
}
