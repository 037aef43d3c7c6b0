#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <string_view>
#include <vector>
#include <cxm/stream/engine.hpp>

// Count heap allocations, to show that a known string id is looked up without one.
static std::size_t allocations = 0;
void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

struct Order {
  std::string user;
  std::int64_t ts_ms;
  double total;
};

int main() {
  // No event_traits<Order>: the four readers are given at the call site.
  const cxm::projection by_order{[](const Order& o) -> std::string_view { return o.user; },
                                 [](const Order& o) { return cxm::from_unix_ms(o.ts_ms); },
                                 [](const Order&) { return cxm::event_kind::purchase; },
                                 [](const Order& o) { return o.total; }};
  const std::vector<Order> orders{{"customer-0000000000000001", 1'764'000'000'000, 30.0},
                                  {"customer-0000000000000002", 1'764'000'060'000, 12.5}};
  cxm::engine<std::string> e;
  e.add(orders, by_order);  // first sight: each new id is copied into the table, once

  const std::size_t before = allocations;
  for (std::size_t i = 0; i < 1000; ++i) e.add(orders[i % 2], by_order);
  std::cout << "1000 events of known customers: " << allocations - before << " allocations\n";
}
