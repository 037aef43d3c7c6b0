#pragma once
/// \file
/// The kind registry: which kinds an engine accepts, and for each whether its event carries a value and
/// how that value is validated at the input boundary (docs/architecture.md, "Kinds"):
///   value_kind::none      the value is ignored; metrics see 0
///   value_kind::amount    a finite amount >= 0 (purchase, refund; a host's "points earned")
///   value_kind::quantity  any finite number (a host's "balance change"; may be negative)
///   value_kind::score     a whole number on the kind's scale (csat 1..5, ces 1..7, nps 0..10)
/// Defaults: purchase and refund are amounts, the three survey answers scores on their usual scales,
/// every other built-in kind carries no value, and no host kind is in use. A host kind is declared with
/// its value: `kinds.declare_host_kinds(2); kinds.set(cxm::host_kind(1), cxm::value_kind::amount);`.
/// Saved with the engine and compared by merge and load.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cxm/core/invalid_input.hpp"
#include "cxm/core/score_scale.hpp"
#include "cxm/events/event_kind.hpp"
#include "cxm/io/reader.hpp"
#include "cxm/io/writer.hpp"

namespace cxm {

/// How the value of a kind's events is validated. The numbering is part of the state format.
enum class value_kind : std::uint8_t { none = 0, amount = 1, quantity = 2, score = 3 };

/// "none", "amount", "quantity", "score".
inline std::string to_string(value_kind v) {
  switch (v) {
    case value_kind::none: return "none";
    case value_kind::amount: return "amount";
    case value_kind::quantity: return "quantity";
    case value_kind::score: return "score";
  }
  return "unknown";
}

/// What one kind's events carry and how their value is checked.
struct kind_info {
  value_kind value = value_kind::none;  ///< how the value is validated
  score_scale scale{0, 0};  ///< the scale of a score kind; {0, 0} for the others
  /// Compares every field.
  friend constexpr bool operator==(const kind_info&, const kind_info&) = default;
};

/// The value of an event that passed the registry's check, as metrics see it.
struct checked_value {
  double value;              ///< the amount, quantity or score; 0 for a kind without a value
  std::uint16_t score_index; ///< for a score: the score minus the scale's low end; 0 otherwise
};

/// Which kinds an engine accepts and what each kind's events carry (docs/architecture.md, "Kinds").
/// Saved with the engine and compared by merge and load.
class kind_registry {
 public:
  /// Per-customer state keeps a score offset in one byte (satisfaction), so scales have at most 255 points.
  static constexpr std::size_t max_score_points = 255;

  constexpr kind_registry() noexcept {
    info_[static_cast<std::size_t>(event_kind::purchase)] = {value_kind::amount, {0, 0}};
    info_[static_cast<std::size_t>(event_kind::refund)] = {value_kind::amount, {0, 0}};
    info_[static_cast<std::size_t>(event_kind::csat_answer)] = {value_kind::score, {1, 5}};
    info_[static_cast<std::size_t>(event_kind::ces_answer)] = {value_kind::score, {1, 7}};
    info_[static_cast<std::size_t>(event_kind::nps_answer)] = {value_kind::score, {0, 10}};
    refresh_gates();
  }

  /// Host kinds host_kind(0) .. host_kind(n − 1) are accepted (at most max_event_kinds − builtin_kind_count).
  kind_registry& declare_host_kinds(unsigned n) {
    if (n > max_event_kinds - builtin_kind_count) {
      throw std::invalid_argument("kind_registry: at most " + std::to_string(max_event_kinds - builtin_kind_count) +
                                  " host kinds, got " + std::to_string(n));
    }
    host_kinds_ = n;
    refresh_gates();
    return *this;
  }
  /// What `kind`'s events carry. Throws std::invalid_argument for an unknown kind or an invalid scale.
  kind_registry& set(event_kind kind, value_kind value, score_scale scale = {0, 0}) {
    if (!is_known(kind)) throw std::invalid_argument("kind_registry: kind " + to_string(kind) + " is not a kind");
    kind_info info{value, value == value_kind::score ? scale : score_scale{0, 0}};
    check_info(kind, info);
    info_[static_cast<std::size_t>(kind)] = info;
    refresh_gates();
    return *this;
  }
  /// A survey answer kind on another scale: kinds.set_scale(cxm::event_kind::csat_answer, {1, 7}).
  kind_registry& set_scale(event_kind kind, score_scale scale) { return set(kind, value_kind::score, scale); }

