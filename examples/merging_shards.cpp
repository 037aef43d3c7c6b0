#include <iostream>
#include <vector>
#include <cxm/stream/engine.hpp>

int main() {
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  const std::vector<cxm::event<>> europe{{1, t, cxm::event_kind::purchase, 40}, {1, t, cxm::event_kind::nps_answer, 10}};
  const std::vector<cxm::event<>> america{{2, t, cxm::event_kind::purchase, 15}, {1, t, cxm::event_kind::nps_answer, 3}};

  cxm::engine<> eu, us;  // one engine per shard, same configuration
  eu.add(europe);
  us.add(america);

  cxm::engine<> total;   // an empty engine is merge's identity
  total.merge(eu);
  total.merge(us);
  const auto r = total.result();
  std::cout << "customers " << r.customers << ", nps " << r.get<cxm::nps_answers>().score << " over "
            << r.get<cxm::nps_answers>().n << " answers\n";
}
