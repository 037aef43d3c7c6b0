#pragma once
/// \file
/// Events as cxm reads them. A host keeps its own event types; cxm reads four things from each
/// (customer id, time, kind, value) through `cxm::event_traits<E>` (specialise it once for your type)
/// or through a `cxm::projection` passed at the call site. Nothing is copied into a cxm type.
/// `cxm::event<Id>` is the default for hosts that have no event type of their own.
///
/// value: the amount of a purchase or refund (finite, >= 0), the score of a survey answer (on the
/// engine's scale), ignored for other kinds.

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

/// The default event type: customer, time, kind and value.
template <class Id = std::uint64_t>
struct event {
  Id customer{};  ///< the customer's id
  timestamp time{};  ///< when it happened
  event_kind kind = event_kind::visit;  ///< what happened
  double value = 0.0;  ///< an amount or a score (the top of this header)
  /// Compares every field.
  friend bool operator==(const event&, const event&) = default;
};

/// A 16-byte UUID as a customer id (the nil UUID, all zeros, counts as an empty id).
struct uuid {
  std::array<std::uint8_t, 16> bytes{};  ///< the 16 bytes, in order
  /// Compares every field.
  friend constexpr bool operator==(const uuid&, const uuid&) = default;
  friend constexpr auto operator<=>(const uuid&, const uuid&) = default;  ///< byte-wise order
};

/// The customization point. Specialise for a host type with four static functions:
///   customer(e) -> id (any hashable type; strings may be returned as std::string_view),
///   time(e) -> a std::chrono::sys_time, kind(e) -> cxm::event_kind, value(e) -> double.
template <class E>
struct event_traits;

/// cxm::event reads itself.
template <class Id>
struct event_traits<event<Id>> {
  static const Id& customer(const event<Id>& e) noexcept { return e.customer; }  ///< e.customer
  static timestamp time(const event<Id>& e) noexcept { return e.time; }  ///< e.time
  static event_kind kind(const event<Id>& e) noexcept { return e.kind; }  ///< e.kind
  static double value(const event<Id>& e) noexcept { return e.value; }  ///< e.value
};

template <class E>
concept has_event_traits = requires(const E& e) {
  event_traits<E>::customer(e);
  event_traits<E>::time(e);
  { event_traits<E>::kind(e) } -> std::same_as<event_kind>;
  { event_traits<E>::value(e) } -> std::convertible_to<double>;
};

/// Reads events through event_traits<E>.
struct traits_projection {
  template <has_event_traits E>
  /// Event_traits<E>::customer(e).
  static auto customer(const E& e) -> decltype(event_traits<E>::customer(e)) { return event_traits<E>::customer(e); }
  template <has_event_traits E>
  /// Event_traits<E>::time(e).
  static auto time(const E& e) -> decltype(event_traits<E>::time(e)) { return event_traits<E>::time(e); }
  template <has_event_traits E>
  static event_kind kind(const E& e) { return event_traits<E>::kind(e); }  ///< event_traits<E>::kind(e)
  template <has_event_traits E>
  /// Event_traits<E>::value(e) as a double.
  static double value(const E& e) { return static_cast<double>(event_traits<E>::value(e)); }
};

/// A projection built at the call site from four callables:
///   cxm::projection{[](const Order& o) -> std::string_view { return o.user; },
///                   [](const Order& o) { return cxm::from_unix_ms(o.ts_ms); },
///                   [](const Order&) { return cxm::event_kind::purchase; },
///                   [](const Order& o) { return o.total; }}
/// The kind callable must return a cxm::event_kind: a host enum or string goes through a cxm::kind_map
/// (never a cast, which would silently misroute kinds whose numbering differs from cxm's).
template <class Customer, class Time, class Kind, class Value>
struct projection {
  Customer customer_of;  ///< e -> customer id
  Time time_of;  ///< e -> a std::chrono::sys_time
  Kind kind_of;  ///< e -> cxm::event_kind
  Value value_of;  ///< e -> a number

  // Return types spelled out so that a projection that does not fit E is not a candidate (SFINAE).
  template <class E>
  auto customer(const E& e) const -> decltype(customer_of(e)) { return customer_of(e); }  ///< customer_of(e)
  template <class E>
  auto time(const E& e) const -> decltype(time_of(e)) { return time_of(e); }  ///< time_of(e)
  /// kind_of(e), which must be a cxm::event_kind.
  template <class E>
    requires std::is_invocable_v<const Kind&, const E&>
  event_kind kind(const E& e) const {
    static_assert(std::is_same_v<std::remove_cvref_t<std::invoke_result_t<const Kind&, const E&>>, event_kind>,
                  "cxm::projection: the kind callable must return cxm::event_kind; map a host enum or string "
                  "with cxm::kind_map");
    return kind_of(e);
  }
  template <class E>
  /// Value_of(e) as a double.
  auto value(const E& e) const -> decltype(static_cast<double>(value_of(e))) { return static_cast<double>(value_of(e)); }
};
/// Deduction: cxm::projection{customer, time, kind, value}.
template <class C, class T, class K, class V>
projection(C, T, K, V) -> projection<C, T, K, V>;

/// The kind no engine accepts: what a kind_map returns for an unmapped key (the event is then rejected
/// and counted as unknown_kind, never routed to another kind).
inline constexpr event_kind unmapped_kind = static_cast<event_kind>(0xFF);

/// An explicit mapping from a host's kinds (an enum, a string, an integer code) to cxm's, given once:
///   const cxm::kind_map<PageEvent> kinds{{PageEvent::page_view, cxm::event_kind::visit},
///                                        {PageEvent::order, cxm::event_kind::purchase},
///                                        {PageEvent::refund, cxm::event_kind::refund}};
///   kinds(PageEvent::order) == cxm::event_kind::purchase; an unmapped key gives cxm::unmapped_kind.
/// String keys are looked up as std::string_view (no allocation). A key mapped twice is an error.
template <class Key>
class kind_map {
 public:
  /// The host's key (std::string keys are looked up as std::string_view).
  using key_type = std::conditional_t<std::is_same_v<Key, std::string>, std::string, Key>;

  /// The mapping; throws std::invalid_argument when a key is mapped twice.
  kind_map(std::initializer_list<std::pair<key_type, event_kind>> entries) : entries_(entries) {
    std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < entries_.size(); ++i) {
      if (!(entries_[i - 1].first < entries_[i].first)) throw std::invalid_argument("kind_map: a key is mapped twice");
    }
  }

  /// The kind of `key`, or unmapped_kind.
  template <class K>
  [[nodiscard]] event_kind operator()(const K& key) const noexcept {
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                                     [](const auto& entry, const K& k) { return less(entry.first, k); });
    return it != entries_.end() && !less(key, it->first) ? it->second : unmapped_kind;
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }  ///< number of keys mapped

 private:
  template <class A, class B>
  static bool less(const A& a, const B& b) noexcept {
    if constexpr (std::is_same_v<Key, std::string>) {
      return std::string_view(a) < std::string_view(b);
    } else {
      return a < b;
    }
  }
  std::vector<std::pair<key_type, event_kind>> entries_;
};

}  // namespace cxm
