#pragma once
// Three metrics written outside the library, against the protocols of include/cxm/events/metric.hpp,
// composed next to the defaults without editing any cxm header (the proof that the engine is open):
//   (a) largest_purchase  per-customer, with a parameter (purchases below `threshold` are ignored);
//   (b) new_per_month     global, reads the record (activity's first_seen) and the new-customer flag;
//   (c) share_above       report-time, computed over the whole table (customers with spend > `amount`).
// Tested in tests/stream/custom_metrics.cpp; benchmarked against the defaults alone in
// benchmarks/engine.cpp (engine_add/cxm_custom); docs/guide/custom-metrics.md walks through them.
// Nothing here includes doctest: the benchmark includes it too.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string_view>

#include "cxm/events/customer_metrics.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/stream/engine.hpp"
#include "cxm/stream/global_metrics.hpp"

namespace cxm::test {

using cxm::event_kind;

// (a) The largest purchase of each customer at or above a threshold.
struct largest_purchase {
  using state = double;  // a scalar state: 0 = none yet
  static constexpr std::string_view id = "largest_purchase";
  static constexpr std::uint16_t version = 1;
  static constexpr cxm::kind_set listens{event_kind::purchase};

  double threshold = 0.0;

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("threshold", self.threshold);
  }
  template <class Context>
  void on(state& s, const cxm::observation& o, const Context&) const {
    if (o.value >= threshold) s = std::max(s, o.value);
  }
  void merge(state& a, const state& b) const { a = std::max(a, b); }
  void save(const state& s, cxm::io::writer& w) const { w.f64(s); }
  state load(cxm::io::reader& r, std::uint16_t) const { return r.non_negative_f64("largest_purchase"); }
  template <class Context>
  double result(const state& s, const Context&) const {
    return s;
  }
};

// (b) Customers new in each month: counted when an event creates the customer's record, in the month
// of the customer's first activity (read from activity, a declared dependency, already updated).
// Exact when each customer lives in one part (parallel_ingest partitions by customer) and each
// customer's events arrive in time order.
struct new_per_month {
  struct state {
    std::map<std::int64_t, std::uint64_t> by_month;  // month index since 1970-01 -> new customers
    void merge(const state& o) {
      for (const auto& [m, n] : o.by_month) by_month[m] += n;
    }
    void save(cxm::io::writer& w) const {
      w.u64(by_month.size());
      for (const auto& [m, n] : by_month) {
        w.i64(m);
        w.u64(n);
      }
    }
    static state load(cxm::io::reader& r) {
      state s;
      const auto n = r.length("new_per_month: months", 16);
      for (std::size_t i = 0; i < n; ++i) {
        const auto m = r.i64("new_per_month: month");
        s.by_month[m] = r.u64("new_per_month: count");
      }
      return s;
    }
    friend bool operator==(const state&, const state&) = default;
  };
  static constexpr std::string_view id = "new_per_month";
  static constexpr std::uint16_t version = 1;
  static constexpr cxm::kind_set listens = cxm::kind_set::all();
  using depends_on = cxm::metric_list<cxm::activity>;

  state make() const { return {}; }
  template <class Context>
  void on(state& s, const cxm::observation&, const Context& ctx) const {
    if (!ctx.created()) return;
    const auto first = cxm::from_seconds32(ctx.template get<cxm::activity>().first_seen);
    ++s.by_month[cxm::period_of(first, cxm::period_unit::month).index];
  }
  template <class Context>
  std::map<std::int64_t, std::uint64_t> result(const state& s, const Context& rc) const {
    std::map<std::int64_t, std::uint64_t> out;
    const auto last = cxm::period_of(rc.as_of(), cxm::period_unit::month).index;
    for (const auto& [m, n] : s.by_month) {
      if (m <= last) out[m] = n;
    }
    return out;
  }
};

// (c) The share of customers whose purchases minus refunds exceed `amount`, over the whole table.
struct share_above {
  struct result_type {
    std::uint64_t above;
    std::uint64_t customers;
    double share;  // NaN without customers
    friend bool operator==(const result_type&, const result_type&) = default;
  };
  static constexpr std::string_view id = "share_above";
  static constexpr std::uint16_t version = 1;
  using depends_on = cxm::metric_list<cxm::spend>;

  double amount = 100.0;

  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("amount", self.amount);
  }
  template <class ReportContext>
  result_type result(const ReportContext& rc) const {
    result_type r{0, 0, std::numeric_limits<double>::quiet_NaN()};
    rc.for_each_customer([&](const auto& customer) {
      const auto& s = customer.template get<cxm::spend>();
      ++r.customers;
      if (s.purchase_amount - s.refund_amount > amount) ++r.above;
    });
    if (r.customers > 0) r.share = static_cast<double>(r.above) / static_cast<double>(r.customers);
    return r;
  }
};

/// The defaults and the three custom metrics in one engine.
using custom_engine =
    cxm::engine<std::uint64_t,
                cxm::metric_list<cxm::nps_answers, cxm::csat_answers, cxm::ces_answers, cxm::active_customers,
                                 new_per_month, share_above>,
                cxm::metric_list<cxm::spend, cxm::activity, cxm::satisfaction, largest_purchase>>;

/// The custom engine with its metrics' parameters.
inline custom_engine make_custom_engine(double threshold = 50.0, double amount = 100.0) {
  return custom_engine({},
                       cxm::metric_list{cxm::nps_answers{}, cxm::csat_answers{}, cxm::ces_answers{},
                                        cxm::active_customers{}, new_per_month{}, share_above{amount}},
                       cxm::metric_list{cxm::spend{}, cxm::activity{}, cxm::satisfaction{}, largest_purchase{threshold}});
}

}  // namespace cxm::test
