#pragma once
/// \file
/// The bad-input policy (docs/architecture.md, "Bad input"). An observation that cannot be folded in is described
/// by a `rejection`; what happens to it is the caller's choice of policy:
///   cxm::throw_on_invalid            (the default) throws cxm::invalid_event with rejection::message();
///   cxm::skip_invalid{counts, cb}    counts it by reason in a mergeable rejection_counts and hands
///                                    it to the callback `cb`, so the host keeps it (the engine takes
///                                    cxm::skip_invalid{cb}, with cb(event, rejection), and counts itself).
/// Nothing is folded in when an observation is rejected.

#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "cxm/core/accumulator.hpp"
#include "cxm/core/error.hpp"
#include "cxm/core/iso8601.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// Why an observation was rejected. The numbering is part of the state format: append only.
enum class rejection_reason : std::uint8_t {
  score_out_of_scale = 0,
  weight_not_finite = 1,
  weight_negative = 2,
  empty_customer_id = 3,
  time_out_of_range = 4,
  unknown_kind = 5,
  amount_not_finite = 6,
  amount_negative = 7,
  too_late = 8,
  customer_id_out_of_range = 9,
  score_not_whole = 10,  ///< a score that is not a whole number: 4.5, NaN, ±inf (since rejection_counts v3)
};
/// Number of rejection reasons (the values of rejection_reason are 0 .. count − 1).
inline constexpr std::size_t rejection_reason_count = 11;

/// The reason's name: "score_out_of_scale", ...
constexpr std::string_view to_string(rejection_reason reason) noexcept {
  switch (reason) {
    case rejection_reason::score_out_of_scale: return "score_out_of_scale";
    case rejection_reason::weight_not_finite: return "weight_not_finite";
    case rejection_reason::weight_negative: return "weight_negative";
    case rejection_reason::empty_customer_id: return "empty_customer_id";
    case rejection_reason::time_out_of_range: return "time_out_of_range";
    case rejection_reason::unknown_kind: return "unknown_kind";
    case rejection_reason::amount_not_finite: return "amount_not_finite";
    case rejection_reason::amount_negative: return "amount_negative";
    case rejection_reason::too_late: return "too_late";
    case rejection_reason::customer_id_out_of_range: return "customer_id_out_of_range";
    case rejection_reason::score_not_whole: return "score_not_whole";
  }
  return "unknown";
}

namespace detail {
/// Shortest round-trip form, but whole numbers below 1e15 in full ("1699999999000", not "1.699999999e+12").
inline std::string format_number(double v) {
  std::array<char, 48> buf{};
  const bool whole = v == std::trunc(v) && std::abs(v) < 1e15;
  const auto [end, ec] = whole ? std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, 0)
                               : std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) return "?";
  return std::string(buf.data(), end);
}

/// A time in milliseconds since 1970 as ISO 8601 (format_iso8601); a value no int64 holds (NaN, ±inf,
/// beyond ±2^63) as the number itself: "nan ms since 1970".
inline std::string format_time_ms(double ms) {
  constexpr double two_63 = 9223372036854775808.0;
  if (ms >= -two_63 && ms < two_63) return format_iso8601(static_cast<std::int64_t>(std::floor(ms)));
  return format_number(ms) + " ms since 1970";
}
}  // namespace detail

/// What a rejection's value and bounds are: plain numbers, or times in milliseconds since 1970
/// (which message() prints as ISO 8601, UTC).
enum class rejection_unit : std::uint8_t { number, time_ms };

/// One rejected observation: which metric, which field, the value and the allowed range. The last
/// three members have defaults, so `rejection{reason, metric, field, value, min, max}` still works;
/// name them with designated initialisers (`.unit = rejection_unit::time_ms`, `.customer = "42"`).
struct rejection {
  rejection_reason reason;  ///< why it was rejected
  std::string_view metric;  ///< "nps", "csat", ...
  std::string_view field;   ///< "score", "weight", ...
  double value;  ///< the rejected value
  double allowed_min;  ///< the lowest allowed value
  double allowed_max;  ///< the highest allowed value
  rejection_unit unit = rejection_unit::number;  ///< time_ms: value and bounds are ms since 1970
  std::string customer{};  ///< the customer of the observation, when known; message() appends " (customer <id>)"
  /// When not empty, replaces the generated value-and-range text: "<metric>: <field> <detail>". For
  /// what a double cannot print exactly, e.g. "18446744073709551615 does not fit the engine's id type
  /// (0..4294967295)".
  std::string detail{};

