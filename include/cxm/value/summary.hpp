#pragma once
/// \file
/// The buy-till-you-die summary from the event stream: a per-customer metric of the engine
/// (purchase_summary, protocol: events/metric.hpp) and a report-time metric (btyd_summary) that turns
/// the table into the models' inputs (histories.hpp). See docs/metrics/lifetime-value.md.
///
/// Per customer, from purchase events (amounts from the kind registry), with purchases in the same
/// period (a calendar day or ISO week, UTC) merged into one and their amounts summed:
///   first and last purchase period, the number of distinct purchase periods, the first period's
///   amount and the total amount; once for the calibration span (purchases before calibration_end)
///   and once for the holdout span (at or after it; empty without calibration_end).
/// As of an evaluation time e (the report's as_of, or the last instant before calibration_end when
/// that is earlier), in the model's time unit u (weeks by default: the CDNOW convention):
///   x   = distinct calibration purchase periods − 1   (repeat purchases),
///   t_x = (last − first) periods · period / u,         T = (period(e) − first) · period / u,
///   m̄   = (total − first period's amount) / x         (the mean of the repeat periods' sums; 0 if x = 0).
/// With period = day, u = week and calibration_end = 1997-10-01 this is exactly the reduction of the
/// CDNOW sample in Fader, Hardie & Lee (2005) (data/REFERENCE.md): tests/value/summary.cpp.
///
/// Distinct periods under out-of-order events: each span keeps a 64-period bitmap below its latest
/// period, so a late purchase within 63 periods of the customer's latest one (in its span) is told
/// apart exactly from one in a period already counted; so is one before the first period (it becomes
/// the first; the former first period's amount becomes a repeat amount). A late purchase further back
/// and after the first period cannot be told apart: it is counted as a new period and the span is
/// flagged `ambiguous` (the report counts such customers). Within the engine's lateness bound of 63
/// periods (63 days for daily periods) the summary is exact.
///
/// Merges: exact when each customer lives in one part (parallel_ingest partitions by customer). When
/// the same customer is met on both sides (exact_only_when_partitioned: the engine's report counts it
/// in customers_merged_from_both_sides), periods are unioned exactly when both sides' spans are
/// disjoint or each within 64 periods; otherwise the known overlap is removed, the rest is assumed
/// disjoint, and the span is flagged `ambiguous`. Amounts add either way (a purchase is never lost
/// nor counted twice in the amounts; only the period count can be uncertain, and then it is flagged).
///
/// Cost per purchase: one period computation, a few integer operations. Memory: 80 bytes per customer
/// (two spans of 40). Times: events are kept to the engine's 32-bit seconds; periods are u32 indices.

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/value/histories.hpp"

/// Customer lifetime value: the purchase summary, the models and their fits (docs/metrics/lifetime-value.md).
namespace cxm::value {

/// One span's purchase periods of one customer (calibration or holdout). 40 bytes, value-initialised
/// = no purchase.
struct purchase_span {
  std::uint32_t first = 0;    ///< period index of the first purchase period
  std::uint32_t last = 0;     ///< period index of the latest purchase period
  std::uint32_t periods = 0;  ///< distinct purchase periods (0: no purchase)
  std::uint32_t flags = 0;    ///< flag_ambiguous
  std::uint64_t recent = 0;   ///< bit i: period last − i had a purchase
  double first_amount = 0.0;  ///< the first period's amount (sum of its purchases)
  double amount = 0.0;        ///< every period's amount
  /// Compares every field.
  friend constexpr bool operator==(const purchase_span&, const purchase_span&) = default;

  /// Flags: a period count could not be told apart (the top of this header).
  static constexpr std::uint32_t flag_ambiguous = 1;
  static constexpr std::uint32_t window = 64;  ///< periods kept in `recent`

