#pragma once
/// \file
/// cxm: incremental, mergeable customer engagement and satisfaction metrics.
/// The umbrella header: the metrics and the stream engine, in about 2 s of compile time at -O0
/// (docs/benchmarks.md, "Compile cost"): nothing from Boost.Math.
/// Included one by one, as they need Boost.Math's special functions or quadrature: the intervals
/// (cxm/survey/normal_intervals.hpp: Wilson, Wald, adjusted Wald, margin of error;
/// cxm/survey/intervals.hpp adds Student's t) and the tests (cxm/survey/compare.hpp), survival
/// (cxm/churn/survival.hpp, cxm/churn/lifetimes.hpp), the statistics of cxm/analysis/
/// (statistics.hpp, segments.hpp, survival_by.hpp) and the CLV arithmetic (cxm/value/clv.hpp);
/// not the alternative map cxm/stream/flat_customer_map.hpp, nor the optional adapters (cxm/boost/...).

#include "cxm/core/accumulator.hpp"
#include "cxm/core/compensated_sum.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/huge_page_allocator.hpp"
#include "cxm/core/invalid_input.hpp"
#include "cxm/core/quantile.hpp"
#include "cxm/core/moments.hpp"
#include "cxm/core/score_histogram.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/state.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/customer_id.hpp"
#include "cxm/events/customer_metrics.hpp"
#include "cxm/stream/customer_table.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/engine_config.hpp"
#include "cxm/stream/event.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/stream/global_metrics.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/stream/parallel.hpp"
#include "cxm/events/time.hpp"
#include "cxm/events/window.hpp"
#include "cxm/survey/ces.hpp"
#include "cxm/survey/csat.hpp"
#include "cxm/survey/nps.hpp"
#include "cxm/engagement/active_periods.hpp"
#include "cxm/engagement/advocacy.hpp"
#include "cxm/engagement/decayed_score.hpp"
#include "cxm/engagement/lifecycle.hpp"
#include "cxm/engagement/rfm.hpp"
#include "cxm/engagement/stickiness.hpp"
#include "cxm/engagement/stickiness_series.hpp"
#include "cxm/churn/churn_rate.hpp"
#include "cxm/churn/retention.hpp"
#include "cxm/churn/revenue_retention.hpp"
#include "cxm/analysis/over_time.hpp"
// The lifetime-value summary and tracking (no extra dependency); the model fits
// (cxm/value/bg_nbd.hpp, pareto_nbd.hpp, ...) also need Eigen 3 and LBFGSpp (target cxm::value)
// and are included one by one.
#include "cxm/value/histories.hpp"
#include "cxm/value/summary.hpp"
#include "cxm/value/tracking.hpp"
#include "cxm/version.hpp"
