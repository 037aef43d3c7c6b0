// The machinery every benchmark family's main() shares (benchmarks/<family>.cpp):
//   - the --cxm_* flags are taken out of argv before Google Benchmark sees them:
//     --cxm_enforce_targets here, the family's own ones (e.g. engine's --cxm_events=N) through a callback;
//   - a console reporter that also collects every counter of every benchmark (items_per_second,
//     bytes_per_customer, ...) by name: the median aggregate when the benchmark is repeated, otherwise
//     the median of its runs;
//   - helpers to format rates and ratios for the family's own table, and the table of its targets
//     (cxm::bench::print_targets: what, measured, bound, result);
//   - the exit status: 2 on a bad flag, 1 when a benchmark run failed or, with --cxm_enforce_targets,
//     when a target was missed or could not be measured, else 0.
//
// A family fills in a cxm::bench::family and returns cxm::bench::run(argc, argv, family) from main();
// its report callback prints the ratio table and the targets, and returns the number of targets missed
// (or not measured): what print_targets returns.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

namespace cxm::bench {

// --- collecting counters -------------------------------------------------------------------------

// Google Benchmark 1.8 replaced Run::error_occurred with Run::skipped.
template <class Run>
bool failed(const Run& run) {
  if constexpr (requires { run.skipped; }) {
    return static_cast<bool>(run.skipped);
  } else {
    return run.error_occurred;
  }
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// The console output as usual, plus each benchmark's counters by name: the function name as
// registered ("nps_add/cxm"), followed by "/<args>" when the benchmark takes arguments
// ("engine_add/cxm/customers:10000").
class counter_reporter final : public benchmark::ConsoleReporter {
 public:
  counter_reporter() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) collect(run);
  }

  /// nullopt when the benchmark did not run (filtered out, failed, or not built).
  [[nodiscard]] std::optional<double> get(const std::string& name, const std::string& counter) const {
    const std::string key = name + "#" + counter;
    if (const auto m = medians_.find(key); m != medians_.end()) return m->second;
    if (const auto r = runs_.find(key); r != runs_.end() && !r->second.empty()) return median(r->second);
    return std::nullopt;
  }

  [[nodiscard]] std::optional<double> items_per_second(const std::string& name) const {
    return get(name, "items_per_second");
  }

  [[nodiscard]] bool repeated() const noexcept { return !medians_.empty(); }
  /// Runs that ended with an error (State::SkipWithError).
  [[nodiscard]] int errors() const noexcept { return errors_; }

 private:
  void collect(const Run& run) {
    if (failed(run)) {
      ++errors_;
      return;
    }
    std::string name = run.run_name.function_name;
    if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
    for (const auto& [counter, value] : run.counters) {
      const std::string key = name + "#" + counter;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[key] = value.value;
      } else {
        runs_[key].push_back(value.value);
      }
    }
  }

  std::map<std::string, double> medians_;
  std::map<std::string, std::vector<double>> runs_;
  int errors_ = 0;
};

// --- formatting ----------------------------------------------------------------------------------

/// value / scale printed with the printf spec (one double), or "-" when there is no value.
inline std::string format(std::optional<double> value, double scale, const char* spec) {
  if (!value) return "-";
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), spec, *value / scale);
  return buf.data();
}

/// nullopt unless both are measured and the denominator is positive.
inline std::optional<double> ratio(std::optional<double> numerator, std::optional<double> denominator) {
  if (!numerator || !denominator || !(*denominator > 0)) return std::nullopt;
  return *numerator / *denominator;
}

/// Millions of items per second with one decimal, or "-".
inline std::string format_rate(std::optional<double> items_per_second) {
  return format(items_per_second, 1e6, "%.1f");
}

/// numerator / denominator with two decimals, or "-".
inline std::string format_ratio(std::optional<double> numerator, std::optional<double> denominator) {
  return format(ratio(numerator, denominator), 1, "%.2f");
}

/// What the figures of the table are, for its title.
inline const char* runs_description(const counter_reporter& reporter) {
  return reporter.repeated() ? "medians of the repetitions" : "single runs; use --benchmark_repetitions=5";
}

/// The result column of a target.
inline const char* verdict(bool measured, bool met) {
  return !measured ? "not measured" : met ? "met" : "MISSED";
}

// --- the targets ---------------------------------------------------------------------------------

/// One performance target of a family: a measured figure held against a bound.
struct target {
  /// What is measured, the first column ("engine_add/cxm / hand at 1M").
  std::string what;
  /// nullopt when it could not be measured (a benchmark filtered out or failed): counted as missed.
  std::optional<double> measured;
  double bound = 0;
  /// Met when measured >= bound; otherwise met when measured <= bound.
  bool at_least = true;
  /// The cells of the table's extra columns (target_table::columns), formatted by the family.
  std::vector<std::string> cells = {};
  /// Set for a figure shown among the targets without being one: its bound prints as "-", its result
  /// as this note, and it is never counted as missed.
  std::string not_a_target = {};
};

/// An extra column of a target table, between the first one and "measured".
struct target_column {
  std::string heading;
  int width;
};

