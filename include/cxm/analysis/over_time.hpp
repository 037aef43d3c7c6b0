#pragma once
/// \file
/// Figures over time (issue #14, "measure both regularly and track progress over time"): feeds a
/// time-ordered stream into an engine and takes the engine's report at the end of every calendar
/// period (day, ISO week, month, quarter, year) that the stream passes, so that every figure of the
/// report — the report-time analysis of segments, RFM, survival and lifetime value included — becomes
/// a per-period series, each entry exactly as of its period's end. See
/// docs/metrics/engagement-vs-satisfaction.md, "Over time".
///
/// A report "as of" an earlier time is only exact if no later event has been folded in (a decayed
/// score or a distinct count cannot take events back out): reports_over_time takes each report before
/// the first event of the next period is added, so each entry counts exactly the events up to its
/// period's end. An event that arrives after its period's report was taken (a late event, still
/// accepted by the engine within its lateness bound) is folded into the engine — so it counts in the
/// later reports — and counted in `late_after_report` of the period it belongs to, never silently.
///
/// Cost: one report per period passed (the report's own cost: one pass over the table for report-time
/// metrics), plus the events' ingest. Memory: one report per period in the result. Not thread-safe on
/// the engine (it is being fed).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "cxm/events/time.hpp"

namespace cxm::analysis {

/// One period's report.
template <class Report>
struct period_report {
  period of;               ///< the calendar period
  Report report;           ///< the engine's report as of the period's last millisecond
  std::uint64_t events = 0;  ///< events of the stream whose time lies in this period (accepted or not)
  /// Events of this period that arrived after its report was taken (folded in; they count from the
  /// next report on).
  std::uint64_t late_after_report = 0;
};

/// Feeds `events` (in arrival order; times should be non-decreasing up to lateness) into `engine`
/// through `add(engine, event)` and returns the report at the end of every period from the first
/// event's period to the last one's (periods without events included: their figures as of their end).
/// `time_of(event)` gives an event's timestamp. Events are added with the engine's own policy: an
/// `add` that throws leaves the series up to the previous period in the exception's wake (the
/// caller's engine holds the events added so far).
template <class Engine, class Range, class TimeOf, class Add>
[[nodiscard]] auto reports_over_time(Engine& engine, const Range& events, period_unit unit, TimeOf time_of, Add add)
    -> std::vector<period_report<decltype(engine.report(std::declval<timestamp>()))>> {
  using report_t = decltype(engine.report(std::declval<timestamp>()));
  std::vector<period_report<report_t>> out;
  std::optional<period> current;  // the first period not reported yet
  std::optional<period> latest;   // the latest period of any event
  std::vector<std::pair<period, std::uint64_t>> pending_counts;  // events per period not yet reported
  const auto close_until = [&](const period& next) {
    // Reports for every period from *current up to (excluding) next.
    while (*current < next) {
      std::uint64_t n = 0;
      for (const auto& [p, k] : pending_counts)
        if (p == *current) n += k;
      out.push_back({*current, engine.report(current->end() - std::chrono::milliseconds{1}), n, 0});
      current = current->next();
    }
    std::erase_if(pending_counts, [&](const auto& pc) { return pc.first < next; });
  };
  for (const auto& e : events) {
    const timestamp t = time_of(e);
    const period p = period_of(t, unit);
    if (!current || (out.empty() && p < *current)) current = p;  // no report taken yet: start earlier
    if (!latest || p > *latest) latest = p;
    if (p > *current) close_until(p);
    if (p < *current) {
      // A late event: its period's report was taken already (or it precedes the first period).
      for (auto& r : out)
        if (r.of == p) {
          ++r.events;
          ++r.late_after_report;
        }
    } else {
      bool found = false;
      for (auto& [q, k] : pending_counts)
        if (q == p) {
          ++k;
          found = true;
        }
      if (!found) pending_counts.emplace_back(p, 1);
    }
    add(engine, e);
  }
  if (current) close_until(latest->next());
  return out;
}

/// Feeds `events` like reports_over_time and calls `at_end(const Engine&, const period&)` at the end
/// of every period the stream passes (before the first event of a later period is added, and once
/// for the last period after the stream): for figures that are not part of the report, e.g. the
/// segments and the predictive comparison of analysis/segments.hpp computed from the customer views
/// as of the period's end (`period.end() − 1 ms`). Late events are folded in like any other (see
/// reports_over_time for counting them).
template <class Engine, class Range, class TimeOf, class Add, class AtEnd>
void for_each_period_end(Engine& engine, const Range& events, period_unit unit, TimeOf time_of, Add add, AtEnd at_end) {
  std::optional<period> current, latest;
  bool called = false;
  const auto close_until = [&](const period& next) {
    for (; *current < next; current = current->next()) {
      at_end(std::as_const(engine), *current);
      called = true;
    }
  };
  for (const auto& e : events) {
    const period p = period_of(time_of(e), unit);
    if (!current || (!called && p < *current)) current = p;
    if (!latest || p > *latest) latest = p;
    if (p > *current) close_until(p);
    add(engine, e);
  }
  if (current) close_until(latest->next());
}

/// The same, for an engine that takes the events directly (engine.add(event)) and events with a
/// `time` member (cxm::event<> and any host type with one).
template <class Engine, class Range>
[[nodiscard]] auto reports_over_time(Engine& engine, const Range& events, period_unit unit) {
  return reports_over_time(
      engine, events, unit, [](const auto& e) { return timestamp{e.time}; },
      [](Engine& en, const auto& e) { en.add(e); });
}

}  // namespace cxm::analysis
