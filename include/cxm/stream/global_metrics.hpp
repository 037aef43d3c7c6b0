#pragma once
/// \file
/// The default global metrics: NPS, CSAT and CES over every answer, any of them per calendar period,
/// and the active customers (a report-time metric over the customer table). Written against the
/// protocols of events/metric.hpp like any metric of a host's own.

#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/events/window.hpp"
#include "cxm/events/customer_metrics.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

namespace detail {
inline score_scale survey_scale(const kind_registry& kinds, event_kind k, std::string_view metric) {
  if (kinds[k].value != value_kind::score) {
    throw std::invalid_argument("metric '" + std::string(metric) + "': " + to_string(k) +
                                " must carry a score in the kind registry");
  }
  return kinds[k].scale;
}
}  // namespace detail

/// NPS over every nps_answer event (the scale is fixed at 0..10).
/// Input: nps_answer scores. Result: nps_result. Parameters: none. State: a cxm::nps (per answer O(1);
/// its page has the formula, memory and merge). Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct nps_answers {
  using state = nps;  ///< an nps accumulator
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "nps";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::nps_answer};
  /// Throws std::invalid_argument unless nps_answer carries a score on 0..10.
  void configure(const kind_registry& kinds) const {
    if (!(detail::survey_scale(kinds, event_kind::nps_answer, id) == nps::scale)) {
      throw std::invalid_argument("metric 'nps': nps_answer must be on the scale 0..10, the registry has " +
                                  kinds[event_kind::nps_answer].scale.to_string());
    }
  }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return {}; }
  /// Folds in one validated event (its score checked on the registry's scale, which is the state's).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    s.add_validated(o.score_index);
  }
  /// Its figures in the report.
  template <class Context>
  [[nodiscard]] nps_result result(const state& s, const Context&) const {
    return s.result();
  }
};

/// CSAT over every csat_answer event, on the registry's csat scale, with the satisfied set as parameter.
/// Input: csat_answer scores. Result: csat_result. Parameters: `satisfied` (default {4, 5}) and the
/// registry's scale. State: a cxm::csat (per answer O(1); its page has the formula, memory and merge).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct csat_answers {
  using state = csat;  ///< a csat accumulator
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "csat";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::csat_answer};

  std::vector<int> satisfied{4, 5};  ///< the top-two box of the default 1..5 scale
  score_scale scale{1, 5};           ///< from the kind registry (configure)

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("satisfied", self.satisfied);
    visit("scale", self.scale);
  }
  /// Takes the scale from the registry; throws std::invalid_argument when the satisfied set does not fit it.
  void configure(const kind_registry& kinds) {
    scale = detail::survey_scale(kinds, event_kind::csat_answer, id);
    (void)make();  // throws std::invalid_argument, naming the fault, when the satisfied set does not fit
  }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return csat(scale, csat::satisfied_set(satisfied.begin(), satisfied.end())); }
  /// Folds in one validated event (its score checked on the registry's scale, which is the state's).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    s.add_validated(o.score_index);
  }
  /// Its figures in the report.
  template <class Context>
  [[nodiscard]] csat_result result(const state& s, const Context&) const {
    return s.result();
  }
};

/// CES over every ces_answer event, on the registry's ces scale, with the "easy" threshold as parameter.
/// Input: ces_answer scores. Result: ces_result. Parameters: `threshold` (default 5) and the registry's
/// scale. State: a cxm::ces (per answer O(1); its page has the formula, memory and merge).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct ces_answers {
  using state = ces;  ///< a ces accumulator
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "ces";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::ces_answer};

  int threshold = 5;        ///< answers >= threshold count as easy
  score_scale scale{1, 7};  ///< from the kind registry (configure)

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("threshold", self.threshold);
    visit("scale", self.scale);
  }
  /// Takes the scale from the registry; throws std::invalid_argument when the threshold does not fit it.
  void configure(const kind_registry& kinds) {
    scale = detail::survey_scale(kinds, event_kind::ces_answer, id);
    (void)make();
  }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return ces(scale, threshold); }
  /// Folds in one validated event (its score checked on the registry's scale, which is the state's).
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    s.add_validated(o.score_index);
  }
  /// Its figures in the report.
  template <class Context>
  [[nodiscard]] ces_result result(const state& s, const Context&) const {
    return s.result();
  }
};

