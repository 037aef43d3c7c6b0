#pragma once
/// \file
/// The decayed engagement score: a per-customer metric of the engine (protocol: events/metric.hpp).
///
/// Every event of kind k adds a weight w(k) (or w(k) · value for a kind whose weight is scaled by the
/// event's value) to a score that halves every `half_life`:
///
///     S(t) = Σ_i c_i · 2^(−(t − t_i) / h) = Σ_i c_i · exp(−λ (t − t_i)),   λ = ln 2 / h,
///
/// i.e. S ← S · exp(−λ Δt) + w(k) between and at events: an exponentially decayed event count
/// (exponential time decay in streams: Cormode, Shkapenyuk, Srivastava & Xu 2009, "Forward Decay: A
/// Practical Time Decay Model for Streaming Systems", ICDE). Forward decay keeps the sum relative to a
/// fixed landmark L and computes exp(+λ(tᵢ − L)), which overflows over long spans; here the landmark
/// is each customer's latest event, so that only factors ≤ 1 occur. See docs/metrics/engagement.md.
///
/// State (16 bytes per customer, trivially copyable): the score as of a reference time t_ref, the
/// latest event second of the customer (among the kinds with a non-zero weight), and flags.
///   - an event at t ≤ t_ref adds c · 2^(−(t_ref − t)/h)  (out-of-order arrival: the same sum);
///   - an event at t > t_ref first decays the score to t, then adds c, and t becomes t_ref;
///   - merge decays both sides to the later t_ref and adds (commutative exactly, associative up to
///     rounding: any split merged in any order equals one pass to ~1e−15 relative, far below 1e−12).
/// Only factors 2^(−Δt/h) ≤ 1 are ever computed (never 2^(+t/h), which overflows): a score stays
/// finite over any span (2^−x underflows to 0, never to NaN). Times are kept to the second, as
/// everywhere in the customer record (observation::seconds; docs/architecture.md, "customer record").
///
/// Weights are finite and ≥ 0; a value-scaled kind must carry a non-negative value in the kind
/// registry (an amount, or a score on a scale starting at ≥ 0): the score is therefore never negative.
/// A contribution or sum beyond the largest double (amounts near 1e308) is clamped to it and flagged
/// `overflowed`, never infinite.
///
/// Cost per update: one branch on the kind's weight, one exp2 and a division, no
/// allocation. Memory: 16 bytes per customer. Mergeable: yes, exactly in the sense above, whether or
/// not a customer lives in one part (no exact_only_when_partitioned).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/iso8601.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/kind_registry.hpp"
#include "cxm/events/metric.hpp"
#include "cxm/events/observation.hpp"
#include "cxm/events/time.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// The factor 2^(−elapsed / half_life) = exp(−λ · elapsed), λ = ln 2 / half_life, by which a decayed
/// score shrinks over `elapsed`. In (0, 1], or 0 once it underflows (elapsed ≳ 1075 half-lives);
/// exactly 0.5 for one half-life, 0.25 for two. Throws std::invalid_argument naming `half_life`
/// (must be > 0) or `elapsed` (must be ≥ 0: a score is never grown backwards). Cost: one exp2.
inline double decay_factor(std::chrono::milliseconds elapsed, std::chrono::seconds half_life) {
  if (half_life.count() <= 0) {
    throw std::invalid_argument("decay_factor: half_life must be > 0, got " + std::to_string(half_life.count()) + " s");
  }
  if (elapsed.count() < 0) {
    throw std::invalid_argument("decay_factor: elapsed must be >= 0, got " + std::to_string(elapsed.count()) + " ms");
  }
  return std::exp2(-static_cast<double>(elapsed.count()) / (static_cast<double>(half_life.count()) * 1000.0));
}

