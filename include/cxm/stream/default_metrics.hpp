#pragma once
/// \file
/// The metrics an engine is composed of when none are named: `cxm::engine<>` is
/// engine<std::uint64_t, default_global_metrics, default_customer_metrics>. Nothing else distinguishes
/// them from a host's own metrics (docs/guide/custom-metrics.md).

#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace cxm {

/// NPS, CSAT and CES over every answer, and the customers active in the last 30 days.
using default_global_metrics = metric_list<nps_answers, csat_answers, ces_answers, active_customers>;
/// 96 bytes of state per customer: spend (16) + activity (52) + satisfaction (28).
using default_customer_metrics = metric_list<spend, activity, satisfaction>;

}  // namespace cxm
