#pragma once
// Global (all-customer) metrics the engine can be composed of. Each names:
//   state                an accumulator (add / merge / result / save / load);
//   listens              the kinds it reads;
//   make(config)         an empty state with the engine's parameters;
//   on(state, obs)       folds in one validated observation;
//   result(state, as_of) its figures in the engine's report;
//   id()                 a stable name, part of the engine's composition signature in saved states.

#include <string>

#include "cxm/stream/engine_config.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/events/window.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"

namespace cxm {

/// NPS over every nps_answer event.
struct nps_answers {
  using state = nps;
  static constexpr kind_set listens{event_kind::nps_answer};
  static std::string id() { return "nps"; }
  static state make(const engine_config&) { return {}; }
  static void on(state& s, const observation& o) { s.add(static_cast<int>(o.value)); }
  static nps_result result(const state& s, timestamp) { return s.result(); }
};

/// CSAT over every csat_answer event, on the engine's CSAT scale and satisfied set.
struct csat_answers {
  using state = csat;
  static constexpr kind_set listens{event_kind::csat_answer};
  static std::string id() { return "csat"; }
  static state make(const engine_config& c) {
    return csat(c.csat_scale, csat::satisfied_set(c.csat_satisfied.begin(), c.csat_satisfied.end()));
  }
  static void on(state& s, const observation& o) { s.add(static_cast<int>(o.value)); }
  static csat_result result(const state& s, timestamp) { return s.result(); }
};

/// CES over every ces_answer event, on the engine's CES scale and threshold.
struct ces_answers {
  using state = ces;
  static constexpr kind_set listens{event_kind::ces_answer};
  static std::string id() { return "ces"; }
  static state make(const engine_config& c) { return ces(c.ces_scale, c.ces_threshold); }
  static void on(state& s, const observation& o) { s.add(static_cast<int>(o.value)); }
  static ces_result result(const state& s, timestamp) { return s.result(); }
};

/// Any global metric, one state per calendar period (tumbling window); sliding windows come from
/// state.sliding(n, as_of). The report lists the periods up to and including as_of's.
template <class Metric, period_unit Unit>
struct per_period {
  using state = tumbling<typename Metric::state>;
  static constexpr kind_set listens = Metric::listens;
  static std::string id() { return Metric::id() + "/" + std::to_string(static_cast<int>(Unit)); }
  static state make(const engine_config& c) { return state(Unit, Metric::make(c)); }
  static void on(state& s, const observation& o) { Metric::on(s.bucket_at(o.time), o); }
  static typename state::result_type result(const state& s, timestamp as_of) {
    auto r = s.result();
    const period last = period_of(as_of, Unit);
    std::erase_if(r.periods, [&](const auto& p) { return p.when > last; });
    return r;
  }
};

}  // namespace cxm