  /// Number of host kinds declared.
  [[nodiscard]] constexpr unsigned host_kinds() const noexcept { return host_kinds_; }
  /// Built-in plus host kinds.
  [[nodiscard]] constexpr std::size_t kinds_in_use() const noexcept { return builtin_kind_count + host_kinds_; }
  /// Whether `k` is accepted.
  [[nodiscard]] constexpr bool in_use(event_kind k) const noexcept { return static_cast<std::size_t>(k) < kinds_in_use(); }
  /// What kind `k`'s events carry.
  [[nodiscard]] constexpr const kind_info& operator[](event_kind k) const noexcept {
    return info_[static_cast<std::size_t>(k) % max_event_kinds];
  }
  /// The scale of a score kind. Throws std::invalid_argument for a kind that carries no score.
  [[nodiscard]] score_scale scale(event_kind k) const {
    if ((*this)[k].value != value_kind::score) {
      throw std::invalid_argument("kind_registry: " + to_string(k) + " carries no score");
    }
    return (*this)[k].scale;
  }

  /// Whether `kind` is in use and `value` is valid for its events; if so, `out` is what metrics see.
  /// The hot path: no rejection is built here (see rejection_of).
  [[nodiscard]] bool accepts(event_kind kind, double value, checked_value& out) const noexcept {
    // The same rules as in_use, score_rejection_reason and rejection_of, ordered for speed: one byte
    // per possible kind says "not in use" or the value kind; then a range test (NaN fails it, and it
    // bounds the conversion to int), then wholeness for a score.
    constexpr double finite_max = std::numeric_limits<double>::max();
    const std::uint8_t gate = gates_[static_cast<std::uint8_t>(kind)];
    if (gate == static_cast<std::uint8_t>(value_kind::none)) {
      out = {0.0, 0};
      return true;
    }
    if (gate == closed_gate) return false;
    const kind_info& info = info_[static_cast<std::size_t>(kind)];  // in use: below max_event_kinds
    if (info.value == value_kind::score) {
      if (!(value >= info.scale.low && value <= info.scale.high)) return false;
      const int score = static_cast<int>(value);
      if (static_cast<double>(score) != value) return false;
      out = {value, static_cast<std::uint16_t>(score - info.scale.low)};
      return true;
    }
    const double low = info.value == value_kind::amount ? 0.0 : -finite_max;
    if (!(value >= low && value <= finite_max)) return false;
    out = {value, 0};
    return true;
  }

  /// Why `value` is not valid for an event of `kind`, for a value that accepts() refused.
  [[nodiscard]] rejection rejection_of(event_kind kind, double value) const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const kind_info& info = (*this)[kind];
    const std::string_view field = value_field(kind, info.value);
    if (info.value == value_kind::score) {
      if (auto why = check_score(info.scale, value, "engine", field)) return *why;
    }
    if (!std::isfinite(value)) {
      return rejection{rejection_reason::amount_not_finite, "engine", field, value,
                       info.value == value_kind::quantity ? -inf : 0.0, inf};
    }
    return rejection{rejection_reason::amount_negative, "engine", field, value, 0, inf};
  }

  /// Throws std::invalid_argument naming the kind at fault.
  void validate() const {
    if (host_kinds_ > max_event_kinds - builtin_kind_count) {
      throw std::invalid_argument("kind_registry: at most " + std::to_string(max_event_kinds - builtin_kind_count) +
                                  " host kinds, got " + std::to_string(host_kinds_));
    }
    for (std::size_t k = 0; k < max_event_kinds; ++k) check_info(static_cast<event_kind>(k), info_[k]);
  }

  /// Compares every entry and the host kinds in use.
  friend constexpr bool operator==(const kind_registry&, const kind_registry&) = default;

