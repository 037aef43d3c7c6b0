#include <cxm/cxm.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

struct Order { std::string user; std::int64_t ts_ms; double total; };  // the host's own type

int main() {
  const std::vector<Order> orders{{"ada", 1'764'000'000'000, 30.0}, {"bob", 1'764'000'060'000, 12.5}};
  const cxm::projection by_order{
      [](const Order& o) -> std::string_view { return o.user; },  // no allocation per lookup
      [](const Order& o) { return cxm::from_unix_ms(o.ts_ms); },
      [](const Order&) { return cxm::event_kind::purchase; },      // a cxm::event_kind (host enums: cxm::kind_map)
      [](const Order& o) { return o.total; }};

  cxm::engine<std::string> shard_a, shard_b;                        // string ids, the default metrics
  shard_a.add(orders, by_order);
  shard_b.add(cxm::event<std::string>{"ada", cxm::from_unix_ms(1'764'000'120'000), cxm::event_kind::nps_answer, 9});
  shard_a.merge(shard_b);                                           // threads, processes, machines
  const auto bytes = cxm::io::save_state(shard_a);                 // a checkpoint, CRC-checked
  const auto engine = cxm::io::load_state<cxm::engine<std::string>>(bytes);

  const auto report = engine.result();                              // as of the latest event
  std::cout << report.customers << " customers, NPS " << report.get<cxm::nps_answers>().score << ", ada spent "
            << engine.customer("ada")->result<cxm::spend>(report.as_of).purchase_amount << '\n';
}
