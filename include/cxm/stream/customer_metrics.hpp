#pragma once
// The per-customer metrics of the customer record (one struct of sub-states per customer, so that an
// event costs one table lookup whatever the number of metrics). Each metric names:
//   state            a small trivially copyable struct; value-initialised = no events yet;
//   listens          the kinds it reads;
//   on(state, obs)   folds in one validated observation;
//   merge(a, b)      folds b into a (commutative: "latest" is decided by event time, never arrival);
//   save/load        its payload fields.
// Sizes are part of the documented layout (docs/architecture.md): activity 52 bytes, spend 16,
// satisfaction 28; the default record (spend, activity, satisfaction) is 96 bytes.
// Narrow counters saturate at their maximum and set a flag, reported by the engine; never wrap.

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/events/observation.hpp"

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

/// First and last activity, and how many events of each kind.
struct activity {
  struct state {
    std::uint32_t first_seen = std::numeric_limits<std::uint32_t>::max();  ///< s since 1970; max = never
    std::uint32_t last_seen = 0;                                           ///< s since 1970
    /// purchase, refund, visit, interaction, loyalty, referral, support_contact (kinds 0..6)
    std::array<std::uint32_t, 7> frequent{};
    std::uint32_t host_events = 0;  ///< all host-defined kinds together
    /// signup, cancel, csat_answer, ces_answer, nps_answer (kinds 7..11); 16 bits, saturating
    std::array<std::uint16_t, 5> rare{};
    std::uint8_t saturated = 0;  ///< 1 once any counter has saturated
    friend constexpr bool operator==(const state&, const state&) = default;

    [[nodiscard]] constexpr bool seen() const noexcept { return first_seen <= last_seen; }
    [[nodiscard]] constexpr std::uint64_t count(event_kind k) const noexcept {
      const auto i = static_cast<std::size_t>(k);
      if (i < 7) return frequent[i];
      if (i < builtin_kind_count) return rare[i - 7];
      return 0;
    }
  };
  static constexpr kind_set listens = kind_set::all();
  static std::string id() { return "activity"; }

  static void on(state& s, const observation& o) noexcept {
    s.first_seen = std::min(s.first_seen, o.seconds);
    s.last_seen = std::max(s.last_seen, o.seconds);
    bump(s, static_cast<std::size_t>(o.kind), 1);
  }

  static void merge(state& a, const state& b) noexcept {
    a.first_seen = std::min(a.first_seen, b.first_seen);
    a.last_seen = std::max(a.last_seen, b.last_seen);
    bool saturated = b.saturated != 0;
    for (std::size_t i = 0; i < 7; ++i) saturated |= detail::saturating_add(a.frequent[i], b.frequent[i]);
    for (std::size_t i = 0; i < 5; ++i) saturated |= detail::saturating_add(a.rare[i], b.rare[i]);
    saturated |= detail::saturating_add(a.host_events, b.host_events);
    if (saturated) a.saturated = 1;
  }

  static void save(const state& s, io::writer& w) {
    w.u32(s.first_seen);
    w.u32(s.last_seen);
    for (const auto c : s.frequent) w.u32(c);
    w.u32(s.host_events);
    for (const auto c : s.rare) w.u16(c);
    w.u8(s.saturated);
  }
  static state load(io::reader& r) {
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

/// Purchase and refund amounts (their counts are in activity).
struct spend {
  struct state {
    double purchase_amount = 0.0;
    double refund_amount = 0.0;
    friend constexpr bool operator==(const state&, const state&) = default;
  };
  static constexpr kind_set listens{event_kind::purchase, event_kind::refund};
  static std::string id() { return "spend"; }

  static void on(state& s, const observation& o) noexcept {
    (o.kind == event_kind::purchase ? s.purchase_amount : s.refund_amount) += o.value;
  }
  static void merge(state& a, const state& b) noexcept {
    a.purchase_amount += b.purchase_amount;
    a.refund_amount += b.refund_amount;
  }
  static void save(const state& s, io::writer& w) {
    w.f64(s.purchase_amount);
    w.f64(s.refund_amount);
  }
  static state load(io::reader& r) {
    state s;
    s.purchase_amount = r.non_negative_f64("spend: purchase amount");
    s.refund_amount = r.non_negative_f64("spend: refund amount");
    return s;
  }
};

/// Latest and running satisfaction per survey (csat, ces, nps answers). "Latest" is the answer with
/// the latest time (to the second); answers in the same second resolve to the higher score, so the
/// result does not depend on arrival order.
struct satisfaction {
  static constexpr std::uint8_t no_answer = 0xFF;
  struct state {
    std::array<std::uint32_t, 3> score_sums{};  ///< Σ (score − scale low) per survey, saturating
    std::array<std::uint32_t, 3> latest_time{};  ///< s since 1970 of the latest answer
    std::array<std::uint8_t, 3> latest{no_answer, no_answer, no_answer};  ///< score − scale low
    std::uint8_t saturated = 0;  ///< 1 once a score sum has saturated
    friend constexpr bool operator==(const state&, const state&) = default;
  };
  static constexpr kind_set listens{event_kind::csat_answer, event_kind::ces_answer, event_kind::nps_answer};
  static std::string id() { return "satisfaction"; }

  /// Survey index of an answer kind: csat 0, ces 1, nps 2.
  static constexpr std::size_t survey(event_kind k) noexcept {
    return static_cast<std::size_t>(k) - static_cast<std::size_t>(event_kind::csat_answer);
  }

  /// Uses `o.score_index` (the score minus the scale's low end; the engine keeps scales under 255 points).
  /// The sums cannot saturate before 2^32 / 254 ≈ 16.9 million answers of one customer to one survey;
  /// if they do, they stay at the maximum and set `saturated`.
  static void on(state& s, const observation& o) noexcept {
    const auto i = survey(o.kind);
    const auto score = static_cast<std::uint8_t>(o.score_index);
    if (detail::saturating_add(s.score_sums[i], score)) s.saturated = 1;
    take_latest(s, i, o.seconds, score);
  }
  static void merge(state& a, const state& b) noexcept {
    for (std::size_t i = 0; i < 3; ++i) {
      if (detail::saturating_add(a.score_sums[i], b.score_sums[i])) a.saturated = 1;
      if (b.latest[i] != no_answer) take_latest(a, i, b.latest_time[i], b.latest[i]);
    }
  }
  static void save(const state& s, io::writer& w) {
    for (std::size_t i = 0; i < 3; ++i) {
      w.u32(s.score_sums[i]);
      w.u32(s.latest_time[i]);
      w.u8(s.latest[i]);
    }
    w.u8(s.saturated);
  }
  static state load(io::reader& r) {
    state s;
    for (std::size_t i = 0; i < 3; ++i) {
      s.score_sums[i] = r.u32("satisfaction: score sum");
      s.latest_time[i] = r.u32("satisfaction: latest time");
      s.latest[i] = r.u8("satisfaction: latest score");
      if (s.latest[i] == no_answer && (s.latest_time[i] != 0 || s.score_sums[i] != 0)) {
        io::reader::fail("satisfaction: a score sum or time without any answer");
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