/// `score`, known as of `from`, decayed to `to` (≥ from): score · 2^(−(to − from) / half_life).
/// Throws std::invalid_argument naming `half_life` (> 0), `score` (finite) or `to` (before `from`).
/// The difference to − from is taken without overflow for any two timestamps.
inline double decayed(double score, timestamp from, timestamp to, std::chrono::seconds half_life) {
  if (!std::isfinite(score)) throw std::invalid_argument("decayed: score must be finite, got " + detail::format_number(score));
  if (to < from) {
    throw std::invalid_argument("decayed: to (" + format_iso8601(to.time_since_epoch().count()) + ") is before from (" +
                                format_iso8601(from.time_since_epoch().count()) + ")");
  }
  if (half_life.count() <= 0) {
    throw std::invalid_argument("decayed: half_life must be > 0, got " + std::to_string(half_life.count()) + " s");
  }
  // to − from can exceed int64 (timestamp::min() to timestamp::max()): subtract in unsigned arithmetic.
  const auto diff = static_cast<std::uint64_t>(to.time_since_epoch().count()) -
                    static_cast<std::uint64_t>(from.time_since_epoch().count());
  return score * std::exp2(-static_cast<double>(diff) / (static_cast<double>(half_life.count()) * 1000.0));
}

/// What decayed_engagement reports for one customer as of a time.
struct decayed_engagement_result {
  /// The score as of `evaluated_at`: Σ contributions · 2^(−age / half_life); 0 without events.
  /// A lower bound when `overflowed`.
  double score;
  /// The time the score is evaluated at: as_of, or the latest event's second when that is later than
  /// as_of's second (then `includes_later_events`).
  timestamp evaluated_at;
  /// The latest event (to the second) of a kind with a non-zero weight; empty without such events.
  std::optional<timestamp> latest_event;
  /// The customer has weighted events after as_of's second: the score is then the score at
  /// `evaluated_at` (the latest event), and counts those later events. A decayed sum cannot take
  /// single events back out, so such a score is flagged, never presented as the score at as_of.
  bool includes_later_events;
  /// A contribution or the sum exceeded the largest double and was clamped to it: `score` is a lower bound.
  bool overflowed;
  /// Compares every field.
  friend constexpr bool operator==(const decayed_engagement_result&, const decayed_engagement_result&) = default;
};

/// The decayed engagement score of each customer (id "decayed_engagement", version 1). See the top
/// of this header for the formula, docs/metrics/engagement.md for the guide.
///
/// Parameters (saved with the engine, compared at merge and load, validated by the constructors and
/// by configure(), which the engine calls before use and after loading):
///   - `half_life` (seconds, > 0; default 30 days);
///   - `weights`: one per kind, built-in and host kinds (max_event_kinds), finite and ≥ 0
///     (default_weights(): purchase 3, refund 0, visit 1, interaction 1, loyalty 2, referral 4,
///     support_contact 0.5, signup 1, cancel 0, csat/ces/nps answers 0.5, host kinds 0);
///   - `value_scaled`: per kind, whether the contribution is weight · event value (e.g. a host kind
///     "points earned"); default false for every kind. The kind must carry an amount (or a score on a
///     scale starting at ≥ 0) in the engine's kind registry.
/// Kinds with weight 0 are ignored altogether (they do not move the latest event time either).
/// Input: events of the kinds with a non-zero weight. Result: decayed_engagement_result. Per event
/// O(1): one exp2 and a division, no allocation; 16 bytes per customer. Merge: decays both sides to
/// the later reference time and adds (commutative; associative to rounding).
/// Thread safety: the engine's (docs/architecture.md, "Thread safety").
/// Formula: exponential time decay (Cormode, Shkapenyuk, Srivastava & Xu 2009), the top of this header.
struct decayed_engagement {
  /// Per customer, 16 bytes. Value-initialised: no events (score 0, t_ref 0, flags 0).
  struct state {
    double score = 0.0;            ///< Σ c_i · 2^(−(t_ref − t_i)/h), ≥ 0, finite
    std::uint32_t t_ref = 0;       ///< s since 1970: the latest weighted event's second (0 without events)
    std::uint8_t flags = 0;        ///< has_events | overflowed
    /// Compares every field.
    friend constexpr bool operator==(const state&, const state&) = default;
    /// At least one weighted event.
    [[nodiscard]] constexpr bool has_events() const noexcept { return (flags & flag_events) != 0; }
    /// A sum was clamped to the largest double.
    [[nodiscard]] constexpr bool overflowed() const noexcept { return (flags & flag_overflowed) != 0; }
  };
  static constexpr std::uint8_t flag_events = 1;      ///< state::flags: at least one weighted event
  static constexpr std::uint8_t flag_overflowed = 2;  ///< state::flags: a sum was clamped to the largest double