  /// "nps: score 11 is outside the scale 0..10"; "engine: time 2107-01-01T00:00:00Z is outside the
  /// representable range 1970-01-01T00:00:00Z..2106-02-07T06:28:15.999Z (customer 42)".
  [[nodiscard]] std::string message() const {
    std::string out(metric);
    out += ": ";
    out += field;
    if (!detail.empty()) {
      out += ' ';
      out += detail;
    } else {
      append_text(out);
    }
    if (!customer.empty()) out += " (customer " + customer + ")";
    return out;
  }

 private:
  [[nodiscard]] std::string format(double v) const {
    return unit == rejection_unit::time_ms ? detail::format_time_ms(v) : detail::format_number(v);
  }

  void append_text(std::string& out) const {
    if (reason == rejection_reason::empty_customer_id) {
      out += " is empty";
      return;
    }
    out += ' ';
    out += format(value);
    switch (reason) {
      case rejection_reason::score_out_of_scale:
        out += " is outside the scale " + format(allowed_min) + ".." + format(allowed_max);
        break;
      case rejection_reason::score_not_whole:
        out += " is not a whole number";
        break;
      case rejection_reason::weight_not_finite:
      case rejection_reason::amount_not_finite:
        out += " is not finite (allowed: a finite number >= " + format(allowed_min) + ")";
        break;
      case rejection_reason::weight_negative:
      case rejection_reason::amount_negative:
        out += " is negative (allowed: a finite number >= " + format(allowed_min) + ")";
        break;
      case rejection_reason::time_out_of_range:
        out += " is outside the representable range " + format(allowed_min) + ".." + format(allowed_max);
        break;
      case rejection_reason::customer_id_out_of_range:
        out += " does not fit the engine's id type (" + format(allowed_min) + ".." + format(allowed_max) + ")";
        break;
      case rejection_reason::unknown_kind:
        out += " is not a kind in use (allowed " + format(allowed_min) + ".." + format(allowed_max) + ")";
        break;
      case rejection_reason::too_late:
        out += " is older than the lateness bound allows (earliest accepted " + format(allowed_min) + ")";
        break;
      default:
        out += " is invalid (" + std::string(to_string(reason)) + ")";
        break;
    }
  }
};

/// Counts of rejected observations by reason. Itself an accumulator: merged by addition.
/// Input: a rejection_reason (or a rejection). Result: counts by reason and their total. Parameters:
/// none. Per add O(1); one 64-bit count per reason. Merge: added reason by reason, exact. Not
/// synchronised: give each thread its own (docs/architecture.md, "Thread safety").
class rejection_counts {
 public:
  /// Identifies the payload in a framed image (docs/state-format.md).
  static constexpr std::uint32_t type_tag = fourcc("rejc");
  /// Version 2 added customer_id_out_of_range (10 reasons), version 3 score_not_whole (11 reasons);
  /// version 1 (9 reasons) and version 2 images still load, the missing reasons as 0.
  static constexpr std::uint16_t format_version = 3;

  /// The result: counts by reason and their total.
  struct result_type {
    std::array<std::uint64_t, rejection_reason_count> by_reason;  ///< indexed by rejection_reason
    std::uint64_t total;  ///< every reason together
    /// The count of reason `r`.
    [[nodiscard]] std::uint64_t operator[](rejection_reason r) const noexcept {
      return by_reason[static_cast<std::size_t>(r)];
    }
  };

  /// Counts one rejection of `reason`.
  void add(rejection_reason reason) noexcept { ++counts_[static_cast<std::size_t>(reason)]; }
  /// Counts `r` by its reason.
  void add(const rejection& r) noexcept { add(r.reason); }