/// The layout of a target table. The defaults print the first column left-aligned, the others
/// right-aligned but the result:
///   target (52 wide)  [extra columns]  measured (10, "%.2f")  bound (8, ">= %g" or "<= %g")  result
struct target_table {
  std::string first_heading = "target";
  int first_width = 52;
  std::vector<target_column> columns = {};
  std::string measured_heading = "measured";
  /// printf specs (one double) of the measured figure and of the bound after ">= " or "<= ".
  const char* measured_spec = "%.2f";
  const char* bound_spec = "%g";
};

/// Prints the header line of `table`, then a line per target with its verdict ("met", "MISSED" or
/// "not measured"); returns the number of targets missed or not measured, which the family's report
/// returns to run() (the exit status under --cxm_enforce_targets).
inline int print_targets(const std::vector<target>& targets, const target_table& table = {}) {
  const auto line = [&](const std::string& first, const std::vector<std::string>& cells, const std::string& measured,
                        const std::string& bound, const char* result) {
    std::printf("%-*s", table.first_width, first.c_str());
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      std::printf(" %*s", table.columns[i].width, i < cells.size() ? cells[i].c_str() : "");
    }
    std::printf(" %10s %8s  %s\n", measured.c_str(), bound.c_str(), result);
  };
  std::vector<std::string> headings;
  for (const auto& column : table.columns) headings.push_back(column.heading);
  line(table.first_heading, headings, table.measured_heading, "bound", "result");

  int missed = 0;
  for (const auto& t : targets) {
    const std::string measured = format(t.measured, 1, table.measured_spec);
    if (!t.not_a_target.empty()) {
      line(t.what, t.cells, measured, "-", t.not_a_target.c_str());
      continue;
    }
    const bool met = t.measured && (t.at_least ? *t.measured >= t.bound : *t.measured <= t.bound);
    if (!met) ++missed;
    const std::string bound = (t.at_least ? ">= " : "<= ") + format(t.bound, 1, table.bound_spec);
    line(t.what, t.cells, measured, bound, verdict(t.measured.has_value(), met));
  }
  return missed;
}

// --- main() --------------------------------------------------------------------------------------

inline constexpr std::string_view enforce_flag = "--cxm_enforce_targets";

/// What a family's flag callback made of a --cxm_* argument.
enum class flag_result {
  not_mine,  // not one of the family's flags: reported as unknown
  taken,     // parsed and applied
  invalid,   // the family's flag with a bad value: the callback printed why to stderr
};

struct family {
  /// Registers the benchmarks, after the flags are parsed (the family's flags may size the input).
  std::function<void()> register_benchmarks;
  /// Prints the ratio table after the runs; returns the number of targets missed or not measured.
  std::function<int(const counter_reporter&)> report;
  /// The family's own --cxm_* flags, if any: called with each such argument and the program name.
  std::function<flag_result(std::string_view arg, const char* program)> parse_flag = {};
  /// How the family's flags are spelt in the "unknown flag" message, e.g. "--cxm_events=N".
  std::vector<std::string_view> known_flags = {};
  /// Prints the help lines of the family's flags, after Google Benchmark's and --cxm_enforce_targets'.
  void (*print_flag_help)() = nullptr;
};

namespace detail {

inline void (*family_flag_help)() = nullptr;

inline void print_help() {
  benchmark::PrintDefaultHelp();
  std::printf("  [%s]  exit with status 1 when a performance target is missed\n", enforce_flag.data());
  if (family_flag_help != nullptr) family_flag_help();
}

}  // namespace detail

/// The whole main() of a family: parses the flags, runs the benchmarks, prints the family's report
/// and returns the exit status.
inline int run(int argc, char** argv, const family& f) {
  // Strip our own flags before Google Benchmark sees them.
  bool enforce_targets = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == enforce_flag) {
      enforce_targets = true;
    } else if (arg.starts_with("--cxm_")) {
      const flag_result result = f.parse_flag ? f.parse_flag(arg, argv[0]) : flag_result::not_mine;
      if (result == flag_result::invalid) return 2;
      if (result == flag_result::not_mine) {
        std::string known(enforce_flag);
        for (const auto flag : f.known_flags) (known += ", ") += flag;
        std::fprintf(stderr, "%s: unknown flag %s (known: %s)\n", argv[0], argv[i], known.c_str());
        return 2;
      }
    } else {
      argv[kept++] = argv[i];
    }
  }
  argv[kept] = nullptr;
  argc = kept;

  detail::family_flag_help = f.print_flag_help;
  benchmark::Initialize(&argc, argv, detail::print_help);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  f.register_benchmarks();

  counter_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const int missed = f.report(reporter);
  if (reporter.errors() != 0) {
    std::printf("%d benchmark run(s) failed\n", reporter.errors());
    return 1;
  }
  if (missed == 0) {
    std::printf("all targets met\n");
    return 0;
  }
  std::printf("%d target(s) missed or not measured%s\n", missed,
              enforce_targets ? "" : " (not enforced: pass --cxm_enforce_targets to fail)");
  return enforce_targets ? 1 : 0;
}

}  // namespace cxm::bench
