#include <iostream>
#include <cxm/stream/engine.hpp>

// The host's own kinds, numbered from 0 among host kinds.
constexpr cxm::event_kind wishlist_add = cxm::host_kind(0);
constexpr cxm::event_kind points_earned = cxm::host_kind(1);

int main() {
  cxm::engine_config config;
  config.kinds.declare_host_kinds(2);                        // host_kind(0), host_kind(1) in use
  config.kinds.set(points_earned, cxm::value_kind::amount);  // its value: a finite amount >= 0
  config.kinds.set_scale(cxm::event_kind::csat_answer, {1, 7});  // CSAT asked on 1..7

  cxm::engine<> e(config);
  const cxm::timestamp t = cxm::from_unix_ms(1'764'000'000'000);
  e.add(cxm::event<>{1, t, wishlist_add});
  e.add(cxm::event<>{1, t, points_earned, 120});
  e.add(cxm::event<>{1, t, cxm::event_kind::csat_answer, 6});
  for (const cxm::event<>& bad : {cxm::event<>{1, t, points_earned, -5}, cxm::event<>{1, t, cxm::host_kind(2)}}) {
    try {
      e.add(bad);
    } catch (const cxm::invalid_event& ex) {
      std::cout << ex.what() << '\n';
    }
  }
  const auto r = e.report(t);
  for (const auto k : {wishlist_add, points_earned}) {
    std::cout << cxm::to_string(k) << ": " << r.events_by_kind[static_cast<std::size_t>(k)] << " event(s), value "
              << cxm::to_string(e.config().kinds[k].value) << '\n';
  }
  const auto c = e.customer(1)->result<cxm::satisfaction>(t);
  std::cout << "customer 1: " << e.customer(1)->result<cxm::activity>(t).host_events << " host events, csat "
            << *c.csat.latest << " on " << e.config().kinds.scale(cxm::event_kind::csat_answer).to_string() << '\n';
}
