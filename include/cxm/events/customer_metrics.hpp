#pragma once
/// \file
/// The default per-customer metrics of the customer record: activity, spend and satisfaction, written
/// against the per-customer protocol of events/metric.hpp like any metric of a host's own.
/// State sizes are part of the documented record layout (docs/architecture.md, "customer record"):
/// activity 52 bytes, spend 16, satisfaction 28; the default record (spend, activity, satisfaction) is
/// 96 bytes. Narrow counters saturate at their maximum and set a flag (reported by the engine as
/// saturated customers, and in each result); they never wrap.
///
/// They sit in the events layer, below the metric families, so that any family's metric can declare
/// `depends_on = metric_list<cxm::activity>` (docs/architecture.md, "Layers").
/// Results (e.customer(id)->result<cxm::activity>(as_of), ...) give the figures in the host's terms:
/// times as timestamps, scores on the survey's own scale, "no answer" as an empty optional.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/core/score_scale.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

namespace detail {
template <class T>
constexpr bool saturating_add(T& target, std::uint64_t amount) noexcept {
  constexpr auto max = std::numeric_limits<T>::max();
  if (amount > static_cast<std::uint64_t>(max - target)) {
    target = max;
    return true;
  }
  target = static_cast<T>(target + amount);
  return false;
}
}  // namespace detail

/// What activity reports for one customer as of a time.
struct activity_result {
  std::optional<timestamp> first_seen;  ///< empty: no event at or before as_of
  std::optional<timestamp> last_seen;   ///< the latest event time (to the second), possibly after as_of
  std::array<std::uint64_t, builtin_kind_count> events_by_kind;  ///< built-in kinds
  std::uint64_t host_events;            ///< every host-defined kind together
  std::uint64_t events;                 ///< all of them
  bool saturated;                       ///< a counter reached its maximum: counts are lower bounds
  bool includes_later_events;           ///< the customer has events after as_of, counted here too
};

