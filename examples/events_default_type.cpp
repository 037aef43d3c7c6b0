#include <chrono>
#include <iostream>
#include <cxm/stream/engine.hpp>

int main() {
  using namespace std::chrono;
  const cxm::timestamp t = sys_days{2026y / November / 23} + 10h;

  cxm::engine<> e;  // std::uint64_t ids; NPS, CSAT, CES, active customers; spend, activity, satisfaction per customer
  e.add(cxm::event<>{42, t, cxm::event_kind::purchase, 19.90});
  e.add(cxm::event<>{42, t + 1h, cxm::event_kind::nps_answer, 9});
  e.add(cxm::event<>{7, t + 2h, cxm::event_kind::visit});

  const cxm::timestamp as_of = t + 24h;
  const auto r = e.report(as_of);
  std::cout << "events " << r.events << ", customers " << r.customers << ", active "
            << r.get<cxm::active_customers>().active << ", nps " << r.get<cxm::nps_answers>().score << '\n';
  const auto c = e.customer(42);  // a view of one customer: each per-customer metric's result
  std::cout << "customer 42: spent " << c->result<cxm::spend>(as_of).purchase_amount << " in "
            << c->result<cxm::activity>(as_of).events_by_kind[std::size_t(cxm::event_kind::purchase)] << " purchase(s), latest nps "
            << *c->result<cxm::satisfaction>(as_of).nps.latest << '\n';
}
