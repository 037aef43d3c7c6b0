#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include <cxm/stream/parallel.hpp>

struct Order {
  std::string user;
  std::int64_t ts_ms;
  double total;
};

int main() {
  std::vector<Order> orders;
  for (int i = 0; i < 100'000; ++i) {
    orders.push_back({"user-" + std::to_string(i % 997), 1'764'000'000'000 + i, i % 1000 == 0 ? -1.0 : 9.5});
  }
  const cxm::projection by_order{[](const Order& o) -> std::string_view { return o.user; },
                                 [](const Order& o) { return cxm::from_unix_ms(o.ts_ms); },
                                 [](const Order&) { return cxm::event_kind::purchase; },
                                 [](const Order& o) { return o.total; }};
  std::mutex guard;  // each worker gets a copy of the policy, but the copies share this callback's captures
  std::vector<Order> rejected;
  const auto e = cxm::parallel_ingest<cxm::engine<std::string>>(
      orders, 3, cxm::engine_config{}, by_order, cxm::skip_invalid{[&](const Order& o, const cxm::rejection&) {
        const std::lock_guard lock(guard);
        rejected.push_back(o);
      }});
  const auto r = e.result();
  std::cout << "accepted " << r.events << ", rejected " << r.rejected.total << " (kept " << rejected.size()
            << "), customers " << r.customers << '\n';
}