/// First and last activity, and how many events of each kind.
/// Input: every accepted event. Result: activity_result. Parameters: none. Per event O(1), no
/// allocation; 52 bytes per customer. Merge: earliest first, latest last, counts added (saturating):
/// exact and commutative. Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct activity {
  /// The per-customer state: 52 bytes.
  struct state {
    std::uint32_t first_seen = std::numeric_limits<std::uint32_t>::max();  ///< s since 1970; max = never
    std::uint32_t last_seen = 0;                                           ///< s since 1970
    /// purchase, refund, visit, interaction, loyalty, referral, support_contact (kinds 0..6)
    std::array<std::uint32_t, 7> frequent{};
    std::uint32_t host_events = 0;  ///< all host-defined kinds together
    /// signup, cancel, csat_answer, ces_answer, nps_answer (kinds 7..11); 16 bits, saturating
    std::array<std::uint16_t, 5> rare{};
    std::uint8_t saturated = 0;  ///< 1 once any counter has saturated
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;

    /// Whether the customer has an event.
    [[nodiscard]] constexpr bool seen() const noexcept { return first_seen <= last_seen; }
    /// Events of built-in kind `k` (0 for a host kind: they are counted together).
    [[nodiscard]] constexpr std::uint64_t count(event_kind k) const noexcept {
      const auto i = static_cast<std::size_t>(k);
      if (i < 7) return frequent[i];
      if (i < builtin_kind_count) return rare[i - 7];
      return 0;
    }
  };
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "activity";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens = kind_set::all();

  /// Folds in one validated event.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    s.first_seen = std::min(s.first_seen, o.seconds);
    s.last_seen = std::max(s.last_seen, o.seconds);
    bump(s, static_cast<std::size_t>(o.kind), 1);
  }

  /// Folds b into a.
  void merge(state& a, const state& b) const noexcept {
    a.first_seen = std::min(a.first_seen, b.first_seen);
    a.last_seen = std::max(a.last_seen, b.last_seen);
    bool saturated = b.saturated != 0;
    for (std::size_t i = 0; i < 7; ++i) saturated |= detail::saturating_add(a.frequent[i], b.frequent[i]);
    for (std::size_t i = 0; i < 5; ++i) saturated |= detail::saturating_add(a.rare[i], b.rare[i]);
    saturated |= detail::saturating_add(a.host_events, b.host_events);
    if (saturated) a.saturated = 1;
  }

  /// Whether a narrow counter reached its maximum.
  [[nodiscard]] bool saturated(const state& s) const noexcept { return s.saturated != 0; }

  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] activity_result result(const state& s, const Context& ctx) const {
    activity_result r{};
    r.saturated = s.saturated != 0;
    if (!s.seen() || from_seconds32(s.first_seen) > ctx.as_of()) return r;
    r.first_seen = from_seconds32(s.first_seen);
    r.last_seen = from_seconds32(s.last_seen);
    for (std::size_t k = 0; k < builtin_kind_count; ++k) {
      r.events_by_kind[k] = s.count(static_cast<event_kind>(k));
      r.events += r.events_by_kind[k];
    }
    r.host_events = s.host_events;
    r.events += s.host_events;
    // Times are kept to the second: an event later in as_of's own second is not "later".
    r.includes_later_events = *r.last_seen > std::chrono::floor<std::chrono::seconds>(ctx.as_of());
    return r;
  }

  /// Writes a state, field by field.
  void save(const state& s, io::writer& w) const {
    w.u32(s.first_seen);
    w.u32(s.last_seen);
    for (const auto c : s.frequent) w.u32(c);
    w.u32(s.host_events);
    for (const auto c : s.rare) w.u16(c);
    w.u8(s.saturated);
  }
  /// Reads a state written by save; throws cxm::format_error naming the failed check.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.first_seen = r.u32("activity: first_seen");
    s.last_seen = r.u32("activity: last_seen");
    for (auto& c : s.frequent) c = r.u32("activity: count");
    s.host_events = r.u32("activity: host events");
    for (auto& c : s.rare) c = r.u16("activity: count");
    s.saturated = r.u8("activity: saturated");
    if (s.saturated > 1) io::reader::fail("activity: saturated flag is " + std::to_string(s.saturated));
    const bool any = std::any_of(s.frequent.begin(), s.frequent.end(), [](auto c) { return c != 0; }) ||
                     std::any_of(s.rare.begin(), s.rare.end(), [](auto c) { return c != 0; }) || s.host_events != 0;
    if (any != s.seen()) io::reader::fail("activity: first/last seen do not match the event counts");
    if (!any && (s.first_seen != std::numeric_limits<std::uint32_t>::max() || s.last_seen != 0)) {
      io::reader::fail("activity: times without any event");
    }
    return s;
  }

 private:
  static void bump(state& s, std::size_t kind, std::uint64_t n) noexcept {
    bool saturated = false;
    if (kind < 7) {
      saturated = detail::saturating_add(s.frequent[kind], n);
    } else if (kind < builtin_kind_count) {
      saturated = detail::saturating_add(s.rare[kind - 7], n);
    } else {
      saturated = detail::saturating_add(s.host_events, n);
    }
    if (saturated) s.saturated = 1;
  }
};

/// What spend reports for one customer.
struct spend_result {
  double purchase_amount;  ///< Σ purchase amounts
  double refund_amount;    ///< Σ refund amounts
  double net;              ///< purchases − refunds
};