  [[nodiscard]] constexpr bool empty() const noexcept { return periods == 0; }  ///< no purchase
  /// Flag_ambiguous is set.
  [[nodiscard]] constexpr bool ambiguous() const noexcept { return (flags & flag_ambiguous) != 0; }
  /// Every purchase period is in the bitmap (the span covers at most 64 periods).
  [[nodiscard]] constexpr bool fully_known() const noexcept { return last - first < window; }

  /// Folds in a purchase of `value` in period `p` (see the top of this header).
  constexpr void add(std::uint32_t p, double value) noexcept {
    if (periods == 0) {
      *this = purchase_span{p, p, 1, flags, 1, value, value};
      return;
    }
    amount += value;
    if (p > last) {
      const std::uint32_t d = p - last;
      recent = d >= window ? 1u : (recent << d) | 1u;
      last = p;
      ++periods;
    } else if (p == first) {
      first_amount += value;
    } else if (p < first) {
      ++periods;
      first = p;
      first_amount = value;
      if (last - p < window) recent |= std::uint64_t{1} << (last - p);
    } else if (last - p < window) {
      const std::uint64_t bit = std::uint64_t{1} << (last - p);
      if ((recent & bit) == 0) {
        recent |= bit;
        ++periods;
      }
    } else {
      ++periods;  // older than the bitmap and after the first period: assumed new, flagged
      flags |= flag_ambiguous;
    }
  }

  /// Folds in the same customer's span from another part (commutative; see the top of this header).
  void merge(const purchase_span& o) {
    if (o.empty()) return;
    if (empty()) {
      *this = o;
      return;
    }
    const std::vector<std::uint32_t> mine = known_periods(), theirs = o.known_periods();
    std::vector<std::uint32_t> both;
    std::set_union(mine.begin(), mine.end(), theirs.begin(), theirs.end(), std::back_inserter(both));
    const auto overlap = static_cast<std::uint32_t>(mine.size() + theirs.size() - both.size());
    const bool disjoint_ranges = last < o.first || o.last < first;
    std::uint32_t f = flags | o.flags;
    std::uint32_t n = periods + o.periods - overlap;
    if (!disjoint_ranges && !(fully_known() && o.fully_known())) f |= flag_ambiguous;
    const double fa = first == o.first ? first_amount + o.first_amount : (first < o.first ? first_amount : o.first_amount);
    purchase_span m{std::min(first, o.first), std::max(last, o.last), n, f, 0, fa, amount + o.amount};
    for (const std::uint32_t q : both)
      if (m.last - q < window) m.recent |= std::uint64_t{1} << (m.last - q);
    *this = m;
  }

  /// The periods known for certain: the first and those in the bitmap, ascending.
  [[nodiscard]] std::vector<std::uint32_t> known_periods() const {
    std::vector<std::uint32_t> v;
    if (empty()) return v;
    if (!fully_known()) v.push_back(first);
    for (std::uint32_t i = std::min(window - 1, last - first) + 1; i-- > 0;)
      if ((recent >> i) & 1u) v.push_back(last - i);
    return v;
  }

