#include <cstdint>
#include <iostream>
#include <string>
#include <vector>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>
#include <cxm/stream/engine.hpp>

struct Row {  // e.g. a parsed CSV line
  std::uint64_t customer;
  std::int64_t ts_ms;
  std::string type;  // "order", "page", "test"
  double amount;
};

int main() {
  const std::vector<Row> rows{{1, 1'764'000'000'000, "order", 20.0},
                              {1, 1'764'000'100'000, "page", 0.0},
                              {2, 1'764'000'200'000, "test", 0.0},
                              {2, 1'764'000'300'000, "order", 5.0}};
  namespace views = ranges::views;
  auto events = rows
              | views::filter([](const Row& r) { return r.type != "test"; })
              | views::transform([](const Row& r) {
                  return cxm::event<>{r.customer, cxm::from_unix_ms(r.ts_ms),
                                      r.type == "order" ? cxm::event_kind::purchase : cxm::event_kind::visit,
                                      r.amount};
                });
  cxm::engine<> e;
  const std::size_t added = e.add(events);  // lazily, one row at a time: no intermediate vector
  const auto r = e.result();
  std::cout << "added " << added << ": " << r.events_by_kind[0] << " purchases, " << r.events_by_kind[2] << " visit\n";
}