  /// Stable name, part of the saved engine.
  static constexpr std::string_view id = "decayed_engagement";
  /// Format version of its saved state and parameters.
  static constexpr std::uint16_t version = 1;
  /// Every kind reaches on(); kinds of weight 0 return at once (one array read).
  static constexpr kind_set listens = kind_set::all();

  /// The default weights (see the struct's comment), indexed by kind.
  static constexpr std::array<double, max_event_kinds> default_weights() noexcept {
    std::array<double, max_event_kinds> w{};  // host kinds: 0
    w[static_cast<std::size_t>(event_kind::purchase)] = 3.0;
    w[static_cast<std::size_t>(event_kind::refund)] = 0.0;
    w[static_cast<std::size_t>(event_kind::visit)] = 1.0;
    w[static_cast<std::size_t>(event_kind::interaction)] = 1.0;
    w[static_cast<std::size_t>(event_kind::loyalty)] = 2.0;
    w[static_cast<std::size_t>(event_kind::referral)] = 4.0;
    w[static_cast<std::size_t>(event_kind::support_contact)] = 0.5;
    w[static_cast<std::size_t>(event_kind::signup)] = 1.0;
    w[static_cast<std::size_t>(event_kind::cancel)] = 0.0;
    w[static_cast<std::size_t>(event_kind::csat_answer)] = 0.5;
    w[static_cast<std::size_t>(event_kind::ces_answer)] = 0.5;
    w[static_cast<std::size_t>(event_kind::nps_answer)] = 0.5;
    return w;
  }
  static constexpr std::chrono::seconds default_half_life = std::chrono::days{30};  ///< 30 days

  std::chrono::seconds half_life = default_half_life;                  ///< > 0
  std::array<double, max_event_kinds> weights = default_weights();      ///< finite, ≥ 0, by kind
  std::array<bool, max_event_kinds> value_scaled{};                     ///< contribution = weight · value

  /// Half-life 30 days, the default weights, no value scaling.
  decayed_engagement() = default;
  /// Throws std::invalid_argument naming `half_life` (must be > 0).
  explicit decayed_engagement(std::chrono::seconds half_life_, std::array<double, max_event_kinds> weights_ = default_weights(),
                              std::array<bool, max_event_kinds> value_scaled_ = {})
      : half_life(half_life_), weights(weights_), value_scaled(value_scaled_) {
    validate();
  }

  /// Sets the weight of one kind (and whether it is scaled by the event's value); returns *this for
  /// chaining: `cxm::decayed_engagement{}.weight(cxm::host_kind(0), 0.01, true)`. Throws
  /// std::invalid_argument naming `weights` (not finite or < 0) or `kind` (not a kind).
  decayed_engagement& weight(event_kind kind, double w, bool scaled_by_value = false) {
    if (!is_known(kind)) throw std::invalid_argument("metric 'decayed_engagement': kind " + to_string(kind) + " is not a kind");
    check_weight(kind, w);
    weights[static_cast<std::size_t>(kind)] = w;
    value_scaled[static_cast<std::size_t>(kind)] = scaled_by_value;
    return *this;
  }