  /// Writes every field, in declaration order.
  void save(io::writer& w) const {
    w.u32(first);
    w.u32(last);
    w.u32(periods);
    w.u32(flags);
    w.u64(recent);
    w.f64(first_amount);
    w.f64(amount);
  }
  /// Validates every field: periods ≤ last − first + 1 and ≥ the bits known; the latest period's bit
  /// set; no bit below the first period; exact count when fully known and not ambiguous; amounts
  /// finite, ≥ 0, first amount ≤ total; an empty span all zero.
  static purchase_span load(io::reader& r, std::string_view what) {
    const std::string w(what);
    purchase_span s;
    s.first = r.u32(w + ": first period");
    s.last = r.u32(w + ": last period");
    s.periods = r.u32(w + ": periods");
    s.flags = r.u32(w + ": flags");
    s.recent = r.u64(w + ": recent periods");
    s.first_amount = r.non_negative_f64(w + ": first amount");
    s.amount = r.non_negative_f64(w + ": amount");
    if (s.empty()) {
      if (s != purchase_span{}) io::reader::fail(w + ": fields set without any purchase");
      return s;
    }
    if ((s.flags & ~flag_ambiguous) != 0) io::reader::fail(w + ": flags " + std::to_string(s.flags) + " has unknown bits");
    if (s.first > s.last) io::reader::fail(w + ": first period after the last");
    if ((s.recent & 1u) == 0) io::reader::fail(w + ": the latest period is not marked");
    const std::uint32_t span = s.last - s.first;
    if (span < window - 1 && (s.recent >> (span + 1)) != 0) io::reader::fail(w + ": a period before the first is marked");
    if (s.fully_known() && ((s.recent >> span) & 1u) == 0) io::reader::fail(w + ": the first period is not marked");
    const auto known = static_cast<std::uint32_t>(std::popcount(s.recent)) + (s.fully_known() ? 0u : 1u);
    if (s.periods < known || static_cast<std::uint64_t>(s.periods) > std::uint64_t{span} + 1)
      io::reader::fail(w + ": " + std::to_string(s.periods) + " periods do not fit the first, last and marked periods");
    if (s.fully_known() && !s.ambiguous() && s.periods != known)
      io::reader::fail(w + ": " + std::to_string(s.periods) + " periods, " + std::to_string(known) + " marked");
    if (s.periods == 1 && s.first_amount != s.amount) io::reader::fail(w + ": one period but two amounts");
    if (s.first_amount > s.amount * (1.0 + 1e-12)) io::reader::fail(w + ": the first amount exceeds the total");
    return s;
  }
};

/// One customer's summary as of an evaluation time (purchase_summary::result_at).
struct purchase_summary_result {
  /// The customer has a calibration purchase at or before the evaluation period (else `history` is
  /// all zero and the customer is not part of a fit).
  bool active = false;
  /// x, t_x, T in the time unit, weight 1.
  purchase_history history{};
  double mean_repeat_amount = 0.0;  ///< m̄: (total − first period's amount) / x; 0 when x = 0
  double first_amount = 0.0;        ///< the first period's amount
  double total_amount = 0.0;        ///< every calibration period's amount
  std::uint32_t holdout_periods = 0;  ///< distinct holdout purchase periods (all of them repeats)
  double holdout_amount = 0.0;  ///< the holdout periods' amount
  /// The evaluation time: as_of, or the last instant before calibration_end when that is earlier.
  timestamp evaluated_at{};
  /// The customer has purchases in periods after the evaluation period: x and t_x count them (T is
  /// then measured to the latest purchase period), so the figures are not those as of the
  /// evaluation time. Never presented as such: flagged, and excluded from btyd_summary.
  bool includes_later_events = false;
  /// A period count could not be told apart (see the top of this header).
  bool ambiguous = false;
  /// Compares every field.
  friend bool operator==(const purchase_summary_result&, const purchase_summary_result&) = default;
};

/// The buy-till-you-die summary of each customer (id "purchase_summary", version 1). See the top of
/// this header.
///
/// Parameters (saved, compared at merge and load):
///   - `period`: the calendar unit purchases are merged in: period_unit::day (default) or iso_week;
///   - `time_unit`: the model's time unit, in seconds (> 0; default one week): t_x and T are
///     expressed in it;
///   - `calibration_end`: milliseconds since 1970 (UTC); purchases at or after it are the holdout.
///     Empty (default): no holdout, everything is calibration. Set it with calibration_until().
/// Input: purchase amounts. Result: purchase_summary_result. Per purchase: one period computation and
/// a few integer operations; 80 bytes per customer. Merge: exact when each customer lives in one part
/// (exact_only_when_partitioned; the top of this header).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Source: the (x, t_x, T) summary of Fader, Hardie & Lee (2005).
struct purchase_summary {
  /// The per-customer state: the calibration and holdout spans, 80 bytes.
  struct state {
    purchase_span calibration;  ///< purchases before calibration_end
    purchase_span holdout;  ///< purchases at or after calibration_end
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
  };
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "purchase_summary";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::purchase};
  /// Distinct periods are exact under merge only when a customer lives in one part.
  static constexpr bool exact_only_when_partitioned = true;

