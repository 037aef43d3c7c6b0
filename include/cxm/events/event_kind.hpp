#pragma once
/// \file
/// The kinds of customer event cxm understands, and room for a host's own kinds.
/// Built-in kinds are 0..11; a host defines its own with cxm::host_kind(n) (n = 0..19) and declares
/// them, with what their events carry, in the engine's kind registry (events/kind_registry.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace cxm {

/// The numbering is part of the state format: append only.
enum class event_kind : std::uint8_t {
  purchase = 0,
  refund = 1,
  visit = 2,
  interaction = 3,
  loyalty = 4,
  referral = 5,
  support_contact = 6,
  signup = 7,
  cancel = 8,
  csat_answer = 9,
  ces_answer = 10,
  nps_answer = 11,
};

/// Number of built-in kinds (purchase .. nps_answer); host kinds follow them.
inline constexpr std::size_t builtin_kind_count = 12;
/// Built-in plus host-defined kinds.
inline constexpr std::size_t max_event_kinds = 32;

/// The n-th host-defined kind (n < 20). Host kinds are counted like built-in ones.
/// For n >= 20 it returns a kind that no engine accepts (rejected as unknown_kind).
constexpr event_kind host_kind(unsigned n) noexcept {
  return n < max_event_kinds - builtin_kind_count ? static_cast<event_kind>(builtin_kind_count + n)
                                                  : static_cast<event_kind>(0xFF);
}

/// Purchase .. nps_answer.
constexpr bool is_builtin(event_kind k) noexcept { return static_cast<std::size_t>(k) < builtin_kind_count; }
/// Below max_event_kinds.
constexpr bool is_known(event_kind k) noexcept { return static_cast<std::size_t>(k) < max_event_kinds; }
/// csat_answer, ces_answer or nps_answer.
constexpr bool is_survey_answer(event_kind k) noexcept {
  return k == event_kind::csat_answer || k == event_kind::ces_answer || k == event_kind::nps_answer;
}

/// "purchase", ..., "nps_answer"; "host_kind_<n>" for host kinds.
inline std::string to_string(event_kind k) {
  constexpr std::array<std::string_view, builtin_kind_count> names{
      "purchase", "refund", "visit", "interaction", "loyalty", "referral", "support_contact",
      "signup", "cancel", "csat_answer", "ces_answer", "nps_answer"};
  const auto i = static_cast<std::size_t>(k);
  if (i < builtin_kind_count) return std::string(names[i]);
  return "host_kind_" + std::to_string(i - builtin_kind_count);
}

/// A set of kinds (which kinds a metric listens to).
class kind_set {
 public:
  constexpr kind_set() noexcept = default;
  /// The set of `kinds`.
  constexpr kind_set(std::initializer_list<event_kind> kinds) noexcept {
    for (const auto k : kinds) bits_ |= bit(k);
  }
  /// Whether `k` is in the set.
  [[nodiscard]] constexpr bool contains(event_kind k) const noexcept { return (bits_ & bit(k)) != 0; }
  [[nodiscard]] constexpr std::uint32_t bits() const noexcept { return bits_; }  ///< bit k = kind k, as saved
  /// The set with exactly these bits (bit k = kind k), as saved.
  [[nodiscard]] static constexpr kind_set from_bits(std::uint32_t bits) noexcept {
    kind_set s;
    s.bits_ = bits;
    return s;
  }
  /// Every kind, built-in and host-defined.
  [[nodiscard]] static constexpr kind_set all() noexcept {
    kind_set s;
    s.bits_ = ~std::uint32_t{0};
    return s;
  }
  /// (kind_set s|The set with `k` added.
  friend constexpr kind_set operator|(kind_set s, event_kind k) noexcept {
    s.bits_ |= bit(k);
    return s;
  }
  /// Whether both hold the same kinds.
  friend constexpr bool operator==(kind_set, kind_set) = default;

 private:
  static constexpr std::uint32_t bit(event_kind k) noexcept {
    return is_known(k) ? std::uint32_t{1} << static_cast<unsigned>(k) : 0u;
  }
  std::uint32_t bits_ = 0;
};

}  // namespace cxm
