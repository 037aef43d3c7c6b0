#pragma once
// The default global metrics: NPS, CSAT and CES over every answer, any of them per calendar period,
// and the active customers (a report-time metric over the customer table). Written against the
// protocols of events/metric.hpp like any metric of a host's own.

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
struct nps_answers {
  using state = nps;
  static constexpr std::string_view id = "nps";
  static constexpr std::uint16_t version = 1;
  static constexpr kind_set listens{event_kind::nps_answer};
  void configure(const kind_registry& kinds) const {
    if (!(detail::survey_scale(kinds, event_kind::nps_answer, id) == nps::scale)) {
      throw std::invalid_argument("metric 'nps': nps_answer must be on the scale 0..10, the registry has " +
                                  kinds[event_kind::nps_answer].scale.to_string());
    }
  }
  [[nodiscard]] state make() const { return {}; }
  template <class Context>
  void on(state& s, const observation& o, const Context&) const {
    s.add(static_cast<int>(o.value));
  }
  template <class Context>
  [[nodiscard]] nps_result result(const state& s, const Context&) const {
    return s.result();
  }
};

/// CSAT over every csat_answer event, on the registry's csat scale, with the satisfied set as parameter.
struct csat_answers {
  using state = csat;
  static constexpr std::string_view id = "csat";
  static constexpr std::uint16_t version = 1;
  static constexpr kind_set listens{event_kind::csat_answer};

  std::vector<int> satisfied{4, 5};  ///< the top-two box of the default 1..5 scale
  score_scale scale{1, 5};           ///< from the kind registry (configure)

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("satisfied", self.satisfied);
    visit("scale", self.scale);
  }
  void configure(const kind_registry& kinds) {
    scale = detail::survey_scale(kinds, event_kind::csat_answer, id);
    (void)make();  // throws std::invalid_argument, naming the fault, when the satisfied set does not fit
  }
  [[nodiscard]] state make() const { return csat(scale, csat::satisfied_set(satisfied.begin(), satisfied.end())); }
  template <class Context>
  void on(state& s, const observation& o, const Context&) const {
    s.add(static_cast<int>(o.value));
  }
  template <class Context>
  [[nodiscard]] csat_result result(const state& s, const Context&) const {
    return s.result();
  }
};

/// CES over every ces_answer event, on the registry's ces scale, with the "easy" threshold as parameter.
struct ces_answers {
  using state = ces;
  static constexpr std::string_view id = "ces";
  static constexpr std::uint16_t version = 1;
  static constexpr kind_set listens{event_kind::ces_answer};

  int threshold = 5;        ///< answers >= threshold count as easy
  score_scale scale{1, 7};  ///< from the kind registry (configure)

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("threshold", self.threshold);
    visit("scale", self.scale);
  }
  void configure(const kind_registry& kinds) {
    scale = detail::survey_scale(kinds, event_kind::ces_answer, id);
    (void)make();
  }
  [[nodiscard]] state make() const { return ces(scale, threshold); }
  template <class Context>
  void on(state& s, const observation& o, const Context&) const {
    s.add(static_cast<int>(o.value));
  }
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
template <class Metric, period_unit Unit>
struct per_period {
  using state = tumbling<typename Metric::state>;
  static constexpr auto id_chars = detail::per_period_id<Metric::id, Unit>();
  static constexpr std::string_view id = id_chars.view();
  static constexpr std::uint16_t version = Metric::version;
  using depends_on = typename detail::dependencies_of<Metric>::type;

  Metric metric{};

  [[nodiscard]] constexpr kind_set listens() const noexcept { return listens_of(metric); }
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    if constexpr (has_parameters<Metric>) Metric::parameters(self.metric, visit);
  }
  void configure(const kind_registry& kinds) {
    if constexpr (requires { metric.configure(kinds); }) metric.configure(kinds);
  }
  [[nodiscard]] state make() const { return state(Unit, metric.make()); }
  template <class Context>
  void on(state& s, const observation& o, const Context& ctx) const {
    metric.on(s.bucket_at(o.time), o, ctx);
  }
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

struct active_customers_result {
  std::uint64_t active;              ///< customers whose last activity lies in (as_of − window, as_of]
  std::chrono::milliseconds window;  ///< the metric's window
};

/// A report-time metric: the customers active within `window` up to the report's as_of, counted over
/// the customer table when the report is made. A customer whose last activity is after as_of is not
/// counted (their activity up to as_of is not known to the record).
struct active_customers {
  static constexpr std::string_view id = "active_customers";
  static constexpr std::uint16_t version = 1;
  using depends_on = metric_list<activity>;
  /// The longest window accepted (about 200 years: any as_of minus it stays a valid time).
  static constexpr std::chrono::milliseconds max_window = std::chrono::days{73'000};

  std::chrono::milliseconds window = std::chrono::days{30};

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("window", self.window);
  }
  void configure(const kind_registry&) const {
    if (window.count() < 0 || window > max_window) {
      throw std::invalid_argument("metric 'active_customers': window must be between 0 and 73000 days");
    }
  }
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