  period_unit period = period_unit::day;  ///< day or iso_week
  std::chrono::seconds time_unit = std::chrono::weeks{1};  ///< the model's time unit (> 0)
  std::optional<std::chrono::milliseconds> calibration_end{};  ///< start of the holdout; empty: none

  purchase_summary() = default;
  /// Throws std::invalid_argument naming the parameter (period not day / iso_week, time_unit ≤ 0).
  explicit purchase_summary(period_unit period_, std::chrono::seconds time_unit_ = std::chrono::weeks{1})
      : period(period_), time_unit(time_unit_) {
    validate();
  }
  /// Purchases at or after `end` form the holdout; returns *this for chaining. Throws
  /// std::invalid_argument when `end` is outside the engine's time range (1970 .. 2106).
  purchase_summary& calibration_until(timestamp end) {
    if (!representable(end))
      throw std::invalid_argument("metric 'purchase_summary': parameter 'calibration_end' is outside 1970..2106");
    calibration_end = end.time_since_epoch();
    return *this;
  }

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("period", self.period);
    visit("time_unit", self.time_unit);
    visit("calibration_end", self.calibration_end);
  }
  /// Throws std::invalid_argument naming the parameter that is invalid.
  void validate() const {
    if (period != period_unit::day && period != period_unit::iso_week)
      throw std::invalid_argument("metric 'purchase_summary': parameter 'period' must be day or iso_week, got " +
                                  std::string(to_string(period)));
    if (time_unit.count() <= 0)
      throw std::invalid_argument("metric 'purchase_summary': parameter 'time_unit' must be > 0 s, got " +
                                  std::to_string(time_unit.count()));
    if (calibration_end && !representable(timestamp{*calibration_end}))
      throw std::invalid_argument("metric 'purchase_summary': parameter 'calibration_end' is outside 1970..2106");
  }
  /// validate(), then: purchases must carry an amount in the kind registry.
  void configure(const kind_registry& kinds) const {
    validate();
    if (kinds[event_kind::purchase].value != value_kind::amount)
      throw std::invalid_argument("metric 'purchase_summary': purchases carry " +
                                  std::string(to_string(kinds[event_kind::purchase].value)) +
                                  " in the kind registry, not an amount");
  }

  /// The period index of a time (u32: every representable time's day or ISO week since 1970 fits).
  [[nodiscard]] std::uint32_t period_index(timestamp t) const noexcept {
    return static_cast<std::uint32_t>(period_of(t, period).index);
  }
  /// The length of one period in the time unit (1/7 for days in weeks).
  [[nodiscard]] double period_length() const noexcept {
    const double seconds = period == period_unit::day ? 86'400.0 : 604'800.0;
    return seconds / static_cast<double>(time_unit.count());
  }
  /// Whether a purchase at `t` belongs to the holdout.
  [[nodiscard]] bool in_holdout(timestamp t) const noexcept { return calibration_end && t.time_since_epoch() >= *calibration_end; }

  /// Folds in one validated event.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    (in_holdout(o.time) ? s.holdout : s.calibration).add(period_index(o.time), o.value);
  }
  /// A purchase of `amount` at `t`, without the engine (the same update as on()). Throws
  /// std::invalid_argument naming `amount` (finite, ≥ 0) or `t` (outside 1970..2106).
  void add(state& s, timestamp t, double amount) const {
    if (!std::isfinite(amount) || amount < 0.0)
      throw std::invalid_argument("metric 'purchase_summary': amount must be finite and >= 0");
    if (!representable(t)) throw std::invalid_argument("metric 'purchase_summary': t is outside 1970..2106");
    (in_holdout(t) ? s.holdout : s.calibration).add(period_index(t), amount);
  }
  /// Folds b into a.
  void merge(state& a, const state& b) const {
    a.calibration.merge(b.calibration);
    a.holdout.merge(b.holdout);
  }

  /// The evaluation time for `as_of`: as_of, or the last instant before calibration_end if earlier.
  [[nodiscard]] timestamp evaluation_time(timestamp as_of) const noexcept {
    if (calibration_end && as_of.time_since_epoch() >= *calibration_end)
      return timestamp{*calibration_end - std::chrono::milliseconds{1}};
    return as_of;
  }

  /// The customer's summary as of `as_of` (see purchase_summary_result).
  [[nodiscard]] purchase_summary_result result_at(const state& s, timestamp as_of) const noexcept {
    purchase_summary_result r;
    r.evaluated_at = evaluation_time(as_of);
    r.holdout_periods = s.holdout.periods;
    r.holdout_amount = s.holdout.amount;
    r.ambiguous = s.calibration.ambiguous() || s.holdout.ambiguous();
    if (!s.holdout.empty() && s.holdout.last > period_index(as_of)) r.includes_later_events = true;
    const purchase_span& c = s.calibration;
    if (c.empty() || r.evaluated_at < earliest_time) return r;
    const std::uint32_t e = period_index(r.evaluated_at);
    if (c.first > e) return r;
    r.active = true;
    if (c.last > e) r.includes_later_events = true;
    const double len = period_length();
    r.history.x = static_cast<double>(c.periods - 1);
    r.history.t_x = static_cast<double>(c.last - c.first) * len;
    r.history.T = static_cast<double>(std::max(e, c.last) - c.first) * len;
    r.first_amount = c.first_amount;
    r.total_amount = c.amount;
    r.mean_repeat_amount = c.periods > 1 ? std::max(0.0, c.amount - c.first_amount) / r.history.x : 0.0;
    return r;
  }
  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] purchase_summary_result result(const state& s, const Context& ctx) const noexcept {
    return result_at(s, ctx.as_of());
  }

  /// Equal up to `rel` relative in the amounts (engine::same_figures): amounts summed in another order
  /// differ by rounding; periods, flags and bitmaps must be equal.
  [[nodiscard]] bool close(const state& a, const state& b, double rel) const noexcept {
    const auto near = [rel](double x, double y) { return std::abs(x - y) <= rel * std::max({std::abs(x), std::abs(y), 1e-300}); };
    const auto same = [&](const purchase_span& x, const purchase_span& y) {
      return x.first == y.first && x.last == y.last && x.periods == y.periods && x.flags == y.flags &&
             x.recent == y.recent && near(x.first_amount, y.first_amount) && near(x.amount, y.amount);
    };
    return same(a.calibration, b.calibration) && same(a.holdout, b.holdout);
  }

  /// 80 bytes: the calibration span, then the holdout span (purchase_span::save each).
  void save(const state& s, io::writer& w) const {
    s.calibration.save(w);
    s.holdout.save(w);
  }
  /// Validates both spans (purchase_span::load) and, with a calibration end, that no calibration
  /// period starts at or after it and no holdout period ends before it.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.calibration = purchase_span::load(r, "purchase_summary: calibration");
    s.holdout = purchase_span::load(r, "purchase_summary: holdout");
    if (!calibration_end) {
      if (!s.holdout.empty()) io::reader::fail("purchase_summary: holdout purchases without a calibration end");
    } else {
      const std::uint32_t boundary = period_index(timestamp{*calibration_end});
      if (!s.calibration.empty() && s.calibration.last > boundary)
        io::reader::fail("purchase_summary: a calibration purchase period after the calibration end");
      if (!s.holdout.empty() && s.holdout.first < boundary)
        io::reader::fail("purchase_summary: a holdout purchase period before the calibration end");
    }
    return s;
  }
};