  /// Adds the other's counts, reason by reason.
  void merge(const rejection_counts& other) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  }

  /// The count of reason `r`.
  [[nodiscard]] std::uint64_t operator[](rejection_reason r) const noexcept {
    return counts_[static_cast<std::size_t>(r)];
  }
  /// Every reason together.
  [[nodiscard]] std::uint64_t total() const noexcept {
    std::uint64_t t = 0;
    for (const auto c : counts_) t += c;
    return t;
  }

  [[nodiscard]] result_type result() const noexcept { return {counts_, total()}; }  ///< counts by reason and the total

  /// Writes the payload (docs/state-format.md).
  void save(io::writer& w) const {
    w.u8(static_cast<std::uint8_t>(counts_.size()));
    for (const auto c : counts_) w.u64(c);
  }

  /// Reads states written with fewer reasons (older versions); more reasons than this build knows is an error.
  static rejection_counts load(io::reader& r) {
    const auto n = r.u8("rejection_counts: number of reasons");
    if (n > rejection_reason_count) {
      io::reader::fail("rejection_counts: " + std::to_string(n) + " reasons, this build knows " +
                       std::to_string(rejection_reason_count));
    }
    rejection_counts out;
    for (std::size_t i = 0; i < n; ++i) out.counts_[i] = r.u64("rejection_counts: count");
    return out;
  }

  /// Compares the whole state.
  friend bool operator==(const rejection_counts&, const rejection_counts&) = default;

 private:
  std::array<std::uint64_t, rejection_reason_count> counts_{};
};

/// A policy is called with each rejection; it either throws or records and returns.
template <class P>
concept invalid_policy = std::invocable<P&, const rejection&> && !std::is_arithmetic_v<std::remove_cvref_t<P>>;

/// The default policy: throw cxm::invalid_event.
struct throw_invalid {
  /// Throws cxm::invalid_event with r.message().
  [[noreturn]] void operator()(const rejection& r) const { throw invalid_event(r.message()); }
};
/// The default policy of every add.
inline constexpr throw_invalid throw_on_invalid{};

/// A callback that does nothing with the rejected observation.
struct ignore_rejected {
  constexpr void operator()(const rejection&) const noexcept {}  ///< ignores the rejection
};

/// Skip the observation: count it by reason (when given a rejection_counts) and hand it to
/// `callback`, so the host keeps it. The one skipping policy of every layer:
///   cxm::skip_invalid{counts}              a survey accumulator's rejections, counted in `counts`
///   cxm::skip_invalid{counts, callback}    counted, and each handed to callback(rejection)
///   cxm::skip_invalid{callback}            the engine (which counts every rejection itself): callback
///                                          gets (event, rejection) when it takes them, else (rejection)
///   cxm::skip_invalid{}                    skipped; only the engine's own counts keep them
/// The callback is mutable: a const policy object still hands rejections to a stateful callback.
template <class Callback = ignore_rejected>
class skip_invalid {
 public:
  skip_invalid() = default;
  /// Hands each rejection to `callback`; counts nothing itself.
  explicit skip_invalid(Callback callback) : callback_(std::move(callback)) {}
  /// Counts each rejection in `counts` (which must outlive the policy), then hands it to `callback`.
  explicit skip_invalid(rejection_counts& counts, Callback callback = {})
      : counts_(&counts), callback_(std::move(callback)) {}

  /// Counts `r` (when given counts), then hands it to the callback.
  void operator()(const rejection& r) const {
    if (counts_ != nullptr) counts_->add(r.reason);
    callback_(r);
  }
  /// With the rejected observation itself (the engine hands over the host's event).
  template <class Observation>
  void operator()(const Observation& x, const rejection& r) const {
    if (counts_ != nullptr) counts_->add(r.reason);
    if constexpr (std::is_invocable_v<Callback&, const Observation&, const rejection&>) {
      callback_(x, r);
    } else {
      callback_(r);
    }
  }

 private:
  rejection_counts* counts_ = nullptr;
  mutable Callback callback_{};
};
/// Deduction: skip_invalid{callback}.
template <class Callback>
skip_invalid(Callback) -> skip_invalid<Callback>;
/// Deduction: skip_invalid{counts, callback}.
template <class Callback>
skip_invalid(rejection_counts&, Callback) -> skip_invalid<Callback>;
/// Deduction: skip_invalid{counts}.
skip_invalid(rejection_counts&) -> skip_invalid<ignore_rejected>;

}  // namespace cxm