/// Purchase and refund amounts (their counts are in activity). Plain double sums: their rounding
/// error is at most n·ε relative (docs/guide/merging.md, "comparing merged states").
/// Input: purchase and refund amounts. Result: spend_result. Parameters: none. Per event O(1);
/// 16 bytes per customer. Merge: the sums are added.
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct spend {
  /// The per-customer state: 16 bytes.
  struct state {
    double purchase_amount = 0.0;  ///< Σ purchase amounts
    double refund_amount = 0.0;  ///< Σ refund amounts
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
  };
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "spend";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::purchase, event_kind::refund};

  /// Folds in one validated event.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    (o.kind == event_kind::purchase ? s.purchase_amount : s.refund_amount) += o.value;
  }
  /// Folds b into a.
  void merge(state& a, const state& b) const noexcept {
    a.purchase_amount += b.purchase_amount;
    a.refund_amount += b.refund_amount;
  }
  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] spend_result result(const state& s, const Context&) const noexcept {
    return {s.purchase_amount, s.refund_amount, s.purchase_amount - s.refund_amount};
  }
  /// Equal to `rel` relative (engine::same_figures): sums added in another grouping differ by rounding.
  [[nodiscard]] bool close(const state& a, const state& b, double rel) const noexcept {
    auto near = [rel](double x, double y) { return std::abs(x - y) <= rel * std::max({std::abs(x), std::abs(y), 1e-300}); };
    return near(a.purchase_amount, b.purchase_amount) && near(a.refund_amount, b.refund_amount);
  }
  /// Writes a state, field by field.
  void save(const state& s, io::writer& w) const {
    w.f64(s.purchase_amount);
    w.f64(s.refund_amount);
  }
  /// Reads a state written by save; throws cxm::format_error naming the failed check.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.purchase_amount = r.non_negative_f64("spend: purchase amount");
    s.refund_amount = r.non_negative_f64("spend: refund amount");
    return s;
  }
  /// The kinds spend reads must carry amounts.
  void configure(const kind_registry& kinds) const {
    for (const auto k : {event_kind::purchase, event_kind::refund}) {
      if (kinds[k].value != value_kind::amount) {
        throw std::invalid_argument("metric 'spend': " + to_string(k) + " must carry an amount in the kind registry");
      }
    }
  }
};

/// One customer's answers to one survey, on the survey's own scale.
struct survey_answers {
  std::uint64_t answers;            ///< how many (0: never answered)
  std::optional<int> latest;        ///< the latest answer; ties in one second resolve to the higher score
  std::optional<timestamp> latest_time;  ///< when the latest answer was given (to the second)
  std::optional<double> mean;       ///< empty without answers, or when a counter saturated
};
/// What satisfaction reports for one customer, per survey.
struct satisfaction_result {
  /** \var csat
      The customer's CSAT answers. */
  /** \var ces
      The customer's CES answers. */
  survey_answers csat, ces, nps;  ///< the customer's NPS answers
  bool includes_later_events;       ///< an answer after as_of is included (latest, mean)
};

/// Latest and running satisfaction per survey (csat, ces, nps answers). "Latest" is the answer with
/// the latest time (to the second); answers in the same second resolve to the higher score, so the
/// result does not depend on arrival order. The answer counts come from activity (declared dependency).
/// Input: csat_answer, ces_answer and nps_answer scores. Result: satisfaction_result (mean = scale low
/// + Σ offsets / answers). Parameters: the three scales, from the kind registry. Per event O(1);
/// 28 bytes per customer. Merge: sums added (saturating), the later answer kept: commutative.
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
struct satisfaction {
  static constexpr std::uint8_t no_answer = 0xFF;  ///< `latest` of a survey never answered
  /// The per-customer state: 28 bytes.
  struct state {
    std::array<std::uint32_t, 3> score_sums{};  ///< Σ (score − scale low) per survey, saturating
    std::array<std::uint32_t, 3> latest_time{};  ///< s since 1970 of the latest answer
    std::array<std::uint8_t, 3> latest{no_answer, no_answer, no_answer};  ///< score − scale low
    std::uint8_t saturated = 0;  ///< 1 once a score sum has saturated
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
  };
  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "satisfaction";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// The event kinds it receives.
  static constexpr kind_set listens{event_kind::csat_answer, event_kind::ces_answer, event_kind::nps_answer};
  /// The per-customer metrics it reads.
  using depends_on = metric_list<activity>;
  /// The answer kinds, in survey index order.
  static constexpr std::array<event_kind, 3> surveys{event_kind::csat_answer, event_kind::ces_answer,
                                                     event_kind::nps_answer};