/// The table's summary for the models (btyd_summary's result).
struct btyd_summary_result {
  /// One per summarized customer, in table order: x, t_x, T (time unit), weight 1.
  std::vector<purchase_history> histories;
  /// Same order: m̄ (0 when x = 0).
  std::vector<double> mean_repeat_amounts;
  /// Same order: distinct holdout purchase periods.
  std::vector<double> holdout_purchases;
  /// compress(histories): identical (x, t_x, T) merged, weights summed.
  std::vector<purchase_history> patterns;
  /// The Gamma-Gamma input: customers with x ≥ 1 and m̄ > 0.
  std::vector<spend_history> spend;
  std::uint64_t customers = 0;             ///< summarized (active as of the evaluation time)
  std::uint64_t repeaters = 0;             ///< with x ≥ 1
  std::uint64_t repeat_purchases = 0;      ///< Σ x
  std::uint64_t holdout_repeat_purchases = 0;  ///< Σ holdout periods of the summarized customers
  std::uint64_t zero_spend_repeaters = 0;  ///< x ≥ 1 but m̄ = 0: left out of `spend`
  std::uint64_t not_yet_active = 0;        ///< first calibration purchase after the evaluation time
  std::uint64_t holdout_only = 0;          ///< holdout purchases but no calibration purchase
  std::uint64_t later_events = 0;          ///< includes_later_events: excluded
  std::uint64_t ambiguous = 0;             ///< summarized, with a period count flagged ambiguous
  timestamp evaluated_at{};  ///< the evaluation time
  /// Compares every field.
  friend bool operator==(const btyd_summary_result&, const btyd_summary_result&) = default;
};

