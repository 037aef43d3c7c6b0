#pragma once
// Events as cxm reads them. A host keeps its own event types; cxm reads four things from each
// (customer id, time, kind, value) through `cxm::event_traits<E>` (specialise it once for your type)
// or through a `cxm::projection` passed at the call site. Nothing is copied into a cxm type.
// `cxm::event<Id>` is the default for hosts that have no event type of their own.
//
// value: the amount of a purchase or refund (finite, >= 0), the score of a survey answer (on the
// engine's scale), ignored for other kinds.

#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "cxm/events/event_kind.hpp"
#include "cxm/events/time.hpp"

namespace cxm {

template <class Id = std::uint64_t>
struct event {
  Id customer{};
  timestamp time{};
  event_kind kind = event_kind::visit;
  double value = 0.0;
  friend bool operator==(const event&, const event&) = default;
};

/// A 16-byte UUID as a customer id (the nil UUID, all zeros, counts as an empty id).
struct uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend constexpr bool operator==(const uuid&, const uuid&) = default;
  friend constexpr auto operator<=>(const uuid&, const uuid&) = default;
};

/// The customization point. Specialise for a host type with four static functions:
///   customer(e) -> id (any hashable type; strings may be returned as std::string_view),
///   time(e) -> a std::chrono::sys_time, kind(e) -> cxm::event_kind, value(e) -> double.
template <class E>
struct event_traits;

template <class Id>
struct event_traits<event<Id>> {
  static const Id& customer(const event<Id>& e) noexcept { return e.customer; }
  static timestamp time(const event<Id>& e) noexcept { return e.time; }
  static event_kind kind(const event<Id>& e) noexcept { return e.kind; }
  static double value(const event<Id>& e) noexcept { return e.value; }
};

template <class E>
concept has_event_traits = requires(const E& e) {
  event_traits<E>::customer(e);
  event_traits<E>::time(e);
  { event_traits<E>::kind(e) } -> std::convertible_to<event_kind>;
  { event_traits<E>::value(e) } -> std::convertible_to<double>;
};

/// Reads events through event_traits<E>.
struct traits_projection {
  template <has_event_traits E>
  static auto customer(const E& e) -> decltype(event_traits<E>::customer(e)) { return event_traits<E>::customer(e); }
  template <has_event_traits E>
  static auto time(const E& e) -> decltype(event_traits<E>::time(e)) { return event_traits<E>::time(e); }
  template <has_event_traits E>
  static event_kind kind(const E& e) { return event_traits<E>::kind(e); }
  template <has_event_traits E>
  static double value(const E& e) { return static_cast<double>(event_traits<E>::value(e)); }
};

/// A projection built at the call site from four callables:
///   cxm::projection{[](const Order& o) -> std::string_view { return o.user; },
///                   [](const Order& o) { return cxm::from_unix_ms(o.ts_ms); },
///                   [](const Order&) { return cxm::event_kind::purchase; },
///                   [](const Order& o) { return o.total; }}
template <class Customer, class Time, class Kind, class Value>
struct projection {
  Customer customer_of;
  Time time_of;
  Kind kind_of;
  Value value_of;

  // Return types spelled out so that a projection that does not fit E is not a candidate (SFINAE).
  template <class E>
  auto customer(const E& e) const -> decltype(customer_of(e)) { return customer_of(e); }
  template <class E>
  auto time(const E& e) const -> decltype(time_of(e)) { return time_of(e); }
  template <class E>
  auto kind(const E& e) const -> decltype(static_cast<event_kind>(kind_of(e))) { return static_cast<event_kind>(kind_of(e)); }
  template <class E>
  auto value(const E& e) const -> decltype(static_cast<double>(value_of(e))) { return static_cast<double>(value_of(e)); }
};
template <class C, class T, class K, class V>
projection(C, T, K, V) -> projection<C, T, K, V>;

}  // namespace cxm