  /// The survey scales (csat, ces, nps), taken from the kind registry by configure().
  std::array<score_scale, 3> scales{score_scale{1, 5}, score_scale{1, 7}, score_scale{0, 10}};

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("csat_scale", self.scales[0]);
    visit("ces_scale", self.scales[1]);
    visit("nps_scale", self.scales[2]);
  }
  /// Takes the three survey scales from the kind registry; throws std::invalid_argument when a kind carries no score.
  void configure(const kind_registry& kinds) {
    for (std::size_t i = 0; i < 3; ++i) {
      if (kinds[surveys[i]].value != value_kind::score) {
        throw std::invalid_argument("metric 'satisfaction': " + to_string(surveys[i]) +
                                    " must carry a score in the kind registry");
      }
      scales[i] = kinds[surveys[i]].scale;
    }
  }

  /// Survey index of an answer kind: csat 0, ces 1, nps 2.
  static constexpr std::size_t survey(event_kind k) noexcept {
    return static_cast<std::size_t>(k) - static_cast<std::size_t>(event_kind::csat_answer);
  }

  /// Uses `o.score_index` (the score minus the scale's low end; the registry keeps scales under 255 points).
  /// The sums cannot saturate before 2^32 / 254 ≈ 16.9 million answers of one customer to one survey;
  /// if they do, they stay at the maximum and set `saturated`.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    const auto i = survey(o.kind);
    const auto score = static_cast<std::uint8_t>(o.score_index);
    if (detail::saturating_add(s.score_sums[i], score)) s.saturated = 1;
    take_latest(s, i, o.seconds, score);
  }
  /// Folds b into a.
  void merge(state& a, const state& b) const noexcept {
    for (std::size_t i = 0; i < 3; ++i) {
      if (detail::saturating_add(a.score_sums[i], b.score_sums[i])) a.saturated = 1;
      if (b.latest[i] != no_answer) take_latest(a, i, b.latest_time[i], b.latest[i]);
    }
  }
  /// Whether a narrow counter reached its maximum.
  [[nodiscard]] bool saturated(const state& s) const noexcept { return s.saturated != 0; }

  /// The customer's figures as of the context's as_of().
  template <class Context>
  [[nodiscard]] satisfaction_result result(const state& s, const Context& ctx) const {
    const auto& a = ctx.template get<activity>();
    satisfaction_result r{};
    std::array<survey_answers*, 3> out{&r.csat, &r.ces, &r.nps};
    const auto as_of_second = std::chrono::floor<std::chrono::seconds>(ctx.as_of());
    for (std::size_t i = 0; i < 3; ++i) {
      if (s.latest[i] == no_answer) continue;
      const std::uint64_t n = a.count(surveys[i]);
      out[i]->answers = n;
      out[i]->latest = scales[i].low + s.latest[i];
      out[i]->latest_time = from_seconds32(s.latest_time[i]);
      if (n > 0 && s.saturated == 0 && a.saturated == 0) {
        out[i]->mean = scales[i].low + static_cast<double>(s.score_sums[i]) / static_cast<double>(n);
      }
      if (*out[i]->latest_time > as_of_second) r.includes_later_events = true;
    }
    return r;
  }

  /// Writes a state, field by field.
  void save(const state& s, io::writer& w) const {
    for (std::size_t i = 0; i < 3; ++i) {
      w.u32(s.score_sums[i]);
      w.u32(s.latest_time[i]);
      w.u8(s.latest[i]);
    }
    w.u8(s.saturated);
  }
  /// Reads a state written by save; throws cxm::format_error naming the failed check.
  state load(io::reader& r, std::uint16_t) const {
    state s;
    for (std::size_t i = 0; i < 3; ++i) {
      s.score_sums[i] = r.u32("satisfaction: score sum");
      s.latest_time[i] = r.u32("satisfaction: latest time");
      s.latest[i] = r.u8("satisfaction: latest score");
      if (s.latest[i] == no_answer && (s.latest_time[i] != 0 || s.score_sums[i] != 0)) {
        io::reader::fail("satisfaction: a score sum or time without any answer");
      }
      if (s.latest[i] != no_answer && s.latest[i] >= scales[i].points()) {
        io::reader::fail("satisfaction: latest score offset " + std::to_string(s.latest[i]) + " is outside the scale " +
                         scales[i].to_string());
      }
    }
    s.saturated = r.u8("satisfaction: saturated");
    if (s.saturated > 1) io::reader::fail("satisfaction: saturated flag is " + std::to_string(s.saturated));
    return s;
  }

 private:
  static void take_latest(state& s, std::size_t i, std::uint32_t time, std::uint8_t score) noexcept {
    if (s.latest[i] == no_answer || time > s.latest_time[i] || (time == s.latest_time[i] && score > s.latest[i])) {
      s.latest[i] = score;
      s.latest_time[i] = time;
    }
  }
};

}  // namespace cxm