/// A report-time metric (id "btyd_summary"): every customer's purchase_summary as of the report's
/// as_of, gathered into the models' inputs. Customers with purchases after the evaluation time are
/// excluded and counted (their record cannot say what x was then); customers without a calibration
/// purchase are counted. Cost: one pass over the table plus a sort (compress). Memory during the
/// report: about 56 bytes per summarized customer.
/// Result: btyd_summary_result. Nothing per event; merge: no state of its own.
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct btyd_summary {
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "btyd_summary";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The per-customer metrics it reads.
  using depends_on = metric_list<purchase_summary>;

  /// The period, time unit and calibration end are those of the engine's purchase_summary instance.
  template <class ReportContext>
  [[nodiscard]] btyd_summary_result result(const ReportContext& rc) const {
    const purchase_summary& summary = rc.template customer_metric<purchase_summary>();
    btyd_summary_result out;
    out.evaluated_at = summary.evaluation_time(rc.as_of());
    rc.for_each_customer([&](const auto& customer) {
      const auto& s = customer.template get<purchase_summary>();
      const purchase_summary_result c = summary.result_at(s, rc.as_of());
      if (!c.active) {
        if (s.calibration.empty()) {
          if (!s.holdout.empty()) ++out.holdout_only;
        } else {
          ++out.not_yet_active;
        }
        return;
      }
      if (c.includes_later_events) {
        ++out.later_events;
        return;
      }
      ++out.customers;
      if (c.ambiguous) ++out.ambiguous;
      out.histories.push_back(c.history);
      out.mean_repeat_amounts.push_back(c.mean_repeat_amount);
      out.holdout_purchases.push_back(c.holdout_periods);
      out.holdout_repeat_purchases += c.holdout_periods;
      if (c.history.x >= 1.0) {
        ++out.repeaters;
        out.repeat_purchases += static_cast<std::uint64_t>(c.history.x);
        if (c.mean_repeat_amount > 0.0)
          out.spend.push_back({c.history.x, c.mean_repeat_amount, 1.0});
        else
          ++out.zero_spend_repeaters;
      }
    });
    out.patterns = compress(out.histories);
    return out;
  }
};

}  // namespace cxm::value