  /// Visits each parameter by name: saved with the engine, compared by merge.
  template <class Self, class V>
  static void parameters(Self& self, V& visit) {
    visit("half_life", self.half_life);
    visit("weights", self.weights);
    visit("value_scaled", self.value_scaled);
  }

  /// Throws std::invalid_argument naming the parameter: half_life ≤ 0, a weight not finite or < 0.
  void validate() const {
    if (half_life.count() <= 0) {
      throw std::invalid_argument("metric 'decayed_engagement': parameter 'half_life' must be > 0, got " +
                                  std::to_string(half_life.count()) + " s");
    }
    for (std::size_t k = 0; k < max_event_kinds; ++k) check_weight(static_cast<event_kind>(k), weights[k]);
  }

  /// validate(), then: every value-scaled kind of non-zero weight must carry a non-negative value in
  /// the registry (an amount, or a score on a scale with low ≥ 0). Throws std::invalid_argument
  /// naming `value_scaled` and the kind.
  void configure(const kind_registry& kinds) const {
    validate();
    for (std::size_t k = 0; k < max_event_kinds; ++k) {
      if (!value_scaled[k] || weights[k] == 0.0) continue;
      const auto kind = static_cast<event_kind>(k);
      const kind_info& info = kinds[kind];
      const bool non_negative =
          info.value == value_kind::amount || (info.value == value_kind::score && info.scale.low >= 0);
      if (!non_negative) {
        throw std::invalid_argument("metric 'decayed_engagement': parameter 'value_scaled': " + to_string(kind) +
                                    " carries " + to_string(info.value) +
                                    " in the kind registry; a value-scaled kind must carry an amount "
                                    "(or a score on a scale starting at 0 or above)");
      }
    }
  }

  /// The contribution of one event: weight, or weight · value for a value-scaled kind.
  [[nodiscard]] double contribution(event_kind kind, double value) const noexcept {
    const auto k = static_cast<std::size_t>(kind) % max_event_kinds;
    return value_scaled[k] ? weights[k] * value : weights[k];
  }

  /// Folds in one validated event.
  template <class Context>
  void on(state& s, const observation& o, const Context&) const noexcept {
    const auto k = static_cast<std::size_t>(o.kind) % max_event_kinds;
    if (weights[k] == 0.0) return;
    fold(s, o.seconds, value_scaled[k] ? weights[k] * o.value : weights[k]);
  }

  /// Folds in a contribution `c` (≥ 0, finite) at second `seconds` since 1970, without the engine.
  /// Throws std::invalid_argument naming `contribution`. The same update as on().
  void add(state& s, std::uint32_t seconds, double c) const {
    if (!(c >= 0.0) || !std::isfinite(c)) {
      throw std::invalid_argument("metric 'decayed_engagement': contribution must be finite and >= 0, got " +
                                  detail::format_number(c));
    }
    fold(s, seconds, c);
  }

  /// Decays both states to the later reference time and adds (commutative: the same bits either way).
  void merge(state& a, const state& b) const noexcept {
    if (!b.has_events()) return;
    if (!a.has_events()) {
      a = b;
      return;
    }
    const std::uint32_t t = std::max(a.t_ref, b.t_ref);
    a.score = clamp(a.score * factor(t - a.t_ref) + b.score * factor(t - b.t_ref), a.flags);
    a.t_ref = t;
    a.flags = static_cast<std::uint8_t>(a.flags | b.flags);
  }