namespace detail {
template <std::size_t N>
struct fixed_id {
  std::array<char, N> chars{};
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), N}; }
};
/// "<id>/<unit number>": the id of a per-period metric (as in saved engines since 0.1).
template <std::string_view const& Id, period_unit Unit>
constexpr auto per_period_id() {
  fixed_id<Id.size() + 2> out;
  for (std::size_t i = 0; i < Id.size(); ++i) out.chars[i] = Id[i];
  out.chars[Id.size()] = '/';
  out.chars[Id.size() + 1] = static_cast<char>('0' + static_cast<int>(Unit));
  return out;
}
}  // namespace detail

/// Any global metric, one state per calendar period (tumbling window); sliding windows come from
/// state.sliding(n, as_of). The report lists the periods up to and including as_of's (a period after
/// as_of's is left out; as_of's own period holds its events up to the latest seen, which may be later
/// than as_of: the report's includes_later_events says so).
/// Input: Metric's events. Result: each period's Metric result and the too-late count. Parameters:
/// Metric's; the unit is the type's. State: a cxm::tumbling of Metric states (per event a search
/// among the periods with data; memory one Metric state per period with data; merged period by
/// period). Thread safety: the engine's (docs/architecture.md, "Thread safety").
template <class Metric, period_unit Unit>
struct per_period {
  using state = tumbling<typename Metric::state>;  ///< one Metric state per period
  static constexpr auto id_chars = detail::per_period_id<Metric::id, Unit>();  ///< the characters of id
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = id_chars.view();
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = Metric::version;
  /// The per-customer metrics it reads.
  using depends_on = typename detail::dependencies_of<Metric>::type;

  Metric metric{};  ///< the wrapped metric, with its parameters

  /// The event kinds it receives.
  [[nodiscard]] constexpr kind_set listens() const noexcept { return listens_of(metric); }
  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    if constexpr (has_parameters<Metric>) Metric::parameters(self.metric, visit);
  }
  /// Configures the wrapped metric.
  void configure(const kind_registry& kinds) {
    if constexpr (requires { metric.configure(kinds); }) metric.configure(kinds);
  }
  /// An empty state with the metric's parameters.
  [[nodiscard]] state make() const { return state(Unit, metric.make()); }
  /// Folds in one validated event.
  template <class Context>
  void on(state& s, const observation& o, const Context& ctx) const {
    metric.on(s.bucket_at(o.time), o, ctx);
  }
  /// Its figures in the report.
  template <class Context>
  [[nodiscard]] typename state::result_type result(const state& s, const Context&) const;
};

template <class Metric, period_unit Unit>
template <class Context>
typename per_period<Metric, Unit>::state::result_type per_period<Metric, Unit>::result(const state& s,
                                                                                       const Context& ctx) const {
  auto r = s.result();
  const period last = period_of(ctx.as_of(), Unit);
  std::erase_if(r.periods, [&](const auto& p) { return p.when > last; });
  return r;
}

/// What active_customers reports.
struct active_customers_result {
  std::uint64_t active;              ///< customers whose last activity lies in (as_of − window, as_of]
  std::chrono::milliseconds window;  ///< the metric's window
};

/// A report-time metric: the customers active within `window` up to the report's as_of, counted over
/// the customer table when the report is made. A customer whose last activity is after as_of is not
/// counted (their activity up to as_of is not known to the record).
/// Input: cxm::activity's last activity (a dependency); nothing per event. Result:
/// active_customers_result. Parameter: `window` (default 30 days). Cost: one pass over the table at
/// report time. Merge: no state of its own. Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct active_customers {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "active_customers";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity>;
  /// The longest window accepted (about 200 years: any as_of minus it stays a valid time).
  static constexpr std::chrono::milliseconds max_window = std::chrono::days{73'000};

  std::chrono::milliseconds window = std::chrono::days{30};  ///< how far back activity counts (0 .. max_window)

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("window", self.window);
  }
  /// Throws std::invalid_argument when the window is negative or beyond max_window.
  void configure(const kind_registry&) const {
    if (window.count() < 0 || window > max_window) {
      throw std::invalid_argument("metric 'active_customers': window must be between 0 and 73000 days");
    }
  }
  /// Its figures in the report, computed from the customer table as of rc.as_of().
  template <class ReportContext>
  [[nodiscard]] active_customers_result result(const ReportContext& rc) const {
    active_customers_result r{0, window};
    const auto as_of = rc.as_of();
    const auto from = as_of - window;
    rc.for_each_customer([&](const auto& customer) {
      const auto& a = customer.template get<activity>();
      const auto last = from_seconds32(a.last_seen);
      if (a.seen() && last > from && last <= as_of) ++r.active;
    });
    return r;
  }
};

}  // namespace cxm
