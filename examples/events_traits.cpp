#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>
#include <cxm/stream/engine.hpp>

// The host's own type, unchanged.
struct Order {
  std::string user;
  std::int64_t ts_ms;  // milliseconds since 1970, UTC
  double total;
};

// Taught to cxm once, next to the type.
template <>
struct cxm::event_traits<Order> {
  static std::string_view customer(const Order& o) noexcept { return o.user; }
  static cxm::timestamp time(const Order& o) noexcept { return cxm::from_unix_ms(o.ts_ms); }
  static cxm::event_kind kind(const Order&) noexcept { return cxm::event_kind::purchase; }
  static double value(const Order& o) noexcept { return o.total; }
};

int main() {
  const std::vector<Order> orders{{"ada", 1'764'000'000'000, 30.0},
                                  {"bob", 1'764'000'060'000, 12.5},
                                  {"ada", 1'764'000'120'000, 7.25}};
  cxm::engine<std::string> e;  // string ids
  e.add(Order{"cy", 1'764'000'180'000, 5.0});  // one event
  const std::size_t added = e.add(orders);     // any input range: returns how many were folded in
  const auto as_of = cxm::from_unix_ms(1'764'000'180'000);
  std::cout << "added " << added << ", customers " << e.customers().size() << ", ada spent "
            << e.customer("ada")->result<cxm::spend>(as_of).purchase_amount << '\n';
}