  /// The customer's score as of `as_of` (see decayed_engagement_result for a time before the latest event).
  [[nodiscard]] decayed_engagement_result result_at(const state& s, timestamp as_of) const noexcept {
    decayed_engagement_result r{0.0, as_of, std::nullopt, false, s.overflowed()};
    if (!s.has_events()) return r;
    r.latest_event = from_seconds32(s.t_ref);
    const std::int64_t as_of_ms = as_of.time_since_epoch().count();
    // Times are kept to the second: an event later in as_of's own second is not "later".
    if (detail::floor_div(as_of_ms, 1000) < static_cast<std::int64_t>(s.t_ref)) {
      r.includes_later_events = true;
      r.evaluated_at = *r.latest_event;
      r.score = s.score;
      return r;
    }
    const std::int64_t elapsed_ms = as_of_ms - static_cast<std::int64_t>(s.t_ref) * 1000;  // ≥ 0, no overflow
    r.score = s.score * std::exp2(-static_cast<double>(elapsed_ms) / (half_life_seconds() * 1000.0));
    return r;
  }
  /// The engine's per-customer result: result_at(s, ctx.as_of()).
  template <class Context>
  [[nodiscard]] decayed_engagement_result result(const state& s, const Context& ctx) const noexcept {
    return result_at(s, ctx.as_of());
  }

  /// Equal up to `rel` relative in the score (engine::same_figures): sums merged in another grouping
  /// differ by rounding; the reference time and flags must be equal.
  [[nodiscard]] bool close(const state& a, const state& b, double rel) const noexcept {
    return a.t_ref == b.t_ref && a.flags == b.flags &&
           std::abs(a.score - b.score) <= rel * std::max({std::abs(a.score), std::abs(b.score), 1e-300});
  }

  /// 13 bytes: score (f64), t_ref (u32), flags (u8).
  void save(const state& s, io::writer& w) const {
    w.f64(s.score);
    w.u32(s.t_ref);
    w.u8(s.flags);
  }
  /// Validates: score finite and ≥ 0 (not −0), flags only has_events | overflowed, overflowed only with
  /// events, and without events score 0 and t_ref 0. (Every u32 second is a representable time.)
  state load(io::reader& r, std::uint16_t) const {
    state s;
    s.score = r.non_negative_f64("decayed_engagement: score");
    if (std::signbit(s.score)) io::reader::fail("decayed_engagement: score is -0");
    s.t_ref = r.u32("decayed_engagement: reference time");
    s.flags = r.u8("decayed_engagement: flags");
    if ((s.flags & ~(flag_events | flag_overflowed)) != 0) {
      io::reader::fail("decayed_engagement: flags " + std::to_string(s.flags) + " has unknown bits");
    }
    if (!s.has_events() && (s.flags != 0 || s.score != 0.0 || s.t_ref != 0)) {
      io::reader::fail("decayed_engagement: a score, reference time or overflow flag without any event");
    }
    return s;
  }

 private:
  [[nodiscard]] double half_life_seconds() const noexcept { return static_cast<double>(half_life.count()); }
  /// 2^(−dt/h) for dt ≥ 0 seconds: in [0, 1].
  [[nodiscard]] double factor(std::uint32_t dt) const noexcept { return std::exp2(-static_cast<double>(dt) / half_life_seconds()); }

  /// A sum clamped to the largest double (flagging it): never infinite.
  static double clamp(double x, std::uint8_t& flags) noexcept {
    if (x <= std::numeric_limits<double>::max()) return x;
    flags = static_cast<std::uint8_t>(flags | flag_overflowed);
    return std::numeric_limits<double>::max();
  }

  void fold(state& s, std::uint32_t seconds, double c) const noexcept {
    s.flags = static_cast<std::uint8_t>(s.flags | flag_events);
    c = clamp(c, s.flags);  // w · value may exceed the largest double (then c · 0 is 0, never NaN)
    if (seconds <= s.t_ref) {
      s.score = clamp(s.score + c * factor(s.t_ref - seconds), s.flags);
    } else {
      s.score = clamp(s.score * factor(seconds - s.t_ref) + c, s.flags);
      s.t_ref = seconds;
    }
  }

  static void check_weight(event_kind kind, double w) {
    if (!std::isfinite(w) || w < 0.0) {
      throw std::invalid_argument("metric 'decayed_engagement': parameter 'weights': the weight of " + to_string(kind) +
                                  " must be finite and >= 0, got " + detail::format_number(w));
    }
  }
};

}  // namespace cxm