  /// The first difference from `other`, in words ("csat_answer: scale 1..5 vs 1..7"); empty when equal.
  [[nodiscard]] std::string difference(const kind_registry& other) const {
    if (host_kinds_ != other.host_kinds_) {
      return "host kinds in use: " + std::to_string(host_kinds_) + " vs " + std::to_string(other.host_kinds_);
    }
    for (std::size_t k = 0; k < max_event_kinds; ++k) {
      const auto& a = info_[k];
      const auto& b = other.info_[k];
      if (a == b) continue;
      const auto name = to_string(static_cast<event_kind>(k));
      if (a.value != b.value) return name + ": value " + to_string(a.value) + " vs " + to_string(b.value);
      return name + ": scale " + a.scale.to_string() + " vs " + b.scale.to_string();
    }
    return {};
  }

  /// Writes the host kind count, then every kind's value kind and scale.
  void save(io::writer& w) const {
    w.u8(static_cast<std::uint8_t>(host_kinds_));
    w.u8(static_cast<std::uint8_t>(max_event_kinds));
    for (const auto& info : info_) {
      w.u8(static_cast<std::uint8_t>(info.value));
      w.i32(info.scale.low);
      w.i32(info.scale.high);
    }
  }
  /// Reads a registry written by save and validates it; throws cxm::format_error naming the failed check.
  static kind_registry load(io::reader& r) {
    kind_registry out;
    out.host_kinds_ = r.u8("kind_registry: host kinds");
    const auto n = r.u8("kind_registry: kinds");
    if (n != max_event_kinds) io::reader::fail("kind_registry: " + std::to_string(n) + " kinds, this build has " +
                                               std::to_string(max_event_kinds));
    for (auto& info : out.info_) {
      const auto v = r.u8("kind_registry: value kind");
      if (v > static_cast<std::uint8_t>(value_kind::score)) io::reader::fail("kind_registry: unknown value kind " + std::to_string(v));
      info.value = static_cast<value_kind>(v);
      info.scale.low = r.i32("kind_registry: scale low");
      info.scale.high = r.i32("kind_registry: scale high");
    }
    try {
      out.validate();
    } catch (const std::invalid_argument& e) {
      io::reader::fail(e.what());
    }
    out.refresh_gates();  // after validate: host_kinds_ is within max_event_kinds
    return out;
  }

 private:
  /// "nps_answer score", "purchase amount", "host_kind_3 quantity": the field of a value's rejection.
  static std::string_view value_field(event_kind kind, value_kind value) {
    static const std::array<std::string, 3 * max_event_kinds> names = [] {
      std::array<std::string, 3 * max_event_kinds> out;
      for (std::size_t k = 0; k < max_event_kinds; ++k) {
        const auto name = to_string(static_cast<event_kind>(k));
        out[k] = name + " amount";
        out[max_event_kinds + k] = name + " quantity";
        out[2 * max_event_kinds + k] = name + " score";
      }
      return out;
    }();
    const std::size_t row = value == value_kind::quantity ? 1 : value == value_kind::score ? 2 : 0;
    return names[row * max_event_kinds + static_cast<std::size_t>(kind) % max_event_kinds];
  }

  static void check_info(event_kind kind, const kind_info& info) {
    if (info.value == value_kind::score) {
      info.scale.validate("kind_registry: " + to_string(kind));
      if (info.scale.points() > max_score_points) {
        throw std::invalid_argument("kind_registry: " + to_string(kind) + ": scale " + info.scale.to_string() +
                                    " has more than " + std::to_string(max_score_points) + " points");
      }
    } else if (!(info.scale == score_scale{0, 0})) {
      throw std::invalid_argument("kind_registry: " + to_string(kind) + " carries no score but has a scale");
    }
  }

  /// gates_[k] for each value of the kind's byte: its value_kind if the kind is in use, else closed_gate.
  /// Derived from info_ and host_kinds_ (refresh_gates after every change), so == may compare it.
  static constexpr std::uint8_t closed_gate = 0xFF;
  static_assert(sizeof(event_kind) == 1, "kind_registry: gates_ has one entry per value of the kind's byte");
  constexpr void refresh_gates() noexcept {
    for (std::size_t k = 0; k < gates_.size(); ++k) {
      gates_[k] = k < kinds_in_use() && k < max_event_kinds ? static_cast<std::uint8_t>(info_[k].value) : closed_gate;
    }
  }

  std::array<kind_info, max_event_kinds> info_{};
  std::array<std::uint8_t, 256> gates_{};
  unsigned host_kinds_ = 0;
};

}  // namespace cxm
